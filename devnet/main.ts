// `npm start`: a local Plasma Cash devnet. Today it starts anvil and deploys PlasmaCash with demo tokens;
// the operator and the watchers join it as they are built (issues #2 and #3).
import { JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { parseArgs } from 'node:util';
import { ANVIL_KEYS, startAnvil } from './anvil.ts';
import { DEFAULT_PARAMS, deployDemoTokens, deployPlasmaCash } from '../operator/chain/deploy.ts';

const { values } = parseArgs({
  options: {
    'l1-port': { type: 'string', default: '8545' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm start [-- --l1-port 8545]

Starts a local anvil chain, deploys PlasmaCash and demo ERC-20/ERC-721 tokens, prints the addresses and a
walkthrough. Ctrl-C stops everything.`);
  process.exit(0);
}
const port = Number(values['l1-port']);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`--l1-port must be a TCP port number, got "${values['l1-port']}"`);
  process.exit(2);
}

const step = (text: string) => console.log(`• ${text}`);

step(`starting anvil on 127.0.0.1:${port}…`);
const anvil = await startAnvil({ port, blockTimeSeconds: 1 });
const stop = async () => {
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

  const alice = new Wallet(ANVIL_KEYS[1]);
  console.log(`
Plasma Cash devnet is up.
  L1 RPC          ${anvil.rpcUrl} (chain id 31337)
  PlasmaCash      ${plasma}
  operator        ${operatorAddress}
  Demo ERC-20     ${tokens.erc20}
  Demo ERC-721    ${tokens.erc721}
  alice           ${alice.address} (anvil account 1, key ${ANVIL_KEYS[1]})

Try the contract directly with cast (node_modules/.bin/cast):
  export RPC=${anvil.rpcUrl} PLASMA=${plasma} KEY=${ANVIL_KEYS[1]}
  cast send $PLASMA 'deposit()' --value 1ether --private-key $KEY --rpc-url $RPC
  cast call $PLASMA 'nextDepositBlock()(uint256)' --rpc-url $RPC
  cast send $PLASMA 'startDepositExit(uint64)' <slot: topics[1] of the Deposit log in the receipt> --value 0.1ether --private-key $KEY --rpc-url $RPC

The operator and the coin holders' watchers join this devnet with issues #2 and #3.
Press Ctrl-C to stop.`);
} catch (error) {
  // ethers errors carry the whole transaction in `message`; `shortMessage` is the readable part.
  const reason = (error as { shortMessage?: string }).shortMessage ?? (error instanceof Error ? error.message : String(error));
  console.error(`devnet failed to start: ${reason}`);
  await anvil.stop();
  process.exit(1);
}
