/**
 * Follows PlasmaCash on L1: reads its events from the block after the cursor up to `head − confirmations`, in
 * bounded ranges, and applies each range with the cursor in one database transaction (db/chain-state.ts). Only
 * blocks at the confirmation depth are read, so an event reorged away before that depth is never seen: no
 * phantom coin. A restart resumes from the cursor.
 *
 * A reorg deeper than the confirmation depth can still remove blocks it applied. Every range stores the hash of its
 * last block (the cursor) and of each block it took events from (db/reorg.ts); each poll first compares the
 * cursor's stored hash with L1's. When they differ, the fork point is the newest stored block L1 still holds with
 * the same hash; one transaction rewinds what was applied after it and re-applies the new chain's events up to the
 * old cursor (or the safe head, if lower), and records what changed (/v1/status `reorgs`). A reorg deeper than the
 * hashes kept (`reorgWindow`) stops the follower like a mismatch: it needs a human.
 */
import { PlasmaError, type Address, type Hash } from '../../client/protocol/index.ts';
import type { Store } from '../db/store.ts';
import { applyL1Range, applyL1RangeIn, readCursor, type BlockMismatch, type ChainEvent } from '../db/chain-state.ts';
import { coinStates, recordReorg, rewindTo, slotsAppliedAfter, storedBlockHashes, type BlockHash, type CoinChange, type Rewound } from '../db/reorg.ts';
import { checkpointGameInterface } from '../../client/l1/checkpoint-game.ts';
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
  /** L1 blocks back from the cursor whose hashes are kept to find a fork point: the deepest reorg undone. Default 10,000. */
  readonly reorgWindow?: number;
  /** Called after a deep reorg was undone (the default logs it). */
  readonly onReorg?: (reorg: UndoneReorg) => void;
  readonly log?: (line: string) => void;
}

/** A deep reorg the follower undid: where the chains part, and what it changed. */
export interface UndoneReorg {
  readonly forkBlock: bigint;
  readonly oldCursor: bigint;
  /** The L1 blocks re-applied from the new chain: (forkBlock, reappliedThrough]. */
  readonly reappliedThrough: bigint;
  readonly coins: readonly CoinChange[];
  readonly rewound: Rewound;
}

/** L1 changed below every block hash the follower keeps: it cannot tell what to undo. */
export class L1ReorgTooDeepError extends PlasmaError {
  override name = 'L1ReorgTooDeepError';
  declare readonly code: 'l1_reorg_too_deep';

  constructor(cursor: bigint, oldest: bigint | undefined) {
    super(
      'l1_reorg_too_deep',
      `L1 block ${cursor} (the follower's cursor) changed in a reorg deeper than the block hashes kept` +
        (oldest === undefined ? '' : ` (back to L1 block ${oldest})`) +
        ': the follower stopped; restore the database from a backup taken before the fork, or rebuild it from L1',
    );
  }
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
  /** Set when this poll found the cursor's block changed and rewound to the fork point. */
  readonly reorg?: UndoneReorg;
}

const FOLLOWED_EVENTS = ['Deposit', 'BlockSubmitted', 'ExitStarted', 'ExitCancelled', 'ExitFinalized', 'CheckpointSubmitted', 'LeafChallengeOpened'] as const satisfies readonly ChainEvent['name'][];

/** Ranges shorter than this keep the hash of every block (#readRange). */
const DENSE_RANGE = 16n;

export class L1Follower {
  readonly #options: L1FollowerOptions;
  readonly #confirmations: bigint;
  readonly #maxRange: bigint;
  readonly #topics: string[][];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failure: L1MismatchError | L1ReorgTooDeepError | undefined;

  constructor(options: L1FollowerOptions) {
    const confirmations = options.confirmations ?? 2;
    if (!Number.isInteger(confirmations) || confirmations < 0) throw new RangeError('confirmations must be an integer ≥ 0');
    this.#options = options;
    this.#confirmations = BigInt(confirmations);
    this.#maxRange = BigInt(options.maxRange ?? 1000);
    if (this.#maxRange < 1n) throw new RangeError('maxRange must be ≥ 1');
    // With the checkpoint events of docs/CHECKPOINTS.md §2 even when the shipped artifact predates the module.
    this.#topics = eventTopics(checkpointGameInterface(), FOLLOWED_EVENTS);
  }

  /** Applies every confirmed range up to the current safe head; resolves with what it applied. */
  async catchUp(): Promise<PollResult> {
    let first: bigint | undefined;
    let last: bigint | undefined;
    let events = 0;
    for (;;) {
      const step = await this.poll();
      if (step.reorg !== undefined) continue; // rewound: read on from the fork point
      if (step.through === undefined) break;
      first ??= step.from;
      last = step.through;
      events += step.events;
    }
    return first === undefined || last === undefined ? { events } : { from: first, through: last, events };
  }

  /** Applies at most one range (≤ maxRange blocks) of confirmed L1 blocks after the cursor. */
  async poll(): Promise<PollResult> {
    const { rpc, store } = this.#options;
    const stored = await readCursor(store.sql);
    if (stored !== undefined) {
      const reorg = await this.#checkCursor(stored);
      if (reorg !== undefined) return { events: 0, reorg };
    }
    const cursor = stored ?? (this.#options.startBlock ?? 0n) - 1n;
    const safeHead = (await rpc.blockNumber()) - this.#confirmations;
    const from = cursor + 1n;
    if (safeHead < from) return { events: 0 };
    const through = safeHead - from + 1n > this.#maxRange ? from + this.#maxRange - 1n : safeHead;
    const read = await this.#readRange(from, through);
    if (read === undefined) return { events: 0 }; // L1 reorganized while it was read: the next poll reads again
    const { events, hashes } = read;
    const lastDeposit = events.reduce((last, event) => (event.name === 'Deposit' && event.block > last ? event.block : last), 0n);
    if (lastDeposit > 0n) this.#options.onDeposits?.(lastDeposit);
    const mismatches = await applyL1Range(store.sql, { from, through, events, hashes, keepHashesFrom: through - this.#reorgWindow });
    this.#reportMismatches(mismatches);
    return { from, through, events: events.length };
  }

  get #reorgWindow(): bigint {
    return BigInt(this.#options.reorgWindow ?? 10_000);
  }

  #reportMismatches(mismatches: readonly BlockMismatch[]): void {
    if (mismatches.length === 0) return;
    const error = new L1MismatchError(mismatches);
    (this.#options.log ?? console.error)(`FATAL ${error.message}`);
    if (this.#options.onMismatch) this.#options.onMismatch(mismatches);
    else throw error;
  }

  /**
   * The events of L1 blocks [from, through] and the hashes to keep (through's, and the event blocks'), or
   * undefined when `through`'s hash changed while the logs were read (they may mix two chains).
   */
  async #readRange(from: bigint, through: bigint): Promise<{ events: ChainEvent[]; hashes: BlockHash[] } | undefined> {
    const { rpc, contract } = this.#options;
    const before = await blockHash(rpc, through);
    const logs = await rpc.request<RpcLog[]>('eth_getLogs', [
      { address: contract, fromBlock: quantity(from), toBlock: quantity(through), topics: this.#topics },
    ]);
    // A short range (a follower keeping up: one or two blocks a poll) keeps every block's hash, so the fork point
    // found later is the real one and the reported depth exact; a long catch-up range keeps its last block and
    // event blocks only (a fork point found there is at or below the real one: more is re-applied, same result).
    const hashes = new Map<bigint, Hash>();
    if (through - from < DENSE_RANGE) {
      for (let n = from; n < through; n++) {
        const hash = await blockHash(rpc, n);
        if (hash !== undefined) hashes.set(n, hash);
      }
    }
    const after = await blockHash(rpc, through);
    if (before === undefined || before !== after) return undefined;
    const live = logs
      .filter((log) => !log.removed)
      .sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || Number(BigInt(a.logIndex) - BigInt(b.logIndex)));
    const events = live.map(decodeEvent);
    // A checkpoint's submittedAt is its L1 block's time (the event carries periodEnd only): one read per checkpoint.
    for (const [k, event] of events.entries()) {
      if (event.name !== 'CheckpointSubmitted') continue;
      const block = await rpc.request<{ timestamp: string }>('eth_getBlockByNumber', [quantity(event.l1Block), false]);
      events[k] = { ...event, submittedAt: BigInt(block.timestamp) };
    }
    hashes.set(through, before);
    for (const log of live) if (log.blockHash !== undefined) hashes.set(BigInt(log.blockNumber), log.blockHash.toLowerCase() as Hash);
    return { events, hashes: [...hashes].map(([number, hash]) => ({ number, hash })) };
  }

  /** Undoes a deep reorg when L1's block at the cursor is not the one stored; undefined when it is (or none is stored). */
  async #checkCursor(cursor: bigint): Promise<UndoneReorg | undefined> {
    const { rpc, store } = this.#options;
    const [kept] = await storedBlockHashes(store.sql, cursor, 1);
    if (kept === undefined || kept.number !== cursor) return undefined; // a database from before hashes were kept
    const onL1 = await blockHash(rpc, cursor);
    if (onL1 === kept.hash) return undefined;
    const fork = await this.#forkPoint(cursor);
    return this.#rewind(fork, cursor, kept.hash, onL1);
  }

  /** The newest stored block that L1 still holds with the same hash: every block up to it is shared by both chains. */
  async #forkPoint(cursor: bigint): Promise<bigint> {
    const { rpc, store } = this.#options;
    let below = cursor - 1n;
    let oldest: bigint | undefined;
    for (;;) {
      const page = await storedBlockHashes(store.sql, below, 100);
      if (page.length === 0) throw new L1ReorgTooDeepError(cursor, oldest);
      for (const kept of page) {
        if ((await blockHash(rpc, kept.number)) === kept.hash) return kept.number;
        oldest = kept.number;
      }
      below = page[page.length - 1]!.number - 1n;
    }
  }

  /**
   * One transaction: rewinds to `fork`, re-applies the new chain's events up to the old cursor (or the safe head)
   * and records the reorg with the coins whose state it changed.
   */
  async #rewind(fork: bigint, oldCursor: bigint, oldHash: Hash, newHash: Hash | undefined): Promise<UndoneReorg> {
    const { rpc, store } = this.#options;
    const safeHead = (await rpc.blockNumber()) - this.#confirmations;
    const through = safeHead < oldCursor ? safeHead : oldCursor;
    const read = through > fork ? await this.#readRange(fork + 1n, through) : { events: [], hashes: [] };
    if (read === undefined) throw new Error(`L1 reorganized again while the follower read blocks ${fork + 1n}..${through}; retrying`);
    const reappliedThrough = through > fork ? through : fork;
    const { undone, mismatches } = await store.sql.begin(async (tx) => {
      const [row] = await tx<{ block: string }[]>`select block from l1_cursor for update`;
      if (row === undefined || BigInt(row.block) !== oldCursor) throw new Error(`the L1 cursor moved from ${oldCursor} while a reorg was undone (a second follower?)`);
      const eventSlots = read.events.flatMap((event) => ('slot' in event && event.name !== 'LeafChallengeOpened' ? [event.slot] : []));
      const slots = [...new Set([...(await slotsAppliedAfter(tx, fork)), ...eventSlots])];
      const before = await coinStates(tx, slots);
      const rewound = await rewindTo(tx, fork);
      const mismatches = through > fork ? await applyL1RangeIn(tx, { from: fork + 1n, through, events: read.events, hashes: read.hashes }) : [];
      const after = await coinStates(tx, slots);
      const coins = slots.flatMap((slot) => (before.get(slot) === after.get(slot) ? [] : [{ slot, before: before.get(slot)!, after: after.get(slot)! }]));
      await recordReorg(tx, { forkBlock: fork, oldCursor, oldHash, ...(newHash === undefined ? {} : { newHash }), coins, rewound });
      const undone: UndoneReorg = { forkBlock: fork, oldCursor, reappliedThrough, coins, rewound };
      return { undone, mismatches };
    });
    const report = this.#options.onReorg ?? ((reorg: UndoneReorg) => (this.#options.log ?? console.error)(describeReorg(reorg)));
    report(undone);
    this.#reportMismatches(mismatches);
    return undone;
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
            const fatal = error instanceof L1MismatchError || error instanceof L1ReorgTooDeepError;
            if (fatal) this.#failure = error;
            return !fatal;
          },
        )
        .then((again) => {
          this.#running = undefined;
          if (again && this.#timer !== undefined) this.#timer = setTimeout(tick, this.#options.pollIntervalMs ?? 1000);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Set when a mismatch between L1 and the database, or a reorg too deep to undo, stopped the loop: it needs a human (GET /v1/status says so). */
  get failure(): L1MismatchError | L1ReorgTooDeepError | undefined {
    return this.#failure;
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

function decodeEvent(log: RpcLog): ChainEvent {
  const event = decodePlasmaEvent(checkpointGameInterface(), log);
  if (event === undefined || !(FOLLOWED_EVENTS as readonly string[]).includes(event.name)) throw new Error(`unknown PlasmaCash log in ${log.transactionHash}`);
  return event as ChainEvent;
}

/** The hash of L1 block `number`, or undefined when L1 has no such block (its chain is shorter now). */
async function blockHash(rpc: JsonRpc, number: bigint): Promise<Hash | undefined> {
  const block = await rpc.request<{ hash: string } | null>('eth_getBlockByNumber', [quantity(number), false]);
  return block === null ? undefined : (block.hash.toLowerCase() as Hash);
}

/** One log line for an undone reorg: its depth, fork point and the coins it changed. */
export function describeReorg(reorg: UndoneReorg): string {
  const coins = reorg.coins.map((c) => `${c.slot} ${c.before} → ${c.after}`).join(', ') || 'none';
  return (
    `L1 reorg deeper than the confirmation depth: L1 block ${reorg.oldCursor} changed; rewound to the fork point ${reorg.forkBlock} ` +
    `(depth ${reorg.oldCursor - reorg.forkBlock}) and re-applied L1 blocks up to ${reorg.reappliedThrough}; ` +
    `${reorg.rewound.deposits.length} deposit(s) and ${reorg.rewound.exitEvents.length} exit event(s) undone; coins changed: ${coins}`
  );
}
