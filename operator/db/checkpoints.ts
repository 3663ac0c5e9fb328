/**
 * Every SQL statement about checkpoints (migrations/0005, operator/checkpoint/): which leaves changed up to a
 * child block, storing a built checkpoint (changed buckets and top nodes only), restoring the tree, the pieces a
 * proof is derived from, and the checkpoint's life on L1 (signed → broadcast → submitted).
 */
import type { Sql, TransactionSql } from 'postgres';
import {
  depositTransaction,
  transactionDigestBytes,
  type Address,
  type Hash,
  type Hex,
  type Transaction,
  type TransactionDomain,
} from '../../client/protocol/index.ts';
import { BUCKET_HEIGHT, type LeafChanges, type TopNode } from '../checkpoint/tree.ts';
import { hexBody, hexOf, slotFromDb, slotToDb, toBuffer } from './codec.ts';

export type CheckpointStatus = 'built' | 'signed' | 'broadcast' | 'submitted' | 'abandoned';

export interface CheckpointRecord {
  readonly id: number;
  readonly block: bigint;
  readonly root: Hash;
  readonly leafCount: number;
  readonly changed: number;
  readonly status: CheckpointStatus;
  /** The contract's index, once CheckpointSubmitted was seen. */
  readonly k?: bigint;
  readonly rawTx?: Uint8Array;
  readonly txHash?: Hash;
  readonly submittedAt?: bigint;
  readonly periodEnd?: bigint;
  readonly l1Block?: bigint;
}

interface CheckpointRow {
  id: number;
  block: string;
  root: Buffer;
  leaf_count: string;
  changed: string;
  status: CheckpointStatus;
  k: string | null;
  raw_l1_tx: Buffer | null;
  l1_tx_hash: Buffer | null;
  submitted_at: string | null;
  period_end: string | null;
  l1_block: string | null;
}

function toRecord(row: CheckpointRow): CheckpointRecord {
  return {
    id: row.id,
    block: BigInt(row.block),
    root: hexOf(row.root),
    leafCount: Number(row.leaf_count),
    changed: Number(row.changed),
    status: row.status,
    ...(row.k === null ? {} : { k: BigInt(row.k) }),
    ...(row.raw_l1_tx === null ? {} : { rawTx: new Uint8Array(row.raw_l1_tx) }),
    ...(row.l1_tx_hash === null ? {} : { txHash: hexOf(row.l1_tx_hash) }),
    ...(row.submitted_at === null ? {} : { submittedAt: BigInt(row.submitted_at) }),
    ...(row.period_end === null ? {} : { periodEnd: BigInt(row.period_end) }),
    ...(row.l1_block === null ? {} : { l1Block: BigInt(row.l1_block) }),
  };
}

const COLUMNS = 'id, block, root, leaf_count, changed, status, k, raw_l1_tx, l1_tx_hash, submitted_at, period_end, l1_block';

/** The newest checkpoint built (any status but abandoned), or undefined. */
export async function latestBuiltCheckpoint(sql: Sql): Promise<CheckpointRecord | undefined> {
  const [row] = await sql<CheckpointRow[]>`select ${sql.unsafe(COLUMNS)} from checkpoints where status <> 'abandoned' order by id desc limit 1`;
  return row === undefined ? undefined : toRecord(row);
}

export async function checkpointById(sql: Sql, id: number): Promise<CheckpointRecord | undefined> {
  const [row] = await sql<CheckpointRow[]>`select ${sql.unsafe(COLUMNS)} from checkpoints where id = ${id}`;
  return row === undefined ? undefined : toRecord(row);
}

/** A checkpoint by its contract index k. */
export async function checkpointByK(sql: Sql, k: bigint): Promise<CheckpointRecord | undefined> {
  const [row] = await sql<CheckpointRow[]>`select ${sql.unsafe(COLUMNS)} from checkpoints where k = ${k.toString()}::int8`;
  return row === undefined ? undefined : toRecord(row);
}

/** The submitted checkpoint with the greatest k. */
export async function latestSubmittedCheckpoint(sql: Sql): Promise<CheckpointRecord | undefined> {
  const [row] = await sql<CheckpointRow[]>`select ${sql.unsafe(COLUMNS)} from checkpoints where k is not null order by k desc limit 1`;
  return row === undefined ? undefined : toRecord(row);
}

/** Submitted checkpoints with k ≥ `fromK`, ascending. */
export async function submittedCheckpointsFrom(sql: Sql, fromK: bigint): Promise<CheckpointRecord[]> {
  const rows = await sql<CheckpointRow[]>`select ${sql.unsafe(COLUMNS)} from checkpoints where k >= ${fromK.toString()}::int8 order by k`;
  return rows.map(toRecord);
}

/** True when a checkpoint is submitted by the committer's reckoning but its CheckpointSubmitted is not applied yet. */
export async function submittedNotFollowed(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ found: boolean }[]>`select exists (select 1 from checkpoints where status = 'submitted' and k is null) as found`;
  return row!.found;
}

/** Checkpoints built or on their way to L1 (not submitted, not abandoned), ascending. */
export async function unsubmittedCheckpoints(sql: Sql): Promise<CheckpointRecord[]> {
  const rows = await sql<CheckpointRow[]>`select ${sql.unsafe(COLUMNS)} from checkpoints where status in ('built', 'signed', 'broadcast') order by id`;
  return rows.map(toRecord);
}

/**
 * The leaves that changed in `(fromBlock, block]`, as LeafChanges (later entries win): the deposits of that range
 * (the deposit transaction at the deposit block), then each slot's last transaction in it, then every EXITED
 * coin and every coin a deep L1 reorg took out (reorg.ts: its deposit is not on L1) (zero). With `fromBlock` undefined, every coin's leaf at `block` (the first checkpoint): its last
 * transaction at or before `block` — the coin's last block, or, for a coin that moved after `block`, the
 * prevBlock of its first transaction after it.
 */
export async function leafChanges(sql: Sql, fromBlock: bigint | undefined, block: bigint, domain: TransactionDomain): Promise<LeafChanges> {
  const n = block.toString();
  const rows: { slot: string; tx_block: string; digest: Buffer | null; denomination: string | null; depositor: Buffer | null }[] = [];
  if (fromBlock === undefined) {
    rows.push(
      ...(await sql<typeof rows>`
        with after as (
          select distinct on (slot) slot, prev_block from transactions where block > ${n}::int8 order by slot, block
        ), at as (
          select c.slot, coalesce(a.prev_block, c.last_block) as tx_block, c.deposit_block, c.denomination, c.depositor
          from coins c left join after a on a.slot = c.slot
          where c.deposit_block <= ${n}::int8 and c.state not in ('exited', 'reorged_out')
        )
        select at.slot, at.tx_block, t.digest,
               case when t.digest is null then at.denomination end as denomination,
               case when t.digest is null then at.depositor end as depositor
        from at left join transactions t on t.block = at.tx_block and t.slot = at.slot and at.tx_block <> at.deposit_block`),
    );
  } else {
    const from = fromBlock.toString();
    rows.push(
      ...(await sql<typeof rows>`
        select slot, block as tx_block, null::bytea as digest, denomination, depositor
        from deposits where block > ${from}::int8 and block <= ${n}::int8 order by block`),
      ...(await sql<typeof rows>`
        select distinct on (slot) slot, block as tx_block, digest, null::numeric as denomination, null::bytea as depositor
        from transactions where block > ${from}::int8 and block <= ${n}::int8 order by slot, block desc`),
      ...(await sql<typeof rows>`
        select slot, '0' as tx_block, null::bytea as digest, null::numeric as denomination, null::bytea as depositor
        from coins where state in ('exited', 'reorged_out')`),
    );
  }
  const count = rows.length;
  const slots = new BigUint64Array(count);
  const txBlocks = new BigUint64Array(count);
  const digests = new Uint8Array(32 * count);
  // Deposit digests are two keccaks each in JavaScript: a million of them must not hold the event loop (the block
  // loop and the API share it), so the work yields every few thousand rows.
  for (let k = 0; k < count; k++) {
    if (k % 4096 === 4095) await new Promise((resolve) => setImmediate(resolve));
    const row = rows[k]!;
    const slot = slotFromDb(row.slot);
    slots[k] = slot;
    txBlocks[k] = BigInt(row.tx_block);
    if (row.digest !== null) digests.set(row.digest, 32 * k);
    else if (row.depositor !== null && row.denomination !== null) {
      const tx = depositTransaction({ slot, denomination: BigInt(row.denomination), owner: hexOf(row.depositor) as Address });
      digests.set(transactionDigestBytes(tx, domain), 32 * k);
    } else if (row.tx_block !== '0') throw new Error(`checkpoint at ${block}: slot ${slot} has no transaction at block ${row.tx_block}`);
  }
  return { slots, txBlocks, digests };
}

export interface NewCheckpoint {
  readonly id: number;
  readonly block: bigint;
  readonly root: Hash;
  readonly leafCount: number;
  readonly changed: number;
  readonly buckets: ReadonlyMap<number, Uint8Array>;
  readonly nodes: readonly TopNode[];
}

const ROWS_PER_INSERT = 2000;

/** Stores a built checkpoint (status 'built') with its changed buckets and nodes, in one transaction. */
export async function insertCheckpoint(sql: Sql, checkpoint: NewCheckpoint): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into checkpoints (id, block, root, leaf_count, changed, status)
      values (${checkpoint.id}, ${checkpoint.block.toString()}::int8, ${toBuffer(checkpoint.root)}, ${checkpoint.leafCount}, ${checkpoint.changed}, 'built')`;
    const buckets = [...checkpoint.buckets];
    for (let at = 0; at < buckets.length; at += ROWS_PER_INSERT) {
      const chunk = buckets.slice(at, at + ROWS_PER_INSERT);
      await tx`
        insert into checkpoint_buckets (bucket, checkpoint, leaves)
        select b, ${checkpoint.id}, decode(l, 'hex')
        from unnest(${chunk.map(([bucket]) => bucket)}::int4[], ${chunk.map(([, records]) => hexBody(records))}::text[]) as r (b, l)`;
    }
    for (let at = 0; at < checkpoint.nodes.length; at += 4 * ROWS_PER_INSERT) {
      const chunk = checkpoint.nodes.slice(at, at + 4 * ROWS_PER_INSERT);
      await tx`
        insert into checkpoint_nodes (height, idx, checkpoint, hash)
        select h, i, ${checkpoint.id}, decode(x, 'hex')
        from unnest(${chunk.map((node) => node.height)}::int2[], ${chunk.map((node) => node.index)}::int4[], ${chunk.map((node) => hexBody(node.hash))}::text[]) as r (h, i, x)`;
    }
  });
}

/** Everything a CheckpointTree needs to restore checkpoint `id`: every non-empty bucket and the bucket roots (height 48). */
export async function checkpointTreeState(sql: Sql, id: number): Promise<{ buckets: [number, Uint8Array][]; nodes: TopNode[] }> {
  const bucketRows = await sql<{ bucket: number; leaves: Buffer }[]>`
    select distinct on (bucket) bucket, leaves from checkpoint_buckets where checkpoint <= ${id} order by bucket, checkpoint desc`;
  const nodeRows = await sql<{ idx: number; hash: Buffer }[]>`
    select distinct on (idx) idx, hash from checkpoint_nodes where height = ${BUCKET_HEIGHT} and checkpoint <= ${id} order by idx, checkpoint desc`;
  return {
    buckets: bucketRows.filter((row) => row.leaves.length > 0).map((row) => [row.bucket, new Uint8Array(row.leaves)]),
    nodes: nodeRows.map((row) => ({ height: BUCKET_HEIGHT, index: row.idx, hash: new Uint8Array(row.hash) })),
  };
}

/** A bucket's leaf records in checkpoint `id` (empty when it holds none). */
export async function checkpointBucket(sql: Sql, id: number, bucket: number): Promise<Uint8Array> {
  const [row] = await sql<{ leaves: Buffer }[]>`
    select leaves from checkpoint_buckets where bucket = ${bucket} and checkpoint <= ${id} order by checkpoint desc limit 1`;
  return row === undefined ? new Uint8Array(0) : new Uint8Array(row.leaves);
}

/** The nodes at `positions` in checkpoint `id`, in order; null where none is stored (default[height]). */
export async function checkpointNodes(sql: Sql, id: number, positions: readonly { height: number; index: number }[]): Promise<(Uint8Array | null)[]> {
  const rows = await sql<{ n: string; hash: Buffer | null }[]>`
    select p.n, (select x.hash from checkpoint_nodes x
                 where x.height = p.h and x.idx = p.i and x.checkpoint <= ${id} order by x.checkpoint desc limit 1) as hash
    from unnest(${positions.map((p) => p.height)}::int2[], ${positions.map((p) => p.index)}::int4[]) with ordinality as p (h, i, n)
    order by p.n`;
  return rows.map((row) => (row.hash === null ? null : new Uint8Array(row.hash)));
}

/** The checkpointed transaction (slot, txBlock) with its signature and inclusion proof; undefined when not stored. */
export async function checkpointedTransaction(sql: Sql, slot: bigint, txBlock: bigint): Promise<{ transaction: Transaction; signature: Hex; proof: Hex; digest: Hash } | undefined> {
  const [row] = await sql<{ prev_block: string; denomination: string; new_owner: Buffer; signature: Buffer; digest: Buffer; proof: Buffer | null }[]>`
    select t.prev_block, t.denomination, t.new_owner, t.signature, t.digest, p.proof
    from transactions t left join proofs p on p.block = t.block and p.slot = t.slot
    where t.block = ${txBlock.toString()}::int8 and t.slot = ${slotToDb(slot)}::int8`;
  if (row === undefined || row.proof === null) return undefined;
  return {
    transaction: { slot, prevBlock: BigInt(row.prev_block), denomination: BigInt(row.denomination), newOwner: hexOf(row.new_owner) as Address },
    signature: hexOf(row.signature),
    proof: hexOf(row.proof),
    digest: hexOf(row.digest),
  };
}

/** Status of a checkpoint on its way to L1, and the signed transaction when given (kept otherwise). */
export async function setCheckpointStatus(sql: Sql, id: number, status: CheckpointStatus, l1: { readonly rawTx?: Uint8Array; readonly txHash?: Uint8Array } = {}): Promise<void> {
  const rawTx = l1.rawTx === undefined ? null : toBuffer(l1.rawTx);
  const txHash = l1.txHash === undefined ? null : toBuffer(l1.txHash);
  const rows = await sql`
    update checkpoints set status = ${status},
      raw_l1_tx = coalesce(${rawTx}::bytea, raw_l1_tx),
      l1_tx_hash = coalesce(${txHash}::bytea, l1_tx_hash)
    where id = ${id} returning id`;
  if (rows.length !== 1) throw new Error(`checkpoint ${id} is not stored`);
}

/**
 * CheckpointSubmitted, applied by the follower with its range: the checkpoint with that block and root becomes
 * submitted as k. A checkpoint the operator did not build (not stored) is reported back.
 */
export async function markCheckpointSubmitted(
  tx: TransactionSql,
  event: { readonly k: bigint; readonly childBlock: bigint; readonly root: Hash; readonly periodEnd: bigint; readonly submittedAt?: bigint; readonly l1Block: bigint },
): Promise<boolean> {
  const rows = await tx`
    update checkpoints set status = 'submitted', k = ${event.k.toString()}::int8, period_end = ${event.periodEnd.toString()}::int8,
      submitted_at = ${event.submittedAt === undefined ? null : event.submittedAt.toString()}::int8, l1_block = ${event.l1Block.toString()}::int8
    where block = ${event.childBlock.toString()}::int8 and root = ${toBuffer(event.root)}
    returning id`;
  return rows.length === 1;
}

/** Bytes the checkpoint tables take (heap, TOAST, indexes): the storage figure of bench/checkpoint.ts. */
export async function checkpointStorageBytes(sql: Sql): Promise<number> {
  const [row] = await sql<{ bytes: string }[]>`
    select pg_total_relation_size('checkpoints') + pg_total_relation_size('checkpoint_buckets') + pg_total_relation_size('checkpoint_nodes') as bytes`;
  return Number(row!.bytes);
}

// ---- challenges of the operator's own leaves (migrations/0006, checkpoint/answerer.ts)

export type LeafChallengeStatus = 'open' | 'answering' | 'answered' | 'cannot' | 'expired';

export interface StoredLeafChallenge {
  readonly k: bigint;
  readonly slot: bigint;
  readonly challengeId: Hash;
  readonly kind: 'none' | 'withheld' | 'invalid_history';
  readonly claim: Transaction;
  readonly claimBlock: bigint;
  readonly dueAt: bigint;
  /** The L1 block of its LeafChallengeOpened (answers are searched from there). */
  readonly l1Block: bigint;
  readonly status: LeafChallengeStatus;
  readonly calls: readonly Hex[];
  readonly step: number;
  readonly txStatus: 'persisted' | 'signed' | 'broadcast' | 'confirmed';
  readonly rawTx?: Uint8Array;
  readonly txHash?: Hash;
}

/** LeafChallengeOpened, applied by the follower: recorded when the checkpoint is this operator's (a replay changes nothing). */
export async function recordLeafChallenge(
  tx: TransactionSql,
  event: { readonly k: bigint; readonly slot: bigint; readonly challengeId: Hash; readonly kind: string; readonly claim: Transaction; readonly claimBlock: bigint; readonly dueAt: bigint; readonly l1Block: bigint },
): Promise<void> {
  await tx`
    insert into leaf_challenges (k, slot, challenge_id, kind, claim_block, claim_prev_block, claim_denomination, claim_new_owner, due_at, l1_block)
    select ${event.k.toString()}::int8, ${slotToDb(event.slot)}::int8, ${toBuffer(event.challengeId)}, ${event.kind}, ${event.claimBlock.toString()}::int8,
           ${event.claim.prevBlock.toString()}::int8, ${event.claim.denomination.toString()}::numeric, ${toBuffer(event.claim.newOwner)},
           ${event.dueAt.toString()}::int8, ${event.l1Block.toString()}::int8
    where exists (select 1 from checkpoints where k = ${event.k.toString()}::int8)
    on conflict do nothing`;
}

interface LeafChallengeRow {
  k: string;
  slot: string;
  challenge_id: Buffer;
  kind: StoredLeafChallenge['kind'];
  claim_block: string;
  claim_prev_block: string;
  claim_denomination: string;
  claim_new_owner: Buffer;
  due_at: string;
  l1_block: string;
  status: LeafChallengeStatus;
  calls: Buffer[] | null;
  step: number;
  tx_status: StoredLeafChallenge['txStatus'];
  raw_l1_tx: Buffer | null;
  l1_tx_hash: Buffer | null;
}

function toChallenge(row: LeafChallengeRow): StoredLeafChallenge {
  const slot = slotFromDb(row.slot);
  return {
    k: BigInt(row.k),
    slot,
    challengeId: hexOf(row.challenge_id),
    kind: row.kind,
    claim: { slot, prevBlock: BigInt(row.claim_prev_block), denomination: BigInt(row.claim_denomination), newOwner: hexOf(row.claim_new_owner) as Address },
    claimBlock: BigInt(row.claim_block),
    dueAt: BigInt(row.due_at),
    l1Block: BigInt(row.l1_block),
    status: row.status,
    calls: (row.calls ?? []).map((call) => hexOf(call)),
    step: row.step,
    txStatus: row.tx_status,
    ...(row.raw_l1_tx === null ? {} : { rawTx: new Uint8Array(row.raw_l1_tx) }),
    ...(row.l1_tx_hash === null ? {} : { txHash: hexOf(row.l1_tx_hash) }),
  };
}

/** Challenges still to plan or to answer, the earliest due first. */
export async function challengesToAnswer(sql: Sql): Promise<StoredLeafChallenge[]> {
  const rows = await sql<LeafChallengeRow[]>`select * from leaf_challenges where status in ('open', 'answering') order by due_at`;
  return rows.map(toChallenge);
}

export async function leafChallenge(sql: Sql, k: bigint, slot: bigint, challengeId: Hash): Promise<StoredLeafChallenge> {
  const [row] = await sql<LeafChallengeRow[]>`
    select * from leaf_challenges where k = ${k.toString()}::int8 and slot = ${slotToDb(slot)}::int8 and challenge_id = ${toBuffer(challengeId)}`;
  if (row === undefined) throw new Error(`no challenge ${challengeId} of slot ${slot} in checkpoint ${k}`);
  return toChallenge(row);
}

/** Moves a challenge on: its status, the planned calls, the step being sent and its stored L1 transaction. */
export async function updateLeafChallenge(
  sql: Sql,
  challenge: Pick<StoredLeafChallenge, 'k' | 'slot' | 'challengeId'>,
  change: { readonly status?: LeafChallengeStatus; readonly calls?: readonly Hex[]; readonly step?: number; readonly txStatus?: StoredLeafChallenge['txStatus']; readonly rawTx?: Uint8Array | null; readonly txHash?: Uint8Array | null; readonly note?: string },
): Promise<void> {
  const keep = (value: Uint8Array | null | undefined) => (value === undefined ? 'keep' : value === null ? 'clear' : 'set');
  await sql`
    update leaf_challenges set
      status = coalesce(${change.status ?? null}, status),
      calls = coalesce((select array_agg(decode(u.c, 'hex') order by u.n)
                        from unnest(${change.calls === undefined ? null : change.calls.map((call) => hexBody(call))}::text[]) with ordinality as u (c, n)), calls),
      step = coalesce(${change.step ?? null}::int4, step),
      tx_status = coalesce(${change.txStatus ?? null}, tx_status),
      raw_l1_tx = case ${keep(change.rawTx)} when 'keep' then raw_l1_tx when 'clear' then null else ${change.rawTx ? toBuffer(change.rawTx) : null}::bytea end,
      l1_tx_hash = case ${keep(change.txHash)} when 'keep' then l1_tx_hash when 'clear' then null else ${change.txHash ? toBuffer(change.txHash) : null}::bytea end,
      note = coalesce(${change.note ?? null}, note)
    where k = ${challenge.k.toString()}::int8 and slot = ${slotToDb(challenge.slot)}::int8 and challenge_id = ${toBuffer(challenge.challengeId)}`;
}
