/**
 * Worker side of the checkpoint tree (tree.ts): the root of each bucket (the node at height BUCKET_HEIGHT) from
 * the bucket's leaves. Buckets are disjoint ranges of slots, so lifting one sorted list of leaves of several
 * buckets level by level, as SparseMerkleTree does, ends at BUCKET_HEIGHT with exactly one node per non-empty
 * bucket, in order. Only the roots go back (nothing below is kept: proofs are derived later from the stored
 * leaves of one bucket, tree.ts deriveCheckpointProof).
 */
import { liftLevel, type Level } from '../../client/protocol/smt.ts';
import { serveJobs } from '../workers/worker-side.ts';

export interface BucketJob {
  /** Height of the nodes the inputs are (0: leaves). */
  readonly from?: number;
  /** Height of the nodes to lift them to (every input of one output shares index >> (height - from)). */
  readonly height: number;
  /** Indices at height `from` (slots for leaves), ascending, no duplicates, every node non-empty. */
  readonly slots: BigUint64Array;
  /** 32 bytes per index. */
  readonly leaves: Uint8Array;
}

export interface BucketRoots {
  /** slot >> height of each non-empty bucket, ascending. */
  readonly buckets: Float64Array;
  /** 32 bytes per bucket. */
  readonly roots: Uint8Array;
}

export function bucketRoots(job: BucketJob): BucketRoots {
  const count0 = job.slots.length;
  const hi = new Uint32Array(count0);
  const lo = new Uint32Array(count0);
  for (let k = 0; k < count0; k++) {
    const slot = job.slots[k]!;
    hi[k] = Number(slot >> 32n);
    lo[k] = Number(slot & 0xffffffffn);
  }
  // A Uint32Array view needs 4-byte alignment: a transferred slice of a larger buffer may not have it.
  const leaves = job.leaves.byteOffset % 4 === 0 ? job.leaves : job.leaves.slice();
  let level: Level = { count: count0, hi, lo, hashes: leaves };
  const inputs = new Uint8Array(64 * Math.max(count0, 1));
  for (let d = job.from ?? 0; d < job.height; d++) level = liftLevel(level, d, inputs);
  const { count } = level;
  const buckets = new Float64Array(count);
  for (let k = 0; k < count; k++) buckets[k] = level.hi[k]! * 2 ** 32 + level.lo[k]!;
  return { buckets, roots: level.hashes.slice(0, 32 * count) };
}

serveJobs(import.meta.url, (job: BucketJob) => {
  const result = bucketRoots(job);
  return { result, transfer: [result.buckets.buffer, result.roots.buffer] as ArrayBuffer[] };
});
