/**
 * Follows PlasmaCash on L1: reads its events from the block after the cursor up to `head − confirmations`, in
 * bounded ranges, and applies each range with the cursor in one database transaction (db/chain-state.ts). Only
 * blocks at the confirmation depth are read, so an event reorged away before that depth is never seen: no
 * phantom coin. A restart resumes from the cursor.
 */
import { PlasmaError, type Address } from '../../client/protocol/index.ts';
import type { Store } from '../db/store.ts';
import { applyL1Range, readCursor, type BlockMismatch, type ChainEvent } from '../db/chain-state.ts';
import { checkpointAwareInterface } from '../../client/l1/checkpoints.ts';
import { decodePlasmaEvent, eventTopics } from '../../client/l1/events.ts';
import { quantity, type JsonRpc, type RpcLog } from '../../client/l1/rpc.ts';

export interface L1FollowerOptions {
  readonly rpc: JsonRpc;
  readonly store: Store;
  readonly contract: Address;
  /** Blocks on top of an event's block before it is applied; 0 applies the head (devnets). Default 2. */
  readonly confirmations?: number;
  /** L1 blocks per eth_getLogs call and per database transaction. Default 1,000. */
  readonly maxRange?: number;
  /** First L1 block to read when there is no cursor yet (the deployment block). Default 0. */
  readonly startBlock?: bigint;
  readonly pollIntervalMs?: number;
  /** Called with every mismatch between L1 and the database; the default logs it and stops the follower. */
  readonly onMismatch?: (mismatches: readonly BlockMismatch[]) => void;
  /**
   * Called with the highest deposit block of a range as soon as its logs are read, before they are applied: the
   * block loop closes an interval half full of deposits on it, and every millisecond counts in a burst.
   */
  readonly onDeposits?: (lastDeposit: bigint) => void;
  readonly log?: (line: string) => void;
}

export class L1MismatchError extends PlasmaError {
  override name = 'L1MismatchError';
  declare readonly code: 'l1_mismatch';
  readonly mismatches: readonly BlockMismatch[];

  constructor(mismatches: readonly BlockMismatch[]) {
    super(
      'l1_mismatch',
      'L1 holds child blocks that the operator database does not: ' +
        mismatches.map((m) => `block ${m.block} root ${m.l1Root} on L1, ${m.storedRoot ?? 'nothing'} stored`).join('; '),
    );
    this.mismatches = mismatches;
  }
}

export interface PollResult {
  /** L1 blocks applied (inclusive), or undefined when nothing new was confirmed. */
  readonly from?: bigint;
  readonly through?: bigint;
  readonly events: number;
}

const FOLLOWED_EVENTS = ['Deposit', 'BlockSubmitted', 'ExitStarted', 'ExitCancelled', 'ExitFinalized', 'CheckpointSubmitted', 'LeafChallengeOpened'] as const satisfies readonly ChainEvent['name'][];

export class L1Follower {
  readonly #options: L1FollowerOptions;
  readonly #confirmations: bigint;
  readonly #maxRange: bigint;
  readonly #topics: string[][];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failure: L1MismatchError | undefined;

  constructor(options: L1FollowerOptions) {
    const confirmations = options.confirmations ?? 2;
    if (!Number.isInteger(confirmations) || confirmations < 0) throw new RangeError('confirmations must be an integer ≥ 0');
    this.#options = options;
    this.#confirmations = BigInt(confirmations);
    this.#maxRange = BigInt(options.maxRange ?? 1000);
    if (this.#maxRange < 1n) throw new RangeError('maxRange must be ≥ 1');
    // With the checkpoint events of docs/CHECKPOINTS.md §2 even when the shipped artifact predates the module.
    this.#topics = eventTopics(checkpointAwareInterface(), FOLLOWED_EVENTS);
  }

  /** Applies every confirmed range up to the current safe head; resolves with what it applied. */
  async catchUp(): Promise<PollResult> {
    let first: bigint | undefined;
    let last: bigint | undefined;
    let events = 0;
    for (;;) {
      const step = await this.poll();
      if (step.through === undefined) break;
      first ??= step.from;
      last = step.through;
      events += step.events;
    }
    return first === undefined || last === undefined ? { events } : { from: first, through: last, events };
  }

  /** Applies at most one range (≤ maxRange blocks) of confirmed L1 blocks after the cursor. */
  async poll(): Promise<PollResult> {
    const { rpc, store, contract } = this.#options;
    const cursor = (await readCursor(store.sql)) ?? (this.#options.startBlock ?? 0n) - 1n;
    const safeHead = (await rpc.blockNumber()) - this.#confirmations;
    const from = cursor + 1n;
    if (safeHead < from) return { events: 0 };
    const through = safeHead - from + 1n > this.#maxRange ? from + this.#maxRange - 1n : safeHead;
    const logs = await rpc.request<RpcLog[]>('eth_getLogs', [
      { address: contract, fromBlock: quantity(from), toBlock: quantity(through), topics: this.#topics },
    ]);
    const events = logs
      .filter((log) => !log.removed)
      .sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || Number(BigInt(a.logIndex) - BigInt(b.logIndex)))
      .map(decodeEvent);
    // A checkpoint's submittedAt is its L1 block's time (the event carries periodEnd only): one read per checkpoint.
    for (const [k, event] of events.entries()) {
      if (event.name !== 'CheckpointSubmitted') continue;
      const block = await rpc.request<{ timestamp: string }>('eth_getBlockByNumber', [quantity(event.l1Block), false]);
      events[k] = { ...event, submittedAt: BigInt(block.timestamp) };
    }
    const lastDeposit = events.reduce((last, event) => (event.name === 'Deposit' && event.block > last ? event.block : last), 0n);
    if (lastDeposit > 0n) this.#options.onDeposits?.(lastDeposit);
    const mismatches = await applyL1Range(store.sql, { from, through, events });
    if (mismatches.length > 0) {
      const error = new L1MismatchError(mismatches);
      (this.#options.log ?? console.error)(`FATAL ${error.message}`);
      if (this.#options.onMismatch) this.#options.onMismatch(mismatches);
      else throw error;
    }
    return { from, through, events: events.length };
  }

  /** Polls every `pollIntervalMs` (default 1 s) until `stop()`; errors are logged, a mismatch stops it. */
  start(): void {
    if (this.#timer !== undefined || this.#running !== undefined) return;
    const tick = (): void => {
      this.#running = this.catchUp()
        .then(
          () => true,
          (error: unknown) => {
            (this.#options.log ?? console.error)(`L1 follower: ${error instanceof Error ? error.message : String(error)}`);
            if (error instanceof L1MismatchError) this.#failure = error;
            return !(error instanceof L1MismatchError);
          },
        )
        .then((again) => {
          this.#running = undefined;
          if (again && this.#timer !== undefined) this.#timer = setTimeout(tick, this.#options.pollIntervalMs ?? 1000);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Set when a mismatch between L1 and the database stopped the loop: it needs a human (GET /v1/status says so). */
  get failure(): L1MismatchError | undefined {
    return this.#failure;
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

function decodeEvent(log: RpcLog): ChainEvent {
  const event = decodePlasmaEvent(checkpointAwareInterface(), log);
  if (event === undefined || !(FOLLOWED_EVENTS as readonly string[]).includes(event.name)) throw new Error(`unknown PlasmaCash log in ${log.transactionHash}`);
  return event as ChainEvent;
}
