// The answerer on its own: LeafChallengeOpened of the operator's checkpoints recorded by the follower's
// applyL1Range (another's ignored), planned and sent call by call through the committer (a stand-in that records
// the calls: the shipped contract has no checkpoint module yet), a challenge with no honest answer marked cannot,
// one past its dueAt expired; a real answer L1 would refuse is never signed. Real Postgres, anvil for L1 time.
import t from 'tap';
import type { Hash, Transaction } from '../../../client/protocol/index.ts';
import { checkpointGameInterface } from '../../../client/l1/checkpoint-game.ts';
import type { StoredCall } from '../../../operator/block/committer.ts';
import { answerCall, startAnswerer } from '../../../operator/checkpoint/answerer.ts';
import { CheckpointBuilder } from '../../../operator/checkpoint/builder.ts';
import { leafChallenge } from '../../../operator/db/checkpoints.ts';
import { createLog } from '../../../operator/log.ts';
import { startTestChain } from '../../support/anvil.ts';
import { createTestStore } from '../db/helpers.ts';
import { TestChain } from './fixture.ts';
import type { ChainEvent } from '../../../operator/db/chain-state.ts';

t.test('challenges of own leaves are answered, call by call; unanswerable and late ones are flagged', async (t) => {
  const l1 = await startTestChain(t);
  const store = await createTestStore(t, 'checkpoint_answerer');
  const chain = new TestChain(store);
  const builder = new CheckpointBuilder({ store, domain: l1.domain });
  const [a] = await chain.deposit(2);
  await chain.block([a!]);
  const n0 = await chain.block([a!]);
  const c0 = await builder.build(n0);
  const now = BigInt((await l1.rpc.request<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false])).timestamp);
  const submitted = (k: bigint, childBlock: bigint, root: Hash, periodEnd: bigint): ChainEvent =>
    ({ name: 'CheckpointSubmitted', l1Block: 1n, logIndex: 0, transactionHash: `0x${'22'.repeat(32)}` as Hash, k, childBlock, root, periodEnd });
  await chain.apply([submitted(0n, n0, c0.root, now - 1n)]);
  await chain.block([a!]);
  const n1 = await chain.block([a!]);
  const c1 = await builder.build(n1);
  await chain.apply([submitted(1n, n1, c1.root, now + 3600n)]);
  const txs = chain.coins.get(a!)!.txs;
  const id = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hash;
  const opened = (challengeId: Hash, kind: 'withheld' | 'invalid_history', claim: Transaction, claimBlock: bigint, dueAt: bigint, k = 1n): ChainEvent => ({
    name: 'LeafChallengeOpened', l1Block: 1n, logIndex: 0, transactionHash: `0x${'33'.repeat(32)}` as Hash,
    k, slot: a!, challengeId, kind, challenger: '0x000000000000000000000000000000000000c0de', claim, claimBlock, dueAt,
  });
  await chain.apply([
    opened(id(1), 'withheld', txs[3]!.tx, 4000n, now + 1800n),
    opened(id(2), 'invalid_history', txs[0]!.tx, 1000n, now + 1800n), // before the final base: apply + dismiss
    opened(id(3), 'invalid_history', { ...txs[2]!.tx, newOwner: '0x000000000000000000000000000000000000dead' }, 3000n, now + 1800n), // forged
    opened(id(4), 'invalid_history', txs[2]!.tx, 3000n, now - 5n), // past due
    opened(id(5), 'withheld', txs[3]!.tx, 4000n, now + 1800n, 9n), // not this operator's checkpoint
  ]);

  const sent: StoredCall[] = [];
  const committer = {
    async commitCall(call: StoredCall): Promise<void> {
      sent.push(call);
      await call.save('confirmed');
    },
  };
  const answerer = startAnswerer({
    store, domain: l1.domain, committer, rpc: l1.rpc, contract: l1.address, operator: l1.operator.address.toLowerCase() as `0x${string}`,
    marginSeconds: 60n, pollMs: 3_600_000, log: createLog({ level: 'error' }),
  });
  t.teardown(() => answerer.stop());
  await answerer.round();

  const iface = checkpointGameInterface();
  t.same(sent.map((call) => iface.parseTransaction({ data: call.data })!.name), ['answerLeafWithheld', 'applyCheckpoint', 'dismissLeafHistory'], 'the calls, in order, one at a time');
  const status = async (n: number) => (await leafChallenge(store.sql, 1n, a!, id(n))).status;
  t.equal(await status(1), 'answered');
  t.equal(await status(2), 'answered');
  t.equal(await status(3), 'cannot', 'a claim that is not the chain\'s: no honest answer (alerted)');
  t.equal(await status(4), 'expired');
  await t.rejects(leafChallenge(store.sql, 9n, a!, id(5)), /no challenge/, "another checkpoint's challenge is not recorded");
  await answerer.round();
  t.equal(sent.length, 3, 'nothing is sent twice');

  // The real call: L1 would refuse it (no checkpoint module), so it is never signed; no effect on L1 yet.
  const first = await leafChallenge(store.sql, 1n, a!, id(1));
  const call = answerCall({ store, rpc: l1.rpc, contract: l1.address, operator: l1.operator.address.toLowerCase() as `0x${string}` }, { ...first, step: 0 });
  await t.rejects(call.checkReady!(), { code: 'answer_refused' });
  t.equal(await call.onL1(), false);
});
