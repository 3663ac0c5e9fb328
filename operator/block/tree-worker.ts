/**
 * Worker side of tree-workers.ts: builds the tree of one half of the slot space (every slot with the same top
 * bit) and the inclusion proof of each of its leaves within that half. The half root (the node at height 63)
 * and the proofs go back packed in transferable buffers, so nothing is copied between threads.
 */
import { SparseMerkleTree, TREE_DEPTH } from '../../client/protocol/smt.ts';
import { serveJobs } from '../workers/worker-side.ts';

export interface HalfJob {
  /** 0 or 1: the top bit of every slot in `slots`. */
  readonly top: number;
  readonly slots: BigUint64Array;
  /** 32 bytes per slot, in the order of `slots`. */
  readonly leaves: Uint8Array;
}

export interface Half {
  readonly halfRoot: Uint8Array;
  /** Proof k is proofs[offsets[k] .. offsets[k+1]). */
  readonly offsets: Uint32Array;
  readonly proofs: Uint8Array;
}

export function buildHalf(job: HalfJob): Half {
  const { slots, leaves } = job;
  const tree = SparseMerkleTree.build(Array.from(slots, (slot, k) => ({ slot, leaf: leaves.subarray(32 * k, 32 * k + 32) })));
  const each = Array.from(slots, (slot) => tree.proofBytes(slot));
  const offsets = new Uint32Array(slots.length + 1);
  each.forEach((proof, k) => (offsets[k + 1] = offsets[k]! + proof.length));
  const proofs = new Uint8Array(offsets[slots.length]!);
  each.forEach((proof, k) => proofs.set(proof, offsets[k]!));
  return { halfRoot: tree.nodeAt(TREE_DEPTH - 1, BigInt(job.top)), offsets, proofs };
}

serveJobs(import.meta.url, (job: HalfJob) => {
  const half = buildHalf(job);
  return { result: half, transfer: [half.halfRoot.buffer, half.offsets.buffer, half.proofs.buffer] as ArrayBuffer[] };
});
