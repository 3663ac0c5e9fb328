/**
 * Phase 2 of a watcher round: verify every new committed block for each owned coin against its root on L1, with
 * the wallet's own verify-and-extend (one ranged history request per coin). An
 * invalid proof, or one the operator keeps back longer than the grace period, freezes the coin (act.ts decides
 * whether a frozen coin must leave).
 */
import type { InclusionEntry } from '../protocol/index.ts';
import { verifyAndExtend } from '../wallet/extend.ts';
import { chainLastBlock, extendChain, type WalletCoin } from '../wallet/state.ts';
import { MISSING, type WatcherContext } from './context.ts';

export async function verifyOwnedCoins(ctx: WatcherContext, l1Block: bigint): Promise<void> {
  const state = await ctx.wallet.stateFile.read();
  for (const coin of Object.values(state.coins)) {
    if (coin.role !== 'owner' || coin.withdrawn === true || coin.lost !== undefined) continue;
    // A coin frozen by proof that the operator cheated stays frozen; one frozen because proofs were missing
    // keeps being checked, and thaws when they arrive and verify.
    if (coin.frozen !== undefined && !MISSING.has(coin.frozen.code)) continue;
    await verifyCoin(ctx, coin, l1Block);
  }
}

async function verifyCoin(ctx: WatcherContext, coin: WalletCoin, l1Block: bigint): Promise<void> {
  const through = ctx.wallet.roots.lastBlock();
  if (through <= coin.coveredThrough) return;
  const verifier = ctx.wallet.verifierFor(coin);
  const added: InclusionEntry[] = [];
  const { verifyL1 } = ctx.options;
  let problem = await verifyAndExtend(ctx.wallet.operator, coin.slot, verifier, through, added, {
    ...(verifyL1 === undefined
      ? {}
      : {
          checkRoot: async (block: bigint) => {
            const proven = await verifyL1.childBlockRoot(block, l1Block);
            if (proven !== ctx.wallet.roots.get(block)) {
              throw new Error(`the L1 node's BlockSubmitted root of block ${block} is not the root proven by eth_getProof (${proven}); refusing to act on this node`);
            }
          },
        }),
    stopAfter: (v) => v.state.owner !== ctx.me, // the coin left this wallet: its chain ends here
  });
  if (problem !== undefined && !problem.missing) {
    // A reorg may have replaced the block's root since we read it: look again before blaming the operator.
    const current = await ctx.wallet.l1.childBlockRoot(problem.block);
    if (current !== ctx.wallet.roots.get(problem.block)) {
      ctx.wallet.roots.add(problem.block, current);
      ctx.log({ event: 'root_changed', block: problem.block, root: current, reason: 'L1 holds another root for this block than the one read before (a reorg): verified again next round' });
      problem = undefined;
    }
  }
  const grace = ctx.options.missingProofGraceMs ?? 600_000;
  await ctx.wallet.stateFile.update((state) => {
    const stored = state.coins[coin.slot.toString()]!;
    if (stored.coveredThrough !== coin.coveredThrough) return; // a wallet call moved it meanwhile
    if (extendChain(stored, added, verifier.state.coveredThrough, ctx.me, ctx.wallet.domain)) {
      ctx.log({ event: 'transfer_landed', slot: coin.slot, block: chainLastBlock(stored) });
    }
    if (problem === undefined) {
      delete stored.missingSince;
      if (stored.frozen !== undefined && MISSING.has(stored.frozen.code) && added.length + Number(verifier.state.coveredThrough > coin.coveredThrough) > 0) {
        ctx.decide(state, coin.slot, 'thaw', `the proofs missing since block ${stored.frozen.block} arrived and verify`);
        delete stored.frozen;
      }
      return;
    }
    if (problem.missing) {
      if (stored.missingSince?.block !== problem.block) stored.missingSince = { block: problem.block, at: Date.now() };
      if (Date.now() - stored.missingSince.at < grace || stored.frozen !== undefined) return;
    }
    stored.frozen = { block: problem.block, code: problem.code, reason: problem.reason, at: Date.now() };
    ctx.decide(state, coin.slot, 'freeze', `${problem.code} at block ${problem.block}: ${problem.reason}`);
  });
}
