/**
 * The watcher's judgement, as pure functions of what the wallet verified: which challenge (if any) beats an
 * exit of a coin it holds or held, and which transaction answers a challengeBefore of its own exit.
 *
 * Why these rules are enough (PROTOCOL.md §6): the wallet's chain t0 (the deposit), t1 … tm is every valid
 * transaction of the coin through the last block it verified, and a block's root commits to one leaf per slot.
 * So a transaction that an exit proved included at a verified block IS the chain's transaction at that block:
 * - exit block = t_j's block and a later t_{j+1} exists → t_{j+1} spends the exited coin: challengeAfter.
 * - parent block = t_i's block and t_{i+1} lies before the exit block → the exitor's transaction is a second
 *   spend of t_i: challengeBetween.
 * - this wallet owns the coin since t_m and the exit's parent is after t_m → everything the exitor built on is
 *   after a transfer to us that we never spent: challengeBefore with t_m as the claim; only our signature
 *   could answer it.
 *
 * Several exits of a coin may be live at once, and the one with the lowest exit block is the one that can
 * finalize (§6). planCoin decides for all of them together: an exit with a lower exit block than ours would have
 * (our receipt's block) is a former owner's and is challenged; one with a higher exit block (forged, or built on
 * a spend after ours) waits behind ours, so the holder exits beside it when the coin must leave and cancels it
 * with challengeBefore when it wants to stay. A sender whose spend is in flight (its receiver may not know it
 * owns the coin) does both: it exits beside and claims its receipt against every live exit, so that the thief
 * must either lose its exit or answer with that spend, which reveals the receiver on L1.
 */
import { depositTransaction, transactionDigest, type Address, type Hash, type Hex, type InclusionEntry, type Transaction, type TransactionDomain } from '../protocol/index.ts';
import { chainLastBlock, chainOrigin, chainOwner, spendsInFlight, type RevealedTransfer, type SignedSpend, type WalletCoin } from '../wallet/state.ts';

export interface ExitFacts {
  readonly exitor: Address;
  /** Zero for a deposit exit. */
  readonly parentBlock: bigint;
  readonly exitBlock: bigint;
}

export interface Claim {
  readonly transaction: Transaction;
  /** Empty ("0x") for the deposit transaction. */
  readonly proof: Hex;
  readonly block: bigint;
}

export type ChallengeDecision =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'challengeAfter' | 'challengeBetween'; readonly spend: InclusionEntry; readonly reason: string }
  | { readonly kind: 'challengeBefore'; readonly claim: Claim; readonly reason: string };

interface Link {
  readonly block: bigint;
  readonly transaction: Transaction;
  /** Absent for the deposit transaction. */
  readonly entry?: InclusionEntry;
}

/** The wallet's verified chain: from its base's transaction when it has one (chainOrigin), else the deposit. */
function links(coin: WalletCoin): Link[] {
  return [chainOrigin(coin), ...coin.chain.map((entry) => ({ block: entry.block, transaction: entry.transaction, entry }))];
}

const claimOf = (link: Link): Claim => ({ transaction: link.transaction, proof: link.entry?.proof ?? '0x', block: link.block });

/**
 * Decides how `me` answers an exit of `coin`. `coin` may be undefined when the wallet never held the coin and
 * only `revealed` transfers (withheld from it, shown on L1 by a response) name it.
 */
export function decideChallenge(
  me: Address,
  exit: ExitFacts,
  coin: WalletCoin | undefined,
  revealed: readonly RevealedTransfer[] = [],
  options: { readonly urgent?: boolean } = {},
): ChallengeDecision {
  const self = me.toLowerCase();
  if (exit.exitor.toLowerCase() === self) return { kind: 'none', reason: 'the exit is this wallet\'s own' };
  if (coin !== undefined) {
    const chain = links(coin);
    const last = chain.length - 1;
    const exited = chain.findIndex((link) => link.block === exit.exitBlock);
    if (exited !== -1 && exited < last) {
      return { kind: 'challengeAfter', spend: chain[exited + 1]!.entry!, reason: `the exited transaction of block ${exit.exitBlock} was spent at block ${chain[exited + 1]!.block}` };
    }
    if (exited === last) return { kind: 'none', reason: `the exitor owns the coin by the last verified transaction (block ${exit.exitBlock})` };
    if (exit.parentBlock !== 0n) {
      const parent = chain.findIndex((link) => link.block === exit.parentBlock);
      if (parent !== -1 && parent < last && chain[parent + 1]!.block < exit.exitBlock) {
        return { kind: 'challengeBetween', spend: chain[parent + 1]!.entry!, reason: `the parent of block ${exit.parentBlock} was already spent at block ${chain[parent + 1]!.block}, before the exit block ${exit.exitBlock}` };
      }
    }
    const tip = chain[last]!;
    // L1 proved the wallet spent the coin after its tip (its own exit cancelled, or its claim answered with its
    // own signature): the same claim would only be answered again and lose another bond.
    const claimable = coin.lost === undefined;
    // The exit builds on blocks not verified yet while a proof is late or a spend of ours is in flight: the
    // likeliest story is our own spend landing, and a claim would be answered with our signature. Wait for the
    // proof or for the freeze (minutes, against days of exit period) unless the deadline is close.
    const waiting = coin.frozen === undefined && coin.coveredThrough < exit.parentBlock && (coin.missingSince !== undefined || spendsInFlight(coin).length > 0) && options.urgent !== true;
    if (claimable && tip.transaction.newOwner.toLowerCase() === self && exit.parentBlock !== 0n && tip.block < exit.parentBlock) {
      if (waiting) return { kind: 'none', reason: `waiting to verify the blocks up to ${exit.parentBlock} before claiming: a proof is late or a spend of ours is in flight` };
      return { kind: 'challengeBefore', claim: claimOf(tip), reason: `this wallet owns the coin since block ${tip.block} and never spent it; the exit builds on block ${exit.parentBlock}` };
    }
  }
  // A transfer to us that L1 revealed spends its parent: it cancels an exit of that parent, or a second spend of it.
  for (const r of revealed) {
    if (r.transaction.newOwner.toLowerCase() !== self || (coin !== undefined && r.block <= coin.coveredThrough)) continue;
    const entry: InclusionEntry = { block: r.block, kind: 'inclusion', transaction: r.transaction, signature: r.signature, proof: r.proof };
    if (exit.exitBlock === r.transaction.prevBlock && r.block > exit.exitBlock) {
      return { kind: 'challengeAfter', spend: entry, reason: `a transfer to this wallet revealed on L1 spent the exited transaction of block ${exit.exitBlock} at block ${r.block}` };
    }
    if (exit.parentBlock !== 0n && exit.parentBlock === r.transaction.prevBlock && r.block < exit.exitBlock) {
      return { kind: 'challengeBetween', spend: entry, reason: `a transfer to this wallet revealed on L1 spent the parent of block ${exit.parentBlock} at block ${r.block}, before the exit block ${exit.exitBlock}` };
    }
  }
  const reveal = revealed
    .filter((r) => r.transaction.newOwner.toLowerCase() === self && exit.parentBlock !== 0n && r.block < exit.parentBlock && (coin === undefined || r.block > coin.coveredThrough))
    .sort((a, b) => (a.block > b.block ? -1 : 1))[0];
  if (reveal !== undefined) {
    return { kind: 'challengeBefore', claim: { transaction: reveal.transaction, proof: reveal.proof, block: reveal.block }, reason: `a response on L1 revealed a transfer to this wallet at block ${reveal.block} that it never spent` };
  }
  return { kind: 'none', reason: 'nothing in this wallet\'s verified history contradicts the exit' };
}

/**
 * The direct child of `claim` in the coin's chain, included after the claim and no later than the exit's parent
 * block: what answers a challengeBefore of this wallet's exit. Undefined when the chain has none (the
 * challenge is then right, and the exit will be cancelled).
 */
export function decideResponse(coin: WalletCoin, claim: Transaction | Hash, claimBlock: bigint, parentBlock: bigint, domain: TransactionDomain): InclusionEntry | undefined {
  const chain = links(coin);
  // A challenge on L1 is known by its id, the claim's digest; an event also carries the claim itself.
  const claimDigest = typeof claim === 'string' ? claim.toLowerCase() : transactionDigest(claim, domain);
  const index = chain.findIndex((link) => link.block === claimBlock && transactionDigest(link.transaction, domain) === claimDigest);
  const child = index === -1 ? undefined : chain[index + 1];
  return child !== undefined && child.block <= parentBlock ? child.entry : undefined;
}

/** A live exit of the coin as the planner sees it. */
export interface LiveExit extends ExitFacts {
  readonly nonce: bigint;
  readonly finalizableAt: bigint;
}

export interface CoinSituation {
  /** The L1 clock (the head block's timestamp). */
  readonly now: bigint;
  readonly responsePeriod: bigint;
  /**
   * The coin must leave the child chain: it is frozen and a spend was in flight, the operator proved it cheats,
   * or the proofs stayed missing past the operator-gone time (the watcher's judgement, from the clock).
   */
  readonly mustLeave: boolean;
}

export type ExitMove =
  | { readonly nonce: bigint; readonly kind: 'none'; readonly reason: string }
  | { readonly nonce: bigint; readonly kind: 'challengeAfter' | 'challengeBetween'; readonly spend: InclusionEntry; readonly reason: string }
  | { readonly nonce: bigint; readonly kind: 'challengeBefore'; readonly claim: Claim; readonly reason: string };

export interface CoinPlan {
  /** One move per live exit of someone else, in exit-block order. */
  readonly moves: readonly ExitMove[];
  /** Start this wallet's own exit of the coin now (from its last verified transaction), beside any live one. */
  readonly exit?: { readonly reason: string };
  /** Start an exit of a transfer to this wallet that L1 revealed (the operator withheld it), beside the live ones. */
  readonly exitRevealed?: { readonly transfer: RevealedTransfer; readonly reason: string };
}

const byExitBlock = (a: LiveExit, b: LiveExit) => (a.exitBlock < b.exitBlock ? -1 : a.exitBlock > b.exitBlock ? 1 : 0);

/**
 * What `me` does about every live exit of one coin (`exits`, any order), given what its wallet verified
 * (`coin`, undefined when it never held the coin) and the transfers to it that L1 revealed (`revealed`).
 */
export function planCoin(me: Address, coin: WalletCoin | undefined, exits: readonly LiveExit[], revealed: readonly RevealedTransfer[], situation: CoinSituation): CoinPlan {
  const self = me.toLowerCase();
  const live = [...exits].sort(byExitBlock);
  const own = live.filter((exit) => exit.exitor.toLowerCase() === self);
  const others = live.filter((exit) => exit.exitor.toLowerCase() !== self);
  const urgent = (exit: LiveExit) => situation.now + situation.responsePeriod >= exit.finalizableAt;
  const holder = coin !== undefined && coin.lost === undefined && coin.withdrawn !== true && chainOwner(coin) === self;
  // The exit block ours would have: the block of the transfer that made us owner (our receipt).
  const receiptBlock = holder ? chainLastBlock(coin) : undefined;
  const inFlight = coin === undefined ? [] : spendsInFlight(coin);
  // A spend of ours that landed where its receiver may not know: our receipt is what must be claimed.
  const landed = coin !== undefined && coin.lost === undefined ? inFlight.filter((spend) => spend.landedAt !== undefined) : [];

  const moves: ExitMove[] = [];
  let beside: string | undefined;
  for (const exit of others) {
    const decision = decideChallenge(me, exit, coin, revealed, { urgent: urgent(exit) });
    const move = (d: ChallengeDecision): ExitMove => ({ nonce: exit.nonce, ...d });
    if (decision.kind === 'challengeAfter' || decision.kind === 'challengeBetween') {
      moves.push(move(decision)); // cancels it at once, whatever else holds
      continue;
    }
    const sentClaim = landed.length > 0 ? claimForLandedSpend(coin!, landed, exit) : undefined;
    if (sentClaim !== undefined) {
      moves.push(move(sentClaim));
      continue;
    }
    if (receiptBlock === undefined || exit.exitBlock < receiptBlock) {
      moves.push(move(decision)); // a former owner's exit (or not a coin of ours): challenged as it fits
      continue;
    }
    // A higher exit block than ours would have: it waits behind our exit, if we have one.
    if (inFlight.length > 0) {
      // A sender with a spend in flight claims its receipt against every exit it fits (the thief must reveal
      // the receiver to keep its exit) and exits beside it; unless it still waits to verify the blocks the exit
      // builds on (decideChallenge), where its own spend may have landed.
      moves.push(move(decision));
      if (decision.kind === 'challengeBefore' || coin!.frozen !== undefined || exit.parentBlock <= coin!.coveredThrough) {
        beside ??= `a spend of this coin is in flight and exit ${exit.nonce} (exit block ${exit.exitBlock}) is live: exit beside it from block ${receiptBlock}`;
      }
      continue;
    }
    if (situation.mustLeave || own.length > 0) {
      moves.push(move({ kind: 'none', reason: `exit ${exit.nonce} has a higher exit block (${exit.exitBlock}) than this wallet's (${receiptBlock}): it waits behind this wallet's exit` }));
      continue;
    }
    moves.push(move(decision)); // the holder stays: cancel it with challengeBefore
  }

  let plan: CoinPlan = { moves };
  const canExit = holder && coin.depositGone === undefined && own.length === 0;
  if (canExit && situation.mustLeave) {
    plan = { ...plan, exit: { reason: `the coin must leave (frozen: ${coin.frozen?.code ?? 'no'}${coin.frozen === undefined ? '' : ` at block ${coin.frozen.block}`}): exit from the last verified transaction, block ${receiptBlock}, beside any live exit` } };
  } else if (canExit && beside !== undefined) {
    plan = { ...plan, exit: { reason: beside } };
  }
  // A transfer to us that only L1 revealed, on a coin someone exits: exit it beside the others (its exit block is
  // below every exit built after it), unless our wallet verified the coin past it.
  if (own.length === 0 && others.length > 0) {
    const mine = revealed
      .filter((r) => r.transaction.newOwner.toLowerCase() === self && (coin === undefined || (r.block > coin.coveredThrough && !holder)))
      .sort((a, b) => (a.block > b.block ? -1 : 1))[0];
    if (mine !== undefined && others.some((exit) => exit.exitBlock > mine.block)) {
      plan = { ...plan, exitRevealed: { transfer: mine, reason: `a transfer to this wallet at block ${mine.block} was revealed on L1 while exits of the coin are live: exit it beside them` } };
    }
  }
  return plan;
}

/**
 * The claim of a sender whose spend landed but whose receiver may not know it: its receipt, against an exit built
 * after the spend (the answer can only be that spend, which reveals the receiver on L1). Not against an exit the
 * receiver signed: built directly on the spend, or exiting it.
 */
function claimForLandedSpend(coin: WalletCoin, landed: readonly SignedSpend[], exit: LiveExit): ChallengeDecision | undefined {
  const chain = links(coin);
  for (const spend of landed) {
    const receipt = chain.find((link) => link.block === spend.transaction.prevBlock);
    if (receipt === undefined || exit.parentBlock === 0n || exit.parentBlock <= receipt.block) continue;
    if (exit.parentBlock === spend.landedAt || exit.exitBlock === spend.landedAt) continue;
    return { kind: 'challengeBefore', claim: claimOf(receipt), reason: `this wallet's spend at block ${spend.landedAt} may not be known to its receiver ${spend.transaction.newOwner}: claim the receipt of block ${receipt.block}, so that an answer reveals it` };
  }
  return undefined;
}

// ---- checkpoints (PROTOCOL.md §10 Watcher, docs/CHECKPOINTS.md §7 Watch)

/** A checkpoint k and the coin's leaf status in it, read from L1. */
export interface CheckpointFacts {
  readonly k: bigint;
  /** N. */
  readonly block: bigint;
  /** The end of its period: withheld and invalid-history challenges must be mined before it. */
  readonly periodEnd: bigint;
  /** leafStatus(k, slot). */
  readonly status: 'pending' | 'final' | 'void';
  /** The slot's finalAt: every challenge must be mined before it. */
  readonly finalAt: bigint;
}

/** The leaf the operator serves, proved under k's root (checkLeafProof); undefined when it serves none or a bad proof. */
export interface ServedLeaf {
  /** Undefined for a zero leaf. */
  readonly txBlock?: bigint;
  readonly transaction?: Transaction;
  readonly leafProof: Hex;
}

/** Any exit of the coin, live or not (an exit is the exit game's record of a spend of its parent, call 7). */
export interface KnownExit extends ExitFacts {
  readonly nonce: bigint;
}

export type LeafDecision =
  | { readonly kind: 'none'; readonly reason: string }
  /** Call 2 (+ bond): the leaf is missing; `claim` is the wallet's transaction at or before N. */
  | { readonly kind: 'challengeLeafWithheld'; readonly claim: Claim; readonly reason: string }
  /**
   * Call 4: the leaf is not the coin's at N. `actual`: the slot's true leaf in block txBlock with its proof when the
   * wallet holds it (a transaction of its chain); `exclusionAt`: the block whose exclusion proof the caller fetches
   * and checks (the wallet keeps no exclusion proofs), falling back to `fallback` (call 8) when it cannot.
   */
  | {
      readonly kind: 'challengeLeafNotIncluded';
      readonly actual?: { readonly leaf: Hash; readonly proof: Hex };
      readonly exclusionAt?: bigint;
      readonly fallback?: Claim;
      readonly reason: string;
    }
  /** Call 5: the leaf conflicts with the coin's base (a final leaf). */
  | { readonly kind: 'challengeLeafConflict'; readonly reason: string }
  /** Call 6: the leaf names a transaction the chain spends again at or before N. */
  | { readonly kind: 'challengeLeafSpent'; readonly checkpointed: Transaction; readonly spend: InclusionEntry; readonly reason: string }
  /** Call 7: an exit records a spend of the named transaction within (B, N]. */
  | { readonly kind: 'challengeLeafSpentByExit'; readonly nonce: bigint; readonly reason: string }
  /** Call 8 (+ bond): the claim's owner never spent it; only a child it signed can answer. */
  | { readonly kind: 'challengeLeafHistory'; readonly claim: Claim; readonly reason: string };

/**
 * What `me` does about the coin's leaf in a checkpoint (docs/CHECKPOINTS.md §7 Watch), from what the wallet
 * verified. The leaf must name the chain's last transaction at or before N (zero when the coin was deposited
 * after N); anything else is challenged with the call that voids it without a bond where one applies (4, 5, 6,
 * 7), else with a bonded one (2, 8). A sender with a spend in flight claims its receipt (8) against a leaf that
 * names anything it did not verify, so that the answer reveals its receiver.
 */
export function decideLeaf(coin: WalletCoin, checkpoint: CheckpointFacts, leaf: ServedLeaf | undefined, exits: readonly KnownExit[], now: bigint, domain: TransactionDomain): LeafDecision {
  const N = checkpoint.block;
  if (checkpoint.status !== 'pending') return { kind: 'none', reason: `the leaf is ${checkpoint.status} on L1` };
  if (now >= checkpoint.finalAt) return { kind: 'none', reason: `the leaf is final from ${checkpoint.finalAt}: no challenge can be mined in time` };
  if (coin.base !== undefined && N < coin.base.block) return { kind: 'none', reason: `checkpoint ${checkpoint.k} (block ${N}) is older than the coin's base (block ${coin.base.block})` };
  if (coin.deposit.block > N) return leaf?.txBlock === undefined ? { kind: 'none', reason: `the coin was deposited after block ${N}: its leaf is zero` } : notIncluded(`the coin was deposited at ${coin.deposit.block}, after the checkpoint's block ${N}`);
  const chain = links(coin);
  const origin = chain[0]!;
  const inFlight = spendsInFlight(coin).filter((spend) => spend.landedAt === undefined || spend.landedAt > coin.coveredThrough);
  const verified = coin.coveredThrough >= N;
  const expected = [...chain].reverse().find((link) => link.block <= N);
  const periodOpen = now < checkpoint.periodEnd;

  if (leaf === undefined || leaf.txBlock === undefined || leaf.transaction === undefined) {
    if (!verified && inFlight.length === 0) return { kind: 'none', reason: `the wallet has not verified the coin through block ${N} yet` };
    if (expected === undefined) return { kind: 'none', reason: `the wallet's chain starts after block ${N} (its base): it holds no transaction to claim` };
    if (!periodOpen) return { kind: 'none', reason: `the leaf is missing but the period ended at ${checkpoint.periodEnd}: a withheld challenge is too late` };
    return { kind: 'challengeLeafWithheld', claim: claimOf(expected), reason: `the operator serves no leaf of the coin in checkpoint ${checkpoint.k} (block ${N}); the wallet's transaction at block ${expected.block} is the coin's` };
  }

  const B = leaf.txBlock;
  const digest = transactionDigest(leaf.transaction, domain);
  const named = chain.findIndex((link) => link.block === B);
  const namedLink = named === -1 ? undefined : chain[named]!;
  const namesLink = namedLink !== undefined && transactionDigest(namedLink.transaction, domain) === digest;
  // An exit recorded a spend of the named transaction within (B, N] (call 7): evidence even where the wallet has
  // not verified through N (an exit proves its transaction's inclusion).
  const exitSpend = exits.find((exit) => exit.parentBlock === B && exit.exitBlock > B && exit.exitBlock <= N);
  if (exitSpend !== undefined) return { kind: 'challengeLeafSpentByExit', nonce: exitSpend.nonce, reason: `exit ${exitSpend.nonce} records a spend of block ${B} at block ${exitSpend.exitBlock} ≤ ${N}` };
  if (namesLink && namedLink === expected) return { kind: 'none', reason: `the leaf names the chain's last transaction at or before block ${N} (block ${B})` };
  if (B > N) return notIncluded(`the leaf names block ${B}, after the checkpoint's block ${N}`);
  if (B < coin.deposit.block) return notIncluded(`the leaf names block ${B}, before the coin's deposit block ${coin.deposit.block}`);
  if (B === coin.deposit.block) {
    if (transactionDigest(depositTransaction(coin.deposit), domain) !== digest) return notIncluded(`the leaf names the deposit block ${B} with another transaction than the deposit`);
  }
  // A transaction the chain verified, spent again at or before N: the spend voids it (call 6).
  if (namesLink && named + 1 < chain.length && chain[named + 1]!.block <= N) {
    const spend = chain[named + 1]!;
    return { kind: 'challengeLeafSpent', checkpointed: namedLink.transaction, spend: spend.entry!, reason: `the leaf names the transaction of block ${B}, spent at block ${spend.block} ≤ ${N}` };
  }
  // Before the wallet's base: a final leaf of the coin says otherwise (call 5).
  if (coin.base !== undefined && coin.base.block < N && B <= coin.base.block && !(B === coin.base.txBlock && digest === coin.base.txDigest)) {
    return { kind: 'challengeLeafConflict', reason: `the leaf names block ${B}, which conflicts with the coin's base (block ${coin.base.txBlock} in checkpoint ${coin.base.checkpoint} at ${coin.base.block})` };
  }
  // Another transaction than the chain's in block B (call 4 with the chain's leaf there).
  if (namedLink?.entry !== undefined && !namesLink) {
    return { kind: 'challengeLeafNotIncluded', actual: { leaf: transactionDigest(namedLink.transaction, domain), proof: namedLink.entry.proof }, reason: `block ${B} holds the chain's transaction, not the one the leaf names` };
  }
  // A sender with a spend in flight claims its receipt against any leaf it cannot vouch for (§10 Watcher).
  const receipt = inFlight.length > 0 ? chain.find((link) => link.block === inFlight[0]!.transaction.prevBlock) : undefined;
  if (receipt !== undefined && !namesLink && N >= receipt.block && receipt.block < B) {
    if (!periodOpen && !verified) return { kind: 'none', reason: `the leaf names block ${B} and a spend is in flight, but the period ended at ${checkpoint.periodEnd}` };
    if (periodOpen) return { kind: 'challengeLeafHistory', claim: claimOf(receipt), reason: `a spend of the receipt at block ${receipt.block} is in flight and the leaf names block ${B}: the answer must reveal the spend's receiver` };
  }
  // B ≤ N, not the chain's, in blocks the wallet verified: the coin did not move at B. The slot's leaf at B is
  // zero: its exclusion proof voids the leaf (call 4).
  if (B <= coin.coveredThrough && (B > origin.block || (B === origin.block && !namesLink))) {
    const fallback = expected !== undefined && expected.block < B && periodOpen ? expected : undefined;
    return {
      kind: 'challengeLeafNotIncluded',
      exclusionAt: B,
      ...(fallback === undefined ? {} : { fallback: claimOf(fallback) }),
      reason: `the leaf names block ${B}, where the wallet's verified history holds no such transaction of the coin`,
    };
  }
  if (!verified) return { kind: 'none', reason: `the wallet has not verified the coin through block ${N} yet` };
  return { kind: 'none', reason: `the leaf names block ${B}, before the wallet's history starts (block ${origin.block}): nothing to hold against it` };
  function notIncluded(reason: string): LeafDecision {
    return { kind: 'challengeLeafNotIncluded', reason };
  }
}

/**
 * A final, non-void leaf of an owned coin and the live exits of others: which to cancel with enforceCheckpoint
 * (call 13). An exit (parent p, exit block e) is consistent with the leaf (B, D)@N iff e == B, or p == B and
 * e > N, or p > N (docs/CHECKPOINTS.md §4); `settledThrough` ≥ N means the exit is already bound to it or newer.
 * Only a leaf that names the wallet's own chain is used: enforcing a wrong final leaf would hurt the owner.
 */
export function decideEnforce(
  me: Address,
  coin: WalletCoin,
  leaf: { readonly k: bigint; readonly block: bigint; readonly txBlock: bigint; readonly txDigest: Hash },
  exits: readonly (KnownExit & { readonly settledThrough?: bigint })[],
  domain: TransactionDomain,
): { readonly apply: boolean; readonly enforce: readonly bigint[]; readonly reason: string } {
  const chain = links(coin);
  const expected = [...chain].reverse().find((link) => link.block <= leaf.block);
  const named =
    expected !== undefined && expected.block === leaf.txBlock && transactionDigest(expected.transaction, domain) === leaf.txDigest.toLowerCase();
  const isBase = coin.base !== undefined && coin.base.checkpoint === leaf.k;
  if (!named && !isBase) return { apply: false, enforce: [], reason: `the final leaf (block ${leaf.txBlock}) is not the wallet's chain at block ${leaf.block}: not used` };
  const self = me.toLowerCase();
  const enforce = exits
    .filter((exit) => exit.exitor.toLowerCase() !== self && (exit.settledThrough ?? 0n) < leaf.block)
    .filter((exit) => !(exit.exitBlock === leaf.txBlock || (exit.parentBlock === leaf.txBlock && exit.exitBlock > leaf.block) || exit.parentBlock > leaf.block))
    .map((exit) => exit.nonce);
  return { apply: true, enforce, reason: `checkpoint ${leaf.k} is final and names the wallet's transaction at block ${leaf.txBlock}` };
}

/**
 * A challengeBefore of this wallet's own exit that its chain cannot answer (decideResponse found no child): the
 * base's leaf answers it when the claim is at or before the base's N and is not the base's transaction
 * (respondChallengeBeforeWithCheckpoint, call 14).
 */
export function decideCheckpointResponse(coin: WalletCoin, claimDigest: Hash, claimBlock: bigint): { readonly k: bigint; readonly reason: string } | undefined {
  const base = coin.base;
  if (base === undefined || claimBlock > base.block) return undefined;
  if (claimBlock === base.txBlock && claimDigest.toLowerCase() === base.txDigest.toLowerCase()) return undefined;
  return { k: base.checkpoint, reason: `the claim of block ${claimBlock} is settled by the coin's base, checkpoint ${base.checkpoint} at block ${base.block}` };
}

/** A challenge of a leaf as its LeafChallengeOpened event tells it. */
export interface LeafChallengeFacts {
  readonly k: bigint;
  /** N of checkpoint k. */
  readonly block: bigint;
  readonly challengeId: Hash;
  readonly kind: 'withheld' | 'invalidHistory';
  readonly claim: Transaction;
  readonly claimBlock: bigint;
}

export type LeafChallengeAnswer =
  | { readonly kind: 'none'; readonly reason: string }
  /** Call 9: the claim's direct child in the wallet's chain, at or before N. */
  | { readonly kind: 'answerLeafHistory'; readonly child: InclusionEntry; readonly reason: string }
  /** Calls 12 then 10: the claim lies before the coin's base (and is not the base): the applied base dismisses it. */
  | { readonly kind: 'dismissLeafHistory'; readonly reason: string };

/**
 * An invalid-history challenge of a leaf of an owned coin (docs/CHECKPOINTS.md §7 Watch): answered with the
 * claim's child from the wallet's chain (half the bond to the answerer; the operator usually answers first, and a
 * second answer reverts at its estimate, costing nothing); a claim before the base other than the base itself is
 * dismissed once the base is applied. A withheld challenge is the operator's to answer with the leaf it holds.
 */
export function decideLeafChallenge(coin: WalletCoin, challenge: LeafChallengeFacts, domain: TransactionDomain): LeafChallengeAnswer {
  if (challenge.kind !== 'invalidHistory') return { kind: 'none', reason: 'a withheld challenge is answered by the operator with the leaf it holds' };
  const chain = links(coin);
  const claimDigest = transactionDigest(challenge.claim, domain);
  const base = coin.base;
  if (base !== undefined && base.block < challenge.block && challenge.claimBlock <= base.block && !(challenge.claimBlock === base.txBlock && claimDigest === base.txDigest)) {
    return { kind: 'dismissLeafHistory', reason: `the claim of block ${challenge.claimBlock} lies before the coin's base (checkpoint ${base.checkpoint} at block ${base.block})` };
  }
  const index = chain.findIndex((link) => link.block === challenge.claimBlock && transactionDigest(link.transaction, domain) === claimDigest);
  const child = index === -1 ? undefined : chain[index + 1];
  if (child?.entry === undefined || child.block > challenge.block) return { kind: 'none', reason: `the wallet's chain holds no child of the claim of block ${challenge.claimBlock} at or before block ${challenge.block}` };
  return { kind: 'answerLeafHistory', child: child.entry, reason: `the claim of block ${challenge.claimBlock} was spent at block ${child.block}` };
}
