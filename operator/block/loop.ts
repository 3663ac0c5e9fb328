/**
 * The operator's block loop: passes that claim blocks, never two at once.
 *
 * A pass runs once acceptance goes quiet: `blockQuietMs` after the last transfer accepted (noteAccepted, called
 * by the HTTP API), so a lone transfer or the end of a burst gets its block at once instead of at the next tick.
 * Each acceptance pushes that pass back, but never past the block interval after the previous pass: a steady
 * stream, which is never quiet, is cut into a big block every interval. A pass also runs every interval with
 * nothing accepted (deposits, reconcile), and at once when the transfers accepted since the last claim fill a
 * block. A pass (1) waits for the previous block to be persisted, and for the one before it to be committed,
 * (2) after a start or a failure, waits for every block in flight, then finishes what a crash left: 'built' blocks
 * are persisted (finishBuiltBlocks) and every unconfirmed block is driven to L1 (committer.resume()), (3) claims
 * the next block. The claimed block's tree and persistence then run in the background, so transfers naming it are
 * accepted while they do, and its L1 commit is queued behind the previous block's: commits run one at a time, in
 * block order, as the committer requires, while the next block is claimed and persisted (a pipeline of depth two:
 * at most two claimed blocks are not yet on L1, the one committing and the one behind it). A block whose
 * persistence or an earlier commit failed is not committed by the queue: the next pass resumes it.
 * A pass with no commit in flight also checks that L1 still holds the confirmed blocks (committer.reconcile());
 * with one in flight, the commit of the block the pass claims does (it refuses to sign past a block missing on
 * L1: BlockGapError, then resume). Errors are logged and the next pass retries; the bookkeeping of each step makes
 * a retry safe.
 *
 * Deposits stay open (deposits.ts): a pass claims a block, empty if no transfer is pending, when half of the
 * interval's deposit numbers are used, and when a deposit came after the last claimed child block and no block
 * was claimed for depositWaitMs (default: the block interval, so once per interval while a deposit waits). A
 * pass starts at once when the deposits the L1 follower read reach the half mark (noteDeposit), as it does for
 * a full block of transfers.
 */
import type { OperatorConfig } from '../config.ts';
import type { Store } from '../db/store.ts';
import type { Log } from '../log.ts';
import { errorMessage } from '../../client/error-message.ts';
import { claimNextBlock, finishBuiltBlocks } from './builder.ts';
import { L1RootConflictError, type BlockCommitter } from './committer.ts';
import { DEPOSIT_HALF_MARK, depositBlockDue, depositsAfter } from './deposits.ts';

/** The clock that schedules passes (tests pass a fake one). */
export interface LoopTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: LoopTimers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The steps of a block the loop times: claim (membership stored), persist (tree, root, proofs), commit (on L1). */
export type BlockPhase = 'claim' | 'persist' | 'commit';

/** What the loop reports about its blocks; the service wires it to /metrics (operator/http/metrics.ts). */
export interface BlockLoopMetrics {
  /** Starts timing a step of a block; the returned function ends it. */
  startPhase(phase: BlockPhase): () => void;
  /** Transfers put into a block. */
  blockTransfers(count: number): void;
}

export interface BlockLoopDeps {
  /** Without blockQuietMs a pass waits for the interval or a full block (the quiet trigger is off). */
  readonly config: Pick<OperatorConfig, 'blockSize' | 'blockIntervalMs'> & Partial<Pick<OperatorConfig, 'depositWaitMs' | 'blockQuietMs'>>;
  readonly store: Store;
  readonly committer: Pick<BlockCommitter, 'reconcile' | 'resume' | 'commit'>;
  readonly log: Log;
  /** Where the time of each step goes (the service wires in the app's /metrics). */
  readonly metrics?: BlockLoopMetrics;
  /** Schedules the passes; default the real setTimeout. The stop() grace always runs on real time. */
  readonly timers?: LoopTimers;
}

export interface BlockLoop {
  /** `count` more transfers were made durable: a full block's worth starts the next pass without waiting. */
  noteAccepted(count: number): void;
  /** The L1 follower read deposits up to block `block`: half an interval's worth starts the next pass at once. */
  noteDeposit(block: bigint): void;
  /** Resolves once a pass that starts after this call, and the block it claimed, are finished. */
  nextPass(): Promise<void>;
  /** Stops scheduling passes and waits up to graceMs for the running one and its block. */
  stop(graceMs: number): Promise<void>;
}

export function startBlockLoop({ config, store, committer, log, metrics, timers = REAL_TIMERS }: BlockLoopDeps): BlockLoop {
  let stopped = false;
  let timer: unknown;
  /** When the armed timer fires (meaningful while `timer` is set). */
  let timerDueAt = timers.now();
  let running: Promise<void> | undefined;
  /** Persisting the last claimed block (never rejects: a failure is reported); undefined once a pass waited for it. */
  let persisting: Promise<void> | undefined;
  /** The last claimed block persisted and committed: the tail of the commit queue (never rejects). */
  let lastBlock: Promise<void> | undefined;
  /** The block claimed before it, done likewise; the next pass waits for it before claiming (depth two). */
  let blockBefore: Promise<void> | undefined;
  /** Blocks claimed whose commit has not ended (a pass reconciles itself only when none is). */
  let committing = 0;
  let needResume = true;
  let waiters: (() => void)[] = [];
  /** Transfers accepted since the last claim, as told by noteAccepted: a hint (pending rows are the truth). */
  let acceptedSinceClaim = 0;
  const blockIsFull = (): boolean => acceptedSinceClaim >= config.blockSize;
  /** The last child block claimed, and the highest deposit in the database or noted by the follower (read from L1, maybe not stored yet). */
  let lastChild: bigint | undefined;
  let lastDeposit = 0n;
  const depositsAtHalf = (): boolean => lastChild !== undefined && depositsAfter({ lastChild, lastDeposit }) >= DEPOSIT_HALF_MARK;
  const depositWaitMs = config.depositWaitMs ?? config.blockIntervalMs;
  /** When the last block was claimed; the start counts as one (a waiting deposit gets a block depositWaitMs after it). */
  let lastClaimAt = timers.now();
  const passDue = (): boolean => blockIsFull() || depositsAtHalf();
  /** A failed pass waits the interval before the next, even with a full block waiting (no hot retry loop). */
  let lastPassFailed = false;
  /** An interval after the previous pass ended: the latest the next pass may start, however busy acceptance is. */
  let intervalDueAt = timers.now();
  let lastAcceptedAt = 0;
  const quietMs = config.blockQuietMs;

  /** When the next pass should start, from the rules in the header. */
  const nextPassAt = (): number => {
    if (lastPassFailed) return intervalDueAt;
    if (passDue()) return timers.now();
    if (quietMs !== undefined && acceptedSinceClaim > 0) return Math.min(intervalDueAt, lastAcceptedAt + quietMs);
    return intervalDueAt;
  };
  /** (Re)arms the timer for nextPassAt(); only between passes (a running pass arms it when it ends). */
  const arm = (): void => {
    const at = nextPassAt();
    if (timer !== undefined) {
      if (at === timerDueAt) return;
      timers.clearTimeout(timer);
    }
    timerDueAt = at;
    timer = timers.setTimeout(tick, Math.max(0, at - timers.now()));
  };

  const reportFailure = (error: unknown): void => {
    needResume = true;
    if (stopped) return;
    log.error('block loop pass failed; retrying on the next interval', { error: errorMessage(error), fatal: error instanceof L1RootConflictError });
  };

  const pass = async (): Promise<void> => {
    // Failures of these were reported when they happened and set needResume.
    if (blockBefore !== undefined) {
      const before = blockBefore;
      blockBefore = undefined;
      await before;
    }
    if (persisting !== undefined) {
      const previous = persisting;
      persisting = undefined;
      await previous;
    }
    // A reorg deeper than the confirmation depth can drop a block counted as confirmed: one eth_call per pass
    // notices it (nextChildBlock below a confirmed number) and the resume below commits it again. With a commit in
    // flight the check would race it; the commit of the block claimed below checks L1 instead (BlockGapError).
    if (!needResume && committing === 0 && (await committer.reconcile()).length > 0) needResume = true;
    if (needResume && lastBlock !== undefined) {
      // Nothing may be committing while resume() drives the unconfirmed blocks (the queue skips what follows a failure).
      const tail = lastBlock;
      lastBlock = undefined;
      await tail;
    }
    if (needResume) {
      const finished = await finishBuiltBlocks(store);
      if (finished.length > 0) log.info('persisted blocks left built by a stop', { blocks: finished.map((block) => block.number.toString()) });
      const resumed = await committer.resume();
      if (resumed.length > 0) log.info('resumed unconfirmed blocks', { blocks: resumed.map(String) });
      needResume = false;
    }
    if (stopped) return;
    // The follower's note may be ahead of the database (it notes deposits before it stores them).
    const stored = await store.depositInterval();
    if (stored.lastDeposit > lastDeposit) lastDeposit = stored.lastDeposit;
    lastChild = stored.lastChild;
    const deposits = { lastChild, lastDeposit };
    const due = depositBlockDue(deposits);
    const forDeposits = due === 'half' || (due === 'waiting' && timers.now() - lastClaimAt >= depositWaitMs) ? due : undefined;
    const timeClaim = metrics?.startPhase('claim');
    const claimed = await claimNextBlock(store, { maxTransactions: config.blockSize, allowEmpty: forDeposits !== undefined });
    if (claimed !== undefined) {
      timeClaim?.();
      metrics?.blockTransfers(claimed.txCount);
      lastChild = claimed.number;
      lastClaimAt = timers.now();
      if (claimed.txCount === 0) {
        log.info('empty block claimed for deposits', { block: claimed.number.toString(), rule: forDeposits, deposits: depositsAfter(deposits).toString() });
      }
    }
    acceptedSinceClaim = Math.max(0, acceptedSinceClaim - (claimed?.txCount ?? acceptedSinceClaim));
    if (claimed === undefined) return;
    const persisted = (async () => {
      const timePersist = metrics?.startPhase('persist');
      const built = await claimed.persist();
      timePersist?.();
      log.info('block built', { block: built.number.toString(), transfers: built.txCount, root: built.root });
      return true;
    })().catch((error: unknown) => {
      reportFailure(error);
      return false;
    });
    persisting = persisted.then(() => undefined);
    const previous = lastBlock;
    committing += 1;
    blockBefore = previous;
    lastBlock = (async () => {
      try {
        const ok = await persisted;
        await previous;
        // A failure before it (this block's persistence, an earlier commit) leaves it to the next pass's resume.
        if (!ok || needResume) return;
        const timeCommit = metrics?.startPhase('commit');
        await committer.commit(claimed.number);
        timeCommit?.();
        log.info('block committed', { block: claimed.number.toString() });
      } catch (error) {
        reportFailure(error);
      } finally {
        committing -= 1;
      }
    })();
  };

  const tick = (): void => {
    timer = undefined;
    const done = waiters;
    waiters = [];
    lastPassFailed = false;
    running = pass()
      .catch((error: unknown) => {
        lastPassFailed = true;
        reportFailure(error);
      })
      .finally(() => {
        running = undefined;
        void (lastBlock ?? Promise.resolve()).finally(() => {
          for (const resolve of done) resolve();
        });
        intervalDueAt = timers.now() + config.blockIntervalMs;
        if (!stopped) arm();
      });
  };
  timer = timers.setTimeout(tick, 0); // the first pass at once (it finishes what a stop left)

  /** Between passes, moves the next one to when the rules now want it (sooner for a full block or quiet). */
  const rearm = (): void => {
    if (running === undefined && timer !== undefined && !stopped) arm();
  };

  return {
    noteAccepted(count: number): void {
      acceptedSinceClaim += count;
      lastAcceptedAt = timers.now();
      rearm();
    },
    noteDeposit(block: bigint): void {
      if (block > lastDeposit) lastDeposit = block;
      rearm();
    },
    nextPass: () => new Promise<void>((resolve) => waiters.push(resolve)),
    async stop(graceMs: number): Promise<void> {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      const busy = [running, lastBlock].filter((work) => work !== undefined);
      if (busy.length > 0) {
        let grace: NodeJS.Timeout | undefined;
        const expired = new Promise<'expired'>((resolve) => (grace = setTimeout(() => resolve('expired'), graceMs)));
        // `running` may still claim a block after this: wait for it first, then for the commit queue's tail.
        const finished = (async () => {
          await running;
          await lastBlock;
          return 'done' as const;
        })();
        const outcome = await Promise.race([finished, expired]);
        clearTimeout(grace);
        if (outcome === 'expired') log.warn('a block was still being built or committed at shutdown; the next start finishes it', { graceMs });
      }
      for (const resolve of waiters.splice(0)) resolve();
    },
  };
}
