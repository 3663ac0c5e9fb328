/**
 * What the page reads from L1, straight from a JSON-RPC node the user picks (never through the operator):
 * child-block roots (eth_call childBlockRoot, in JSON-RPC batches), the coin's deposit record (getCoin), the
 * contract's block counters, and the exit game's events. ABI encoding is done by hand for these few calls:
 * every one has static arguments and results, and ethers would triple the bundle.
 */
import { bytesToHex, keccak256, type Address, type Hash, type Hex } from '../../client/protocol/index.ts';

export class L1Error extends Error {
  override name = 'L1Error';
}

interface RpcAnswer {
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

export type BlockTag = bigint | 'latest';
const tag = (block: BlockTag): string => (block === 'latest' ? block : `0x${block.toString(16)}`);

/** The 4-byte selector or 32-byte topic of a canonical signature, e.g. `childBlockRoot(uint256)`. */
export const selector = (signature: string): Hex => bytesToHex(keccak256(new TextEncoder().encode(signature)).subarray(0, 4));
export const topic = (signature: string): Hash => bytesToHex(keccak256(new TextEncoder().encode(signature)));

const word = (value: bigint): string => value.toString(16).padStart(64, '0');
/** The 32-byte words of an ABI-encoded answer. */
export function words(data: string): bigint[] {
  if (!/^0x([0-9a-fA-F]{64})*$/.test(data)) throw new L1Error(`malformed ABI answer ${data.slice(0, 80)}`);
  const out: bigint[] = [];
  for (let at = 2; at < data.length; at += 64) out.push(BigInt(`0x${data.slice(at, at + 64)}`));
  return out;
}
const address = (value: bigint): Address => `0x${value.toString(16).padStart(40, '0')}` as Address;

export const SELECTORS = {
  childBlockRoot: selector('childBlockRoot(uint256)'),
  nextChildBlock: selector('nextChildBlock()'),
  childBlockInterval: selector('CHILD_BLOCK_INTERVAL()'),
  getCoin: selector('getCoin(uint64)'),
  // The checkpoint module's views (ICheckpoints, client/l1/checkpoint-game.ts), answered at PlasmaCash's address.
  checkpointCount: selector('checkpointCount()'),
  getCheckpoint: selector('getCheckpoint(uint256)'),
  leafStatus: selector('leafStatus(uint256,uint64)'),
} as const;

const TRANSACTION_TUPLE = '(uint64,uint256,uint256,address)';
export const TOPICS = {
  ExitStarted: topic('ExitStarted(uint64,uint256,address,uint256,uint256,uint256)'),
  ExitCancelled: topic('ExitCancelled(uint64,uint256,address,uint8)'),
  ExitFinalized: topic('ExitFinalized(uint64,uint256,address)'),
  ChallengeOpened: topic(`ChallengeOpened(uint64,uint256,bytes32,address,${TRANSACTION_TUPLE},uint256,uint256)`),
  ChallengeAnswered: topic(`ChallengeAnswered(uint64,uint256,bytes32,${TRANSACTION_TUPLE},uint256,uint256,bytes,bytes)`),
  ChallengeSettled: topic('ChallengeSettled(uint64,uint256,bytes32,address)'),
} as const;

export class L1Reader {
  readonly url: string;
  readonly contract: Address;
  #id = 0;

  constructor(url: string, contract: Address) {
    this.url = url;
    this.contract = contract;
  }

  async #post(body: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (error) {
      throw new L1Error(`cannot reach the L1 node at ${this.url} (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!response.ok) throw new L1Error(`the L1 node at ${this.url} answered HTTP ${response.status}`);
    return response.json();
  }

  async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
    const answer = (await this.#post({ jsonrpc: '2.0', id: ++this.#id, method, params })) as RpcAnswer;
    if (answer.error !== undefined) throw new L1Error(`${method}: ${answer.error.message}`);
    return answer.result as T;
  }

  /** Many calls in one HTTP request (JSON-RPC batch); answers matched by id, any error fails the whole batch. */
  async batch<T>(calls: readonly { method: string; params: readonly unknown[] }[]): Promise<T[]> {
    if (calls.length === 0) return [];
    const first = this.#id + 1;
    this.#id += calls.length;
    const answers = (await this.#post(calls.map((call, i) => ({ jsonrpc: '2.0', id: first + i, ...call })))) as RpcAnswer[];
    if (!Array.isArray(answers)) throw new L1Error(`the L1 node at ${this.url} does not answer JSON-RPC batches`);
    const results: T[] = new Array<T>(calls.length);
    let seen = 0;
    for (const answer of answers) {
      if (answer.error !== undefined) throw new L1Error(`${calls[0]!.method}: ${answer.error.message}`);
      const index = (answer.id ?? -1) - first;
      if (index < 0 || index >= calls.length) throw new L1Error('a batch answer has an unknown id');
      results[index] = answer.result as T;
      seen++;
    }
    if (seen !== calls.length) throw new L1Error(`a batch of ${calls.length} calls got ${seen} answers`);
    return results;
  }

  #call(data: string, block: BlockTag) {
    return { method: 'eth_call', params: [{ to: this.contract, data }, tag(block)] };
  }

  async call(data: string, block: BlockTag): Promise<bigint[]> {
    const call = this.#call(data, block);
    return words(await this.request<string>(call.method, call.params));
  }

  async head(): Promise<bigint> {
    return BigInt(await this.request<string>('eth_blockNumber'));
  }

  async chainId(): Promise<bigint> {
    return BigInt(await this.request<string>('eth_chainId'));
  }

  async hasCode(block: BlockTag): Promise<boolean> {
    const code = await this.request<string>('eth_getCode', [this.contract, tag(block)]);
    return code !== '0x' && code !== '';
  }

  async nextChildBlock(block: BlockTag): Promise<bigint> {
    return (await this.call(SELECTORS.nextChildBlock, block))[0]!;
  }

  async childBlockInterval(block: BlockTag): Promise<bigint> {
    return (await this.call(SELECTORS.childBlockInterval, block))[0]!;
  }

  /** `_coins[slot]` as getCoin returns it: a depositBlock of 0 means no such coin. */
  async coin(slot: bigint, block: BlockTag): Promise<L1Coin> {
    const w = await this.call(SELECTORS.getCoin + word(slot), block);
    if (w.length !== 10) throw new L1Error(`getCoin answered ${w.length} words, not 10`);
    return {
      depositor: address(w[0]!),
      depositBlock: w[1]!,
      state: COIN_STATES[Number(w[2]!)] ?? 'unknown',
      exitCount: w[3]!,
      headExit: w[4]!,
      token: address(w[5]!),
      kind: ASSET_KINDS[Number(w[6]!)] ?? 'unknown',
      withdrawn: w[7]! !== 0n,
      denomination: w[8]!,
      tokenId: w[9]!,
    };
  }

  /** Checkpoint k as L1 records it (getCheckpoint: a static tuple, four words); a zero root means none. */
  async checkpoint(k: bigint, block: BlockTag): Promise<L1Checkpoint> {
    const w = await this.call(SELECTORS.getCheckpoint + word(k), block);
    if (w.length !== 4) throw new L1Error(`getCheckpoint answered ${w.length} words, not 4`);
    return { root: `0x${w[0]!.toString(16).padStart(64, '0')}` as Hash, childBlock: w[1]!, submittedAt: w[2]!, periodEnd: w[3]! };
  }

  async checkpointCount(block: BlockTag): Promise<bigint> {
    return (await this.call(SELECTORS.checkpointCount, block))[0]!;
  }

  /** leafStatus(k, slot): the slot's leaf in checkpoint k is pending, final or void, and when it can be final. */
  async leafStatus(k: bigint, slot: bigint, block: BlockTag): Promise<{ status: 'pending' | 'final' | 'void'; finalAt: bigint }> {
    const w = await this.call(SELECTORS.leafStatus + word(k) + word(slot), block);
    const status = (['pending', 'final', 'void'] as const)[Number(w[0] ?? 99n)];
    if (w.length !== 2 || status === undefined) throw new L1Error(`leafStatus answered ${w.length} words (${w[0]}), not a status and a time`);
    return { status, finalAt: w[1]! };
  }

  /** The root of child block `block`, or undefined when L1 holds none. */
  async childBlockRoot(block: bigint, at: BlockTag): Promise<Hash | undefined> {
    const root = (await this.call(SELECTORS.childBlockRoot + word(block), at))[0]!;
    return root === 0n ? undefined : (`0x${root.toString(16).padStart(64, '0')}` as Hash);
  }

  /**
   * The roots committed for `blocks` at L1 block `at`, in batches of `batchSize` eth_calls, `parallel` batches
   * at a time. A zero root (a block L1 does not hold) is left out of the map.
   */
  async roots(blocks: readonly bigint[], at: BlockTag, onProgress?: (done: number) => void, batchSize = 1000, parallel = 4): Promise<Map<bigint, Hash>> {
    const roots = new Map<bigint, Hash>();
    const chunks: bigint[][] = [];
    for (let i = 0; i < blocks.length; i += batchSize) chunks.push(blocks.slice(i, i + batchSize));
    let done = 0;
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        const answers = await this.batch<string>(chunk.map((block) => this.#call(SELECTORS.childBlockRoot + word(block), at)));
        answers.forEach((answer, i) => {
          if (!/^0x[0-9a-fA-F]{64}$/.test(answer)) throw new L1Error(`childBlockRoot(${chunk[i]}) answered ${answer}`);
          if (!/^0x0{64}$/.test(answer)) roots.set(chunk[i]!, answer.toLowerCase() as Hash);
        });
        done += chunk.length;
        onProgress?.(done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, worker));
    return roots;
  }

  /** The exit game's logs of the contract in [from, to], optionally of one slot. */
  async exitGameLogs(from: bigint, to: bigint, slot?: bigint): Promise<RawLog[]> {
    const topics: (string | string[] | null)[] = [Object.values(TOPICS)];
    if (slot !== undefined) topics.push(`0x${word(slot)}`);
    return this.request<RawLog[]>('eth_getLogs', [{ address: this.contract, fromBlock: tag(from), toBlock: tag(to), topics }]);
  }
}

const ASSET_KINDS = ['eth', 'erc20', 'erc721'] as const;
const COIN_STATES = ['none', 'deposited', 'exiting', 'exited'] as const;

export interface L1Coin {
  readonly depositor: Address;
  readonly depositBlock: bigint;
  readonly state: (typeof COIN_STATES)[number] | 'unknown';
  readonly exitCount: bigint;
  readonly headExit: bigint;
  readonly token: Address;
  readonly kind: (typeof ASSET_KINDS)[number] | 'unknown';
  readonly withdrawn: boolean;
  readonly denomination: bigint;
  readonly tokenId: bigint;
}

export interface L1Checkpoint {
  readonly root: Hash;
  /** N. */
  readonly childBlock: bigint;
  readonly submittedAt: bigint;
  readonly periodEnd: bigint;
}

export interface RawLog {
  readonly blockNumber: string;
  readonly transactionHash: Hash;
  readonly logIndex: string;
  readonly topics: string[];
  readonly data: string;
}
