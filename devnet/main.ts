// `npm start`: a local Plasma Cash devnet: anvil, PlasmaCash and demo tokens, the operator in-process on an
// embedded Postgres (confirmations 0, 1-second blocks), and one watcher per demo account (alice, bob, carol =
// anvil accounts 1-3) in-process, each on its own wallet directory, which `plasma wallet` shares.
import { Contract, JsonRpcProvider, NonceManager, parseUnits, Wallet } from 'ethers';
import postgres from 'postgres';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ANVIL_KEYS, startAnvil } from './anvil.ts';
import { DEFAULT_PARAMS, deployDemoTokens, deployPlasmaCash } from '../client/l1/deploy.ts';
import { operatorConfig } from '../operator/config.ts';
import { createLog } from '../operator/log.ts';
import { guardPostgresNullSocketWrite } from '../operator/pg-crash-guard.ts';
import { startOperator, type RunningOperator } from '../operator/service.ts';
import type { Address } from '../client/protocol/index.ts';
import { PlasmaWallet } from '../client/wallet/wallet.ts';
import { Watcher } from '../client/watcher/watcher.ts';
import { startHeartbeat } from '../client/watcher/heartbeat.ts';

const startedAt = performance.now();

const { values } = parseArgs({
  options: {
    'l1-port': { type: 'string', default: '8545' },
    'http-port': { type: 'string', default: '8080' },
    'data-dir': { type: 'string', default: './data/devnet-postgres' },
    'wallets-dir': { type: 'string', default: './data/devnet-wallets' },
    'database-url': { type: 'string' },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm start [-- --l1-port 8545 --http-port 8080 --data-dir ./data/devnet-postgres
                    --wallets-dir ./data/devnet-wallets --database-url postgres://… --verbose]

Starts a local anvil chain, deploys PlasmaCash and demo ERC-20/ERC-721 tokens (each demo account gets 1000 DEMO
and one DNFT), runs the operator on an embedded Postgres and a watcher for each of alice, bob and carol (anvil
accounts 1-3, wallet state in --wallets-dir/<name>), prints the endpoints and a \`plasma wallet\` walkthrough.
Ctrl-C stops everything. The chain is new on every start, so the operator's data directory and the wallet
directories are emptied at start. --database-url postgres://user@host:port runs the operator on that Postgres
server instead, in a new database plasma_devnet_<time> dropped on Ctrl-C. --verbose prints the operator's and
the watchers' JSON logs.`);
  process.exit(0);
}
function portOf(flag: 'l1-port' | 'http-port'): number {
  const value = Number(values[flag]);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`--${flag} must be a TCP port number, got "${values[flag]}"`);
    process.exit(2);
  }
  return value;
}
const port = portOf('l1-port');
const httpPort = portOf('http-port');
const dataDir = path.resolve(values['data-dir']);
const databaseServer = values['database-url']?.replace(/\/+$/, '');
if (databaseServer !== undefined && !/^postgres(ql)?:\/\/[^/]+$/.test(databaseServer)) {
  console.error(`--database-url must name a Postgres server, postgres://user@host:port (the devnet creates its own database there), got "${databaseServer}"`);
  process.exit(2);
}
const walletsDir = path.resolve(values['wallets-dir']);
/** A path as the user can paste it from the directory npm start runs in. */
const shown = (dir: string) => {
  const relative = path.relative(process.cwd(), dir);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? dir : relative;
};
const ACCOUNTS = [
  { name: 'alice', key: ANVIL_KEYS[1], nft: 1n },
  { name: 'bob', key: ANVIL_KEYS[2], nft: 2n },
  { name: 'carol', key: ANVIL_KEYS[3], nft: 3n },
] as const;

const step = (text: string) => console.log(`• ${text}`);

step(`starting anvil on 127.0.0.1:${port}…`);
const anvil = await startAnvil({ port, blockTimeSeconds: 1 }).catch((error: unknown) => {
  // One line, no stack: the message says what to do (e.g. a port already in use: another devnet still running).
  console.error(`devnet failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
let operator: RunningOperator | undefined;
let dropDatabase: (() => Promise<void>) | undefined;
const watchers: { name: string; wallet: PlasmaWallet; stop(): Promise<void> }[] = [];
let stopping = false;
const stopWatchers = async () => {
  if (watchers.length > 0) step('stopping the watchers…');
  for (const watcher of watchers.splice(0)) {
    await watcher.stop();
    watcher.wallet.close();
  }
};
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stopWatchers();
  if (operator !== undefined) {
    step('stopping the operator…');
    await operator.stop();
  }
  await dropDatabase?.();
  step('stopping anvil…');
  await anvil.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { pollingInterval: 250 });
  const deployerKey = ANVIL_KEYS[0];
  const deployer = new NonceManager(new Wallet(deployerKey, provider));
  const operatorAddress = await deployer.getAddress();

  step('deploying PlasmaCash (operator = anvil account 0)…');
  const plasma = await deployPlasmaCash(deployer, { operator: operatorAddress, ...DEFAULT_PARAMS });
  step('deploying the demo tokens…');
  const tokens = await deployDemoTokens(deployer);

  // A fresh anvil means a fresh contract: yesterday's operator database would not match it.
  let database: Record<string, string>;
  if (databaseServer === undefined) {
    step(`starting the operator on an embedded Postgres in ${dataDir}…`);
    await rm(dataDir, { recursive: true, force: true });
    database = { 'data-dir': dataDir };
  } else {
    const name = `plasma_devnet_${Date.now()}`;
    step(`starting the operator on ${databaseServer.replace(/:[^:@/]*@/, ':***@')}, database ${name}…`);
    const admin = postgres(`${databaseServer}/postgres`, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    dropDatabase = async () => {
      step(`dropping the database ${name}…`);
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch((error: unknown) => console.error(`could not drop ${name}: ${String(error)}`));
      await admin.end();
    };
    database = { 'database-url': `${databaseServer}/${name}` };
  }
  const operatorLog = createLog({ level: values.verbose ? 'info' : 'warn' });
  // The operator runs in this process: the known postgres.js crash on a connection lost mid-write must not end it.
  guardPostgresNullSocketWrite(operatorLog);
  operator = await startOperator(
    operatorConfig({
      'l1-rpc': anvil.rpcUrl,
      contract: plasma,
      'operator-key': deployerKey,
      ...database,
      port: httpPort,
      confirmations: 0,
      'block-interval-ms': 1000,
      'l1-poll-interval-ms': 500,
    }),
    { log: operatorLog },
  );

  step('minting demo tokens for alice, bob and carol (1000 DEMO and one DNFT each)…');
  const erc20 = new Contract(tokens.erc20, ['function mint(address to, uint256 amount)'], deployer);
  const erc721 = new Contract(tokens.erc721, ['function mint(address to, uint256 tokenId)'], deployer);
  const mints = [];
  for (const account of ACCOUNTS) {
    const address = new Wallet(account.key).address;
    mints.push(await erc20.getFunction('mint')(address, parseUnits('1000', 18)));
    mints.push(await erc721.getFunction('mint')(address, account.nft));
  }
  await Promise.all(mints.map((tx: { wait(): Promise<unknown> }) => tx.wait()));

  // Yesterday's wallet state names yesterday's contract: start the demo wallets empty too.
  step(`starting a watcher for alice, bob and carol (wallet state in ${shown(walletsDir)}/<name>)…`);
  await rm(walletsDir, { recursive: true, force: true });
  const watcherLog = createLog({ level: 'info' });
  for (const account of ACCOUNTS) {
    const wallet = await PlasmaWallet.open({ rpcUrl: anvil.rpcUrl, contract: plasma.toLowerCase() as Address, operatorUrl: operator.url, privateKey: account.key, dataDir: path.join(walletsDir, account.name) });
    let lastError: unknown;
    const watcher = new Watcher({
      wallet,
      pollIntervalMs: 1000,
      log: ({ level, event, ...fields }) => {
        if (values.verbose) return watcherLog.entry({ level, msg: event, watcher: account.name, ...fields });
        // Quiet mode: what the watcher decided, and a failing round once (not every second).
        if (event === 'decision') {
          const outcome = fields['error'] === undefined ? '' : ` (failed: ${String(fields['error'])})`;
          const coin = fields['action'] === 'withdrawBonds' ? '' : ` on coin ${String(fields['slot'])}`;
          console.log(`  [${account.name}'s watcher] ${String(fields['action'])}${coin}: ${String(fields['reason'])}${outcome}`);
        } else if (event === 'round_failed' && fields['error'] !== lastError) {
          console.log(`  [${account.name}'s watcher] a round failed: ${String(fields['error'])}; it retries every second`);
        }
        if (event === 'round_failed') lastError = fields['error'];
        else if (event !== undefined) lastError = undefined;
      },
    });
    watcher.start();
    const heartbeat = await startHeartbeat(watcher, 1000);
    watchers.push({ name: account.name, wallet, stop: () => heartbeat.stop() });
    step(`${account.name}'s watcher runs (${wallet.address})`);
  }

  const [alice, bob, carol] = ACCOUNTS.map((account) => new Wallet(account.key).address);
  const api = operator.url;
  const dir = (name: string) => shown(path.join(walletsDir, name));
  console.log(`
Plasma Cash devnet is up (${Math.round((performance.now() - startedAt) / 1000)} s).
  L1 RPC          ${anvil.rpcUrl} (chain id 31337)
  PlasmaCash      ${plasma}
  operator        ${operatorAddress}
  Demo ERC-20     ${tokens.erc20} (DEMO)
  Demo ERC-721    ${tokens.erc721} (DNFT)
  alice           ${alice} (anvil account 1, key ${ANVIL_KEYS[1]}, DNFT #1)
  bob             ${bob} (anvil account 2, key ${ANVIL_KEYS[2]}, DNFT #2)
  carol           ${carol} (anvil account 3, key ${ANVIL_KEYS[3]}, DNFT #3)

  Operator API    ${api}  (status: ${api}/v1/status, metrics: ${api}/metrics)
  Postgres        ${databaseServer === undefined ? `embedded (PGlite) in ${dataDir}` : 'the server given by --database-url'}
  Watchers        alice, bob, carol, in this process; wallet state in ${shown(walletsDir)}/<name>

Walkthrough: alice pays bob one coin, bob takes it back to L1. Paste into another terminal, in this directory:
  export PLASMA_L1_RPC=${anvil.rpcUrl} PLASMA_CONTRACT=${plasma} PLASMA_OPERATOR_URL=${api}
  # 1. as alice: deposit 1 ETH; it prints the new coin's slot once the operator has it
  export PLASMA_WALLET_KEY=${ANVIL_KEYS[1]} PLASMA_WALLET_DIR=${dir('alice')}
  SLOT=$(npx plasma wallet deposit eth 1)
  # 2. send it to bob; coin.json is its whole history, for bob to check
  npx plasma wallet send $SLOT ${bob} --out coin.json
  # 3. as bob: verify that history against the roots on L1 and take the coin
  export PLASMA_WALLET_KEY=${ANVIL_KEYS[2]} PLASMA_WALLET_DIR=${dir('bob')}
  npx plasma wallet receive --package coin.json
  npx plasma wallet coins
  # 4. exit to L1 (0.1 ETH bond, 7-day exit period), then see bob's watcher state
  npx plasma wallet exit $SLOT
  npx plasma watch --status
  # 5. skip the 7 days on anvil: bob's watcher finalizes, withdraws and takes the bond back by itself
  npx cast rpc evm_increaseTime 604801 --rpc-url $PLASMA_L1_RPC
  npx plasma wallet coins                     # a few seconds later: withdrawn

Tokens work the same way: npx plasma wallet deposit erc20 ${tokens.erc20} 25
                          npx plasma wallet deposit erc721 ${tokens.erc721} 2     (as bob)
\`npx plasma wallet --help\` lists every command. The watchers' decisions are printed here as they happen.
Press Ctrl-C to stop.`);
} catch (error) {
  // ethers errors carry the whole transaction in `message`; `shortMessage` is the readable part.
  const reason = (error as { shortMessage?: string }).shortMessage ?? (error instanceof Error ? error.message : String(error));
  console.error(`devnet failed to start: ${reason}`);
  await stopWatchers();
  await operator?.stop();
  await dropDatabase?.();
  await anvil.stop();
  process.exit(1);
}
