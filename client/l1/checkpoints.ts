/**
 * The checkpoint calls and events of PlasmaCash (docs/CHECKPOINTS.md §2: the CheckpointGame module reached
 * through PlasmaCash's fallback), for the operator and the clients. The shipped PlasmaCash artifact carries them
 * once the module is built; until then (or with an older artifact) the fragments below, copied from §2, stand in,
 * so that encoding a call or decoding an event never depends on which artifact is loaded.
 */
import { Interface, type InterfaceAbi } from 'ethers';
import type { Hash, Hex } from '../protocol/index.ts';
import { loadArtifact } from './artifacts.ts';
import { quantity, type JsonRpc, type RpcLog } from './rpc.ts';

const TX = 'tuple(uint64 slot, uint256 prevBlock, uint256 denomination, address newOwner)';
const LEAF_REF = 'tuple(uint256 k, uint64 slot, uint256 txBlock, bytes32 txDigest, bytes proof)';

/** docs/CHECKPOINTS.md §2, the calls and events the operator uses. */
export const CHECKPOINT_FRAGMENTS: readonly string[] = [
  'function submitCheckpoint(uint256 childBlock, bytes32 root)',
  'function checkpointCount() view returns (uint256)',
  'function leafStatus(uint256 k, uint64 slot) view returns (uint8 status, uint256 finalAt)',
  `function answerLeafWithheld(${LEAF_REF} leaf, bytes32 challengeId, ${TX} checkpointed, bytes signature, bytes inclusionProof)`,
  `function answerLeafHistory(uint256 k, uint64 slot, bytes32 challengeId, ${TX} child, bytes sig, bytes proof, uint256 childBlock)`,
  'function dismissLeafHistory(uint256 k, uint64 slot, uint256 claimBlock, bytes32 claimDigest)',
  `function applyCheckpoint(${LEAF_REF} leaf)`,
  'event CheckpointSubmitted(uint256 indexed k, uint256 indexed childBlock, bytes32 root, uint256 periodEnd)',
  `event LeafChallengeOpened(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, uint8 kind, address challenger, ${TX} claim, uint256 claimBlock, uint256 dueAt)`,
  `event LeafRevealed(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, uint8 kind, ${TX} revealed, uint256 revealedBlock, bytes signature, bytes proof, uint256 finalNotBefore)`,
  'event LeafChallengeDismissed(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, uint256 baseK)',
  'event CheckpointApplied(uint64 indexed slot, uint256 indexed k, uint256 checkpointBlock, uint256 txBlock, bytes32 txDigest)',
];

let cached: Interface | undefined;

/** PlasmaCash's ABI with every §2 fragment it lacks added: what the operator encodes and decodes with. */
export function checkpointAwareInterface(): Interface {
  if (cached !== undefined) return cached;
  const abi = [...(loadArtifact('PlasmaCash').abi as readonly { type?: string; name?: string }[])];
  const have = new Set(abi.map((entry) => `${entry.type}:${entry.name}`));
  const extra = new Interface(CHECKPOINT_FRAGMENTS as string[]);
  for (const fragment of extra.fragments) {
    const name = (fragment as { name?: string }).name;
    if (!have.has(`${fragment.type}:${name}`)) abi.push(JSON.parse(fragment.format('json')) as { type: string; name: string });
  }
  cached = new Interface(abi as InterfaceAbi);
  return cached;
}

/** True when the shipped artifact itself has the checkpoint calls (the module is built and deployed with it). */
export function artifactHasCheckpoints(): boolean {
  return (loadArtifact('PlasmaCash').abi as readonly { name?: string }[]).some((entry) => entry.name === 'submitCheckpoint');
}

export function encodeSubmitCheckpoint(childBlock: bigint, root: Hash): Hex {
  return checkpointAwareInterface().encodeFunctionData('submitCheckpoint', [childBlock, root]) as Hex;
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
  const iface = checkpointAwareInterface();
  const event = iface.getEvent('CheckpointSubmitted')!;
  const logs = await rpc.request<RpcLog[]>('eth_getLogs', [
    { address: contract, fromBlock: quantity(fromBlock), toBlock: 'latest', topics: [event.topicHash, null, `0x${childBlock.toString(16).padStart(64, '0')}`] },
  ]);
  return logs.filter((log) => !log.removed).map((log) => {
    const parsed = iface.parseLog({ topics: log.topics, data: log.data })!;
    return { k: BigInt(parsed.args[0]), childBlock: BigInt(parsed.args[1]), root: (parsed.args[2] as string).toLowerCase() as Hash, periodEnd: BigInt(parsed.args[3]), l1Block: BigInt(log.blockNumber) };
  });
}

export const LEAF_STATUSES = ['pending', 'final', 'void'] as const;
export type LeafStatusName = (typeof LEAF_STATUSES)[number];

/**
 * leafStatus(k, slot) on L1 at `blockTag`, or undefined when the contract cannot answer it (no checkpoint module:
 * the call reverts or returns nothing).
 */
export async function leafStatusOnL1(rpc: JsonRpc, contract: string, k: bigint, slot: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<{ status: LeafStatusName; finalAt: bigint } | undefined> {
  const iface = checkpointAwareInterface();
  const data = iface.encodeFunctionData('leafStatus', [k, slot]);
  let result: string;
  try {
    result = await rpc.request<string>('eth_call', [{ to: contract, data }, blockTag === 'latest' ? 'latest' : quantity(blockTag)]);
  } catch {
    return undefined;
  }
  if (result === '0x' || result.length < 2 + 128) return undefined;
  const [status, finalAt] = iface.decodeFunctionResult('leafStatus', result);
  const name = LEAF_STATUSES[Number(status)];
  return name === undefined ? undefined : { status: name, finalAt: BigInt(finalAt) };
}

/** True when PlasmaCash at `contract` answers checkpointCount() (its checkpoint module is deployed). */
export async function contractHasCheckpoints(rpc: JsonRpc, contract: string): Promise<boolean> {
  const iface = checkpointAwareInterface();
  try {
    const result = await rpc.request<string>('eth_call', [{ to: contract, data: iface.encodeFunctionData('checkpointCount', []) }, 'latest']);
    return result.length >= 2 + 64;
  } catch {
    return false;
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
