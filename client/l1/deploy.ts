// Deployment of PlasmaCash (and the devnet's demo tokens) with ethers, from the shipped artifacts (./artifacts.ts).
import { ContractFactory, parseEther, type Signer } from 'ethers';
import { loadArtifact, type ContractName } from './artifacts.ts';

/** The constructor parameters of PlasmaCash (PROTOCOL.md §6 defaults). */
export interface PlasmaCashParams {
  readonly operator: string;
  readonly exitPeriodSeconds: bigint;
  readonly responsePeriodSeconds: bigint;
  readonly exitBondWei: bigint;
  readonly challengeBondWei: bigint;
}

export const DEFAULT_PARAMS: Omit<PlasmaCashParams, 'operator'> = {
  exitPeriodSeconds: 7n * 24n * 3600n,
  responsePeriodSeconds: 24n * 3600n,
  exitBondWei: parseEther('0.1'),
  challengeBondWei: parseEther('0.1'),
};

async function deploy(signer: Signer, name: ContractName, args: unknown[]): Promise<string> {
  const artifact = loadArtifact(name);
  const factory = new ContractFactory(artifact.abi as never[], artifact.bytecode, signer);
  const contract = await factory.deploy(...args);
  await contract.waitForDeployment();
  return contract.getAddress();
}

/** Deploys PlasmaCash and resolves with its address once mined. */
export function deployPlasmaCash(signer: Signer, params: PlasmaCashParams): Promise<string> {
  return deploy(signer, 'PlasmaCash', [
    params.operator,
    params.exitPeriodSeconds,
    params.responsePeriodSeconds,
    params.exitBondWei,
    params.challengeBondWei,
  ]);
}

/** Deploys the devnet's open-mint demo ERC-20 and ERC-721. */
export async function deployDemoTokens(signer: Signer): Promise<{ erc20: string; erc721: string }> {
  const erc20 = await deploy(signer, 'DemoERC20', []);
  const erc721 = await deploy(signer, 'DemoERC721', []);
  return { erc20, erc721 };
}
