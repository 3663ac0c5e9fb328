/** Wallet action: bring a coin's verified history up to the last child block committed on L1. */
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryError, type InclusionEntry } from '../protocol/index.ts';
import { storedCoin, verifierFor, type WalletContext } from './context.ts';
import { verifyAndExtend } from './extend.ts';
import { extendChain, type WalletCoin } from './state.ts';

/**
 * Brings `slot`'s verified history up to the last child block committed on L1, from the operator's proofs.
 * A bad entry freezes nothing here (the watcher does that); it throws the HistoryError naming block and rule.
 */
export async function refresh(context: WalletContext, slot: bigint): Promise<WalletCoin> {
  const coin = await storedCoin(context, slot);
  await context.roots.sync();
  const last = context.roots.lastBlock();
  if (last <= coin.coveredThrough) return coin;
  const verifier = verifierFor(context, coin);
  const added: InclusionEntry[] = [];
  // L1 may hold a block a moment before the operator serves it (it commits empty blocks too): a few tries.
  for (let attempt = 0; attempt < 20 && verifier.state.coveredThrough < last; attempt++) {
    if (attempt > 0) await sleep(100);
    const problem = await verifyAndExtend(context.operator, slot, verifier, last, added);
    if (problem !== undefined && (!problem.missing || problem.code === 'operator_unreachable')) throw problem.error;
  }
  if (verifier.state.coveredThrough < last) {
    throw new HistoryError('missing_block', verifier.nextBlock, `the operator's history of coin ${slot} stops before the last committed block ${last}`);
  }
  return context.stateFile.update((state) => {
    const stored = state.coins[slot.toString()]!;
    if (stored.coveredThrough >= verifier.state.coveredThrough) return stored; // the watcher got there first
    extendChain(stored, added, verifier.state.coveredThrough, context.address, context.domain);
    return stored;
  });
}
