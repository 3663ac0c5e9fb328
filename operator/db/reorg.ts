/**
 * Deep L1 reorgs, in the database (migrations/0007_l1_reorgs.sql). The follower keeps the hashes of the L1 blocks
 * it applied events from and of its cursor; when the cursor's hash changes on L1 it finds the fork point among
 * them and calls `rewindTo`, in the same transaction as the re-application of the new chain's events, so the
 * database never shows the half-undone state. What the reorg changed is then recorded (`recordReorg`) and served
 * by /v1/status and /metrics (`latestReorg`, `reorgCount`).
 *
 * What a rewind to fork point F undoes, for the events of L1 blocks after F:
 *  - a deposit: its row goes, and its coin becomes 'reorged_out' (kept: its transfers may sit in child blocks,
 *    whose roots never change; chain-state.ts restores it if the same deposit comes back);
 *  - an exit ended after F: back to 'started' (it started at or before F); an exit started after F: gone;
 *    the coin's state is derived again from the exits left.
 * Confirmed child blocks whose submitBlock the reorg dropped are the committer's (committer.ts reconcile()).
 */
import type { Sql, TransactionSql } from 'postgres';
import type { Hash } from '../../client/protocol/index.ts';
import { hexOf, slotFromDb, slotToDb, toBuffer } from './codec.ts';

export interface BlockHash {
  readonly number: bigint;
  readonly hash: Hash;
}

/** What a rewind removed: the deposits and the exit events of the L1 blocks after the fork point. */
export interface Rewound {
  readonly deposits: readonly { readonly slot: bigint; readonly block: bigint; readonly l1Block: bigint }[];
  readonly exitEvents: readonly { readonly slot: bigint; readonly nonce: bigint; readonly state: string; readonly l1Block: bigint }[];
}

/** A coin whose state the reorg changed, e.g. deposited → reorged_out (deposit gone), exiting → deposited. */
export interface CoinChange {
  readonly slot: bigint;
  readonly before: string;
  readonly after: string;
}

export interface ReorgRecord {
  readonly detectedAt: Date;
  readonly forkBlock: bigint;
  readonly oldCursor: bigint;
  readonly depth: bigint;
  readonly oldHash: Hash;
  readonly newHash?: Hash;
  readonly coins: readonly CoinChange[];
  readonly rewound: Rewound;
}

/** Stores `hashes` (a newer hash of a number replaces the older one) and forgets those below `pruneBelow`. */
export async function recordBlockHashes(tx: TransactionSql, hashes: readonly BlockHash[], pruneBelow: bigint): Promise<void> {
  if (hashes.length > 0) {
    await tx`
      insert into l1_block_hashes (number, hash)
      select n, decode(h, 'hex') from unnest(${hashes.map((b) => b.number.toString())}::int8[], ${hashes.map((b) => b.hash.slice(2))}::text[]) as t (n, h)
      on conflict (number) do update set hash = excluded.hash`;
  }
  await tx`delete from l1_block_hashes where number < ${pruneBelow.toString()}::int8`;
}

/** The stored hashes at or below `atMost`, newest first, at most `limit` of them. */
export async function storedBlockHashes(sql: Sql | TransactionSql, atMost: bigint, limit: number): Promise<BlockHash[]> {
  const rows = await sql<{ number: string; hash: Buffer }[]>`
    select number, hash from l1_block_hashes where number <= ${atMost.toString()}::int8 order by number desc limit ${limit}`;
  return rows.map((row) => ({ number: BigInt(row.number), hash: hexOf(row.hash) }));
}

/** The states of these coins now ('none' for a slot with no coin row). */
export async function coinStates(tx: Sql | TransactionSql, slots: readonly bigint[]): Promise<Map<bigint, string>> {
  const states = new Map<bigint, string>(slots.map((slot) => [slot, 'none']));
  if (slots.length === 0) return states;
  const rows = await tx<{ slot: string; state: string }[]>`select slot, state from coins where slot = any(${slots.map(slotToDb)}::int8[])`;
  for (const row of rows) states.set(slotFromDb(row.slot), row.state);
  return states;
}

/**
 * Undoes every deposit and exit event of the L1 blocks after `fork` (see the header) and moves the cursor to
 * `fork`. Runs inside the caller's transaction, which then re-applies the new chain's events.
 */
export async function rewindTo(tx: TransactionSql, fork: bigint): Promise<Rewound> {
  const f = fork.toString();
  const deposits = await tx<{ slot: string; block: string; l1_block: string }[]>`
    delete from deposits where l1_block > ${f}::int8 returning slot, block, l1_block`;
  if (deposits.length > 0) {
    await tx`update coins set state = 'reorged_out' where slot = any(${deposits.map((d) => d.slot)}::int8[])`;
  }
  // The exit rows as they were, before they are put back: what the reorg removed.
  const exits = await tx<{ slot: string; nonce: string; state: string; l1_block: string }[]>`
    select slot, nonce, state, l1_block from exits where l1_block > ${f}::int8 order by l1_block, slot, nonce`;
  await tx`delete from exits where l1_block > ${f}::int8 and started_l1_block > ${f}::int8`;
  // An exit started at or before the fork (or before migration 0007, start unknown) whose end was reorged away.
  await tx`
    update exits set state = 'started', l1_block = coalesce(started_l1_block, ${f}::int8)
    where l1_block > ${f}::int8`;
  await deriveCoinStates(tx, [...new Set(exits.map((e) => e.slot))]);
  await tx`delete from l1_block_hashes where number > ${f}::int8`;
  await tx`update l1_cursor set block = ${f}::int8`;
  return {
    deposits: deposits.map((d) => ({ slot: slotFromDb(d.slot), block: BigInt(d.block), l1Block: BigInt(d.l1_block) })),
    exitEvents: exits.map((e) => ({ slot: slotFromDb(e.slot), nonce: BigInt(e.nonce), state: e.state, l1Block: BigInt(e.l1_block) })),
  };
}

/**
 * A coin's state from all of its exits (PROTOCOL.md §6: several may be live at once): exited once any exit
 * finalized (a later cancellation of a losing exit, by settleExit, changes nothing), exiting while any exit is
 * live, deposited otherwise. A reorged-out coin keeps its state: it is no coin until its deposit comes back.
 * `slots` are the int8 column values.
 */
export async function deriveCoinStates(tx: TransactionSql, slots: readonly string[]): Promise<void> {
  if (slots.length === 0) return;
  await tx`
    update coins c set state = case
        when exists (select 1 from exits e where e.slot = c.slot and e.state = 'finalized') then 'exited'
        when exists (select 1 from exits e where e.slot = c.slot and e.state = 'started') then 'exiting'
        else 'deposited'
      end
    where c.slot = any(${slots}::int8[]) and c.state <> 'reorged_out'`;
}

/** Records a reorg the follower undid, with the coins it changed. */
export async function recordReorg(
  tx: TransactionSql,
  reorg: { readonly forkBlock: bigint; readonly oldCursor: bigint; readonly oldHash: Hash; readonly newHash?: Hash; readonly coins: readonly CoinChange[]; readonly rewound: Rewound },
): Promise<void> {
  const invalidated = {
    coins: reorg.coins.map((c) => ({ slot: c.slot.toString(), before: c.before, after: c.after })),
    deposits: reorg.rewound.deposits.map((d) => ({ slot: d.slot.toString(), block: d.block.toString(), l1Block: d.l1Block.toString() })),
    exitEvents: reorg.rewound.exitEvents.map((e) => ({ slot: e.slot.toString(), nonce: e.nonce.toString(), state: e.state, l1Block: e.l1Block.toString() })),
  };
  await tx`
    insert into l1_reorgs (fork_block, old_cursor, depth, old_hash, new_hash, invalidated)
    values (${reorg.forkBlock.toString()}::int8, ${reorg.oldCursor.toString()}::int8, ${(reorg.oldCursor - reorg.forkBlock).toString()}::int8,
            ${toBuffer(reorg.oldHash)}, ${reorg.newHash === undefined ? null : toBuffer(reorg.newHash)}, ${tx.json(invalidated)})`;
}

/** How many deep reorgs the follower undid (the /metrics counter, read from Postgres so any node can serve it). */
export async function reorgCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from l1_reorgs`;
  return row!.n;
}

/** The last deep reorg undone, or undefined when none was. */
export async function latestReorg(sql: Sql): Promise<ReorgRecord | undefined> {
  const [row] = await sql<{ detected_at: Date; fork_block: string; old_cursor: string; depth: string; old_hash: Buffer; new_hash: Buffer | null; invalidated: StoredInvalidated }[]>`
    select detected_at, fork_block, old_cursor, depth, old_hash, new_hash, invalidated from l1_reorgs order by id desc limit 1`;
  if (row === undefined) return undefined;
  const stored = row.invalidated;
  return {
    detectedAt: row.detected_at,
    forkBlock: BigInt(row.fork_block),
    oldCursor: BigInt(row.old_cursor),
    depth: BigInt(row.depth),
    oldHash: hexOf(row.old_hash),
    ...(row.new_hash === null ? {} : { newHash: hexOf(row.new_hash) }),
    coins: stored.coins.map((c) => ({ slot: BigInt(c.slot), before: c.before, after: c.after })),
    rewound: {
      deposits: stored.deposits.map((d) => ({ slot: BigInt(d.slot), block: BigInt(d.block), l1Block: BigInt(d.l1Block) })),
      exitEvents: stored.exitEvents.map((e) => ({ slot: BigInt(e.slot), nonce: BigInt(e.nonce), state: e.state, l1Block: BigInt(e.l1Block) })),
    },
  };
}

interface StoredInvalidated {
  coins: { slot: string; before: string; after: string }[];
  deposits: { slot: string; block: string; l1Block: string }[];
  exitEvents: { slot: string; nonce: string; state: string; l1Block: string }[];
}

/** The slots of the deposits and exits applied from L1 blocks after `fork`: the coins a rewind may change. */
export async function slotsAppliedAfter(tx: TransactionSql, fork: bigint): Promise<bigint[]> {
  const rows = await tx<{ slot: string }[]>`
    select slot from deposits where l1_block > ${fork.toString()}::int8
    union select slot from exits where l1_block > ${fork.toString()}::int8`;
  return rows.map((row) => slotFromDb(row.slot));
}
