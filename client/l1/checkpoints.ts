/**
 * The operator's side of PlasmaCash's checkpoint calls and events (docs/CHECKPOINTS.md §2), on top of
 * checkpoint-game.ts (the artifact's interface and the typed reads): the
 * submitCheckpoint calldata, the CheckpointSubmitted lookup the committer confirms a submission by, and the
 * eth_call simulation that keeps a doomed call from being signed.
 */
import type { Hash, Hex, LeafStatusName } from '../protocol/index.ts';
import { CheckpointGameL1, checkpointGameInterface, NoCheckpointsError } from './checkpoint-game.ts';
import { quantity, type JsonRpc, type RpcLog } from './rpc.ts';

export function encodeSubmitCheckpoint(childBlock: bigint, root: Hash): Hex {
  return checkpointGameInterface().encodeFunctionData('submitCheckpoint', [childBlock, root]) as Hex;
}

export interface CheckpointSubmittedLog {
  readonly k: bigint;
  readonly childBlock: bigint;
  readonly root: Hash;
  readonly periodEnd: bigint;
  readonly l1Block: bigint;
}

/** The CheckpointSubmitted logs of child block `childBlock` on L1 (one, unless something is badly wrong). */
export async function findCheckpointSubmitted(rpc: JsonRpc, contract: string, childBlock: bigint, fromBlock: bigint): Promise<CheckpointSubmittedLog[]> {
  const iface = checkpointGameInterface();
  const event = iface.getEvent('CheckpointSubmitted')!;
  const logs = await rpc.request<RpcLog[]>('eth_getLogs', [
    { address: contract, fromBlock: quantity(fromBlock), toBlock: 'latest', topics: [event.topicHash, null, `0x${childBlock.toString(16).padStart(64, '0')}`] },
  ]);
  return logs.filter((log) => !log.removed).map((log) => {
    const parsed = iface.parseLog({ topics: log.topics, data: log.data })!;
    return { k: BigInt(parsed.args[0]), childBlock: BigInt(parsed.args[1]), root: (parsed.args[2] as string).toLowerCase() as Hash, periodEnd: BigInt(parsed.args[3]), l1Block: BigInt(log.blockNumber) };
  });
}

/** leafStatus(k, slot) on L1 at `blockTag`, or undefined when the contract cannot answer it (no checkpoint module, no node). */
export async function leafStatusOnL1(rpc: JsonRpc, contract: string, k: bigint, slot: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<{ status: LeafStatusName; finalAt: bigint } | undefined> {
  try {
    return await new CheckpointGameL1(rpc, contract).leafStatus(k, slot, blockTag);
  } catch {
    return undefined;
  }
}

/** True when PlasmaCash at `contract` answers checkpointCount() (its checkpoint module is deployed). */
export async function contractHasCheckpoints(rpc: JsonRpc, contract: string): Promise<boolean> {
  try {
    await new CheckpointGameL1(rpc, contract).count();
    return true;
  } catch (error) {
    if (error instanceof NoCheckpointsError) return false;
    throw error;
  }
}

/** Why L1 would refuse `data` from `from` now (an eth_call of it reverts), or undefined when it would take it. */
export async function simulateCall(rpc: JsonRpc, from: string, contract: string, data: Hex): Promise<string | undefined> {
  try {
    await rpc.request<string>('eth_call', [{ from, to: contract, data }, 'latest']);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
