/**
 * The operator's view of L1, written by the follower: deposits become coins, exits move coin states, and the
 * operator's own BlockSubmitted events confirm its blocks. One range of confirmed L1 blocks is applied in one
 * transaction together with the cursor, so a crash leaves either all of a range or none of it. The range also
 * stores the hashes of its last block and of the blocks it holds events from (reorg.ts): how the follower notices
 * a reorg deeper than its confirmation depth and finds where to rewind to.
 */
import type { Sql, TransactionSql } from 'postgres';
import { hexBody, hexOf, slotToDb, toBuffer } from './codec.ts';
import { markConfirmedByEvent } from './block-status.ts';
import { markCheckpointSubmitted, recordLeafChallenge } from './checkpoints.ts';
import { deriveCoinStates, recordBlockHashes, type BlockHash } from './reorg.ts';
import type { Hash } from '../../client/protocol/index.ts';
import type { PlasmaEvent } from '../../client/l1/events.ts';

/** The events the operator applies, as client/l1's decoder gives them. */
export type ChainEvent =
  | Extract<PlasmaEvent, { name: 'Deposit' | 'BlockSubmitted' | 'ExitStarted' | 'ExitCancelled' | 'ExitFinalized' }>
  // with the L1 block's timestamp, when the follower read it: the checkpoint's submittedAt
  | (Extract<PlasmaEvent, { name: 'CheckpointSubmitted' }> & { readonly submittedAt?: bigint })
  | Extract<PlasmaEvent, { name: 'LeafChallengeOpened' }>;

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
/** A range of confirmed L1 blocks and its events, in chain order. */
export interface L1Range {
  readonly from: bigint;
  readonly through: bigint;
  readonly events: readonly ChainEvent[];
  /** Hashes to keep: `through`'s and those of the blocks the events are from (reorg.ts). */
  readonly hashes?: readonly BlockHash[];
  /** Hashes of blocks below this are forgotten (the follower's reorg window). Default: keep all. */
  readonly keepHashesFrom?: bigint;
}

/**
 * Applies the events of L1 blocks (cursor, `through`] in order and moves the cursor to `through`, atomically.
 * Refuses a range that does not start right after the cursor (a second follower, or a stale one).
 */
export async function applyL1Range(sql: Sql, range: L1Range): Promise<BlockMismatch[]> {
  return sql.begin((tx) => applyL1RangeIn(tx, range)) as Promise<BlockMismatch[]>;
}

/** applyL1Range inside the caller's transaction (the follower's rewind re-applies the new chain in its own). */
export async function applyL1RangeIn(tx: TransactionSql, range: L1Range): Promise<BlockMismatch[]> {
  const [cursor] = await tx<{ block: string }[]>`select block from l1_cursor for update`;
  if (cursor !== undefined && BigInt(cursor.block) !== range.from - 1n) {
    throw new Error(`L1 range ${range.from}..${range.through} does not follow the cursor ${cursor.block}`);
  }
  const mismatches: BlockMismatch[] = [];
  const events = range.events;
  for (let k = 0; k < events.length; ) {
    // A run of deposits goes in as two statements, not two per deposit: in a burst (hundreds per L1 block) the
    // per-row round trips held the follower seconds behind L1.
    let end = k;
    while (end < events.length && events[end]!.name === 'Deposit') end++;
    if (end > k) {
      await applyDeposits(tx, events.slice(k, end) as DepositEvent[]);
      k = end;
      continue;
    }
    const mismatch = await applyEvent(tx, events[k] as Exclude<ChainEvent, DepositEvent>);
    if (mismatch) mismatches.push(mismatch);
    k++;
  }
  await tx`
    insert into l1_cursor (id, block) values (true, ${range.through.toString()}::int8)
    on conflict (id) do update set block = excluded.block`;
  await recordBlockHashes(tx, range.hashes ?? [], range.keepHashesFrom ?? 0n);
  return mismatches;
}

type DepositEvent = Extract<ChainEvent, { name: 'Deposit' }>;

/** Deposits, in order: each a deposit row and a coin owned by its depositor (a replayed one changes nothing). */
async function applyDeposits(tx: TransactionSql, deposits: readonly DepositEvent[]): Promise<void> {
  const column = <T>(value: (deposit: DepositEvent) => T): T[] => deposits.map(value);
  const blocks = column((d) => d.block.toString());
  const slots = column((d) => slotToDb(d.slot));
  const depositors = column((d) => hexBody(d.depositor));
  const kinds = column((d) => d.kind);
  const tokens = column((d) => hexBody(d.token));
  const tokenIds = column((d) => d.tokenId.toString());
  const denominations = column((d) => d.denomination.toString());
  await tx`
    insert into deposits (block, slot, depositor, kind, token, token_id, denomination, l1_tx_hash, l1_block, confirmed)
    select d.block, d.slot, decode(d.depositor, 'hex'), d.kind, decode(d.token, 'hex'), d.token_id, d.denomination,
           decode(d.l1_tx_hash, 'hex'), d.l1_block, true
    from unnest(${blocks}::int8[], ${slots}::int8[], ${depositors}::text[], ${kinds}::text[], ${tokens}::text[],
                ${tokenIds}::numeric[], ${denominations}::numeric[], ${column((d) => hexBody(d.transactionHash))}::text[],
                ${column((d) => d.l1Block.toString())}::int8[])
         with ordinality as d (block, slot, depositor, kind, token, token_id, denomination, l1_tx_hash, l1_block, n)
    order by d.n
    on conflict do nothing`;
  await tx`
    insert into coins (slot, kind, token, token_id, denomination, depositor, deposit_block, owner, last_block, state)
    select d.slot, d.kind, decode(d.token, 'hex'), d.token_id, d.denomination, decode(d.depositor, 'hex'), d.block,
           decode(d.depositor, 'hex'), d.block, 'deposited'
    from unnest(${slots}::int8[], ${kinds}::text[], ${tokens}::text[], ${tokenIds}::numeric[], ${denominations}::numeric[],
                ${depositors}::text[], ${blocks}::int8[])
         with ordinality as d (slot, kind, token, token_id, denomination, depositor, block, n)
    order by d.n
    on conflict do nothing`;
  // A coin a reorg took out (reorg.ts) whose deposit came back: the same deposit (block and asset) makes it a coin
  // again with the transfers it had, which sign over exactly these values. Another deposit in its slot (the
  // depositor's deposit nonce reused on the new chain) replaces it only if it never moved in a child block; one
  // that moved stays refused, as its child-chain history names the deposit that is gone (PROTOCOL.md §7).
  await tx`
    update coins c set state = 'deposited'
    from unnest(${slots}::int8[], ${kinds}::text[], ${tokens}::text[], ${tokenIds}::numeric[], ${denominations}::numeric[],
                ${depositors}::text[], ${blocks}::int8[]) as d (slot, kind, token, token_id, denomination, depositor, block)
    where c.slot = d.slot and c.state = 'reorged_out' and c.deposit_block = d.block and c.kind = d.kind
      and c.token = decode(d.token, 'hex') and c.token_id = d.token_id and c.denomination = d.denomination
      and c.depositor = decode(d.depositor, 'hex')`;
  await tx`
    update coins c set kind = d.kind, token = decode(d.token, 'hex'), token_id = d.token_id, denomination = d.denomination,
      depositor = decode(d.depositor, 'hex'), deposit_block = d.block, owner = decode(d.depositor, 'hex'), last_block = d.block,
      state = 'deposited'
    from unnest(${slots}::int8[], ${kinds}::text[], ${tokens}::text[], ${tokenIds}::numeric[], ${denominations}::numeric[],
                ${depositors}::text[], ${blocks}::int8[]) as d (slot, kind, token, token_id, denomination, depositor, block)
    where c.slot = d.slot and c.state = 'reorged_out'
      and not exists (select 1 from transactions t where t.slot = c.slot)`;
}

async function applyEvent(tx: TransactionSql, event: Exclude<ChainEvent, DepositEvent>): Promise<BlockMismatch | undefined> {
  switch (event.name) {
    case 'ExitStarted':
    case 'ExitCancelled':
    case 'ExitFinalized':
      await applyExitEvent(tx, event);
      return undefined;
    case 'CheckpointSubmitted':
      // The operator's own checkpoint (same block and root) becomes submitted as k; one it did not build is
      // nothing to apply here (the builder's next checkpoint is after it all the same).
      await markCheckpointSubmitted(tx, {
        k: event.k, childBlock: event.childBlock, root: event.root, periodEnd: event.periodEnd, l1Block: event.l1Block,
        ...(event.submittedAt === undefined ? {} : { submittedAt: event.submittedAt }),
      });
      return undefined;
    case 'LeafChallengeOpened':
      // A challenge of one of the operator's leaves: the answerer (checkpoint/answerer.ts) takes it from here.
      await recordLeafChallenge(tx, event);
      return undefined;
    case 'BlockSubmitted': {
      const [row] = await tx<{ root: Buffer | null }[]>`select root from blocks where number = ${event.block.toString()}::int8`;
      // no block, or one still being built (no root yet: only this operator's committer could have sent it)
      if (row === undefined || row.root === null) return { block: event.block, l1Root: event.root };
      const storedRoot = hexOf(row.root);
      if (storedRoot !== event.root.toLowerCase()) return { block: event.block, l1Root: event.root, storedRoot };
      await markConfirmedByEvent(tx, event.block);
      return undefined;
    }
  }
}

type ExitEvent = Extract<ChainEvent, { name: 'ExitStarted' | 'ExitCancelled' | 'ExitFinalized' }>;

const EXIT_STATE = { ExitStarted: 'started', ExitCancelled: 'cancelled', ExitFinalized: 'finalized' } as const;

/**
 * Records an exit's new state, then derives the coin's state from all of its exits (PROTOCOL.md §6: several
 * exits of a coin may be live at once). A coin is exited once any exit finalized (a later cancellation of a
 * losing exit, by settleExit, changes nothing), exiting while any exit is live, and deposited otherwise: so a
 * cancelled exit beside another live one leaves the coin closed to transfers.
 */
async function applyExitEvent(tx: TransactionSql, event: ExitEvent): Promise<void> {
  const slot = slotToDb(event.slot);
  const state = EXIT_STATE[event.name];
  const exitor = event.name === 'ExitStarted' ? toBuffer(event.exitor) : null;
  const started = event.name === 'ExitStarted' ? event.l1Block.toString() : null;
  await tx`
    insert into exits (slot, nonce, state, exitor, l1_block, started_l1_block)
    values (${slot}::int8, ${event.nonce.toString()}::int8, ${state}, ${exitor}, ${event.l1Block.toString()}::int8, ${started}::int8)
    on conflict (slot, nonce) do update
      set state = excluded.state, exitor = coalesce(excluded.exitor, exits.exitor), l1_block = excluded.l1_block,
        started_l1_block = coalesce(excluded.started_l1_block, exits.started_l1_block)`;
  await deriveCoinStates(tx, [slot]);
}
