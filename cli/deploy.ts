// `plasma deploy`: deploys PlasmaCash and prints its address on stdout (only the address, for scripts).
import { JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { deployHelp, parseDeployConfig, type Env } from '../operator/config.ts';
import { commandConfig } from '../client/options.ts';
import { DEFAULT_PARAMS, deployPlasmaCash } from '../client/l1/deploy.ts';
import { errorMessage } from '../client/error-message.ts';
import type { Io } from './io.ts';

export async function runDeploy(argv: readonly string[], env: Env, io: Io): Promise<number> {
  const read = commandConfig('deploy', () => parseDeployConfig(argv, env), deployHelp, io);
  if ('exitCode' in read) return read.exitCode;
  const { config } = read;
  const provider = new JsonRpcProvider(config.l1Rpc, undefined, { staticNetwork: false, pollingInterval: 250 });
  try {
    let chainId: bigint;
    try {
      chainId = (await provider.getNetwork()).chainId;
    } catch (error) {
      io.err(`plasma deploy: cannot reach the L1 RPC at ${config.l1Rpc}: ${errorMessage(error)}; start anvil or pass --l1-rpc\n`);
      return 1;
    }
    const deployer = new NonceManager(new Wallet(config.deployerKey, provider));
    const operator = config.operator ?? (await deployer.getAddress());
    io.err(`deploying PlasmaCash on chain ${chainId} (operator ${operator})…\n`);
    const address = await deployPlasmaCash(deployer, {
      operator,
      exitPeriodSeconds: config.exitPeriodSeconds ?? DEFAULT_PARAMS.exitPeriodSeconds,
      responsePeriodSeconds: config.responsePeriodSeconds ?? DEFAULT_PARAMS.responsePeriodSeconds,
      exitBondWei: config.exitBondWei ?? DEFAULT_PARAMS.exitBondWei,
      challengeBondWei: config.challengeBondWei ?? DEFAULT_PARAMS.challengeBondWei,
    });
    io.out(`${address}\n`);
    return 0;
  } catch (error) {
    io.err(`plasma deploy: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    provider.destroy();
  }
}
