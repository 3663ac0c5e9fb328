/**
 * A slot's leaf in any stored checkpoint, with its canonical §3 proof, derived from the stored rows: the slot's
 * bucket (its ~15 leaves) and the 16 top nodes of its path (db/checkpoints.ts), through tree.ts
 * deriveCheckpointProof. Nothing per coin is stored beyond the bucket's 48-byte record.
 */
import { DEFAULT_HASHES } from '../../client/protocol/smt.ts';
import type { Sql } from 'postgres';
import { checkpointBucket, checkpointNodes } from '../db/checkpoints.ts';
import { bucketOf, deriveCheckpointProof, leafInRecords, topSiblingPositions, type CheckpointLeafRecord } from './tree.ts';

export interface StoredLeaf {
  /** Undefined for a zero leaf (no coin at N, or EXITED). */
  readonly record: CheckpointLeafRecord | undefined;
  readonly proof: Uint8Array;
}

export async function storedLeaf(sql: Sql, checkpointId: number, slot: bigint): Promise<StoredLeaf> {
  const positions = topSiblingPositions(slot);
  const [records, nodes] = await Promise.all([checkpointBucket(sql, checkpointId, bucketOf(slot)), checkpointNodes(sql, checkpointId, positions)]);
  const siblings = nodes.map((hash, k) => hash ?? DEFAULT_HASHES[positions[k]!.height]!);
  return { record: leafInRecords(records, slot), proof: deriveCheckpointProof(slot, records, siblings) };
}
