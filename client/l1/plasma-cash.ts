/**
 * The coin holder's view of PlasmaCash on L1: typed reads of its views, typed decoding of its events, and
 * writes that explain a revert by the contract's own custom error before any gas is spent.
 *
 * Reads and event scans go through the small JSON-RPC client (raw answers, no provider caching, so a wallet
 * and a watcher in one process never see each other's stale cache); writes go through an ethers Wallet.
 */
import { Contract, type Interface, type Result, type Wallet } from 'ethers';
import { PlasmaError, type Address, type Hash, type Transaction } from '../protocol/index.ts';
import { callPlasmaCash } from './contract.ts';
import { checkpointGameInterface } from './checkpoint-game.ts';
import { ASSET_KINDS, decodePlasmaEvent, eventTopics, type AssetKind, type PlasmaEvent, type PlasmaEventName } from './events.ts';
import { DEFAULT_SEND_OPTIONS, sendContractCall, type SendOptions } from './send-until-mined.ts';
import { quantity, type JsonRpc, type RpcLog } from './rpc.ts';

export type CoinStateName = 'none' | 'deposited' | 'exiting' | 'exited';
export type ExitStatusName = 'none' | 'live' | 'finalized' | 'cancelled';
export type ChallengeStatusName = 'none' | 'open' | 'answered' | 'settled';

const COIN_STATES: readonly CoinStateName[] = ['none', 'deposited', 'exiting', 'exited'];
/** The contract's ExitStatus enum, by value. */
export const EXIT_STATUSES: readonly ExitStatusName[] = ['none', 'live', 'finalized', 'cancelled'];
const CHALLENGE_STATUSES: readonly ChallengeStatusName[] = ['none', 'open', 'answered', 'settled'];

/** The events a coin holder follows. */
const FOLLOWED_EVENTS: readonly PlasmaEventName[] = [
  'Deposit',
  'BlockSubmitted',
  'ExitStarted',
  'ExitCancelled',
  'ExitFinalized',
  'ChallengeOpened',
  'ChallengeAnswered',
  'SpendRevealed',
  'ChallengeSettled',
  'BondCredited',
  'CoinWithdrawn',
];

export interface CoinRecord {
  readonly depositor: Address;
  readonly depositBlock: bigint;
  readonly kind: AssetKind;
  readonly state: CoinStateName;
  readonly withdrawn: boolean;
  /** Exits ever started: the newest exit has this nonce. */
  readonly exitCount: bigint;
  /**
   * While the coin is exiting, the nonce of its live exit with the lowest exit block (the one finalizeExit acts
   * on); once exited, the nonce of the exit that won; 0 when no exit is live.
   */
  readonly headExit: bigint;
  readonly token: Address;
  readonly denomination: bigint;
  readonly tokenId: bigint;
}

export interface ExitRecord {
  readonly exitor: Address;
  readonly exitBlock: bigint;
  readonly finalizableAt: bigint;
  readonly status: ExitStatusName;
  readonly parentOwner: Address;
  /** Zero for a deposit exit. */
  readonly parentBlock: bigint;
  readonly maturesAt: bigint;
  readonly firstChallenge: Hash;
  readonly lastChallenge: Hash;
  /** Neighbours in the coin's list of live exits ordered by exit block (0 = none). */
  readonly nextExit: bigint;
  readonly previousExit: bigint;
}

export interface ChallengeRecord {
  readonly challenger: Address;
  readonly claimBlock: bigint;
  readonly status: ChallengeStatusName;
  readonly openedAt: bigint;
  readonly claimOwner: Address;
  /** The next challenge in the exit's list of open ones (zero at the end). */
  readonly next: Hash;
}

export interface ContractParameters {
  readonly exitPeriod: bigint;
  readonly responsePeriod: bigint;
  readonly exitBond: bigint;
  readonly challengeBond: bigint;
  readonly childBlockInterval: bigint;
  readonly operator: Address;
}

const lower = (value: string): Address => value.toLowerCase() as Address;

/** The contract's `Transaction` struct argument (ethers takes a plain object). */
export function transactionArgument(tx: Transaction): Record<string, unknown> {
  return { slot: tx.slot, prevBlock: tx.prevBlock, denomination: tx.denomination, newOwner: tx.newOwner };
}

/** A write the contract refused, with its custom error decoded ("ExitNotMatured(slot, readyAt)"). */
export class ContractCallError extends PlasmaError {
  override name = 'ContractCallError';
  declare readonly code: 'contract_reverted';
  readonly errorName: string | undefined;
  readonly args: readonly unknown[];

  constructor(call: string, errorName: string | undefined, args: readonly unknown[], detail: string) {
    const what = errorName === undefined ? detail : `${errorName}(${args.map(String).join(', ')})`;
    super('contract_reverted', `${call} reverted: ${what}`);
    this.errorName = errorName;
    this.args = args;
  }
}

// One queue per sending account: concurrent writes (a wallet call while the watcher acts) would otherwise both
// take the same pending nonce and one would be dropped.
const sendQueues = new Map<string, Promise<unknown>>();

function serialized<T>(account: string, work: () => Promise<T>): Promise<T> {
  const previous = sendQueues.get(account) ?? Promise.resolve();
  const next = previous.then(work, work);
  sendQueues.set(account, next.catch(() => undefined));
  return next;
}

export class PlasmaCashL1 {
  readonly rpc: JsonRpc;
  readonly address: Address;
  readonly iface: Interface;
  readonly sendOptions: SendOptions;
  #parameters: ContractParameters | undefined;

  /** `sendOptions`: how writes wait for a receipt and replace a version left pending (send-until-mined.ts). */
  constructor(rpc: JsonRpc, address: Address, sendOptions: Partial<SendOptions> = {}) {
    this.rpc = rpc;
    this.address = lower(address);
    // PlasmaCash's ABI with the checkpoint module's calls (reached through its fallback, docs/CHECKPOINTS.md §2).
    this.iface = checkpointGameInterface();
    this.sendOptions = { ...DEFAULT_SEND_OPTIONS, ...sendOptions };
  }

  #call(name: string, args: readonly unknown[] = [], blockTag: bigint | 'latest' = 'latest'): Promise<Result> {
    return callPlasmaCash(this.rpc, this.address, name, args, blockTag);
  }

  async parameters(): Promise<ContractParameters> {
    if (this.#parameters === undefined) {
      const [exitPeriod, responsePeriod, exitBond, challengeBond, childBlockInterval, operator] = await Promise.all([
        this.#call('EXIT_PERIOD'),
        this.#call('RESPONSE_PERIOD'),
        this.#call('EXIT_BOND'),
        this.#call('CHALLENGE_BOND'),
        this.#call('CHILD_BLOCK_INTERVAL'),
        this.#call('OPERATOR'),
      ]);
      this.#parameters = {
        exitPeriod: BigInt(exitPeriod[0]),
        responsePeriod: BigInt(responsePeriod[0]),
        exitBond: BigInt(exitBond[0]),
        challengeBond: BigInt(challengeBond[0]),
        childBlockInterval: BigInt(childBlockInterval[0]),
        operator: lower(String(operator[0])),
      };
    }
    return this.#parameters;
  }

  async coin(slot: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<CoinRecord> {
    const [c] = await this.#call('getCoin', [slot], blockTag);
    return {
      depositor: lower(c.depositor),
      depositBlock: BigInt(c.depositBlock),
      kind: ASSET_KINDS[Number(c.kind)]!,
      state: COIN_STATES[Number(c.state)]!,
      withdrawn: Boolean(c.withdrawn),
      exitCount: BigInt(c.exitCount),
      headExit: BigInt(c.headExit),
      token: lower(c.token),
      denomination: BigInt(c.denomination),
      tokenId: BigInt(c.tokenId),
    };
  }

  async exit(slot: bigint, nonce: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<ExitRecord> {
    const [e] = await this.#call('getExit', [slot, nonce], blockTag);
    return {
      exitor: lower(e.exitor),
      exitBlock: BigInt(e.exitBlock),
      finalizableAt: BigInt(e.finalizableAt),
      status: EXIT_STATUSES[Number(e.status)]!,
      parentOwner: lower(e.parentOwner),
      parentBlock: BigInt(e.parentBlock),
      maturesAt: BigInt(e.maturesAt),
      firstChallenge: e.firstChallenge as Hash,
      lastChallenge: e.lastChallenge as Hash,
      nextExit: BigInt(e.nextExit),
      previousExit: BigInt(e.previousExit),
    };
  }

  async challenge(slot: bigint, nonce: bigint, challengeId: Hash): Promise<ChallengeRecord> {
    const [c] = await this.#call('getChallenge', [slot, nonce, challengeId]);
    return {
      challenger: lower(c.challenger),
      claimBlock: BigInt(c.claimBlock),
      status: CHALLENGE_STATUSES[Number(c.status)]!,
      openedAt: BigInt(c.openedAt),
      claimOwner: lower(c.claimOwner),
      next: c.next as Hash,
    };
  }

  /** Whether an exit of `exitBlock` was cancelled by challengeAfter or challengeBetween: no one exits it again. */
  async isExitBlockDead(slot: bigint, exitBlock: bigint): Promise<boolean> {
    return Boolean((await this.#call('isExitBlockDead', [slot, exitBlock]))[0]);
  }

  /** The nonce of the live exit of `slot` with exit block `exitBlock`, 0 when none. */
  async liveExitAt(slot: bigint, exitBlock: bigint): Promise<bigint> {
    return BigInt((await this.#call('liveExitAt', [slot, exitBlock]))[0]);
  }

  /**
   * The live exits of `slot` in exit-block order (the head first), walking the contract's list from the coin's
   * headExit. Empty unless the coin is exiting; at most `limit` (the list is the contract's, not ours to trust
   * to be short).
   */
  async liveExits(slot: bigint, limit = 256): Promise<{ nonce: bigint; exit: ExitRecord }[]> {
    const coin = await this.coin(slot);
    if (coin.state !== 'exiting') return [];
    const exits: { nonce: bigint; exit: ExitRecord }[] = [];
    for (let nonce = coin.headExit; nonce !== 0n && exits.length < limit; ) {
      const exit = await this.exit(slot, nonce);
      if (exit.status !== 'live') break;
      exits.push({ nonce, exit });
      nonce = exit.nextExit;
    }
    return exits;
  }

  async childBlockRoot(block: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<Hash> {
    return (await this.#call('childBlockRoot', [block], blockTag))[0] as Hash;
  }

  async nextChildBlock(): Promise<bigint> {
    return BigInt((await this.#call('nextChildBlock'))[0]);
  }

  async bondBalance(account: Address): Promise<bigint> {
    return BigInt((await this.#call('bondBalance', [account]))[0]);
  }

  /** The L1 head block's number and timestamp (the contract's clock). */
  async head(): Promise<{ number: bigint; timestamp: bigint }> {
    const block = await this.rpc.request<{ number: string; timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
    return { number: BigInt(block.number), timestamp: BigInt(block.timestamp) };
  }

  /** Every followed event in L1 blocks [from, to], in chain order. */
  async events(from: bigint, to: bigint): Promise<PlasmaEvent[]> {
    const logs = await this.rpc.request<RpcLog[]>('eth_getLogs', [{ address: this.address, fromBlock: quantity(from), toBlock: quantity(to), topics: eventTopics(this.iface, FOLLOWED_EVENTS) }]);
    return logs.map((log) => decodePlasmaEvent(this.iface, log)).filter((event): event is PlasmaEvent => event !== undefined);
  }

  /** A Contract bound to `signer` for writes. */
  connect(signer: Wallet): Contract {
    return new Contract(this.address, this.iface, signer);
  }

  /**
   * Sends `method(...args)` from `signer` and waits for its receipt. The call is estimated first, so a call the
   * contract would refuse fails here with its decoded custom error and costs nothing; it is sent with a margin
   * over that estimate (see withGasMargin), and replaced with higher fees while it stays pending.
   */
  send(signer: Wallet, method: string, args: readonly unknown[], value = 0n): Promise<{ hash: Hash; l1Block: bigint; logs: PlasmaEvent[] }> {
    return serialized(signer.address.toLowerCase(), () => this.#send(signer, method, args, value));
  }

  async #send(signer: Wallet, method: string, args: readonly unknown[], value: bigint): Promise<{ hash: Hash; l1Block: bigint; logs: PlasmaEvent[] }> {
    const receipt = await sendContractCall(signer, this.rpc, this.connect(signer), { method, args, value }, this.sendOptions, (error) => this.explain(method, error));
    if (receipt.status !== '0x1') throw new ContractCallError(method, undefined, [], `transaction ${receipt.transactionHash} failed on L1 (reverted or out of gas after its estimate)`);
    const logs = receipt.logs
      .filter((log) => lower(log.address) === this.address)
      .map((log) => decodePlasmaEvent(this.iface, log))
      .filter((event): event is PlasmaEvent => event !== undefined);
    return { hash: receipt.transactionHash, l1Block: BigInt(receipt.blockNumber), logs };
  }

  /** Turns an ethers error into a ContractCallError naming the contract's custom error when there is one. */
  explain(method: string, error: unknown): Error {
    const e = error as { data?: string; revert?: { name: string; args: readonly unknown[] }; shortMessage?: string; info?: { error?: { data?: string } } };
    if (e.revert !== undefined && e.revert !== null) return new ContractCallError(method, e.revert.name, [...e.revert.args], '');
    const data = e.data ?? e.info?.error?.data;
    if (typeof data === 'string' && data.length >= 10) {
      try {
        const parsed = this.iface.parseError(data);
        if (parsed !== null) return new ContractCallError(method, parsed.name, [...parsed.args], '');
      } catch {
        // not one of ours: fall through to the node's message
      }
    }
    return new ContractCallError(method, undefined, [], e.shortMessage ?? (error instanceof Error ? error.message : String(error)));
  }
}
