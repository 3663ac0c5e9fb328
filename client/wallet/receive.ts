/**
 * Wallet action: accept a coin sent to this wallet, after verifying it against L1: a checkpoint package (its
 * base, a final checkpoint's leaf, then the history after the base's N and the coin's leaf in every pending
 * checkpoint: PROTOCOL.md §10 Receiver, docs/CHECKPOINTS.md §7) or, from an operator without checkpoints, the
 * whole history (§5).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CheckpointError,
  HistoryError,
  transactionDigest,
  parseCheckpointHistoryResponseJson,
  parseCoinHistoryResponseJson,
  verifyCheckpointPackage,
  type Address,
  type CheckpointBase,
  type CheckpointHistoryResponse,
  type CheckpointLeafObject,
  type CheckpointRecord,
  type CoinHistoryResponse,
  type HistoryEntry,
  type InclusionEntry,
} from '../protocol/index.ts';
import { CheckpointGameL1, leafRefArgument, NoCheckpointsError } from '../l1/checkpoint-game.ts';
import { transactionArgument } from '../l1/plasma-cash.ts';
import { isCheckpointPackage, type CoinPackage } from '../operator-api.ts';
import { sendL1, WalletError, type WalletContext } from './context.ts';
import { isDepositOf, type WalletCoin } from './state.ts';

/**
 * Accepts a coin sent to this wallet: verifies it against the roots and checkpoints on L1 and its deposit
 * against the contract's record, and that the last transaction names this wallet. From the sender's package
 * when given (it works even if the operator withholds), otherwise from the operator (`?since=checkpoint`, or the
 * whole history when the operator serves no checkpoints).
 */
export async function receive(context: WalletContext, source: bigint | CoinPackage): Promise<WalletCoin> {
  const history: CoinHistoryResponse | CheckpointHistoryResponse =
    typeof source === 'bigint'
      ? ((await context.operator.historySinceCheckpoint(source)) ?? (await context.operator.history(source)))
      : isCheckpointPackage(source)
        ? parseCheckpointHistoryResponseJson(source)
        : parseCoinHistoryResponseJson(source);
  const slot = history.slot;
  const record = await context.l1.coin(slot);
  if (record.state === 'none') throw new WalletError('unknown_coin', `coin ${slot} was never deposited on L1`);
  if (!isDepositOf({ slot, ...history.deposit }, record)) {
    throw new HistoryError('wrong_deposit', history.deposit.block, `the history's deposit (${history.deposit.owner}, block ${history.deposit.block}, ${history.deposit.denomination}) is not L1's record (${record.depositor}, block ${record.depositBlock}, ${record.denomination})`);
  }
  if (record.state === 'exited') throw new WalletError('coin_exited', `coin ${slot} has already exited to L1`);
  if (record.state === 'exiting') context.log(`coin ${slot} is exiting on L1 (exit ${record.exitCount}): the watcher challenges it if it is not this wallet's`);
  await context.roots.sync();
  // A block committed after the history was served (the operator commits empty blocks too): its entries come
  // from the operator, so that the history reaches every block L1 holds.
  // L1 may hold it a moment before the operator serves it: a few tries, then the verifier says what is missing.
  // (Only blocks after the history's own lastCommittedBlock: a history short of that is refused as it is.)
  const entries: HistoryEntry[] = [...history.entries];
  for (let attempt = 0; attempt < 20; attempt++) {
    const served = entries.reduce((last, entry) => (entry.block > last ? entry.block : last), history.lastCommittedBlock);
    if (served >= context.roots.lastBlock()) break;
    if (attempt > 0) await sleep(100);
    entries.push(...(await context.operator.history(slot, served + 1n, context.roots.lastBlock())).entries.filter((entry) => entry.block > served));
  }
  const deposit = { slot, ...history.deposit };
  const served = 'pending' in history ? (history as CheckpointHistoryResponse) : undefined;
  const checkpoints = served === undefined ? undefined : await checkpointsOnL1(context, slot, served);
  // A checkpoint submitted after the package was served (a sender's package can be a moment old) is pending on
  // L1 without a leaf in it: its leaf is asked of the operator and verified like the others (none: refused below).
  const since = served === undefined || checkpoints === undefined ? served : { ...served, pending: await withLatePendingLeaves(context, slot, served, checkpoints.pending) };
  let result;
  try {
    result = verifyCheckpointPackage({
      deposit,
      package: { checkpoint: since?.checkpoint ?? null, entries, pending: since?.pending ?? [] },
      roots: (block) => context.roots.get(block),
      checkpoints: (k) => checkpoints?.records.get(k),
      pendingOnL1: checkpoints?.pending ?? [],
      committedChildBlocks: context.roots.blocks(),
      domain: context.domain,
      expectedOwner: context.address,
    });
  } catch (error) {
    // A pending leaf the package itself shows stale: the receiver voids it (challengeLeafSpent, R9), then asks again.
    if (error instanceof CheckpointError && error.code === 'pending_leaf_stale' && since !== undefined) await voidStaleLeaf(context, since, entries, error);
    throw error;
  }
  const chain: InclusionEntry[] = [...result.chain];
  const base: CheckpointBase | undefined = result.base;
  return context.stateFile.update((wallet) => {
    const coin: WalletCoin = {
      slot,
      deposit: { ...deposit, owner: deposit.owner.toLowerCase() as Address },
      asset: { kind: record.kind, token: record.token, tokenId: record.tokenId },
      chain,
      ...(base === undefined ? {} : { base }),
      coveredThrough: result.state.coveredThrough,
      role: 'owner',
    };
    wallet.coins[slot.toString()] = coin;
    const from = base === undefined ? 'its deposit' : `checkpoint ${base.checkpoint} (block ${base.block}, transaction at ${base.txBlock})`;
    context.log(`received coin ${slot}: verified from ${from} through block ${result.state.coveredThrough}`);
    return coin;
  });
}

/**
 * What L1 says about the checkpoints a package needs, read at one L1 block (the head when called): the base's and
 * every named pending one's root, N and the slot's leafStatus, and every checkpoint pending for the slot with N at
 * or after the base's (walking down from the newest; with no base, down to the first whose leaf of the slot is
 * final or to checkpoint 0).
 */
async function withLatePendingLeaves(context: WalletContext, slot: bigint, served: CheckpointHistoryResponse, pendingOnL1: readonly bigint[]): Promise<CheckpointLeafObject[]> {
  const pending = [...served.pending];
  for (const k of pendingOnL1) {
    if (pending.some((leaf) => leaf.checkpoint === k)) continue;
    // The operator learns of k from L1 a moment after L1 holds it: a few tries.
    for (let attempt = 0; attempt < 20; attempt++) {
      if (attempt > 0) await sleep(100);
      const leaf = await context.operator.coinCheckpoint(slot, k);
      if (leaf === undefined || leaf.checkpoint !== k) continue;
      pending.push(leaf);
      break;
    }
  }
  return pending.sort((a, b) => (a.checkpoint < b.checkpoint ? -1 : a.checkpoint > b.checkpoint ? 1 : 0));
}

export async function checkpointsOnL1(
  context: WalletContext,
  slot: bigint,
  pkg: Pick<CheckpointHistoryResponse, 'checkpoint' | 'pending'>,
): Promise<{ records: Map<bigint, CheckpointRecord>; pending: bigint[] }> {
  const game = new CheckpointGameL1(context.l1.rpc, context.l1.address);
  const at = (await context.l1.head()).number;
  const records = new Map<bigint, CheckpointRecord>();
  const read = async (k: bigint): Promise<CheckpointRecord | undefined> => {
    if (records.has(k)) return records.get(k);
    const checkpoint = await game.checkpoint(k, at);
    if (checkpoint.root === `0x${'0'.repeat(64)}`) return undefined; // no such checkpoint
    const { status } = await game.leafStatus(k, slot, at);
    const record: CheckpointRecord = { root: checkpoint.root, block: checkpoint.childBlock, leafStatus: status };
    records.set(k, record);
    return record;
  };
  let count: bigint;
  try {
    count = await game.count(at);
  } catch (error) {
    // A deployment without the checkpoint module: only a package that names no checkpoint can be verified.
    if (error instanceof NoCheckpointsError && pkg.checkpoint === null && pkg.pending.length === 0) return { records, pending: [] };
    throw error;
  }
  const base = pkg.checkpoint === null ? undefined : await read(pkg.checkpoint.checkpoint);
  const pending: bigint[] = [];
  for (let k = count - 1n; k >= 0n; k--) {
    if (pkg.checkpoint !== null && k <= pkg.checkpoint.checkpoint) break;
    const record = await read(k);
    if (record === undefined) continue;
    if (base !== undefined && record.block < base.block) break;
    if (record.leafStatus === 'pending') pending.push(k);
    else if (base === undefined && record.leafStatus === 'final') break;
  }
  for (const leaf of pkg.pending) await read(leaf.checkpoint);
  return { records, pending: pending.reverse() };
}

/**
 * Voids a pending leaf that names a transaction the package spends again within (B, N] (docs/CHECKPOINTS.md §7
 * rule 3, R9): challengeLeafSpent with the package's spend. The receipt counts only once that leaf is void, so
 * the caller still refuses the coin this time; receiving again after the call accepts it.
 */
async function voidStaleLeaf(context: WalletContext, pkg: CheckpointHistoryResponse, entries: readonly HistoryEntry[], error: CheckpointError): Promise<void> {
  const leaf = pkg.pending.find((item) => item.checkpoint === error.checkpoint);
  const spend = entries.find((entry): entry is InclusionEntry => entry.kind === 'inclusion' && entry.block === error.spendBlock);
  if (leaf?.txBlock === null || leaf?.txBlock === undefined || leaf.transaction === null || spend === undefined) return;
  const txDigest = transactionDigest(leaf.transaction, context.domain);
  const leafRef = leafRefArgument({ checkpoint: leaf.checkpoint, txBlock: leaf.txBlock, txDigest, leafProof: leaf.leafProof }, pkg.slot);
  try {
    const sent = await sendL1(context, 'challengeLeafSpent', [leafRef, transactionArgument(leaf.transaction), transactionArgument(spend.transaction), spend.signature, spend.proof, spend.block]);
    context.log(`coin ${pkg.slot}: the stale leaf of checkpoint ${leaf.checkpoint} is voided (${sent.hash}); receive the coin again`);
  } catch (cause) {
    context.log(`coin ${pkg.slot}: could not void the stale leaf of checkpoint ${leaf.checkpoint}: ${(cause as Error).message}`);
  }
}
