/**
 * Queries behind the operator's HTTP API and transfer acceptance. postgres.js tagged templates only; every read
 * that a request makes for many slots is one query (`= any(array)`), never one per slot.
 *
 * Slots go through codec.ts (stored as slot − 2^63 in int8); int8 and numeric come back as decimal strings.
 */
import type { Sql } from 'postgres';
import type { Address, Hash, Hex } from '../../client/protocol/index.ts';
import type { AssetKind } from '../../client/l1/events.ts';
import { hexBody, hexOf, slotFromDb, slotToDb } from './codec.ts';
import type { BlockStatus } from './store.ts';

/** 'reorged_out': a deep L1 reorg removed its deposit (db/reorg.ts); kept, refused for transfers. */
export type CoinStatus = 'deposited' | 'exiting' | 'exited' | 'reorged_out';

export interface Coin {
  readonly slot: bigint;
  readonly kind: AssetKind;
  readonly token: Address;
  readonly tokenId: bigint;
  readonly denomination: bigint;
  readonly depositor: Address;
  readonly depositBlock: bigint;
  readonly owner: Address;
  /** The block of the coin's last transaction (its deposit block until it moves): what the next spend names. */
  readonly lastBlock: bigint;
  readonly state: CoinStatus;
}

export interface BlockRecord {
  readonly number: bigint;
  /** Null while the block is 'built': its membership is stored, its tree not yet. */
  readonly root: Hash | null;
  readonly txCount: number;
  readonly status: BlockStatus;
  readonly l1TxHash: Hash | null;
  readonly createdAt: Date;
}

export interface BlockTransactionRecord {
  readonly slot: bigint;
  readonly prevBlock: bigint;
  readonly denomination: bigint;
  readonly newOwner: Address;
  readonly signature: Hex;
  readonly digest: Hash;
}

/** One transfer that passed every check of §4 against the coin as loaded, ready to be made durable. */
export interface AcceptedRow extends BlockTransactionRecord {
  /** The recovered signer: the insert re-checks it against the coin's owner at insert time. */
  readonly signer: Address;
}

interface CoinDbRow {
  slot: string;
  kind: AssetKind;
  token: Buffer;
  token_id: string;
  denomination: string;
  depositor: Buffer;
  deposit_block: string;
  owner: Buffer;
  last_block: string;
  state: CoinStatus;
}

function toCoin(row: CoinDbRow): Coin {
  return {
    slot: slotFromDb(row.slot),
    kind: row.kind,
    token: hexOf(row.token),
    tokenId: BigInt(row.token_id),
    denomination: BigInt(row.denomination),
    depositor: hexOf(row.depositor),
    depositBlock: BigInt(row.deposit_block),
    owner: hexOf(row.owner),
    lastBlock: BigInt(row.last_block),
    state: row.state,
  };
}

/** Every known coin among `slots`, in one query. */
export async function coinsBySlots(sql: Sql, slots: readonly bigint[]): Promise<Map<bigint, Coin>> {
  const coins = new Map<bigint, Coin>();
  if (slots.length === 0) return coins;
  const rows = await sql<CoinDbRow[]>`
    select slot, kind, token, token_id, denomination, depositor, deposit_block, owner, last_block, state
    from coins where slot = any(${slots.map(slotToDb)}::int8[])`;
  for (const row of rows) {
    const coin = toCoin(row);
    coins.set(coin.slot, coin);
  }
  return coins;
}

export async function coinBySlot(sql: Sql, slot: bigint): Promise<Coin | undefined> {
  return (await coinsBySlots(sql, [slot])).get(slot);
}

/** Coins of `owner` ordered by slot, at most `limit`, strictly after slot `after` when given (keyset paging). */
export async function coinsOfOwner(sql: Sql, owner: Address, options: { readonly limit: number; readonly after?: bigint }): Promise<Coin[]> {
  const after = options.after === undefined ? null : slotToDb(options.after);
  const rows = await sql<CoinDbRow[]>`
    select slot, kind, token, token_id, denomination, depositor, deposit_block, owner, last_block, state
    from coins
    where owner = ${Buffer.from(owner.slice(2), 'hex')} and (${after}::int8 is null or slot > ${after}::int8)
    order by slot limit ${options.limit}`;
  return rows.map(toCoin);
}

interface BlockDbRow {
  number: string;
  root: Buffer | null;
  tx_count: number;
  status: BlockStatus;
  l1_tx_hash: Buffer | null;
  created_at: Date;
}

function toBlock(row: BlockDbRow): BlockRecord {
  return {
    number: BigInt(row.number),
    root: row.root === null ? null : hexOf(row.root),
    txCount: row.tx_count,
    status: row.status,
    l1TxHash: row.l1_tx_hash === null ? null : hexOf(row.l1_tx_hash),
    createdAt: row.created_at,
  };
}

/** The highest child block whose root is confirmed on L1. */
export async function latestCommittedBlock(sql: Sql): Promise<BlockRecord | undefined> {
  const [row] = await sql<BlockDbRow[]>`
    select number, root, tx_count, status, l1_tx_hash, created_at from blocks
    where status = 'confirmed' order by number desc limit 1`;
  return row === undefined ? undefined : toBlock(row);
}

/** A stored block in any status (built, persisted, …, confirmed). */
export async function blockByNumber(sql: Sql, number: bigint): Promise<BlockRecord | undefined> {
  const [row] = await sql<BlockDbRow[]>`
    select number, root, tx_count, status, l1_tx_hash, created_at from blocks where number = ${number.toString()}::int8`;
  return row === undefined ? undefined : toBlock(row);
}

/** A block's transactions ordered by slot, at most `limit`, strictly after slot `after` when given. */
export async function blockTransactions(
  sql: Sql,
  block: bigint,
  options: { readonly limit: number; readonly after?: bigint },
): Promise<BlockTransactionRecord[]> {
  const after = options.after === undefined ? null : slotToDb(options.after);
  const rows = await sql<{ slot: string; prev_block: string; denomination: string; new_owner: Buffer; signature: Buffer; digest: Buffer }[]>`
    select slot, prev_block, denomination, new_owner, signature, digest from transactions
    where block = ${block.toString()}::int8 and (${after}::int8 is null or slot > ${after}::int8)
    order by slot limit ${options.limit}`;
  return rows.map((row) => ({
    slot: slotFromDb(row.slot),
    prevBlock: BigInt(row.prev_block),
    denomination: BigInt(row.denomination),
    newOwner: hexOf(row.new_owner),
    signature: hexOf(row.signature),
    digest: hexOf(row.digest),
  }));
}

export async function pendingCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ count: string }[]>`select count(*) as count from pending_transactions`;
  return Number(row!.count);
}

/**
 * Makes accepted transfers durable: one INSERT … SELECT FROM unnest inside one transaction, committed before
 * the caller answers. Returns the slots that went in.
 *
 * Two guards make a concurrent request unable to accept a second transfer of a slot, or a stale one:
 * - the slot primary key of pending_transactions with ON CONFLICT DO NOTHING (one pending spend per slot);
 * - the join on the coin row, locked FOR SHARE, re-checks owner, last block, denomination and state at insert
 *   time: a coin that moved into a block or started exiting since it was loaded makes the row drop out.
 */
export async function insertAccepted(sql: Sql, rows: readonly AcceptedRow[]): Promise<Set<bigint>> {
  const inserted = new Set<bigint>();
  if (rows.length === 0) return inserted;
  const result = await sql.begin(
    (tx) => tx<{ slot: string }[]>`
      insert into pending_transactions (slot, prev_block, denomination, new_owner, signature, digest)
      select r.slot, r.prev_block, r.denomination, decode(r.new_owner, 'hex'), decode(r.signature, 'hex'), decode(r.digest, 'hex')
      from unnest(
        ${rows.map((row) => slotToDb(row.slot))}::int8[],
        ${rows.map((row) => row.prevBlock.toString())}::int8[],
        ${rows.map((row) => row.denomination.toString())}::numeric[],
        ${rows.map((row) => hexBody(row.newOwner))}::text[],
        ${rows.map((row) => hexBody(row.signature))}::text[],
        ${rows.map((row) => hexBody(row.digest))}::text[],
        ${rows.map((row) => hexBody(row.signer))}::text[]
      ) as r (slot, prev_block, denomination, new_owner, signature, digest, signer)
      join coins c on c.slot = r.slot
      where c.state = 'deposited' and c.last_block = r.prev_block and c.denomination = r.denomination
        and c.owner = decode(r.signer, 'hex')
      order by r.slot
      for share of c
      on conflict (slot) do nothing
      returning slot`,
  );
  for (const row of result) inserted.add(slotFromDb(row.slot));
  return inserted;
}
