// Shared by the fault tests (and scripts/faults-*.ts): the operator as a child process (`node cli/plasma.mjs
// operator`, as users run it), a transfer load that remembers every transfer the operator answered "accepted",
// and the end-state checks: every accepted transfer is in a block committed on L1, every stored root is the
// root on L1, no block was committed twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseEther, type LogDescription, type Wallet } from 'ethers';
import {
  bytesToHex,
  parseCoinHistoryResponseJson,
  signDigest,
  signedTransactionToJson,
  transactionDigestBytes,
  verifyCoinHistory,
  type Address,
  type Hash,
  type Hex,
  type Transaction,
  type TransactionDomain,
} from '../../client/protocol/index.ts';
import { childBlockRoot, nextChildBlock, plasmaCashInterface } from '../../client/l1/contract.ts';
import type { JsonRpc } from '../../client/l1/rpc.ts';
import type { TestChain } from '../support/anvil.ts';

const BIN = fileURLToPath(new URL('../../cli/plasma.mjs', import.meta.url));

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly startedAt: number;
  stderr(): string;
  readonly exited: Promise<number | null>;
}

export interface OperatorProcessOptions {
  readonly l1Rpc: string;
  readonly contract: Address;
  readonly operatorKey: Hex;
  readonly databaseUrl: string;
  readonly port: number;
  readonly args?: readonly string[];
  /** The `plasma` entry to run; default this tree's cli/plasma.mjs (bench/e2e.ts measures an older tree too). */
  readonly bin?: string;
  /** Flags for node itself, before the entry (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  readonly nodeArgs?: readonly string[];
}

/** Starts `plasma operator` in a child process (the key and database in the environment, as documented). */
export function spawnOperator(options: OperatorProcessOptions): OperatorProcess {
  const args = [
    'operator',
    '--l1-rpc', options.l1Rpc,
    '--contract', options.contract,
    '--port', String(options.port),
    '--confirmations', '0',
    '--block-interval-ms', '100',
    '--l1-poll-interval-ms', '100',
    '--rate-limit-per-second', '0',
    '--log-level', 'warn',
    ...(options.args ?? []),
  ];
  const startedAt = Date.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? BIN, ...args], {
    env: { ...process.env, PLASMA_OPERATOR_KEY: options.operatorKey, DATABASE_URL: options.databaseUrl },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${options.port}`, startedAt, stderr: () => stderr, exited };
}

/** Resolves with ms from `since` until GET /v1/status answers 200 (Postgres and L1 reachable, HTTP up). */
export async function waitReady(url: string, since: number, timeoutMs = 30_000, alive?: () => boolean): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return Date.now() - since;
    } catch {
      // not listening yet
    }
    if (alive !== undefined && !alive()) throw new Error('the operator exited before it was ready');
    if (Date.now() > deadline) throw new Error(`the operator at ${url} was not ready within ${timeoutMs} ms`);
    await sleep(25);
  }
}

export async function deposit(chain: TestChain, user: Wallet): Promise<{ slot: bigint; block: bigint }> {
  const receipt = await (await chain.contract(user).getFunction('deposit')({ value: parseEther('1') })).wait();
  const log = receipt!.logs
    .map((l: { topics: string[]; data: string }) => chain.contract().interface.parseLog(l))
    .find((p: LogDescription | null) => p?.name === 'Deposit');
  return { slot: log!.args.getValue('slot') as bigint, block: log!.args.getValue('blockNumber') as bigint };
}

interface CoinState {
  readonly slot: bigint;
  readonly denomination: bigint;
  owner: number;
  prevBlock: bigint;
  /** A transfer sent and not yet seen in a block: accepted (answered so) or uncertain (no or a failed answer). */
  inflight?: { readonly json: unknown; readonly digest: Hash; readonly accepted: boolean; readonly sentAt: number } | undefined;
}

export interface LoadFigures {
  readonly sent: number;
  readonly accepted: number;
  readonly failedRequests: number;
  readonly included: number;
}

/**
 * Keeps every coin moving between the users: one transfer per coin in flight at a time, sent in small batches.
 * A transfer counts as accepted only when the operator answered "accepted"; after no answer (the operator was
 * down or killed mid-request) the same signed bytes are sent again until it is answered. A coin moves on once
 * GET /v1/coins/:slot shows it in a newer block. `accepted` ends up holding every digest answered "accepted".
 */
export class TransferLoad {
  readonly accepted = new Map<Hash, { readonly slot: bigint; readonly at: number }>();
  readonly coins: CoinState[];
  #running = false;
  #loop: Promise<void> | undefined;
  /** Coins from this index on wait for release() (to have fresh transfers to send in the middle of a fault). */
  #active: number;
  readonly #batch: number;
  readonly #pauseMs: number;
  sent = 0;
  failedRequests = 0;
  /** ms of every answered POST (bench/load.ts). */
  readonly postLatencies: number[] = [];
  included = 0;
  readonly #url: string;
  readonly #keys: readonly Hex[];
  readonly #addresses: readonly Address[];
  readonly #domain: TransactionDomain;

  constructor(options: { url: string; domain: TransactionDomain; users: readonly Wallet[]; coins: readonly { slot: bigint; block: bigint; owner: number }[]; heldBack?: number; batch?: number; pauseMs?: number }) {
    this.#batch = options.batch ?? 5;
    this.#pauseMs = options.pauseMs ?? 30;
    this.#url = options.url;
    this.#domain = options.domain;
    this.#keys = options.users.map((user) => user.privateKey as Hex);
    this.#addresses = options.users.map((user) => user.address.toLowerCase() as Address);
    this.coins = options.coins.map((coin) => ({ slot: coin.slot, denomination: parseEther('1'), owner: coin.owner, prevBlock: coin.block }));
    this.#active = this.coins.length - (options.heldBack ?? 0);
  }

  /** Starts moving the held-back coins too. */
  release(): void {
    this.#active = this.coins.length;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  figures(): LoadFigures {
    return { sent: this.sent, accepted: this.accepted.size, failedRequests: this.failedRequests, included: this.included };
  }

  /** True when no coin has a transfer in flight. */
  settled(): boolean {
    return this.coins.every((coin) => coin.inflight === undefined);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      await this.refresh();
      const batch: CoinState[] = [];
      for (const coin of this.coins.slice(0, this.#active)) {
        if (coin.inflight === undefined) {
          const next = (coin.owner + 1) % this.#keys.length;
          const tx: Transaction = { slot: coin.slot, prevBlock: coin.prevBlock, denomination: coin.denomination, newOwner: this.#addresses[next]! };
          const digest = transactionDigestBytes(tx, this.#domain);
          coin.inflight = { json: signedTransactionToJson(tx, signDigest(digest, this.#keys[coin.owner]!)), digest: bytesToHex(digest), accepted: false, sentAt: Date.now() };
          batch.push(coin);
        } else if (!coin.inflight.accepted) {
          batch.push(coin); // no answer yet: the same bytes again
        }
      }
      // The whole batch goes out even when stop() came meanwhile: a transfer signed but never sent would stay in flight.
      const chunks = [];
      for (let i = 0; i < batch.length; i += this.#batch) chunks.push(batch.slice(i, i + this.#batch));
      await Promise.all(chunks.map((chunk) => this.#send(chunk)));
      await sleep(this.#pauseMs);
    }
  }

  async #send(coins: CoinState[]): Promise<void> {
    this.sent += coins.length;
    const started = performance.now();
    try {
      const response = await fetch(`${this.#url}/v1/transactions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(coins.map((coin) => coin.inflight!.json)),
        signal: AbortSignal.timeout(5000),
      });
      if (response.status !== 200) {
        this.failedRequests++;
        await response.arrayBuffer();
        return;
      }
      const { results } = (await response.json()) as { results: { status: string; digest?: Hash; error?: { code: string } }[] };
      this.postLatencies.push(performance.now() - started);
      results.forEach((result, i) => {
        const coin = coins[i]!;
        if (result.status === 'accepted') {
          if (result.digest !== coin.inflight!.digest) throw new Error(`accepted digest ${result.digest} is not the digest sent ${coin.inflight!.digest}`);
          this.accepted.set(result.digest, { slot: coin.slot, at: Date.now() });
          coin.inflight = { ...coin.inflight!, accepted: true };
        }
        // already_pending: an earlier unanswered send got in; wrong_prev_block: it is in a block already. Either
        // way refresh() sees the coin move; until then the bytes are re-sent.
      });
    } catch {
      this.failedRequests++;
    }
  }

  /**
   * Moves on every coin that the operator shows in a newer block than its in-flight transfer names. Reads the
   * users' coin lists (GET /v1/owners/:address/coins, 1,000 a page): a few requests however many coins.
   */
  async refresh(): Promise<void> {
    if (this.coins.every((coin) => coin.inflight === undefined)) return;
    const seen = new Map<bigint, { owner: number; lastBlock: bigint }>();
    try {
      await Promise.all(
        this.#addresses.map(async (address, owner) => {
          let after: string | undefined;
          do {
            const response = await fetch(`${this.#url}/v1/owners/${address}/coins?limit=1000${after === undefined ? '' : `&after=${after}`}`, { signal: AbortSignal.timeout(5000) });
            if (response.status !== 200) throw new Error(`owners: ${response.status}`);
            const body = (await response.json()) as { coins: { slot: string; lastBlock: string }[]; next?: string };
            for (const coin of body.coins) seen.set(BigInt(coin.slot), { owner, lastBlock: BigInt(coin.lastBlock) });
            after = body.next;
          } while (after !== undefined);
        }),
      );
    } catch {
      return; // down: next round
    }
    for (const coin of this.coins) {
      const now = seen.get(coin.slot);
      // The operator's coin row moves when the block is built (persisted); only count it once it is past ours.
      if (coin.inflight === undefined || now === undefined || now.lastBlock <= coin.prevBlock) continue;
      coin.owner = now.owner;
      coin.prevBlock = now.lastBlock;
      coin.inflight = undefined;
      this.included++;
    }
  }
}

export interface EndState {
  readonly blocks: number;
  readonly transfersInBlocks: number;
  readonly acceptedChecked: number;
  readonly problems: string[];
}

/**
 * After the operator drained: every accepted digest is an inclusion in some coin's history served by the operator,
 * each history verifies against the roots on L1, every block the database holds is confirmed with the root L1
 * holds, L1's nextChildBlock is one past the last, and BlockSubmitted was emitted once per number.
 */
export async function checkEndState(options: {
  readonly url: string;
  readonly rpc: JsonRpc;
  readonly contract: Address;
  readonly domain: TransactionDomain;
  readonly sql: import('postgres').Sql;
  readonly load: TransferLoad;
}): Promise<EndState> {
  const { rpc, contract, sql } = options;
  const problems: string[] = [];
  const blocks = await sql<{ number: string; root: Buffer; status: string; tx_count: number }[]>`select number, root, status, tx_count from blocks order by number`;
  const roots = new Map<bigint, Hash>();
  for (const block of blocks) {
    const number = BigInt(block.number);
    const onL1 = (await childBlockRoot(rpc, contract, number)).toLowerCase() as Hash;
    roots.set(number, onL1);
    if (block.status !== 'confirmed') problems.push(`block ${number} is ${block.status}`);
    if (onL1 !== `0x${block.root.toString('hex')}`) problems.push(`block ${number}: root ${onL1} on L1, 0x${block.root.toString('hex')} stored`);
  }
  const last = blocks.length === 0 ? 0n : BigInt(blocks[blocks.length - 1]!.number);
  const next = await nextChildBlock(rpc, contract);
  if (next !== last + 1000n) problems.push(`L1 nextChildBlock is ${next}, the database's last block ${last}`);
  const topic = plasmaCashInterface().getEvent('BlockSubmitted')!.topicHash;
  const logs = await rpc.request<{ topics: string[] }[]>('eth_getLogs', [{ address: contract, fromBlock: '0x0', toBlock: 'latest', topics: [topic] }]);
  const numbers = logs.map((log) => BigInt(log.topics[1] ?? '0x0'));
  if (logs.length !== blocks.length) problems.push(`${logs.length} BlockSubmitted events for ${blocks.length} stored blocks`);
  if (new Set(numbers.map(String)).size !== numbers.length) problems.push('a child block number was submitted twice');

  const included = new Set<Hash>();
  for (const coin of options.load.coins) {
    const response = await fetch(`${options.url}/v1/coins/${coin.slot}/history`);
    const history = parseCoinHistoryResponseJson(await response.json());
    try {
      verifyCoinHistory({
        deposit: { slot: coin.slot, ...history.deposit },
        entries: history.entries,
        roots: (block) => roots.get(block),
        committedChildBlocks: { to: last },
        domain: options.domain,
      });
    } catch (error) {
      problems.push(`coin ${coin.slot}: history does not verify against L1: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const entry of history.entries) {
      if (entry.kind === 'inclusion') included.add(bytesToHex(transactionDigestBytes(entry.transaction, options.domain)));
    }
  }
  let missing = 0;
  for (const [digest, { slot }] of options.load.accepted) {
    if (!included.has(digest)) {
      missing++;
      if (missing <= 5) problems.push(`accepted transfer ${digest} of coin ${slot} is in no committed block`);
    }
  }
  if (missing > 5) problems.push(`… ${missing} accepted transfers missing in all`);
  const [pending] = await sql<{ n: number }[]>`select count(*)::int as n from pending_transactions`;
  if (pending!.n !== 0) problems.push(`${pending!.n} transfers still pending`);
  return { blocks: blocks.length, transfersInBlocks: blocks.reduce((sum, b) => sum + b.tx_count, 0), acceptedChecked: options.load.accepted.size, problems };
}

/**
 * Right after a restart: every transfer answered "accepted" so far is durable (pending or in a stored block), and
 * every block the database holds as confirmed has its root on L1 (none twice: the contract takes each number once).
 */
export async function checkDurable(options: { readonly sql: import('postgres').Sql; readonly rpc: JsonRpc; readonly contract: Address; readonly load: TransferLoad }): Promise<string[]> {
  const problems: string[] = [];
  const accepted = [...options.load.accepted.keys()];
  const rows = await options.sql<{ digest: Buffer }[]>`
    select digest from pending_transactions union all select digest from transactions`;
  const stored = new Set(rows.map((row) => `0x${row.digest.toString('hex')}`));
  const lost = accepted.filter((digest) => !stored.has(digest));
  if (lost.length > 0) problems.push(`${lost.length} accepted transfers are neither pending nor in a block, e.g. ${lost[0]}`);
  const confirmed = await options.sql<{ number: string; root: Buffer }[]>`select number, root from blocks where status = 'confirmed' order by number`;
  for (const block of confirmed) {
    const onL1 = (await childBlockRoot(options.rpc, options.contract, BigInt(block.number))).toLowerCase();
    if (onL1 !== `0x${block.root.toString('hex')}`) problems.push(`confirmed block ${block.number}: ${onL1} on L1, 0x${block.root.toString('hex')} stored`);
  }
  return problems;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
