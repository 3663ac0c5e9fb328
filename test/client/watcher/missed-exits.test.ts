// Exits and reveals the watcher must not miss, end to end against anvil, the real operator and Postgres: an exit
// started before `receive`, a reveal through another contract, an exit a reorg moves to a scanned height, and a
// revealed transfer of a coin the wallet held before. Each was a finding of the watcher's security review,
// written to fail before its fix (the pure decision findings are in decide.test.ts).
import t from 'tap';
import { parseEther } from 'ethers';
import { depositTransaction, type Address, type Hex, type Transaction } from '../../../client/protocol/index.ts';
import { transactionArgument } from '../../../client/l1/plasma-cash.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS } from '../../support/anvil.ts';
import { depositAndWait, forgeTheftAndExit, proofOf, signAs, startSystem, until, userOf } from '../../support/system.ts';

// Finding 1: `receive` accepts a coin whose exit is already live on L1 (it only refuses EXITED), and the watcher
// tracks an exit only from an ExitStarted event applied while the slot is already in the state: an exit started
// between the transfer and `receive` is never seen, never challenged, and finalizes. The former owner steals the
// coin with a deposit exit.
t.test('an exit started before the receiver ran `receive` is still challenged', async (t) => {
  const system = await startSystem(t, 'review_receive_exiting');
  const [alice, bob] = await Promise.all([system.wallet(0), system.wallet(1)]);
  const slot = await alice.depositEth(parseEther('1'));
  await alice.waitForCoin(slot);
  const watcher = system.watcher(bob);
  watcher.start();
  await alice.send(slot, bob.address);

  // alice, who just sold the coin, takes it back with a deposit exit before bob gets round to `receive`.
  const receipt = await (await system.chain.contract(userOf(system, 0)).getFunction('startDepositExit')(slot, { value: EXIT_BOND })).wait();
  await until('bob\'s watcher past the exit', async () => (await bob.stateFile.read()).l1Cursor >= BigInt(receipt!.blockNumber));
  await bob.receive(slot);

  let status = 'live';
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && status === 'live') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await bob.l1.exit(slot, 1n)).status;
  }
  t.equal(status, 'cancelled', 'bob\'s watcher cancels alice\'s deposit exit with challengeAfter (alice → bob)');
});

/**
 * Init code of a 46-byte forwarder: every call is passed on to `target` with the same calldata, and its return
 * data or revert is passed back. Anyone can answer a challenge through such a contract (or a multisig, a
 * multicall, an account-abstraction wallet).
 */
function forwarderInitCode(target: Address): Hex {
  const runtime = `365f5f37` + `5f5f365f5f73${target.slice(2)}5af1` + `3d5f5f3e` + `602a57` + `3d5ffd` + `5b3d5ff3`;
  return `0x602e8060095f395ff3${runtime}` as Hex;
}


// Finding 2: the watcher learns a withheld transfer to its wallet only from the calldata of the transaction that
// carried the response (PlasmaCashL1.responseEvidence: `to` must be PlasmaCash and the input a direct
// respondChallengeBefore call). The thief answers through any contract instead, the reveal is dropped, the
// revealed owner never claims, and the thief's exit finalizes with the coin.
t.test('a transfer revealed by a response sent through a contract is still claimed', async (t) => {
  const system = await startSystem(t, 'review_reveal_forwarded');
  const [alice, bob] = await Promise.all([system.wallet(0), system.wallet(1)]);
  const ONE = parseEther('1');
  const { slot, deposit } = await depositAndWait(alice, ONE);
  // alice pays bob; bob never gets the history (the operator withholds it from him).
  await alice.send(slot, bob.address);
  const b1 = (await alice.coins())[0]!.lastTransactionBlock;
  await forgeTheftAndExit(system, slot, b1, ONE);

  const watcher = system.watcher(bob);
  watcher.start();
  // carol claims alice never spent her deposit; the thief answers with alice → bob, through a forwarder.
  const claim = depositTransaction({ slot, denomination: ONE, owner: alice.address });
  await (await system.chain.contract(userOf(system, 2)).getFunction('challengeBefore')(transactionArgument(claim), '0x', deposit, { value: EXIT_BOND })).wait();
  const thief = userOf(system, 4);
  const deployed = await (await thief.sendTransaction({ data: forwarderInitCode(system.chain.address) })).wait();
  const forwarder = deployed!.contractAddress!;
  const toBob: Transaction = { slot, prevBlock: deposit, denomination: ONE, newOwner: bob.address };
  const plasma = system.chain.contract();
  const challengeId = await plasma.getFunction('transactionDigest')(transactionArgument(claim));
  const data = plasma.interface.encodeFunctionData('respondChallengeBefore', [challengeId, transactionArgument(toBob), await signAs(system, 0, toBob), await proofOf(system, slot, b1), b1]);
  await (await thief.sendTransaction({ to: forwarder, data })).wait();
  t.equal((await plasma.getFunction('getChallenge')(slot, 1n, challengeId)).status, 2n, 'the forwarded response answered carol\'s challenge');

  let claimed = false;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !claimed) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    claimed = watcher.lines.some((line) => line['action'] === 'challengeBefore' && line['l1Transaction'] !== undefined);
  }
  t.ok(claimed, 'bob\'s watcher claims the revealed transfer with challengeBefore');
});

// Finding 3: events are applied at the head (confirmations 0) and the cursor never goes back, so an L1 reorg that
// puts an ExitStarted into a block height the watcher already scanned (the replacement block at the same height
// includes the exit) hides the exit for ever: it is never challenged and finalizes. (RootBook has the same
// problem for BlockSubmitted, and a reorged deposit changes the coin's slot.)
t.test('an exit that a reorg puts at an already scanned height is still challenged', async (t) => {
  const system = await startSystem(t, 'review_reorg');
  const [alice, bob] = await Promise.all([system.wallet(0), system.wallet(1)]);
  const slot = await alice.depositEth(parseEther('1'));
  await alice.waitForCoin(slot);
  await alice.send(slot, bob.address);
  await bob.receive(slot);
  const watcher = system.watcher(bob);
  watcher.start();

  // Height N is first an empty block, which bob's watcher scans; a 1-block reorg replaces it with one that
  // carries alice's deposit exit of the coin she sold.
  const snapshot = await system.chain.snapshot();
  await system.chain.mine(1);
  const height = BigInt(await system.chain.rpc.blockNumber());
  await until('bob\'s watcher past height N', async () => (await bob.stateFile.read()).l1Cursor >= height);
  await system.chain.revert(snapshot);
  const receipt = await (await system.chain.contract(userOf(system, 0)).getFunction('startDepositExit')(slot, { value: EXIT_BOND })).wait();
  t.equal(BigInt(receipt!.blockNumber), height, 'the exit is mined at the height bob already scanned');
  await system.chain.mine(2);

  let status = 'live';
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && status === 'live') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await bob.l1.exit(slot, 1n)).status;
  }
  t.equal(status, 'cancelled', 'bob\'s watcher cancels alice\'s deposit exit with challengeAfter');
});

// Finding 6: #adoptRevealedCoins skips every slot already in state.coins, so a transfer revealed to a wallet that
// held the coin before (role "former": the coin came back to it in a block it never saw) is claimed, the theft is
// cancelled, and then nothing: the coin is never adopted, never verified, never exited; only a human (and an
// operator that serves the history) gets it back.
t.test('a revealed transfer of a coin the wallet held before is adopted and exited', async (t) => {
  const system = await startSystem(t, 'review_reveal_former');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const ONE = parseEther('1');
  const slot = await alice.depositEth(ONE);
  await alice.waitForCoin(slot);
  await alice.send(slot, bob.address);
  await bob.receive(slot);
  await bob.send(slot, carol.address);
  await carol.receive(slot);
  const b2 = (await carol.coins())[0]!.lastTransactionBlock;
  const watcher = system.watcher(bob);
  watcher.start();
  // carol pays bob back; bob is never handed the package.
  await carol.send(slot, bob.address);
  const b3 = (await carol.coins())[0]!.lastTransactionBlock;
  // The operator forges bob → mallory; mallory pays her accomplice, who exits.
  await forgeTheftAndExit(system, slot, b3, ONE);

  // alice claims carol never spent bob → carol; the thief answers with carol → bob and so reveals it.
  const plasma = system.chain.contract();
  const bobToCarol = (await carol.stateFile.read()).coins[slot.toString()]!.chain.find((entry) => entry.block === b2)!;
  await (await system.chain.contract(userOf(system, 0)).getFunction('challengeBefore')(transactionArgument(bobToCarol.transaction), bobToCarol.proof, b2, { value: EXIT_BOND })).wait();
  const carolToBob = (await carol.stateFile.read()).coins[slot.toString()]!.chain.find((entry) => entry.block === b3)!;
  const challengeId = await plasma.getFunction('transactionDigest')(transactionArgument(bobToCarol.transaction));
  await (await system.chain.contract(userOf(system, 4)).getFunction('respondChallengeBefore')(challengeId, transactionArgument(carolToBob.transaction), carolToBob.signature, carolToBob.proof, b3)).wait();

  await until('bob\'s claim of the revealed transfer', async () => watcher.lines.some((line) => line['action'] === 'challengeBefore' && line['l1Transaction'] !== undefined));
  // Exit game v2: bob exits the revealed transfer (parent: his own bob → carol) beside the theft, at once.
  let exited = false;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !exited) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const exit = await bob.l1.exit(slot, 2n);
    exited = exit.status === 'live' && exit.exitor === bob.address && exit.exitBlock === b3 && exit.parentBlock === b2;
  }
  t.ok(exited, 'bob\'s watcher exits the revealed transfer of a coin it held before (as it does for a coin it never held)');
  await system.chain.increaseTime(EXIT_PERIOD_SECONDS + 1n);
  await system.chain.mine(1);
  await until('bob withdrew the coin', async () => (await bob.l1.coin(slot)).withdrawn);
  await until('the theft cancelled', async () => (await bob.l1.exit(slot, 1n)).status === 'cancelled');
});
