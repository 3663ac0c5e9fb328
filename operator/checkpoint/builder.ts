/**
 * Builds checkpoints: the leaves that changed since the previous checkpoint (db/checkpoints.ts leafChanges)
 * applied to the in-memory tree (tree.ts, lifted on the worker threads), stored (changed buckets and top nodes
 * only), then made the tree's state. One build at a time; the tree is restored from the database after a start.
 *
 * Every checkpoint is built on the previous one *built* (submitted or not): a checkpoint is abandoned only when
 * L1 already holds one at or after its block, and the next one is built on it all the same (its rows are still
 * the database's state of the slots it changed).
 */
import type { TransactionDomain } from '../../client/protocol/index.ts';
import type { Store } from '../db/store.ts';
import { checkpointTreeState, insertCheckpoint, latestBuiltCheckpoint, leafChanges, type CheckpointRecord } from '../db/checkpoints.ts';
import { CheckpointTree } from './tree.ts';

export interface CheckpointBuilderOptions {
  readonly store: Store;
  readonly domain: TransactionDomain;
  readonly log?: (line: string) => void;
}

export interface BuildTimings {
  /** Reading the changed leaves from the database. */
  readonly readMs: number;
  /** The tree (merge, leaf hashes, lift on the workers, top). */
  readonly treeMs: number;
  /** Storing the changed buckets and nodes. */
  readonly storeMs: number;
}

export class CheckpointBuilder {
  readonly #o: CheckpointBuilderOptions;
  #tree: CheckpointTree | undefined;
  #last: CheckpointRecord | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  lastTimings: BuildTimings | undefined;

  constructor(options: CheckpointBuilderOptions) {
    this.#o = options;
  }

  /** The newest checkpoint built (restored on first use). */
  async latest(): Promise<CheckpointRecord | undefined> {
    await this.#restore();
    return this.#last;
  }

  /** Builds and stores the checkpoint at child block `block` (greater than the last one built). */
  build(block: bigint): Promise<CheckpointRecord> {
    const run = this.#busy.then(() => this.#build(block));
    this.#busy = run.catch(() => {});
    return run;
  }

  async #restore(): Promise<CheckpointTree> {
    if (this.#tree !== undefined) return this.#tree;
    const { sql } = this.#o.store;
    const last = await latestBuiltCheckpoint(sql);
    if (last === undefined) {
      this.#tree = CheckpointTree.empty();
      return this.#tree;
    }
    const state = await checkpointTreeState(sql, last.id);
    const tree = CheckpointTree.restore(state.buckets, state.nodes);
    if (tree.root !== last.root) throw new Error(`checkpoint ${last.id} (block ${last.block}): the stored tree gives root ${tree.root}, not ${last.root}`);
    this.#tree = tree;
    this.#last = last;
    return tree;
  }

  async #build(block: bigint): Promise<CheckpointRecord> {
    const tree = await this.#restore();
    const previous = this.#last;
    if (previous !== undefined && block <= previous.block) throw new Error(`checkpoint at block ${block}: the last one built is at ${previous.block}`);
    const { sql } = this.#o.store;
    const t0 = performance.now();
    const changes = await leafChanges(sql, previous?.block, block, this.#o.domain);
    const t1 = performance.now();
    const delta = await tree.prepare(changes);
    const t2 = performance.now();
    const id = (previous?.id ?? 0) + 1;
    await insertCheckpoint(sql, { id, block, root: delta.root, leafCount: delta.leafCount, changed: delta.changed, buckets: delta.buckets, nodes: delta.nodes });
    const t3 = performance.now();
    tree.commit(delta);
    this.lastTimings = { readMs: t1 - t0, treeMs: t2 - t1, storeMs: t3 - t2 };
    const record: CheckpointRecord = { id, block, root: delta.root, leafCount: delta.leafCount, changed: delta.changed, status: 'built' };
    this.#last = record;
    this.#o.log?.(`checkpoint ${id} at block ${block}: root ${delta.root}, ${delta.leafCount} coins, ${delta.changed} leaves changed (read ${Math.round(t1 - t0)} ms, tree ${Math.round(t2 - t1)} ms, store ${Math.round(t3 - t2)} ms)`);
    return record;
  }
}
