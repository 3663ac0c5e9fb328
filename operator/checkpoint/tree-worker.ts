/**
 * Worker side of the checkpoint tree (tree.ts): the root of each bucket (the node at height BUCKET_HEIGHT) from
 * the bucket's leaves. Buckets are disjoint ranges of slots, so lifting one sorted list of leaves of several
 * buckets level by level, as SparseMerkleTree does, ends at BUCKET_HEIGHT with exactly one node per non-empty
 * bucket, in order. Only the roots go back (nothing below is kept: proofs are derived later from the stored
 * leaves of one bucket, tree.ts deriveCheckpointProof).
 */
import { DEFAULT_HASHES } from '../../client/protocol/smt.ts';
import { keccak256Pairs } from '../../client/protocol/keccak-batch.ts';
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

const DEFAULT_WORDS: readonly Uint32Array[] = DEFAULT_HASHES.map((hash) => new Uint32Array(hash.slice().buffer));

export function bucketRoots(job: BucketJob): BucketRoots {
  const count0 = job.slots.length;
  let hi = new Uint32Array(count0);
  let lo = new Uint32Array(count0);
  for (let k = 0; k < count0; k++) {
    const slot = job.slots[k]!;
    hi[k] = Number(slot >> 32n);
    lo[k] = Number(slot & 0xffffffffn);
  }
  let hashes = job.leaves.byteOffset % 4 === 0 ? job.leaves : job.leaves.slice();
  let count = count0;
  const inputs = new Uint8Array(64 * Math.max(count0, 1));
  const inputWords = new Uint32Array(inputs.buffer);
  const from = job.from ?? 0;
  for (let d = from; d < job.height; d++) {
    const words = new Uint32Array(hashes.buffer, hashes.byteOffset, 8 * count);
    const siblingWords = DEFAULT_WORDS[d]!;
    const parentHi = new Uint32Array(count);
    const parentLo = new Uint32Array(count);
    let parents = 0;
    for (let i = 0; i < count; ) {
      const h = hi[i]!;
      const l = lo[i]!;
      const at = 16 * parents;
      if (i + 1 < count && (l & 1) === 0 && hi[i + 1] === h && lo[i + 1] === l + 1) {
        for (let w = 0; w < 16; w++) inputWords[at + w] = words[8 * i + w]!;
        i += 2;
      } else {
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
    hi = parentHi.subarray(0, parents);
    lo = parentLo.subarray(0, parents);
    hashes = parentHashes;
    count = parents;
  }
  const buckets = new Float64Array(count);
  for (let k = 0; k < count; k++) buckets[k] = hi[k]! * 2 ** 32 + lo[k]!;
  return { buckets, roots: hashes.slice(0, 32 * count) };
}

serveJobs(import.meta.url, (job: BucketJob) => {
  const result = bucketRoots(job);
  return { result, transfer: [result.buckets.buffer, result.roots.buffer] as ArrayBuffer[] };
});
