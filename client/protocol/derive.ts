/**
 * Exclusion proofs without the tree (PROTOCOL.md §3). In one block, the exclusion proof of an absent slot s
 * follows from ONE present leaf n — the one whose path shares the longest prefix with s, which is the nearer of
 * s's predecessor and successor by common-prefix length — and n's stored inclusion proof.
 *
 * Let m be the lowest height at which the paths of s and n share a node (the bit length of s xor n). Then:
 * - below height m−1 every sibling of s is empty: a leaf there would share a longer prefix with s than n does;
 * - the sibling at height m−1 is n's own path node at that height (n's leaf hashed up through n's siblings);
 * - from height m up the two paths coincide, so the siblings are n's.
 *
 * This is what lets the operator serve a coin's history over thousands of blocks from stored rows alone,
 * without rebuilding any block's tree.
 */
import { ProofError } from './errors.ts';
import { bytesToHex, toBytes, UINT64_MAX, type Hex } from './hex.ts';
import { keccak256Into } from './keccak.ts';
import { checkProofLength, DEFAULT_HASHES, TREE_DEPTH } from './smt.ts';

/** A present leaf of the block and its canonical inclusion proof, as stored by the operator. */
export interface ProofNeighbour {
  readonly slot: bigint;
  readonly leaf: Uint8Array | Hex;
  readonly proof: Uint8Array | Hex;
}

/** The exclusion proof of any slot in an empty block: a zero bitmap and no siblings. */
export const EMPTY_BLOCK_EXCLUSION_PROOF: Hex = '0x0000000000000000';

/** Lowest height at which the paths of two slots share a node (= bit length of a xor b; 0 when equal). */
export function commonHeight(a: bigint, b: bigint): number {
  let xor = a ^ b;
  let height = 0;
  while (xor > 0n) {
    xor >>= 1n;
    height++;
  }
  return height;
}

/**
 * Of the present leaves just below and just above `slot` in slot order, the one whose path meets the path of
 * `slot` lowest (the other one never gives the right sibling). Undefined when the block has neither (empty).
 * The two can never tie: they lie on opposite sides of `slot` at the height where they would meet it.
 */
export function pickNeighbour<T extends { readonly slot: bigint }>(slot: bigint, predecessor?: T, successor?: T): T | undefined {
  if (predecessor === undefined) return successor;
  if (successor === undefined) return predecessor;
  return commonHeight(slot, predecessor.slot) <= commonHeight(slot, successor.slot) ? predecessor : successor;
}

/**
 * Canonical exclusion proof of `slot` (absent from the block), derived from the nearest present leaf
 * (`pickNeighbour`) and its inclusion proof; byte-for-byte what `SparseMerkleTree.proof(slot)` gives.
 * Without a neighbour the block is empty and the proof is 8 zero bytes.
 *
 * Throws `ProofError` when the neighbour is the slot itself, its proof is malformed, or it is not the nearest
 * leaf (its proof shows a non-empty subtree on the path of `slot`, so the derived proof would be wrong).
 */
export function deriveExclusionProof(slot: bigint, neighbour?: ProofNeighbour): Hex {
  if (typeof slot !== 'bigint' || slot < 0n || slot > UINT64_MAX) {
    throw new ProofError('invalid_slot', `slot ${String(slot)} is not a uint64`);
  }
  if (neighbour === undefined) return EMPTY_BLOCK_EXCLUSION_PROOF;
  if (neighbour.slot < 0n || neighbour.slot > UINT64_MAX) {
    throw new ProofError('invalid_slot', `neighbour slot ${neighbour.slot} is not a uint64`);
  }
  if (neighbour.slot === slot) {
    throw new ProofError('invalid_slot', `slot ${slot} is present in the block: it has an inclusion proof, not an exclusion proof`);
  }
  const leaf = bytesOf(neighbour.leaf, 'invalid_leaf', 'neighbour leaf');
  if (leaf.length !== 32) throw new ProofError('invalid_leaf', `neighbour leaf must be 32 bytes, got ${leaf.length}`);
  const proof = bytesOf(neighbour.proof, 'invalid_proof_hex', 'neighbour proof');
  checkProofLength(proof);

  const view = new DataView(proof.buffer, proof.byteOffset, proof.byteLength);
  const bitmap = view.getBigUint64(0);
  const meet = commonHeight(slot, neighbour.slot);
  const top = meet - 1; // height of the one non-default sibling below the shared path
  if (((bitmap >> BigInt(top)) & 1n) === 1n) {
    throw new ProofError('invalid_leaf', `slot ${neighbour.slot} is not the nearest leaf to slot ${slot}: the block has a leaf in between`);
  }

  // Lift the neighbour's leaf to height `top` through its own siblings. Bits are read from 32-bit halves, not
  // BigInt shifts: this loop runs ~47 times per exclusion entry of a history, and BigInts there were most of
  // the garbage collector's work.
  const bitmapHi = view.getUint32(0);
  const bitmapLo = view.getUint32(4);
  const slotHi = Number(neighbour.slot >> 32n);
  const slotLo = Number(neighbour.slot & 0xffffffffn);
  const bit = (hi: number, lo: number, d: number): number => (d < 32 ? lo >>> d : hi >>> (d - 32)) & 1;
  const scratch = new Uint8Array(64);
  const node = leaf.slice();
  let next = 8;
  for (let d = 0; d < top; d++) {
    let sibling: Uint8Array = DEFAULT_HASHES[d]!;
    let siblingAt = 0;
    if (bit(bitmapHi, bitmapLo, d) === 1) {
      sibling = proof;
      siblingAt = next;
      next += 32;
    }
    const nodeAt = bit(slotHi, slotLo, d) === 1 ? 32 : 0;
    const otherAt = 32 - nodeAt;
    for (let i = 0; i < 32; i++) {
      scratch[nodeAt + i] = node[i]!;
      scratch[otherAt + i] = sibling[siblingAt + i]!;
    }
    keccak256Into(scratch, 0, node, 0);
  }

  // Siblings from height `meet` up are the neighbour's: the rest of its proof, bitmap bits included.
  const shared = proof.subarray(next);
  const out = new Uint8Array(8 + 32 + shared.length);
  const keptBits = meet >= TREE_DEPTH ? 0n : (bitmap >> BigInt(meet)) << BigInt(meet);
  new DataView(out.buffer).setBigUint64(0, keptBits | (1n << BigInt(top)));
  out.set(node, 8);
  out.set(shared, 40);
  return bytesToHex(out);
}

function bytesOf(value: Uint8Array | Hex, code: 'invalid_leaf' | 'invalid_proof_hex', name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  try {
    return toBytes(value, undefined, name);
  } catch (cause) {
    throw new ProofError(code, `${name} is not valid hex`, { cause });
  }
}
