// The watcher defends coins on its own, against anvil, the real operator (made byzantine only by forcing a
// transfer into its pending pool) and Postgres. Every test ends by asserting on L1 who got the coin and bonds.
import t, { type Test } from 'tap';
import { parseEther } from 'ethers';
import { depositTransaction, type Address, type Hex, type Transaction } from '../../../client/protocol/index.ts';
import { transactionArgument } from '../../../client/l1/plasma-cash.ts';
import type { PlasmaWallet } from '../../../client/wallet/wallet.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS, RESPONSE_PERIOD_SECONDS } from '../../support/anvil.ts';
import { advance, bondsCredited, depositAndWait, forgeTheftAndExit, includedAt, lower, proofOf, signAs, startSystem, until, userOf, type TestSystem } from '../../support/system.ts';

const HALF = EXIT_BOND / 2n;

/** A raw startExit from anvil user `index`, as a cheater would send it (no wallet checks). */
async function startExitAs(system: TestSystem, index: number, parent: { tx: Transaction; proof: Hex; block: bigint }, exiting: { tx: Transaction; signature: Hex; proof: Hex; block: bigint }): Promise<void> {
  const contract = system.chain.contract(userOf(system, index));
  await (await contract.getFunction('startExit')(transactionArgument(parent.tx), parent.proof, parent.block, transactionArgument(exiting.tx), exiting.signature, exiting.proof, exiting.block, { value: EXIT_BOND })).wait();
}

async function exitStatus(wallet: PlasmaWallet, slot: bigint, nonce = 1n): Promise<string> {
  return (await wallet.l1.exit(slot, nonce)).status;
}

/** Transfers the coin with a real signature through the honest operator path and returns its block. */
async function transfer(from: PlasmaWallet, to: Address, slot: bigint): Promise<bigint> {
  await from.send(slot, to);
  return (await from.coins()).find((coin) => coin.slot === slot)!.lastTransactionBlock;
}

async function bondsPaid(t: Test, wallet: PlasmaWallet, expected: bigint, what: string): Promise<void> {
  const paid = await until(`${what}: bonds withdrawn`, async () => {
    const credited = await bondsCredited(wallet);
    return credited === expected && (await wallet.l1.bondBalance(wallet.address)) === 0n ? credited : undefined;
  });
  t.equal(paid, expected, what);
}

t.test('challengeAfter: a former owner exits a coin it sold; the holder\'s watcher cancels it and collects half the bond', async (t) => {
  const system = await startSystem(t, 'watch_after');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const { slot, deposit } = await depositAndWait(alice, parseEther('1'));
  const b1 = await transfer(alice, bob.address, slot);
  await bob.receive(slot);
  await transfer(bob, carol.address, slot);
  await carol.receive(slot);
  const watcher = system.watcher(carol);
  watcher.start();

  // bob exits with the transfer that made him owner, as if he had never sold the coin.
  const toBob: Transaction = { slot, prevBlock: deposit, denomination: parseEther('1'), newOwner: bob.address };
  await startExitAs(system, 1, { tx: depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address }), proof: '0x', block: deposit }, { tx: toBob, signature: await signAs(system, 0, toBob), proof: await proofOf(system, slot, b1), block: b1 });

  await until('the exit cancelled', async () => (await exitStatus(carol, slot)) === 'cancelled');
  await bondsPaid(t, carol, HALF, 'carol takes half of bob\'s bond');
  await until('the challengeAfter decision logged', async () => watcher.lines.some((line) => line['action'] === 'challengeAfter' && line['l1Transaction'] !== undefined));
  t.match(watcher.lines.find((line) => line['action'] === 'challengeAfter'), { reason: /spent at block/ }, 'the decision is logged with its reason');
  t.equal((await carol.l1.coin(slot)).state, 'deposited', 'the coin stays on the child chain, carol\'s');
  await until('carol\'s wallet sees the exit end', async () => (await carol.coins())[0]!.status === 'owned');
});

t.test('challengeBetween: the operator includes a double spend; the victim\'s watcher cancels the exit, then exits and withdraws the coin', async (t) => {
  const system = await startSystem(t, 'watch_between');
  const [alice, bob] = await Promise.all([system.wallet(0), system.wallet(1)]);
  const { slot, deposit } = await depositAndWait(alice, parseEther('1'));
  const b1 = await transfer(alice, bob.address, slot);
  await bob.receive(slot);

  // alice signs the coin again, to carol, from the deposit; the operator includes it at b2.
  const accomplice = lower(userOf(system, 2).address);
  const doubleSpend: Transaction = { slot, prevBlock: deposit, denomination: parseEther('1'), newOwner: accomplice };
  const signature = await signAs(system, 0, doubleSpend);
  await system.forceInclude(doubleSpend, signature);
  const b2 = await includedAt(system, slot, accomplice, b1);
  await startExitAs(system, 2, { tx: depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address }), proof: '0x', block: deposit }, { tx: doubleSpend, signature, proof: await proofOf(system, slot, b2), block: b2 });

  // bob was offline; his watcher comes back within the exit period.
  const watcher = system.watcher(bob);
  watcher.start();
  await until('the double-spend exit cancelled', async () => (await exitStatus(bob, slot)) === 'cancelled');
  await until('the challengeBetween decision logged', async () => watcher.lines.some((line) => line['action'] === 'challengeBetween' && line['l1Transaction'] !== undefined));
  t.match(watcher.lines.find((line) => line['action'] === 'freeze'), { reason: /double_spend at block/ }, 'the double spend froze bob\'s coin');

  // The frozen coin goes back to L1 from bob's last verified transfer, and the watcher takes it to the end.
  await until('bob\'s own exit', async () => (await exitStatus(bob, slot, 2n)) === 'live');
  const exit = await bob.l1.exit(slot, 2n);
  t.equal(exit.exitor, bob.address);
  t.equal(exit.exitBlock, b1);
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('bob withdrew the coin', async () => (await bob.l1.coin(slot)).withdrawn);
  await bondsPaid(t, bob, HALF + EXIT_BOND, 'bob takes half the thief\'s bond and his own exit bond back');
});

t.test('challengeBefore: the operator forges a history; the depositor\'s watcher challenges, cancels the theft and recovers the coin', async (t) => {
  const system = await startSystem(t, 'watch_before');
  const alice = await system.wallet(0);
  const { slot, deposit } = await depositAndWait(alice, parseEther('1'));

  // mallory (user 3) forges alice → mallory without alice's key, then spends it to her accomplice (user 4), who exits.
  await forgeTheftAndExit(system, slot, deposit, parseEther('1'));

  // alice's watcher keeps a frozen coin on the child chain (--no-exit-frozen): it stays, so it cancels the theft
  // with challengeBefore rather than exiting beside it (concurrent-exits.test.ts has the exit beside).
  const watcher = system.watcher(alice, { exitFrozenCoins: false });
  watcher.start();
  await until('alice\'s challengeBefore', async () => watcher.lines.some((line) => line['action'] === 'challengeBefore' && line['l1Transaction'] !== undefined));
  t.match(watcher.lines.find((line) => line['action'] === 'freeze'), { reason: /not_signed_by_owner at block/ });
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('the theft cancelled', async () => (await exitStatus(alice, slot)) === 'cancelled');
  t.equal(await exitStatus(alice, slot, 2n), 'none', 'alice did not exit on her own');
  // Then alice asks for the exit herself; the watcher takes it to the end.
  await alice.exit(slot);
  await until('alice\'s own exit', async () => (await exitStatus(alice, slot, 2n)) === 'live');
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('alice withdrew the coin', async () => (await alice.l1.coin(slot)).withdrawn);
  await bondsPaid(t, alice, EXIT_BOND + HALF + EXIT_BOND, 'alice takes her challenge bond back, half the thief\'s bond, and her exit bond');
  t.equal((await alice.l1.exit(slot, 2n)).exitBlock, deposit, 'a deposit exit');
});

t.test('a frivolous challengeBefore of an honest exit is answered by the watcher alone, even across a restart', async (t) => {
  const system = await startSystem(t, 'watch_respond');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const { slot, deposit } = await depositAndWait(alice, parseEther('1'));
  await transfer(alice, bob.address, slot);
  await bob.receive(slot);
  await transfer(bob, carol.address, slot);
  await carol.receive(slot);
  await carol.exit(slot);

  // carol's watcher runs, then stops (a crash or a reboot) in the middle of the exit period.
  const first = system.watcher(carol);
  await first.tick();
  await first.stop();
  await advance(system, EXIT_PERIOD_SECONDS / 2n);

  // A griefer (user 3) claims that alice never spent the coin.
  const griefer = system.chain.contract(userOf(system, 3));
  const claim = depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address });
  await (await griefer.getFunction('challengeBefore')(transactionArgument(claim), '0x', deposit, { value: EXIT_BOND })).wait();
  await advance(system, RESPONSE_PERIOD_SECONDS / 2n);

  // A new process over the same state directory picks up where the first stopped and answers in time.
  const restarted = system.watcher(await system.wallet(2));
  restarted.start();
  await until('the response', async () => restarted.lines.some((line) => line['action'] === 'respondChallengeBefore' && line['l1Transaction'] !== undefined));
  await advance(system, EXIT_PERIOD_SECONDS);
  await until('carol withdrew the coin', async () => (await carol.l1.coin(slot)).withdrawn);
  t.equal(await exitStatus(carol, slot), 'finalized');
  await bondsPaid(t, carol, EXIT_BOND + EXIT_BOND, 'carol takes the griefer\'s bond and her exit bond back');
  const status = await restarted.status();
  t.match(status, { account: carol.address, running: true });
  t.ok(status.decisions.length >= 3, 'status shows the decisions');
});

t.test('a last-minute response reveals a withheld transfer: its owner\'s watcher claims it and exits it beside the theft, which loses', async (t) => {
  const system = await startSystem(t, 'watch_reveal');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const { slot, deposit } = await depositAndWait(alice, parseEther('1'));
  // alice pays bob, but bob never gets the coin's history (the operator withholds it from him).
  const b1 = await transfer(alice, bob.address, slot);
  // The operator forges bob → mallory (signed by mallory), mallory pays her accomplice, who exits.
  await forgeTheftAndExit(system, slot, b1, parseEther('1'));

  const watcher = system.watcher(bob);
  watcher.start();
  // carol, cautious, claims that alice never spent her deposit; at the last moment the thief answers with
  // alice → bob to take carol's bond, and so reveals bob's transfer on L1.
  await (await system.chain.contract(userOf(system, 2)).getFunction('challengeBefore')(transactionArgument(depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address })), '0x', deposit, { value: EXIT_BOND })).wait();
  await advance(system, EXIT_PERIOD_SECONDS - 5n);
  const toBob: Transaction = { slot, prevBlock: deposit, denomination: parseEther('1'), newOwner: bob.address };
  const depositId = await system.chain.contract().getFunction('transactionDigest')(transactionArgument(depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address })));
  await (await system.chain.contract(userOf(system, 4)).getFunction('respondChallengeBefore')(depositId, transactionArgument(toBob), await signAs(system, 0, toBob), await proofOf(system, slot, b1), b1)).wait();

  await until('bob\'s claim of the revealed transfer', async () => watcher.lines.some((line) => line['action'] === 'challengeBefore' && line['l1Transaction'] !== undefined));
  t.ok(watcher.lines.some((line) => line['event'] === 'transfer_revealed'));
  // bob exits the revealed transfer at once, beside the theft: his exit block is the lower, so the theft's exit
  // cannot finalize before his (PROTOCOL.md §6).
  await until('bob\'s own exit', async () => (await exitStatus(bob, slot, 2n)) === 'live');
  t.match(await bob.l1.exit(slot, 2n), { exitor: bob.address, exitBlock: b1, parentBlock: deposit });
  t.equal(await exitStatus(bob, slot, 1n), 'live', 'beside the thief\'s exit, still live');
  await advance(system, RESPONSE_PERIOD_SECONDS + 1n);
  await t.rejects(system.chain.contract(userOf(system, 4)).getFunction('finalizeExit')(slot), /revert/, 'the thief cannot finalize ahead of bob');
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('bob withdrew the coin', async () => (await bob.l1.coin(slot)).withdrawn);
  await until('the theft cancelled', async () => (await exitStatus(bob, slot)) === 'cancelled');
  await bondsPaid(t, bob, EXIT_BOND + HALF + EXIT_BOND, 'bob takes his challenge bond back, half the thief\'s bond (settleExit) and his exit bond');
  t.equal(await carol.l1.bondBalance(carol.address), 0n, 'carol\'s answered challenge bond went to the thief');
});
