import t from 'tap';
import { parseEther, type LogDescription } from 'ethers';
import { SparseMerkleTree, signTransaction, transactionDigest, type Address, type Transaction } from '../../../client/protocol/index.ts';
import { L1Follower } from '../../../operator/chain/follower.ts';
import { readCursor, type BlockMismatch } from '../../../operator/db/chain-state.ts';
import { coinBySlot } from '../../../operator/db/transfers.ts';
import { createTestStore } from '../db/helpers.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS, startTestChain, type TestChain } from '../../support/anvil.ts';

async function deposit(chain: TestChain, user = 0, value = parseEther('1')): Promise<{ slot: bigint; block: bigint }> {
  const wallet = chain.users[user]!;
  const receipt = await (await chain.contract(wallet).getFunction('deposit')({ value })).wait();
  const log = receipt!.logs.map((l: { topics: string[]; data: string }) => chain.contract().interface.parseLog(l)).find((p: LogDescription | null) => p?.name === 'Deposit');
  return { slot: log!.args.getValue('slot') as bigint, block: log!.args.getValue('blockNumber') as bigint };
}

t.test('a deposit becomes a coin only at the confirmation depth', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'follow_conf');
  const follower = new L1Follower({ rpc: chain.rpc, store, contract: chain.address, confirmations: 3 });
  const { slot, block } = await deposit(chain);
  await follower.catchUp();
  t.equal(await coinBySlot(store.sql, slot), undefined, 'not a coin at 0 confirmations');
  await chain.mine(2);
  await follower.catchUp();
  t.equal(await coinBySlot(store.sql, slot), undefined, 'not a coin at 2 confirmations');
  await chain.mine(1);
  await follower.catchUp();
  const coin = await coinBySlot(store.sql, slot);
  t.match(coin, { owner: chain.users[0]!.address.toLowerCase(), depositBlock: block, lastBlock: block, denomination: parseEther('1'), state: 'deposited' });
  t.equal(block, 1n, 'the first deposit is deposit block 1');
  const [row] = await store.sql`select confirmed, l1_block from deposits`;
  t.equal(row!['confirmed'], true);
});

t.test('a deposit reorged away before its confirmation depth never appears', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'follow_reorg');
  const follower = new L1Follower({ rpc: chain.rpc, store, contract: chain.address, confirmations: 2 });
  await follower.catchUp();
  const cursorBefore = await readCursor(store.sql);
  const snapshot = await chain.snapshot();
  const reorged = await deposit(chain, 0, parseEther('1'));
  await chain.mine(1);
  await follower.catchUp(); // sees the head, but the deposit has only 1 confirmation
  t.equal(await coinBySlot(store.sql, reorged.slot), undefined);
  await chain.revert(snapshot);
  // The other branch: a different depositor, then enough blocks to confirm everything.
  const kept = await deposit(chain, 1, parseEther('2'));
  await chain.mine(5);
  await follower.catchUp();
  t.not(reorged.slot, kept.slot);
  t.equal(await coinBySlot(store.sql, reorged.slot), undefined, 'the reorged deposit is not a coin');
  t.match(await coinBySlot(store.sql, kept.slot), { owner: chain.users[1]!.address.toLowerCase(), denomination: parseEther('2') });
  const [count] = await store.sql`select count(*)::int as n from deposits`;
  t.equal(count!['n'], 1);
  t.ok((await readCursor(store.sql))! > (cursorBefore ?? -1n), 'the cursor moved past the reorged height');
});

t.test('exits move the coin state; a foreign block on L1 is reported', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'follow_exit');
  const mismatches: BlockMismatch[] = [];
  const follower = new L1Follower({
    rpc: chain.rpc, store, contract: chain.address, confirmations: 0, log: () => {},
    onMismatch: (found) => mismatches.push(...found),
  });
  const a = await deposit(chain, 0);
  const b = await deposit(chain, 1);
  const userA = chain.users[0]!;
  await (await chain.contract(userA).getFunction('startDepositExit')(a.slot, { value: EXIT_BOND })).wait();
  await (await chain.contract(chain.users[1]!).getFunction('startDepositExit')(b.slot, { value: EXIT_BOND })).wait();
  await follower.catchUp();
  t.equal((await coinBySlot(store.sql, a.slot))!.state, 'exiting');
  t.equal((await coinBySlot(store.sql, b.slot))!.state, 'exiting');
  const [exitRow] = await store.sql`select state, nonce from exits order by slot limit 1`;
  t.equal(exitRow!['state'], 'started');

  // Cancel A's exit with challengeAfter: a spend by A committed in a child block after its deposit block.
  const spend: Transaction = { slot: a.slot, prevBlock: a.block, denomination: parseEther('1'), newOwner: chain.users[2]!.address as Address };
  const tree = SparseMerkleTree.build([{ slot: a.slot, leaf: transactionDigest(spend, chain.domain) }]);
  await (await chain.contract().getFunction('submitBlock')(tree.root, 1000n)).wait();
  const signature = await signTransaction(spend, chain.domain, userA.privateKey as `0x${string}`);
  await (await chain.contract(chain.users[2]!).getFunction('challengeAfter')(
    [spend.slot, spend.prevBlock, spend.denomination, spend.newOwner], signature, tree.proof(a.slot), 1000n)).wait();
  // B's exit matures and is finalized.
  await chain.increaseTime(EXIT_PERIOD_SECONDS + 1n);
  await (await chain.contract().getFunction('finalizeExit')(b.slot)).wait();
  await follower.catchUp();
  t.equal((await coinBySlot(store.sql, a.slot))!.state, 'deposited', 'cancelled exit: coin back to deposited');
  t.equal((await coinBySlot(store.sql, b.slot))!.state, 'exited');
  const states = await store.sql`select state from exits order by slot`;
  t.same(states.map((r) => r['state']).sort(), ['cancelled', 'finalized']);
  t.match(mismatches, [{ block: 1000n, l1Root: tree.root }], 'a block the database lacks is reported');
  t.equal(mismatches.length, 1);
});

t.test('a mismatch stops the follower loudly by default', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'follow_mismatch');
  await store.insertBlock({ number: 1000n, root: `0x${'11'.repeat(32)}`, transactions: [] });
  await (await chain.contract().getFunction('submitBlock')(`0x${'22'.repeat(32)}`, 1000n)).wait();
  const follower = new L1Follower({ rpc: chain.rpc, store, contract: chain.address, confirmations: 0, log: () => {} });
  await t.rejects(follower.catchUp(), { name: 'L1MismatchError', code: 'l1_mismatch' });
  const [row] = await store.sql`select status from blocks where number = 1000`;
  t.equal(row!['status'], 'persisted', 'the stored block is not marked confirmed');
});

t.test('a restarted follower resumes from the cursor without reprocessing or missing events', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'follow_restart');
  const options = { rpc: chain.rpc, store, contract: chain.address, confirmations: 1, maxRange: 2 };
  const first = new L1Follower(options);
  const d1 = await deposit(chain, 0);
  const d2 = await deposit(chain, 1);
  await chain.mine(1);
  await first.catchUp();
  const cursor = await readCursor(store.sql);
  const d3 = await deposit(chain, 2);
  await (await chain.contract(chain.users[0]!).getFunction('startDepositExit')(d1.slot, { value: EXIT_BOND })).wait();
  await chain.mine(1);
  // "restart": a new follower on the same database
  const second = new L1Follower(options);
  const result = await second.catchUp();
  t.equal(result.from, cursor! + 1n, 'starts right after the stored cursor');
  t.equal(result.events, 2, 'applies only the new events');
  t.equal((await coinBySlot(store.sql, d1.slot))!.state, 'exiting');
  t.ok(await coinBySlot(store.sql, d2.slot));
  t.ok(await coinBySlot(store.sql, d3.slot));
  const [count] = await store.sql`select count(*)::int as n from deposits`;
  t.equal(count!['n'], 3);
  t.same(await second.catchUp(), { events: 0 }, 'nothing left to apply');
});
