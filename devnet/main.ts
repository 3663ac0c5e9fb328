// `npm start`: a local Plasma Cash devnet: anvil, PlasmaCash and demo tokens, and the operator in-process on
// an embedded Postgres (confirmations 0, 1-second blocks). The watchers join it with issue #3.
import { JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ANVIL_KEYS, startAnvil } from './anvil.ts';
import { DEFAULT_PARAMS, deployDemoTokens, deployPlasmaCash } from '../operator/chain/deploy.ts';
import { operatorConfig } from '../operator/config.ts';
import { createLog } from '../operator/log.ts';
import { startOperator, type RunningOperator } from '../operator/service.ts';

const { values } = parseArgs({
  options: {
    'l1-port': { type: 'string', default: '8545' },
    'http-port': { type: 'string', default: '8080' },
    'data-dir': { type: 'string', default: './data/devnet-postgres' },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm start [-- --l1-port 8545 --http-port 8080 --data-dir ./data/devnet-postgres --verbose]

Starts a local anvil chain, deploys PlasmaCash and demo ERC-20/ERC-721 tokens, runs the operator on an embedded
Postgres, prints the endpoints and a walkthrough. Ctrl-C stops everything. The chain is new on every start, so
the operator's data directory is emptied at start. --verbose prints the operator's JSON logs.`);
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

const step = (text: string) => console.log(`• ${text}`);

step(`starting anvil on 127.0.0.1:${port}…`);
const anvil = await startAnvil({ port, blockTimeSeconds: 1 });
let operator: RunningOperator | undefined;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  if (operator !== undefined) {
    step('stopping the operator…');
    await operator.stop();
  }
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
  step(`starting the operator on an embedded Postgres in ${dataDir}…`);
  await rm(dataDir, { recursive: true, force: true });
  operator = await startOperator(
    operatorConfig({
      'l1-rpc': anvil.rpcUrl,
      contract: plasma,
      'operator-key': deployerKey,
      'data-dir': dataDir,
      port: httpPort,
      confirmations: 0,
      'block-interval-ms': 1000,
      'l1-poll-interval-ms': 500,
    }),
    { log: createLog({ level: values.verbose ? 'info' : 'warn' }) },
  );

  const alice = new Wallet(ANVIL_KEYS[1]);
  const api = operator.url;
  console.log(`
Plasma Cash devnet is up.
  L1 RPC          ${anvil.rpcUrl} (chain id 31337)
  PlasmaCash      ${plasma}
  operator        ${operatorAddress}
  Demo ERC-20     ${tokens.erc20}
  Demo ERC-721    ${tokens.erc721}
  alice           ${alice.address} (anvil account 1, key ${ANVIL_KEYS[1]})

  Operator API    ${api}  (status: ${api}/v1/status, metrics: ${api}/metrics)
  Postgres        embedded (PGlite) in ${dataDir}

Walkthrough (cast is in node_modules/.bin):
  export PATH=$PWD/node_modules/.bin:$PATH RPC=${anvil.rpcUrl} PLASMA=${plasma} KEY=${ANVIL_KEYS[1]} API=${api}
  # 1. deposit 1 ETH: one coin; its slot is topics[1] of the Deposit log
  SLOT=$(cast send $PLASMA 'deposit()' --value 1ether --private-key $KEY --rpc-url $RPC --json | jq -r '.logs[0].topics[1]' | cast to-dec)
  # 2. within a second the operator has it (owner alice, state deposited)
  curl $API/v1/coins/$SLOT
  # 3. its history so far (the deposit), the blocks and the operator's health
  curl $API/v1/coins/$SLOT/history; curl $API/v1/blocks/latest; curl $API/v1/status
  # 4. take it back to L1 (exit period 7 days on this devnet)
  cast send $PLASMA 'startDepositExit(uint64)' $SLOT --value 0.1ether --private-key $KEY --rpc-url $RPC

Without jq: SLOT is topics[1] of the Deposit log printed by \`cast send … deposit()\` (convert with \`cast to-dec\`).
Transfers are signed EIP-712 messages POSTed to $API/v1/transactions (client/protocol signTransaction);
the wallet and watchers (issue #3) will do that for you.
Press Ctrl-C to stop.`);
} catch (error) {
  // ethers errors carry the whole transaction in `message`; `shortMessage` is the readable part.
  const reason = (error as { shortMessage?: string }).shortMessage ?? (error instanceof Error ? error.message : String(error));
  console.error(`devnet failed to start: ${reason}`);
  await operator?.stop();
  await anvil.stop();
  process.exit(1);
}
