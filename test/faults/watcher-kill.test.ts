// The watcher under SIGKILL (issue #4): `plasma watch` is killed at random moments while its exit is
// challenged; each restart resumes from its state file and the exit still ends well within every deadline.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEther, type Wallet } from 'ethers';
import { depositTransaction } from '../../client/protocol/index.ts';
import { transactionArgument } from '../../client/l1/plasma-cash.ts';
import { EXIT_BOND } from '../support/anvil.ts';
import { depositAndWait, startSystem, until } from '../support/system.ts';

const BIN = fileURLToPath(new URL('../../cli/plasma.mjs', import.meta.url));
const KILLS = 6;
// Seven cold starts of `plasma watch` take real time, and anvil's clock runs with the wall clock: with the
// suite's 60 s exit period a slow machine alone could run the exit out. Longer periods keep this test about
// the kills, not about the machine's speed.
const EXIT_PERIOD_SECONDS = 600n;
const RESPONSE_PERIOD_SECONDS = 300n;

t.test(`plasma watch killed with SIGKILL ${KILLS} times during its exit still answers a challenge in time and cashes out`, async (t) => {
  const system = await startSystem(t, 'watcher_kill', { exitPeriodSeconds: EXIT_PERIOD_SECONDS, responsePeriodSeconds: RESPONSE_PERIOD_SECONDS });
  const [alice, bob, carol] = await Promise.all([system.wallet(0), system.wallet(1), system.wallet(2)]);
  const { slot, deposit } = await depositAndWait(alice, parseEther('1'));
  await bob.receive(await alice.send(slot, bob.address));
  await carol.receive(await bob.send(slot, carol.address));
  await carol.exit(slot);

  const env = {
    ...process.env,
    PLASMA_L1_RPC: system.chain.rpcUrl,
    PLASMA_CONTRACT: system.chain.address,
    PLASMA_OPERATOR_URL: system.operator.url,
    PLASMA_WALLET_KEY: (system.chain.users[2] as Wallet).privateKey,
    PLASMA_WALLET_DIR: path.join(system.dataDir, 'user2'),
  };
  let child: ChildProcess | undefined;
  let log = '';
  t.teardown(() => void child?.kill('SIGKILL'));
  const startDaemon = async () => {
    child = spawn(BIN, ['watch', '--poll-interval-ms', '100'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const started = log.length;
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await until('the daemon started', async () => log.slice(started).includes('"watcher started"'), 60_000);
  };
  const kill = async () => {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
  };
  const randomPause = () => new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 900)));

  // Kill it at random moments around the griefer's challenge and the response it must send.
  await startDaemon();
  await randomPause();
  await kill();
  const griefer = system.chain.contract(system.chain.users[3] as Wallet);
  await (await griefer.getFunction('challengeBefore')(transactionArgument(depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address })), '0x', deposit, { value: EXIT_BOND })).wait();
  const id = await system.chain.contract().getFunction('transactionDigest')(transactionArgument(depositTransaction({ slot, denomination: parseEther('1'), owner: alice.address })));
  for (let round = 1; round < KILLS; round++) {
    await startDaemon();
    await randomPause();
    await kill();
  }
  await system.chain.increaseTime(RESPONSE_PERIOD_SECONDS / 2n); // half the response period went by while it was down
  await system.chain.mine(1);
  await startDaemon();
  await until('the challenge answered', async () => (await carol.l1.challenge(slot, 1n, id)).status === 'answered', 30_000);
  const answered = (await carol.l1.events(0n, await carol.l1.rpc.blockNumber())).find((e) => e.name === 'ChallengeAnswered')!;
  const answeredAt = (await system.chain.provider.getBlock(Number(answered.l1Block)))!.timestamp;
  const exit = await carol.l1.exit(slot, 1n);
  t.ok(BigInt(answeredAt) < exit.maturesAt, 'answered before the exit could have been cancelled');

  await system.chain.increaseTime(EXIT_PERIOD_SECONDS);
  await system.chain.mine(1);
  await until('the coin withdrawn', async () => (await carol.l1.coin(slot)).withdrawn, 30_000);
  await until('bonds taken', async () => (await carol.l1.bondBalance(carol.address)) === 0n);
  const events = await carol.l1.events(0n, await carol.l1.rpc.blockNumber());
  const credited = events.filter((e) => e.name === 'BondCredited' && e.account === carol.address).reduce((sum, e) => sum + (e.name === 'BondCredited' ? e.amount : 0n), 0n);
  t.equal(credited, 2n * EXIT_BOND, 'the griefer\'s bond and carol\'s own exit bond');
  t.equal(events.filter((e) => e.name === 'ChallengeAnswered').length, 1, 'answered once, however many restarts');
  t.equal(events.filter((e) => e.name === 'ExitStarted').length, 1, 'never exited twice');
  await kill();
});
