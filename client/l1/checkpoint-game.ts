/**
 * The coin holder's side of PlasmaCash's checkpoint calls (docs/CHECKPOINTS.md §2: the CheckpointGame module,
 * reached through PlasmaCash's fallback at PlasmaCash's address): typed reads at a chosen L1 block and the
 * arguments of the calls a wallet or a watcher sends (LeafRef, the checkpointed transaction).
 *
 * The ABI is the shipped PlasmaCash artifact's (client/l1/artifacts/PlasmaCash.json), which carries the module's
 * calls, events and errors.
 */
import { Interface, type InterfaceAbi, type Result } from 'ethers';
import { PlasmaError, type CheckpointBase, type Hash, type Hex, type LeafStatusName } from '../protocol/index.ts';
import { loadArtifact } from './artifacts.ts';
import { quantity, type JsonRpc } from './rpc.ts';

/** The LeafStatus enum of §2, by value. */
export const LEAF_STATUS_NAMES: readonly LeafStatusName[] = ['pending', 'final', 'void'];

let cached: Interface | undefined;

/** PlasmaCash's artifact ABI (the checkpoint module's calls and events included). */
export function checkpointGameInterface(): Interface {
  cached ??= new Interface(loadArtifact('PlasmaCash').abi as InterfaceAbi);
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
