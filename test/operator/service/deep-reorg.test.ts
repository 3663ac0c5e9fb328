// L1 reorgs deeper than --confirmations (2 here), made with anvil_reorg (it replaces the last `depth` blocks with
// empty ones at the same height), against the running operator on real anvil, contract and Postgres:
// - a deposit the follower applied, reorged out: the operator refuses its transfers (coin_reorged_out) and
//   /v1/status and /metrics report the reorg (depth, fork point, the coin it invalidated);
// - an exit the follower applied, reorged out: the coin takes transfers again;
// - the operator's own submitBlock, reorged out after it was confirmed: sent again with the same root;
// - a reorg no deeper than the confirmation depth changes nothing observable.
import t, { type Test } from 'tap';
import { parseEther, type LogDescription, type Wallet } from 'ethers';
import { signDigest, signedTransactionToJson, transactionDigestBytes, type Address, type Transaction } from '../../../client/protocol/index.ts';
import { childBlockRoot, nextChildBlock, plasmaCashInterface } from '../../../client/l1/contract.ts';
import { createLog } from '../../../operator/log.ts';
import { startOperator, type RunningOperator } from '../../../operator/service.ts';
import { createTestDatabase } from '../db/helpers.ts';
import { EXIT_BOND, startTestChain, testOperatorConfig, type TestChain } from '../../support/anvil.ts';
import { until } from '../../support/system.ts';
import { deposit } from '../../faults/support.ts';

const CONFIRMATIONS = 2;

interface Setup {
  readonly chain: TestChain;
  readonly operator: RunningOperator;
  readonly lines: string[];
  readonly alice: Wallet;
  readonly bob: Wallet;
}

async function setup(t: Test, label: string): Promise<Setup> {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, label);
  const lines: string[] = [];
  const operator = await startOperator(testOperatorConfig(chain, databaseUrl, { confirmations: CONFIRMATIONS }), {
    log: createLog({ level: 'info', write: (line) => void lines.push(line) }),
  });
  t.teardown(() => operator.stop());
  return { chain, operator, lines, alice: chain.users[0]!, bob: chain.users[1]! };
}

/** Replaces the last `depth` L1 blocks with empty ones (the chain keeps its height). */
const reorg = (chain: TestChain, depth: number) => chain.rpc.request('anvil_reorg', [depth, []]);

async function send(s: Setup, tx: Transaction, key: string): Promise<{ status: string; error?: { code: string; message: string } }> {
  const body = JSON.stringify(signedTransactionToJson(tx, signDigest(transactionDigestBytes(tx, s.chain.domain), key as `0x${string}`)));
  const response = await fetch(`${s.operator.url}/v1/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return ((await response.json()) as { results: { status: string; error?: { code: string; message: string } }[] }).results[0]!;
}

const spendTo = (coin: { slot: bigint; block: bigint }, to: Wallet): Transaction => ({
  slot: coin.slot, prevBlock: coin.block, denomination: parseEther('1'), newOwner: to.address.toLowerCase() as Address,
});

interface StatusReorgs {
  count: number;
  last: null | { depth: string; forkBlock: string; oldCursor: string; invalidated: { coins: { slot: string; before: string; after: string }[]; deposits: { slot: string }[]; exitEvents: { slot: string; state: string }[] } };
}

async function status(s: Setup): Promise<{ healthy: boolean; reorgs: StatusReorgs; l1: { healthy: boolean } }> {
  return (await fetch(`${s.operator.url}/v1/status`)).json() as never;
}

const cursor = async (s: Setup) => BigInt((await s.operator.store.sql<{ block: string }[]>`select block from l1_cursor`)[0]?.block ?? '-1');

/** Mines `blocks` and waits until the follower applied L1 up to the new safe head. */
async function settle(s: Setup, blocks: number): Promise<void> {
  if (blocks > 0) await s.chain.mine(blocks);
  const safe = BigInt(await s.chain.provider.getBlockNumber()) - BigInt(CONFIRMATIONS);
  await until('the follower at the safe head', async () => (await cursor(s)) >= safe);
}

t.test('a deposit applied, then reorged out deeper than the confirmation depth: no longer a coin, reported', async (t) => {
  const s = await setup(t, 'deep_reorg_deposit');
  const coin = await deposit(s.chain, s.alice);
  const depositL1Block = BigInt(await s.chain.provider.getBlockNumber());
  await settle(s, CONFIRMATIONS);
  t.equal((await fetch(`${s.operator.url}/v1/coins/${coin.slot}`)).status, 200, 'a coin at the confirmation depth');
  const head = BigInt(await s.chain.provider.getBlockNumber());

  await reorg(s.chain, CONFIRMATIONS + 1); // reaches the deposit's block, which the follower applied
  t.equal(BigInt(await s.chain.provider.getBlockNumber()), head, 'the chain kept its height');
  await until('the reorg reported', async () => (await status(s)).reorgs.count === 1);

  const refused = await send(s, spendTo(coin, s.bob), s.alice.privateKey);
  t.equal(refused.status, 'rejected');
  t.equal(refused.error?.code, 'coin_reorged_out', 'its transfers are refused with their own code');
  t.match(refused.error?.message, /removed from L1 by a reorg/);

  const { healthy, reorgs } = await status(s);
  t.equal(healthy, true, 'a reorg undone is not a failure');
  t.equal(reorgs.last!.forkBlock, String(depositL1Block - 1n), 'the fork point: the block before the deposit');
  t.equal(reorgs.last!.oldCursor, String(head - BigInt(CONFIRMATIONS)));
  t.equal(reorgs.last!.depth, String(head - BigInt(CONFIRMATIONS) - (depositL1Block - 1n)));
  t.same(reorgs.last!.invalidated.coins, [{ slot: coin.slot.toString(), before: 'deposited', after: 'reorged_out' }]);
  t.same(reorgs.last!.invalidated.deposits.map((d) => d.slot), [coin.slot.toString()]);
  const metrics = await (await fetch(`${s.operator.url}/metrics`)).text();
  t.match(metrics, /plasma_l1_reorgs_total 1\b/, '/metrics counts it');
  const [row] = await s.operator.store.sql<{ n: number }[]>`select count(*)::int as n from deposits`;
  t.equal(row!.n, 0, 'its deposit row is gone');
  t.ok(s.lines.some((line) => line.includes('L1 reorg deeper than the confirmation depth')), 'logged');
});

t.test('an exit applied, then reorged out: the coin takes transfers again', async (t) => {
  const s = await setup(t, 'deep_reorg_exit');
  const coin = await deposit(s.chain, s.alice);
  await settle(s, CONFIRMATIONS);
  await (await s.chain.contract(s.alice).getFunction('startDepositExit')(coin.slot, { value: EXIT_BOND })).wait();
  await settle(s, CONFIRMATIONS);
  t.equal((await send(s, spendTo(coin, s.bob), s.alice.privateKey)).error?.code, 'coin_exiting', 'exiting: refused');

  await reorg(s.chain, CONFIRMATIONS + 1); // the exit's block; the deposit, a block earlier, stays
  await until('the reorg reported', async () => (await status(s)).reorgs.count === 1);
  const { reorgs } = await status(s);
  t.same(reorgs.last!.invalidated.coins, [{ slot: coin.slot.toString(), before: 'exiting', after: 'deposited' }]);
  t.same(reorgs.last!.invalidated.exitEvents.map((e) => [e.slot, e.state]), [[coin.slot.toString(), 'started']]);
  t.same(reorgs.last!.invalidated.deposits, [], 'the deposit was not reorged');
  t.equal((await send(s, spendTo(coin, s.bob), s.alice.privateKey)).status, 'accepted', 'the coin takes a transfer again');
});

t.test("the operator's own submitBlock, confirmed then reorged out: sent again with the same root", async (t) => {
  const s = await setup(t, 'deep_reorg_commit');
  const coin = await deposit(s.chain, s.alice);
  await settle(s, CONFIRMATIONS);
  t.equal((await send(s, spendTo(coin, s.bob), s.alice.privateKey)).status, 'accepted');
  await until('block 1000 on L1', async () => (await nextChildBlock(s.chain.rpc, s.chain.address)) === 2000n);
  const root = (await childBlockRoot(s.chain.rpc, s.chain.address, 1000n)).toLowerCase();
  await until('block 1000 confirmed', async () => {
    await s.chain.mine(1);
    const [row] = await s.operator.store.sql<{ status: string }[]>`select status from blocks where number = 1000`;
    return row?.status === 'confirmed';
  });
  await settle(s, 0);

  await reorg(s.chain, CONFIRMATIONS + 3); // takes the submitBlock (and the follower's cursor) out
  t.equal(await nextChildBlock(s.chain.rpc, s.chain.address), 1000n, 'the reorg dropped block 1000 from L1');
  await until('block 1000 back on L1', async () => {
    await s.chain.mine(1);
    return (await nextChildBlock(s.chain.rpc, s.chain.address)) === 2000n;
  });
  t.equal((await childBlockRoot(s.chain.rpc, s.chain.address, 1000n)).toLowerCase(), root, 'the same root');
  await until('block 1000 confirmed again', async () => {
    await s.chain.mine(1);
    const [row] = await s.operator.store.sql<{ status: string; root: Buffer }[]>`select status, root from blocks where number = 1000`;
    return row?.status === 'confirmed' && `0x${row.root.toString('hex')}` === root;
  });
  await settle(s, 1);
  const topic = plasmaCashInterface().getEvent('BlockSubmitted')!.topicHash;
  const logs = await s.chain.rpc.request<{ topics: string[] }[]>('eth_getLogs', [{ address: s.chain.address, fromBlock: '0x0', toBlock: 'latest', topics: [topic] }]);
  t.same(logs.map((log) => BigInt(log.topics[1]!)), [1000n], 'block 1000 once on the canonical chain');
  const after = await status(s);
  t.equal(after.healthy, true, 'no mismatch: the re-applied BlockSubmitted names the stored root');
  t.ok(after.reorgs.count >= 1, 'the follower undid the reorg of its cursor');
  t.same(after.reorgs.last!.invalidated.coins, [], 'no coin changed');
  t.equal((await fetch(`${s.operator.url}/v1/coins/${coin.slot}`)).status, 200);
});

t.test('a reorg no deeper than the confirmation depth changes nothing observable', async (t) => {
  const s = await setup(t, 'shallow_reorg');
  const kept = await deposit(s.chain, s.alice);
  await settle(s, CONFIRMATIONS);
  const gone = await deposit(s.chain, s.bob); // at the head: not applied yet
  await s.chain.mine(CONFIRMATIONS - 1);
  await settle(s, 0);
  const before = await cursor(s);
  await reorg(s.chain, CONFIRMATIONS); // removes `gone`'s block, leaves the follower's cursor block
  await settle(s, CONFIRMATIONS + 2);
  t.ok((await cursor(s)) > before, 'the follower went on');
  const { reorgs, healthy } = await status(s);
  t.equal(healthy, true);
  t.same(reorgs, { count: 0, last: null }, 'no reorg to report');
  t.equal((await fetch(`${s.operator.url}/v1/coins/${gone.slot}`)).status, 404, 'the reorged deposit never became a coin');
  t.equal((await send(s, spendTo(kept, s.bob), s.alice.privateKey)).status, 'accepted', 'the applied coin is untouched');
  t.match(await (await fetch(`${s.operator.url}/metrics`)).text(), /plasma_l1_reorgs_total 0\b/);
});

t.test('a deposit reorged out and mined again on the new chain: its coin comes back with its transfers', async (t) => {
  const s = await setup(t, 'deep_reorg_redeposit');
  const receipt = await (await s.chain.contract(s.alice).getFunction('deposit')({ value: parseEther('1') })).wait();
  const raw = await s.chain.rpc.request<string>('eth_getRawTransactionByHash', [receipt!.hash]);
  const parsed = receipt!.logs
    .map((l: { topics: string[]; data: string }) => s.chain.contract().interface.parseLog(l))
    .find((p: LogDescription | null) => p?.name === 'Deposit')!;
  const coin = { slot: parsed.args.getValue('slot') as bigint, block: parsed.args.getValue('blockNumber') as bigint };
  await settle(s, CONFIRMATIONS);
  t.equal((await send(s, spendTo(coin, s.bob), s.alice.privateKey)).status, 'accepted');
  await until('block 1000 on L1', async () => (await nextChildBlock(s.chain.rpc, s.chain.address)) === 2000n);
  await settle(s, CONFIRMATIONS);
  const depth = BigInt(await s.chain.provider.getBlockNumber()) - BigInt(receipt!.blockNumber) + 1n;

  // Every block from the deposit's on is replaced; the deposit transaction (same nonce, so the same slot and
  // deposit block) goes into the new chain's first block, and the operator's submitBlock is gone.
  await s.chain.rpc.request('anvil_reorg', [Number(depth), [[raw, 0]]]);
  await until('the reorg reported', async () => (await status(s)).reorgs.count >= 1);
  const { reorgs } = await status(s);
  t.same(reorgs.last!.invalidated.deposits.map((d) => d.slot), [coin.slot.toString()], 'the old chain\'s deposit was undone');
  t.same(reorgs.last!.invalidated.coins, [], 'and came back: no coin changed');
  const served = (await (await fetch(`${s.operator.url}/v1/coins/${coin.slot}`)).json()) as { owner: string; state: string; lastBlock: string };
  t.match(served, { owner: s.bob.address.toLowerCase(), state: 'deposited', lastBlock: '1000' }, "bob's, as block 1000 made it");
  await until('block 1000 back on L1', async () => {
    await s.chain.mine(1);
    return (await nextChildBlock(s.chain.rpc, s.chain.address)) === 2000n;
  });
  t.equal((await send(s, { ...spendTo(coin, s.alice), prevBlock: 1000n }, s.bob.privateKey)).status, 'accepted', 'bob can spend it');
});
