// A deposit that an L1 reorg takes back: the wallet must not go on treating the coin as its own (sending it or
// exiting it would only fail or lose a bond), and must take it up again when the same deposit comes back.
import t from 'tap';
import { parseEther } from 'ethers';
import { startSystem } from '../../support/system.ts';

t.test('a deposit taken back by a reorg marks the coin deposit_gone until the deposit is on L1 again', async (t) => {
  const system = await startSystem(t, 'deposit_reorg');
  const [alice, bob] = await Promise.all([system.wallet(0), system.wallet(1)]);
  const watcher = system.watcher(alice);
  const status = async (slot: bigint) => (await alice.coins()).find((coin) => coin.slot === slot)?.status;

  const beforeDeposit = await system.chain.snapshot();
  const slot = await alice.depositEth(parseEther('1'));
  await watcher.tick();
  t.equal(await status(slot), 'owned');

  // The reorg: the deposit transaction is gone from L1.
  await system.chain.revert(beforeDeposit);
  const afterReorg = await system.chain.snapshot();
  await watcher.tick();
  t.equal(await status(slot), 'deposit_gone', 'the watcher noticed the slot is empty on L1');
  t.match(watcher.lines.find((line) => line['event'] === 'deposit_gone'), { slot, reason: /no deposit in slot .* any more/ });
  await t.rejects(alice.send(slot, bob.address), { code: 'deposit_gone' }, 'no transfer is signed for it');
  await t.rejects(alice.exit(slot), { code: 'deposit_gone' }, 'no exit (and no bond) for it');

  // The same deposit is mined again (same depositor and nonce: same slot, same record): the coin is back.
  t.equal(await alice.depositEth(parseEther('1')), slot);
  await watcher.tick();
  t.equal(await status(slot), 'owned', 'usable again');
  t.ok(watcher.lines.some((line) => line['event'] === 'deposit_back'));

  // Another reorg, and this time a different deposit takes the slot (alice's own, of another amount): the wallet
  // holds the new coin, not the stale one.
  await system.chain.revert(afterReorg);
  await watcher.tick();
  t.equal(await status(slot), 'deposit_gone');
  t.equal(await alice.depositEth(parseEther('2')), slot);
  await watcher.tick();
  const coin = (await alice.coins()).find((c) => c.slot === slot);
  t.match(coin, { status: 'owned', denomination: parseEther('2') }, 'the coin of the new deposit replaced the one taken back');
});
