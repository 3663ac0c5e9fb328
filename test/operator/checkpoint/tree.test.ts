import t, { type Test } from 'tap';
import { bytesToHex, checkpointLeaf, EMPTY_ROOT, SparseMerkleTree, verifyProof, ZERO_HASH } from '../../../client/protocol/index.ts';
import { BUCKET_HEIGHT, CheckpointTree, liftsOnWorkers, type LeafChanges } from '../../../operator/checkpoint/tree.ts';
import { rng } from '../../client/protocol/fixtures/helpers.ts';

/**
 * The incremental checkpoint tree against a from-scratch SparseMerkleTree over the same leaves (the one
 * implementation of §3): same root after every checkpoint, every derived proof verifies (inclusion and
 * exclusion) and equals SparseMerkleTree's bytes.
 */
type Leaves = Map<bigint, { txBlock: bigint; digest: Uint8Array }>;

function changesOf(entries: readonly [bigint, { txBlock: bigint; digest: Uint8Array } | undefined][]): LeafChanges {
  const slots = new BigUint64Array(entries.length);
  const txBlocks = new BigUint64Array(entries.length);
  const digests = new Uint8Array(32 * entries.length);
  entries.forEach(([slot, value], k) => {
    slots[k] = slot;
    txBlocks[k] = value?.txBlock ?? 0n;
    if (value) digests.set(value.digest, 32 * k);
  });
  return { slots, txBlocks, digests };
}

function reference(leaves: Leaves): SparseMerkleTree {
  return SparseMerkleTree.build([...leaves].map(([slot, { txBlock, digest }]) => ({ slot, leaf: checkpointLeaf(txBlock, digest) })));
}

function checkAgainst(t: Test, tree: CheckpointTree, leaves: Leaves, probes: readonly bigint[], label: string): void {
  const ref = reference(leaves);
  t.equal(tree.root, ref.root, `${label}: root equals a from-scratch SparseMerkleTree`);
  t.equal(tree.leafCount, leaves.size, `${label}: leaf count`);
  let bad = 0;
  for (const slot of probes) {
    const proof = tree.proof(slot);
    const value = leaves.get(slot);
    const leaf = value === undefined ? new Uint8Array(32) : checkpointLeaf(value.txBlock, value.digest);
    if (!verifyProof(tree.rootBytes, slot, leaf, proof) || bytesToHex(proof) !== ref.proof(slot)) bad++;
    if (value === undefined ? tree.leaf(slot) !== undefined : tree.leaf(slot)?.txBlock !== value.txBlock) bad++;
  }
  t.equal(bad, 0, `${label}: ${probes.length} derived proofs verify and are SparseMerkleTree's bytes`);
}

t.test('empty tree', async (t) => {
  const tree = CheckpointTree.empty();
  t.equal(tree.root, EMPTY_ROOT);
  const delta = await tree.prepare(changesOf([]));
  t.equal(delta.root, EMPTY_ROOT);
  t.equal(delta.nodes.length, 0);
  t.ok(verifyProof(tree.rootBytes, 5n, ZERO_HASH, tree.proof(5n)), 'exclusion proof in the empty tree');
});

t.test('incremental equals full rebuild across checkpoints with moves, deposits and exits', async (t) => {
  const random = rng(11);
  const leaves: Leaves = new Map();
  const slotsEver: bigint[] = [];
  // clustered slots too: several in one bucket, neighbours, the extremes
  const special = [0n, 1n, 2n, (1n << 64n) - 1n, (1n << 63n), (5n << 48n) + 3n, (5n << 48n) + 4n, (5n << 48n) + 1000n, (6n << 48n)];
  const tree = CheckpointTree.empty();
  let block = 1000n;
  for (let round = 0; round < 6; round++) {
    const entries: [bigint, { txBlock: bigint; digest: Uint8Array } | undefined][] = [];
    // deposits: new coins
    const fresh = round === 0 ? [...special, ...Array.from({ length: 6000 }, () => random.uint64())] : Array.from({ length: 300 }, () => random.uint64());
    for (const slot of fresh) {
      if (leaves.has(slot)) continue;
      const value = { txBlock: block - 500n, digest: random.bytes(32) };
      leaves.set(slot, value);
      slotsEver.push(slot);
      entries.push([slot, value]);
    }
    if (round > 0) {
      // moves of existing coins
      const existing = [...leaves.keys()];
      for (let k = 0; k < 400; k++) {
        const slot = existing[random.int(existing.length)]!;
        const value = { txBlock: block, digest: random.bytes(32) };
        leaves.set(slot, value);
        entries.push([slot, value]);
      }
      // exits: the leaf becomes zero (and one slot that never had a coin)
      for (let k = 0; k < 50; k++) {
        const slot = existing[random.int(existing.length)]!;
        leaves.delete(slot);
        entries.push([slot, undefined]);
      }
      entries.push([random.uint64(), undefined]);
      // a slot changed twice in one batch: the later wins
      const twice = existing[random.int(existing.length)]!;
      const last = { txBlock: block, digest: random.bytes(32) };
      entries.push([twice, { txBlock: block, digest: random.bytes(32) }], [twice, last]);
      leaves.set(twice, last);
    }
    if (round === 5) {
      // every coin of bucket 5 exits: its bucket becomes empty
      for (const slot of [...leaves.keys()].filter((s) => s >> BigInt(BUCKET_HEIGHT) === 5n)) {
        leaves.delete(slot);
        entries.push([slot, undefined]);
      }
    }
    const delta = await tree.prepare(changesOf(entries));
    t.equal(delta.root, reference(leaves).root, `checkpoint ${round}: prepared root`);
    tree.commit(delta);
    const probes = [...special, ...slotsEver.filter((_, k) => k % 37 === 0), random.uint64(), random.uint64()];
    checkAgainst(t, tree, leaves, probes, `checkpoint ${round}`);
    // a tree restored from what would be stored equals the incremental one
    block += 1000n;
  }
});

t.test('a restored tree equals the one it was stored from', async (t) => {
  const random = rng(3);
  const tree = CheckpointTree.empty();
  const entries: [bigint, { txBlock: bigint; digest: Uint8Array }][] = Array.from({ length: 500 }, () => [random.uint64(), { txBlock: 1000n, digest: random.bytes(32) }]);
  const delta = await tree.prepare(changesOf(entries));
  tree.commit(delta);
  const restored = CheckpointTree.restore(delta.buckets, delta.nodes.filter((node) => node.height === BUCKET_HEIGHT));
  t.equal(restored.root, tree.root);
  t.equal(restored.leafCount, 500);
  const slot = entries[7]![0];
  t.equal(bytesToHex(restored.proof(slot)), bytesToHex(tree.proof(slot)));
  // the next change: the restored tree lifts the touched buckets whole, the running one only the sub-buckets
  const next: [bigint, { txBlock: bigint; digest: Uint8Array } | undefined][] = [[entries[7]![0], { txBlock: 2000n, digest: random.bytes(32) }], [entries[9]![0], undefined]];
  const a = await tree.prepare(changesOf(next));
  const b = await restored.prepare(changesOf(next));
  t.equal(a.root, b.root, 'a restored tree and the running one agree on the next checkpoint');
});

t.test('sub-buckets shared by several leaves: a change re-lifts the shared sub-bucket', async (t) => {
  const random = rng(8);
  const base = 7n << 48n;
  const leaves: Leaves = new Map();
  const put = (slot: bigint, txBlock: bigint | undefined) => {
    const value = txBlock === undefined ? undefined : { txBlock, digest: random.bytes(32) };
    if (value === undefined) leaves.delete(slot);
    else leaves.set(slot, value);
    return [slot, value] as [bigint, typeof value];
  };
  const tree = CheckpointTree.empty();
  // three leaves in one sub-bucket (height 40), one in another sub-bucket of the same bucket, one elsewhere
  tree.commit(await tree.prepare(changesOf([put(base + 1n, 1000n), put(base + 2n, 1000n), put(base + (1n << 39n), 1000n), put(base + (3n << 40n), 1000n), put(1n, 1000n)])));
  checkAgainst(t, tree, leaves, [...leaves.keys(), base + 5n], 'built');
  tree.commit(await tree.prepare(changesOf([put(base + 2n, 2000n)])));
  checkAgainst(t, tree, leaves, [...leaves.keys(), base + 5n], 'one leaf of a shared sub-bucket moved');
  tree.commit(await tree.prepare(changesOf([put(base + 1n, undefined), put(base + 9n, 3000n)])));
  checkAgainst(t, tree, leaves, [...leaves.keys(), base + 1n], 'one left, one came, same sub-bucket');
  tree.commit(await tree.prepare(changesOf([put(base + (3n << 40n), undefined)])));
  checkAgainst(t, tree, leaves, [...leaves.keys(), base + (3n << 40n)], 'a sub-bucket emptied');
});

t.test('a big change set is cut into ranges lifted on the worker threads, first build and incremental', async (t) => {
  const random = rng(5);
  const leaves: Leaves = new Map();
  const entries: [bigint, { txBlock: bigint; digest: Uint8Array }][] = [];
  for (let k = 0; k < 60_000; k++) {
    const slot = random.uint64();
    const value = { txBlock: 3000n, digest: random.bytes(32) };
    leaves.set(slot, value);
    entries.push([slot, value]);
  }
  let before = liftsOnWorkers();
  const tree = CheckpointTree.empty();
  tree.commit(await tree.prepare(changesOf(entries)));
  t.equal(liftsOnWorkers() - before, 6, 'three ranges of 20,000 changes, each lifted in two halves on the worker threads');
  checkAgainst(t, tree, leaves, entries.slice(0, 200).map(([slot]) => slot), '60,000 leaves');
  // 45,000 moved, 1,000 gone, 1,000 new: three ranges again, now re-lifting moved sub-buckets beside kept nodes
  const moved: [bigint, { txBlock: bigint; digest: Uint8Array } | undefined][] = [];
  for (const [slot] of entries.slice(0, 45_000)) {
    const value = { txBlock: 4000n, digest: random.bytes(32) };
    leaves.set(slot, value);
    moved.push([slot, value]);
  }
  for (const [slot] of entries.slice(45_000, 46_000)) {
    leaves.delete(slot);
    moved.push([slot, undefined]);
  }
  for (let k = 0; k < 1000; k++) {
    const slot = random.uint64();
    const value = { txBlock: 4000n, digest: random.bytes(32) };
    leaves.set(slot, value);
    moved.push([slot, value]);
  }
  before = liftsOnWorkers();
  tree.commit(await tree.prepare(changesOf(moved)));
  t.ok(liftsOnWorkers() - before >= 4, 'the incremental build ran on the worker threads too');
  checkAgainst(t, tree, leaves, [...entries.slice(44_900, 45_100).map(([slot]) => slot), ...moved.slice(-50).map(([slot]) => slot)], '45,000 moved, 1,000 gone, 1,000 new');
});

t.test('columns at unaligned offsets (views into larger buffers) give the same checkpoint', async (t) => {
  const random = rng(6);
  const entries: [bigint, { txBlock: bigint; digest: Uint8Array }][] = Array.from({ length: 300 }, () => [random.uint64(), { txBlock: 7n, digest: random.bytes(32) }]);
  const aligned = changesOf(entries);
  const digests = new Uint8Array(aligned.digests.length + 1).subarray(1);
  digests.set(aligned.digests);
  const a = await CheckpointTree.empty().prepare(aligned);
  const b = await CheckpointTree.empty().prepare({ ...aligned, digests });
  t.equal(b.root, a.root);
  t.equal(a.root, reference(new Map(entries)).root);
});
