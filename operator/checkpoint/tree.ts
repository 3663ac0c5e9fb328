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
 * a changed leaf re-lifts its own sub-bucket from its leaves, the bucket's other sub-buckets start from their kept
 * nodes, and one pass on the two worker threads lifts both to 48 (tree-prepare.ts, client/protocol/smt-lift.ts);
 * then the 2^16-node top is rehashed. A full build costs ~47 hashes per coin (the private path of each leaf below
 * its bucket); 1% of 1M coins changed, ~1.5 M hashes.
 *
 * Proofs are derived, never stored: the siblings below 48 come from the leaves of the slot's one bucket (a
 * SparseMerkleTree over ~15 leaves), the 16 above from the top nodes (deriveCheckpointProof). The bytes are the
 * canonical §3 proof that client/protocol verifies.
 *
 * `prepare` computes a checkpoint without touching the tree; `commit` makes it the tree's state once stored.
 */
import { bytesToHex, checkpointLeaf, equalBytes, SparseMerkleTree, type Hash } from '../../client/protocol/index.ts';
import { DEFAULT_HASHES, TREE_DEPTH } from '../../client/protocol/smt.ts';
import { keccak256Pairs } from '../../client/protocol/keccak-batch.ts';
import { BUCKET_HEIGHT, BUCKETS, bucketOf, leafInRecords, RECORD_BYTES, readRecord, recordCount, recordView, type CheckpointLeafRecord, type LeafChanges } from './records.ts';
import { BucketedChanges, liftChangedBuckets, type LiftedBuckets, type MergedBuckets, type SubNodes } from './tree-prepare.ts';

export * from './records.ts';
export { liftsOnWorkers } from './tree-prepare.ts';

const EMPTY = new Uint8Array(0);
/** Ranges of buckets a build is cut into (merge one while the workers lift another), and their least size. */
const RANGES = 16;
const RANGE_MIN_CHANGES = 20_000;

export interface TopNode {
  /** BUCKET_HEIGHT ≤ height < 64. */
  readonly height: number;
  readonly index: number;
  readonly hash: Uint8Array;
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
  const lowView = recordView(low);
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
  const out = recordView(proof);
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
      for (let k = 0; k < recordCount(records); k++) yield recordView(records).getBigUint64(RECORD_BYTES * k);
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
   * tree. The main thread hashes the changed leaves and merges them into their buckets, yielding between chunks;
   * the changed buckets are lifted on the worker threads (tree-prepare.ts). The buckets go in ranges of about
   * equal work: while the workers lift one range the main thread hashes and merges the next.
   */
  async prepare(changes: LeafChanges): Promise<CheckpointDelta> {
    const n = changes.slots.length;
    if (changes.txBlocks.length !== n || changes.digests.length !== 32 * n) throw new RangeError('LeafChanges: columns of different lengths');
    const bucketed = new BucketedChanges(changes);
    const ranges = Math.max(1, Math.min(RANGES, Math.floor(n / RANGE_MIN_CHANGES)));
    const parts: { merged: MergedBuckets; lifted: Promise<LiftedBuckets> }[] = [];
    let from = 0;
    for (let r = 1; r <= ranges; r++) {
      let to = from;
      while (to < BUCKETS && (r === ranges || bucketed.countBelow(to) < (n * r) / ranges)) to++;
      const merged = await bucketed.merge(from, to, (bucket) => this.bucket(bucket));
      // not awaited here: the workers lift this range while the next one is merged
      const lifted = liftChangedBuckets(merged.buckets, (bucket) => bucketed.subBucketsOf(bucket), (bucket) => this.#subs.get(bucket));
      lifted.catch(() => {}); // awaited below; a rejection before then must not count as unhandled
      parts.push({ merged, lifted });
      from = to;
    }
    const buckets = new Map<number, Uint8Array>();
    const subs = new Map<number, SubNodes>();
    const top = this.#top.map((level) => level.slice());
    let changed = 0;
    let leafCountDelta = 0;
    for (const part of parts) {
      const lifted = await part.lifted;
      changed += part.merged.changed;
      leafCountDelta += part.merged.leafCountDelta;
      for (const [bucket, records] of part.merged.buckets) {
        buckets.set(bucket, records);
        // level 48 takes the bucket roots (below), default for an emptied bucket
        if (records.length === 0) top[0]!.set(DEFAULT_HASHES[BUCKET_HEIGHT]!, 32 * bucket);
      }
      for (const [bucket, nodes] of lifted.subs) subs.set(bucket, nodes);
      lifted.roots.index.forEach((bucket, k) => top[0]!.set(lifted.roots.hashes.subarray(32 * k, 32 * k + 32), 32 * bucket));
    }
    this.#rehashTop(top);
    return {
      root: bytesToHex(top[TREE_DEPTH - BUCKET_HEIGHT]!.subarray(0, 32)),
      buckets,
      nodes: this.#changedTopNodes(top),
      leafCount: this.#leafCount + leafCountDelta,
      changed,
      top,
      subs,
    };
  }

  /** The top nodes whose hash differs between the tree's top and `top`. */
  #changedTopNodes(top: readonly Uint8Array[]): TopNode[] {
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
    return nodes;
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

/** The leaf a record holds, recomputed (tests): keccak256(abi.encode(txBlock, digest)). */
export { checkpointLeaf };
