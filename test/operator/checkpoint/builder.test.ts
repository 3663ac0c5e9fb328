// Checkpoints built from the operator's database (real Postgres): each root equals a from-scratch
// SparseMerkleTree over the model's leaves, an incremental checkpoint equals a full rebuild at the same block,
// every leaf served from the stored rows (any checkpoint, also older ones) comes with a proof that verifies,
// zero leaves (no coin yet, exited, never deposited) with exclusion proofs, and a restarted builder continues
// from the stored tree.
import t, { type Test } from 'tap';
import { bytesToHex, checkpointLeaf, verifyProof, ZERO_HASH } from '../../../client/protocol/index.ts';
import { CheckpointBuilder } from '../../../operator/checkpoint/builder.ts';
import { storedLeaf } from '../../../operator/checkpoint/proofs.ts';
import { CheckpointTree } from '../../../operator/checkpoint/tree.ts';
import { checkpointById, leafChanges, type CheckpointRecord } from '../../../operator/db/checkpoints.ts';
import { createTestStore } from '../db/helpers.ts';
import { DOMAIN } from '../../client/protocol/fixtures/helpers.ts';
import { TestChain } from './fixture.ts';
import type { Store } from '../../../operator/db/store.ts';

async function checkCheckpoint(t: Test, store: Store, chain: TestChain, record: CheckpointRecord, extraSlots: readonly bigint[], rebuild = true): Promise<void> {
  const model = chain.modelTree(record.block, record.id);
  t.equal(record.root, model.root, `checkpoint ${record.id} (block ${record.block}): root equals a from-scratch SparseMerkleTree`);
  t.equal(record.leafCount, model.size, `checkpoint ${record.id}: ${model.size} coins`);
  if (rebuild) {
    const full = await CheckpointTree.empty().prepare(await leafChanges(store.sql, undefined, record.block, DOMAIN));
    t.equal(full.root, record.root, `checkpoint ${record.id}: a full rebuild at block ${record.block} gives the same root`);
  }
  let bad = 0;
  let zero = 0;
  for (const slot of [...chain.coins.keys(), ...extraSlots]) {
    const { record: leaf, proof } = await storedLeaf(store.sql, record.id, slot);
    const expected = chain.modelLeaf(slot, record.block, record.id);
    if (expected === undefined) {
      zero++;
      if (leaf !== undefined || !verifyProof(record.root, slot, ZERO_HASH, proof)) bad++;
    } else {
      const value = checkpointLeaf(expected.txBlock, expected.digest);
      if (leaf?.txBlock !== expected.txBlock || bytesToHex(leaf.leaf) !== bytesToHex(value) || !verifyProof(record.root, slot, value, proof)) bad++;
      if (bytesToHex(proof) !== model.proof(slot)) bad++;
    }
  }
  t.equal(bad, 0, `checkpoint ${record.id}: every leaf and proof from the stored rows is right (${zero} zero leaves with exclusion proofs)`);
}

t.test('checkpoints over moves, deposits and exits: incremental = full = model, proofs verify', async (t) => {
  const store = await createTestStore(t, 'checkpoint_builder');
  const chain = new TestChain(store);
  const builder = new CheckpointBuilder({ store, domain: DOMAIN });
  const outsiders = [0n, (1n << 64n) - 1n, chain.random.uint64()];

  await chain.deposit(40);
  await chain.block(chain.pick(10));
  await chain.deposit(5);
  const n1 = await chain.block(chain.pick(8));
  // after the checkpoint's block, before it is built: deposits and moves that it must not see
  await chain.deposit(3);
  await chain.block(chain.pick(12, (coin) => coin.depositBlock < n1));
  const first = await builder.build(n1);
  chain.built++;
  t.equal(first.id, 1);
  await checkCheckpoint(t, store, chain, first, outsiders);

  await chain.exit(chain.pick(3));
  await chain.deposit(4);
  await chain.block(chain.pick(6));
  const n2 = await chain.block(chain.pick(6));
  const second = await builder.build(n2);
  chain.built++;
  t.ok(second.changed > 0 && second.changed < second.leafCount, `checkpoint 2 changed ${second.changed} of ${second.leafCount} leaves`);
  await checkCheckpoint(t, store, chain, second, outsiders);

  // the first checkpoint still serves its own leaves after the second changed the rows after it (a full rebuild
  // now would see the later exits)
  const stored = await checkpointById(store.sql, first.id);
  await checkCheckpoint(t, store, chain, stored!, outsiders, false);

  // a restarted builder restores the tree from the stored rows and continues
  await chain.exit(chain.pick(2));
  const n3 = await chain.block(chain.pick(5));
  const restarted = new CheckpointBuilder({ store, domain: DOMAIN });
  t.equal((await restarted.latest())?.id, 2);
  const third = await restarted.build(n3);
  await checkCheckpoint(t, store, chain, third, outsiders);
  await t.rejects(restarted.build(n3), /last one built is at/, 'a block not after the last checkpoint is refused');
});
