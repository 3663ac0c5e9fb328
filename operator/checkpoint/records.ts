/**
 * The checkpoint tree's layout and its leaf records (docs/CHECKPOINTS.md §5): the slot space is cut into 2^16
 * buckets at height BUCKET_HEIGHT; a bucket is a packed, slot-sorted array of 48-byte records (slot u64 ‖
 * txBlock u64 ‖ leaf 32, big-endian), exactly what the database stores per changed bucket (db/checkpoints.ts).
 */
import { TREE_DEPTH } from '../../client/protocol/smt.ts';

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

/** The slots whose leaf changed, columnar (a million of them must not be a million objects). */
export interface LeafChanges {
  readonly slots: BigUint64Array;
  /** The checkpointed transaction's block; 0n: the slot's leaf becomes zero (no coin, or EXITED). */
  readonly txBlocks: BigUint64Array;
  /** 32 bytes per change: the checkpointed transaction's digest (ignored where txBlock is 0). */
  readonly digests: Uint8Array;
}

export const bucketOf = (slot: bigint): number => Number(slot >> BigInt(BUCKET_HEIGHT));

export function recordCount(records: Uint8Array): number {
  return records.length / RECORD_BYTES;
}

export function recordView(records: Uint8Array): DataView {
  return new DataView(records.buffer, records.byteOffset, records.byteLength);
}

/** Position of `slot` in a bucket's records, or -(insertion point) - 1. */
export function findRecord(records: Uint8Array, slot: bigint): number {
  const v = recordView(records);
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
  const v = recordView(records);
  const at = RECORD_BYTES * k;
  return { slot: v.getBigUint64(at), txBlock: v.getBigUint64(at + 8), leaf: records.slice(at + 16, at + 48) };
}

/** The leaf of `slot` in a bucket's records, or undefined (zero leaf). */
export function leafInRecords(records: Uint8Array, slot: bigint): CheckpointLeafRecord | undefined {
  const k = findRecord(records, slot);
  return k < 0 ? undefined : readRecord(records, k);
}
