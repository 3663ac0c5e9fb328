/**
 * Every write of a child block, each in one database transaction (used through Store).
 *
 * The operator writes a block in two steps (migrations/0004):
 * - claimBlock: the oldest pending transfers become the block's membership. The rows move from
 *   pending_transactions into transactions inside Postgres (no bytes through Node), the coins' owner and last
 *   block move, and the block row is written with status 'built' and no root. The next spend of those coins can
 *   be accepted from the moment this commits, while the tree is still being built.
 * - persistBlock: the root and every inclusion proof, once the tree is built ('built' → 'persisted').
 * insertBlock writes a block that arrives complete (root and proofs known: tests, benchmarks, tools) in one step.
 */
import type { Sql, TransactionSql } from 'postgres';
import { CHILD_BLOCK_INTERVAL, PlasmaError, type Hash, type Hex, type Transaction } from '../../client/protocol/index.ts';
import { hexBody, slotFromDb, slotToDb, toBuffer } from './codec.ts';
import { copyIn } from './copy.ts';
import { markPersisted, type BlockStatus } from './block-status.ts';

export type { BlockStatus } from './block-status.ts';

export interface BlockTransaction {
  readonly tx: Transaction;
  readonly signature: Uint8Array | Hex;
  /** EIP-712 digest of `tx`: its leaf in the block's tree. */
  readonly digest: Uint8Array | Hex;
  /** Canonical inclusion proof of `digest` at `tx.slot` under the block's root. */
  readonly proof: Uint8Array | Hex;
}

export interface NewBlock {
  readonly number: bigint;
  readonly root: Uint8Array | Hash;
  readonly transactions: readonly BlockTransaction[];
}

/** A block's membership: its number and the leaves of its tree, in slot order. */
export interface ClaimedBlock {
  readonly number: bigint;
  readonly leaves: readonly { readonly slot: bigint; readonly leaf: Uint8Array }[];
}

export interface ClaimOptions {
  readonly maxTransactions: number;
  /** Claim a block even with no pending transfer (its root will be the empty tree's). Default false. */
  readonly allowEmpty?: boolean;
}

/** How a block's rows reach Postgres: COPY, or multi-row INSERTs where COPY is not available (embedded). */
export interface WriteMode {
  readonly copy: boolean;
}

/** A block names one slot twice: refused before anything is written. */
export class DuplicateSlotError extends PlasmaError {
  override name = 'DuplicateSlotError';
  declare readonly code: 'duplicate_slot';
  readonly block: bigint;
  readonly slot: bigint;

  constructor(block: bigint, slot: bigint) {
    super('duplicate_slot', `block ${block} has two transactions of slot ${slot}`);
    this.block = block;
    this.slot = slot;
  }
}

/** persistBlock on a block that is not (or no longer) 'built'. */
export class NotBuiltError extends PlasmaError {
  override name = 'NotBuiltError';
  declare readonly code: 'not_built';
  constructor(number: bigint, status: string | undefined) {
    super('not_built', status === undefined ? `block ${number} is not stored` : `block ${number} is ${status}, not built: its root is already written`);
  }
}

/** Slots per `= any($1)` when matching and removing pending transfers in insertBlock. */
const PENDING_CHUNK = 50_000;
/** Rows per INSERT when COPY is off: well under Postgres's 65,535 bind parameters (arrays count as one). */
const INSERT_CHUNK = 5_000;

/** The number the contract will accept next, as the database knows it: the last stored child block + 1000. */
async function nextNumber(tx: TransactionSql): Promise<bigint> {
  const [row] = await tx<{ last: string | null }[]>`select max(number)::text as last from blocks`;
  return row?.last == null ? CHILD_BLOCK_INTERVAL : BigInt(row.last) + CHILD_BLOCK_INTERVAL;
}

/**
 * Claims the next block: the oldest pending transfers (up to maxTransactions, only of coins still `deposited`)
 * become its membership. `onLeaves` is called with the leaves as soon as they are chosen, so the caller can
 * build the tree while the rows move; the claim is durable once the returned promise resolves. Undefined when
 * nothing is pending and no empty block was asked for.
 */
export async function claimBlock(sql: Sql, options: ClaimOptions, onLeaves?: (claim: ClaimedBlock) => void): Promise<ClaimedBlock | undefined> {
  if (!Number.isInteger(options.maxTransactions) || options.maxTransactions < 0) throw new RangeError('maxTransactions must be an integer ≥ 0');
  return sql.begin(async (tx) => {
    // Locked, so the move below takes exactly these rows, with exactly these digests (the tree's leaves). Without
    // the lock a second builder on the same database (two operators overlapping in a deploy) could take a row
    // first, the coin's next spend could be accepted into the same slot, and the move would store that spend
    // under a root built from the old digest (test/operator/block/claim-races.test.ts).
    const rows = await tx<{ slot: string; digest: Buffer }[]>`
      select slot, digest from (
        select p.slot, p.digest from pending_transactions p join coins c on c.slot = p.slot and c.state = 'deposited'
        order by p.accepted_at, p.slot
        limit ${options.maxTransactions}
        for update of p
      ) oldest order by slot`;
    if (rows.length === 0 && !options.allowEmpty) return undefined;
    const number = await nextNumber(tx);
    const claim: ClaimedBlock = { number, leaves: rows.map((row) => ({ slot: slotFromDb(row.slot), leaf: row.digest })) };
    onLeaves?.(claim);
    await tx`insert into blocks (number, root, tx_count, status) values (${number.toString()}::int8, null, ${rows.length}, 'built')`;
    if (rows.length === 0) return claim;
    // One statement: the pending rows leave, become the block's transactions (in slot order, so the primary key
    // (block, slot) grows at its right edge and a block's rows sit together for the history's probes), and their
    // coins take the new owner and this block as the one the next spend must name.
    const moved = await tx`
      with moved as (
        delete from pending_transactions where slot = any(${rows.map((row) => row.slot)}::int8[])
        returning slot, prev_block, denomination, new_owner, signature, digest, accepted_at
      ), inserted as (
        insert into transactions (block, slot, prev_block, denomination, new_owner, signature, digest, accepted_at)
        select ${number.toString()}::int8, slot, prev_block, denomination, new_owner, signature, digest, accepted_at
        from moved order by slot
      )
      update coins c set owner = m.new_owner, last_block = ${number.toString()}::int8
      from moved m where c.slot = m.slot and c.state = 'deposited'`;
    // A coin whose exit the L1 follower recorded after the select takes no transfer (§4): the whole claim rolls
    // back and the next pass chooses again without it.
    if (moved.count !== rows.length) {
      throw new Error(`block ${number}: ${rows.length - moved.count} of the ${rows.length} coins chosen started exiting while the block was claimed; nothing was claimed, the next pass chooses again`);
    }
    return claim;
  });
}

/** The leaves of a stored block in slot order (to rebuild the tree of a 'built' block after a crash). */
export async function blockLeaves(sql: Sql, number: bigint): Promise<ClaimedBlock> {
  const rows = await sql<{ slot: string; digest: Buffer }[]>`
    select slot, digest from transactions where block = ${number.toString()}::int8 order by slot`;
  return { number, leaves: rows.map((row) => ({ slot: slotFromDb(row.slot), leaf: row.digest })) };
}

/**
 * 'built' → 'persisted': writes the root and the proofs, proofs[k] belonging to the k-th transaction in slot
 * order (claimBlock's leaves). Refused, with nothing written, for a block that is not 'built' or when the number
 * of proofs is not the block's transaction count.
 */
export async function persistBlock(sql: Sql, mode: WriteMode, number: bigint, root: Uint8Array | Hash, slots: readonly bigint[], proofs: readonly (Uint8Array | Hex)[]): Promise<void> {
  if (slots.length !== proofs.length) throw new Error(`block ${number}: ${proofs.length} proofs for ${slots.length} slots`);
  await sql.begin(async (tx) => {
    const [block] = await tx<{ status: string; tx_count: number }[]>`
      select status, tx_count from blocks where number = ${number.toString()}::int8 for update`;
    if (block?.status !== 'built') throw new NotBuiltError(number, block?.status);
    if (block.tx_count !== proofs.length) throw new Error(`block ${number} has ${block.tx_count} transactions, ${proofs.length} proofs were given`);
    await markPersisted(tx, number, root);
    await writeProofs(tx, mode, number, slots.map(slotToDb), proofs);
  });
}

async function writeProofs(tx: TransactionSql, mode: WriteMode, number: bigint, slots: readonly string[], proofs: readonly (Uint8Array | Hex)[]): Promise<void> {
  if (slots.length === 0) return;
  const block = number.toString();
  if (mode.copy) {
    await copyIn(tx`copy proofs (block, slot, proof) from stdin with (format binary)`, binaryProofRows(number, slots, proofs));
    return;
  }
  for (let start = 0; start < slots.length; start += INSERT_CHUNK) {
    await tx`
      insert into proofs (block, slot, proof)
      select ${block}::int8, r.slot, decode(r.proof, 'hex')
      from unnest(${slots.slice(start, start + INSERT_CHUNK)}::int8[], ${proofs.slice(start, start + INSERT_CHUNK).map((proof) => hexBody(proof))}::text[]) as r (slot, proof)`;
  }
}

/** Bytes per chunk of binary COPY data. */
const BINARY_CHUNK = 1 << 20;
/** COPY's binary format: signature, flags (none), header extension length (0). */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);

/**
 * The rows (block, slot, proof) in COPY's binary format: per row a field count, then each field's length and
 * bytes (int8 big-endian, bytea as is), and -1 after the last row. Half the bytes of the text format's hex and
 * nothing for the server to decode: the proofs are most of a block's bytes.
 */
function* binaryProofRows(number: bigint, slots: readonly string[], proofs: readonly (Uint8Array | Hex)[]): Generator<Uint8Array> {
  let chunk = Buffer.allocUnsafe(BINARY_CHUNK);
  let at = BINARY_HEADER.copy(chunk, 0);
  for (const [i, slot] of slots.entries()) {
    const proof = toBuffer(proofs[i]!);
    const size = 2 + 12 + 12 + 4 + proof.length;
    if (at + size > chunk.length) {
      yield chunk.subarray(0, at);
      chunk = Buffer.allocUnsafe(Math.max(BINARY_CHUNK, size));
      at = 0;
    }
    at = chunk.writeInt16BE(3, at);
    at = chunk.writeInt32BE(8, at);
    at = chunk.writeBigInt64BE(number, at);
    at = chunk.writeInt32BE(8, at);
    at = chunk.writeBigInt64BE(BigInt(slot), at);
    at = chunk.writeInt32BE(proof.length, at);
    at += proof.copy(chunk, at);
  }
  if (at + 2 > chunk.length) {
    yield chunk.subarray(0, at);
    chunk = Buffer.allocUnsafe(2);
    at = 0;
  }
  at = chunk.writeInt16BE(-1, at);
  yield chunk.subarray(0, at);
}

/**
 * Writes a complete block atomically (status `persisted` unless told otherwise): the block row, its
 * transactions and proofs, the removal of the pending transfers it includes, and each coin's new owner and last
 * block. A second transaction of one slot (DuplicateSlotError, before anything is written), or a block number
 * already stored, fails the whole block. A transfer taken from pending_transactions (same slot and digest)
 * keeps its accepted_at; any other gets the transaction's now().
 */
export async function insertBlock(sql: Sql, mode: WriteMode, block: NewBlock, status: BlockStatus = 'persisted'): Promise<void> {
  if (status === 'built') throw new Error('insertBlock writes a block with its root: use claimBlock for a built one');
  const number = block.number.toString();
  const slots = block.transactions.map((item) => slotToDb(item.tx.slot));
  const seen = new Set<string>();
  for (const [i, slot] of slots.entries()) {
    if (seen.has(slot)) throw new DuplicateSlotError(block.number, block.transactions[i]!.tx.slot);
    seen.add(slot);
  }
  await sql.begin(async (tx) => {
    const [row] = await tx<{ now: string }[]>`select now()::text as now`;
    const now = row!.now;
    // the pending rows this block takes: locked, so the delete below removes exactly what was matched
    const pending = new Map<string, { digest: string; acceptedAt: string }>();
    for (let start = 0; start < slots.length; start += PENDING_CHUNK) {
      const rows = await tx<{ slot: string; digest: Buffer; accepted_at: string }[]>`
        select slot::text, digest, accepted_at::text from pending_transactions
        where slot = any(${slots.slice(start, start + PENDING_CHUNK)}::int8[])
        for update`;
      for (const p of rows) pending.set(p.slot, { digest: p.digest.toString('hex'), acceptedAt: p.accepted_at });
    }
    const taken: string[] = [];
    const acceptedAt = block.transactions.map((item, i) => {
      const match = pending.get(slots[i]!);
      if (match === undefined || match.digest !== hexBody(item.digest)) return now;
      taken.push(slots[i]!);
      return match.acceptedAt;
    });
    for (let start = 0; start < taken.length; start += PENDING_CHUNK) {
      await tx`delete from pending_transactions where slot = any(${taken.slice(start, start + PENDING_CHUNK)}::int8[])`;
    }
    for (let start = 0; start < slots.length; start += PENDING_CHUNK) {
      const end = start + PENDING_CHUNK;
      await tx`
        update coins c set owner = decode(u.owner, 'hex'), last_block = ${number}::int8
        from unnest(${slots.slice(start, end)}::int8[], ${block.transactions.slice(start, end).map((item) => hexBody(item.tx.newOwner))}::text[]) as u (slot, owner)
        where c.slot = u.slot`;
    }
    await tx`
      insert into blocks (number, root, tx_count, status)
      values (${number}, ${toBuffer(block.root)}, ${block.transactions.length}, ${status})`;
    await writeTransactions(tx, mode, number, slots, block.transactions, acceptedAt);
    await writeProofs(tx, mode, block.number, slots, block.transactions.map((item) => item.proof));
  });
}

async function writeTransactions(
  tx: TransactionSql,
  mode: WriteMode,
  number: string,
  slots: readonly string[],
  items: readonly BlockTransaction[],
  acceptedAt: readonly string[],
): Promise<void> {
  if (items.length === 0) return;
  if (mode.copy) {
    await copyIn(
      tx`copy transactions (block, slot, prev_block, denomination, new_owner, signature, digest, accepted_at) from stdin`,
      (function* () {
        for (const [i, item] of items.entries()) {
          yield `${number}\t${slots[i]}\t${item.tx.prevBlock}\t${item.tx.denomination}\t\\\\x${hexBody(item.tx.newOwner)}\t\\\\x${hexBody(item.signature)}\t\\\\x${hexBody(item.digest)}\t${acceptedAt[i]}\n`;
        }
      })(),
    );
    return;
  }
  for (let start = 0; start < items.length; start += INSERT_CHUNK) {
    const chunk = items.slice(start, start + INSERT_CHUNK);
    await tx`
      insert into transactions (block, slot, prev_block, denomination, new_owner, signature, digest, accepted_at)
      select ${number}::int8, r.slot, r.prev_block, r.denomination, decode(r.new_owner, 'hex'), decode(r.signature, 'hex'),
             decode(r.digest, 'hex'), r.accepted_at
      from unnest(
        ${slots.slice(start, start + INSERT_CHUNK)}::int8[],
        ${chunk.map((item) => item.tx.prevBlock.toString())}::int8[],
        ${chunk.map((item) => item.tx.denomination.toString())}::numeric[],
        ${chunk.map((item) => hexBody(item.tx.newOwner))}::text[],
        ${chunk.map((item) => hexBody(item.signature))}::text[],
        ${chunk.map((item) => hexBody(item.digest))}::text[],
        ${acceptedAt.slice(start, start + INSERT_CHUNK)}::timestamptz[]
      ) as r (slot, prev_block, denomination, new_owner, signature, digest, accepted_at)`;
  }
}
