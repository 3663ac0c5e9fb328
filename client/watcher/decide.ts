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
 */
import { depositTransaction, transactionDigest, type Address, type Hash, type Hex, type InclusionEntry, type Transaction, type TransactionDomain } from '../protocol/index.ts';
import type { RevealedTransfer, StoredCoin } from '../wallet/state.ts';

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

function links(coin: StoredCoin): Link[] {
  return [{ block: coin.deposit.block, transaction: depositTransaction(coin.deposit) }, ...coin.chain.map((entry) => ({ block: entry.block, transaction: entry.transaction, entry }))];
}

const claimOf = (link: Link): Claim => ({ transaction: link.transaction, proof: link.entry?.proof ?? '0x', block: link.block });

/**
 * Decides how `me` answers an exit of `coin`. `coin` may be undefined when the wallet never held the coin and
 * only `revealed` transfers (withheld from it, shown on L1 by a response) name it.
 */
export function decideChallenge(
  me: Address,
  exit: ExitFacts,
  coin: StoredCoin | undefined,
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
    const waiting = coin.frozen === undefined && coin.coveredThrough < exit.parentBlock && (coin.missingSince !== undefined || coin.inFlight !== undefined) && options.urgent !== true;
    if (claimable && tip.transaction.newOwner.toLowerCase() === self && exit.parentBlock !== 0n && tip.block < exit.parentBlock) {
      if (waiting) return { kind: 'none', reason: `waiting to verify the blocks up to ${exit.parentBlock} before claiming: a proof is late or a spend of ours is in flight` };
      return { kind: 'challengeBefore', claim: claimOf(tip), reason: `this wallet owns the coin since block ${tip.block} and never spent it; the exit builds on block ${exit.parentBlock}` };
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
export function decideResponse(coin: StoredCoin, claim: Transaction | Hash, claimBlock: bigint, parentBlock: bigint, domain: TransactionDomain): InclusionEntry | undefined {
  const chain = links(coin);
  // A challenge on L1 is known by its id, the claim's digest; an event also carries the claim itself.
  const claimDigest = typeof claim === 'string' ? claim.toLowerCase() : transactionDigest(claim, domain);
  const index = chain.findIndex((link) => link.block === claimBlock && transactionDigest(link.transaction, domain) === claimDigest);
  const child = index === -1 ? undefined : chain[index + 1];
  return child !== undefined && child.block <= parentBlock ? child.entry : undefined;
}
