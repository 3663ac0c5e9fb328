/**
 * Answers challenges of the operator's own checkpoint leaves on its own (docs/CHECKPOINTS.md §5): the follower
 * records each LeafChallengeOpened of its checkpoints (leaf_challenges, migrations/0006); each round this plans
 * the answer of every open one from the database (answers.ts) and sends the planned calls one after the other
 * through the committer's stored-transaction path (signed bytes stored before they are sent, re-sent after a
 * crash, replaced when pending too long; serialized with the block and checkpoint submissions). A call counts as
 * done once its event is on L1 (LeafRevealed / LeafChallengeDismissed for the challenge, CheckpointApplied for the
 * base). A call L1 would refuse now (eth_call reverts) is not signed; it is tried again next round until the
 * challenge's dueAt passes (expired). A challenge with no honest answer (the claim is not the chain's) means the
 * operator's own leaf is wrong: logged as an error (cannot), nothing sent.
 */
import { pollRounds } from './rounds.ts';
import { PlasmaError, type Address, type Hex } from '../../client/protocol/index.ts';
import { checkpointGameInterface } from '../../client/l1/checkpoint-game.ts';
import { simulateCall } from '../../client/l1/checkpoints.ts';
import { quantity, type JsonRpc, type RpcLog } from '../../client/l1/rpc.ts';
import type { BlockCommitter, StoredCall } from '../block/committer.ts';
import { challengesToAnswer, leafChallenge, updateLeafChallenge, type StoredLeafChallenge } from '../db/checkpoints.ts';
import type { Store } from '../db/store.ts';
import type { Log } from '../log.ts';
import { errorMessage } from '../../client/error-message.ts';
import type { TransactionDomain } from '../../client/protocol/index.ts';
import { planLeafAnswer } from './answers.ts';

export class AnswerRefusedError extends PlasmaError {
  override name = 'AnswerRefusedError';
  declare readonly code: 'answer_refused';
  constructor(label: string, reason: string) {
    super('answer_refused', `${label}: L1 would refuse it now (${reason}); not sent`);
  }
}

export interface AnswererDeps {
  readonly store: Store;
  readonly domain: TransactionDomain;
  readonly committer: Pick<BlockCommitter, 'commitCall'>;
  readonly rpc: JsonRpc;
  readonly contract: Address;
  readonly operator: Address;
  /** Warn when an answer goes out with less than this many seconds before its dueAt. */
  readonly marginSeconds: bigint;
  readonly pollMs: number;
  readonly log: Log;
}

export interface Answerer {
  /** One round now (tests); rounds never overlap. */
  round(): Promise<void>;
  stop(): Promise<void>;
}

/** The event that shows a call's effect on L1, by the call's selector. */
function effectTopics(challenge: StoredLeafChallenge, data: Hex): (string | null)[] {
  const iface = checkpointGameInterface();
  const word = (value: bigint | string): string => (typeof value === 'string' ? value : `0x${value.toString(16).padStart(64, '0')}`);
  const name = iface.parseTransaction({ data })!.name;
  if (name === 'applyCheckpoint') return [iface.getEvent('CheckpointApplied')!.topicHash, word(challenge.slot)];
  const event = name === 'dismissLeafHistory' ? 'LeafChallengeDismissed' : 'LeafRevealed';
  return [iface.getEvent(event)!.topicHash, word(challenge.k), word(challenge.slot), word(challenge.challengeId)];
}

export function answerCall(deps: Pick<AnswererDeps, 'store' | 'rpc' | 'contract' | 'operator'>, challenge: StoredLeafChallenge): StoredCall {
  const data = challenge.calls[challenge.step]!;
  const label = `answer to ${challenge.challengeId} (slot ${challenge.slot}, checkpoint ${challenge.k}, call ${challenge.step + 1} of ${challenge.calls.length})`;
  return {
    label,
    data,
    gasLimit: 800_000n,
    load: async () => {
      const row = await leafChallenge(deps.store.sql, challenge.k, challenge.slot, challenge.challengeId);
      return { status: row.txStatus, ...(row.rawTx === undefined ? {} : { rawTx: row.rawTx }), ...(row.txHash === undefined ? {} : { txHash: row.txHash }) };
    },
    save: (status, l1) => updateLeafChallenge(deps.store.sql, challenge, { txStatus: status, ...(l1?.rawTx === undefined ? {} : { rawTx: l1.rawTx }), ...(l1?.txHash === undefined ? {} : { txHash: l1.txHash }) }),
    onL1: async () => {
      const logs = await deps.rpc.request<RpcLog[]>('eth_getLogs', [{ address: deps.contract, fromBlock: quantity(challenge.l1Block), toBlock: 'latest', topics: effectTopics(challenge, data) }]);
      return logs.some((log) => !log.removed);
    },
    checkReady: async () => {
      const refusal = await simulateCall(deps.rpc, deps.operator, deps.contract, data);
      if (refusal !== undefined) throw new AnswerRefusedError(label, refusal);
    },
  };
}

export function startAnswerer(deps: AnswererDeps): Answerer {
  const { store, log } = deps;
  const l1Now = async (): Promise<bigint> => BigInt((await deps.rpc.request<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false])).timestamp);

  const answer = async (challenge: StoredLeafChallenge): Promise<void> => {
    const now = await l1Now();
    if (now > challenge.dueAt) {
      await updateLeafChallenge(store.sql, challenge, { status: 'expired', note: `not answered by its dueAt ${challenge.dueAt}` });
      log.error('a challenge of an own checkpoint leaf expired unanswered: the leaf will be void', { k: challenge.k.toString(), slot: challenge.slot.toString(), challengeId: challenge.challengeId });
      return;
    }
    if (challenge.status === 'open') {
      const plan = await planLeafAnswer(challenge, { store, domain: deps.domain, now });
      if (plan.kind === 'cannot') {
        await updateLeafChallenge(store.sql, challenge, { status: 'cannot', note: plan.reason });
        log.error('ALERT: a challenge of an own checkpoint leaf has no honest answer (the leaf is wrong?)', { k: challenge.k.toString(), slot: challenge.slot.toString(), challengeId: challenge.challengeId, reason: plan.reason });
        return;
      }
      const calls = plan.calls.map((call) => call.data);
      await updateLeafChallenge(store.sql, challenge, { status: 'answering', calls, step: 0, txStatus: 'persisted', rawTx: null, txHash: null });
      log.info('answering a challenge of an own checkpoint leaf', { k: challenge.k.toString(), slot: challenge.slot.toString(), kind: plan.kind, calls: plan.calls.map((call) => call.name) });
      challenge = await leafChallenge(store.sql, challenge.k, challenge.slot, challenge.challengeId);
    }
    if (challenge.dueAt - now < deps.marginSeconds) log.warn('answering close to the deadline', { challengeId: challenge.challengeId, dueAt: challenge.dueAt.toString(), now: now.toString() });
    for (let step = challenge.step; step < challenge.calls.length; step++) {
      const current = await leafChallenge(store.sql, challenge.k, challenge.slot, challenge.challengeId);
      await deps.committer.commitCall(answerCall(deps, current));
      const done = step + 1 === challenge.calls.length;
      await updateLeafChallenge(store.sql, challenge, done ? { status: 'answered', step: step + 1 } : { step: step + 1, txStatus: 'persisted', rawTx: null, txHash: null });
    }
    log.info('challenge of an own checkpoint leaf answered', { k: challenge.k.toString(), slot: challenge.slot.toString(), challengeId: challenge.challengeId });
  };

  const round = async (): Promise<void> => {
    for (const challenge of await challengesToAnswer(store.sql)) {
      if (rounds.stopped) return;
      try {
        await answer(challenge);
      } catch (error) {
        log.warn('answer not sent this round', { challengeId: challenge.challengeId, error: errorMessage(error) });
      }
    }
  };

  const rounds = pollRounds(round, deps.pollMs, (error: unknown) => log.error('answer round failed', { error: errorMessage(error) }));
  return { round: rounds.round, stop: rounds.stop };
}

