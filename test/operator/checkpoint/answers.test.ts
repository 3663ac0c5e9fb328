// The operator's answers to challenges of its own leaves (docs/CHECKPOINTS.md §2 calls 3, 9, 10, 12), planned from
// its database (real Postgres) and encoded with the §2 signatures: withheld → the leaf and the checkpointed
// transaction (a deposit leaf: the deposit transaction, no signature or proof); invalid history → the claim's
// direct child, or, for a claim before an earlier final leaf, applyCheckpoint + dismissLeafHistory; a claim not in
// the chain cannot be answered. Sending them on L1 waits for the contract's module.
import t from 'tap';
import { checkpointLeaf, transactionDigest, verifyProof, type Hash } from '../../../client/protocol/index.ts';
import { checkpointGameInterface } from '../../../client/l1/checkpoint-game.ts';
import { planLeafAnswer, type LeafChallenge } from '../../../operator/checkpoint/answers.ts';
import { CheckpointBuilder } from '../../../operator/checkpoint/builder.ts';
import { createTestStore } from '../db/helpers.ts';
import { DOMAIN } from '../../client/protocol/fixtures/helpers.ts';
import { TestChain } from './fixture.ts';

const ID = `0x${'ab'.repeat(32)}` as Hash;

t.test('answers to withheld and invalid-history challenges of honest leaves', async (t) => {
  const store = await createTestStore(t, 'checkpoint_answers');
  const chain = new TestChain(store);
  const builder = new CheckpointBuilder({ store, domain: DOMAIN });
  const [a, b] = await chain.deposit(2);
  await chain.block([a!]);
  const n0 = await chain.block([a!]);
  const c0 = await builder.build(n0);
  const now = 1_000_000n;
  const submitted = (k: bigint, childBlock: bigint, root: Hash, periodEnd: bigint) =>
    chain.apply([{ name: 'CheckpointSubmitted', l1Block: 1n, logIndex: 0, transactionHash: ID, k, childBlock, root, periodEnd }]);
  await submitted(0n, n0, c0.root, now - 1n); // final
  await chain.block([a!]);
  const n1 = await chain.block([a!]);
  const c1 = await builder.build(n1);
  await submitted(1n, n1, c1.root, now + 3600n); // pending: the challenged one
  const txs = chain.coins.get(a!)!.txs; // at 1000, 2000, 3000, 4000
  const iface = checkpointGameInterface();
  const plan = (challenge: Partial<LeafChallenge>, appliedBaseK?: bigint) =>
    planLeafAnswer({ k: 1n, slot: a!, challengeId: ID, kind: 'invalid_history', claim: txs[0]!.tx, claimBlock: 1000n, ...challenge }, { store, domain: DOMAIN, now, ...(appliedBaseK === undefined ? {} : { appliedBaseK }) });

  const withheld = await plan({ kind: 'withheld' });
  t.equal(withheld.kind, 'withheld');
  if (withheld.kind === 'cannot') throw new Error(withheld.reason);
  const [leaf, challengeId, checkpointed, signature, inclusion] = iface.decodeFunctionData('answerLeafWithheld', withheld.calls[0]!.data);
  t.same([BigInt(leaf.k), BigInt(leaf.txBlock), leaf.txDigest, challengeId], [1n, n1, transactionDigest(txs[3]!.tx, DOMAIN), ID]);
  t.ok(verifyProof(c1.root, a!, checkpointLeaf(n1, leaf.txDigest), leaf.proof), 'the LeafRef proof verifies under the root');
  t.equal(BigInt(checkpointed.prevBlock), 3000n);
  t.match([signature, inclusion], [/^0x[0-9a-f]{130}$/, /^0x[0-9a-f]+$/]);

  const deposit = await plan({ kind: 'withheld', slot: b! });
  if (deposit.kind === 'cannot') throw new Error(deposit.reason);
  const decoded = iface.decodeFunctionData('answerLeafWithheld', deposit.calls[0]!.data);
  t.same([BigInt(decoded[2].prevBlock), decoded[3], decoded[4]], [0n, '0x', '0x'], 'a deposit leaf: the deposit transaction, empty signature and proof');

  const history = await plan({ claim: txs[2]!.tx, claimBlock: 3000n });
  t.equal(history.kind, 'history');
  if (history.kind === 'cannot') throw new Error(history.reason);
  const answer = iface.decodeFunctionData('answerLeafHistory', history.calls[0]!.data);
  t.same([BigInt(answer[3].prevBlock), BigInt(answer[6])], [3000n, 4000n], "the claim's direct child, at 4000");

  const afterBase = await plan({ claim: txs[1]!.tx, claimBlock: 2000n });
  if (afterBase.kind === 'cannot') throw new Error(afterBase.reason);
  t.equal(afterBase.kind, 'history', "the base's own transaction is answered by its child");
  t.equal(BigInt(iface.decodeFunctionData('answerLeafHistory', afterBase.calls[0]!.data)[6]), 3000n);

  const before = await plan({ claim: txs[0]!.tx, claimBlock: 1000n });
  t.equal(before.kind, 'dismiss', 'a claim before the earlier final leaf is dismissed with it');
  if (before.kind === 'cannot') throw new Error(before.reason);
  t.same(before.calls.map((call) => call.name), ['applyCheckpoint', 'dismissLeafHistory']);
  const base = iface.decodeFunctionData('applyCheckpoint', before.calls[0]!.data)[0];
  t.same([BigInt(base.k), BigInt(base.txBlock)], [0n, 2000n]);
  t.ok(verifyProof(c0.root, a!, checkpointLeaf(2000n, base.txDigest), base.proof), "the base's LeafRef verifies under checkpoint 0's root");
  const applied = await plan({ claim: txs[0]!.tx, claimBlock: 1000n }, 0n);
  if (applied.kind === 'cannot') throw new Error(applied.reason);
  t.same(applied.calls.map((call) => call.name), ['dismissLeafHistory'], 'no applyCheckpoint when L1 has the base applied');

  const forged = await plan({ claim: { ...txs[2]!.tx, newOwner: '0x000000000000000000000000000000000000dead' }, claimBlock: 3000n });
  t.equal(forged.kind, 'cannot', 'a claim that is not the chain\'s transaction cannot be answered');
  t.equal((await plan({ k: 9n })).kind, 'cannot', "another operator's checkpoint");
});
