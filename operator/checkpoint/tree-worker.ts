/**
 * Worker side of the checkpoint tree (tree.ts): lifts a run of changed buckets' items (leaves of the sub-buckets
 * that moved, kept sub-bucket nodes at SUB_HEIGHT) to BUCKET_HEIGHT with client/protocol's liftSorted, and
 * returns each bucket's root and each sub-bucket's node on the way. Buckets are disjoint ranges of slots, so one
 * sorted run of several buckets ends with exactly one node per non-empty bucket, in order.
 */
import { liftSorted, type LiftedNodes } from '../../client/protocol/smt-lift.ts';
import { serveJobs } from '../workers/worker-side.ts';

export interface LiftJob {
  /** Position in slot space of each item (a leaf's slot; a kept sub-bucket node's index << SUB_HEIGHT), ascending. */
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  /** Start height of each item: 0 (a leaf) or the capture height (a kept sub-bucket node). */
  readonly heights: Uint8Array;
  /** 32 bytes per item. */
  readonly hashes: Uint8Array;
  /** Height to lift to (BUCKET_HEIGHT) and height whose nodes come back too (SUB_HEIGHT). */
  readonly height: number;
  readonly capture: number;
}

export interface LiftReply {
  /** The buckets' roots, ascending. */
  readonly roots: LiftedNodes;
  /** Every sub-bucket node of those buckets, ascending. */
  readonly subs: LiftedNodes;
}

export function liftBuckets(job: LiftJob): LiftReply {
  const { top, captured } = liftSorted({ count: job.hi.length, hi: job.hi, lo: job.lo, heights: job.heights, hashes: job.hashes }, job.height, job.capture);
  return { roots: top, subs: captured };
}

serveJobs(import.meta.url, (job: LiftJob) => {
  const result = liftBuckets(job);
  const buffers = [result.roots.index.buffer, result.roots.hashes.buffer, result.subs.index.buffer, result.subs.hashes.buffer] as ArrayBuffer[];
  return { result, transfer: buffers };
});
