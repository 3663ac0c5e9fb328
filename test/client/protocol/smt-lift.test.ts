import t from 'tap';
import { bytesToHex, SparseMerkleTree } from '../../../client/protocol/index.ts';
import { liftLevel, type Level } from '../../../client/protocol/smt.ts';
import { liftSorted, type LiftItems } from '../../../client/protocol/smt-lift.ts';
import { rng } from './fixtures/helpers.ts';

/** The reference: level by level with liftLevel, from height `from` to `to`. */
function levelByLevel(items: LiftItems, from: number, to: number): Level {
  let level: Level = { count: items.count, hi: items.hi.slice(), lo: items.lo.slice(), hashes: items.hashes.slice() };
  // liftLevel works on indices at the current height, liftSorted on slot-space positions
  const shift = BigInt(from);
  for (let k = 0; k < items.count; k++) {
    const index = ((BigInt(items.hi[k]!) << 32n) | BigInt(items.lo[k]!)) >> shift;
    level.hi[k] = Number(index >> 32n);
    level.lo[k] = Number(index & 0xffffffffn);
  }
  const inputs = new Uint8Array(64 * Math.max(items.count, 1));
  for (let d = from; d < to; d++) level = liftLevel(level, d, inputs);
  return level;
}

function itemsOf(slots: bigint[], hashes: Uint8Array, heights?: Uint8Array): LiftItems {
  return {
    count: slots.length,
    hi: Uint32Array.from(slots, (s) => Number(s >> 32n)),
    lo: Uint32Array.from(slots, (s) => Number(s & 0xffffffffn)),
    hashes,
    ...(heights === undefined ? {} : { heights }),
  };
}

function sortedSlots(random: ReturnType<typeof rng>, count: number, mask = (1n << 64n) - 1n): bigint[] {
  const set = new Set<bigint>();
  while (set.size < count) set.add(random.uint64() & mask);
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

t.test('the root of random leaves equals SparseMerkleTree.build', async (t) => {
  const random = rng(31);
  for (const count of [1, 2, 3, 17, 1000]) {
    const slots = sortedSlots(random, count);
    const hashes = random.bytes(32 * count);
    const { top } = liftSorted(itemsOf(slots, hashes), 64);
    const tree = SparseMerkleTree.build(slots.map((slot, k) => ({ slot, leaf: hashes.slice(32 * k, 32 * k + 32) })));
    t.equal(top.index.length, 1, `${count} leaves: one root`);
    t.equal(bytesToHex(top.hashes), tree.root, `${count} leaves: same root`);
  }
});

t.test('many subtrees at once, with the capture height, equal the level-by-level lift', async (t) => {
  const random = rng(32);
  // dense in a small range (meetings at every height) and sparse (lone leaves), buckets of 2^48 and 2^40
  for (const [count, mask] of [[5000, (1n << 64n) - 1n], [3000, (1n << 20n) - 1n], [2000, (1n << 50n) - 1n]] as const) {
    const slots = sortedSlots(random, count, mask);
    const items = itemsOf(slots, random.bytes(32 * count));
    const { top, captured } = liftSorted(items, 48, 40);
    const at40 = levelByLevel(items, 0, 40);
    const at48 = levelByLevel(items, 0, 48);
    t.same([...captured.index], Array.from({ length: at40.count }, (_, k) => at40.hi[k]! * 2 ** 32 + at40.lo[k]!), `${count} leaves: captured indices at 40`);
    t.equal(bytesToHex(captured.hashes), bytesToHex(at40.hashes.subarray(0, 32 * at40.count)), `${count} leaves: captured hashes at 40`);
    t.same([...top.index], Array.from({ length: at48.count }, (_, k) => at48.hi[k]! * 2 ** 32 + at48.lo[k]!), `${count} leaves: indices at 48`);
    t.equal(bytesToHex(top.hashes), bytesToHex(at48.hashes.subarray(0, 32 * at48.count)), `${count} leaves: hashes at 48`);
  }
});

t.test('items that start at the capture height mix with leaves below it', async (t) => {
  const random = rng(33);
  const slots = sortedSlots(random, 4000, (1n << 52n) - 1n);
  const leaves = itemsOf(slots, random.bytes(32 * slots.length));
  const at40 = levelByLevel(leaves, 0, 40);
  // every other sub-bucket node given as an item at height 40, the rest as its leaves
  const mixedSlots: bigint[] = [];
  const mixedHashes: number[] = [];
  const heights: number[] = [];
  const nodeOf = new Map<number, number>();
  for (let k = 0; k < at40.count; k++) nodeOf.set(at40.hi[k]! * 2 ** 32 + at40.lo[k]!, k);
  const given = new Set<number>();
  for (let i = 0; i < slots.length; i++) {
    const sub = Number(slots[i]! >> 40n);
    const k = nodeOf.get(sub)!;
    if (k % 2 === 0) {
      if (given.has(sub)) continue;
      given.add(sub);
      mixedSlots.push(BigInt(sub) << 40n);
      mixedHashes.push(...at40.hashes.subarray(32 * k, 32 * k + 32));
      heights.push(40);
    } else {
      mixedSlots.push(slots[i]!);
      mixedHashes.push(...leaves.hashes.subarray(32 * i, 32 * i + 32));
      heights.push(0);
    }
  }
  const mixed = liftSorted(itemsOf(mixedSlots, new Uint8Array(mixedHashes), new Uint8Array(heights)), 48, 40);
  const reference = liftSorted(leaves, 48, 40);
  t.equal(bytesToHex(mixed.top.hashes), bytesToHex(reference.top.hashes), 'same nodes at 48');
  t.same([...mixed.top.index], [...reference.top.index]);
  t.equal(bytesToHex(mixed.captured.hashes), bytesToHex(reference.captured.hashes), 'every node at 40, given or lifted');
  t.same([...mixed.captured.index], [...reference.captured.index]);
});

t.test('items out of order or sharing a subtree are refused', async (t) => {
  const hashes = new Uint8Array(64);
  t.throws(() => liftSorted(itemsOf([5n, 3n], hashes), 48), RangeError, 'descending');
  t.throws(() => liftSorted(itemsOf([7n, 7n], hashes), 48), RangeError, 'duplicate');
  t.throws(() => liftSorted(itemsOf([1n << 40n, (1n << 40n) + 3n], hashes, new Uint8Array([40, 0])), 48), RangeError, 'a leaf inside a node given at 40');
  t.throws(() => liftSorted(itemsOf([1n], hashes), 5), RangeError, 'target below 11');
  t.equal(liftSorted(itemsOf([], new Uint8Array(0)), 48).top.index.length, 0, 'no items: nothing');
});

t.test('hashes at an unaligned offset', async (t) => {
  const random = rng(34);
  const slots = sortedSlots(random, 50);
  const buffer = random.bytes(32 * 50 + 1);
  const unaligned = buffer.subarray(1);
  t.equal(bytesToHex(liftSorted(itemsOf(slots, unaligned), 64).top.hashes), bytesToHex(liftSorted(itemsOf(slots, unaligned.slice()), 64).top.hashes));
});
