/**
 * What a wallet remembers about its coins, kept in one StateFile per account and contract.
 *
 * A coin's `chain` is the part of its history that matters in the exit game: the valid transactions after the
 * deposit, each with its signature and inclusion proof, exactly as verified. Exclusion proofs are checked and
 * then dropped: no exit, challenge or response ever needs them. Coins this wallet sent stay here (role
 * "former") because their chain is what beats a former owner's or a thief's exit later.
 */
import { depositTransaction, transactionDigest, type Address, type CheckpointBase, type CoinDeposit, type Hash, type Hex, type InclusionEntry, type Transaction, type TransactionDomain } from '../protocol/index.ts';
import type { AssetKind } from '../l1/events.ts';
import type { ExitStatusName } from '../l1/plasma-cash.ts';

export const STATE_VERSION = 1;

/** owner: the last valid transaction names this wallet; former: it sent the coin on. */
export type CoinRole = 'owner' | 'former';

/** A transfer this wallet signed and handed to the operator. */
export interface SignedSpend {
  readonly transaction: Transaction;
  readonly signature: Hex;
  readonly digest: Hash;
  readonly submittedAt: number;
  /** The operator refused it (it holds the signature all the same, and may include it in any later block). */
  readonly refused?: { readonly code: string; readonly at: number };
  /** The block a verified history shows it in, once it landed. */
  readonly landedAt?: bigint;
}

export interface WalletCoin {
  readonly slot: bigint;
  readonly deposit: CoinDeposit;
  readonly asset: { readonly kind: AssetKind; readonly token: Address; readonly tokenId: bigint };
  chain: InclusionEntry[];
  /**
   * The coin's base when it was received with a checkpoint package (PROTOCOL.md §10, docs/CHECKPOINTS.md §7): the
   * checkpointed transaction with its proofs and the leaf of a final checkpoint. `chain` then holds only the
   * transactions after the base's N, and the base transaction is the parent of the first of them (and of exits:
   * startExitFromCheckpoint, startCheckpointExit).
   */
  base?: CheckpointBase;
  /** The last child block verified for this coin (the deposit block before any). */
  coveredThrough: bigint;
  role: CoinRole;
  /** A spend this wallet signed and submitted that no verified block holds yet (no other send until it settles). */
  inFlight?: SignedSpend;
  /**
   * Spends whose receiver may not know it owns the coin: transfers the operator refused (it still holds their
   * signatures), and a spend that landed without the wallet handing its package over (its send timed out). Each
   * counts as a spend in flight in the exit game (PROTOCOL.md §6, §7) until it can never be valid (another spend
   * of its parent landed) or an event on L1 revealed it to its receiver.
   */
  undelivered?: SignedSpend[];
  /** Set when a block's proof for the coin was invalid, or missing past the grace period: never send it again. */
  frozen?: { readonly block: bigint; readonly code: string; readonly reason: string; readonly at: number };
  /** First time the proof of block `block` could not be fetched. */
  missingSince?: { readonly block: bigint; readonly at: number };
  /** Exited to L1 and paid out. */
  withdrawn?: boolean;
  /**
   * This wallet's own exit of the coin was cancelled: L1 proved it no longer owns it (its in-flight spend
   * landed, or its history was not the valid one). It never exits the coin again on its own.
   */
  lost?: { readonly nonce: bigint; readonly reason: string };
  /**
   * L1 no longer holds this coin's deposit as the wallet recorded it: a reorg took the deposit transaction back
   * (the slot is empty, or holds another deposit). The wallet neither sends nor exits the coin while this is set
   * (the watcher still verifies it and still challenges exits of it); it is cleared if the deposit comes back.
   */
  depositGone?: { readonly at: number; readonly reason: string };
}

export interface TrackedExit {
  readonly slot: bigint;
  readonly nonce: bigint;
  readonly exitor: Address;
  readonly parentBlock: bigint;
  readonly exitBlock: bigint;
  status: 'live' | 'finalized' | 'cancelled';
  finalizableAt: bigint;
}

export interface TrackedChallenge {
  readonly slot: bigint;
  readonly nonce: bigint;
  readonly challengeId: Hash;
  readonly challenger: Address;
  readonly claim: Transaction;
  readonly claimBlock: bigint;
  status: 'open' | 'answered' | 'settled';
  openedAtL1Block: bigint;
  response?: { readonly transaction: Transaction; readonly block: bigint };
}

/** A transfer to this wallet that the operator withheld and a response on L1 revealed (§6 respondChallengeBefore). */
export interface RevealedTransfer {
  readonly slot: bigint;
  readonly block: bigint;
  readonly transaction: Transaction;
  readonly signature: Hex;
  readonly proof: Hex;
}

export interface Decision {
  readonly at: string;
  readonly slot: string;
  readonly action: string;
  readonly reason: string;
  readonly l1Transaction?: string;
  readonly error?: string;
}

export interface WalletState {
  version: number;
  account: Address;
  contract: Address;
  chainId: bigint;
  /** The last L1 block whose PlasmaCash events the watcher applied (resume point). */
  l1Cursor: bigint;
  coins: Record<string, WalletCoin>;
  exits: Record<string, TrackedExit>;
  challenges: Record<string, TrackedChallenge>;
  revealed: Record<string, RevealedTransfer>;
  /** The most recent decisions of the watcher, newest last (bounded). */
  decisions: Decision[];
}

export const MAX_DECISIONS = 200;

export function emptyState(account: Address, contract: Address, chainId: bigint, startBlock: bigint): WalletState {
  return { version: STATE_VERSION, account, contract, chainId, l1Cursor: startBlock - 1n, coins: {}, exits: {}, challenges: {}, revealed: {}, decisions: [] };
}

export const exitKey = (slot: bigint, nonce: bigint) => `${slot}:${nonce}`;
export const challengeKey = (slot: bigint, nonce: bigint, id: Hash) => `${slot}:${nonce}:${id}`;

/** A coin as its Deposit event mints it: owned by the depositor, no transaction yet. */
export function coinFromDeposit(event: { slot: bigint; block: bigint; depositor: Address; denomination: bigint; kind: AssetKind; token: Address; tokenId: bigint }): WalletCoin {
  return {
    slot: event.slot,
    deposit: { slot: event.slot, block: event.block, owner: event.depositor, denomination: event.denomination },
    asset: { kind: event.kind, token: event.token, tokenId: event.tokenId },
    chain: [],
    coveredThrough: event.block,
    role: 'owner',
  };
}

/** Whether L1's record of a coin (`record`) is the deposit `deposit` (depositor compared without case). */
export function isDepositOf(deposit: CoinDeposit, record: { readonly depositBlock: bigint; readonly depositor: Address; readonly denomination: bigint }): boolean {
  return record.depositBlock === deposit.block && record.depositor.toLowerCase() === deposit.owner.toLowerCase() && record.denomination === deposit.denomination;
}

/**
 * Records this wallet's own deposit: a new coin, or one replacing a stored coin of the same slot whose deposit
 * differs (L1 just emitted this deposit for the slot, so the stored one was taken back by a reorg; slots are
 * derived from the depositor and a nonce, so only this wallet's own re-deposit can land on it). Returns whether
 * the state changed.
 */
export function recordOwnDeposit(state: WalletState, event: Parameters<typeof coinFromDeposit>[0]): boolean {
  const stored = state.coins[event.slot.toString()];
  if (stored !== undefined && isDepositOf(stored.deposit, { depositBlock: event.block, depositor: event.depositor, denomination: event.denomination })) return false;
  state.coins[event.slot.toString()] = coinFromDeposit(event);
  return true;
}

/** The owner the coin's chain ends with. */
export function chainOwner(coin: WalletCoin): Address {
  const last = coin.chain[coin.chain.length - 1];
  return (last?.transaction.newOwner ?? coin.base?.transaction.newOwner ?? coin.deposit.owner).toLowerCase() as Address;
}

/** The block of the coin's last valid transaction (the base's, or the deposit block, before any). */
export function chainLastBlock(coin: WalletCoin): bigint {
  return coin.chain[coin.chain.length - 1]?.block ?? coin.base?.txBlock ?? coin.deposit.block;
}

/**
 * Where the coin's verified chain starts: its base's transaction (with its inclusion entry unless it is the
 * deposit transaction), or the deposit transaction.
 */
export function chainOrigin(coin: WalletCoin): { readonly block: bigint; readonly transaction: Transaction; readonly entry?: InclusionEntry } {
  const base = coin.base;
  if (base === undefined) return { block: coin.deposit.block, transaction: depositTransaction(coin.deposit) };
  if (base.signature === null || base.proof === null) return { block: base.txBlock, transaction: base.transaction };
  return { block: base.txBlock, transaction: base.transaction, entry: { block: base.txBlock, kind: 'inclusion', transaction: base.transaction, signature: base.signature, proof: base.proof } };
}

/** The wallet's record of an exit, from L1's record or its ExitStarted event (live when no status is given). */
export function trackedExit(
  slot: bigint,
  nonce: bigint,
  exit: { readonly exitor: Address; readonly parentBlock: bigint; readonly exitBlock: bigint; readonly finalizableAt: bigint; readonly status?: ExitStatusName },
): TrackedExit {
  const status = exit.status === undefined || exit.status === 'live' ? 'live' : exit.status === 'finalized' ? 'finalized' : 'cancelled';
  return { slot, nonce, exitor: exit.exitor, parentBlock: exit.parentBlock, exitBlock: exit.exitBlock, status, finalizableAt: exit.finalizableAt };
}

/**
 * Adds transactions verified after the chain's tip and moves the coverage on. An in-flight spend is settled once
 * a spend of its parent is in the chain (it cannot land after that); the role follows the new tip. Returns
 * whether an in-flight spend was settled.
 */
export function extendChain(coin: WalletCoin, added: readonly InclusionEntry[], coveredThrough: bigint, me: Address, domain?: TransactionDomain): boolean {
  coin.chain.push(...added.filter((entry) => entry.block > chainLastBlock(coin)));
  coin.coveredThrough = coveredThrough;
  const landed = (spend: SignedSpend) => coin.chain.find((link) => link.block > spend.transaction.prevBlock && link.transaction.prevBlock === spend.transaction.prevBlock);
  const inFlight = coin.inFlight;
  const spent = inFlight === undefined ? undefined : landed(inFlight);
  if (inFlight !== undefined && spent !== undefined) {
    delete coin.inFlight;
    // Landed as signed, seen here rather than by the send that hands its package over: the receiver may not
    // know yet. wallet.send takes it off again once it returns the package.
    if (domain !== undefined && transactionDigest(spent.transaction, domain) === inFlight.digest) {
      coin.undelivered = [...(coin.undelivered ?? []).filter((s) => s.digest !== inFlight.digest), { ...inFlight, landedAt: spent.block }];
    }
  }
  if (coin.undelivered !== undefined) {
    // A spend whose parent was spent by another transaction can never be valid: it is nobody's coin.
    coin.undelivered = coin.undelivered.flatMap((spend) => {
      const link = landed(spend);
      if (link === undefined) return [spend];
      if (domain === undefined || transactionDigest(link.transaction, domain) !== spend.digest) return [];
      return [spend.landedAt === undefined ? { ...spend, landedAt: link.block } : spend];
    });
    if (coin.undelivered.length === 0) delete coin.undelivered;
  }
  coin.role = chainOwner(coin) === me ? 'owner' : 'former';
  return spent !== undefined;
}

/** Every signed spend of the coin whose receiver may not know of it: the one in flight and the undelivered. */
export function spendsInFlight(coin: WalletCoin): SignedSpend[] {
  return [...(coin.inFlight === undefined ? [] : [coin.inFlight]), ...(coin.undelivered ?? [])];
}

/** Forgets an undelivered spend that L1 revealed to its receiver (or whose package was handed over). */
export function deliver(coin: WalletCoin, digest: Hash): boolean {
  if (coin.undelivered === undefined) return false;
  const before = coin.undelivered.length;
  coin.undelivered = coin.undelivered.filter((spend) => spend.digest !== digest);
  const changed = coin.undelivered.length !== before;
  if (coin.undelivered.length === 0) delete coin.undelivered;
  return changed;
}

/** The live exits of a coin, in exit-block order (the one finalizeExit acts on first). */
export function liveExitsOf(state: WalletState, slot: bigint): TrackedExit[] {
  return Object.values(state.exits)
    .filter((exit) => exit.slot === slot && exit.status === 'live')
    .sort((a, b) => (a.exitBlock < b.exitBlock ? -1 : a.exitBlock > b.exitBlock ? 1 : 0));
}
