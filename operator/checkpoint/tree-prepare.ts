/**
 * The three steps of a checkpoint build (tree.ts prepare), over columnar data: a million changes must not be a
 * million objects, nor a million BigInts.
 *
 * 1. BucketedChanges groups the changes by bucket (a counting sort), then, a range of buckets at a time,
 * 2. hashes their leaves, keccak256(abi.encode(txBlock, digest)), in batches (keccak256Pairs), and merges each
 *    bucket's changes, sorted by slot, into its old records; a bucket whose records did not change is dropped.
 * 3. liftChangedBuckets: each changed bucket's root at BUCKET_HEIGHT, on the worker threads (tree-worker.ts,
 *    client/protocol/smt-lift.ts). Where a bucket's sub-bucket nodes (SUB_HEIGHT) are known, only the
 *    sub-buckets with a change are lifted from their leaves and the others start from their kept node; the
 *    lift returns every sub-bucket node again, for the next checkpoint.
 */
import { keccak256Pairs } from '../../client/protocol/keccak-batch.ts';
import type { LiftedNodes } from '../../client/protocol/smt-lift.ts';
import { WorkerPool } from '../workers/pool.ts';
import { BUCKET_HEIGHT, BUCKETS, RECORD_BYTES, recordCount, recordView, SUB_HEIGHT, type LeafChanges } from './records.ts';
import { liftBuckets, type LiftJob, type LiftReply } from './tree-worker.ts';

/** The nodes at SUB_HEIGHT of one bucket's non-empty sub-buckets, ascending. */
export interface SubNodes {
  readonly index: Float64Array;
  readonly nodes: Uint8Array;
}

/** Below this many items to lift, no worker round trip. */
const PARALLEL_THRESHOLD = 4096;
const SUBS_PER_BUCKET = 2 ** (BUCKET_HEIGHT - SUB_HEIGHT);

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Each u64's two 32-bit halves (low, high) without BigInts: the host is little-endian (every platform Node runs on). */
function u64Words(values: BigUint64Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, 2 * values.length);
}

/**
 * Step 1: the leaves of the changes `indices`, written at 32·i in `leaves`: abi.encode(uint256 txBlock, bytes32
 * digest) hashed in batches (txBlock < 2^64 fills the last 8 bytes of its word).
 */
function hashLeaves(blockWords: Uint32Array, digestWords: Uint32Array, indices: Uint32Array, leafWords: Uint32Array): void {
  const CHUNK = 16_384;
  const input = new Uint8Array(64 * CHUNK);
  const inputView = new DataView(input.buffer);
  const inputWords = new Uint32Array(input.buffer);
  const output = new Uint32Array(8 * CHUNK);
  const outputBytes = new Uint8Array(output.buffer);
  for (let start = 0; start < indices.length; start += CHUNK) {
    const end = Math.min(indices.length, start + CHUNK);
    for (let k = start; k < end; k++) {
      const i = indices[k]!;
      const at = 64 * (k - start);
      inputView.setUint32(at + 24, blockWords[2 * i + 1]!);
      inputView.setUint32(at + 28, blockWords[2 * i]!);
      for (let w = 0; w < 8; w++) inputWords[at / 4 + 8 + w] = digestWords[8 * i + w]!;
    }
    keccak256Pairs(input, outputBytes, end - start);
    for (let k = start; k < end; k++) {
      const i = indices[k]!;
      for (let w = 0; w < 8; w++) leafWords[8 * i + w] = output[8 * (k - start) + w]!;
    }
  }
}

export interface MergedBuckets {
  /** Every bucket whose records changed, with its complete new records (empty: no leaf left). */
  readonly buckets: Map<number, Uint8Array>;
  /** Leaves whose value changed, and the change in the number of non-zero leaves. */
  readonly changed: number;
  readonly leafCountDelta: number;
}

/**
 * Step 2: the changes grouped by bucket (a counting sort on the top 16 bits), each group sorted by slot when it
 * is merged. One entry per slot: of two changes of one slot the later wins.
 */
export class BucketedChanges {
  readonly #txBlockWords: Uint32Array;
  readonly #leafWords: Uint32Array;
  readonly #words: Uint32Array;
  /** Changes of bucket b: order[starts[b] .. starts[b + 1]). */
  readonly #starts = new Uint32Array(BUCKETS + 1);
  readonly #order: Uint32Array;

  readonly #digestWords: Uint32Array;

  constructor(changes: LeafChanges) {
    const n = changes.slots.length;
    const words = u64Words(changes.slots);
    const { digests } = changes;
    this.#digestWords = digests.byteOffset % 4 === 0 ? new Uint32Array(digests.buffer, digests.byteOffset, 8 * n) : new Uint32Array(digests.slice().buffer);
    this.#words = words;
    this.#txBlockWords = u64Words(changes.txBlocks);
    this.#leafWords = new Uint32Array(8 * n);
    const starts = this.#starts;
    for (let i = 0; i < n; i++) starts[(words[2 * i + 1]! >>> 16) + 1]!++;
    for (let b = 0; b < BUCKETS; b++) starts[b + 1]! += starts[b]!;
    this.#order = new Uint32Array(n);
    const fill = starts.slice(0, BUCKETS);
    for (let i = 0; i < n; i++) this.#order[fill[words[2 * i + 1]! >>> 16]!++] = i;
  }

  /** Changes in buckets below `bucket` (to cut the work into ranges of equal size). */
  countBelow(bucket: number): number {
    return this.#starts[bucket]!;
  }

  /** The sub-buckets (slot >> SUB_HEIGHT) with a change in `bucket`. */
  subBucketsOf(bucket: number): Set<number> {
    const set = new Set<number>();
    for (let k = this.#starts[bucket]!; k < this.#starts[bucket + 1]!; k++) set.add(this.#words[2 * this.#order[k]! + 1]! >>> (SUB_HEIGHT - 32));
    return set;
  }

  /** The new records of the buckets in [from, to) with a change that changes them. */
  async merge(from: number, to: number, oldBucket: (bucket: number) => Uint8Array): Promise<MergedBuckets> {
    const words = this.#words;
    const order = this.#order;
    const before = (x: number, y: number): boolean => {
      const xHi = words[2 * x + 1]!;
      const yHi = words[2 * y + 1]!;
      if (xHi !== yHi) return xHi < yHi;
      const xLo = words[2 * x]!;
      const yLo = words[2 * y]!;
      return xLo !== yLo ? xLo < yLo : x < y;
    };
    hashLeaves(this.#txBlockWords, this.#digestWords, order.subarray(this.#starts[from]!, this.#starts[to]!), this.#leafWords);
    await yieldNow();
    const buckets = new Map<number, Uint8Array>();
    let changed = 0;
    let leafCountDelta = 0;
    for (let b = from; b < to; b++) {
      const first = this.#starts[b]!;
      const end = this.#starts[b + 1]!;
      if (first === end) continue;
      // insertion sort: a bucket holds a handful of changes
      for (let k = first + 1; k < end; k++) {
        const item = order[k]!;
        let j = k - 1;
        while (j >= first && before(item, order[j]!)) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = item;
      }
      const old = oldBucket(b);
      const result = mergeBucket(old, order.subarray(first, end), words, this.#txBlockWords, this.#leafWords);
      if (result.changed === 0) continue;
      changed += result.changed;
      leafCountDelta += recordCount(result.records) - recordCount(old);
      buckets.set(b, result.records);
      if (buckets.size % 4096 === 0) await yieldNow();
    }
    return { buckets, changed, leafCountDelta };
  }
}

const NO_WORDS = new Uint32Array(0);
let scratchWords = new Uint32Array(1024);
function scratch(words: number): Uint32Array {
  if (scratchWords.length < words) scratchWords = new Uint32Array(Math.max(words, 2 * scratchWords.length));
  return scratchWords;
}

/** A 32-bit word's bytes reversed: records are big-endian, the host's typed arrays little-endian. */
const swap = (x: number): number => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/**
 * One bucket's new records: its old records (`old`, a copy when unaligned) with the changes `group` (indices,
 * sorted by slot) applied. Word arithmetic throughout (a million changes, no DataView or BigInt per change).
 */
function mergeBucket(old: Uint8Array, group: Uint32Array, words: Uint32Array, txBlockWords: Uint32Array, leafWords: Uint32Array): { records: Uint8Array; changed: number } {
  const RECORD_WORDS = RECORD_BYTES / 4;
  const oldWords = old.length === 0 ? NO_WORDS : new Uint32Array(old.byteOffset % 4 === 0 ? old.buffer : old.slice().buffer, old.byteOffset % 4 === 0 ? old.byteOffset : 0, old.length / 4);
  const oldCount = recordCount(old);
  // the records are assembled in a reused scratch array: one allocation per bucket (the result), not three
  const out = scratch(oldWords.length + RECORD_WORDS * group.length);
  let o = 0;
  let w = 0;
  let changed = 0;
  for (let g = 0; g < group.length; g++) {
    const i = group[g]!;
    const hi = words[2 * i + 1]!;
    const lo = words[2 * i]!;
    if (g + 1 < group.length) {
      const next = group[g + 1]!;
      if (words[2 * next + 1] === hi && words[2 * next] === lo) continue; // a later change of the slot wins
    }
    // old records before the slot stay; then `had`: the slot has an old record
    let had = false;
    while (o < oldCount) {
      const oldHi = swap(oldWords[RECORD_WORDS * o]!);
      const oldLo = swap(oldWords[RECORD_WORDS * o + 1]!);
      if (oldHi > hi || (oldHi === hi && oldLo > lo)) break;
      if (oldHi === hi && oldLo === lo) {
        had = true;
        break;
      }
      out.set(oldWords.subarray(RECORD_WORDS * o, RECORD_WORDS * (o + 1)), RECORD_WORDS * w++);
      o++;
    }
    if (txBlockWords[2 * i] === 0 && txBlockWords[2 * i + 1] === 0) {
      if (had) changed++; // the leaf becomes zero: no record
    } else {
      const at = RECORD_WORDS * w++;
      let same = had;
      for (let k = 0; k < 8; k++) {
        const word = leafWords[8 * i + k]!;
        if (had && oldWords[RECORD_WORDS * o + 4 + k] !== word) same = false;
        out[at + 4 + k] = word;
      }
      if (!same) changed++;
      out[at] = swap(hi);
      out[at + 1] = swap(lo);
      out[at + 2] = swap(txBlockWords[2 * i + 1]!);
      out[at + 3] = swap(txBlockWords[2 * i]!);
    }
    if (had) o++;
  }
  if (o < oldCount) {
    out.set(oldWords.subarray(RECORD_WORDS * o), RECORD_WORDS * w);
    w += oldCount - o;
  }
  return { records: new Uint8Array(out.buffer, 0, RECORD_BYTES * w).slice(), changed };
}

const pool = new WorkerPool<LiftJob, LiftReply>(new URL('./tree-worker.ts', import.meta.url), 2);

/** Lift jobs answered by a worker thread so far (a test checks that big builds do not run in-process). */
export function liftsOnWorkers(): number {
  return pool.answeredByWorkers;
}

/** The items of the lift: columnar, filled bucket by bucket in slot order. */
class LiftItems {
  count = 0;
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly heights: Uint8Array;
  readonly hashes: Uint8Array;
  readonly #hashWords: Uint32Array;
  constructor(capacity: number) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.heights = new Uint8Array(capacity);
    this.hashes = new Uint8Array(32 * capacity);
    this.#hashWords = new Uint32Array(this.hashes.buffer);
  }
  addRecord(view: DataView, r: number): void {
    const at = RECORD_BYTES * r;
    this.hi[this.count] = view.getUint32(at);
    this.lo[this.count] = view.getUint32(at + 4);
    for (let w = 0; w < 8; w++) this.#hashWords[8 * this.count + w] = view.getUint32(at + 16 + 4 * w, true);
    this.count++;
  }
  addSub(sub: number, node: Uint8Array): void {
    // position of the sub-bucket's node: sub << SUB_HEIGHT (sub < 2^24, so it lies in the high word)
    this.hi[this.count] = sub * 2 ** (SUB_HEIGHT - 32);
    this.lo[this.count] = 0;
    this.heights[this.count] = SUB_HEIGHT;
    this.hashes.set(node, 32 * this.count++);
  }
  /** Items [from, to) as a job (copies: the buffers move to a worker). */
  job(from: number, to: number): LiftJob {
    return { hi: this.hi.slice(from, to), lo: this.lo.slice(from, to), heights: this.heights.slice(from, to), hashes: this.hashes.slice(32 * from, 32 * to), height: BUCKET_HEIGHT, capture: SUB_HEIGHT };
  }
}

export interface LiftedBuckets {
  /** Root (height BUCKET_HEIGHT) of every changed bucket that still has a leaf, ascending. */
  readonly roots: LiftedNodes;
  /** Sub-bucket nodes of every changed bucket (an emptied bucket has none). */
  readonly subs: Map<number, SubNodes>;
}

/**
 * Step 3. `movedSubs(bucket)`: the sub-buckets with a change, re-lifted from their leaves where the bucket's
 * sub-bucket nodes are known (`keptSubs`); the others start from their kept node. Returns once the lift is
 * posted to the workers and done; the items are built before the first await, so a caller that does not await at
 * once can merge the next range of buckets while the workers lift this one.
 */
export async function liftChangedBuckets(buckets: ReadonlyMap<number, Uint8Array>, movedSubs: (bucket: number) => Set<number>, keptSubs: (bucket: number) => SubNodes | undefined): Promise<LiftedBuckets> {
  const order = [...buckets.keys()].sort((x, y) => x - y);
  const moved = new Map<number, Set<number>>();
  for (const bucket of order) if (keptSubs(bucket) !== undefined) moved.set(bucket, movedSubs(bucket));
  let capacity = 0;
  for (const bucket of order) capacity += recordCount(buckets.get(bucket)!) + (keptSubs(bucket)?.index.length ?? 0);
  const items = new LiftItems(capacity);
  const bucketEnds: number[] = [];
  for (const bucket of order) {
    const records = buckets.get(bucket)!;
    const view = recordView(records);
    const kept = keptSubs(bucket);
    const set = moved.get(bucket);
    if (kept === undefined || set === undefined) {
      for (let r = 0; r < recordCount(records); r++) items.addRecord(view, r);
    } else {
      // two sorted runs by sub-bucket: the leaves of the moved sub-buckets, the kept nodes of the others
      let k = 0;
      for (let r = 0; r < recordCount(records); r++) {
        const sub = view.getUint32(RECORD_BYTES * r) >>> (SUB_HEIGHT - 32);
        if (!set.has(sub)) continue;
        for (; k < kept.index.length && kept.index[k]! < sub; k++) if (!set.has(kept.index[k]!)) items.addSub(kept.index[k]!, kept.nodes.subarray(32 * k, 32 * k + 32));
        items.addRecord(view, r);
      }
      for (; k < kept.index.length; k++) if (!set.has(kept.index[k]!)) items.addSub(kept.index[k]!, kept.nodes.subarray(32 * k, 32 * k + 32));
    }
    bucketEnds.push(items.count);
  }
  const lifted = await liftInParts(items, bucketEnds);
  // each changed bucket's sub-bucket nodes: a contiguous run of the ascending captured nodes
  const subs = new Map<number, SubNodes>();
  let at = 0;
  for (const bucket of order) {
    const from = at;
    while (at < lifted.subs.index.length && Math.floor(lifted.subs.index[at]! / SUBS_PER_BUCKET) === bucket) at++;
    subs.set(bucket, { index: lifted.subs.index.slice(from, at), nodes: lifted.subs.hashes.slice(32 * from, 32 * at) });
  }
  return { roots: lifted.roots, subs };
}

/** Runs the lift in two jobs cut at a bucket boundary near the middle (the two workers), or in-process if small. */
async function liftInParts(items: LiftItems, bucketEnds: readonly number[]): Promise<LiftReply> {
  const n = items.count;
  if (n < PARALLEL_THRESHOLD) return liftBuckets(items.job(0, n));
  const cut = bucketEnds.find((end) => end >= n / 2) ?? n;
  const parts = cut >= n ? [[0, n]] : [[0, cut], [cut, n]];
  const replies = await Promise.all(parts.map(([from, to]) => {
    const job = items.job(from!, to!);
    return pool.run(job, [job.hi.buffer, job.lo.buffer, job.heights.buffer, job.hashes.buffer] as ArrayBuffer[], liftBuckets);
  }));
  return { roots: concatNodes(replies.map((r) => r.roots)), subs: concatNodes(replies.map((r) => r.subs)) };
}

function concatNodes(parts: readonly LiftedNodes[]): LiftedNodes {
  if (parts.length === 1) return parts[0]!;
  const count = parts.reduce((sum, part) => sum + part.index.length, 0);
  const index = new Float64Array(count);
  const hashes = new Uint8Array(32 * count);
  let at = 0;
  for (const part of parts) {
    index.set(part.index, at);
    hashes.set(part.hashes, 32 * at);
    at += part.index.length;
  }
  return { index, hashes };
}
