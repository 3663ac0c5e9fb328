import t, { type Test } from 'tap';
import { bytesToHex, SparseMerkleTree } from '../../../client/protocol/index.ts';
import { buildBlockTree, halvesBuiltOnWorkers, PARALLEL_THRESHOLD, type BlockLeaf } from '../../../operator/block/tree-workers.ts';
import { rng } from '../../client/protocol/fixtures/helpers.ts';

/**
 * The two-thread tree must give SparseMerkleTree's root and proof bytes exactly, whatever the halves hold, and
 * the halves that hold leaves must have been built by worker threads (the pool's in-process fallback would give
 * the same bytes and hide workers that never start).
 */
async function same(t: Test, leaves: BlockLeaf[], label: string, onWorkers: number): Promise<void> {
  const reference = SparseMerkleTree.build(leaves);
  const before = halvesBuiltOnWorkers();
  const built = await buildBlockTree(leaves);
  t.equal(halvesBuiltOnWorkers() - before, onWorkers, `${label}: ${onWorkers} halves built on worker threads`);
  t.equal(built.root, reference.root, `${label}: root`);
  const wrong = leaves.findIndex((leaf, k) => bytesToHex(built.proofs[k]!) !== reference.proof(leaf.slot));
  t.equal(wrong, -1, `${label}: every proof byte-identical`);
}

function leavesOf(count: number, seed: number, slotOf: (random: ReturnType<typeof rng>) => bigint): BlockLeaf[] {
  const random = rng(seed);
  const seen = new Set<bigint>();
  const leaves: BlockLeaf[] = [];
  while (leaves.length < count) {
    const slot = slotOf(random);
    if (seen.has(slot)) continue;
    seen.add(slot);
    leaves.push({ slot, leaf: random.bytes(32) });
  }
  return leaves;
}

t.test('two halves on workers equal the one-thread tree', async (t) => {
  const n = PARALLEL_THRESHOLD * 3;
  await same(t, leavesOf(n, 1, (r) => r.uint64()), 'random slots', 2);
  await same(t, leavesOf(n, 2, (r) => r.uint64() >> 1n), 'left half only', 1);
  await same(t, leavesOf(n, 3, (r) => r.uint64() | (1n << 63n)), 'right half only', 1);
  const edges = leavesOf(n, 4, (r) => r.uint64());
  edges.push({ slot: 0n, leaf: rng(5).bytes(32) }, { slot: (1n << 64n) - 1n, leaf: rng(6).bytes(32) });
  await same(t, edges, 'with slots 0 and 2^64-1', 2);
  await same(t, leavesOf(100, 7, (r) => r.uint64()), 'small block (in-process)', 0);
});

t.test('a duplicate slot fails the build', async (t) => {
  const leaves = leavesOf(PARALLEL_THRESHOLD * 2, 8, (r) => r.uint64());
  leaves.push({ slot: leaves[0]!.slot, leaf: rng(9).bytes(32) });
  await t.rejects(buildBlockTree(leaves), /appears twice/);
});
