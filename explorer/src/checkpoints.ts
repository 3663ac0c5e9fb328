/**
 * Checkpoints on the page (PROTOCOL.md §10, docs/CHECKPOINTS.md §6): the operator's list of them, and a coin's
 * leaves (its base and its pending ones) each verified in the browser against L1 with client/protocol's own
 * checkLeafProof: checkpoint k's root and N from getCheckpoint(k), the leaf's status from leafStatus(k, slot),
 * all read from the node the user chose, at one L1 block. A leaf also has its checkpointed transaction checked:
 * included at txBlock under that block's root (childBlockRoot), or, for a deposit leaf, the coin's deposit
 * transaction as getCoin records it. The operator supplies only what is checked; a leaf that fails is shown
 * failed, never verified.
 */
import {
  checkLeafProof,
  depositTransaction,
  equalBytes,
  parseCheckpointHistoryResponseJson,
  PlasmaError,
  transactionDigestBytes,
  verifyProof,
  ZERO_HASH,
  type Address,
  type CheckpointLeafObject,
  type CheckpointRecord,
} from '../../client/protocol/index.ts';
import { ApiError, getJson } from './api.ts';
import { L1Reader } from './l1.ts';

export interface CheckpointJson {
  readonly id: string;
  readonly block: string;
  readonly root: string;
  readonly submittedAt: string;
  readonly finalAt: string;
  readonly status: 'pending' | 'final';
}

/** The newest `count` checkpoints the operator serves, newest first; [] when it has none (or no such routes). */
export async function recentCheckpoints(count: number): Promise<CheckpointJson[]> {
  let latest: CheckpointJson;
  try {
    latest = await getJson<CheckpointJson>('/v1/checkpoints/latest');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
  const ids: bigint[] = [];
  for (let k = BigInt(latest.id) - 1n; k >= 0n && ids.length < count - 1; k--) ids.push(k);
  return [latest, ...(await Promise.all(ids.map((k) => getJson<CheckpointJson>(`/v1/checkpoints/${k}`))))];
}

export type LeafCheck =
  | { readonly ok: true; readonly l1Status: string }
  | { readonly ok: false; readonly code: string; readonly reason: string; readonly l1Status?: string };

export interface CheckedLeaf {
  readonly role: 'base' | 'pending';
  readonly leaf: CheckpointLeafObject;
  readonly check: LeafCheck;
}

/**
 * The coin's base and pending leaves as the operator serves them (`history?since=checkpoint`, one entry: only the
 * leaves are read here), each checked against L1. An operator without checkpoint routes gives [].
 */
export async function checkCoinLeaves(rpcUrl: string, contract: Address, slot: bigint): Promise<CheckedLeaf[]> {
  let body: unknown;
  try {
    body = await getJson<unknown>(`/v1/coins/${slot}/history?since=checkpoint&limit=1`);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') return [];
    throw error;
  }
  if (typeof body === 'object' && body !== null && !('pending' in body)) return []; // an operator that ignores since
  const served = parseCheckpointHistoryResponseJson(body);
  const leaves: { role: 'base' | 'pending'; leaf: CheckpointLeafObject }[] = [
    ...(served.checkpoint === null ? [] : [{ role: 'base' as const, leaf: served.checkpoint }]),
    ...served.pending.map((leaf) => ({ role: 'pending' as const, leaf })),
  ];
  if (leaves.length === 0) return [];

  const l1 = new L1Reader(rpcUrl, contract);
  const at = await l1.head();
  const [chainId, coin, interval] = await Promise.all([l1.chainId(), l1.coin(slot, at), l1.childBlockInterval(at)]);
  const domain = { chainId, verifyingContract: contract };
  return Promise.all(
    leaves.map(async ({ role, leaf }): Promise<CheckedLeaf> => {
      try {
        const [record, status] = await Promise.all([l1.checkpoint(leaf.checkpoint, at), l1.leafStatus(leaf.checkpoint, slot, at)]);
        const onL1: CheckpointRecord | undefined = /^0x0{64}$/.test(record.root) ? undefined : { root: record.root, block: record.childBlock, leafStatus: status.status };
        const fail = (code: string, reason: string): CheckedLeaf => ({ role, leaf, check: { ok: false, code, reason, l1Status: status.status } });
        // k on L1, N, the slot, the leaf's hash of its transaction, and the leaf proof under k's root.
        checkLeafProof(leaf, { checkpoints: (k) => (k === leaf.checkpoint ? onL1 : undefined), domain }, slot);
        if (role === 'base' && status.status !== 'final') return fail('checkpoint_not_final', `the operator serves this leaf as the coin's base, but leafStatus on L1 is ${status.status}`);
        if (leaf.leaf !== ZERO_HASH) {
          const tx = leaf.transaction!;
          const txBlock = leaf.txBlock!;
          if (txBlock > leaf.block) return fail('leaf_after_checkpoint', `the leaf's txBlock ${txBlock} is after the checkpoint's child block ${leaf.block}`);
          const digest = transactionDigestBytes(tx, domain);
          if (leaf.signature === null) {
            const deposit = depositTransaction({ slot, denomination: coin.denomination, owner: coin.depositor });
            if (txBlock !== coin.depositBlock || !equalBytes(digest, transactionDigestBytes(deposit, domain))) {
              return fail('leaf_wrong_deposit', `a deposit leaf must name the coin's deposit at block ${coin.depositBlock} as L1 records it`);
            }
          } else {
            const root = txBlock % interval === 0n ? await l1.childBlockRoot(txBlock, at) : undefined;
            if (root === undefined) return fail('leaf_tx_not_included', `txBlock ${txBlock} is not a child block committed on L1`);
            if (!verifyProof(root, slot, digest, leaf.proof!)) return fail('leaf_tx_not_included', `the checkpointed transaction's inclusion proof does not match the root of block ${txBlock} on L1`);
          }
        }
        return { role, leaf, check: { ok: true, l1Status: status.status } };
      } catch (error) {
        if (error instanceof PlasmaError) return { role, leaf, check: { ok: false, code: error.code, reason: error.shortMessage } };
        return { role, leaf, check: { ok: false, code: 'unavailable', reason: error instanceof Error ? error.message : String(error) } };
      }
    }),
  );
}
