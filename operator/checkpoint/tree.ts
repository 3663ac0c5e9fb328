/**
 * The checkpoint tree (PROTOCOL.md §10, docs/CHECKPOINTS.md §5): a depth-64 sparse Merkle tree (§3) over every
 * coin's checkpoint leaf, kept in memory between checkpoints and rebuilt incrementally.
 *
 * Layout. The slot space is cut into 2^16 *buckets* at height BUCKET_HEIGHT = 48 (bucket = slot >> 48). A bucket
 * is a packed, slot-sorted array of 48-byte records (slot u64 ‖ txBlock u64 ‖ leaf 32), exactly what the database
 * stores per changed bucket (db/checkpoints.ts). Above the buckets the tree is dense: heights 48..64 are 2^17 nodes
 * (4 MiB), each level one buffer, so a level is hashed from the one below in place (keccak256Pairs over it).
 *
 * A checkpoint's changes (the slots whose leaf moved since the previous one) touch some buckets. In memory only,
 * each bucket also keeps its nodes at height 40 (SUB_HEIGHT; at 1M coins a sub-bucket almost always holds one leaf):
 * a changed leaf re-lifts its own sub-bucket to 40, its bucket is re-combined from its sub-bucket nodes to 48 (both
 * on the two worker threads, tree-worker.ts), then the 2^16-node top is rehashed. A full build costs ~47 hashes per
 * coin (the private path of each leaf below its bucket); 1% of 1M coins changed, ~1.5 M hashes.
 *
 * Proofs are derived, never stored: the siblings below 48 come from the leaves of the slot's one bucket (a
 * SparseMerkleTree over ~15 leaves), the 16 above from the top nodes (deriveCheckpointProof). The bytes are the
 * canonical §3 proof that client/protocol verifies.
 *
 * `prepare` computes a checkpoint without touching the tree; `commit` makes it the tree's state once stored.
 */
import { bytesToHex, checkpointLeaf, equalBytes, SparseMerkleTree, writeCheckpointLeafInput, type Hash } from '../../client/protocol/index.ts';
import { DEFAULT_HASHES, TREE_DEPTH } from '../../client/protocol/smt.ts';
import { keccak256Pairs } from '../../client/protocol/keccak-batch.ts';
import { WorkerPool } from '../workers/pool.ts';
import { bucketRoots, type BucketJob, type BucketRoots } from './tree-worker.ts';

export const BUCKET_HEIGHT = 48;
/**
 * Height of the sub-bucket nodes kept in memory per bucket (not stored): a changed leaf re-lifts only its own
 * sub-bucket (usually itself alone, 40 hashes), and its bucket is re-combined from its ~15 sub-bucket nodes (8
 * levels). A bucket restored from the database has none until its first change lifts it whole.
 */
export const SUB_HEIGHT = 40;
export const BUCKETS = 2 ** (TREE_DEPTH - BUCKET_HEIGHT);
/** Bytes per leaf record in a bucket: slot u64 ‖ txBlock u64 ‖ leaf bytes32 (big-endian). */
export const RECORD_BYTES = 48;
const EMPTY = new Uint8Array(0);
/** Below this many leaves to lift, no worker round trip. */
const PARALLEL_THRESHOLD = 4096;

/** The slots whose leaf changed, columnar (a million of them must not be a million objects). */
export interface LeafChanges {
  readonly slots: BigUint64Array;
  /** The checkpointed transaction's block; 0n: the slot's leaf becomes zero (no coin, or EXITED). */
  readonly txBlocks: BigUint64Array;
  /** 32 bytes per change: the checkpointed transaction's digest (ignored where txBlock is 0). */
  readonly digests: Uint8Array;
}

export interface TopNode {
  /** BUCKET_HEIGHT ≤ height < 64. */
  readonly height: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

/** The nodes at SUB_HEIGHT of one bucket's non-empty sub-buckets, ascending. */
interface SubNodes {
  readonly index: Float64Array;
  readonly nodes: Uint8Array;
}

/** A checkpoint computed against the tree's current state, not yet its state (commit). */
export interface CheckpointDelta {
  readonly root: Hash;
  /** Every changed bucket with its complete new records (empty: the bucket has no leaf any more). */
  readonly buckets: ReadonlyMap<number, Uint8Array>;
  /** Top nodes (heights 48..63) whose hash changed. */
  readonly nodes: readonly TopNode[];
  /** Non-zero leaves after the change. */
  readonly leafCount: number;
  /** Leaves whose value changed. */
  readonly changed: number;
  readonly top: readonly Uint8Array[];
  readonly subs: ReadonlyMap<number, SubNodes>;
}

export const bucketOf = (slot: bigint): number => Number(slot >> BigInt(BUCKET_HEIGHT));

export function recordCount(records: Uint8Array): number {
  return records.length / RECORD_BYTES;
}

function view(records: Uint8Array): DataView {
  return new DataView(records.buffer, records.byteOffset, records.byteLength);
}

/** Position of `slot` in a bucket's records, or -(insertion point) - 1. */
export function findRecord(records: Uint8Array, slot: bigint): number {
  const v = view(records);
  let low = 0;
  let high = recordCount(records);
  while (low < high) {
    const mid = (low + high) >>> 1;
    const at = v.getBigUint64(RECORD_BYTES * mid);
    if (at < slot) low = mid + 1;
    else if (at > slot) high = mid;
    else return mid;
  }
  return -low - 1;
}

export interface CheckpointLeafRecord {
  readonly slot: bigint;
  readonly txBlock: bigint;
  readonly leaf: Uint8Array;
}

export function readRecord(records: Uint8Array, k: number): CheckpointLeafRecord {
  const v = view(records);
  const at = RECORD_BYTES * k;
  return { slot: v.getBigUint64(at), txBlock: v.getBigUint64(at + 8), leaf: records.slice(at + 16, at + 48) };
}

/** The leaf of `slot` in a bucket's records, or undefined (zero leaf). */
export function leafInRecords(records: Uint8Array, slot: bigint): CheckpointLeafRecord | undefined {
  const k = findRecord(records, slot);
  return k < 0 ? undefined : readRecord(records, k);
}

/**
 * The canonical §3 proof of `slot` in a checkpoint: `records` = the leaves of the slot's bucket in that
 * checkpoint, `topSiblings[h - 48]` = the sibling at height h (48 ≤ h < 64) of the slot's path.
 */
export function deriveCheckpointProof(slot: bigint, records: Uint8Array, topSiblings: readonly Uint8Array[]): Uint8Array {
  if (topSiblings.length !== TREE_DEPTH - BUCKET_HEIGHT) throw new RangeError(`expected ${TREE_DEPTH - BUCKET_HEIGHT} top siblings`);
  const leaves = Array.from({ length: recordCount(records) }, (_, k) => {
    const record = readRecord(records, k);
    return { slot: record.slot, leaf: record.leaf };
  });
  // One bucket's leaves: every sibling this tree gives is below BUCKET_HEIGHT (above it, its own tree is empty).
  const low = SparseMerkleTree.build(leaves).proofBytes(slot);
  const lowView = view(low);
  let bitmapHi = lowView.getUint32(0);
  const bitmapLo = lowView.getUint32(4);
  const upper: Uint8Array[] = [];
  for (let h = BUCKET_HEIGHT; h < TREE_DEPTH; h++) {
    const sibling = topSiblings[h - BUCKET_HEIGHT]!;
    if (equalBytes(sibling, DEFAULT_HASHES[h]!)) continue;
    bitmapHi |= 1 << (h - 32);
    upper.push(sibling);
  }
  const proof = new Uint8Array(low.length + 32 * upper.length);
  proof.set(low);
  const out = view(proof);
  out.setUint32(0, bitmapHi >>> 0);
  out.setUint32(4, bitmapLo >>> 0);
  upper.forEach((hash, k) => proof.set(hash, low.length + 32 * k));
  return proof;
}

/** (height, index) of the 16 top siblings of `slot`'s path, heights 48..63. */
export function topSiblingPositions(slot: bigint): { height: number; index: number }[] {
  const positions: { height: number; index: number }[] = [];
  for (let h = BUCKET_HEIGHT; h < TREE_DEPTH; h++) positions.push({ height: h, index: Number(slot >> BigInt(h)) ^ 1 });
  return positions;
}

function defaultTop(): Uint8Array[] {
  const levels: Uint8Array[] = [];
  for (let h = BUCKET_HEIGHT; h <= TREE_DEPTH; h++) {
    const count = 2 ** (TREE_DEPTH - h);
    const level = new Uint8Array(32 * count);
    for (let i = 0; i < count; i++) level.set(DEFAULT_HASHES[h]!, 32 * i);
    levels.push(level);
  }
  return levels;
}

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const pool = new WorkerPool<BucketJob, BucketRoots>(new URL('./tree-worker.ts', import.meta.url), 2);

/** Bucket lifts answered by a worker thread so far (a test checks that big builds do not run in-process). */
export function liftsOnWorkers(): number {
  return pool.answeredByWorkers;
}

function runLift(job: BucketJob): Promise<BucketRoots> {
  if (job.slots.length < PARALLEL_THRESHOLD) return Promise.resolve(bucketRoots(job));
  return pool.run(job, [job.slots.buffer, job.leaves.buffer] as ArrayBuffer[], bucketRoots);
}

/**
 * Lifts sorted nodes at height `from` (index + hash) to height `to`, in two jobs (the two workers) cut where the
 * output index changes, so that every output is computed by one job.
 */
async function lift(indices: BigUint64Array, hashes: Uint8Array, from: number, to: number): Promise<BucketRoots> {
  const n = indices.length;
  if (n === 0) return { buckets: new Float64Array(0), roots: new Uint8Array(0) };
  const shift = BigInt(to - from);
  let cut = n >> 1;
  while (cut > 0 && cut < n && indices[cut]! >> shift === indices[cut - 1]! >> shift) cut++;
  const parts = cut <= 0 || cut >= n ? [[0, n]] : [[0, cut], [cut, n]];
  const results = await Promise.all(parts.map(([a, b]) => runLift({ from, height: to, slots: indices.slice(a, b), leaves: hashes.slice(32 * a!, 32 * b!) })));
  if (results.length === 1) return results[0]!;
  const buckets = new Float64Array(results[0]!.buckets.length + results[1]!.buckets.length);
  buckets.set(results[0]!.buckets);
  buckets.set(results[1]!.buckets, results[0]!.buckets.length);
  const roots = new Uint8Array(32 * buckets.length);
  roots.set(results[0]!.roots);
  roots.set(results[1]!.roots, results[0]!.roots.length);
  return { buckets, roots };
}

export class CheckpointTree {
  #buckets = new Map<number, Uint8Array>();
  /** Sub-bucket nodes of the buckets lifted since the start (restored buckets have none yet). */
  #subs = new Map<number, SubNodes>();
  #top: Uint8Array[];
  #leafCount = 0;

  private constructor(top: Uint8Array[]) {
    this.#top = top;
  }

  static empty(): CheckpointTree {
    return new CheckpointTree(defaultTop());
  }

  /**
   * A tree restored from storage: every non-empty bucket's records and every stored top node (a node not given
   * is default). Level 48's nodes are the bucket roots, so nothing below is rehashed.
   */
  static restore(buckets: Iterable<readonly [number, Uint8Array]>, nodes: Iterable<TopNode>): CheckpointTree {
    const tree = CheckpointTree.empty();
    for (const [bucket, records] of buckets) {
      if (records.length === 0) continue;
      tree.#buckets.set(bucket, records);
      tree.#leafCount += recordCount(records);
    }
    for (const node of nodes) tree.#top[node.height - BUCKET_HEIGHT]!.set(node.hash, 32 * node.index);
    tree.#rehashTop(tree.#top);
    return tree;
  }

  get rootBytes(): Uint8Array {
    return this.#top[TREE_DEPTH - BUCKET_HEIGHT]!.slice(0, 32);
  }

  get root(): Hash {
    return bytesToHex(this.rootBytes);
  }

  get leafCount(): number {
    return this.#leafCount;
  }

  /** The records of one bucket (empty when it holds no leaf). */
  bucket(bucket: number): Uint8Array {
    return this.#buckets.get(bucket) ?? EMPTY;
  }

  leaf(slot: bigint): CheckpointLeafRecord | undefined {
    return leafInRecords(this.bucket(bucketOf(slot)), slot);
  }

  /** Every non-zero leaf's slot (tests; a full walk). */
  *slots(): Generator<bigint> {
    for (const bucket of [...this.#buckets.keys()].sort((a, b) => a - b)) {
      const records = this.#buckets.get(bucket)!;
      for (let k = 0; k < recordCount(records); k++) yield view(records).getBigUint64(RECORD_BYTES * k);
    }
  }

  topNode(height: number, index: number): Uint8Array {
    return this.#top[height - BUCKET_HEIGHT]!.slice(32 * index, 32 * index + 32);
  }

  proof(slot: bigint): Uint8Array {
    return deriveCheckpointProof(slot, this.bucket(bucketOf(slot)), topSiblingPositions(slot).map((p) => this.topNode(p.height, p.index)));
  }

  /**
   * Computes the checkpoint after `changes` (one entry per slot; a later duplicate wins) without changing the
   * tree. The main thread only sorts, merges and hashes the changed leaves, yielding between chunks; the lift of
   * the changed buckets runs on the worker threads.
   */
  async prepare(changes: LeafChanges): Promise<CheckpointDelta> {
    const n = changes.slots.length;
    if (changes.txBlocks.length !== n || changes.digests.length !== 32 * n) throw new RangeError('LeafChanges: columns of different lengths');
    // 1. the new leaves' hashes, in batches
    const leaves = new Uint8Array(32 * n);
    const CHUNK = 65_536;
    const input = new Uint8Array(64 * Math.min(CHUNK, Math.max(n, 1)));
    for (let start = 0; start < n; start += CHUNK) {
      const end = Math.min(n, start + CHUNK);
      for (let i = start; i < end; i++) writeCheckpointLeafInput(input, 64 * (i - start), changes.txBlocks[i]!, changes.digests.subarray(32 * i, 32 * i + 32));
      keccak256Pairs(input, leaves.subarray(32 * start), end - start);
      if (end < n) await yieldNow();
    }
    // 2. changes grouped by bucket (counting sort), each group by slot
    const counts = new Uint32Array(BUCKETS + 1);
    for (let i = 0; i < n; i++) counts[bucketOf(changes.slots[i]!) + 1]!++;
    for (let b = 0; b < BUCKETS; b++) counts[b + 1]! += counts[b]!;
    const order = new Uint32Array(n);
    const fill = counts.slice(0, BUCKETS);
    for (let i = 0; i < n; i++) order[fill[bucketOf(changes.slots[i]!)]!++] = i;
    // 3. merge each changed bucket
    const newBuckets = new Map<number, Uint8Array>();
    let leafCount = this.#leafCount;
    let changed = 0;
    let merged = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const from = counts[b]!;
      const to = counts[b + 1]!;
      if (from === to) continue;
      const group = Array.from(order.subarray(from, to));
      // stable by slot; the last change of a slot wins
      group.sort((x, y) => (changes.slots[x]! < changes.slots[y]! ? -1 : changes.slots[x]! > changes.slots[y]! ? 1 : x - y));
      const old = this.bucket(b);
      const result = mergeBucket(old, group, changes, leaves);
      if (result.changed === 0) continue;
      changed += result.changed;
      leafCount += recordCount(result.records) - recordCount(old);
      newBuckets.set(b, result.records);
      if (++merged % 4096 === 0) await yieldNow();
    }
    // 4. the sub-buckets to re-lift: those of the changes where the bucket's sub-bucket nodes are known, else all
    const subShift = BigInt(SUB_HEIGHT);
    const perBucket = 2 ** (BUCKET_HEIGHT - SUB_HEIGHT);
    const recompute = new Map<number, Set<number> | 'all'>();
    for (let i = 0; i < n; i++) {
      const slot = changes.slots[i]!;
      const bucket = bucketOf(slot);
      if (!newBuckets.has(bucket)) continue;
      if (!this.#subs.has(bucket)) recompute.set(bucket, 'all');
      else {
        const set = (recompute.get(bucket) as Set<number> | undefined) ?? new Set<number>();
        set.add(Number(slot >> subShift));
        recompute.set(bucket, set);
      }
    }
    const changedBuckets = [...newBuckets.keys()].sort((x, y) => x - y);
    let liftCount = 0;
    for (const bucket of changedBuckets) {
      const set = recompute.get(bucket)!;
      const records = newBuckets.get(bucket)!;
      const v = view(records);
      for (let r = 0; r < recordCount(records); r++) if (set === 'all' || set.has(Number(v.getBigUint64(RECORD_BYTES * r) >> subShift))) liftCount++;
    }
    const liftSlots = new BigUint64Array(liftCount);
    const liftLeaves = new Uint8Array(32 * liftCount);
    let at = 0;
    for (const bucket of changedBuckets) {
      const set = recompute.get(bucket)!;
      const records = newBuckets.get(bucket)!;
      const v = view(records);
      for (let r = 0; r < recordCount(records); r++) {
        const slot = v.getBigUint64(RECORD_BYTES * r);
        if (set !== 'all' && !set.has(Number(slot >> subShift))) continue;
        liftSlots[at] = slot;
        liftLeaves.set(records.subarray(RECORD_BYTES * r + 16, RECORD_BYTES * r + 48), 32 * at);
        at++;
      }
    }
    const lifted = await lift(liftSlots, liftLeaves, 0, SUB_HEIGHT);
    // 5. each changed bucket's sub-bucket nodes: the kept ones not re-lifted, and the re-lifted ones
    const fresh = new Map<number, { index: number[]; at: number[] }>();
    lifted.buckets.forEach((sub, k) => {
      const bucket = Math.floor(sub / perBucket);
      const entry = fresh.get(bucket) ?? { index: [], at: [] };
      entry.index.push(sub);
      entry.at.push(k);
      fresh.set(bucket, entry);
    });
    const newSubs = new Map<number, SubNodes>();
    let subCount = 0;
    for (const bucket of changedBuckets) {
      const set = recompute.get(bucket)!;
      const kept = this.#subs.get(bucket);
      const pairs: [number, Uint8Array][] = [];
      if (set !== 'all' && kept !== undefined) {
        kept.index.forEach((sub, k) => {
          if (!set.has(sub)) pairs.push([sub, kept.nodes.subarray(32 * k, 32 * k + 32)]);
        });
      }
      const add = fresh.get(bucket);
      add?.index.forEach((sub, j) => pairs.push([sub, lifted.roots.subarray(32 * add.at[j]!, 32 * add.at[j]! + 32)]));
      pairs.sort((x, y) => x[0] - y[0]);
      const index = Float64Array.from(pairs, (pair) => pair[0]);
      const nodes = new Uint8Array(32 * pairs.length);
      pairs.forEach((pair, k) => nodes.set(pair[1], 32 * k));
      newSubs.set(bucket, { index, nodes });
      subCount += pairs.length;
    }
    // 6. the changed buckets' roots: their sub-bucket nodes lifted from 40 to 48
    const subIndices = new BigUint64Array(subCount);
    const subHashes = new Uint8Array(32 * subCount);
    at = 0;
    for (const bucket of changedBuckets) {
      const { index, nodes } = newSubs.get(bucket)!;
      index.forEach((sub) => (subIndices[at++] = BigInt(sub)));
      subHashes.set(nodes, 32 * (at - index.length));
    }
    const roots = await lift(subIndices, subHashes, SUB_HEIGHT, BUCKET_HEIGHT);
    // 7. the new top: level 48 takes the bucket roots, the levels above are rehashed
    const top = this.#top.map((level) => level.slice());
    for (const bucket of changedBuckets) if (newBuckets.get(bucket)!.length === 0) top[0]!.set(DEFAULT_HASHES[BUCKET_HEIGHT]!, 32 * bucket);
    roots.buckets.forEach((bucket, k) => top[0]!.set(roots.roots.subarray(32 * k, 32 * k + 32), 32 * bucket));
    this.#rehashTop(top);
    const nodes: TopNode[] = [];
    for (let h = BUCKET_HEIGHT; h < TREE_DEPTH; h++) {
      const before = this.#top[h - BUCKET_HEIGHT]!;
      const after = top[h - BUCKET_HEIGHT]!;
      const a = new Uint32Array(before.buffer, before.byteOffset, before.length / 4);
      const c = new Uint32Array(after.buffer, after.byteOffset, after.length / 4);
      for (let i = 0; i < a.length / 8; i++) {
        for (let w = 0; w < 8; w++) {
          if (a[8 * i + w] !== c[8 * i + w]) {
            nodes.push({ height: h, index: i, hash: after.slice(32 * i, 32 * i + 32) });
            break;
          }
        }
      }
    }
    return { root: bytesToHex(top[TREE_DEPTH - BUCKET_HEIGHT]!.subarray(0, 32)), buckets: newBuckets, nodes, leafCount, changed, top, subs: newSubs };
  }

  /** Makes a prepared checkpoint the tree's state (once it is stored). */
  commit(delta: CheckpointDelta): void {
    for (const [bucket, records] of delta.buckets) {
      if (records.length === 0) this.#buckets.delete(bucket);
      else this.#buckets.set(bucket, records);
    }
    for (const [bucket, subs] of delta.subs) {
      if (subs.index.length === 0) this.#subs.delete(bucket);
      else this.#subs.set(bucket, subs);
    }
    this.#top = delta.top.map((level) => level);
    this.#leafCount = delta.leafCount;
  }

  #rehashTop(top: Uint8Array[]): void {
    for (let h = BUCKET_HEIGHT; h < TREE_DEPTH; h++) keccak256Pairs(top[h - BUCKET_HEIGHT]!, top[h + 1 - BUCKET_HEIGHT]!, 2 ** (TREE_DEPTH - h - 1));
  }
}

function mergeBucket(old: Uint8Array, group: readonly number[], changes: LeafChanges, leaves: Uint8Array): { records: Uint8Array; changed: number } {
  const out = new Uint8Array(old.length + RECORD_BYTES * group.length);
  const outView = view(out);
  const oldView = view(old);
  const oldCount = recordCount(old);
  let o = 0;
  let w = 0;
  let changed = 0;
  for (let g = 0; g < group.length; g++) {
    const i = group[g]!;
    const slot = changes.slots[i]!;
    if (g + 1 < group.length && changes.slots[group[g + 1]!] === slot) continue; // a later change of the slot wins
    while (o < oldCount && oldView.getBigUint64(RECORD_BYTES * o) < slot) {
      out.set(old.subarray(RECORD_BYTES * o, RECORD_BYTES * (o + 1)), RECORD_BYTES * w++);
      o++;
    }
    const had = o < oldCount && oldView.getBigUint64(RECORD_BYTES * o) === slot;
    const txBlock = changes.txBlocks[i]!;
    const leaf = leaves.subarray(32 * i, 32 * i + 32);
    if (txBlock === 0n) {
      if (had) changed++;
    } else {
      if (!had || !equalBytes(old.subarray(RECORD_BYTES * o + 16, RECORD_BYTES * o + 48), leaf)) changed++;
      outView.setBigUint64(RECORD_BYTES * w, slot);
      outView.setBigUint64(RECORD_BYTES * w + 8, txBlock);
      out.set(leaf, RECORD_BYTES * w + 16);
      w++;
    }
    if (had) o++;
  }
  if (o < oldCount) {
    out.set(old.subarray(RECORD_BYTES * o), RECORD_BYTES * w);
    w += oldCount - o;
  }
  return { records: out.slice(0, RECORD_BYTES * w), changed };
}

/** The leaf a record holds, recomputed (tests): keccak256(abi.encode(txBlock, digest)). */
export { checkpointLeaf };
