/**
 * The JSON objects of the checkpoint routes (PROTOCOL.md §9, docs/CHECKPOINTS.md §6), shared by checkpoints.ts
 * and coins.ts (`history?since=checkpoint`): the checkpoint object, a slot's leaf object, a coin's base and
 * pending leaves.
 *
 * A leaf's proof is derived from the stored rows (checkpoint/proofs.ts); its checkpointed transaction comes with
 * its signature and inclusion proof (null for a deposit leaf; a zero leaf has neither transaction nor txBlock).
 * Leaf status: the contract's leafStatus(k, slot) at the current L1 block (cached per L1 block) when the operator
 * has an L1 node and the contract answers it; otherwise from time alone (final once periodEnd passed, never
 * void), and the response says so in the header `X-Checkpoint-Status-Source: l1 | time`.
 */
import { bytesToHex, depositTransaction, transactionToJson, ZERO_HASH, type CheckpointLeafObjectJson, type Address, type LeafStatusName } from '../../client/protocol/index.ts';
import { callPlasmaCash } from '../../client/l1/contract.ts';
import { leafStatusOnL1 } from '../../client/l1/checkpoints.ts';
import { JsonRpc } from '../../client/l1/rpc.ts';
import { storedLeaf } from '../checkpoint/proofs.ts';
import {
  checkpointByK,
  checkpointedTransaction,
  latestSubmittedCheckpoint,
  submittedCheckpointsFrom,
  type CheckpointRecord,
} from '../db/checkpoints.ts';
import type { Coin } from '../db/transfers.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './errors.ts';

export type StatusSource = 'l1' | 'time';

/** L1 reads of the checkpoint routes: time, EXIT_PERIOD and leafStatus, each cached per L1 block. */
class CheckpointL1 {
  readonly #rpc: JsonRpc | undefined;
  readonly #contract: Address;
  #head: { at: number; block: bigint; timestamp: bigint } | undefined;
  #exitPeriod: bigint | undefined;
  #statuses = new Map<string, { status: LeafStatusName; finalAt: bigint } | undefined>();
  #statusesAt = -1n;

  constructor(deps: Deps) {
    this.#rpc = deps.chain === undefined ? undefined : new JsonRpc(deps.chain.l1Rpc, { timeoutMs: 2000 });
    this.#contract = deps.domain.verifyingContract;
  }

  /** The L1 head (re-read at most once a second), or undefined without a reachable node. */
  async head(): Promise<{ block: bigint; timestamp: bigint } | undefined> {
    if (this.#rpc === undefined) return undefined;
    if (this.#head !== undefined && Date.now() - this.#head.at < 1000) return this.#head;
    try {
      const block = await this.#rpc.request<{ number: string; timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
      this.#head = { at: Date.now(), block: BigInt(block.number), timestamp: BigInt(block.timestamp) };
    } catch {
      return undefined;
    }
    return this.#head;
  }

  async now(): Promise<bigint> {
    return (await this.head())?.timestamp ?? BigInt(Math.floor(Date.now() / 1000));
  }

  async exitPeriod(): Promise<bigint | undefined> {
    if (this.#exitPeriod !== undefined || this.#rpc === undefined) return this.#exitPeriod;
    try {
      this.#exitPeriod = BigInt((await callPlasmaCash(this.#rpc, this.#contract, 'EXIT_PERIOD'))[0]);
    } catch {
      return undefined;
    }
    return this.#exitPeriod;
  }

  /** leafStatus(k, slot) at the head, cached for that block; undefined when L1 cannot say. */
  async leafStatus(k: bigint, slot: bigint): Promise<{ status: LeafStatusName; finalAt: bigint } | undefined> {
    const head = await this.head();
    if (head === undefined || this.#rpc === undefined) return undefined;
    if (head.block !== this.#statusesAt) {
      this.#statuses = new Map();
      this.#statusesAt = head.block;
    }
    const key = `${k}:${slot}`;
    if (this.#statuses.has(key)) return this.#statuses.get(key);
    const status = await leafStatusOnL1(this.#rpc, this.#contract, k, slot, head.block);
    this.#statuses.set(key, status);
    return status;
  }
}

/** The §9 leaf object, as client/protocol's parser reads it. */
export type LeafObjectJson = CheckpointLeafObjectJson;


/** Where a response's leaf statuses came from; the routes put it in X-Checkpoint-Status-Source. */
export interface StatusNote {
  source: StatusSource;
}

export class CheckpointLeaves {
  readonly #deps: Deps;
  readonly #l1: CheckpointL1;

  constructor(deps: Deps) {
    this.#deps = deps;
    this.#l1 = new CheckpointL1(deps);
  }

  /** The checkpoint object of a submitted checkpoint. */
  async checkpointJson(record: CheckpointRecord) {
    const periodEnd = record.periodEnd!;
    const exitPeriod = await this.#l1.exitPeriod();
    return {
      id: record.k!.toString(),
      block: record.block.toString(),
      root: record.root,
      submittedAt: (record.submittedAt ?? (exitPeriod === undefined ? periodEnd : periodEnd - exitPeriod)).toString(),
      finalAt: periodEnd.toString(),
      status: (await this.#l1.now()) >= periodEnd ? 'final' : 'pending',
    };
  }

  /** Checkpoint k as submitted by this operator; 404 unknown_checkpoint otherwise. */
  async submitted(k: bigint): Promise<CheckpointRecord> {
    const record = await checkpointByK(this.#deps.reads.sql, k);
    if (record?.periodEnd === undefined) throw new HttpError(404, 'unknown_checkpoint', `no checkpoint ${k} was submitted by this operator`);
    return record;
  }

  async latest(): Promise<CheckpointRecord> {
    const record = await latestSubmittedCheckpoint(this.#deps.reads.sql);
    if (record?.periodEnd === undefined) throw new HttpError(404, 'unknown_checkpoint', 'no checkpoint is submitted yet');
    return record;
  }

  /** The leaf object of `slot` in a submitted checkpoint (its status from L1, or from time: `note` says which). */
  async leafObject(record: CheckpointRecord, slot: bigint, coin: Coin | undefined, note: StatusNote): Promise<LeafObjectJson> {
    const { sql } = this.#deps.reads;
    const { record: leaf, proof } = await storedLeaf(sql, record.id, slot);
    const onL1 = await this.#l1.leafStatus(record.k!, slot);
    let status: LeafStatusName;
    let finalAt: bigint | null;
    if (onL1 !== undefined) {
      status = onL1.status;
      finalAt = onL1.finalAt;
    } else {
      note.source = 'time';
      status = (await this.#l1.now()) >= record.periodEnd! ? 'final' : 'pending';
      finalAt = record.periodEnd!;
    }
    const base = { checkpoint: record.k!.toString(), block: record.block.toString(), slot: slot.toString(), leafProof: bytesToHex(proof), status, finalAt: finalAt === null ? null : finalAt.toString() };
    if (leaf === undefined) return { ...base, leaf: ZERO_HASH, txBlock: null, transaction: null, signature: null, proof: null };
    const leafHash = bytesToHex(leaf.leaf);
    if (coin !== undefined && leaf.txBlock === coin.depositBlock) {
      const tx = depositTransaction({ slot, denomination: coin.denomination, owner: coin.depositor });
      return { ...base, leaf: leafHash, txBlock: leaf.txBlock.toString(), transaction: transactionToJson(tx), signature: null, proof: null };
    }
    const checkpointed = await checkpointedTransaction(sql, slot, leaf.txBlock);
    if (checkpointed === undefined) throw new Error(`checkpoint ${record.k}: slot ${slot} names block ${leaf.txBlock}, whose transaction is not stored`);
    return { ...base, leaf: leafHash, txBlock: leaf.txBlock.toString(), transaction: transactionToJson(checkpointed.transaction), signature: checkpointed.signature, proof: checkpointed.proof };
  }

  /**
   * The coin's base (its newest final, non-void leaf of the coin: not zero, txBlock at or after its deposit) and
   * the leaves of every pending checkpoint at or after the base's block, ascending.
   */
  async baseAndPending(coin: Coin, note: StatusNote): Promise<{ base: LeafObjectJson | undefined; pending: LeafObjectJson[] }> {
    const all = await submittedCheckpointsFrom(this.#deps.reads.sql, 0n);
    const leaves: LeafObjectJson[] = [];
    let base: LeafObjectJson | undefined;
    for (let at = all.length - 1; at >= 0; at--) {
      const leaf = await this.leafObject(all[at]!, coin.slot, coin, note);
      leaves.unshift(leaf);
      if (leaf.status === 'final' && leaf.txBlock !== null && BigInt(leaf.txBlock) >= coin.depositBlock) {
        base = leaf;
        break;
      }
    }
    const baseBlock = base === undefined ? 0n : BigInt(base.block);
    return { base, pending: leaves.filter((leaf) => leaf.status === 'pending' && BigInt(leaf.block) >= baseBlock) };
  }
}

const shared = new WeakMap<Deps, CheckpointLeaves>();

/** One CheckpointLeaves (one L1 cache) per app. */
export function checkpointLeaves(deps: Deps): CheckpointLeaves {
  let leaves = shared.get(deps);
  if (leaves === undefined) {
    leaves = new CheckpointLeaves(deps);
    shared.set(deps, leaves);
  }
  return leaves;
}
