// Review: a reorg that re-mines the wallet's own deposit with another record (same slot: same depositor and
// nonce) in an L1 block at or below the watcher's cursor. The watcher applies events at the head (confirmations
// 0) and never rewinds its cursor, so it never sees the new Deposit event; #checkDeposit only marks/unmarks and
// never rebuilds the coin from L1's record. The coin stays deposit_gone for good although L1 holds alice's
// deposit in the slot: she can neither send nor exit it.
import t from 'tap';
import { parseEther } from 'ethers';
import { startSystem } from '../../support/system.ts';

t.test('a re-mined deposit with another record behind the cursor replaces the stale coin', async (t) => {
  const system = await startSystem(t, 'review_late');
  const alice = await system.wallet(0);
  const watcher = system.watcher(alice);
  const status = async (slot: bigint) => (await alice.coins()).find((coin) => coin.slot === slot);

  const beforeDeposit = await system.chain.snapshot();
  const slot = await alice.depositEth(parseEther('1'));
  await system.chain.mine(5); // the old chain goes on a few blocks
  await watcher.tick();
  t.match(await status(slot), { status: 'owned' });

  // The reorg: the new chain is shorter than the cursor, and alice's deposit is mined in it with another amount
  // (a replacement transaction of the same nonce), not through this wallet object (another process, or the
  // network replaying it).
  await system.chain.revert(beforeDeposit);
  const direct = system.chain.contract(system.chain.users[0] as never);
  await (await direct.getFunction('deposit')({ value: parseEther('2') })).wait();
  const record = await alice.l1.coin(slot);
  t.equal(record.denomination, parseEther('2'), 'L1 holds alice\'s deposit of 2 ETH in the same slot');
  t.equal(record.depositor, alice.address.toLowerCase());

  for (let i = 0; i < 3; i++) await watcher.tick();
  t.match(await status(slot), { status: 'owned', denomination: parseEther('2') }, 'the wallet holds the coin L1 records for it');
});
