/**
 * Phase 4 of a watcher round: checkpoints (PROTOCOL.md §10 Watcher, docs/CHECKPOINTS.md §7 Watch). For every
 * checkpoint still in reach (its period not long past), the leaf of each owned coin and of each coin with a spend
 * in flight is read from the operator, proved under the checkpoint's root on L1 and judged by decide.ts
 * decideLeaf against the wallet's verified chain; a wrong or missing one is challenged with the call that fits.
 * A final leaf naming the wallet's chain cancels (or binds) the live exits of others inconsistent with it
 * (enforceCheckpoint). A deployment without the checkpoint module is left alone.
 */
import {
  bytesToHex,
  checkLeafProof,
  checkpointLeaf,
  transactionDigest,
  verifyProof,
  ZERO_HASH,
  type CheckpointLeafObject,
  type Hash,
} from '../protocol/index.ts';
import { baseLeafRef, CheckpointGameL1, checkpointGameInterface, leafRefArgument, NoCheckpointsError, type CheckpointOnL1 } from '../l1/checkpoint-game.ts';
import { quantity, type RpcLog } from '../l1/rpc.ts';
import { transactionArgument } from '../l1/plasma-cash.ts';
import { liveExitsOf, spendsInFlight, type WalletCoin, type WalletState } from '../wallet/state.ts';
import type { WatcherContext } from './context.ts';
import { revealSpend } from './follow.ts';
import { decideEnforce, decideLeaf, decideLeafChallenge, type CheckpointFacts, type KnownExit, type LeafDecision, type ServedLeaf } from './decide.ts';

interface Head {
  readonly number: bigint;
  readonly timestamp: bigint;
}

/** A leaf the operator served, proved under k's root on L1; undefined when it serves none or a bad one. */
async function servedLeaf(ctx: WatcherContext, checkpoint: CheckpointOnL1, slot: bigint, status: CheckpointFacts['status']): Promise<CheckpointLeafObject | undefined> {
  let served: CheckpointLeafObject | undefined;
  try {
    served = await ctx.wallet.operator.coinCheckpoint(slot, checkpoint.k);
  } catch {
    return undefined;
  }
  if (served === undefined) return undefined;
  try {
    checkLeafProof(served, { checkpoints: () => ({ root: checkpoint.root, block: checkpoint.childBlock, leafStatus: status }), domain: ctx.wallet.domain }, slot);
  } catch {
    return undefined; // a leaf that does not verify is as good as withheld
  }
  return served;
}

export async function watchCheckpoints(ctx: WatcherContext, head: Head): Promise<void> {
  const game = new CheckpointGameL1(ctx.wallet.l1.rpc, ctx.wallet.l1.address);
  let count: bigint;
  try {
    count = await game.count(head.number);
  } catch (error) {
    if (error instanceof NoCheckpointsError) return;
    throw error;
  }
  const { exitPeriod, challengeBond } = await ctx.wallet.l1.parameters();
  const state = await ctx.wallet.stateFile.read();
  const coins = Object.values(state.coins).filter((coin) => coin.withdrawn !== true && coin.depositGone === undefined && coin.lost === undefined && (coin.role === 'owner' || spendsInFlight(coin).length > 0));
  await followLeafEvents(ctx, head, game);
  if (coins.length === 0) return;
  // The base a coin was received with, however old: it cancels a former owner's exit from before it (R12).
  for (const coin of coins) if (coin.base !== undefined) await enforceBase(ctx, state, coin);
  for (let k = count - 1n; k >= 0n; k--) {
    const checkpoint = await game.checkpoint(k, head.number);
    // Long past its period every leaf is final or void (a slot's finality moves only while challenges run).
    if (checkpoint.periodEnd + exitPeriod < head.timestamp) break;
    for (const coin of coins) {
      const { status, finalAt } = await game.leafStatus(k, coin.slot, head.number);
      const facts: CheckpointFacts = { k, block: checkpoint.childBlock, periodEnd: checkpoint.periodEnd, status, finalAt };
      if (status === 'pending') await judgeLeaf(ctx, state, coin, checkpoint, facts, head, challengeBond);
      else if (status === 'final') await enforceLeaf(ctx, state, coin, checkpoint);
    }
  }
}

async function judgeLeaf(ctx: WatcherContext, state: WalletState, coin: WalletCoin, checkpoint: CheckpointOnL1, facts: CheckpointFacts, head: Head, bond: bigint): Promise<void> {
  const served = await servedLeaf(ctx, checkpoint, coin.slot, facts.status);
  const leaf: ServedLeaf | undefined =
    served === undefined
      ? undefined
      : { ...(served.txBlock === null ? {} : { txBlock: served.txBlock }), ...(served.transaction === null ? {} : { transaction: served.transaction }), leafProof: served.leafProof };
  const exits: KnownExit[] = Object.values(state.exits).filter((exit) => exit.slot === coin.slot);
  const decision = decideLeaf(coin, facts, leaf, exits, head.timestamp, ctx.wallet.domain);
  if (decision.kind === 'none') return;
  const key = `checkpoint:${facts.k}:${coin.slot}:${decision.kind}`;
  if (ctx.reported.has(key)) return; // sent this run: L1's status moves on (void) or the challenge is open
  const sent = await challengeLeaf(ctx, coin, facts, served, decision, bond);
  if (sent) ctx.reported.add(key);
}

/** Sends the call `decision` names against the coin's leaf in checkpoint `facts.k`; resolves whether it was mined. */
async function challengeLeaf(ctx: WatcherContext, coin: WalletCoin, facts: CheckpointFacts, served: CheckpointLeafObject | undefined, decision: Exclude<LeafDecision, { kind: 'none' }>, bond: bigint): Promise<boolean> {
  const slot = coin.slot;
  const send = async (method: string, args: readonly unknown[], value = 0n) => (await ctx.send(slot, method, decision.reason, method, args, value)) !== undefined;
  if (decision.kind === 'challengeLeafWithheld') {
    return send('challengeLeafWithheld', [facts.k, slot, transactionArgument(decision.claim.transaction), decision.claim.proof, decision.claim.block], bond);
  }
  // Every other call presents the leaf itself.
  if (served === undefined || served.txBlock === null || served.transaction === null) return false;
  const txDigest = transactionDigest(served.transaction, ctx.wallet.domain);
  const leafRef = leafRefArgument({ checkpoint: facts.k, txBlock: served.txBlock, txDigest, leafProof: served.leafProof }, slot);
  switch (decision.kind) {
    case 'challengeLeafNotIncluded': {
      if (decision.actual !== undefined) return send('challengeLeafNotIncluded', [leafRef, decision.actual.leaf, decision.actual.proof]);
      // No proof needed when B is not a block L1 committed (nor the deposit block, which decideLeaf judged).
      if (decision.exclusionAt === undefined || (ctx.wallet.roots.get(decision.exclusionAt) === undefined && decision.exclusionAt !== coin.deposit.block)) {
        return send('challengeLeafNotIncluded', [leafRef, ZERO_HASH, '0x']);
      }
      const exclusion = await exclusionProof(ctx, slot, decision.exclusionAt);
      if (exclusion !== undefined) return send('challengeLeafNotIncluded', [leafRef, ZERO_HASH, exclusion]);
      if (decision.fallback === undefined) return false;
      return send('challengeLeafHistory', [leafRef, transactionArgument(decision.fallback.transaction), decision.fallback.proof, decision.fallback.block], bond);
    }
    case 'challengeLeafConflict': {
      const base = coin.base!;
      const other = leafRefArgument(base, slot);
      return send('challengeLeafConflict', [leafRef, other]);
    }
    case 'challengeLeafSpent':
      return send('challengeLeafSpent', [leafRef, transactionArgument(decision.checkpointed), transactionArgument(decision.spend.transaction), decision.spend.signature, decision.spend.proof, decision.spend.block]);
    case 'challengeLeafSpentByExit':
      return send('challengeLeafSpentByExit', [leafRef, decision.nonce]);
    case 'challengeLeafHistory':
      return send('challengeLeafHistory', [leafRef, transactionArgument(decision.claim.transaction), decision.claim.proof, decision.claim.block], bond);
  }
}

/** The slot's exclusion proof at child block `block` from the operator, checked against the root on L1. */
async function exclusionProof(ctx: WatcherContext, slot: bigint, block: bigint): Promise<string | undefined> {
  const root = ctx.wallet.roots.get(block);
  if (root === undefined) return undefined;
  let entry;
  try {
    entry = await ctx.wallet.operator.proof(slot, block);
  } catch {
    return undefined;
  }
  if (entry?.kind !== 'exclusion' || !verifyProof(root, slot, ZERO_HASH, entry.proof)) return undefined;
  return entry.proof;
}

/**
 * A final leaf of an owned coin: when it names the wallet's chain, every live exit of others inconsistent with it
 * is cancelled with enforceCheckpoint (call 13, which also applies the leaf as the coin's base if newer).
 */
async function enforceLeaf(ctx: WatcherContext, state: WalletState, coin: WalletCoin, checkpoint: CheckpointOnL1): Promise<void> {
  const live = liveExitsOf(state, coin.slot).filter((exit) => exit.exitor !== ctx.me);
  if (live.length === 0) return;
  const served = await servedLeaf(ctx, checkpoint, coin.slot, 'final');
  if (served === undefined || served.txBlock === null || served.transaction === null) return;
  const txDigest = transactionDigest(served.transaction, ctx.wallet.domain) as Hash;
  if (bytesToHex(checkpointLeaf(served.txBlock, txDigest)) !== served.leaf) return;
  const decision = decideEnforce(ctx.me, coin, { k: checkpoint.k, block: checkpoint.childBlock, txBlock: served.txBlock, txDigest }, live, ctx.wallet.domain);
  if (!decision.apply) return;
  const leafRef = leafRefArgument({ checkpoint: checkpoint.k, txBlock: served.txBlock, txDigest, leafProof: served.leafProof }, coin.slot);
  await enforce(ctx, coin, checkpoint.k, leafRef, decision);
}

/** The coin's own base against the live exits of others (the wallet holds its leaf and proof: no operator needed). */
async function enforceBase(ctx: WatcherContext, state: WalletState, coin: WalletCoin): Promise<void> {
  const base = coin.base!;
  const live = liveExitsOf(state, coin.slot).filter((exit) => exit.exitor !== ctx.me);
  if (live.length === 0) return;
  const decision = decideEnforce(ctx.me, coin, { k: base.checkpoint, block: base.block, txBlock: base.txBlock, txDigest: base.txDigest }, live, ctx.wallet.domain);
  if (decision.apply) await enforce(ctx, coin, base.checkpoint, baseLeafRef(base), decision);
}

async function enforce(ctx: WatcherContext, coin: WalletCoin, k: bigint, leafRef: Record<string, unknown>, decision: { readonly enforce: readonly bigint[]; readonly reason: string }): Promise<void> {
  for (const nonce of decision.enforce) {
    const key = `enforce:${k}:${coin.slot}:${nonce}`;
    if (ctx.reported.has(key)) continue;
    const sent = await ctx.send(coin.slot, 'enforceCheckpoint', `exit ${nonce} is inconsistent with the final checkpoint ${k}: ${decision.reason}`, 'enforceCheckpoint', [leafRef, nonce]);
    if (sent !== undefined) ctx.reported.add(key);
  }
}


/** How far each watcher has read the checkpoint module's events (in memory: a restart reads the recent past again). */
const eventCursors = new WeakMap<WatcherContext, bigint>();
/** A fresh watcher reads this many L1 blocks back (a leaf challenge matters for at most an exit period). */
const FIRST_SCAN_BLOCKS = 100_000n;

/**
 * The module's LeafRevealed and LeafChallengeOpened events since the last round: a revealed transaction naming
 * this wallet is a revealed transfer (the exit game's machinery claims and exits it); an invalid-history
 * challenge of an owned coin's leaf is answered from the wallet's chain, or dismissed by its base
 * (decideLeafChallenge).
 */
async function followLeafEvents(ctx: WatcherContext, head: Head, game: CheckpointGameL1): Promise<void> {
  const iface = checkpointGameInterface();
  const revealedTopic = iface.getEvent('LeafRevealed')!.topicHash;
  const openedTopic = iface.getEvent('LeafChallengeOpened')!.topicHash;
  const range = ctx.options.maxRange ?? 2000n;
  let from = eventCursors.get(ctx) ?? (head.number > FIRST_SCAN_BLOCKS ? head.number - FIRST_SCAN_BLOCKS : 0n);
  while (from <= head.number) {
    const to = from + range - 1n < head.number ? from + range - 1n : head.number;
    const logs = await ctx.wallet.l1.rpc.request<RpcLog[]>('eth_getLogs', [{ address: ctx.wallet.l1.address, fromBlock: quantity(from), toBlock: quantity(to), topics: [[revealedTopic, openedTopic]] }]);
    for (const log of logs) {
      if (log.removed === true) continue;
      const parsed = iface.parseLog({ topics: log.topics, data: log.data });
      if (parsed === null) continue;
      const k = BigInt(parsed.args[0]);
      const slot = BigInt(parsed.args[1]);
      const txOf = (value: { slot: bigint; prevBlock: bigint; denomination: bigint; newOwner: string }) => ({ slot: BigInt(value.slot), prevBlock: BigInt(value.prevBlock), denomination: BigInt(value.denomination), newOwner: value.newOwner.toLowerCase() as `0x${string}` });
      if (parsed.name === 'LeafRevealed') {
        const proof = String(parsed.args[7]) as `0x${string}`;
        if (proof === '0x') continue; // a deposit transaction: nothing to claim or exit
        const revealed = { slot, block: BigInt(parsed.args[5]), transaction: txOf(parsed.args[4]), signature: String(parsed.args[6]).toLowerCase() as `0x${string}`, proof };
        await ctx.wallet.stateFile.update((state) => revealSpend(ctx, state, revealed, `the answer to a challenge of checkpoint ${k}`));
      } else if (parsed.name === 'LeafChallengeOpened') {
        const coin = (await ctx.wallet.stateFile.read()).coins[slot.toString()];
        if (coin === undefined || coin.role !== 'owner' || coin.withdrawn === true) continue;
        const kind = Number(parsed.args[3]) === 2 ? 'invalidHistory' : 'withheld';
        const challengeId = String(parsed.args[2]).toLowerCase() as Hash;
        const claim = txOf(parsed.args[5]);
        const claimBlock = BigInt(parsed.args[6]);
        const checkpoint = await game.checkpoint(k, head.number);
        const answer = decideLeafChallenge(coin, { k, block: checkpoint.childBlock, challengeId, kind, claim, claimBlock }, ctx.wallet.domain);
        if (answer.kind === 'answerLeafHistory') {
          const child = answer.child;
          await ctx.send(slot, 'answerLeafHistory', answer.reason, 'answerLeafHistory', [k, slot, challengeId, transactionArgument(child.transaction), child.signature, child.proof, child.block]);
        } else if (answer.kind === 'dismissLeafHistory' && coin.base !== undefined) {
          await ctx.send(slot, 'applyCheckpoint', `the coin's base settles claims before it: ${answer.reason}`, 'applyCheckpoint', [baseLeafRef(coin.base)]);
          await ctx.send(slot, 'dismissLeafHistory', answer.reason, 'dismissLeafHistory', [k, slot, claimBlock, transactionDigest(claim, ctx.wallet.domain)]);
        }
      }
    }
    from = to + 1n;
  }
  eventCursors.set(ctx, head.number + 1n);
}
