// A byzantine operator against holders who run only the watcher (issue #4). The operator is the real one;
// it lies through byzantine-proxy.ts (withholding, wrong proofs, hidden coins, censorship), forces transfers
// nobody validly signed into its blocks (system.forceInclude), or has its key commit a root of no block. Each
// test asserts on L1 who ends up with each coin and each bond.
import t, { type Test } from 'tap';
import { parseEther } from 'ethers';
import type { PlasmaWallet } from '../../client/wallet/wallet.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS, RESPONSE_PERIOD_SECONDS } from '../support/anvil.ts';
import { startByzantineProxy } from '../support/byzantine-proxy.ts';
import { advance, advanceTo, depositAndWait, bondsCredited, forgeTheftAndExit, lower, startSystem, until, userOf } from '../support/system.ts';

const HALF = EXIT_BOND / 2n;
const ONE = parseEther('1');

/** Keeps the operator producing blocks (a stranger's coin moving back and forth) so the watchers see new ones. */
async function traffic(wallet: PlasmaWallet, other: PlasmaWallet, rounds: number): Promise<void> {
  const slot = await wallet.depositEth(parseEther('0.01'));
  await wallet.waitForCoin(slot);
  let [from, to] = [wallet, other];
  for (let i = 0; i < rounds; i++) {
    await from.send(slot, to.address);
    await to.receive(slot);
    [from, to] = [to, from];
  }
}

async function settled(t: Test, wallet: PlasmaWallet, slot: bigint, expectedBonds: bigint, what: string): Promise<void> {
  await until(`${what}: coin withdrawn`, async () => (await wallet.l1.coin(slot)).withdrawn);
  await until(`${what}: bonds withdrawn`, async () => (await wallet.l1.bondBalance(wallet.address)) === 0n && (await bondsCredited(wallet)) === expectedBonds);
  const exits = (await wallet.l1.events(0n, await wallet.l1.rpc.blockNumber())).filter((e) => e.name === 'ExitFinalized' && e.slot === slot);
  t.match(exits, [{ exitor: wallet.address }], `${what}: the coin exited to its owner`);
  t.equal(await bondsCredited(wallet), expectedBonds, `${what}: bonds`);
}

t.test('withholding a block that hides a forged spend: the owner freezes, challenges the theft, and exits', async (t) => {
  const system = await startSystem(t, 'byz_withhold');
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const alice = await system.wallet(0, 'alice', proxy.url);
  const { slot, deposit } = await depositAndWait(alice, ONE);
  const watcher = system.watcher(alice);
  watcher.start();

  const b1 = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  proxy.withholdBlock(b1);
  t.match(await forgeTheftAndExit(system, slot, deposit, ONE), { forgedBlock: b1 }, 'the forged spend is in the withheld block');

  await until('alice\'s challenge', async () => watcher.lines.some((l) => l['action'] === 'challengeBefore' && l['l1Transaction'] !== undefined));
  await until('alice\'s coin frozen for the withheld block', async () => watcher.lines.some((l) => l['action'] === 'freeze' && /proof_withheld at block/.test(String(l['reason']))));
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('the theft cancelled', async () => (await alice.l1.exit(slot, 1n)).status === 'cancelled');
  await until('alice\'s exit', async () => (await alice.l1.exit(slot, 2n)).status === 'live');
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await settled(t, alice, slot, EXIT_BOND + HALF + EXIT_BOND, 'alice');
});

t.test('a wrong proof freezes the coin at once and its owner takes it back to L1', async (t) => {
  const system = await startSystem(t, 'byz_wrongproof');
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const alice = await system.wallet(0, 'alice', proxy.url);
  const slot = await alice.depositEth(ONE);
  await alice.waitForCoin(slot);
  const next = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  proxy.tamperProof(slot, next);
  const watcher = system.watcher(alice, { missingProofGraceMs: 3_600_000 });
  watcher.start();
  await traffic(await system.wallet(1), await system.wallet(2), 2);
  await until('alice\'s exit', async () => (await alice.l1.coin(slot)).state === 'exiting');
  t.match(watcher.lines.find((l) => l['action'] === 'freeze'), { reason: new RegExp(`invalid_proof at block ${next}`) }, 'frozen for the bad proof, not for a timeout');
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await settled(t, alice, slot, EXIT_BOND, 'alice');
});

t.test('the operator key commits a root of no block: every holder of several coins exits each of them', async (t) => {
  const system = await startSystem(t, 'byz_root');
  const [alice, bob] = await Promise.all([system.wallet(0), system.wallet(1)]);
  const coins = [await alice.depositEth(ONE), await alice.depositEth(ONE), await bob.depositEth(ONE)];
  for (const slot of coins) await alice.waitForCoin(slot);
  await alice.send(coins[1]!, bob.address);
  await bob.receive(coins[1]!);
  const watchers = [system.watcher(alice), system.watcher(bob)];
  await Promise.all(watchers.map((w) => w.tick()));
  watchers.forEach((w) => w.start());

  await system.operator.stop(); // the operator goes dark after committing a root nobody can prove anything against
  const number = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  await (await system.chain.contract().getFunction('submitBlock')(`0x${'ee'.repeat(32)}`, number)).wait();

  await until('every coin exiting', async () => {
    const states = await Promise.all(coins.map(async (slot) => (await alice.l1.coin(slot)).state));
    return states.every((state) => state === 'exiting');
  });
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await settled(t, alice, coins[0]!, EXIT_BOND, 'alice\'s coin');
  await settled(t, bob, coins[1]!, 2n * EXIT_BOND, 'the coin alice paid bob');
  await settled(t, bob, coins[2]!, 2n * EXIT_BOND, 'bob\'s own coin');
});

t.test('an ignored deposit: the operator pretends not to know the coin; its owner exits it', async (t) => {
  const system = await startSystem(t, 'byz_ignore');
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const alice = await system.wallet(0, 'alice', proxy.url);
  const slot = await alice.depositEth(ONE);
  proxy.hideCoin(slot);
  await t.rejects(alice.waitForCoin(slot, 1_000), { code: 'timeout', message: /has not seen the deposit/ });
  const watcher = system.watcher(alice);
  watcher.start();
  await traffic(await system.wallet(1), await system.wallet(2), 1);
  await until('alice\'s exit', async () => (await alice.l1.coin(slot)).state === 'exiting', 30_000);
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await settled(t, alice, slot, EXIT_BOND, 'alice');
});

t.test('a censored holder cannot send, is told why, and exits the coin', async (t) => {
  const system = await startSystem(t, 'byz_censor');
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const bob = await system.wallet(1, 'bob', proxy.url);
  const slot = await bob.depositEth(ONE);
  await bob.waitForCoin(slot);
  proxy.censor(bob.address);
  await t.rejects(bob.send(slot, lower(userOf(system, 2).address)), { name: 'WalletError', message: /the operator refused the transfer/ });
  t.equal((await bob.coins())[0]!.status, 'owned', 'a refused transfer leaves the coin as it was');
  const watcher = system.watcher(bob);
  watcher.start();
  await bob.exit(slot);
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await settled(t, bob, slot, EXIT_BOND, 'bob');
});

t.test('an in-flight transfer withheld from its sender: the sender exits, the receiver\'s watcher cancels it and keeps the coin', async (t) => {
  const system = await startSystem(t, 'byz_inflight');
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const alice = await system.wallet(0, 'alice', proxy.url);
  const bob = await system.wallet(1);
  const slot = await alice.depositEth(ONE);
  await alice.waitForCoin(slot);
  const next = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  proxy.withholdBlock(next);
  await t.rejects(alice.send(slot, bob.address, { timeoutMs: 1_500 }), { code: 'timeout' }, 'alice never sees her transfer land');
  t.equal((await alice.coins())[0]!.status, 'sending');
  await bob.receive(slot); // bob's view of the operator is honest: the coin is his
  const aliceWatcher = system.watcher(alice);
  const bobWatcher = system.watcher(bob);
  aliceWatcher.start();
  bobWatcher.start();
  await until('alice exits from her last verified state', async () => aliceWatcher.lines.some((l) => l['action'] === 'startDepositExit' && l['l1Transaction'] !== undefined));
  await until('bob cancels it', async () => (await bob.l1.exit(slot, 1n)).status === 'cancelled');
  await until('the challengeAfter decision logged', async () => bobWatcher.lines.some((l) => l['action'] === 'challengeAfter' && l['l1Transaction'] !== undefined));
  await bob.exit(slot);
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await settled(t, bob, slot, HALF + EXIT_BOND, 'bob');
  t.equal(await bondsCredited(alice), 0n, 'alice\'s exit bond is lost');
  await until('alice\'s wallet knows the coin is no longer hers', async () => (await alice.coins())[0]!.status === 'lost');
  t.match(aliceWatcher.lines.find((l) => l['action'] === 'give_up'), { reason: /cancelled \(spent_after_exit\)/ });
});

t.test('a withheld in-flight transfer passed on: the sender\'s watcher waits for the proofs, claims (and exits beside) only near the deadline, is answered with its own transfer, and gives the coin up', async (t) => {
  const system = await startSystem(t, 'byz_answered');
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const alice = await system.wallet(0, 'alice', proxy.url);
  const [bob, carol] = await Promise.all([system.wallet(1), system.wallet(2)]);
  const slot = await alice.depositEth(ONE);
  await alice.waitForCoin(slot);
  const next = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  proxy.withholdBlock(next);
  proxy.withholdBlock(next + 1000n);
  await t.rejects(alice.send(slot, bob.address, { timeoutMs: 1_000 }), { code: 'timeout' });
  await bob.receive(slot);
  await bob.send(slot, carol.address);
  await carol.receive(slot);
  await carol.exit(slot);

  const aliceWatcher = system.watcher(alice, { missingProofGraceMs: 3_600_000 });
  const carolWatcher = system.watcher(carol);
  aliceWatcher.start();
  carolWatcher.start();
  // Alice cannot see blocks the exit builds on and has a spend in flight: the likeliest story is her own
  // spend, so she waits for the proofs rather than lose a bond at once.
  await until('a few rounds of both watchers', async () => (await aliceWatcher.status()).lastRound !== undefined && (await carolWatcher.status()).lastRound !== undefined);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.notOk(aliceWatcher.lines.some((l) => l['action'] === 'challengeBefore'), 'no claim while the exit is far from its end');
  // Within a response period of the end she must choose: a bond at risk rather than the coin.
  await advanceTo(system, (await carol.l1.exit(slot, 1n)).finalizableAt - RESPONSE_PERIOD_SECONDS / 2n);
  await until('alice claims near the deadline', async () => aliceWatcher.lines.some((l) => l['action'] === 'challengeBefore' && l['l1Transaction'] !== undefined));
  await until('carol answers alice\'s claim', async () => carolWatcher.lines.some((l) => l['action'] === 'respondChallengeBefore' && l['l1Transaction'] !== undefined));
  await until('alice gives the coin up', async () => (await alice.coins())[0]!.status === 'lost');
  t.ok(aliceWatcher.lines.some((l) => l['action'] === 'give_up'));
  // A sender with a spend in flight exits beside as it claims (PROTOCOL.md §6): here her spend did land, so
  // carol cancels that exit with it too.
  t.ok(aliceWatcher.lines.some((l) => l['action'] === 'startDepositExit' && l['l1Transaction'] !== undefined), 'alice exited beside carol\'s exit');
  await until('alice\'s exit cancelled by her own spend', async () => (await alice.l1.exit(slot, 2n)).status === 'cancelled');
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await settled(t, carol, slot, 2n * EXIT_BOND + HALF, 'carol keeps the coin and takes alice\'s challenge bond and half her exit bond');
  t.equal(await bondsCredited(alice), 0n, 'alice gets nothing back');
});

t.test('proofs held back for a while: the coin freezes (no sends), is not exited, and thaws when they come', async (t) => {
  const system = await startSystem(t, 'byz_thaw');
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const alice = await system.wallet(0, 'alice', proxy.url);
  const slot = await alice.depositEth(ONE);
  await alice.waitForCoin(slot);
  const next = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  proxy.withholdBlock(next);
  const watcher = system.watcher(alice, { missingProofGraceMs: 500, operatorGoneMs: 3_600_000 });
  watcher.start();
  await traffic(await system.wallet(1), await system.wallet(2), 1);
  await until('the coin frozen for the late proof', async () => (await alice.coins())[0]!.status === 'frozen');
  await t.rejects(alice.send(slot, lower(userOf(system, 2).address)), { code: 'coin_frozen' }, 'a frozen coin is not sent');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.equal((await alice.l1.coin(slot)).state, 'deposited', 'late proofs alone do not exit the coin');

  proxy.reset();
  await until('the coin thawed', async () => (await alice.coins())[0]!.status === 'owned');
  t.match(watcher.lines.find((l) => l['action'] === 'thaw'), { reason: new RegExp(`missing since block ${next} arrived and verify`) });
  t.ok((await alice.coins())[0]!.lastVerifiedBlock >= next, 'the held-back block is verified now');
  await alice.send(slot, lower(userOf(system, 2).address));
});
