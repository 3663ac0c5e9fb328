/**
 * Every write of a child block's status, in one place. A block moves
 *
 *   built ─(root and proofs)→ persisted ─sign→ signed ─send→ broadcast ─(receipt at depth | BlockSubmitted)→ confirmed
 *
 * and back: a reorg that drops a confirmed block's submitBlock returns it to broadcast (or persisted when no
 * transaction is stored), a submission whose nonce went elsewhere returns it to persisted. The reads that drive
 * the committer live here too, next to the states they read.
 */
import type { Sql, TransactionSql } from 'postgres';
import type { Hash } from '../../client/protocol/index.ts';
import { hexOf, toBuffer } from './codec.ts';

export type BlockStatus = 'built' | 'persisted' | 'signed' | 'broadcast' | 'confirmed';

/** What the committer knows of a block: its root and, once signed, its stored L1 transaction. */
export interface BlockCommitState {
  readonly number: bigint;
  readonly root: Hash;
  readonly status: BlockStatus;
  readonly rawTx?: Uint8Array;
  readonly txHash?: Hash;
}

/** Sets a block's status, and the signed L1 transaction when one is given (kept otherwise). */
export async function setBlockStatus(sql: Sql, number: bigint, status: BlockStatus, l1: { readonly rawTx?: Uint8Array; readonly txHash?: Uint8Array } = {}): Promise<void> {
  const rawTx = l1.rawTx === undefined ? null : toBuffer(l1.rawTx);
  const txHash = l1.txHash === undefined ? null : toBuffer(l1.txHash);
  const rows = await sql`
    update blocks set status = ${status},
      raw_l1_tx = coalesce(${rawTx}::bytea, raw_l1_tx),
      l1_tx_hash = coalesce(${txHash}::bytea, l1_tx_hash)
    where number = ${number.toString()}::int8
    returning number`;
  if (rows.length !== 1) throw new Error(`block ${number} is not stored`);
}

/** 'built' → 'persisted' with its root, inside the transaction that writes its proofs (block-writes.ts). */
export async function markPersisted(tx: TransactionSql, number: bigint, root: Uint8Array | Hash): Promise<void> {
  await tx`update blocks set root = ${toBuffer(root)}, status = 'persisted' where number = ${number.toString()}::int8`;
}

/** The operator's own BlockSubmitted event, seen at the follower's depth, confirms the block (chain-state.ts). */
export async function markConfirmedByEvent(tx: TransactionSql, number: bigint): Promise<void> {
  await tx`update blocks set status = 'confirmed' where number = ${number.toString()}::int8 and status <> 'confirmed'`;
}

/**
 * Confirmed blocks numbered `nextOnL1` or later (L1 no longer holds them: a reorg) go back to 'broadcast', or to
 * 'persisted' when no transaction is stored. Resolves with their numbers, ascending.
 */
export async function reopenBlocksFrom(sql: Sql, nextOnL1: bigint): Promise<bigint[]> {
  const rows = await sql<{ number: string }[]>`
    update blocks set status = case when raw_l1_tx is null then 'persisted' else 'broadcast' end
    where status = 'confirmed' and number >= ${nextOnL1.toString()}::int8
    returning number`;
  return rows.map((row) => BigInt(row.number)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The blocks not confirmed yet and before the first 'built' one (it has no root yet: it and all after it wait). */
export async function blocksToCommit(sql: Sql): Promise<bigint[]> {
  const rows = await sql<{ number: string }[]>`
    select number from blocks
    where status <> 'confirmed'
      and number < coalesce((select min(number) from blocks where status = 'built'), 9223372036854775807)
    order by number`;
  return rows.map((row) => BigInt(row.number));
}

/** The numbers of the blocks claimed but not persisted (their tree was never finished), ascending. */
export async function builtBlocks(sql: Sql): Promise<bigint[]> {
  const rows = await sql<{ number: string }[]>`select number from blocks where status = 'built' order by number`;
  return rows.map((row) => BigInt(row.number));
}

/** A persisted block as the committer drives it; throws for a block not stored or still being built. */
export async function blockCommitState(sql: Sql, number: bigint): Promise<BlockCommitState> {
  const [row] = await sql<{ root: Buffer | null; status: BlockStatus; raw_l1_tx: Buffer | null; l1_tx_hash: Buffer | null }[]>`
    select root, status, raw_l1_tx, l1_tx_hash from blocks where number = ${number.toString()}::int8`;
  if (row === undefined) throw new Error(`block ${number} is not stored`);
  if (row.root === null) throw new Error(`block ${number} is still being built (no root yet): persist it before committing it`);
  return {
    number,
    root: hexOf(row.root),
    status: row.status,
    ...(row.raw_l1_tx === null ? {} : { rawTx: new Uint8Array(row.raw_l1_tx) }),
    ...(row.l1_tx_hash === null ? {} : { txHash: hexOf(row.l1_tx_hash) }),
  };
}
