// The PlasmaCash ABI as an ethers Interface, and the two views the operator reads with eth_call.
import { Interface, type InterfaceAbi } from 'ethers';
import type { Hash } from '../protocol/index.ts';
import { loadArtifact } from './artifacts.ts';
import type { JsonRpc } from './rpc.ts';

let cached: Interface | undefined;

export function plasmaCashInterface(): Interface {
  cached ??= new Interface(loadArtifact('PlasmaCash').abi as InterfaceAbi);
  return cached;
}

async function call(rpc: JsonRpc, contract: string, name: string, args: readonly unknown[], blockTag = 'latest'): Promise<unknown> {
  const iface = plasmaCashInterface();
  const data = iface.encodeFunctionData(name, args);
  const result = await rpc.request<string>('eth_call', [{ to: contract, data }, blockTag]);
  return iface.decodeFunctionResult(name, result)[0];
}

export async function childBlockRoot(rpc: JsonRpc, contract: string, blockNumber: bigint): Promise<Hash> {
  return (await call(rpc, contract, 'childBlockRoot', [blockNumber])) as Hash;
}

export async function nextChildBlock(rpc: JsonRpc, contract: string): Promise<bigint> {
  return (await call(rpc, contract, 'nextChildBlock', [])) as bigint;
}

/** The only address PlasmaCash lets submit blocks (its immutable OPERATOR). */
export async function contractOperator(rpc: JsonRpc, contract: string): Promise<string> {
  return (await call(rpc, contract, 'OPERATOR', [])) as string;
}

export const ZERO_ROOT: Hash = `0x${'0'.repeat(64)}`;
