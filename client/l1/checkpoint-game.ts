/**
 * The coin holder's side of PlasmaCash's checkpoint calls (docs/CHECKPOINTS.md §2: the CheckpointGame module,
 * reached through PlasmaCash's fallback at PlasmaCash's address): typed reads at a chosen L1 block and the
 * arguments of the calls a wallet or a watcher sends (LeafRef, the checkpointed transaction).
 *
 * The fragments below are §2's signatures; the interface is PlasmaCash's artifact ABI with every fragment it
 * lacks added, so encoding never depends on whether the shipped artifact already carries the module's calls.
 */
import { Interface, type InterfaceAbi, type Result } from 'ethers';
import { PlasmaError, type CheckpointBase, type Hash, type Hex, type LeafStatusName } from '../protocol/index.ts';
import { loadArtifact } from './artifacts.ts';
import { quantity, type JsonRpc } from './rpc.ts';

const TX = 'tuple(uint64 slot, uint256 prevBlock, uint256 denomination, address newOwner)';
const LEAF_REF = 'tuple(uint256 k, uint64 slot, uint256 txBlock, bytes32 txDigest, bytes proof)';

/** docs/CHECKPOINTS.md §2: every call and event of ICheckpoints. */
export const CHECKPOINT_GAME_FRAGMENTS: readonly string[] = [
  'function submitCheckpoint(uint256 childBlock, bytes32 root)',
  `function challengeLeafWithheld(uint256 k, uint64 slot, ${TX} claim, bytes claimProof, uint256 claimBlock) payable`,
  `function answerLeafWithheld(${LEAF_REF} leaf, bytes32 challengeId, ${TX} checkpointed, bytes signature, bytes inclusionProof)`,
  `function challengeLeafNotIncluded(${LEAF_REF} leaf, bytes32 actualLeaf, bytes actualProof)`,
  `function challengeLeafConflict(${LEAF_REF} leaf, ${LEAF_REF} other)`,
  `function challengeLeafSpent(${LEAF_REF} leaf, ${TX} checkpointed, ${TX} spend, bytes spendSig, bytes spendProof, uint256 spendBlock)`,
  `function challengeLeafSpentByExit(${LEAF_REF} leaf, uint256 nonce)`,
  `function challengeLeafHistory(${LEAF_REF} leaf, ${TX} claim, bytes claimProof, uint256 claimBlock) payable`,
  `function answerLeafHistory(uint256 k, uint64 slot, bytes32 challengeId, ${TX} child, bytes sig, bytes proof, uint256 childBlock)`,
  'function dismissLeafHistory(uint256 k, uint64 slot, uint256 claimBlock, bytes32 claimDigest)',
  'function settleLeafChallenge(uint256 k, uint64 slot, bytes32 challengeId)',
  `function applyCheckpoint(${LEAF_REF} leaf)`,
  `function enforceCheckpoint(${LEAF_REF} leaf, uint256 nonce)`,
  `function respondChallengeBeforeWithCheckpoint(${LEAF_REF} leaf, uint256 nonce, bytes32 challengeId)`,
  `function startCheckpointExit(${LEAF_REF} leaf, ${TX} checkpointed) payable`,
  `function startExitFromCheckpoint(${LEAF_REF} leaf, ${TX} parent, ${TX} exiting, bytes exitingSig, bytes exitingProof, uint256 exitingBlock) payable`,
  'function leafStatus(uint256 k, uint64 slot) view returns (uint8 status, uint256 finalAt)',
  'function checkpointCount() view returns (uint256)',
  'function getCheckpoint(uint256 k) view returns (tuple(bytes32 root, uint256 childBlock, uint256 submittedAt, uint256 periodEnd))',
  'function coinBase(uint64 slot) view returns (uint256 k, uint256 checkpointBlock, uint256 txBlock, bytes32 txDigest)',
  'event CheckpointSubmitted(uint256 indexed k, uint256 indexed childBlock, bytes32 root, uint256 periodEnd)',
  `event LeafChallengeOpened(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, uint8 kind, address challenger, ${TX} claim, uint256 claimBlock, uint256 dueAt)`,
  `event LeafRevealed(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, uint8 kind, ${TX} revealed, uint256 revealedBlock, bytes signature, bytes proof, uint256 finalNotBefore)`,
  'event LeafChallengeDismissed(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, uint256 baseK)',
  'event LeafVoided(uint256 indexed k, uint64 indexed slot, uint8 reason, bytes32 evidence)',
  'event LeafChallengeSettled(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, address challenger)',
  'event CheckpointApplied(uint64 indexed slot, uint256 indexed k, uint256 checkpointBlock, uint256 txBlock, bytes32 txDigest)',
  'event ExitBoundToCheckpoint(uint64 indexed slot, uint256 indexed nonce, uint256 indexed k, uint256 settledThrough)',
  'event ChallengeAnsweredByCheckpoint(uint64 indexed slot, uint256 indexed nonce, bytes32 indexed challengeId, uint256 k)',
  'event CheckpointExitStarted(uint64 indexed slot, uint256 indexed nonce, uint256 indexed k)',
];

/** The LeafStatus enum of §2, by value. */
export const LEAF_STATUS_NAMES: readonly LeafStatusName[] = ['pending', 'final', 'void'];

let cached: Interface | undefined;

/** PlasmaCash's artifact ABI plus every §2 fragment it lacks. */
export function checkpointGameInterface(): Interface {
  if (cached !== undefined) return cached;
  const abi = [...(loadArtifact('PlasmaCash').abi as readonly { type?: string; name?: string }[])];
  const have = new Set(abi.map((entry) => `${entry.type}:${entry.name}`));
  for (const fragment of new Interface(CHECKPOINT_GAME_FRAGMENTS as string[]).fragments) {
    const name = (fragment as { name?: string }).name;
    if (!have.has(`${fragment.type}:${name}`)) abi.push(JSON.parse(fragment.format('json')) as { type: string; name: string });
  }
  cached = new Interface(abi as InterfaceAbi);
  return cached;
}

/** The contract has no checkpoint module (an older deployment): the read reverted or answered nothing. */
export class NoCheckpointsError extends PlasmaError {
  override name = 'NoCheckpointsError';
  constructor(call: string, cause?: unknown) {
    super('no_checkpoints', `PlasmaCash answers no ${call}: this deployment has no checkpoint module`, cause === undefined ? {} : { cause });
  }
}

export interface CheckpointOnL1 {
  readonly k: bigint;
  readonly root: Hash;
  /** N. */
  readonly childBlock: bigint;
  readonly submittedAt: bigint;
  readonly periodEnd: bigint;
}

export interface AppliedBase {
  readonly k: bigint;
  readonly checkpointBlock: bigint;
  readonly txBlock: bigint;
  readonly txDigest: Hash;
}

/** The checkpoint reads of PlasmaCash at `address`, each at an L1 block (a receiver reads at its confirmed head). */
export class CheckpointGameL1 {
  readonly rpc: JsonRpc;
  readonly address: string;
  readonly iface = checkpointGameInterface();

  constructor(rpc: JsonRpc, address: string) {
    this.rpc = rpc;
    this.address = address;
  }

  async #call(name: string, args: readonly unknown[], blockTag: bigint | 'latest'): Promise<Result> {
    const data = this.iface.encodeFunctionData(name, args);
    let result: string;
    try {
      result = await this.rpc.request<string>('eth_call', [{ to: this.address, data }, blockTag === 'latest' ? 'latest' : quantity(blockTag)]);
    } catch (error) {
      if (/revert/i.test((error as Error).message ?? '')) throw new NoCheckpointsError(name, error);
      throw error;
    }
    if (result === '0x') throw new NoCheckpointsError(name);
    return this.iface.decodeFunctionResult(name, result);
  }

  async count(blockTag: bigint | 'latest' = 'latest'): Promise<bigint> {
    return BigInt((await this.#call('checkpointCount', [], blockTag))[0]);
  }

  async checkpoint(k: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<CheckpointOnL1> {
    const [c] = await this.#call('getCheckpoint', [k], blockTag);
    // By §3's field names, by position when the deployed struct names them otherwise (root, N, submittedAt, periodEnd).
    const field = (name: string, index: number): unknown => (c[name] as unknown) ?? c[index];
    return { k, root: String(field('root', 0)).toLowerCase() as Hash, childBlock: BigInt(field('childBlock', 1) as bigint), submittedAt: BigInt(field('submittedAt', 2) as bigint), periodEnd: BigInt(field('periodEnd', 3) as bigint) };
  }

  async leafStatus(k: bigint, slot: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<{ status: LeafStatusName; finalAt: bigint }> {
    const [status, finalAt] = await this.#call('leafStatus', [k, slot], blockTag);
    const name = LEAF_STATUS_NAMES[Number(status)];
    if (name === undefined) throw new NoCheckpointsError('leafStatus');
    return { status: name, finalAt: BigInt(finalAt) };
  }

  /** The coin's applied base, or undefined when none was applied. */
  async coinBase(slot: bigint, blockTag: bigint | 'latest' = 'latest'): Promise<AppliedBase | undefined> {
    const [k, checkpointBlock, txBlock, txDigest] = await this.#call('coinBase', [slot], blockTag);
    if (BigInt(checkpointBlock) === 0n) return undefined;
    return { k: BigInt(k), checkpointBlock: BigInt(checkpointBlock), txBlock: BigInt(txBlock), txDigest: String(txDigest).toLowerCase() as Hash };
  }
}

/** The LeafRef argument of a leaf: `{k, slot, txBlock, txDigest, proof}` (§2). */
export function leafRefArgument(leaf: { readonly checkpoint: bigint; readonly txBlock: bigint; readonly txDigest: Hash; readonly leafProof: Hex }, slot: bigint): Record<string, unknown> {
  return { k: leaf.checkpoint, slot, txBlock: leaf.txBlock, txDigest: leaf.txDigest, proof: leaf.leafProof };
}

/** A base's LeafRef (the wallet's stored base, or the one just verified). */
export function baseLeafRef(base: CheckpointBase): Record<string, unknown> {
  return leafRefArgument(base, base.transaction.slot);
}
