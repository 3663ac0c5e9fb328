/**
 * Phase 1 of a watcher round: follow L1. PlasmaCash's events from the stored cursor to the target block are
 * applied to the wallet state in one atomic update per range, so a restart resumes exactly where it stopped.
 * Events only ever add knowledge here; what to do about it is phase 3's (act.ts), which re-reads L1 first.
 */
import { transactionDigest } from '../protocol/index.ts';
import type { PlasmaEvent } from '../l1/events.ts';
import { challengeKey, deliver, exitKey, recordOwnDeposit, trackedExit, type RevealedTransfer, type WalletState } from '../wallet/state.ts';
import type { WatcherContext } from './context.ts';

export async function followL1(ctx: WatcherContext, target: bigint): Promise<void> {
  const maxRange = ctx.options.maxRange ?? 2000n;
  for (;;) {
    const cursor = (await ctx.wallet.stateFile.read()).l1Cursor;
    if (cursor >= target) return;
    const from = cursor + 1n;
    const to = from + maxRange - 1n < target ? from + maxRange - 1n : target;
    const events = await ctx.wallet.l1.events(from, to);
    await ctx.wallet.stateFile.update((state) => {
      if (state.l1Cursor !== cursor) return; // another process applied this range meanwhile
      for (const event of events) apply(ctx, state, event);
      state.l1Cursor = to;
    });
  }
}

/** Slots whose exits this wallet follows: its coins (held or sent) and coins L1 revealed a transfer to it of. */
export function followed(state: WalletState, slot: bigint): boolean {
  return state.coins[slot.toString()] !== undefined || Object.values(state.revealed).some((r) => r.slot === slot);
}

/**
 * A spend revealed on L1 (an answer to a challengeBefore, or the evidence of a challengeAfter/Between), with its
 * signature and proof: all a claim or an exit needs. It names this wallet: the operator withheld a transfer to
 * it. It is a spend of ours whose receiver may not have known: the receiver now can.
 */
export function revealSpend(ctx: WatcherContext, state: WalletState, revealed: RevealedTransfer, how: string): void {
  const sender = state.coins[revealed.slot.toString()];
  if (sender !== undefined && deliver(sender, transactionDigest(revealed.transaction, ctx.wallet.domain))) {
    ctx.decide(state, revealed.slot, 'spend_revealed', `${how} revealed this wallet's transfer at block ${revealed.block} to its receiver ${revealed.transaction.newOwner}`);
  }
  if (revealed.transaction.newOwner !== ctx.me) return;
  const key = `${revealed.slot}:${revealed.block}`;
  if (state.revealed[key] !== undefined) return;
  state.revealed[key] = revealed;
  ctx.log({ event: 'transfer_revealed', slot: revealed.slot, block: revealed.block, reason: `${how} shows a transfer to this wallet` });
}

export function apply(ctx: WatcherContext, state: WalletState, event: PlasmaEvent): void {
  const me = ctx.me;
  switch (event.name) {
    case 'Deposit':
      if (event.depositor === me && recordOwnDeposit(state, event)) ctx.log({ event: 'deposit_seen', slot: event.slot, block: event.block });
      return;
    case 'ExitStarted':
      if (followed(state, event.slot)) {
        state.exits[exitKey(event.slot, event.nonce)] = trackedExit(event.slot, event.nonce, event);
        ctx.log({ event: 'exit_started', slot: event.slot, nonce: event.nonce, exitor: event.exitor, parentBlock: event.parentBlock, exitBlock: event.exitBlock });
      }
      return;
    case 'ExitCancelled':
    case 'ExitFinalized': {
      const exit = state.exits[exitKey(event.slot, event.nonce)];
      if (exit !== undefined) exit.status = event.name === 'ExitCancelled' ? 'cancelled' : 'finalized';
      const coin = state.coins[event.slot.toString()];
      // Outlived by the winner of the coin: our exit lost to a lower exit block, which proves nothing of ours spent.
      if (event.name === 'ExitCancelled' && event.reason !== 'outlived_by_winner' && exit?.exitor === me && coin !== undefined) {
        // L1 beat our own exit: a spend of ours landed after it (an in-flight transfer we never saw
        // included), or our history was not the valid one. Exiting again would only lose another bond.
        coin.lost = { nonce: event.nonce, reason: event.reason };
        coin.role = 'former';
        delete coin.inFlight;
        ctx.decide(state, event.slot, 'give_up', `this wallet's exit ${event.nonce} was cancelled (${event.reason}): the coin is no longer this wallet's`);
      }
      return;
    }
    case 'ChallengeOpened':
      if (state.exits[exitKey(event.slot, event.nonce)] !== undefined || event.challenger === me) {
        state.challenges[challengeKey(event.slot, event.nonce, event.challengeId)] = {
          slot: event.slot, nonce: event.nonce, challengeId: event.challengeId, challenger: event.challenger,
          claim: event.claim, claimBlock: event.claimBlock, status: 'open', openedAtL1Block: event.l1Block,
        };
        const exit = state.exits[exitKey(event.slot, event.nonce)];
        if (exit !== undefined && event.finalizableAt > exit.finalizableAt) exit.finalizableAt = event.finalizableAt;
      }
      return;
    case 'ChallengeAnswered': {
      const challenge = state.challenges[challengeKey(event.slot, event.nonce, event.challengeId)];
      if (challenge !== undefined) {
        challenge.status = 'answered';
        challenge.response = { transaction: event.response, block: event.responseBlock };
        const coin = state.coins[event.slot.toString()];
        if (challenge.challenger === me && challenge.claim.newOwner === me && coin !== undefined && coin.role === 'owner') {
          // We claimed we never spent the coin, and L1 accepted a spend signed by us: a transfer of ours
          // landed where we could not see it. The coin is the receiver's; never exit it.
          coin.lost = { nonce: event.nonce, reason: `answered with this wallet's own transfer at block ${event.responseBlock}` };
          coin.role = 'former';
          delete coin.inFlight;
          ctx.decide(state, event.slot, 'give_up', `a response on L1 shows this wallet spent the coin at block ${event.responseBlock} (to ${event.response.newOwner})`);
        }
      }
      const exit = state.exits[exitKey(event.slot, event.nonce)];
      if (exit !== undefined && event.finalizableAt > exit.finalizableAt) exit.finalizableAt = event.finalizableAt;
      revealSpend(ctx, state, { slot: event.slot, block: event.responseBlock, transaction: event.response, signature: event.signature, proof: event.proof }, 'a response on L1');
      return;
    }
    case 'SpendRevealed':
      revealSpend(ctx, state, { slot: event.slot, block: event.block, transaction: event.spend, signature: event.signature, proof: event.proof }, `the spend that cancelled exit ${event.nonce}`);
      return;
    case 'ChallengeSettled': {
      const challenge = state.challenges[challengeKey(event.slot, event.nonce, event.challengeId)];
      if (challenge !== undefined) challenge.status = 'settled';
      return;
    }
    case 'CoinWithdrawn': {
      const coin = state.coins[event.slot.toString()];
      if (coin !== undefined && event.owner === me) coin.withdrawn = true;
      return;
    }
    default:
      return;
  }
}
