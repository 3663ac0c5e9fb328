// `plasma wallet` and `plasma watch` as users run them, against anvil, the real operator and Postgres: the
// commands run in-process through `main` with captured output; the watch daemon runs as the bin in a child
// process and is stopped with SIGTERM.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, parseEther, parseUnits, Wallet, NonceManager } from 'ethers';
import { main } from '../../cli/plasma.ts';
import { exitStatusName, provenL1State } from '../../client/watcher/verify-l1.ts';
import { deployDemoTokens } from '../../client/l1/deploy.ts';
import { EXIT_BOND, EXIT_PERIOD_SECONDS } from '../support/anvil.ts';
import { startSystem, until } from '../support/system.ts';

const BIN = fileURLToPath(new URL('../../cli/plasma.mjs', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: string[], env: Record<string, string>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, env, { out: (text) => void (stdout += text), err: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

/** A failure ends stderr with exactly one error line, prefixed with the command (progress lines may precede it). */
function oneLineError(t: Test, result: Run, code: number, pattern: RegExp, what: string): void {
  t.equal(result.code, code, `${what}: exit code ${code}`);
  const lines = result.stderr.trim().split('\n');
  t.same(lines.filter((line) => line.startsWith('plasma ')), [lines.at(-1)], `${what}: one error line, the last (${result.stderr.trim()})`);
  t.match(lines.at(-1), pattern, what);
}

t.test('deposit → send --out → receive --package → coins → exit → finalize → withdraw, and the errors on the way', async (t) => {
  const system = await startSystem(t, 'wallet_cli');
  const [aliceKey, bobKey] = [system.chain.users[0]!.privateKey, system.chain.users[1]!.privateKey];
  const bobAddress = system.chain.users[1]!.address.toLowerCase();
  const base = { PLASMA_L1_RPC: system.chain.rpcUrl, PLASMA_CONTRACT: system.chain.address, PLASMA_OPERATOR_URL: system.operator.url };
  const alice = { ...base, PLASMA_WALLET_KEY: aliceKey, PLASMA_WALLET_DIR: path.join(system.dataDir, 'alice') };
  const bob = { ...base, PLASMA_WALLET_KEY: bobKey, PLASMA_WALLET_DIR: path.join(system.dataDir, 'bob') };

  const deposited = await run(['wallet', 'deposit', 'eth', '1'], alice);
  t.equal(deposited.code, 0, deposited.stderr);
  t.match(deposited.stdout, /^\d+\n$/, 'stdout holds only the slot');
  const slot = deposited.stdout.trim();
  t.match(deposited.stderr, /waiting for the operator/);

  const packageFile = path.join(system.dataDir, 'coin.json');
  const sent = await run(['wallet', 'send', slot, bobAddress, '--out', packageFile], alice);
  t.equal(sent.code, 0, sent.stderr);
  t.equal(sent.stdout, '', 'with --out nothing goes to stdout');
  t.match(sent.stderr, `plasma wallet receive --package ${packageFile}`, 'it tells what the receiver runs');
  const pkg = JSON.parse(await readFile(packageFile, 'utf8')) as { slot: string; entries: { kind: string; transaction?: { newOwner: string } }[] };
  t.equal(pkg.slot, slot);
  t.equal(pkg.entries.at(-1)?.transaction?.newOwner, bobAddress, 'the package ends with the transfer to bob');

  oneLineError(t, await run(['wallet', 'send', slot, bobAddress], alice), 1, /^plasma wallet send: coin \d+ belongs to 0x[0-9a-f]{40}, not to this wallet$/, 'a sent coin cannot be sent again');
  oneLineError(t, await run(['wallet', 'receive', '--package', packageFile], alice), 1, /^plasma wallet receive: coin history rejected at block \d+: .*; the coin was not accepted$/, 'alice cannot receive a coin sent to bob');

  const received = await run(['wallet', 'receive', '--package', packageFile], bob);
  t.equal(received.code, 0, received.stderr);
  t.match(received.stdout, new RegExp(`^received coin ${slot}: history verified through block \\d+; ${bobAddress} owns it\\n$`));

  const bobCoins = await run(['wallet', 'coins', '--json'], bob);
  t.equal(bobCoins.code, 0, bobCoins.stderr);
  const listed = JSON.parse(bobCoins.stdout) as { slot: string; status: string; owner: string; kind: string; denomination: string }[];
  t.match(listed, [{ slot, status: 'owned', owner: bobAddress, kind: 'eth', denomination: parseEther('1').toString() }]);
  const aliceCoins = JSON.parse((await run(['wallet', 'coins', '--json'], alice)).stdout) as { slot: string; status: string }[];
  t.match(aliceCoins, [{ slot, status: 'sent' }], 'alice keeps the coin as sent');
  const tableView = await run(['wallet', 'coins'], bob);
  t.equal(tableView.code, 0);
  t.match(tableView.stdout, /SLOT\s+ASSET\s+STATUS\s+LAST TX\s+VERIFIED\s+EXIT/);
  t.match(tableView.stdout, new RegExp(`${slot}\\s+1\\.0 ETH\\s+owned`));

  const status = await run(['watch', '--status'], bob);
  t.equal(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { account: string; running: boolean; coins: { slot: string }[]; daemon: unknown };
  t.match(parsed, { account: bobAddress, running: false, daemon: null, coins: [{ slot }] }, 'watch --status is the watcher state as JSON');

  const exited = await run(['wallet', 'exit', slot], bob);
  t.equal(exited.code, 0, exited.stderr);
  t.match(exited.stdout, new RegExp(`^exit 1 of coin ${slot} started; it can be finalized from \\d{4}-\\d\\d-\\d\\dT`));
  t.match(JSON.parse((await run(['wallet', 'coins', '--json'], bob)).stdout), [{ status: 'exiting', exits: [{ nonce: '1', whose: 'mine' }] }]);
  t.match((await run(['wallet', 'coins'], bob)).stdout, /#1 mine \(exit block \d+, parent (deposit|\d+)\), finalizable \d{4}-/, 'the table lists every live exit with its exit and parent block');
  t.match(JSON.parse((await run(['watch', '--status'], bob)).stdout), { liveExits: [{ slot, nonce: '1', whose: 'mine' }] }, 'and so does watch --status');
  // The --verify-l1 adapter reads the same exit and root through eth_getProof, with the status as a name.
  const reader = await system.wallet(1, 'reader');
  const record = await reader.l1.exit(BigInt(slot), 1n);
  const head = BigInt(await system.chain.provider.getBlockNumber());
  const check = provenL1State(reader.l1.rpc, system.chain.address);
  t.same(await check.exit(BigInt(slot), 1n, head), { exitor: record.exitor, parentBlock: record.parentBlock, exitBlock: record.exitBlock, status: 'live' });
  t.equal(await check.childBlockRoot(record.exitBlock, head), await reader.l1.childBlockRoot(record.exitBlock));
  oneLineError(t, await run(['wallet', 'finalize', slot], bob), 1, /^plasma wallet finalize: finalizeExit reverted: ExitNotMatured\(\d+, \d+\): the exit can be finalized from \d{4}-.*\(L1 time\)$/, 'an exit before its period');

  await system.chain.increaseTime(EXIT_PERIOD_SECONDS + 1n);
  await system.chain.mine(1);
  const finalized = await run(['wallet', 'finalize', slot], bob);
  t.equal(finalized.code, 0, finalized.stderr);
  t.match(finalized.stdout, /^finalized: /);
  const before = await system.chain.provider.getBalance(bobAddress);
  const withdrawn = await run(['wallet', 'withdraw', slot], bob);
  t.equal(withdrawn.code, 0, withdrawn.stderr);
  t.equal(withdrawn.stdout, `coin ${slot} paid out to ${bobAddress} on L1\n`);
  const gained = (await system.chain.provider.getBalance(bobAddress)) - before;
  t.ok(gained > parseEther('0.99') && gained <= parseEther('1'), 'bob got the 1 ETH (minus gas)');
  oneLineError(t, await run(['wallet', 'withdraw', slot], bob), 1, /AlreadyWithdrawn.*already paid out/, 'a second withdraw');
  const bonds = await run(['wallet', 'withdraw-bonds'], bob);
  t.equal(bonds.code, 0, bonds.stderr);
  t.equal(bonds.stdout, `withdrew ${Number(EXIT_BOND) / 1e18} ETH of bonds to ${bobAddress}\n`);
  t.equal((await run(['wallet', 'withdraw-bonds'], bob)).stdout, 'no bonds to withdraw\n');
  t.match(JSON.parse((await run(['wallet', 'coins', '--json'], bob)).stdout), [{ slot, status: 'withdrawn' }]);

  for (const result of [deposited, sent, received, bobCoins, exited, finalized, withdrawn]) {
    t.notOk(`${result.stdout}${result.stderr}`.includes(bobKey.slice(2)) || `${result.stdout}${result.stderr}`.includes(aliceKey.slice(2)), 'no key in any output');
  }

  t.test('bad inputs: one clear line and a non-zero exit code', async (t) => {
    const { PLASMA_CONTRACT: _contract, ...noContract } = alice;
    oneLineError(t, await run(['wallet', 'coins'], noContract), 2, /^plasma wallet coins: --contract \(or PLASMA_CONTRACT\) is required: the PlasmaCash address/, 'missing contract');
    oneLineError(t, await run(['wallet', 'coins', '--contract', '0x1234'], alice), 2, /--contract must be a 20-byte address \(0x \+ 40 hex digits\), got "0x1234"/, 'malformed contract');
    oneLineError(t, await run(['wallet', 'coins', '--contract', `0x${'12'.repeat(20)}`], alice), 1, /no contract at 0x1212.* check --contract/, 'no contract at that address');
    oneLineError(t, await run(['wallet', 'coins', '--l1-rpc', 'http://127.0.0.1:9'], alice), 1, /cannot reach the L1 node at http:\/\/127\.0\.0\.1:9.*; start the L1 node or pass --l1-rpc$/, 'L1 down');
    oneLineError(t, await run(['wallet', 'exit', 'abc'], alice), 2, /^plasma wallet exit: "abc" is not a coin slot: a whole number below 2\^64/, 'bad slot');
    oneLineError(t, await run(['wallet', 'exit', (1n << 64n).toString()], alice), 2, /is not a coin slot/, 'slot out of range');
    oneLineError(t, await run(['wallet', 'exit'], alice), 2, /the coin's slot is missing: plasma wallet exit <slot>/, 'no slot');
    oneLineError(t, await run(['wallet', 'send', slot, '0x1234'], alice), 2, /^plasma wallet send: the receiver <to> must be an address \(0x \+ 40 hex digits\), got "0x1234"$/, 'bad address');
    oneLineError(t, await run(['wallet', 'send', slot, '0x70997970c51812DC3A010C7d01b50e0d17dc79C8'], alice), 2, /wrong checksum/, 'bad checksum');
    oneLineError(t, await run(['wallet', 'exit', '12345'], alice), 1, /^plasma wallet exit: this wallet holds no coin 12345; receive it first \(plasma wallet receive 12345\)$/, 'unknown coin');
    oneLineError(t, await run(['wallet', 'receive', '12345'], alice), 1, /^plasma wallet receive: the operator answered 404 unknown_coin: /, 'a coin the operator does not know');
    oneLineError(t, await run(['wallet', 'deposit', 'eth', '0'], alice), 2, /the amount of ether must be more than zero/, 'zero deposit');
    oneLineError(t, await run(['wallet', 'deposit', 'gold', '1'], alice), 2, /cannot deposit "gold": plasma wallet deposit eth/, 'unknown asset');
    oneLineError(t, await run(['wallet', 'coins', '--private-key', aliceKey], alice), 2, /--private-key is not accepted: keys and passwords are never taken as flags/, 'a key as a flag');
    oneLineError(t, await run(['wallet', 'coins'], { ...alice, PLASMA_WALLET_KEY: '0x1234' }), 2, /^plasma wallet coins: PLASMA_WALLET_KEY must be 32 bytes of hex .*the value is not shown$/, 'a malformed key');
    oneLineError(t, await run(['wallet', 'coins'], { ...alice, PLASMA_WALLET_KEY: '' }), 2, /a wallet key is required: set PLASMA_WALLET_KEY, or pass --keystore <file>/, 'no key');
    oneLineError(t, await run(['wallet', 'frobnicate'], alice), 2, /unknown subcommand "frobnicate"/, 'unknown subcommand');
    oneLineError(t, await run(['wallet', 'receive', '--package', path.join(system.dataDir, 'nope.json')], alice), 1, /cannot read the package .*nope\.json: ENOENT; check the path/, 'a missing package');
    const garbage = path.join(system.dataDir, 'garbage.json');
    await writeFile(garbage, '{"slot":"1"}');
    oneLineError(t, await run(['wallet', 'receive', '--package', garbage], alice), 1, /the package .*garbage\.json is not a coin history: /, 'a malformed package');
    oneLineError(t, await run(['wallet', 'receive', slot], { ...bob, PLASMA_OPERATOR_URL: 'http://127.0.0.1:9' }), 1, /^plasma wallet receive: the operator at http:\/\/127\.0\.0\.1:9 is unreachable .*; start it or pass --operator-url$/, 'operator down');
    oneLineError(t, await run(['wallet', 'deposit', 'eth', '0.1'], { ...alice, PLASMA_OPERATOR_URL: 'http://127.0.0.1:9' }), 1, /^plasma wallet deposit: coin \d+ is deposited on L1 and in `plasma wallet coins`, but the operator does not confirm it yet: the operator at http:\/\/127\.0\.0\.1:9 is unreachable/, 'a deposit the operator cannot confirm still names its slot');
    oneLineError(t, await run(['watch', '--poll-interval-ms', 'soon'], alice), 2, /^plasma watch: --poll-interval-ms must be a whole number from 10 to 3600000, got "soon"$/, 'bad watch option');
    const help = await run(['wallet', 'exit', '--help'], {});
    t.equal(help.code, 0);
    t.match(help.stdout, /Usage: plasma wallet exit <slot>/);
  });
});

t.test('keystore: created encrypted, opened with the password from the environment or a file, a wrong one refused', async (t) => {
  const dir = t.testdir({ 'password.txt': 'correct horse battery\n', 'short.txt': 'abc\n' });
  const keystore = path.join(dir, 'key.json');
  const created = await run(['wallet', 'new-keystore', '--out', keystore], { PLASMA_KEYSTORE_PASSWORD: 'correct horse battery' });
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^0x[0-9a-fA-F]{40}\n$/, 'stdout is the new address');
  const json = JSON.parse(await readFile(keystore, 'utf8')) as { address: string; crypto?: unknown; Crypto?: unknown };
  t.ok(json.crypto ?? json.Crypto, 'the file is an encrypted JSON keystore');

  const fromFile = await run(['wallet', 'address', '--keystore', keystore, '--password-file', path.join(dir, 'password.txt')], {});
  t.equal(fromFile.code, 0, fromFile.stderr);
  t.equal(fromFile.stdout, created.stdout, 'the password file opens it (its final newline is not part of the password)');
  const fromEnv = await run(['wallet', 'address'], { PLASMA_KEYSTORE: keystore, PLASMA_KEYSTORE_PASSWORD: 'correct horse battery' });
  t.equal(fromEnv.stdout, created.stdout, 'PLASMA_KEYSTORE + PLASMA_KEYSTORE_PASSWORD open it');

  oneLineError(t, await run(['wallet', 'address', '--keystore', keystore], { PLASMA_KEYSTORE_PASSWORD: 'wrong horse' }), 1, new RegExp(`^plasma wallet address: wrong password for the keystore ${keystore.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: check PLASMA_KEYSTORE_PASSWORD or the --password-file$`), 'wrong password');
  oneLineError(t, await run(['wallet', 'address', '--keystore', keystore], {}), 2, /needs a password: set PLASMA_KEYSTORE_PASSWORD or pass --password-file <file>/, 'no password');
  oneLineError(t, await run(['wallet', 'address', '--keystore', keystore], { PLASMA_WALLET_KEY: `0x${'01'.repeat(32)}`, PLASMA_KEYSTORE_PASSWORD: 'x' }), 2, /pass one key: PLASMA_WALLET_KEY and --keystore are both set/, 'two key sources');
  oneLineError(t, await run(['wallet', 'address', '--keystore', path.join(dir, 'password.txt'), '--password-file', path.join(dir, 'password.txt')], {}), 1, /password\.txt is not an encrypted JSON keystore/, 'not a keystore');
  oneLineError(t, await run(['wallet', 'new-keystore', '--out', keystore], { PLASMA_KEYSTORE_PASSWORD: 'correct horse battery' }), 1, /already exists: a keystore is never overwritten/, 'no overwrite');
  oneLineError(t, await run(['wallet', 'new-keystore', '--out', path.join(dir, 'other.json'), '--password-file', path.join(dir, 'short.txt')], {}), 2, /at least 8 characters/, 'a short password');

  const imported = path.join(dir, 'imported.json');
  const key = Wallet.createRandom();
  const fromKey = await run(['wallet', 'new-keystore', '--out', imported, '--from-env'], { PLASMA_WALLET_KEY: key.privateKey, PLASMA_KEYSTORE_PASSWORD: 'correct horse battery' });
  t.equal(fromKey.stdout.trim(), key.address, '--from-env encrypts PLASMA_WALLET_KEY');
  t.notOk(`${fromKey.stdout}${fromKey.stderr}`.includes(key.privateKey.slice(2)), 'the key is not printed');
});

t.test('ERC-20 and ERC-721 deposits in whole units; a token you do not hold is refused before any transaction', async (t) => {
  const system = await startSystem(t, 'wallet_cli_tokens');
  const alice = { PLASMA_L1_RPC: system.chain.rpcUrl, PLASMA_CONTRACT: system.chain.address, PLASMA_OPERATOR_URL: system.operator.url, PLASMA_WALLET_KEY: system.chain.users[0]!.privateKey, PLASMA_WALLET_DIR: path.join(system.dataDir, 'alice') };
  const tokens = await deployDemoTokens(new NonceManager(system.chain.operator) as never);
  const abi = ['function mint(address to, uint256 amountOrId)'];
  const holder = system.chain.users[0]!;
  await (await new Contract(tokens.erc20, abi, holder).getFunction('mint')(holder.address, parseUnits('100', 18))).wait();
  await (await new Contract(tokens.erc721, abi, holder).getFunction('mint')(holder.address, 7n)).wait();

  const erc20 = await run(['wallet', 'deposit', 'erc20', tokens.erc20, '2.5'], alice);
  t.equal(erc20.code, 0, erc20.stderr);
  const nft = await run(['wallet', 'deposit', 'erc721', tokens.erc721, '7'], alice);
  t.equal(nft.code, 0, nft.stderr);
  const coins = JSON.parse((await run(['wallet', 'coins', '--json'], alice)).stdout) as { slot: string; kind: string; denomination: string; tokenId: string }[];
  t.match(coins.find((coin) => coin.slot === erc20.stdout.trim()), { kind: 'erc20', denomination: parseUnits('2.5', 18).toString() });
  t.match(coins.find((coin) => coin.slot === nft.stdout.trim()), { kind: 'erc721', tokenId: '7' });
  t.match((await run(['wallet', 'coins'], alice)).stdout, /2\.5 DEMO[\s\S]*DNFT #7/, 'the table names the tokens');

  oneLineError(t, await run(['wallet', 'deposit', 'erc20', tokens.erc20, '1000'], alice), 1, /holds 97\.5 of 0x[0-9a-f]{40}, less than 1000/, 'not enough tokens');
  oneLineError(t, await run(['wallet', 'deposit', 'erc721', tokens.erc721, '8'], alice), 1, /has no token 8 \(ownerOf failed\)/, 'an id that does not exist');
  oneLineError(t, await run(['wallet', 'deposit', 'erc20', tokens.erc20, '1.0000000000000000001'], alice), 2, /more than 18 decimals/, 'too many decimals');
});

t.test('plasma watch runs as a daemon, reports through --status while it runs, and stops on SIGTERM', async (t) => {
  const system = await startSystem(t, 'watch_cli');
  const env = { PLASMA_L1_RPC: system.chain.rpcUrl, PLASMA_CONTRACT: system.chain.address, PLASMA_OPERATOR_URL: system.operator.url, PLASMA_WALLET_KEY: system.chain.users[0]!.privateKey, PLASMA_WALLET_DIR: path.join(system.dataDir, 'alice') };
  const child = spawn(BIN, ['watch', '--poll-interval-ms', '100', '--verify-l1'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': only then has all of stderr been read, with the last line we check below.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.teardown(() => void child.kill('SIGKILL'));
  await until('the watcher started', async () => stderr.includes('"watcher started"') || (child.exitCode !== null ? Promise.reject(new Error(stderr)) : false), 30_000);

  // A deposit made by the wallet command while the daemon runs: the daemon verifies the coin's blocks.
  const deposited = await run(['wallet', 'deposit', 'eth', '0.5'], env);
  t.equal(deposited.code, 0, deposited.stderr);
  const head = BigInt(await system.chain.provider.getBlockNumber());
  const status = await until('a round after the deposit', async () => {
    const result = await run(['watch', '--status'], env);
    const parsed = JSON.parse(result.stdout) as { running: boolean; l1Cursor: string; daemon: { pid: number; lastRound?: string } | null };
    return parsed.daemon?.lastRound !== undefined && BigInt(parsed.l1Cursor) >= head ? parsed : undefined;
  }, 30_000, 200);
  t.match(status, { running: true, daemon: { pid: child.pid }, coins: [{ slot: deposited.stdout.trim() }] }, '--status reads the running daemon\'s state');

  const second = await run(['watch'], env);
  oneLineError(t, second, 1, /a watcher \(pid \d+\) already runs for 0x[0-9a-f]{40} on this --data-dir; stop it first/, 'a second daemon for the same account');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops it with exit code 0');
  const lines = stderr.trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string });
  t.ok(lines.every((line) => typeof line.level === 'string' && typeof line.msg === 'string'), 'every log line is JSON with level and msg');
  t.match(lines.at(-1), { level: 'info', msg: 'watcher stopped' });
  t.notOk(stderr.includes(env.PLASMA_WALLET_KEY.slice(2)), 'the key is not logged');
  t.match(JSON.parse((await run(['watch', '--status'], env)).stdout), { running: false, daemon: { stoppedAt: String } }, 'after the stop, --status says so');
});

t.test('the --verify-l1 adapter names the exit statuses', async (t) => {
  t.same([0n, 1n, 2n, 3n, 9n].map(exitStatusName), ['none', 'live', 'finalized', 'cancelled', 'unknown(9)']);
});
