/**
 * The operator's view of L1, written by the follower: deposits become coins, exits move coin states, and the
 * operator's own BlockSubmitted events confirm its blocks. One range of confirmed L1 blocks is applied in one
 * transaction together with the cursor, so a crash leaves either all of a range or none of it.
 */
import type { Sql, TransactionSql } from 'postgres';
import { hexOf, slotToDb, toBuffer } from './codec.ts';
import type { Address, Hash } from '../../client/protocol/index.ts';

export type AssetKind = 'eth' | 'erc20' | 'erc721';

export type ChainEvent =
  | {
      readonly type: 'deposit';
      readonly l1Block: bigint;
      readonly l1TxHash: Hash;
      readonly slot: bigint;
      readonly depositor: Address;
      readonly block: bigint;
      readonly kind: AssetKind;
      readonly token: Address;
      readonly tokenId: bigint;
      readonly denomination: bigint;
    }
  | { readonly type: 'blockSubmitted'; readonly l1Block: bigint; readonly block: bigint; readonly root: Hash }
  | { readonly type: 'exitStarted'; readonly l1Block: bigint; readonly slot: bigint; readonly nonce: bigint; readonly exitor: Address }
  | { readonly type: 'exitCancelled'; readonly l1Block: bigint; readonly slot: bigint; readonly nonce: bigint }
  | { readonly type: 'exitFinalized'; readonly l1Block: bigint; readonly slot: bigint; readonly nonce: bigint };

/** A child block on L1 that the operator's database does not hold with the same root. */
export interface BlockMismatch {
  readonly block: bigint;
  readonly l1Root: Hash;
  /** The root stored for that number, or undefined when none is stored. */
  readonly storedRoot?: Hash;
}

/** The last L1 block whose events are applied, or undefined before the first range. */
export async function readCursor(sql: Sql | TransactionSql): Promise<bigint | undefined> {
  const [row] = await sql<{ block: string }[]>`select block from l1_cursor`;
  return row === undefined ? undefined : BigInt(row.block);
}

/**
 * Applies the events of L1 blocks (cursor, `through`] in order and moves the cursor to `through`, atomically.
 * Refuses a range that does not start right after the cursor (a second follower, or a stale one).
 */
export async function applyL1Range(
  sql: Sql,
  range: { readonly from: bigint; readonly through: bigint; readonly events: readonly ChainEvent[] },
): Promise<BlockMismatch[]> {
  return sql.begin(async (tx) => {
    const [cursor] = await tx<{ block: string }[]>`select block from l1_cursor for update`;
    if (cursor !== undefined && BigInt(cursor.block) !== range.from - 1n) {
      throw new Error(`L1 range ${range.from}..${range.through} does not follow the cursor ${cursor.block}`);
    }
    const mismatches: BlockMismatch[] = [];
    for (const event of range.events) {
      const mismatch = await applyEvent(tx, event);
      if (mismatch) mismatches.push(mismatch);
    }
    await tx`
      insert into l1_cursor (id, block) values (true, ${range.through.toString()}::int8)
      on conflict (id) do update set block = excluded.block`;
    return mismatches;
  }) as Promise<BlockMismatch[]>;
}

async function applyEvent(tx: TransactionSql, event: ChainEvent): Promise<BlockMismatch | undefined> {
  switch (event.type) {
    case 'deposit': {
      const slot = slotToDb(event.slot);
      const common = {
        kind: event.kind,
        token: toBuffer(event.token),
        tokenId: event.tokenId.toString(),
        denomination: event.denomination.toString(),
        depositor: toBuffer(event.depositor),
        block: event.block.toString(),
      };
      await tx`
        insert into deposits (block, slot, depositor, kind, token, token_id, denomination, l1_tx_hash, l1_block, confirmed)
        values (${common.block}::int8, ${slot}::int8, ${common.depositor}, ${common.kind}, ${common.token},
                ${common.tokenId}::numeric, ${common.denomination}::numeric, ${toBuffer(event.l1TxHash)},
                ${event.l1Block.toString()}::int8, true)
        on conflict do nothing`;
      await tx`
        insert into coins (slot, kind, token, token_id, denomination, depositor, deposit_block, owner, last_block, state)
        values (${slot}::int8, ${common.kind}, ${common.token}, ${common.tokenId}::numeric, ${common.denomination}::numeric,
                ${common.depositor}, ${common.block}::int8, ${common.depositor}, ${common.block}::int8, 'deposited')
        on conflict do nothing`;
      return undefined;
    }
    case 'exitStarted':
    case 'exitCancelled':
    case 'exitFinalized':
      await applyExitEvent(tx, event);
      return undefined;
    case 'blockSubmitted': {
      const [row] = await tx<{ root: Buffer | null }[]>`select root from blocks where number = ${event.block.toString()}::int8`;
      // no block, or one still being built (no root yet: only this operator's committer could have sent it)
      if (row === undefined || row.root === null) return { block: event.block, l1Root: event.root };
      const storedRoot = hexOf(row.root);
      if (storedRoot !== event.root.toLowerCase()) return { block: event.block, l1Root: event.root, storedRoot };
      await tx`update blocks set status = 'confirmed' where number = ${event.block.toString()}::int8 and status <> 'confirmed'`;
      return undefined;
    }
  }
}

type ExitEvent = Extract<ChainEvent, { type: 'exitStarted' | 'exitCancelled' | 'exitFinalized' }>;

const EXIT_STATE = { exitStarted: 'started', exitCancelled: 'cancelled', exitFinalized: 'finalized' } as const;

/**
 * Records an exit's new state, then derives the coin's state from all of its exits (PROTOCOL.md §6: several
 * exits of a coin may be live at once). A coin is exited once any exit finalized (a later cancellation of a
 * losing exit, by settleExit, changes nothing), exiting while any exit is live, and deposited otherwise: so a
 * cancelled exit beside another live one leaves the coin closed to transfers.
 */
async function applyExitEvent(tx: TransactionSql, event: ExitEvent): Promise<void> {
  const slot = slotToDb(event.slot);
  const state = EXIT_STATE[event.type];
  const exitor = event.type === 'exitStarted' ? toBuffer(event.exitor) : null;
  await tx`
    insert into exits (slot, nonce, state, exitor, l1_block)
    values (${slot}::int8, ${event.nonce.toString()}::int8, ${state}, ${exitor}, ${event.l1Block.toString()}::int8)
    on conflict (slot, nonce) do update
      set state = excluded.state, exitor = coalesce(excluded.exitor, exits.exitor), l1_block = excluded.l1_block`;
  await tx`
    update coins set state = case
        when exists (select 1 from exits where slot = ${slot}::int8 and state = 'finalized') then 'exited'
        when exists (select 1 from exits where slot = ${slot}::int8 and state = 'started') then 'exiting'
        else 'deposited'
      end
    where slot = ${slot}::int8`;
}

/** A coin as the operator knows it (for tests and the HTTP side). */
export interface CoinRow {
  readonly slot: bigint;
  readonly owner: Address;
  readonly depositBlock: bigint;
  readonly lastBlock: bigint;
  readonly denomination: bigint;
  readonly state: 'deposited' | 'exiting' | 'exited';
}

export async function readCoin(sql: Sql, slot: bigint): Promise<CoinRow | undefined> {
  const [row] = await sql<{ owner: Buffer; deposit_block: string; last_block: string; denomination: string; state: CoinRow['state'] }[]>`
    select owner, deposit_block, last_block, denomination, state from coins where slot = ${slotToDb(slot)}::int8`;
  if (row === undefined) return undefined;
  return {
    slot,
    owner: hexOf(row.owner) as Address,
    depositBlock: BigInt(row.deposit_block),
    lastBlock: BigInt(row.last_block),
    denomination: BigInt(row.denomination),
    state: row.state,
  };
}
