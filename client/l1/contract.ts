// The PlasmaCash ABI as an ethers Interface, the one eth_call helper, and the views the operator reads with it.
import { Interface, type InterfaceAbi, type Result } from 'ethers';
import type { Hash } from '../protocol/index.ts';
import { loadArtifact } from './artifacts.ts';
import { quantity, type JsonRpc } from './rpc.ts';

let cached: Interface | undefined;

export function plasmaCashInterface(): Interface {
  cached ??= new Interface(loadArtifact('PlasmaCash').abi as InterfaceAbi);
  return cached;
}

/** `name(...args)` of PlasmaCash at `contract` through eth_call, decoded (raw answer: no provider cache). */
export async function callPlasmaCash(rpc: JsonRpc, contract: string, name: string, args: readonly unknown[] = [], blockTag: bigint | 'latest' = 'latest'): Promise<Result> {
  const iface = plasmaCashInterface();
  const data = iface.encodeFunctionData(name, args);
  const result = await rpc.request<string>('eth_call', [{ to: contract, data }, blockTag === 'latest' ? 'latest' : quantity(blockTag)]);
  return iface.decodeFunctionResult(name, result);
}

export async function childBlockRoot(rpc: JsonRpc, contract: string, blockNumber: bigint): Promise<Hash> {
  return (await callPlasmaCash(rpc, contract, 'childBlockRoot', [blockNumber]))[0] as Hash;
}

export async function nextChildBlock(rpc: JsonRpc, contract: string): Promise<bigint> {
  return (await callPlasmaCash(rpc, contract, 'nextChildBlock'))[0] as bigint;
}

/** The only address PlasmaCash lets submit blocks (its immutable OPERATOR). */
export async function contractOperator(rpc: JsonRpc, contract: string): Promise<string> {
  return (await callPlasmaCash(rpc, contract, 'OPERATOR'))[0] as string;
}
