import t, { type Test } from 'tap';
import {
  deriveExclusionProof,
  EMPTY_BLOCK_EXCLUSION_PROOF,
  EMPTY_ROOT,
  pickNeighbour,
  ProofError,
  SparseMerkleTree,
  UINT64_MAX,
  verifyProof,
  type Hex,
} from '../../../client/protocol/index.ts';
import { randomLeaf, rng } from './fixtures/helpers.ts';

const ZERO_LEAF = `0x${'00'.repeat(32)}` as Hex;

interface Built {
  readonly tree: SparseMerkleTree;
  readonly slots: bigint[];
}

function build(slots: Iterable<bigint>, seed: number): Built {
  const random = rng(seed);
  const unique = [...new Set(slots)];
  const tree = SparseMerkleTree.build(unique.map((slot) => ({ slot, leaf: randomLeaf(random) })));
  return { tree, slots: tree.slots() };
}

/** What the operator does: find predecessor and successor, pick one, derive from its stored proof. */
function derive({ tree, slots }: Built, slot: bigint): Hex {
  let low = 0;
  let high = slots.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (slots[mid]! < slot) low = mid + 1;
    else high = mid;
  }
  const asNeighbour = (at: number) => {
    const s = slots[at];
    return s === undefined ? undefined : { slot: s, leaf: tree.leaf(s), proof: tree.proof(s) };
  };
  return deriveExclusionProof(slot, pickNeighbour(slot, asNeighbour(low - 1), asNeighbour(low)));
}

/** Absent slots worth checking: random, edges, and the ones right next to every present slot. */
function probes(slots: readonly bigint[], seed: number, count: number): bigint[] {
  const random = rng(seed);
  const present = new Set(slots);
  const candidates = [0n, 1n, UINT64_MAX, UINT64_MAX - 1n, 1n << 63n, (1n << 63n) - 1n];
  for (const slot of slots.slice(0, count)) candidates.push(slot - 1n, slot + 1n, slot ^ 1n, slot ^ (1n << 40n));
  for (let i = 0; i < count; i++) candidates.push(random.uint64());
  return candidates.filter((slot) => slot >= 0n && slot <= UINT64_MAX && !present.has(slot));
}

function checkAll(t: Test, built: Built, seed: number, count: number): void {
  let mismatches = 0;
  let unverified = 0;
  const checked = probes(built.slots, seed, count);
  for (const slot of checked) {
    const derived = derive(built, slot);
    if (derived !== built.tree.proof(slot)) mismatches++;
    if (!verifyProof(built.tree.root, slot, ZERO_LEAF, derived)) unverified++;
  }
  t.equal(mismatches, 0, `${checked.length} derived proofs equal tree.proof byte for byte`);
  t.equal(unverified, 0, 'every derived proof verifies against the root');
}

type Shape = (random: ReturnType<typeof rng>) => bigint;
const shapes: Array<[string, Shape]> = [
  ['uniform', (random) => random.uint64()],
  ['clustered low', (random) => BigInt(random.int(4096))],
  ['clustered high', (random) => UINT64_MAX - BigInt(random.int(4096))],
  ['mixed', (random) => (random.int(2) === 0 ? random.uint64() : BigInt(random.int(16)) << BigInt(random.int(60)))],
];

t.test('empty block: 8 zero bytes, which verify against the empty root', async (t) => {
  t.equal(deriveExclusionProof(42n), EMPTY_BLOCK_EXCLUSION_PROOF);
  t.equal(deriveExclusionProof(42n, pickNeighbour(42n)), SparseMerkleTree.build([]).proof(42n));
  t.ok(verifyProof(EMPTY_ROOT, UINT64_MAX, ZERO_LEAF, EMPTY_BLOCK_EXCLUSION_PROOF));
});

t.test('equals SparseMerkleTree.proof on random trees of 1, 2, 10 and 1000 leaves', async (t) => {
  for (const size of [1, 2, 10, 1000]) {
    for (const [name, shape] of shapes) {
      for (let seed = 1; seed <= (size >= 1000 ? 2 : 8); seed++) {
        const random = rng(seed * 7919 + size);
        const slots = Array.from({ length: size }, () => shape(random));
        t.test(`${size} leaves, ${name}, seed ${seed}`, async (t) => checkAll(t, build(slots, seed), seed, 200));
      }
    }
  }
});

t.test('edge slots 0 and 2^64-1, present or absent', async (t) => {
  checkAll(t, build([0n], 1), 1, 10);
  checkAll(t, build([UINT64_MAX], 2), 2, 10);
  checkAll(t, build([0n, UINT64_MAX], 3), 3, 10);
  checkAll(t, build([1n, UINT64_MAX - 1n], 4), 4, 10);
  const only = build([0n], 5);
  t.equal(derive(only, UINT64_MAX), only.tree.proof(UINT64_MAX), 'the two slots furthest apart (meet at the root)');
});

t.test('slots adjacent to present ones (sibling leaf, next slot over)', async (t) => {
  const built = build([10n, 11n, 12n, 1000n, 1n << 62n, (1n << 62n) + 2n], 6);
  for (const slot of [9n, 13n, 14n, 999n, 1001n, (1n << 62n) - 1n, (1n << 62n) + 1n, (1n << 62n) + 3n]) {
    t.equal(derive(built, slot), built.tree.proof(slot), `slot ${slot}`);
  }
});

t.test('pickNeighbour takes the neighbour whose path meets lowest', async (t) => {
  const a = { slot: 0b0111n };
  const b = { slot: 0b1000n };
  t.equal(pickNeighbour(0b0110n, a, b), a);
  t.equal(pickNeighbour(0b1001n, a, b), b);
  t.equal(pickNeighbour(5n, undefined, b), b);
  t.equal(pickNeighbour(5n, a, undefined), a);
  t.equal(pickNeighbour(5n), undefined);
});

t.test('refuses a present slot, a malformed proof and a neighbour that is not the nearest', async (t) => {
  const built = build([100n, 101n, 200n], 7);
  const neighbour = (slot: bigint) => ({ slot, leaf: built.tree.leaf(slot), proof: built.tree.proof(slot) });
  t.throws(() => deriveExclusionProof(100n, neighbour(100n)), ProofError);
  t.throws(() => deriveExclusionProof(102n, { ...neighbour(101n), proof: '0x00' }), ProofError);
  // Slot 103's nearest leaf is 101 (meet at height 2); 200 meets it far higher and its proof has the 0..127
  // subtree as a sibling, so it is refused instead of silently giving a wrong proof.
  t.throws(() => deriveExclusionProof(103n, neighbour(200n)), ProofError);
  t.throws(() => deriveExclusionProof(UINT64_MAX + 1n), ProofError);
});
