/**
 * Phase 3 of a watcher round: act, one coin at a time, on what L1 says now (events only told us where to look).
 *
 * For every coin it holds, held, or was revealed a transfer of: it tracks every live exit (several may be live,
 * ordered by exit block, PROTOCOL.md §6), lets planCoin (decide.ts, pure) judge them together, and carries the
 * plan out: challenges (always the variants naming the exit), answers to challenges of its own exits, its own
 * exit beside the others when the coin must leave or a spend of it is in flight, an exit of a transfer L1
 * revealed to it. Once a coin is exited it settles the losing exits where it has a bond or credit at stake, and
 * then finalizes, withdraws and settles what is its own.
 *
 * Every call is decided again from L1's state every round, so a failed or dropped transaction is simply retried
 * and a repeated round never acts twice.
 */
import { CoinHistoryVerifier, HistoryError, depositTransaction, transactionDigest, verifyProof, type CoinDeposit, type Hex, type InclusionEntry, type Transaction, ZERO_HASH } from '../protocol/index.ts';
import { transactionArgument, type CoinRecord, type ContractParameters, type ExitRecord } from '../l1/plasma-cash.ts';
import { exitCall } from '../wallet/exit.ts';
import {
  chainLastBlock,
  chainOwner,
  exitKey,
  isDepositOf,
  liveExitsOf,
  recordOwnDeposit,
  spendsInFlight,
  trackedExit,
  type RevealedTransfer,
  type WalletCoin,
  type TrackedExit,
  type WalletState,
} from '../wallet/state.ts';
import { MISSING, type SentCall, type WatcherContext } from './context.ts';
import { decideCheckpointResponse, decideResponse, planCoin, type ExitMove } from './decide.ts';
import { baseLeafRef } from '../l1/checkpoint-game.ts';

type Head = { readonly number: bigint; readonly timestamp: bigint };

/** A live exit with the contract's record of it, read this round. */
interface LiveExitRecord {
  readonly tracked: TrackedExit;
  readonly record: ExitRecord;
}

export async function act(ctx: WatcherContext, head: Head): Promise<void> {
  const params = await ctx.wallet.l1.parameters();
  const initial = await ctx.wallet.stateFile.read();
  const slots = new Set<bigint>([
    ...Object.values(initial.coins).filter((coin) => coin.withdrawn !== true).map((coin) => coin.slot),
    ...Object.values(initial.revealed).map((r) => r.slot),
    ...Object.values(initial.exits).filter((exit) => exit.status === 'live').map((exit) => exit.slot),
  ]);
  for (const slot of slots) await actOnCoin(ctx, slot, head, params);
  const state = await ctx.wallet.stateFile.read();
  await settleChallenges(ctx, state);
  await cashOut(ctx, state);
  await adoptRevealedCoins(ctx, state);
  if ((await ctx.wallet.l1.bondBalance(ctx.me)) > 0n) {
    await ctx.send(0n, 'withdrawBonds', 'bonds are credited to this wallet', 'withdrawBonds', []);
  }
}

async function actOnCoin(ctx: WatcherContext, slot: bigint, head: Head, params: ContractParameters): Promise<void> {
  const record = await ctx.wallet.l1.coin(slot);
  const known = (await ctx.wallet.stateFile.read()).coins[slot.toString()];
  if (known !== undefined && known.withdrawn !== true) await checkDeposit(ctx, known, record);
  const exits = await syncExits(ctx, slot, record);
  if (record.state === 'exited') {
    await settleLosers(ctx, slot, record, exits);
    return;
  }
  if (record.state === 'none') return;

  const state = await ctx.wallet.stateFile.read();
  const coin = state.coins[slot.toString()];
  for (const exit of exits) {
    if (exit.tracked.exitor === ctx.me) await defendOwnExit(ctx, coin, exit, record, head.timestamp);
  }
  // Even for a coin marked depositGone: were the mark wrong (a node answering from a stale block), skipping a
  // challenge could lose the coin; were it right, a challenge from a history L1 no longer has fails its gas
  // estimate and costs nothing. (planCoin never exits such a coin.)
  const revealed = Object.values(state.revealed).filter((r) => r.slot === slot);
  const plan = planCoin(
    ctx.me,
    coin,
    exits.map(({ tracked, record: r }) => ({ nonce: tracked.nonce, exitor: r.exitor, parentBlock: r.parentBlock, exitBlock: r.exitBlock, finalizableAt: r.finalizableAt })),
    revealed,
    { now: head.timestamp, responsePeriod: params.responsePeriod, mustLeave: mustLeave(ctx, coin) },
  );
  for (const move of plan.moves) {
    const exit = exits.find((e) => e.tracked.nonce === move.nonce)!;
    await checkExit(ctx, exit, head.number);
    await carryOut(ctx, slot, move, params.challengeBond);
    await cancelIfDue(ctx, slot, move, exit.record, record, head.timestamp, params.responsePeriod);
  }
  if (plan.exit !== undefined && coin !== undefined) await startOwnExit(ctx, coin, record, plan.exit.reason, params.exitBond);
  if (plan.exitRevealed !== undefined) await startRevealedExit(ctx, plan.exitRevealed.transfer, record, plan.exitRevealed.reason, params.exitBond);
}

/**
 * Brings the tracked exits of `slot` in line with L1 and returns the live ones in exit-block order. Events are
 * applied at the head, so a reorg can take back an ExitStarted or hide one, and a coin received while exits were
 * already live has them untracked: the contract's list of live exits is the truth. Once the coin is exited, the
 * losing exits stay live until settled; they are no longer in that list, and are read one by one.
 */
async function syncExits(ctx: WatcherContext, slot: bigint, coin: CoinRecord): Promise<LiveExitRecord[]> {
  const onL1 = coin.state === 'exiting' ? await ctx.wallet.l1.liveExits(slot) : [];
  const listed = new Set(onL1.map((e) => e.nonce));
  const tracked = liveExitsOf(await ctx.wallet.stateFile.read(), slot).filter((exit) => !listed.has(exit.nonce));
  const others = await Promise.all(tracked.map(async (exit) => ({ nonce: exit.nonce, exit: await ctx.wallet.l1.exit(slot, exit.nonce) })));
  await ctx.wallet.stateFile.update((state) => {
    for (const { nonce, exit } of onL1) {
      const key = exitKey(slot, nonce);
      if (state.exits[key]?.status === 'live') continue;
      state.exits[key] = trackedExit(slot, nonce, exit);
      ctx.log({ event: 'exit_found', slot, nonce, exitor: exit.exitor, exitBlock: exit.exitBlock, reason: 'L1 lists a live exit of the coin that no event of ours told of' });
    }
    for (const { nonce, exit } of others) {
      const key = exitKey(slot, nonce);
      if (exit.status === 'none') delete state.exits[key];
      else if (exit.status !== 'live' && state.exits[key] !== undefined) state.exits[key]!.status = exit.status;
    }
  });
  const state = await ctx.wallet.stateFile.read();
  return [...onL1, ...others.filter((e) => e.exit.status === 'live')]
    .map(({ nonce, exit }) => ({ tracked: state.exits[exitKey(slot, nonce)]!, record: exit }))
    .filter((e) => e.tracked !== undefined)
    .sort((a, b) => (a.record.exitBlock < b.record.exitBlock ? -1 : a.record.exitBlock > b.record.exitBlock ? 1 : 0));
}

/** The coin must leave: frozen, and a spend was in flight, or the operator proved it cheats, or it is gone. */
function mustLeave(ctx: WatcherContext, coin: WalletCoin | undefined): boolean {
  if ((ctx.options.exitFrozenCoins ?? true) === false) return false;
  if (coin?.frozen === undefined || coin.withdrawn === true || coin.lost !== undefined || coin.depositGone !== undefined || chainOwner(coin) !== ctx.me) return false;
  const missingFor = Date.now() - (coin.missingSince?.at ?? coin.frozen.at);
  const cheated = !MISSING.has(coin.frozen.code);
  const gone = missingFor >= (ctx.options.operatorGoneMs ?? 86_400_000);
  return spendsInFlight(coin).length > 0 || cheated || gone; // late proofs alone: stay frozen, keep watching
}

/** With --verify-l1, refuses to act on an exit record that eth_getProof does not confirm. */
async function checkExit(ctx: WatcherContext, exit: LiveExitRecord, l1Block: bigint): Promise<void> {
  if (ctx.options.verifyL1 === undefined) return;
  const { tracked, record } = exit;
  const proven = await ctx.options.verifyL1.exit(tracked.slot, tracked.nonce, l1Block);
  if (proven.exitor !== record.exitor || proven.exitBlock !== record.exitBlock || proven.parentBlock !== record.parentBlock || proven.status !== record.status) {
    throw new Error(`the L1 node's record of exit ${tracked.slot}:${tracked.nonce} differs from the one proven by eth_getProof; refusing to act on this node`);
  }
}

/** One planned challenge, on the exit it names (challengeAfter has one exit it can fit: the spent one). */
async function carryOut(ctx: WatcherContext, slot: bigint, move: ExitMove, challengeBond: bigint): Promise<void> {
  if (move.kind === 'challengeAfter') {
    const { spend } = move;
    await ctx.send(slot, 'challengeAfter', move.reason, 'challengeAfter', [transactionArgument(spend.transaction), spend.signature, spend.proof, spend.block]);
  } else if (move.kind === 'challengeBetween') {
    const { spend } = move;
    await ctx.send(slot, 'challengeBetween', move.reason, 'challengeBetweenExit', [move.nonce, transactionArgument(spend.transaction), spend.signature, spend.proof, spend.block]);
  } else if (move.kind === 'challengeBefore') {
    const id = transactionDigest(move.claim.transaction, ctx.wallet.domain);
    const existing = await ctx.wallet.l1.challenge(slot, move.nonce, id);
    if (existing.status !== 'none') return; // this exit holds the claim already (ours or anyone's)
    await ctx.send(slot, 'challengeBefore', move.reason, 'challengeBeforeExit', [move.nonce, transactionArgument(move.claim.transaction), move.claim.proof, move.claim.block], challengeBond);
  }
}

/**
 * An unanswered challengeBefore (ours or anyone's) cancels its exit once it has stood a response period; but
 * finalizeExit acts on the coin's lowest live exit only, so it is sent only when that exit is this one (an exit
 * behind a lower one cannot finalize before it anyway).
 */
async function cancelIfDue(ctx: WatcherContext, slot: bigint, move: ExitMove, exit: ExitRecord, coin: CoinRecord, now: bigint, responsePeriod: bigint): Promise<void> {
  if (exit.firstChallenge === ZERO_HASH || coin.headExit !== move.nonce) return;
  const oldest = await ctx.wallet.l1.challenge(slot, move.nonce, exit.firstChallenge);
  const cancellableAt = oldest.openedAt + responsePeriod > exit.maturesAt ? oldest.openedAt + responsePeriod : exit.maturesAt;
  if (now >= cancellableAt && (move.kind !== 'none' || oldest.challenger === ctx.me)) {
    await ctx.send(slot, 'finalizeExit', `the challenge ${exit.firstChallenge} of exit ${move.nonce} stood unanswered for a full response period: the exit is cancelled`, 'finalizeExit', [slot]);
  }
}

/**
 * Answers every open challengeBefore of this wallet's exit, walking the exit's list of open challenges on L1
 * (so a ChallengeOpened missed in a reorged block is answered too), and finalizes it once matured, if it is the
 * coin's lowest live exit (the one finalizeExit acts on).
 */
async function defendOwnExit(ctx: WatcherContext, coin: WalletCoin | undefined, exit: LiveExitRecord, coinRecord: CoinRecord, now: bigint): Promise<void> {
  const { tracked, record } = exit;
  let id = record.firstChallenge;
  for (let seen = 0; id !== ZERO_HASH && seen < 10_000; seen++) {
    const challenge = await ctx.wallet.l1.challenge(tracked.slot, tracked.nonce, id);
    const next = challenge.next;
    if (challenge.status === 'open') {
      const response = coin === undefined ? undefined : decideResponse(coin, id, challenge.claimBlock, record.parentBlock, ctx.wallet.domain);
      // A claim at or before the coin's base that its chain cannot answer: the base's final leaf does (call 14).
      const byBase = response === undefined && coin !== undefined ? decideCheckpointResponse(coin, id, challenge.claimBlock) : undefined;
      if (byBase !== undefined && coin?.base !== undefined) {
        await ctx.send(tracked.slot, 'respondChallengeBeforeWithCheckpoint', byBase.reason, 'respondChallengeBeforeWithCheckpoint', [baseLeafRef(coin.base), tracked.nonce, id]);
      } else if (response === undefined) {
        await ctx.decideOnce(`${tracked.slot}:${tracked.nonce}:${id}`, tracked.slot, 'cannot_respond', `no transaction of this wallet's history answers the claim of block ${challenge.claimBlock} against exit ${tracked.nonce}; the exit will be cancelled`);
      } else {
        await ctx.send(tracked.slot, 'respondChallengeBefore', `the claim of block ${challenge.claimBlock} was spent at block ${response.block}`, 'respondChallengeBeforeExit', [tracked.nonce, id, transactionArgument(response.transaction), response.signature, response.proof, response.block]);
      }
    }
    id = next;
  }
  if (coinRecord.headExit !== tracked.nonce) return;
  const after = await ctx.wallet.l1.exit(tracked.slot, tracked.nonce);
  if (after.status === 'live' && after.firstChallenge === ZERO_HASH && now >= after.finalizableAt) {
    await ctx.send(tracked.slot, 'finalizeExit', `this wallet's exit ${tracked.nonce} has matured with no open challenge`, 'finalizeExit', [tracked.slot]);
  }
}

/** Tracks the exit an ExitStarted of a call of ours reports, so that the next round does not start it again. */
async function trackStarted(ctx: WatcherContext, slot: bigint, sent: SentCall | undefined): Promise<void> {
  const started = sent?.logs.find((log) => log.name === 'ExitStarted');
  if (started === undefined || started.name !== 'ExitStarted') return;
  await ctx.wallet.stateFile.update((state) => {
    state.exits[exitKey(slot, started.nonce)] ??= trackedExit(slot, started.nonce, started);
  });
}

/** Whether an exit of `exitBlock` can start: not dead for good, not live already (then it is tracked). */
async function exitBlockFree(ctx: WatcherContext, slot: bigint, exitBlock: bigint, what: string): Promise<boolean> {
  if (await ctx.wallet.l1.isExitBlockDead(slot, exitBlock)) {
    await ctx.decideOnce(`${slot}:dead:${exitBlock}`, slot, 'cannot_exit', `${what}: an exit of block ${exitBlock} was cancelled by a spend of it, so that transaction is spent for good`);
    return false;
  }
  const live = await ctx.wallet.l1.liveExitAt(slot, exitBlock);
  if (live === 0n) return true;
  const exit = await ctx.wallet.l1.exit(slot, live);
  await ctx.wallet.stateFile.update((state) => {
    state.exits[exitKey(slot, live)] ??= trackedExit(slot, live, exit);
  });
  return false;
}

/** This wallet's exit of the coin from its last verified transaction, beside whatever exits are live. */
async function startOwnExit(ctx: WatcherContext, coin: WalletCoin, record: CoinRecord, reason: string, exitBond: bigint): Promise<void> {
  if (record.state !== 'deposited' && record.state !== 'exiting') return;
  if (!(await exitBlockFree(ctx, coin.slot, chainLastBlock(coin), reason))) return;
  const call = exitCall(coin);
  const sent = await ctx.send(coin.slot, call.method, reason, call.method, call.args, exitBond);
  await trackStarted(ctx, coin.slot, sent);
}

/**
 * An exit of a transfer to this wallet that L1 revealed (the operator withheld it), with its parent: the deposit,
 * a transaction this wallet verified, or the one the operator serves at the parent block, checked against its
 * root on L1.
 */
async function startRevealedExit(ctx: WatcherContext, revealed: RevealedTransfer, record: CoinRecord, reason: string, exitBond: bigint): Promise<void> {
  if (record.state !== 'deposited' && record.state !== 'exiting') return;
  const slot = revealed.slot;
  if (!(await exitBlockFree(ctx, slot, revealed.block, reason))) return;
  const parent = await parentOf(ctx, revealed, record);
  if (parent === undefined) {
    await ctx.decideOnce(`${slot}:parent:${revealed.block}`, slot, 'cannot_exit', `${reason}; but no verified parent of it at block ${revealed.transaction.prevBlock} is at hand yet (the operator withholds it): retried every round`);
    return;
  }
  const sent = await ctx.send(slot, 'startExit', reason, 'startExit', [
    transactionArgument(parent.transaction), parent.proof, parent.block,
    transactionArgument(revealed.transaction), revealed.signature, revealed.proof, revealed.block,
  ], exitBond);
  await trackStarted(ctx, slot, sent);
}

async function parentOf(ctx: WatcherContext, revealed: RevealedTransfer, record: CoinRecord): Promise<{ transaction: Transaction; proof: Hex; block: bigint } | undefined> {
  const slot = revealed.slot;
  const block = revealed.transaction.prevBlock;
  if (block === record.depositBlock) return { transaction: depositTransaction({ slot, denomination: record.denomination, owner: record.depositor }), proof: '0x', block };
  const state = await ctx.wallet.stateFile.read();
  const known = state.coins[slot.toString()]?.chain.find((link) => link.block === block)
    ?? Object.values(state.revealed).find((r) => r.slot === slot && r.block === block);
  if (known !== undefined) return { transaction: known.transaction, proof: known.proof, block };
  let entry;
  try {
    entry = await ctx.wallet.operator.proof(slot, block);
  } catch {
    return undefined;
  }
  const root = ctx.wallet.roots.get(block);
  if (entry?.kind !== 'inclusion' || root === undefined) return undefined;
  return verifyProof(root, slot, transactionDigest(entry.transaction, ctx.wallet.domain), entry.proof) ? { transaction: entry.transaction, proof: entry.proof, block } : undefined;
}

/**
 * The coin exited: every other exit still live lost to the winner. settleExit cancels one (half its bond to the
 * winner's exitor); this wallet sends it where it has something at stake: it won, or it holds an open challenge
 * of that exit (whose bond settleChallenge returns once the exit is no longer live).
 */
async function settleLosers(ctx: WatcherContext, slot: bigint, coin: CoinRecord, exits: readonly LiveExitRecord[]): Promise<void> {
  const losers = exits.filter((exit) => exit.tracked.nonce !== coin.headExit);
  if (losers.length === 0) return;
  const winner = await ctx.wallet.l1.exit(slot, coin.headExit);
  const state = await ctx.wallet.stateFile.read();
  for (const { tracked } of losers) {
    const challenged = Object.values(state.challenges).some((c) => c.slot === slot && c.nonce === tracked.nonce && c.challenger === ctx.me && c.status === 'open');
    if (winner.exitor !== ctx.me && !challenged) continue;
    const why = winner.exitor === ctx.me ? 'half its bond is credited to this wallet, the winner' : 'this wallet\'s challenge of it is paid back once it is settled';
    await ctx.send(slot, 'settleExit', `the coin exited by exit ${coin.headExit}: exit ${tracked.nonce} lost; ${why}`, 'settleExit', [slot, tracked.nonce]);
  }
}

/** Challenges of this wallet left open when their exit ended get their bond back. */
async function settleChallenges(ctx: WatcherContext, state: WalletState): Promise<void> {
  for (const challenge of Object.values(state.challenges)) {
    if (challenge.challenger !== ctx.me || challenge.status !== 'open') continue;
    const exit = state.exits[exitKey(challenge.slot, challenge.nonce)];
    if (exit !== undefined && exit.status === 'live') continue;
    const onChain = await ctx.wallet.l1.challenge(challenge.slot, challenge.nonce, challenge.challengeId);
    if (onChain.status !== 'open') continue;
    const record = await ctx.wallet.l1.exit(challenge.slot, challenge.nonce);
    if (record.status === 'live') continue;
    await ctx.send(challenge.slot, 'settleChallenge', 'the exit ended with this wallet\'s challenge still open', 'settleChallenge', [challenge.slot, challenge.nonce, challenge.challengeId]);
  }
}

/** Its finalized exits: take the asset. */
async function cashOut(ctx: WatcherContext, state: WalletState): Promise<void> {
  for (const exit of Object.values(state.exits)) {
    if (exit.exitor !== ctx.me || exit.status !== 'finalized') continue;
    const coin = state.coins[exit.slot.toString()];
    if (coin?.withdrawn === true) continue;
    const record = await ctx.wallet.l1.coin(exit.slot);
    if (record.state !== 'exited' || record.withdrawn) continue;
    if (await ctx.send(exit.slot, 'withdraw', 'this wallet\'s exit finalized', 'withdraw', [exit.slot])) {
      await ctx.wallet.stateFile.update((s) => {
        const stored = s.coins[exit.slot.toString()];
        if (stored !== undefined) stored.withdrawn = true;
      });
    }
  }
}

/**
 * A transfer to this wallet that only L1 revealed (the operator withheld it) makes the coin ours: once no exit
 * is live on it (while one is, the watcher exits the transfer beside it instead), take it into the wallet with a
 * history verified up to that transfer, so that the next rounds verify what followed (and freeze and exit it
 * if, as is likely, a thief forged it on).
 */
async function adoptRevealedCoins(ctx: WatcherContext, state: WalletState): Promise<void> {
  for (const revealed of Object.values(state.revealed)) {
    // A coin the wallet holds or held: adopt only a transfer later than everything it verified (the coin came
    // back to it through a block withheld from it).
    const known = state.coins[revealed.slot.toString()];
    if ((known !== undefined && (known.role === 'owner' || revealed.block <= known.coveredThrough)) || liveExitsOf(state, revealed.slot).length > 0) continue;
    const record = await ctx.wallet.l1.coin(revealed.slot);
    if (record.state !== 'deposited') continue;
    const deposit = { slot: revealed.slot, block: record.depositBlock, owner: record.depositor, denomination: record.denomination };
    const entry: InclusionEntry = { block: revealed.block, kind: 'inclusion', transaction: revealed.transaction, signature: revealed.signature, proof: revealed.proof };
    let chain: InclusionEntry[];
    try {
      chain = await chainUpTo(ctx, deposit, revealed.transaction.prevBlock);
    } catch (error) {
      await ctx.decideOnce(`${revealed.slot}:${revealed.block}`, revealed.slot, 'cannot_adopt', `the transfer revealed at block ${revealed.block} cannot be backed by a verified history yet: ${(error as Error).message}`);
      continue;
    }
    chain.push(entry);
    await ctx.wallet.stateFile.update((s) => {
      const current = s.coins[revealed.slot.toString()];
      if (current !== undefined && (current.role === 'owner' || revealed.block <= current.coveredThrough)) return;
      s.coins[revealed.slot.toString()] = { slot: revealed.slot, deposit, asset: { kind: record.kind, token: record.token, tokenId: record.tokenId }, chain, coveredThrough: revealed.block, role: 'owner' };
      ctx.decide(s, revealed.slot, 'adopt', `a response on L1 revealed the transfer to this wallet at block ${revealed.block}: the coin is this wallet's`);
    });
  }
}

/**
 * The valid transactions of a coin from its deposit through `through` (the parent of a revealed transfer),
 * from the operator's history verified against L1. The deposit needs nothing: L1 records it.
 */
async function chainUpTo(ctx: WatcherContext, deposit: CoinDeposit, through: bigint): Promise<InclusionEntry[]> {
  if (through === deposit.block) return [];
  const verifier = new CoinHistoryVerifier({ deposit, roots: (block) => ctx.wallet.roots.get(block), domain: ctx.wallet.domain });
  const chain: InclusionEntry[] = [];
  for (const entry of (await ctx.wallet.operator.history(deposit.slot, undefined, through)).entries) {
    verifier.apply(entry);
    if (entry.kind === 'inclusion') chain.push(entry);
  }
  if (verifier.state.lastBlock !== through) throw new HistoryError('broken_chain', through, `the verified history does not reach a valid transaction at block ${through}`);
  return chain;
}

/**
 * L1's record of the coin's deposit must still be the one the wallet recorded. A reorg can take a deposit back
 * (the slot is empty, or another deposit took it): such a coin is marked `depositGone` and is neither sent nor
 * exited until the deposit comes back.
 */
async function checkDeposit(ctx: WatcherContext, coin: WalletCoin, record: CoinRecord): Promise<void> {
  const { deposit } = coin;
  const same = isDepositOf(deposit, record);
  if (same === (coin.depositGone === undefined)) return;
  // This wallet's own deposit re-mined with another record (same depositor and nonce, so the same slot), in a
  // block the cursor had already passed: take the coin as L1 records it. Only while the coin is nothing but
  // that deposit, so an RPC node's word never erases a verified chain of transfers.
  if (!same && record.depositBlock !== 0n && record.depositor === ctx.me && coin.chain.length === 0 && coin.role === 'owner' && coin.inFlight === undefined) {
    const event = { slot: coin.slot, block: record.depositBlock, depositor: record.depositor, denomination: record.denomination, kind: record.kind, token: record.token, tokenId: record.tokenId };
    await ctx.wallet.stateFile.update((state) => {
      if (state.coins[coin.slot.toString()]?.chain.length !== 0) return;
      recordOwnDeposit(state, event);
      ctx.log({ event: 'deposit_replaced', slot: coin.slot, block: record.depositBlock, reason: `L1 now records this wallet's deposit in slot ${coin.slot} at block ${record.depositBlock} (${record.denomination}), not at block ${deposit.block}: a reorg re-mined it` });
    });
    return;
  }
  const reason = same
    ? 'the deposit is on L1 again'
    : record.depositBlock === 0n
      ? `L1 holds no deposit in slot ${coin.slot} any more: a reorg took back the deposit at block ${deposit.block}`
      : `slot ${coin.slot} now holds another deposit (block ${record.depositBlock} by ${record.depositor}): a reorg took back this coin's deposit at block ${deposit.block}`;
  await ctx.wallet.stateFile.update((state) => {
    const stored = state.coins[coin.slot.toString()];
    if (stored === undefined) return;
    if (same) delete stored.depositGone;
    else stored.depositGone = { at: Date.now(), reason };
    ctx.log({ event: same ? 'deposit_back' : 'deposit_gone', slot: coin.slot, reason });
  });
}
