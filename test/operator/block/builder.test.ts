import t from 'tap';
import { parseEther, type LogDescription } from 'ethers';
import {
  EMPTY_ROOT, SparseMerkleTree, signTransaction, transactionDigest, verifyCoinHistory, verifyProof,
  type Address, type Hash, type Transaction, type TransactionDomain,
} from '../../../client/protocol/index.ts';
import { buildBlock, claimNextBlock, finishBuiltBlocks } from '../../../operator/block/builder.ts';
import { PARALLEL_THRESHOLD } from '../../../operator/block/tree-workers.ts';
import { BlockCommitter } from '../../../operator/block/committer.ts';
import { childBlockRoot, nextChildBlock } from '../../../client/l1/contract.ts';
import { L1Follower } from '../../../operator/chain/follower.ts';
import { coinBySlot } from '../../../operator/db/transfers.ts';
import { slotToDb, toBuffer } from '../../../operator/db/codec.ts';
import type { Store } from '../../../operator/db/store.ts';
import { blockByNumber } from '../../../operator/db/transfers.ts';
import { createTestStore } from '../db/helpers.ts';
import { startTestChain, type TestChain } from '../../support/anvil.ts';

const DOMAIN: TransactionDomain = { chainId: 31337n, verifyingContract: `0x${'cc'.repeat(20)}` };
const KEY = `0x${'01'.repeat(32)}` as const;

async function addCoin(store: Store, slot: bigint, state = 'deposited'): Promise<void> {
  await store.sql`
    insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block, state)
    values (${slotToDb(slot)}::int8, 'eth', ${Buffer.alloc(20)}, 1, ${Buffer.alloc(20, 1)}, 1, ${Buffer.alloc(20, 1)}, 1, ${state})`;
}

async function addPending(store: Store, tx: Transaction, domain: TransactionDomain, key: `0x${string}`, acceptedAt?: Date): Promise<Hash> {
  const digest = transactionDigest(tx, domain);
  const signature = await signTransaction(tx, domain, key);
  await store.sql`
    insert into pending_transactions (slot, prev_block, denomination, new_owner, signature, digest, accepted_at)
    values (${slotToDb(tx.slot)}::int8, ${tx.prevBlock.toString()}::int8, ${tx.denomination.toString()}::numeric,
            ${toBuffer(tx.newOwner)}, ${toBuffer(signature)}, ${toBuffer(digest)}, ${acceptedAt ?? new Date()})`;
  return digest;
}

const transfer = (slot: bigint): Transaction => ({ slot, prevBlock: 1n, denomination: 1n, newOwner: `0x${'22'.repeat(20)}` });

t.test('buildBlock takes the oldest pending transfers up to the size, with proofs, and numbers blocks by 1000', async (t) => {
  const store = await createTestStore(t, 'build');
  const slots = [5n, 2n ** 64n - 1n, 0n, 77n];
  for (const slot of slots) await addCoin(store, slot);
  await addCoin(store, 9n, 'exiting');
  const digests = new Map<bigint, Hash>();
  for (const [i, slot] of slots.entries()) digests.set(slot, await addPending(store, transfer(slot), DOMAIN, KEY, new Date(Date.UTC(2024, 0, 1, 0, 0, i))));
  await addPending(store, transfer(9n), DOMAIN, KEY);

  const first = await buildBlock(store, { maxTransactions: 3 });
  t.match(first, { number: 1000n, txCount: 3 });
  const rows = await store.sql`select t.slot, t.digest, p.proof from transactions t join proofs p using (block, slot) where block = 1000 order by slot`;
  t.equal(rows.length, 3);
  for (const slot of slots.slice(0, 3)) {
    const row = rows.find((r) => r['slot'] === slotToDb(slot))!;
    t.ok(verifyProof(first!.root, slot, row['digest'] as Buffer, row['proof'] as Buffer), `inclusion proof of slot ${slot}`);
  }
  const [pending] = await store.sql`select count(*)::int as n from pending_transactions`;
  t.equal(pending!['n'], 2, 'the included transfers left pending, the newest and the exiting coin stay');

  const second = await buildBlock(store, { maxTransactions: 10 });
  t.match(second, { number: 2000n, txCount: 1 }, 'the exiting coin takes no transfer');
  t.equal(await buildBlock(store, { maxTransactions: 10 }), undefined, 'no empty block unless asked');
  t.same(await buildBlock(store, { maxTransactions: 10, allowEmpty: true }), { number: 3000n, root: EMPTY_ROOT, txCount: 0 });
  t.match(await coinBySlot(store.sql, 5n), { owner: `0x${'22'.repeat(20)}`, lastBlock: 1000n });
});

/** `count` deposited coins at slots 3, 7922, … each with one pending transfer (a synthetic digest). */
async function addCoinsWithPending(store: Store, count: number): Promise<bigint[]> {
  const slots = Array.from({ length: count }, (_, i) => 3n + 7919n * BigInt(i));
  const db = slots.map(slotToDb);
  await store.sql`
    insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block)
    select s, 'eth', ${Buffer.alloc(20)}, 1, ${Buffer.alloc(20, 1)}, 1, ${Buffer.alloc(20, 1)}, 1 from unnest(${db}::int8[]) as s`;
  await store.sql`
    insert into pending_transactions (slot, prev_block, denomination, new_owner, signature, digest)
    select s, 1, 1, ${Buffer.alloc(20, 2)}, ${Buffer.alloc(65, 3)}, decode(md5(s::text) || md5(s::text || 'x'), 'hex')
    from unnest(${db}::int8[]) as s`;
  return slots;
}

t.test('a claimed block moves its coins at once; stopped before its tree, it is left built and finished with the same root', async (t) => {
  const store = await createTestStore(t, 'claim');
  const slots = await addCoinsWithPending(store, PARALLEL_THRESHOLD + 904); // big enough for the worker threads

  const claimed = await claimNextBlock(store, { maxTransactions: 10_000 });
  t.match(claimed, { number: 1000n, txCount: slots.length });
  t.match(await blockByNumber(store.sql, 1000n), { status: 'built', root: null, txCount: slots.length }, 'membership stored, no root yet');
  t.match(await coinBySlot(store.sql, slots[0]!), { owner: `0x${'02'.repeat(20)}`, lastBlock: 1000n }, 'the coins moved: their next spend names block 1000');
  const [left] = await store.sql<{ pending: number; members: number; proofs: number }[]>`
    select (select count(*)::int from pending_transactions) as pending, (select count(*)::int from transactions where block = 1000) as members,
           (select count(*)::int from proofs) as proofs`;
  t.same(left, { pending: 0, members: slots.length, proofs: 0 }, 'the pending rows became the block\'s transactions');

  // The process stops here (claimed.persist() never runs). The next start finishes the block from its stored leaves.
  const leaves = (await store.sql<{ slot: string; digest: Buffer }[]>`select slot, digest from transactions where block = 1000`).map((row) => ({ slot: BigInt(row.slot) + (1n << 63n), leaf: row.digest }));
  const expected = SparseMerkleTree.build(leaves);
  t.same(await finishBuiltBlocks(store), [{ number: 1000n, root: expected.root, txCount: slots.length }], 'the same root as a tree of the stored leaves');
  t.match(await blockByNumber(store.sql, 1000n), { status: 'persisted', root: expected.root });
  const proofs = await store.sql<{ slot: string; proof: Buffer; digest: Buffer }[]>`
    select p.slot, p.proof, t.digest from proofs p join transactions t using (block, slot) where block = 1000 order by slot`;
  t.equal(proofs.length, slots.length, 'one proof per transaction');
  t.ok(proofs.every((row) => verifyProof(expected.root, BigInt(row.slot) + (1n << 63n), row.digest, row.proof)), 'every stored proof verifies');

  await t.rejects(claimed!.persist(), { code: 'not_built' }, 'the first builder, had it lived on, could not write the block again');
  t.same(await finishBuiltBlocks(store), [], 'nothing left built');
  t.equal(await claimNextBlock(store, { maxTransactions: 10 }), undefined, 'nothing pending');
});

t.test('persistBlock refuses a wrong number of proofs and a block that is not built, writing nothing', async (t) => {
  const store = await createTestStore(t, 'persist_guard');
  const slots = await addCoinsWithPending(store, 3);
  const claimed = await claimNextBlock(store, { maxTransactions: 10 });
  await t.rejects(store.persistBlock(1000n, EMPTY_ROOT, slots.slice(0, 2), [new Uint8Array(8), new Uint8Array(8)]), /3 transactions, 2 proofs/);
  await t.rejects(store.persistBlock(2000n, EMPTY_ROOT, [], []), { code: 'not_built' }, 'an unknown block');
  t.match(await blockByNumber(store.sql, 1000n), { status: 'built', root: null }, 'still built');
  const [count] = await store.sql<{ n: number }[]>`select count(*)::int as n from proofs`;
  t.equal(count!.n, 0, 'no proof written');
  // a row the binary COPY of the proofs clashes with (only the server sees it): the whole persist rolls back
  await store.sql`insert into proofs (block, slot, proof) values (1000, ${slotToDb(slots[2]!)}::int8, ${Buffer.alloc(8)})`;
  await t.rejects(claimed!.persist(), { code: '23505' }, 'the clash is reported');
  t.match(await blockByNumber(store.sql, 1000n), { status: 'built', root: null }, 'still built after the failed COPY');
  await store.sql`delete from proofs`;
  t.match(await claimed!.persist(), { number: 1000n, txCount: 3 });
  const [written] = await store.sql<{ n: number }[]>`select count(*)::int as n from proofs where block = 1000`;
  t.equal(written!.n, 3);
});

async function deposit(chain: TestChain, user: number): Promise<{ slot: bigint; block: bigint }> {
  const receipt = await (await chain.contract(chain.users[user]!).getFunction('deposit')({ value: parseEther('1') })).wait();
  const log = receipt!.logs.map((l: { topics: string[]; data: string }) => chain.contract().interface.parseLog(l)).find((p: LogDescription | null) => p?.name === 'Deposit');
  return { slot: log!.args.getValue('slot') as bigint, block: log!.args.getValue('blockNumber') as bigint };
}

t.test('end to end: deposit on L1 → coin → transfer → block committed → history verifies against L1 roots', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'build_e2e');
  const follower = new L1Follower({ rpc: chain.rpc, store, contract: chain.address, confirmations: 1 });
  const committer = new BlockCommitter({ rpc: chain.rpc, store, contract: chain.address, operatorKey: chain.operatorKey, confirmations: 1, pollIntervalMs: 20, log: () => {} });
  const [alice, bob, carol] = chain.users as [typeof chain.users[0], typeof chain.users[0], typeof chain.users[0]];
  const coin = await deposit(chain, 0);
  const other = await deposit(chain, 1);
  await chain.mine(1);
  await follower.catchUp();
  t.ok(await coinBySlot(store.sql, coin.slot), 'the follower made the coin');

  // alice → bob in block 1000 (with another coin's transfer beside it), bob → carol in 2000, an empty 3000.
  const first: Transaction = { slot: coin.slot, prevBlock: coin.block, denomination: parseEther('1'), newOwner: bob.address.toLowerCase() as Address };
  await addPending(store, first, chain.domain, alice.privateKey as `0x${string}`);
  await addPending(store, { slot: other.slot, prevBlock: other.block, denomination: parseEther('1'), newOwner: carol.address.toLowerCase() as Address }, chain.domain, bob.privateKey as `0x${string}`);
  t.match(await buildBlock(store, { maxTransactions: 100 }), { number: 1000n, txCount: 2 });
  const commit = async (): Promise<void> => {
    const mining: Promise<void>[] = [];
    const miner = setInterval(() => mining.push(chain.mine(1)), 50); // confirmations: 1
    try {
      await committer.resume();
    } finally {
      clearInterval(miner);
      await Promise.allSettled(mining); // none may reach anvil after the test has stopped it
    }
  };
  await commit();
  const second: Transaction = { slot: coin.slot, prevBlock: 1000n, denomination: parseEther('1'), newOwner: carol.address.toLowerCase() as Address };
  await addPending(store, second, chain.domain, bob.privateKey as `0x${string}`);
  t.match(await buildBlock(store, { maxTransactions: 100 }), { number: 2000n, txCount: 1 });
  await commit();
  await buildBlock(store, { maxTransactions: 100, allowEmpty: true });
  await commit();
  t.equal(await nextChildBlock(chain.rpc, chain.address), 4000n);
  await chain.mine(1);
  await follower.catchUp(); // BlockSubmitted events match the stored roots: no mismatch

  const roots = new Map<bigint, Hash>();
  for (const n of [1000n, 2000n, 3000n]) roots.set(n, await childBlockRoot(chain.rpc, chain.address, n));
  const page = await store.coinHistory(coin.slot, 1000n, 3000n);
  t.same(page.entries.map((e) => [e.block, e.kind]), [[1000n, 'inclusion'], [2000n, 'inclusion'], [3000n, 'exclusion']]);
  const state = verifyCoinHistory({
    deposit: { slot: coin.slot, block: coin.block, owner: alice.address.toLowerCase() as Address, denomination: parseEther('1') },
    entries: page.entries,
    roots: (block) => roots.get(block),
    committedChildBlocks: { to: 3000n },
    domain: chain.domain,
    expectedOwner: carol.address.toLowerCase() as Address,
  });
  t.equal(state.lastBlock, 2000n);
  t.match(await coinBySlot(store.sql, coin.slot), { owner: carol.address.toLowerCase(), lastBlock: 2000n });
});
