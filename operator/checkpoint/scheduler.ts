/**
 * Checkpoints on a schedule (PROTOCOL.md §10, docs/CHECKPOINTS.md §5), beside the block loop and never in its way:
 * the tree is built on the worker threads (builder.ts) and submitCheckpoint goes through the committer's
 * store-then-send path (block/committer.ts commitCall: signed bytes stored before they are sent, re-sent after a
 * crash, replaced with higher fees when pending too long; signing is serialized with the block submissions, so
 * the two never take one nonce).
 *
 * Each round (every `pollMs`):
 * - a checkpoint built but not yet submitted is driven to L1 once it is due (abandoned when L1 already holds a
 *   checkpoint at or after its block);
 * - otherwise, when the newest confirmed child block N is at least `everyBlocks` child blocks after the last
 *   checkpoint and the last submission is at least RESPONSE_PERIOD old on L1 (its CheckpointSubmitted's
 *   periodEnd − EXIT_PERIOD, both periods read from the contract), the follower is awaited past N (its deposits
 *   are in the database), the checkpoint at N is built and submitted.
 */
import { pollRounds } from './rounds.ts';
import { PlasmaError, type Address, type Hash } from '../../client/protocol/index.ts';
import { callPlasmaCash } from '../../client/l1/contract.ts';
import { encodeSubmitCheckpoint, findCheckpointSubmitted, simulateCall } from '../../client/l1/checkpoints.ts';
import type { JsonRpc } from '../../client/l1/rpc.ts';
import type { BlockCommitter, StoredCall, StoredCallStatus } from '../block/committer.ts';
import { readCursor } from '../db/chain-state.ts';
import {
  checkpointById,
  latestSubmittedCheckpoint,
  setCheckpointStatus,
  submittedNotFollowed,
  unsubmittedCheckpoints,
  type CheckpointRecord,
  type CheckpointStatus,
} from '../db/checkpoints.ts';
import type { Store } from '../db/store.ts';
import { latestCommittedBlock } from '../db/transfers.ts';
import type { Log } from '../log.ts';
import { errorMessage } from '../../client/error-message.ts';
import type { CheckpointBuilder } from './builder.ts';

const CHILD_BLOCK_INTERVAL = 1000n;

/** The default spacing: the child blocks in one RESPONSE_PERIOD at the block interval, at least 1. */
export function defaultCheckpointEveryBlocks(responsePeriodSeconds: bigint, blockIntervalMs: number): number {
  return Math.max(1, Math.floor((Number(responsePeriodSeconds) * 1000) / blockIntervalMs));
}

/** L1 already holds a checkpoint at or after this one's block: it can never be submitted. */
export class CheckpointSupersededError extends PlasmaError {
  override name = 'CheckpointSupersededError';
  declare readonly code: 'checkpoint_superseded';
  constructor(id: number, block: bigint, onL1: bigint) {
    super('checkpoint_superseded', `checkpoint ${id} (block ${block}) cannot be submitted: L1 holds a checkpoint at block ${onL1} already`);
  }
}

/** L1 would refuse the submission now (an eth_call of it reverts): nothing is signed; the next round tries again. */
export class CheckpointRefusedError extends PlasmaError {
  override name = 'CheckpointRefusedError';
  declare readonly code: 'checkpoint_refused';
  constructor(id: number, block: bigint, reason: string) {
    super('checkpoint_refused', `checkpoint ${id} (block ${block}): submitCheckpoint would revert now (${reason}); not sent`);
  }
}

/** L1 holds another root for the child block of a checkpoint the operator built: never overwritten, needs a human. */
export class CheckpointConflictError extends PlasmaError {
  override name = 'CheckpointConflictError';
  declare readonly code: 'checkpoint_conflict';
  constructor(block: bigint, l1Root: Hash, root: Hash) {
    super('checkpoint_conflict', `L1 holds checkpoint root ${l1Root} for child block ${block}, the database ${root}`);
  }
}

const TO_CALL: Record<CheckpointStatus, StoredCallStatus> = { built: 'persisted', signed: 'signed', broadcast: 'broadcast', submitted: 'confirmed', abandoned: 'confirmed' };
const TO_DB: Record<StoredCallStatus, CheckpointStatus> = { persisted: 'built', signed: 'signed', broadcast: 'broadcast', confirmed: 'submitted' };

export interface CheckpointSchedulerDeps {
  readonly store: Store;
  readonly builder: CheckpointBuilder;
  readonly committer: Pick<BlockCommitter, 'commitCall'>;
  readonly rpc: JsonRpc;
  readonly contract: Address;
  /** The operator's address (submitCheckpoint is simulated from it before it is signed). */
  readonly operator: Address;
  /** A checkpoint at most every this many child blocks (> 0). */
  readonly everyBlocks: number;
  /** The follower's depth: a checkpoint waits until the follower applied L1 up to head − confirmations. */
  readonly confirmations: number;
  /** Where CheckpointSubmitted logs are searched from (the deployment block). */
  readonly l1StartBlock: bigint;
  readonly pollMs: number;
  readonly log: Log;
}

export type RoundOutcome = 'disabled' | 'not_due' | 'too_soon' | 'waiting_for_follower' | 'submitted' | 'abandoned';

export interface CheckpointScheduler {
  /** One round now (tests); rounds never overlap. */
  round(): Promise<RoundOutcome>;
  stop(): Promise<void>;
}

/** The StoredCall of a checkpoint's submitCheckpoint, its state in the checkpoints table. */
export function checkpointCall(deps: Pick<CheckpointSchedulerDeps, 'store' | 'rpc' | 'contract' | 'operator' | 'l1StartBlock'>, record: CheckpointRecord): StoredCall {
  const { sql } = deps.store;
  const data = encodeSubmitCheckpoint(record.block, record.root);
  return {
    label: `checkpoint ${record.id} (block ${record.block})`,
    data,
    gasLimit: 250_000n,
    load: async () => {
      const row = await checkpointById(sql, record.id);
      if (row === undefined) throw new Error(`checkpoint ${record.id} is not stored`);
      return { status: TO_CALL[row.status], ...(row.rawTx === undefined ? {} : { rawTx: row.rawTx }), ...(row.txHash === undefined ? {} : { txHash: row.txHash }) };
    },
    save: (status, l1) => setCheckpointStatus(sql, record.id, TO_DB[status], l1),
    onL1: async () => {
      const logs = await findCheckpointSubmitted(deps.rpc, deps.contract, record.block, deps.l1StartBlock);
      if (logs.length === 0) return false;
      const ours = logs.find((log) => log.root === record.root.toLowerCase());
      if (ours === undefined) throw new CheckpointConflictError(record.block, logs[0]!.root, record.root);
      return true;
    },
    checkReady: async () => {
      const last = await latestSubmittedCheckpoint(sql);
      if (last !== undefined && last.id !== record.id && last.block >= record.block) throw new CheckpointSupersededError(record.id, record.block, last.block);
      // A doomed submission (too soon, a block L1 cannot take) is never signed: it would only burn gas.
      const refusal = await simulateCall(deps.rpc, deps.operator, deps.contract, data);
      if (refusal !== undefined) throw new CheckpointRefusedError(record.id, record.block, refusal);
    },
  };
}

export function startCheckpointScheduler(deps: CheckpointSchedulerDeps): CheckpointScheduler {
  const { store, rpc, contract, log } = deps;
  let periods: { responsePeriod: bigint; exitPeriod: bigint } | undefined;

  const l1Now = async (): Promise<bigint> => BigInt((await rpc.request<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false])).timestamp);

  /** L1 time from which the next submission is accepted (0: none yet), or undefined while the follower has not seen the last one. */
  const readyAt = async (): Promise<bigint | undefined> => {
    periods ??= {
      responsePeriod: BigInt((await callPlasmaCash(rpc, contract, 'RESPONSE_PERIOD'))[0]),
      exitPeriod: BigInt((await callPlasmaCash(rpc, contract, 'EXIT_PERIOD'))[0]),
    };
    // A submission the committer saw confirmed but whose CheckpointSubmitted the follower has not applied yet
    if (await submittedNotFollowed(store.sql)) return undefined;
    const last = await latestSubmittedCheckpoint(store.sql);
    if (last?.periodEnd === undefined) return 0n;
    return last.periodEnd - periods.exitPeriod + periods.responsePeriod;
  };

  const submit = async (record: CheckpointRecord): Promise<RoundOutcome> => {
    try {
      await deps.committer.commitCall(checkpointCall(deps, record));
      log.info('checkpoint submitted', { checkpoint: record.id, block: record.block.toString(), root: record.root });
      return 'submitted';
    } catch (error) {
      if (!(error instanceof CheckpointSupersededError)) throw error;
      await setCheckpointStatus(store.sql, record.id, 'abandoned');
      log.warn('checkpoint abandoned', { checkpoint: record.id, error: error.message });
      return 'abandoned';
    }
  };

  const round = async (): Promise<RoundOutcome> => {
    const due = await readyAt();
    if (due === undefined) return 'waiting_for_follower';
    const [pending] = await unsubmittedCheckpoints(store.sql);
    if (pending !== undefined) {
      if (pending.status === 'built' && (await l1Now()) < due) return 'too_soon';
      return submit(pending);
    }
    const confirmed = await latestCommittedBlock(store.sql);
    const last = await deps.builder.latest();
    if (confirmed === undefined || confirmed.number - (last?.block ?? 0n) < BigInt(deps.everyBlocks) * CHILD_BLOCK_INTERVAL) return 'not_due';
    if ((await l1Now()) < due) return 'too_soon';
    // The deposits numbered before N were mined before N's submitBlock, which is confirmed: once the follower has
    // applied L1 up to head − confirmations (read after N was confirmed), they are all in the database.
    const safeHead = (await rpc.blockNumber()) - BigInt(deps.confirmations);
    for (;;) {
      const cursor = await readCursor(store.sql);
      if (cursor !== undefined && cursor >= safeHead) break;
      if (rounds.stopped) return 'waiting_for_follower';
      await new Promise((resolve) => setTimeout(resolve, Math.min(deps.pollMs, 500)));
    }
    const record = await deps.builder.build(confirmed.number);
    return submit(record);
  };

  const rounds = pollRounds(round, deps.pollMs, (error: unknown) =>
    log.error('checkpoint round failed; retrying on the next one', { error: errorMessage(error), fatal: error instanceof CheckpointConflictError }),
  );
  return { round: rounds.round, stop: rounds.stop };
}

