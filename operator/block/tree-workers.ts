/**
 * The block tree and every inclusion proof, built on two threads.
 *
 * Why: a block of 100,000 transfers costs ~5 million keccak calls (the ~17 shared top levels plus a private path
 * of ~47 nodes per leaf), seconds on one core. The two halves of the slot space (top bit 0 or 1) are independent
 * subtrees up to height 63, so two workers build one each (tree-worker.ts) and the root is
 * keccak(left half ‖ right half). A proof from a half is the full proof except at height 63, where the sibling
 * is the other half's root: when that half is not empty, bit 63 of the bitmap (the top bit of its first byte) is
 * set and the other root is appended (siblings go in increasing height, and 63 is the last). The bytes are
 * exactly SparseMerkleTree's; test/operator/block/tree-workers.test.ts compares them.
 *
 * Small blocks (and any environment where a worker cannot start) are built in-process: a worker round trip is
 * not worth it below a few thousand leaves. The workers are a WorkerPool (operator/workers/pool.ts).
 */
import { bytesToHex, keccak256Pair, SparseMerkleTree, type Hash } from '../../client/protocol/index.ts';
import { WorkerPool } from '../workers/pool.ts';
import { buildHalf, type Half, type HalfJob } from './tree-worker.ts';

export interface BlockLeaf {
  readonly slot: bigint;
  /** The transaction's digest: 32 bytes, never zero. */
  readonly leaf: Uint8Array;
}

export interface BlockTree {
  readonly root: Hash;
  /** The inclusion proof of each leaf, in the order the leaves were given. */
  readonly proofs: Uint8Array[];
}

/** Below this many leaves the tree is built on the calling thread. */
export const PARALLEL_THRESHOLD = 4096;
const TOP_BIT = 1n << 63n;

export async function buildBlockTree(leaves: readonly BlockLeaf[]): Promise<BlockTree> {
  if (leaves.length < PARALLEL_THRESHOLD) {
    const tree = SparseMerkleTree.build(leaves);
    return { root: tree.root, proofs: leaves.map((leaf) => tree.proofBytes(leaf.slot)) };
  }
  // positions[top] = indices into `leaves` of that half, in order
  const positions: number[][] = [[], []];
  leaves.forEach((leaf, k) => positions[leaf.slot >= TOP_BIT ? 1 : 0]!.push(k));
  const halves = await Promise.all(
    positions.map((indices, top) => {
      const slots = BigUint64Array.from(indices, (k) => leaves[k]!.slot);
      const bytes = new Uint8Array(32 * indices.length);
      indices.forEach((k, j) => bytes.set(leaves[k]!.leaf, 32 * j));
      return runHalf({ top, slots, leaves: bytes });
    }),
  );
  const [left, right] = halves as [Half, Half];
  const root = keccak256Pair(left.halfRoot, right.halfRoot);
  const proofs = new Array<Uint8Array>(leaves.length);
  for (const top of [0, 1]) {
    const own = halves[top]!;
    const other = halves[1 - top]!.halfRoot;
    const otherEmpty = positions[1 - top]!.length === 0;
    positions[top]!.forEach((k, j) => {
      const proof = own.proofs.subarray(own.offsets[j]!, own.offsets[j + 1]!);
      if (otherEmpty) {
        proofs[k] = proof;
        return;
      }
      const full = new Uint8Array(proof.length + 32);
      full.set(proof);
      full[0]! |= 0x80; // bit 63 of the big-endian bitmap
      full.set(other, proof.length);
      proofs[k] = full;
    });
  }
  return { root: bytesToHex(root), proofs };
}

const pool = new WorkerPool<HalfJob, Half>(new URL('./tree-worker.ts', import.meta.url), 2);

/** Halves built on a worker thread so far (the in-process fallback does not count). */
export function halvesBuiltOnWorkers(): number {
  return pool.answeredByWorkers;
}

function runHalf(job: HalfJob): Promise<Half> {
  if (job.slots.length === 0) return Promise.resolve(buildHalf(job));
  return pool.run(job, [job.slots.buffer, job.leaves.buffer] as ArrayBuffer[], buildHalf);
}
