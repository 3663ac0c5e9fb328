// The wallet end to end against anvil, the real operator and Postgres: deposit → transfers between three
// holders, each receiver verifying the whole history → exit → finalize → withdraw, for ETH, ERC-20 and ERC-721.
import t, { type Test } from 'tap';
import { Contract, NonceManager, parseEther, parseUnits, type Wallet } from 'ethers';
import type { Address } from '../../../client/protocol/index.ts';
import { WalletError, type PlasmaWallet } from '../../../client/wallet/wallet.ts';
import { deployDemoTokens } from '../../../client/l1/deploy.ts';
import { EXIT_PERIOD_SECONDS, EXIT_BOND } from '../../support/anvil.ts';
import { startSystem, type TestSystem } from '../../support/system.ts';

const TOKEN_ABI = [
  'function mint(address to, uint256 amountOrId)',
  'function balanceOf(address) view returns (uint256)',
  'function ownerOf(uint256) view returns (address)',
];

async function passAndSend(t: Test, from: PlasmaWallet, to: PlasmaWallet, slot: bigint): Promise<void> {
  const pkg = await from.send(slot, to.address);
  const received = await to.receive(pkg);
  t.equal(received.role, 'owner', `${to.address} verified and owns coin ${slot}`);
  t.equal((await from.coins()).find((coin) => coin.slot === slot)?.status, 'sent');
}

async function exitAndCashOut(t: Test, system: TestSystem, holder: PlasmaWallet, slot: bigint): Promise<void> {
  const { finalizableAt } = await holder.exit(slot);
  t.ok(finalizableAt > 0n);
  await t.rejects(holder.finalize(slot), { name: 'ContractCallError', message: /ExitNotMatured/ }, 'an exit cannot finalize before its period');
  await system.chain.increaseTime(EXIT_PERIOD_SECONDS + 1n);
  await system.chain.mine(1);
  t.equal(await holder.finalize(slot), 'finalized');
  await holder.withdraw(slot);
  t.equal(await holder.withdrawBonds(), EXIT_BOND, 'the exit bond comes back');
  t.equal((await holder.coins()).find((coin) => coin.slot === slot)?.status, 'withdrawn');
}

t.test('ETH, ERC-20 and ERC-721 coins travel alice → bob → carol and exit to carol', async (t) => {
  const system = await startSystem(t, 'wallet');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const tokens = await deployDemoTokens(new NonceManager(system.chain.operator) as never);
  const erc20 = new Contract(tokens.erc20, TOKEN_ABI, system.chain.users[0] as Wallet);
  const erc721 = new Contract(tokens.erc721, TOKEN_ABI, system.chain.users[0] as Wallet);
  await (await erc20.getFunction('mint')(alice.address, parseUnits('100', 18))).wait();
  await (await erc721.getFunction('mint')(alice.address, 7n)).wait();

  const ethSlot = await alice.depositEth(parseEther('1'));
  const erc20Slot = await alice.depositErc20(tokens.erc20.toLowerCase() as Address, parseUnits('25', 18));
  const nftSlot = await alice.depositErc721(tokens.erc721.toLowerCase() as Address, 7n);
  t.equal(String(await erc721.getFunction('ownerOf')(7n)).toLowerCase(), system.chain.address, 'PlasmaCash holds the NFT');
  for (const slot of [ethSlot, erc20Slot, nftSlot]) await alice.waitForCoin(slot);
  t.same((await alice.coins()).map((coin) => [coin.kind, coin.status]).sort(), [['erc20', 'owned'], ['erc721', 'owned'], ['eth', 'owned']]);

  for (const slot of [ethSlot, erc20Slot, nftSlot]) {
    await passAndSend(t, alice, bob, slot);
    await passAndSend(t, bob, carol, slot);
  }
  const carolCoins = await carol.coins();
  t.equal(carolCoins.length, 3);
  t.ok(carolCoins.every((coin) => coin.status === 'owned' && coin.lastVerifiedBlock >= coin.lastTransactionBlock));

  await t.rejects(alice.send(ethSlot, bob.address), { code: 'not_owner' }, 'a former owner cannot send the coin again');
  await t.rejects(bob.exit(ethSlot), { code: 'not_owner' }, 'nor exit it from the wallet');

  const carolL1 = system.chain.users[2] as Wallet;
  const ethBefore = await system.chain.provider.getBalance(carolL1.address);
  await exitAndCashOut(t, system, carol, ethSlot);
  const ethAfter = await system.chain.provider.getBalance(carolL1.address);
  t.ok(ethAfter - ethBefore > parseEther('0.99') && ethAfter - ethBefore <= parseEther('1'), 'carol received the 1 ETH minus gas');

  await exitAndCashOut(t, system, carol, erc20Slot);
  t.equal(await erc20.getFunction('balanceOf')(carolL1.address), parseUnits('25', 18));
  await exitAndCashOut(t, system, carol, nftSlot);
  t.equal(String(await erc721.getFunction('ownerOf')(7n)).toLowerCase(), carol.address);
});

t.test('receive refuses a history that is not the coin\'s, with the block and the rule', async (t) => {
  const system = await startSystem(t, 'receive');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const slot = await alice.depositEth(parseEther('1'));
  await alice.waitForCoin(slot);
  const pkg = await alice.send(slot, bob.address);

  await t.rejects(carol.receive(pkg), { name: 'HistoryError', code: 'wrong_owner' }, 'a coin sent to bob is not carol\'s');
  const dropped = { ...pkg, entries: pkg.entries.slice(0, -1) };
  await t.rejects(carol.receive(dropped), { name: 'HistoryError', code: 'missing_block' }, 'a history that stops early is refused');
  const forged = { ...pkg, deposit: { ...pkg.deposit, owner: carol.address } };
  await t.rejects(bob.receive(forged), { code: 'wrong_deposit' }, 'the deposit is checked against L1');
  const tampered = { ...pkg, entries: pkg.entries.map((entry) => (entry.kind === 'inclusion' ? { ...entry, transaction: { ...entry.transaction, newOwner: carol.address } } : entry)) };
  await t.rejects(carol.receive(tampered), { code: 'invalid_proof' }, 'a transaction changed after the fact does not match the root');
  t.equal((await carol.coins()).length, 0, 'nothing refused is kept');
  await t.rejects(carol.send(slot, alice.address), WalletError);
  t.equal((await bob.receive(pkg)).role, 'owner');
});
