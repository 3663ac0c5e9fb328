/**
 * Builds child blocks from pending transfers, in two durable steps (migrations/0004):
 *
 *   claim ('built': membership stored, coins moved) ─tree and proofs→ persist ('persisted': root and proofs)
 *
 * The claim is a short database transaction; from then on the next spend of the block's coins can be accepted,
 * while the tree is built on the worker threads (tree-workers.ts), which start as soon as the leaves are chosen,
 * before the rows have even moved. A crash between the steps leaves a 'built' block: finishBuiltBlocks rebuilds
 * its tree from the stored leaves (the same leaves give the same root) and persists it. Only a 'persisted'
 * block goes to L1 (committer.ts). One builder runs at a time.
 */
import { EMPTY_ROOT, type Hash } from '../../client/protocol/index.ts';
import type { ClaimedBlock, Store } from '../db/store.ts';
import { buildBlockTree, type BlockTree } from './tree-workers.ts';

export interface BuildOptions {
  readonly maxTransactions: number;
  /** Build a block even with no pending transfer (root EMPTY_ROOT). Default false. */
  readonly allowEmpty?: boolean;
}

export interface BuiltBlock {
  readonly number: bigint;
  readonly root: Hash;
  readonly txCount: number;
}

/** A claimed block whose tree is being built: persist() writes the root and proofs once it is. */
export interface ClaimedBuild {
  readonly number: bigint;
  readonly txCount: number;
  persist(): Promise<BuiltBlock>;
}

/**
 * Claims the next block (undefined when nothing is pending and no empty block was asked for). Its tree is
 * already being built when this resolves; call persist() to write it.
 */
export async function claimNextBlock(store: Store, options: BuildOptions): Promise<ClaimedBuild | undefined> {
  let tree: Promise<BlockTree> | undefined;
  const claim = await store.claimBlock(options, (leaves) => {
    tree = buildBlockTree(leaves.leaves);
    tree.catch(() => {}); // awaited by persist(); a failed claim must not leave an unhandled rejection
  });
  if (claim === undefined) return undefined;
  return { number: claim.number, txCount: claim.leaves.length, persist: () => persistClaim(store, claim, tree!) };
}

async function persistClaim(store: Store, claim: ClaimedBlock, building: Promise<BlockTree>): Promise<BuiltBlock> {
  const tree = await building;
  const root = claim.leaves.length === 0 ? EMPTY_ROOT : tree.root;
  await store.persistBlock(claim.number, root, claim.leaves.map((leaf) => leaf.slot), tree.proofs);
  return { number: claim.number, root, txCount: claim.leaves.length };
}

/** Claims, builds and persists one block; undefined when there is nothing to include and no empty block was asked. */
export async function buildBlock(store: Store, options: BuildOptions): Promise<BuiltBlock | undefined> {
  const claimed = await claimNextBlock(store, options);
  return claimed?.persist();
}

/** Persists every 'built' block left by a crash, ascending; resolves with what it persisted. */
export async function finishBuiltBlocks(store: Store): Promise<BuiltBlock[]> {
  const finished: BuiltBlock[] = [];
  for (const number of await store.builtBlocks()) {
    const claim = await store.blockLeaves(number);
    finished.push(await persistClaim(store, claim, buildBlockTree(claim.leaves)));
  }
  return finished;
}
