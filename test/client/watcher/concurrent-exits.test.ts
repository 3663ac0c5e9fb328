// Several live exits of one coin (PROTOCOL.md §6, exit game v2): the watcher against the real contract on anvil,
// the real operator (made byzantine by forcing transfers into its pool and by a proxy that withholds blocks from
// one wallet) and Postgres. Each test ends on L1: who got the coin, and what happened to the other exits.
import t from 'tap';
import { parseEther } from 'ethers';
import { depositTransaction, type Address, type Hex, type Transaction } from '../../../client/protocol/index.ts';
import { transactionArgument } from '../../../client/l1/plasma-cash.ts';
import type { PlasmaWallet } from '../../../client/wallet/wallet.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS } from '../../support/anvil.ts';
import { startByzantineProxy } from '../../support/byzantine-proxy.ts';
import { advance, advanceTo, bondsCredited, depositAndWait, forgeTheftAndExit, includedAt, proofOf, signAs, startSystem, until, userOf } from '../../support/system.ts';

const ONE = parseEther('1');
const HALF = EXIT_BOND / 2n;

async function exitStatus(wallet: PlasmaWallet, slot: bigint, nonce: bigint): Promise<string> {
  return (await wallet.l1.exit(slot, nonce)).status;
}

async function transfer(from: PlasmaWallet, to: Address, slot: bigint): Promise<bigint> {
  await from.send(slot, to);
  return (await from.coins()).find((coin) => coin.slot === slot)!.lastTransactionBlock;
}

/** The proxy serves no block from `first` on (the operator may commit empty blocks before the one that matters). */
function withholdFrom(view: { withholdBlock(block: bigint): void }, first: bigint): void {
  for (let block = first; block < first + 50_000n; block += 1000n) view.withholdBlock(block);
}

/** The ExitCancelled reason of exit (slot, nonce), from L1's events. */
async function cancelReason(wallet: PlasmaWallet, slot: bigint, nonce: bigint): Promise<string | undefined> {
  const events = await wallet.l1.events(0n, await wallet.l1.rpc.blockNumber());
  const cancelled = events.find((e) => e.name === 'ExitCancelled' && e.slot === slot && e.nonce === nonce);
  return cancelled?.name === 'ExitCancelled' ? cancelled.reason : undefined;
}

/** The exit of `wallet` on `slot` once it is live, with the state of every other exit at that moment. */
async function ownExitStarted(wallet: PlasmaWallet, slot: bigint): Promise<{ nonce: bigint; exitBlock: bigint; othersLive: bigint[] }> {
  return until(`${wallet.address}'s exit of ${slot}`, async () => {
    const coin = await wallet.l1.coin(slot);
    for (let nonce = 1n; nonce <= coin.exitCount; nonce++) {
      const exit = await wallet.l1.exit(slot, nonce);
      if (exit.exitor !== wallet.address) continue;
      const othersLive: bigint[] = [];
      for (let other = 1n; other <= coin.exitCount; other++) {
        if (other !== nonce && (await wallet.l1.exit(slot, other)).status === 'live') othersLive.push(other);
      }
      return { nonce, exitBlock: exit.exitBlock, othersLive };
    }
    return undefined;
  }, 30_000, 100);
}

t.test('(a) a thief\'s forged exit is live: the owner\'s watcher exits beside it with a lower exit block, wins, and settles the thief\'s exit', async (t) => {
  const system = await startSystem(t, 'concurrent_beside');
  const alice = await system.wallet(0);
  const { slot, deposit } = await depositAndWait(alice, ONE);
  const { exitBlock: thiefBlock } = await forgeTheftAndExit(system, slot, deposit, ONE);
  await advance(system, 10n); // alice's watcher comes online 10 s into the thief's exit
  const watcher = system.watcher(alice);
  watcher.start();

  const own = await ownExitStarted(alice, slot);
  t.same(own.othersLive, [1n], 'alice exits while the thief\'s exit is live: she does not wait for it to end');
  t.equal(own.exitBlock, deposit, 'from her deposit: a lower exit block than the thief\'s');
  t.ok(own.exitBlock < thiefBlock);
  t.notOk(watcher.lines.some((line) => line['action'] === 'challengeBefore'), 'leaving, she has no claim to make: the thief\'s exit waits behind hers');

  // The thief's exit matures first, but finalizeExit acts on the lowest exit block: alice's, not matured yet.
  await advanceTo(system, (await alice.l1.exit(slot, 1n)).finalizableAt);
  await t.rejects(system.chain.contract(userOf(system, 4)).getFunction('finalizeExit')(slot), /ExitNotMatured|revert/, 'the thief cannot finalize ahead of alice');
  t.equal(await exitStatus(alice, slot, 1n), 'live');

  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('alice withdrew the coin', async () => (await alice.l1.coin(slot)).withdrawn, 30_000);
  await until('the thief\'s exit settled', async () => (await exitStatus(alice, slot, 1n)) === 'cancelled', 30_000);
  t.equal(await cancelReason(alice, slot, 1n), 'outlived_by_winner', 'cancelled by settleExit, as the loser of the coin');
  t.ok(watcher.lines.some((line) => line['action'] === 'settleExit' && line['l1Transaction'] !== undefined), 'alice\'s watcher sent the settleExit');
  await until('alice\'s bonds', async () => (await bondsCredited(alice)) === EXIT_BOND + HALF && (await alice.l1.bondBalance(alice.address)) === 0n, 30_000);
  t.pass('alice takes her exit bond back and half the thief\'s');
});

t.test('(b) former owners re-exit after a cancellation: the dead exit block is refused, an older state is challenged again', async (t) => {
  const system = await startSystem(t, 'concurrent_reexit');
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const { slot, deposit } = await depositAndWait(alice, ONE);
  const b1 = await transfer(alice, bob.address, slot);
  await bob.receive(slot);
  await transfer(bob, carol.address, slot);
  await carol.receive(slot);
  const watcher = system.watcher(carol);
  watcher.start();

  // bob exits the transfer he later sold to carol.
  const aliceDeposit = depositTransaction({ slot, denomination: ONE, owner: alice.address });
  const toBob: Transaction = { slot, prevBlock: deposit, denomination: ONE, newOwner: bob.address };
  const bobsExit = [transactionArgument(aliceDeposit), '0x', deposit, transactionArgument(toBob), await signAs(system, 0, toBob), await proofOf(system, slot, b1), b1] as const;
  const asBob = system.chain.contract(userOf(system, 1));
  await (await asBob.getFunction('startExit')(...bobsExit, { value: EXIT_BOND })).wait();
  await until('bob\'s exit cancelled', async () => (await exitStatus(carol, slot, 1n)) === 'cancelled');

  // He cannot exit that state again: its exit block is dead for good.
  await t.rejects(asBob.getFunction('startExit')(...bobsExit, { value: EXIT_BOND }), /ExitBlockDead|revert/, 'the re-exit is refused');
  t.equal(await carol.l1.isExitBlockDead(slot, b1), true);

  // alice exits an older state, her deposit, while bob's lies dead: challenged again.
  await (await system.chain.contract(userOf(system, 0)).getFunction('startDepositExit')(slot, { value: EXIT_BOND })).wait();
  await until('alice\'s exit cancelled', async () => (await exitStatus(carol, slot, 2n)) === 'cancelled');
  const challenges = () => watcher.lines.filter((line) => line['action'] === 'challengeAfter' && line['l1Transaction'] !== undefined).length;
  await until('both challengeAfter decisions logged', async () => challenges() >= 2);
  t.equal(challenges(), 2, 'two challengeAfter, one per former owner');
  await until('carol\'s bonds', async () => (await bondsCredited(carol)) === 2n * HALF && (await carol.l1.bondBalance(carol.address)) === 0n);
  t.equal((await carol.l1.coin(slot)).state, 'deposited', 'the coin stays carol\'s on the child chain');
  await until('carol\'s wallet sees no live exit', async () => (await carol.coins())[0]!.status === 'owned');
});

t.test('(c) a withheld spend: the sender claims its receipt against the thief\'s exit, the forced answer reveals the receiver, who exits beside and wins', async (t) => {
  const system = await startSystem(t, 'concurrent_withheld');
  // The operator shows neither alice nor bob the block with alice → bob.
  const [aliceView, bobView] = await Promise.all([0, 1].map(() => startByzantineProxy(t, system.operator.url, system.chain.domain)));
  const alice = await system.wallet(0, 'alice', aliceView!.url);
  const bob = await system.wallet(1, 'bob', bobView!.url);
  const { slot, deposit } = await depositAndWait(alice, ONE);
  const next = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  for (const view of [aliceView!, bobView!]) withholdFrom(view, next);
  await t.rejects(alice.send(slot, bob.address, { timeoutMs: 2_000 }), { code: 'timeout' }, 'alice never sees her transfer land');
  const history = await (await fetch(`${system.operator.url}/v1/coins/${slot}/history`)).json() as { entries: { block: string; kind: string; signature?: Hex }[] };
  const included = history.entries.find((entry) => entry.kind === 'inclusion')!;
  const b1 = BigInt(included.block);

  // The operator forges bob → mallory after it; mallory's accomplice exits.
  const { exitBlock: thiefBlock } = await forgeTheftAndExit(system, slot, b1, ONE);
  const [aliceWatcher, bobWatcher] = [system.watcher(alice), system.watcher(bob)];
  aliceWatcher.start();
  bobWatcher.start();

  // alice's coin freezes with her spend in flight: she exits beside AND claims her receipt against the thief.
  const alicesExit = await ownExitStarted(alice, slot);
  t.same(alicesExit.othersLive, [1n], 'alice exits beside the thief\'s live exit');
  const claimed = await until('alice\'s claim on L1', async () => aliceWatcher.lines.some((line) => line['action'] === 'challengeBefore' && line['l1Transaction'] !== undefined), 10_000).catch(() => false);
  t.ok(claimed, 'alice claims her receipt against the thief\'s exit (without it, the thief goes on below and wins)');
  const claimId = await system.chain.contract().getFunction('transactionDigest')(transactionArgument(depositTransaction({ slot, denomination: ONE, owner: alice.address })));

  // When its exit matures, the thief does all it can in one L1 block: answer alice's claim with her spend to
  // bob (it must, or its exit is cancelled), cancel alice's exit with that spend, and finalize.
  await advanceTo(system, (await alice.l1.exit(slot, 1n)).finalizableAt);
  const thief = system.chain.contract(userOf(system, 4));
  const toBob: Transaction = { slot, prevBlock: deposit, denomination: ONE, newOwner: bob.address };
  const [signature, proof] = [included.signature!, await proofOf(system, slot, b1)];
  const gas = { gasLimit: 1_000_000n };
  const nonce = await userOf(system, 4).connect(system.chain.provider).getNonce('pending');
  await system.chain.rpc.request('evm_setAutomine', [false]);
  try {
    await thief.getFunction('respondChallengeBefore')(claimId, transactionArgument(toBob), signature, proof, b1, { ...gas, nonce });
    await thief.getFunction('challengeAfter')(transactionArgument(toBob), signature, proof, b1, { ...gas, nonce: nonce + 1 });
    await thief.getFunction('finalizeExit')(slot, { ...gas, nonce: nonce + 2 });
    await system.chain.mine(1);
  } finally {
    await system.chain.rpc.request('evm_setAutomine', [true]);
  }
  t.equal(await exitStatus(alice, slot, 1n), 'live', 'the answer pushed the thief\'s exit a response period on: it did not finalize');
  t.equal(await exitStatus(alice, slot, alicesExit.nonce), 'cancelled', 'alice\'s exit is cancelled by her own spend');

  // bob learns from the answer that the coin is his, and exits beside with the revealed transfer.
  const bobsExit = await ownExitStarted(bob, slot);
  t.equal(bobsExit.exitBlock, b1, 'bob exits alice → bob');
  t.ok(bobsExit.exitBlock < thiefBlock, 'below the thief\'s exit block');
  t.ok(bobWatcher.lines.some((line) => line['event'] === 'transfer_revealed'));
  t.match(await bob.l1.exit(slot, bobsExit.nonce), { exitor: bob.address, parentBlock: deposit, status: 'live' });

  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('bob withdrew the coin', async () => (await bob.l1.coin(slot)).withdrawn, 30_000);
  t.equal((await bob.l1.coin(slot)).headExit, bobsExit.nonce, 'bob\'s exit won the coin');
  await until('the thief\'s exit ended', async () => (await exitStatus(bob, slot, 1n)) === 'cancelled', 30_000);
});

t.test('(d) a frozen coin exits at once beside a live exit, without waiting for it to end', async (t) => {
  const system = await startSystem(t, 'concurrent_frozen');
  const bobView = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const [alice, bob] = await Promise.all([system.wallet(0), system.wallet(1, 'bob', bobView.url)]);
  const { slot } = await depositAndWait(alice, ONE);
  const b1 = await transfer(alice, bob.address, slot);
  await bob.receive(slot);

  // The operator stops serving bob's coin (withholds every later block from him) and forges it away.
  const next = BigInt(await system.chain.contract().getFunction('nextChildBlock')());
  withholdFrom(bobView, next);
  const { exitBlock: thiefBlock } = await forgeTheftAndExit(system, slot, b1, ONE);
  const watcher = system.watcher(bob, { operatorGoneMs: 3_000 });
  watcher.start();

  const own = await ownExitStarted(bob, slot);
  t.same(own.othersLive, [1n], 'bob\'s frozen coin exits while the thief\'s exit is still live');
  t.equal(own.exitBlock, b1);
  t.ok(own.exitBlock < thiefBlock);
  t.match(watcher.lines.find((line) => line['action'] === 'freeze'), { reason: /proof_withheld/ });
  await advance(system, EXIT_PERIOD_SECONDS + 1n);
  await until('bob withdrew the coin', async () => (await bob.l1.coin(slot)).withdrawn, 30_000);
  await until('the thief\'s exit ended', async () => (await exitStatus(bob, slot, 1n)) === 'cancelled', 30_000);
});

t.test('(e) a transfer the operator refused still counts as in flight: when it lands after all and a thief exits after it, the sender claims its receipt', async (t) => {
  const system = await startSystem(t, 'concurrent_refused');
  const view = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  const [alice, bob] = await Promise.all([system.wallet(0, 'alice', view.url), system.wallet(1)]);
  const { slot, deposit } = await depositAndWait(alice, ONE);
  view.censor(alice.address);
  await t.rejects(alice.send(slot, bob.address), { code: 'transfer_refused', serverCode: 'coin_exiting' }, 'the operator refuses alice → bob');
  const stored = (await alice.stateFile.read()).coins[slot.toString()]!;
  t.match(stored.undelivered, [{ transaction: { newOwner: bob.address }, refused: { code: 'coin_exiting' } }], 'the wallet keeps the signed transfer');
  t.equal(stored.inFlight, undefined, 'and can send the coin again');
  t.match(await alice.coins(), [{ status: 'owned', spendsInFlight: 1 }]);
  view.reset();

  // The operator holds the signature: it includes alice → bob after all, tells bob nothing, and forges on after it.
  const refused = stored.undelivered![0]!;
  await system.forceInclude(refused.transaction, refused.signature);
  const b1 = await includedAt(system, slot, bob.address, deposit);
  await forgeTheftAndExit(system, slot, b1, ONE);
  const watcher = system.watcher(alice);
  watcher.start();
  await until('alice\'s claim of her receipt', async () => watcher.lines.some((line) => line['action'] === 'challengeBefore' && line['l1Transaction'] !== undefined));
  const id = await system.chain.contract().getFunction('transactionDigest')(transactionArgument(depositTransaction({ slot, denomination: ONE, owner: alice.address })));
  t.equal((await alice.l1.challenge(slot, 1n, id)).status, 'open', 'the thief must reveal bob (answer with alice → bob) or lose its exit');
  t.equal(await exitStatus(alice, slot, 2n), 'none', 'alice does not exit a coin she knows she spent');
});
