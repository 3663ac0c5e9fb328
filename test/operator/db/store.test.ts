import t from 'tap';
import {
  EMPTY_BLOCK_EXCLUSION_PROOF,
  signDigest,
  SparseMerkleTree,
  transactionDigestBytes,
  UINT64_MAX,
  verifyCoinHistory,
  type Address,
  type Hash,
  type Hex,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { slotToDb } from '../../../operator/db/codec.ts';
import type { BlockTransaction, NewBlock } from '../../../operator/db/store.ts';
import { addressOf, DOMAIN, privateKey, rng } from '../../client/protocol/fixtures/helpers.ts';
import { createTestStore } from './helpers.ts';

const KEYS = Array.from({ length: 4 }, (_, i) => privateKey(i));
const OWNERS = KEYS.map(addressOf);
const DEPOSIT_BLOCK = 1n;
const DENOMINATION = 10n ** 18n;

/** Coins whose history is checked: the uint64 edges, neighbours of crowded slots, and random ones. */
const TRACKED = [0n, UINT64_MAX, 1n << 63n, (1n << 63n) - 1n, 0x1234_5678_9abc_def0n, 77n];

interface Coin {
  ownerIndex: number;
  lastBlock: bigint;
}

function signed(tx: Transaction, key: Hex, proofOf: (slot: bigint) => Uint8Array): BlockTransaction {
  const digest = transactionDigestBytes(tx, DOMAIN);
  return { tx, signature: signDigest(digest, key), digest, proof: proofOf(tx.slot) };
}

/**
 * Builds `count` child blocks: each has `size` transfers of random other coins, plus a transfer of each
 * tracked coin with probability 1/3 (a chain of owners), and block 7000 is empty.
 */
function buildChain(count: number, size: number): { blocks: NewBlock[]; trees: Map<bigint, SparseMerkleTree>; coins: Map<bigint, Coin> } {
  const random = rng(2024);
  const coins = new Map<bigint, Coin>(TRACKED.map((slot) => [slot, { ownerIndex: 0, lastBlock: DEPOSIT_BLOCK }]));
  const blocks: NewBlock[] = [];
  const trees = new Map<bigint, SparseMerkleTree>();
  for (let k = 1; k <= count; k++) {
    const number = BigInt(k) * 1000n;
    const txs: Transaction[] = [];
    const keys: Hex[] = [];
    if (number !== 7000n) {
      const used = new Set<bigint>(TRACKED);
      for (let i = 0; i < size; i++) {
        // a third of the others sit right next to tracked slots, so exclusions derive from adjacent leaves
        const near = TRACKED[random.int(TRACKED.length)]! + BigInt(random.int(5)) - 2n;
        const slot = i % 3 === 0 && near >= 0n && near <= UINT64_MAX ? near : random.uint64();
        if (used.has(slot)) continue;
        used.add(slot);
        txs.push({ slot, prevBlock: number - 1000n, denomination: 5n, newOwner: OWNERS[1]! });
        keys.push(KEYS[0]!);
      }
      for (const [slot, coin] of coins) {
        if (random.int(3) !== 0) continue;
        const next = (coin.ownerIndex + 1) % OWNERS.length;
        txs.push({ slot, prevBlock: coin.lastBlock, denomination: DENOMINATION, newOwner: OWNERS[next]! });
        keys.push(KEYS[coin.ownerIndex]!);
        coins.set(slot, { ownerIndex: next, lastBlock: number });
      }
    }
    const digests = txs.map((tx) => transactionDigestBytes(tx, DOMAIN));
    const tree = SparseMerkleTree.build(txs.map((tx, i) => ({ slot: tx.slot, leaf: digests[i]! })));
    trees.set(number, tree);
    blocks.push({ number, root: tree.rootBytes, transactions: txs.map((tx, i) => signed(tx, keys[i]!, (slot) => tree.proofBytes(slot))) });
  }
  return { blocks, trees, coins };
}

t.test('every served history entry verifies against the roots, over 20 blocks of ~2,000 transfers', async (t) => {
  const store = await createTestStore(t, 'history');
  const { blocks, trees, coins } = buildChain(20, 2000);
  for (const block of blocks) {
    await store.insertBlock(block);
    await store.setBlockStatus(block.number, 'confirmed');
  }
  const committed = await store.committedChildBlocks(1000n, 20_000n);
  t.equal(committed.length, 20);
  const roots = new Map<bigint, Hash>(committed.map((block) => [block.number, block.root]));

  for (const slot of TRACKED) {
    const { entries, next } = await store.coinHistory(slot, 1000n, 20_000n);
    t.equal(next, undefined, `slot ${slot}: whole history in one page`);
    let sameBytes = true;
    for (const entry of entries) if (entry.proof !== trees.get(entry.block)!.proof(slot)) sameBytes = false;
    t.ok(sameBytes, `slot ${slot}: every proof equals the tree's, byte for byte`);
    t.ok(entries.some((entry) => entry.kind === 'inclusion') && entries.some((entry) => entry.kind === 'exclusion'));
    t.equal(entries.find((entry) => entry.block === 7000n)?.proof, EMPTY_BLOCK_EXCLUSION_PROOF, 'empty block');
    const coin = coins.get(slot)!;
    const state = verifyCoinHistory({
      deposit: { slot, block: DEPOSIT_BLOCK, owner: OWNERS[0] as Address, denomination: DENOMINATION },
      entries,
      roots: (block) => roots.get(block),
      committedChildBlocks: { to: 20_000n },
      domain: DOMAIN,
      expectedOwner: OWNERS[coin.ownerIndex]!,
    });
    t.equal(state.lastBlock, coin.lastBlock, `slot ${slot}: verified, last moved at ${coin.lastBlock}`);
  }

  const present = blocks[3]!.transactions[10]!.tx.slot;
  const { entries } = await store.coinHistory(present, 4000n, 4000n);
  t.equal(entries[0]?.kind, 'inclusion', 'a synthetic coin is included where it moved');
  t.ok(((await store.bytesPerTransfer()).bytesPerTransfer) < 1024, 'under 1 KB per stored transfer');
});

t.test('paging: limit cuts the range and next continues it', async (t) => {
  const store = await createTestStore(t, 'paging');
  const { blocks } = buildChain(5, 50);
  for (const block of blocks) {
    await store.insertBlock(block);
    if (block.number !== 5000n) await store.setBlockStatus(block.number, 'confirmed');
  }
  const first = await store.coinHistory(77n, 1000n, 5000n, 2);
  t.same(first.entries.map((entry) => entry.block), [1000n, 2000n]);
  t.equal(first.next, 3000n);
  const rest = await store.coinHistory(77n, first.next!, 5000n, 2);
  t.same(rest.entries.map((entry) => entry.block), [3000n, 4000n], 'block 5000 is persisted but not confirmed: not served');
  t.equal(rest.next, undefined);
});

t.test('uint64 edge slots round-trip and keep their order', async (t) => {
  const store = await createTestStore(t, 'edges');
  const slots = [0n, 1n, (1n << 63n) - 1n, 1n << 63n, UINT64_MAX - 1n, UINT64_MAX];
  const owner = Buffer.from(OWNERS[0]!.slice(2), 'hex');
  for (const slot of [...slots].reverse()) {
    await store.sql`
      insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block)
      values (${slotToDb(slot)}::int8, 'eth', ${Buffer.alloc(20)}, 1, ${owner}, 1, ${owner}, 1)`;
  }
  const rows = await store.sql<{ slot: string }[]>`select slot::text from coins order by coins.slot`;
  const { slotFromDb } = await import('../../../operator/db/codec.ts');
  t.same(rows.map((row) => slotFromDb(row.slot)), slots, 'ascending uint64 order is ascending int8 order');
  t.throws(() => slotToDb(UINT64_MAX + 1n), RangeError);
  t.throws(() => slotToDb(-1n), RangeError);

  const tx: Transaction = { slot: UINT64_MAX, prevBlock: 1n, denomination: 1n, newOwner: OWNERS[1]! };
  const digest = transactionDigestBytes(tx, DOMAIN);
  const tree = SparseMerkleTree.build([{ slot: UINT64_MAX, leaf: digest }]);
  await store.insertBlock({ number: 1000n, root: tree.rootBytes, transactions: [signed(tx, KEYS[0]!, (s) => tree.proofBytes(s))] });
  await store.setBlockStatus(1000n, 'confirmed');
  const [top] = (await store.coinHistory(UINT64_MAX, 1000n, 1000n)).entries;
  t.equal(top?.kind === 'inclusion' ? top.transaction.slot : undefined, UINT64_MAX);
  const [bottom] = (await store.coinHistory(0n, 1000n, 1000n)).entries;
  t.equal(bottom?.proof, tree.proof(0n), 'slot 0 excluded by a proof derived from slot 2^64-1');
  const [owned] = await store.sql<{ last_block: string }[]>`
    select last_block::text from coins where slot = ${slotToDb(UINT64_MAX)}::int8`;
  t.equal(owned?.last_block, '1000', 'the coin moved to the block');
});

t.test('a slot twice in one block is refused before anything is written, pending transfers included', async (t) => {
  const store = await createTestStore(t, 'unique');
  const tx: Transaction = { slot: 5n, prevBlock: 1n, denomination: 1n, newOwner: OWNERS[1]! };
  const item = signed(tx, KEYS[0]!, () => new Uint8Array(8));
  await store.sql`
    insert into pending_transactions (slot, prev_block, denomination, new_owner, signature, digest)
    values (${slotToDb(5n)}::int8, 1, 1, ${Buffer.from(OWNERS[1]!.slice(2), 'hex')},
            ${Buffer.from((item.signature as string).slice(2), 'hex')}, ${Buffer.from(item.digest as Uint8Array)})`;
  await t.rejects(
    store.insertBlock({ number: 1000n, root: new Uint8Array(32), transactions: [item, item] }),
    { name: 'DuplicateSlotError', message: 'block 1000 has two transactions of slot 5' },
  );
  const [counts] = await store.sql<{ blocks: number; transactions: number; pending: number }[]>`
    select (select count(*)::int from blocks) as blocks, (select count(*)::int from transactions) as transactions,
           (select count(*)::int from pending_transactions) as pending`;
  t.same(counts, { blocks: 0, transactions: 0, pending: 1 });
  await store.insertBlock({ number: 1000n, root: new Uint8Array(32), transactions: [item] });
  const [after] = await store.sql<{ pending: number }[]>`select count(*)::int as pending from pending_transactions`;
  t.equal(after?.pending, 0, 'the block that includes it takes the pending transfer');
  await t.rejects(store.insertBlock({ number: 1000n, root: new Uint8Array(32), transactions: [] }), { code: '23505' }, 'a block number is stored once');
});

t.test('a constraint violation inside the COPY rejects promptly and rolls back the whole block', { timeout: 60_000 }, async (t) => {
  const store = await createTestStore(t, 'copyfail');
  // with no foreign key to blocks (migration 0003) a row of block 1000 can exist before the block does: the
  // COPY then hits the primary key (block, slot), which only the server sees
  await store.sql`alter table transactions drop constraint if exists transactions_block_fkey`;
  const random = rng(99);
  const owner = Buffer.from(OWNERS[1]!.slice(2), 'hex');
  const clash = async (number: bigint, slot: bigint) => {
    await store.sql`
      insert into transactions (block, slot, prev_block, denomination, new_owner, signature, digest, accepted_at)
      values (${number.toString()}::int8, ${slotToDb(slot)}::int8, 1, 1, ${owner}, ${Buffer.alloc(65)}, ${Buffer.alloc(32)}, now())`;
  };
  const synthetic = (number: bigint, slots: bigint[]): NewBlock => ({
    number,
    root: new Uint8Array(32),
    transactions: slots.map((slot) => ({
      tx: { slot, prevBlock: 1n, denomination: 1n, newOwner: OWNERS[1]! },
      signature: random.bytes(65),
      digest: random.bytes(32),
      proof: random.bytes(600),
    })),
  });
  const many = (count: number) => {
    const slots = new Set<bigint>();
    while (slots.size < count) slots.add(random.uint64());
    return [...slots];
  };
  const counts = async () => {
    const [row] = await store.sql<{ blocks: number; transactions: number; pending: number }[]>`
      select (select count(*)::int from blocks) as blocks, (select count(*)::int from transactions) as transactions,
             (select count(*)::int from pending_transactions) as pending`;
    return row;
  };

  // pending transfers the failed blocks would take stay pending
  const tx: Transaction = { slot: 5n, prevBlock: 1n, denomination: 1n, newOwner: OWNERS[1]! };
  const item = signed(tx, KEYS[0]!, () => new Uint8Array(8));
  await store.sql`
    insert into pending_transactions (slot, prev_block, denomination, new_owner, signature, digest)
    values (${slotToDb(5n)}::int8, 1, 1, ${owner}, ${Buffer.from((item.signature as string).slice(2), 'hex')}, ${Buffer.from(item.digest as Uint8Array)})`;

  // small block: the violation is reported after the stream has ended (the case that used to hang)
  await clash(1000n, 9n);
  const small = synthetic(1000n, [9n]);
  await t.rejects(store.insertBlock({ ...small, transactions: [item, ...small.transactions] }), { code: '23505' }, 'one-row clash');
  t.same(await counts(), { blocks: 0, transactions: 1, pending: 1 }, 'nothing of block 1000 written, the pending transfer kept');

  // large blocks: the clashing row first (reported while rows are still streaming) and last
  const first = many(30_000);
  await clash(2000n, first[0]!);
  await t.rejects(store.insertBlock(synthetic(2000n, first)), { code: '23505' }, 'clash on the first of 30,000 rows');
  const last = many(30_000);
  await clash(3000n, last[last.length - 1]!);
  await t.rejects(store.insertBlock(synthetic(3000n, last)), { code: '23505' }, 'clash on the last of 30,000 rows');
  t.same(await counts(), { blocks: 0, transactions: 3, pending: 1 }, 'each failed block rolled back whole');

  // the pool is healthy afterwards: the same blocks go in once the clashing rows are gone
  await store.sql`delete from transactions`;
  await store.insertBlock({ ...small, transactions: [item, ...small.transactions] });
  await store.insertBlock(synthetic(2000n, first));
  t.same(await counts(), { blocks: 2, transactions: 30_002, pending: 0 }, 'retried blocks stored, the pending transfer taken');
});

t.test('accepted_at: a pending transfer keeps its own, others get the block transaction\'s time', async (t) => {
  const store = await createTestStore(t, 'accepted');
  const owner = Buffer.from(OWNERS[1]!.slice(2), 'hex');
  const items = [5n, 6n, 7n].map((slot) => signed({ slot, prevBlock: 1n, denomination: 1n, newOwner: OWNERS[1]! }, KEYS[0]!, () => new Uint8Array(8)));
  const other = signed({ slot: 6n, prevBlock: 2n, denomination: 1n, newOwner: OWNERS[2]! }, KEYS[0]!, () => new Uint8Array(8));
  for (const [i, item] of [items[0]!, other].entries()) {
    await store.sql`
      insert into pending_transactions (slot, prev_block, denomination, new_owner, signature, digest, accepted_at)
      values (${slotToDb(item.tx.slot)}::int8, 1, 1, ${owner}, ${Buffer.from((item.signature as string).slice(2), 'hex')},
              ${Buffer.from(item.digest as Uint8Array)}, ${`2020-01-0${i + 1} 00:00:00.123456+00`}::text::timestamptz)`;
  }
  await store.insertBlock({ number: 1000n, root: new Uint8Array(32), transactions: items });
  const rows = await store.sql<{ slot: string; accepted_at: string; recent: boolean }[]>`
    select slot::text, to_char(accepted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as accepted_at,
           accepted_at > now() - interval '1 hour' as recent
    from transactions order by transactions.slot`;
  t.same(rows.map((row) => row.slot), [5n, 6n, 7n].map(slotToDb));
  t.equal(rows[0]!.accepted_at, '2020-01-01 00:00:00.123456', 'taken from pending, to the microsecond');
  t.ok(rows[1]!.recent && rows[2]!.recent, 'not pending (or a different pending transfer of the slot): now()');
  const pending = await store.sql<{ slot: string }[]>`select slot::text from pending_transactions`;
  t.same(pending.map((row) => row.slot), [slotToDb(6n)], 'only the included transfer leaves pending');
});
