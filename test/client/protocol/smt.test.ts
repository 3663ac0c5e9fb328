import t from 'tap';
import { concat, keccak256 as ethersKeccak, ZeroHash } from 'ethers';
import {
  bytesToHex,
  computeRootFromProof,
  DEFAULT_HASHES,
  DEFAULT_HASHES_HEX,
  EMPTY_ROOT,
  hexToBytes,
  MAX_PROOF_LENGTH,
  ProofError,
  SparseMerkleTree,
  TreeError,
  UINT64_MAX,
  verifyProof,
  type Hex,
} from '../../../client/protocol/index.ts';
import { naiveRoot, randomLeaf, rng } from './fixtures/helpers.ts';

const ZERO = ZeroHash as Hex;

function randomLeaves(count: number, seed: number, slotOf?: (random: ReturnType<typeof rng>) => bigint): Map<bigint, Hex> {
  const random = rng(seed);
  const leaves = new Map<bigint, Hex>();
  while (leaves.size < count) leaves.set(slotOf ? slotOf(random) : random.uint64(), randomLeaf(random));
  return leaves;
}

const build = (leaves: ReadonlyMap<bigint, Hex>) => SparseMerkleTree.build([...leaves].map(([slot, leaf]) => ({ slot, leaf })));

/** Slot distributions that exercise different tree shapes: sparse, clustered, extremes. */
const shapes: Array<[string, (random: ReturnType<typeof rng>) => bigint]> = [
  ['uniform', (random) => random.uint64()],
  ['clustered low', (random) => BigInt(random.int(4096))],
  ['clustered high', (random) => UINT64_MAX - BigInt(random.int(4096))],
  ['mixed', (random) => (random.int(2) === 0 ? random.uint64() : BigInt(random.int(16)) << BigInt(random.int(60)))],
];

t.test('default hashes: 65 entries, default[0] = 0, default[d+1] = keccak(default[d] ‖ default[d])', async (t) => {
  t.equal(DEFAULT_HASHES.length, 65);
  t.equal(DEFAULT_HASHES_HEX[0], ZERO);
  for (let d = 0; d < 64; d++) t.equal(DEFAULT_HASHES_HEX[d + 1], ethersKeccak(concat([DEFAULT_HASHES_HEX[d]!, DEFAULT_HASHES_HEX[d]!])));
  t.equal(EMPTY_ROOT, DEFAULT_HASHES_HEX[64]);
});

t.test('the empty tree has root default[64] and 8-byte all-default exclusion proofs', async (t) => {
  const tree = SparseMerkleTree.build([]);
  t.equal(tree.root, EMPTY_ROOT);
  t.equal(tree.size, 0);
  for (const slot of [0n, 1n, 1n << 63n, UINT64_MAX]) {
    t.equal(tree.proof(slot), '0x0000000000000000');
    t.ok(verifyProof(tree.root, slot, ZERO, tree.proof(slot)));
    t.notOk(verifyProof(tree.root, slot, randomLeaf(rng(1)), tree.proof(slot)), 'no leaf is included');
  }
});

t.test('roots equal a naive recursive reference implementation on random sets', async (t) => {
  let seed = 100;
  for (const [shape, slotOf] of shapes) {
    for (const count of [1, 2, 3, 7, 33, 200]) {
      const leaves = randomLeaves(count, seed++, slotOf);
      t.equal(build(leaves).root, naiveRoot(leaves), `${shape}, ${count} leaves`);
    }
  }
  const extremes = new Map<bigint, Hex>([[0n, randomLeaf(rng(7))], [UINT64_MAX, randomLeaf(rng(8))]]);
  t.equal(build(extremes).root, naiveRoot(extremes), 'slots 0 and 2^64-1');
});

t.test('the root does not depend on the order of the input', async (t) => {
  const leaves = [...randomLeaves(300, 3)];
  const reversed = [...leaves].reverse();
  t.equal(SparseMerkleTree.build(leaves.map(([slot, leaf]) => ({ slot, leaf }))).root, SparseMerkleTree.build(reversed.map(([slot, leaf]) => ({ slot, leaf }))).root);
});

t.test('every inclusion proof verifies and is canonical', async (t) => {
  let seed = 200;
  for (const [shape, slotOf] of shapes) {
    const leaves = randomLeaves(150, seed++, slotOf);
    const tree = build(leaves);
    let failures = 0;
    for (const [slot, leaf] of leaves) {
      const proof = tree.proofBytes(slot);
      if (!verifyProof(tree.root, slot, leaf, proof)) failures++;
      if (bytesToHex(computeRootFromProof(slot, leaf, proof)) !== tree.root) failures++;
      // Canonical: no provided sibling equals the default of its height.
      const bitmap = new DataView(proof.buffer).getBigUint64(0);
      let next = 8;
      for (let d = 0; d < 64; d++) {
        if (((bitmap >> BigInt(d)) & 1n) === 0n) continue;
        if (bytesToHex(proof.subarray(next, next + 32)) === DEFAULT_HASHES_HEX[d]) failures++;
        next += 32;
      }
      if (next !== proof.length) failures++;
    }
    t.equal(failures, 0, `${shape}: all ${leaves.size} proofs verify`);
    t.equal(tree.size, leaves.size);
  }
});

t.test('exclusion proofs of absent slots verify for leaf zero and for no other leaf', async (t) => {
  let seed = 300;
  for (const [shape, slotOf] of shapes) {
    const leaves = randomLeaves(100, seed++, slotOf);
    const tree = build(leaves);
    const random = rng(seed++);
    // Neighbours of present slots hit the unpaired-sibling path; the others are far from everything.
    const absent = new Set<bigint>();
    for (const slot of [...leaves.keys()].slice(0, 40)) for (const near of [slot ^ 1n, slot ^ 2n, slot + 1n, slot - 1n]) absent.add(near);
    for (let i = 0; i < 40; i++) absent.add(slotOf(random));
    let checked = 0;
    let failures = 0;
    for (const slot of absent) {
      if (slot < 0n || slot > UINT64_MAX || leaves.has(slot)) continue;
      checked++;
      const proof = tree.proof(slot);
      if (!verifyProof(tree.root, slot, ZERO, proof)) failures++;
      if (verifyProof(tree.root, slot, randomLeaf(random), proof)) failures++;
      if (tree.leaf(slot) !== ZERO || tree.has(slot)) failures++;
    }
    t.equal(failures, 0, `${shape}: ${checked} exclusion proofs`);
  }
});

t.test('a dense block of consecutive slots proves every slot', async (t) => {
  const leaves = new Map<bigint, Hex>();
  const random = rng(9);
  for (let slot = 0n; slot < 256n; slot++) if (slot !== 77n) leaves.set(slot, randomLeaf(random));
  const tree = build(leaves);
  t.equal(tree.root, naiveRoot(leaves));
  for (let slot = 0n; slot < 300n; slot++) {
    if (!verifyProof(tree.root, slot, leaves.get(slot) ?? ZERO, tree.proof(slot))) t.fail(`slot ${slot}`);
  }
  t.equal(tree.proof(77n).length, 2 + 2 * (8 + 32 * 8), 'the hole at 77 has 8 non-default siblings');
});

t.test('flipping any byte of a proof, the leaf or the root makes it fail', async (t) => {
  const leaves = randomLeaves(50, 10);
  const tree = build(leaves);
  const [slot, leaf] = [...leaves][0]!;
  const proof = tree.proofBytes(slot);
  let accepted = 0;
  for (let i = 0; i < proof.length; i++) {
    for (const mask of [0x01, 0x80]) {
      const tampered = proof.slice();
      tampered[i]! ^= mask;
      if (verifyProof(tree.root, slot, leaf, tampered)) accepted++;
    }
  }
  t.equal(accepted, 0, `none of ${2 * proof.length} tampered proofs verifies`);
  const leafBytes = hexToBytes(leaf);
  leafBytes[31]! ^= 1;
  t.notOk(verifyProof(tree.root, slot, leafBytes, proof), 'tampered leaf');
  const root = tree.rootBytes.slice();
  root[0]! ^= 1;
  t.notOk(verifyProof(root, slot, leaf, proof), 'other root');
});

t.test('a proof does not verify at another slot', async (t) => {
  const leaves = randomLeaves(50, 11);
  const tree = build(leaves);
  for (const [slot, leaf] of [...leaves].slice(0, 10)) {
    const proof = tree.proof(slot);
    for (const other of [slot ^ 1n, slot ^ (1n << 63n), (slot + 12345n) & UINT64_MAX]) {
      t.notOk(verifyProof(tree.root, other, leaf, proof), `slot ${slot} → ${other}`);
    }
  }
});

t.test('wrong lengths and extra bytes are rejected with invalid_proof_length', async (t) => {
  const leaves = randomLeaves(20, 12);
  const tree = build(leaves);
  const [slot, leaf] = [...leaves][0]!;
  const proof = tree.proofBytes(slot);
  const variants: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array()],
    ['bitmap only, 7 bytes', proof.subarray(0, 7)],
    ['one byte short', proof.subarray(0, proof.length - 1)],
    ['one sibling short', proof.subarray(0, proof.length - 32)],
    ['one extra byte', Uint8Array.from([...proof, 0])],
    ['one extra sibling', Uint8Array.from([...proof, ...new Uint8Array(32)])],
  ];
  for (const [name, bad] of variants) {
    t.notOk(verifyProof(tree.root, slot, leaf, bad), name);
    t.throws(() => computeRootFromProof(slot, leaf, bad), { code: 'invalid_proof_length' }, name);
  }
  t.notOk(verifyProof(tree.root, slot, leaf, '0xzz' as Hex), 'non-hex proof string is simply invalid');
  t.ok(new ProofError('invalid_proof_length', 'x') instanceof ProofError);
});

t.test('a non-canonical proof spelling out a default sibling is accepted, as by the contract', async (t) => {
  const tree = SparseMerkleTree.build([{ slot: 5n, leaf: randomLeaf(rng(13)) }]);
  const leaf = tree.leaf(5n);
  t.equal(tree.proof(5n), '0x0000000000000000', 'canonical: every sibling is default');
  const nonCanonical = new Uint8Array(8 + 32);
  nonCanonical[7] = 0b100; // bit 2: the default sibling at height 2 is given explicitly
  nonCanonical.set(DEFAULT_HASHES[2]!, 8);
  t.ok(verifyProof(tree.root, 5n, leaf, nonCanonical));
});

t.test('a maximal bitmap gives a 2,056-byte proof', async (t) => {
  const center = 0x0123456789abcdefn;
  const random = rng(14);
  const leaves = new Map<bigint, Hex>([[center, randomLeaf(random)]]);
  for (let d = 0n; d < 64n; d++) leaves.set(center ^ (1n << d), randomLeaf(random));
  const tree = build(leaves);
  const proof = tree.proofBytes(center);
  t.equal(proof.length, MAX_PROOF_LENGTH);
  t.equal(MAX_PROOF_LENGTH, 2056);
  t.equal(bytesToHex(proof.subarray(0, 8)), '0xffffffffffffffff');
  t.ok(verifyProof(tree.root, center, leaves.get(center)!, proof));
  t.equal(tree.root, naiveRoot(leaves));
});

t.test('build rejects duplicate slots, zero leaves, bad leaves and slots outside uint64', async (t) => {
  const leaf = randomLeaf(rng(15));
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error instanceof TreeError ? error.code : 'other';
    }
    return 'none';
  };
  t.equal(codeOf(() => SparseMerkleTree.build([{ slot: 1n, leaf }, { slot: 1n, leaf }])), 'duplicate_slot');
  t.equal(codeOf(() => SparseMerkleTree.build([{ slot: 1n, leaf: ZERO }])), 'zero_leaf');
  t.equal(codeOf(() => SparseMerkleTree.build([{ slot: 1n, leaf: '0x1234' }])), 'invalid_leaf');
  t.equal(codeOf(() => SparseMerkleTree.build([{ slot: -1n, leaf }])), 'invalid_slot');
  t.equal(codeOf(() => SparseMerkleTree.build([{ slot: UINT64_MAX + 1n, leaf }])), 'invalid_slot');
  t.equal(codeOf(() => SparseMerkleTree.build([]).proof(UINT64_MAX + 1n)), 'invalid_slot');
});

t.test('leaf, has and slots report the contents', async (t) => {
  const leaves = randomLeaves(30, 16);
  const tree = build(leaves);
  const sorted = [...leaves.keys()].sort((a, b) => (a < b ? -1 : 1));
  t.same(tree.slots(), sorted);
  for (const [slot, leaf] of leaves) {
    t.equal(tree.leaf(slot), leaf);
    t.ok(tree.has(slot));
  }
});
