// The follower's rewind on reorgs deeper than its confirmation depth, on real anvil (anvil_reorg) and Postgres, with
// no operator around it: an exit's end reorged out makes it live again; the same deposit mined again on the new
// chain keeps its coin; a reorg below every hash kept stops the follower. The operator's view of these (refusals,
// /v1/status) is test/operator/service/deep-reorg.test.ts.
import t from 'tap';
import { parseEther, type LogDescription } from 'ethers';
import { L1Follower, L1ReorgTooDeepError, type UndoneReorg } from '../../../operator/chain/follower.ts';
import { coinBySlot } from '../../../operator/db/transfers.ts';
import { createTestStore } from '../db/helpers.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS, startTestChain, type TestChain } from '../../support/anvil.ts';

const CONFIRMATIONS = 1;

async function deposit(chain: TestChain): Promise<{ slot: bigint; block: bigint; hash: string }> {
  const receipt = await (await chain.contract(chain.users[0]!).getFunction('deposit')({ value: parseEther('1') })).wait();
  const log = receipt!.logs.map((l: { topics: string[]; data: string }) => chain.contract().interface.parseLog(l)).find((p: LogDescription | null) => p?.name === 'Deposit');
  return { slot: log!.args.getValue('slot') as bigint, block: log!.args.getValue('blockNumber') as bigint, hash: receipt!.hash };
}

t.test("an exit's end reorged out: the exit is live again and the coin exiting", async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'reorg_exit_end');
  const reorgs: UndoneReorg[] = [];
  const follower = new L1Follower({ rpc: chain.rpc, store, contract: chain.address, confirmations: CONFIRMATIONS, onReorg: (r) => reorgs.push(r) });
  const coin = await deposit(chain);
  await (await chain.contract(chain.users[0]!).getFunction('startDepositExit')(coin.slot, { value: EXIT_BOND })).wait();
  await chain.mine(1);
  await follower.catchUp();
  t.equal((await coinBySlot(store.sql, coin.slot))!.state, 'exiting');
  await chain.increaseTime(EXIT_PERIOD_SECONDS + 1n);
  await (await chain.contract().getFunction('finalizeExit')(coin.slot)).wait();
  await chain.mine(2);
  await follower.catchUp();
  t.equal((await coinBySlot(store.sql, coin.slot))!.state, 'exited');

  await chain.rpc.request('anvil_reorg', [CONFIRMATIONS + 2, []]); // the finalizeExit block, not the exit's start
  await chain.mine(1);
  await follower.catchUp();
  t.equal(reorgs.length, 1, 'one reorg undone');
  t.same(reorgs[0]!.coins, [{ slot: coin.slot, before: 'exited', after: 'exiting' }]);
  t.same(reorgs[0]!.rewound.exitEvents.map((e) => e.state), ['finalized'], 'the undone event: the finalization');
  const [exit] = await store.sql<{ state: string }[]>`select state from exits`;
  t.equal(exit!.state, 'started', 'the exit is live again');
});

t.test('the same deposit mined again on the new chain: the coin stays, nothing invalidated', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'reorg_same_deposit');
  const reorgs: UndoneReorg[] = [];
  const follower = new L1Follower({ rpc: chain.rpc, store, contract: chain.address, confirmations: CONFIRMATIONS, onReorg: (r) => reorgs.push(r) });
  const coin = await deposit(chain);
  const raw = await chain.rpc.request<string>('eth_getRawTransactionByHash', [coin.hash]);
  await chain.mine(2);
  await follower.catchUp();
  t.equal((await coinBySlot(store.sql, coin.slot))!.state, 'deposited');

  // The three newest blocks replaced; the deposit transaction goes into the new chain's first one.
  await chain.rpc.request('anvil_reorg', [3, [[raw, 0]]]);
  await chain.mine(1);
  await follower.catchUp();
  t.equal(reorgs.length, 1, 'the reorg was noticed');
  t.same(reorgs[0]!.rewound.deposits.map((d) => d.slot), [coin.slot], 'the old chain\'s deposit was undone');
  t.same(reorgs[0]!.coins, [], 'and re-applied: no coin changed');
  t.match(await coinBySlot(store.sql, coin.slot), { state: 'deposited', depositBlock: coin.block });
});

t.test('a reorg below every block hash kept stops the follower with l1_reorg_too_deep', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'reorg_too_deep');
  // A window of 2 L1 blocks: every hash older than that is forgotten.
  const follower = new L1Follower({ rpc: chain.rpc, store, contract: chain.address, confirmations: 0, reorgWindow: 2, log: () => {} });
  await chain.mine(10);
  await follower.catchUp();
  await chain.mine(1);
  await follower.catchUp();
  await chain.rpc.request('anvil_reorg', [6, []]);
  await t.rejects(follower.catchUp(), L1ReorgTooDeepError);
  await t.rejects(follower.catchUp(), { code: 'l1_reorg_too_deep', message: /restore the database/ });
});
