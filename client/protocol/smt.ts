/**
 * The depth-64 sparse Merkle tree of PROTOCOL.md §3: leaf index = slot, leaf = 32 bytes (zero = coin did not
 * move), default[0] = 0, default[d+1] = keccak(default[d] ‖ default[d]), node = keccak(left ‖ right), bit d of
 * the slot (LSB first) says whether the node at height d is a right child.
 *
 * Proof = 8-byte big-endian bitmap (bit d set iff the sibling at height d is not default[d]) followed by the
 * non-default siblings in increasing d. Producers always emit the canonical form.
 *
 * Layout: a level is a sorted array of node indices plus one Uint8Array of their hashes. Indices are uint64
 * held as two Uint32Array halves (hi, lo): every node costs a few integer operations instead of allocating
 * BigInts, which matters because 100,000 random leaves mean ~4.8M nodes (the ~17 shared top levels plus a
 * private path of ~47 single-child nodes per leaf). bigint appears only at the API.
 *
 * Only the nodes a proof can ask for are kept after the build: every leaf, every node whose sibling is
 * non-empty ("paired") and every node with two non-empty children ("branch"), about 4 per leaf instead of ~48.
 * The only other sibling a proof can need is the one unpaired node next to an empty subtree (exclusion
 * proofs); it is recomputed from the branch or leaf below it (at most 63 hashes).
 */
import { ProofError, TreeError, type ProofErrorCode } from './errors.ts';
import { bytesToHex, equalBytes, toBytes, UINT64_MAX, type Hash, type Hex } from './hex.ts';
import { keccak256Into } from './keccak.ts';
import { keccak256Pairs } from './keccak-batch.ts';

export const TREE_DEPTH = 64;
/** 8-byte bitmap + at most 64 siblings. */
export const MAX_PROOF_LENGTH = 8 + 32 * TREE_DEPTH;

/** default[0..64]; default[64] is the root of the empty tree. */
export const DEFAULT_HASHES: readonly Uint8Array[] = (() => {
  const defaults = [new Uint8Array(32)];
  const pair = new Uint8Array(64);
  for (let d = 0; d < TREE_DEPTH; d++) {
    const child = defaults[d]!;
    pair.set(child, 0);
    pair.set(child, 32);
    const parent = new Uint8Array(32);
    keccak256Into(pair, 0, parent, 0);
    defaults.push(parent);
  }
  return Object.freeze(defaults);
})();
/** The defaults as native-endian 32-bit words, to copy into a hash input without allocating. */
const DEFAULT_WORDS: readonly Uint32Array[] = DEFAULT_HASHES.map((hash) => new Uint32Array(hash.slice().buffer));
export const DEFAULT_HASHES_HEX: readonly Hash[] = Object.freeze(DEFAULT_HASHES.map(bytesToHex));
export const EMPTY_ROOT: Hash = DEFAULT_HASHES_HEX[TREE_DEPTH]!;
const ZERO_LEAF = DEFAULT_HASHES[0]!;

export interface TreeLeaf {
  readonly slot: bigint;
  /** The EIP-712 digest of the transaction spending the coin in this block; never zero. */
  readonly leaf: Uint8Array | Hex;
}

/** Nodes of one height, sorted by index. */
export interface Level {
  readonly count: number;
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly hashes: Uint8Array;
}

export class SparseMerkleTree {
  readonly rootBytes: Uint8Array;
  readonly root: Hash;
  /** kept[d] holds the leaves (d = 0) or the paired and branch nodes (d ≥ 1) at height d. */
  readonly #kept: readonly Level[];

  private constructor(rootBytes: Uint8Array, kept: readonly Level[]) {
    this.rootBytes = rootBytes;
    this.root = bytesToHex(rootBytes);
    this.#kept = kept;
  }

  /** Number of non-zero leaves. */
  get size(): number {
    return this.#kept[0]!.count;
  }

  /**
   * Builds the tree of one block. Rejects a slot outside uint64, a duplicate slot (the operator accepts at most
   * one transaction per slot per block, §4) and a zero leaf (zero means "no transaction", so it cannot be
   * included explicitly).
   */
  static build(leaves: Iterable<TreeLeaf>): SparseMerkleTree {
    const positionOfSlot = new Map<bigint, number>();
    const leafBytes: Uint8Array[] = [];
    for (const { slot, leaf } of leaves) {
      if (typeof slot !== 'bigint' || slot < 0n || slot > UINT64_MAX) {
        throw new TreeError('invalid_slot', `slot ${String(slot)} is not a uint64`);
      }
      if (positionOfSlot.has(slot)) {
        throw new TreeError('duplicate_slot', `slot ${slot} appears twice in one block`, { slot });
      }
      let bytes: Uint8Array;
      try {
        bytes = toBytes(leaf, 32, `leaf of slot ${slot}`);
      } catch (cause) {
        throw new TreeError('invalid_leaf', `leaf of slot ${slot} must be 32 bytes`, { slot, cause });
      }
      if (equalBytes(bytes, ZERO_LEAF)) {
        throw new TreeError('zero_leaf', `leaf of slot ${slot} is zero, which means "no transaction"`, { slot });
      }
      positionOfSlot.set(slot, leafBytes.length);
      leafBytes.push(bytes);
    }

    const count = leafBytes.length;
    const sorted = new BigUint64Array(count);
    let i = 0;
    for (const slot of positionOfSlot.keys()) sorted[i++] = slot;
    sorted.sort();
    const leafLevel: Level = { count, hi: new Uint32Array(count), lo: new Uint32Array(count), hashes: new Uint8Array(32 * count) };
    for (let k = 0; k < count; k++) {
      const slot = sorted[k]!;
      leafLevel.hi[k] = Number(slot >> 32n);
      leafLevel.lo[k] = Number(slot & 0xffffffffn);
      leafLevel.hashes.set(leafBytes[positionOfSlot.get(slot)!]!, 32 * k);
    }
    return SparseMerkleTree.#fromLeafLevel(leafLevel);
  }

  static #fromLeafLevel(leafLevel: Level): SparseMerkleTree {
    if (leafLevel.count === 0) {
      return new SparseMerkleTree(DEFAULT_HASHES[TREE_DEPTH]!, Array.from({ length: TREE_DEPTH }, () => leafLevel));
    }
    const kept: Level[] = [leafLevel];
    // One level at a time: lay out every parent's 64-byte input (both children, or the child and default[d]) in
    // one buffer, then hash them all in one keccak256Pairs call (no per-node JS → WASM round trip).
    const inputs = new Uint8Array(64 * leafLevel.count);
    let level = leafLevel;
    // isBranch[k]: node k of `level` has two non-empty children (always kept). Leaves are kept regardless.
    let isBranch = new Uint8Array(level.count).fill(1);
    for (let d = 0; d < TREE_DEPTH; d++) {
      const keep = isBranch;
      const parentIsBranch = new Uint8Array(level.count);
      const parent = liftLevel(level, d, inputs, { keep, parentIsBranch });
      if (d > 0) kept.push(compact(level, keep));
      level = parent;
      isBranch = parentIsBranch.subarray(0, parent.count);
    }
    return new SparseMerkleTree(level.hashes.slice(0, 32), kept);
  }

  has(slot: bigint): boolean {
    const [hi, lo] = splitSlot(slot);
    return find(this.#kept[0]!, hi, lo) >= 0;
  }

  /** The leaf at `slot`: the digest of the transaction of that coin in this block, or zero. */
  leaf(slot: bigint): Hash {
    const [hi, lo] = splitSlot(slot);
    const leaves = this.#kept[0]!;
    const at = find(leaves, hi, lo);
    return bytesToHex(at < 0 ? ZERO_LEAF : leaves.hashes.subarray(32 * at, 32 * at + 32));
  }

  /** All slots with a non-zero leaf, ascending. */
  slots(): bigint[] {
    const leaves = this.#kept[0]!;
    return Array.from({ length: leaves.count }, (_, k) => (BigInt(leaves.hi[k]!) << 32n) | BigInt(leaves.lo[k]!));
  }

  /** Canonical proof for any slot: inclusion if it has a leaf, exclusion (of leaf zero) otherwise. */
  proof(slot: bigint): Hex {
    return bytesToHex(this.proofBytes(slot));
  }

  proofBytes(slot: bigint): Uint8Array {
    const [slotHi, slotLo] = splitSlot(slot);
    const leaves = this.#kept[0]!;
    if (leaves.count === 0) return new Uint8Array(8);
    const siblings: Uint8Array[] = [];
    let bitmapHi = 0;
    let bitmapLo = 0;

    // `meet`: the lowest height where the path of `slot` shares a node with the path of another leaf (the nearest
    // leaves in slot order are the ones that meet it lowest). Every sibling below meet - 1 is empty, so only the
    // ~17 top levels of a 100,000-leaf tree are searched, not all 64.
    const position = lowerBound(leaves, slotHi, slotLo);
    const present = position < leaves.count && leaves.hi[position] === slotHi && leaves.lo[position] === slotLo;
    let meet = TREE_DEPTH;
    for (const neighbour of present ? [position - 1, position + 1] : [position - 1, position]) {
      if (neighbour < 0 || neighbour >= leaves.count) continue;
      meet = Math.min(meet, commonHeight(slotHi, slotLo, leaves.hi[neighbour]!, leaves.lo[neighbour]!));
    }
    let from = meet - 1;
    if (!present) {
      // Our side is empty below `meet`: the sibling at meet - 1 holds the neighbour's subtree and, since our side
      // is empty, it is unpaired (not kept): recompute it.
      siblings.push(this.#unpairedNode(from, siblingIndex(slot, from)));
      if (from < 32) bitmapLo |= 1 << from;
      else bitmapHi |= 1 << (from - 32);
      from = meet;
    }
    for (let d = Math.max(from, 0); d < TREE_DEPTH; d++) {
      // sibling index = (slot >> d) ^ 1, on the two 32-bit halves
      const hi = d < 32 ? slotHi >>> d : 0;
      const lo = d === 0 ? slotLo : d < 32 ? ((slotLo >>> d) | (slotHi << (32 - d))) >>> 0 : slotHi >>> (d - 32);
      const level = this.#kept[d]!;
      const at = find(level, hi, (lo ^ 1) >>> 0);
      if (at < 0) continue;
      siblings.push(level.hashes.subarray(32 * at, 32 * at + 32));
      if (d < 32) bitmapLo |= 1 << d;
      else bitmapHi |= 1 << (d - 32);
    }
    const proof = new Uint8Array(8 + 32 * siblings.length);
    const view = new DataView(proof.buffer);
    view.setUint32(0, bitmapHi >>> 0);
    view.setUint32(4, bitmapLo >>> 0);
    siblings.forEach((hash, k) => proof.set(hash, 8 + 32 * k));
    return proof;
  }

  /**
   * Hash of the node at `height` with index `index` (= slot >> height): default[height] when its subtree holds no
   * leaf. Lets a tree built from one half of the slot space (top bit fixed) give its half root (height 63).
   */
  nodeAt(height: number, index: bigint): Uint8Array {
    if (!Number.isInteger(height) || height < 0 || height > TREE_DEPTH || index < 0n || index >> BigInt(TREE_DEPTH - height) !== 0n) {
      throw new TreeError('invalid_slot', `no node ${index} at height ${height}`);
    }
    if (height === TREE_DEPTH) return this.rootBytes.slice();
    const level = this.#kept[height]!;
    const at = find(level, Number(index >> 32n), Number(index & 0xffffffffn));
    if (at >= 0) return level.hashes.slice(32 * at, 32 * at + 32);
    const leaves = this.#kept[0]!;
    const first = lowerBound(leaves, ...splitSlot(index << BigInt(height)));
    const empty = first === leaves.count || (BigInt(leaves.hi[first]!) << 32n | BigInt(leaves.lo[first]!)) >> BigInt(height) !== index;
    return empty ? DEFAULT_HASHES[height]!.slice() : this.#unpairedNode(height, index);
  }

  /** Hash of a non-empty node at `height` whose sibling is empty: lift the branch or leaf below it. */
  #unpairedNode(height: number, index: bigint): Uint8Array {
    const leaves = this.#kept[0]!;
    const firstSlot = index << BigInt(height);
    const endSlot = (index + 1n) << BigInt(height);
    const from = lowerBound(leaves, ...splitSlot(firstSlot));
    const to = endSlot > UINT64_MAX ? leaves.count : lowerBound(leaves, ...splitSlot(endSlot));
    const bottomHeight = commonHeight(leaves.hi[from]!, leaves.lo[from]!, leaves.hi[to - 1]!, leaves.lo[to - 1]!);
    const first = (BigInt(leaves.hi[from]!) << 32n) | BigInt(leaves.lo[from]!);
    const bottomIndex = first >> BigInt(bottomHeight);
    const bottomLevel = this.#kept[bottomHeight]!;
    const at = find(bottomLevel, Number(bottomIndex >> 32n), Number(bottomIndex & 0xffffffffn));
    if (at < 0) throw new Error(`internal: node ${bottomIndex} at height ${bottomHeight} was not kept`);
    const node = bottomLevel.hashes.slice(32 * at, 32 * at + 32);
    const scratch = new Uint8Array(64);
    for (let d = bottomHeight; d < height; d++) {
      const isRight = ((first >> BigInt(d)) & 1n) === 1n;
      scratch.set(isRight ? DEFAULT_HASHES[d]! : node, 0);
      scratch.set(isRight ? node : DEFAULT_HASHES[d]!, 32);
      keccak256Into(scratch, 0, node, 0);
    }
    return node;
  }
}

/**
 * Root implied by `proof` for `leaf` at `slot`. Throws `ProofError` when the proof is not exactly
 * 8 + 32 × popcount(bitmap) bytes (the contract's only structural rule, §3).
 *
 * A provided sibling equal to default[d] is accepted: the contract accepts it too (it checks the length only),
 * it yields the same root as the canonical proof, and nothing in the protocol identifies a proof by its bytes.
 */
/**
 * The parents of the non-empty nodes `level` at height `d`: each parent hashes its two children, or its one
 * child with default[d]. `inputs` is scratch space of at least 64 bytes per node of `level` (reused across
 * levels). Every parent's 64-byte input is laid out first and all are hashed in one keccak256Pairs call (no
 * per-node JS → WASM round trip). With `marks`, a paired child is marked in `keep` and its parent in
 * `parentIsBranch` (what SparseMerkleTree keeps for proofs); the checkpoint tree's workers need neither.
 */
export function liftLevel(level: Level, d: number, inputs: Uint8Array, marks?: { keep: Uint8Array; parentIsBranch: Uint8Array }): Level {
  const { count, hi, lo, hashes } = level;
  const inputWords = new Uint32Array(inputs.buffer, inputs.byteOffset, inputs.byteLength >>> 2);
  const siblingWords = DEFAULT_WORDS[d]!;
  const words = new Uint32Array(hashes.buffer, hashes.byteOffset, 8 * count);
  const parentHi = new Uint32Array(count);
  const parentLo = new Uint32Array(count);
  let parents = 0;
  for (let i = 0; i < count; ) {
    const h = hi[i]!;
    const l = lo[i]!;
    const at = 16 * parents;
    // Children of one parent are adjacent in the sorted level: index 2p and 2p+1.
    if (i + 1 < count && (l & 1) === 0 && hi[i + 1] === h && lo[i + 1] === l + 1) {
      for (let w = 0; w < 16; w++) inputWords[at + w] = words[8 * i + w]!;
      if (marks !== undefined) {
        marks.keep[i] = 1;
        marks.keep[i + 1] = 1;
        marks.parentIsBranch[parents] = 1;
      }
      i += 2;
    } else {
      // Copy word by word: no subarray views, which on ~4.7M single-child nodes is measurable GC.
      const own = (l & 1) === 1 ? 8 : 0;
      const other = 8 - own;
      for (let w = 0; w < 8; w++) {
        inputWords[at + own + w] = words[8 * i + w]!;
        inputWords[at + other + w] = siblingWords[w]!;
      }
      i += 1;
    }
    parentHi[parents] = h >>> 1;
    parentLo[parents] = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
    parents++;
  }
  const parentHashes = new Uint8Array(32 * parents);
  keccak256Pairs(inputs, parentHashes, parents);
  return { count: parents, hi: parentHi.subarray(0, parents), lo: parentLo.subarray(0, parents), hashes: parentHashes };
}

export function computeRootFromProof(slot: bigint, leaf: Uint8Array | Hex, proof: Uint8Array | Hex): Uint8Array {
  if (typeof slot !== 'bigint' || slot < 0n || slot > UINT64_MAX) {
    throw new ProofError('invalid_slot', `slot ${String(slot)} is not a uint64`);
  }
  const leafBytes = asBytes(leaf, 'invalid_leaf', 'leaf');
  if (leafBytes.length !== 32) throw new ProofError('invalid_leaf', `leaf must be 32 bytes, got ${leafBytes.length}`);
  const proofBytes = asBytes(proof, 'invalid_proof_hex', 'proof');
  checkProofLength(proofBytes);

  const view = new DataView(proofBytes.buffer, proofBytes.byteOffset, proofBytes.byteLength);
  const bitmapHi = view.getUint32(0);
  const bitmapLo = view.getUint32(4);
  const [slotHi, slotLo] = splitSlot(slot);
  const scratch = new Uint8Array(64);
  const node = new Uint8Array(32);
  node.set(leafBytes);
  // While the running node is still default[d] and the sibling is default too, the parent is default[d+1]:
  // exclusion proofs of sparse trees skip most of their hashes.
  let nodeIsDefault = equalBytes(leafBytes, ZERO_LEAF);
  let next = 8;
  for (let d = 0; d < TREE_DEPTH; d++) {
    const hasSibling = ((d < 32 ? bitmapLo >>> d : bitmapHi >>> (d - 32)) & 1) === 1;
    if (!hasSibling && nodeIsDefault) continue; // node stays default[d+1]
    if (nodeIsDefault) node.set(DEFAULT_HASHES[d]!);
    nodeIsDefault = false;
    const sibling = hasSibling ? proofBytes.subarray(next, next + 32) : DEFAULT_HASHES[d]!;
    if (hasSibling) next += 32;
    const isRight = ((d < 32 ? slotLo >>> d : slotHi >>> (d - 32)) & 1) === 1;
    scratch.set(isRight ? sibling : node, 0);
    scratch.set(isRight ? node : sibling, 32);
    keccak256Into(scratch, 0, node, 0);
  }
  return nodeIsDefault ? DEFAULT_HASHES[TREE_DEPTH]!.slice() : node;
}

/**
 * True iff `proof` proves `leaf` at `slot` under `root` (an exclusion proof is a proof of a zero leaf).
 * Untrusted proof bytes never throw: a malformed proof is simply not valid.
 */
export function verifyProof(root: Uint8Array | Hex, slot: bigint, leaf: Uint8Array | Hex, proof: Uint8Array | Hex): boolean {
  const rootBytes = asBytes(root, 'invalid_root', 'root');
  if (rootBytes.length !== 32) throw new ProofError('invalid_root', `root must be 32 bytes, got ${rootBytes.length}`);
  try {
    return equalBytes(computeRootFromProof(slot, leaf, proof), rootBytes);
  } catch (error) {
    if (error instanceof ProofError && (error.code === 'invalid_proof_length' || error.code === 'invalid_proof_hex')) {
      return false;
    }
    throw error;
  }
}

/** Throws `ProofError('invalid_proof_length')` unless the proof is exactly 8 + 32 × popcount(bitmap) bytes. */
export function checkProofLength(proof: Uint8Array): void {
  if (proof.length < 8) {
    throw new ProofError('invalid_proof_length', `proof must start with an 8-byte bitmap, got ${proof.length} bytes`);
  }
  const view = new DataView(proof.buffer, proof.byteOffset, proof.byteLength);
  const siblings = popcount32(view.getUint32(0)) + popcount32(view.getUint32(4));
  if (proof.length !== 8 + 32 * siblings) {
    throw new ProofError(
      'invalid_proof_length',
      `proof length must be 8 + 32 × popcount(bitmap) = ${8 + 32 * siblings} bytes, got ${proof.length}`,
    );
  }
}

// ---- helpers over (hi, lo) uint64 halves

function splitSlot(slot: bigint): [number, number] {
  if (typeof slot !== 'bigint' || slot < 0n || slot > UINT64_MAX) {
    throw new TreeError('invalid_slot', `slot ${String(slot)} is not a uint64`);
  }
  return [Number(slot >> 32n), Number(slot & 0xffffffffn)];
}

function siblingIndex(slot: bigint, height: number): bigint {
  return (slot >> BigInt(height)) ^ 1n;
}

/** Lowest height at which the paths of two distinct slots share a node (= bit length of a xor b). */
function commonHeight(aHi: number, aLo: number, bHi: number, bLo: number): number {
  const xorHi = (aHi ^ bHi) >>> 0;
  if (xorHi !== 0) return 64 - Math.clz32(xorHi);
  return 32 - Math.clz32((aLo ^ bLo) >>> 0);
}

/** First position whose index is ≥ (hi, lo). */
function lowerBound(level: Level, hi: number, lo: number): number {
  let low = 0;
  let high = level.count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const midHi = level.hi[mid]!;
    if (midHi < hi || (midHi === hi && level.lo[mid]! < lo)) low = mid + 1;
    else high = mid;
  }
  return low;
}

function find(level: Level, hi: number, lo: number): number {
  const at = lowerBound(level, hi, lo);
  return at < level.count && level.hi[at] === hi && level.lo[at] === lo ? at : -1;
}

function compact(level: Level, keep: Uint8Array): Level {
  let count = 0;
  for (let i = 0; i < level.count; i++) count += keep[i]!;
  const out: Level = { count, hi: new Uint32Array(count), lo: new Uint32Array(count), hashes: new Uint8Array(32 * count) };
  let k = 0;
  for (let i = 0; i < level.count; i++) {
    if (keep[i] === 0) continue;
    out.hi[k] = level.hi[i]!;
    out.lo[k] = level.lo[i]!;
    out.hashes.set(level.hashes.subarray(32 * i, 32 * i + 32), 32 * k);
    k++;
  }
  return out;
}

function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function asBytes(value: Uint8Array | Hex, code: ProofErrorCode, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  try {
    return toBytes(value, undefined, name);
  } catch (cause) {
    throw new ProofError(code, `${name} is not valid hex`, { cause });
  }
}
