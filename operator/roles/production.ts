/**
 * What the active producer runs, for one term: the L1 follower, the committer, the block loop (block/loop.ts) and
 * the checkpoint scheduler and answerer. Everything writes through `store`, which for an elected producer is a
 * pool fenced to its term (election.ts): once the term ends, every block-stage write it still attempts is refused
 * by the database. A new term starts from what is stored: the block loop's first pass persists 'built' blocks and
 * drives every unconfirmed one to L1 from its stored stage (committer.resume()), the follower reads from its
 * cursor, the checkpoint scheduler restores its tree.
 */
import type { TransactionDomain } from '../../client/protocol/index.ts';
import { callPlasmaCash } from '../../client/l1/contract.ts';
import { contractHasCheckpoints } from '../../client/l1/checkpoints.ts';
import type { JsonRpc } from '../../client/l1/rpc.ts';
import { BlockCommitter } from '../block/committer.ts';
import { startBlockLoop, type BlockLoopMetrics } from '../block/loop.ts';
import { L1Follower } from '../chain/follower.ts';
import { startAnswerer } from '../checkpoint/answerer.ts';
import { CheckpointBuilder } from '../checkpoint/builder.ts';
import { defaultCheckpointEveryBlocks, startCheckpointScheduler } from '../checkpoint/scheduler.ts';
import type { OperatorConfig } from '../config.ts';
import type { Store } from '../db/store.ts';
import type { Log } from '../log.ts';
import { CleanupStack } from '../cleanup-stack.ts';

export interface ProductionDeps {
  readonly config: OperatorConfig;
  readonly rpc: JsonRpc;
  readonly domain: TransactionDomain;
  readonly store: Store;
  readonly log: Log;
  readonly metrics?: BlockLoopMetrics;
  /** How long stop() waits for a block-loop pass in flight. */
  readonly stopGraceMs: number;
}

export interface Production {
  /** Transfers made durable (by this process's API or, via NOTIFY, another's): a full block starts a pass. */
  noteAccepted(count: number): void;
  nextPass(): Promise<void>;
  /** Why the follower stopped (an L1/database mismatch), if it did. */
  readonly followerFailure: Error | undefined;
  /** Stops every component; a pass in flight gets `graceMs` (default the deps' stopGraceMs). */
  stop(graceMs?: number): Promise<void>;
}

export async function startProduction({ config, rpc, domain, store, log, metrics, stopGraceMs }: ProductionDeps): Promise<Production> {
  const cleanup = new CleanupStack(log, 'producer shutdown step failed');
  let graceMs = stopGraceMs;
  const stop = async (grace?: number): Promise<void> => {
    if (grace !== undefined) graceMs = grace;
    await cleanup.unwind();
  };
  try {
    const follower = new L1Follower({
      rpc,
      store,
      contract: config.contract,
      confirmations: config.confirmations,
      startBlock: BigInt(config.l1StartBlock),
      pollIntervalMs: config.l1PollIntervalMs,
      log: log.line('follower'),
      // Deposits past half an interval's numbers start a block-loop pass at once (block/deposits.ts). The first
      // poll runs on a timer, after `loop` below is assigned.
      onDeposits: (lastDeposit) => loop.noteDeposit(lastDeposit),
    });
    follower.start();
    cleanup.push(() => follower.stop());

    const committer = new BlockCommitter({
      rpc,
      store,
      contract: config.contract,
      operatorKey: config.operatorKey,
      confirmations: config.confirmations,
      timeoutMs: 120_000,
      replaceAfterMs: config.l1ReplaceAfterMs,
      log: log.line('committer'),
    });
    log.info('operator account', { address: committer.address });
    const loop = startBlockLoop({ config, store, committer, log, ...(metrics === undefined ? {} : { metrics }) });
    cleanup.push(() => loop.stop(graceMs));

    // Checkpoints (PROTOCOL.md §10): built on the worker threads beside the block loop, submitted through the
    // committer (one signer, one nonce sequence). Every --checkpoint-every-blocks child blocks; by default the
    // child blocks in one RESPONSE_PERIOD at the block interval; 0 disables them.
    const responsePeriod = BigInt((await callPlasmaCash(rpc, config.contract, 'RESPONSE_PERIOD'))[0]);
    const everyBlocks = config.checkpointEveryBlocks ?? defaultCheckpointEveryBlocks(responsePeriod, config.blockIntervalMs);
    if (everyBlocks > 0 && !(await contractHasCheckpoints(rpc, config.contract))) {
      log.warn('checkpoints off: PlasmaCash at this address has no checkpoint module (checkpointCount() does not answer)', { contract: config.contract });
    } else if (everyBlocks > 0) {
      const builder = new CheckpointBuilder({ store, domain, log: log.line('checkpoints') });
      const scheduler = startCheckpointScheduler({
        store, builder, committer, rpc, contract: config.contract, operator: committer.address, everyBlocks, confirmations: config.confirmations,
        l1StartBlock: BigInt(config.l1StartBlock), pollMs: Math.max(1000, config.blockIntervalMs), log,
      });
      cleanup.push(() => scheduler.stop());
      // Challenges of its own leaves, answered within RESPONSE_PERIOD (a warning below a quarter of it left).
      const answerer = startAnswerer({
        store, domain, committer, rpc, contract: config.contract, operator: committer.address,
        marginSeconds: responsePeriod / 4n, pollMs: Math.max(1000, config.l1PollIntervalMs), log,
      });
      cleanup.push(() => answerer.stop());
      log.info('checkpoints scheduled', { everyBlocks, responsePeriodSeconds: responsePeriod.toString() });
    } else {
      log.info('checkpoints disabled (--checkpoint-every-blocks 0)');
    }
    return {
      noteAccepted: (count) => loop.noteAccepted(count),
      nextPass: () => loop.nextPass(),
      get followerFailure() {
        return follower.failure;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
