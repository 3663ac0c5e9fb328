/**
 * Coin history verification (PROTOCOL.md §5): before accepting a coin, a receiver checks that every committed
 * child block after the deposit is covered exactly once, ascending, by an inclusion or exclusion proof against
 * the root on L1, and that the included transactions form a valid chain of owners from the depositor.
 *
 * `CoinHistoryVerifier` applies entries one by one (a wallet following new blocks); `verifyCoinHistory` runs it
 * over a whole history and also checks that the history reaches the last committed block.
 *
 * Strictness: any invalid included transaction rejects the history, even though the exit game would let the
 * true owner recover the coin; a receiver must not accept a coin whose history it cannot vouch for.
 */
import { HistoryError, PlasmaError, type HistoryErrorCode } from './errors.ts';
import { equalBytes, toBytes, type Address, type Hash, type Hex } from './hex.ts';
import { recoverTransactionSigner } from './signature.ts';
import { computeRootFromProof, DEFAULT_HASHES } from './smt.ts';
import { depositTransaction, transactionDigestBytes, type Transaction, type TransactionDomain } from './transaction.ts';

/** Child blocks are numbered CHILD_BLOCK_INTERVAL, 2×, 3×, …; deposit blocks fill the numbers in between (§2). */
export const CHILD_BLOCK_INTERVAL = 1000n;

/** The contract's record of a coin's deposit (its virtual deposit transaction, §4). */
export interface CoinDeposit {
  readonly slot: bigint;
  /** The deposit block (not a multiple of the interval). */
  readonly block: bigint;
  readonly owner: Address;
  readonly denomination: bigint;
}

export interface InclusionEntry {
  readonly block: bigint;
  readonly kind: 'inclusion';
  readonly transaction: Transaction;
  readonly signature: Hex;
  readonly proof: Hex;
}

export interface ExclusionEntry {
  readonly block: bigint;
  readonly kind: 'exclusion';
  readonly proof: Hex;
}

export type HistoryEntry = InclusionEntry | ExclusionEntry;

/** Root committed on L1 for a child block, or undefined when that block is not committed. */
export type RootLookup = (block: bigint) => Hash | Uint8Array | undefined;

export interface CoinState {
  /** Current owner: newOwner of the last valid transaction, or the depositor. */
  readonly owner: Address;
  /** Block of the last valid transaction, or the deposit block: the `prevBlock` the next spend must name. */
  readonly lastBlock: bigint;
  readonly lastTransaction: Transaction;
  /** Signature of the last transaction; absent while the coin has not moved since its deposit. */
  readonly lastSignature?: Hex;
  /** Last block covered by the history (deposit block, or the last entry applied). */
  readonly coveredThrough: bigint;
}

export interface CoinHistoryVerifierOptions {
  readonly deposit: CoinDeposit;
  readonly roots: RootLookup;
  readonly domain: TransactionDomain;
  readonly childBlockInterval?: bigint;
  /**
   * Continue from a history verified earlier (a wallet's stored coin): its valid transactions after the
   * deposit, in order, and the last block it covered. They are trusted as they are, not verified again.
   */
  readonly resume?: { readonly chain: readonly InclusionEntry[]; readonly coveredThrough: bigint };
}

export class CoinHistoryVerifier {
  readonly deposit: CoinDeposit;
  readonly #roots: RootLookup;
  readonly #domain: TransactionDomain;
  readonly #interval: bigint;
  #state: CoinState;
  /** Blocks of the chain of valid transactions (deposit block first): tells a double spend from a broken link. */
  readonly #chainBlocks = new Set<bigint>();

  constructor(options: CoinHistoryVerifierOptions) {
    // Addresses compare with ===, so the depositor is held in the same lowercase form recovery returns.
    this.deposit = { ...options.deposit, owner: options.deposit.owner.toLowerCase() as Address };
    this.#roots = options.roots;
    this.#domain = options.domain;
    this.#interval = options.childBlockInterval ?? CHILD_BLOCK_INTERVAL;
    if (this.#interval <= 0n) throw new RangeError('childBlockInterval must be positive');
    this.#state = {
      owner: this.deposit.owner,
      lastBlock: this.deposit.block,
      lastTransaction: depositTransaction(this.deposit),
      coveredThrough: this.deposit.block,
    };
    this.#chainBlocks.add(this.deposit.block);
    for (const link of options.resume?.chain ?? []) {
      this.#chainBlocks.add(link.block);
      this.#state = { owner: link.transaction.newOwner.toLowerCase() as Address, lastBlock: link.block, lastTransaction: link.transaction, lastSignature: link.signature, coveredThrough: link.block };
    }
    if (options.resume !== undefined) {
      if (options.resume.coveredThrough < this.#state.coveredThrough) throw new RangeError('resume.coveredThrough is before the last transaction of the chain');
      this.#state = { ...this.#state, coveredThrough: options.resume.coveredThrough };
    }
  }

  get state(): CoinState {
    return this.#state;
  }

  /** The child block the next entry must be for. */
  get nextBlock(): bigint {
    return (this.#state.coveredThrough / this.#interval + 1n) * this.#interval;
  }

  /** Verifies one entry; on success the coin's state moves on, on failure it is unchanged. */
  apply(entry: HistoryEntry): CoinState {
    const { block } = entry;
    const expected = this.nextBlock;
    if (block % this.#interval !== 0n || block <= this.deposit.block) {
      throw new HistoryError('unexpected_block', block, `entries are for child blocks (multiples of ${this.#interval}) after the deposit block ${this.deposit.block}`);
    }
    if (block < expected) {
      throw new HistoryError('duplicate_block', block, `every child block is covered exactly once, in ascending order; block ${block} is already covered`);
    }
    if (block > expected) {
      throw new HistoryError('missing_block', expected, `every committed child block after the deposit must be covered; block ${expected} is missing (next entry is for ${block})`);
    }
    const root = this.#roots(block);
    if (root === undefined) {
      throw new HistoryError('unknown_root', block, 'each proof is checked against the root committed on L1, and this block has none');
    }

    if (entry.kind === 'exclusion') {
      this.#checkProof(block, root, DEFAULT_HASHES[0]!, entry.proof, 'exclusion proof of leaf zero');
      this.#state = { ...this.#state, coveredThrough: block };
      return this.#state;
    }
    if (entry.kind !== 'inclusion') {
      throw new HistoryError('unexpected_block', block, `entry kind must be "inclusion" or "exclusion"`);
    }

    const { transaction: tx, signature } = entry;
    if (tx.slot !== this.deposit.slot) {
      throw new HistoryError('wrong_slot', block, `the transaction must spend slot ${this.deposit.slot}, not ${tx.slot}`);
    }
    if (tx.denomination !== this.deposit.denomination) {
      throw new HistoryError('wrong_denomination', block, `the transaction's denomination must be the coin's (${this.deposit.denomination}), not ${tx.denomination}`);
    }
    const digest = transactionDigestBytes(tx, this.#domain);
    this.#checkProof(block, root, digest, entry.proof, 'inclusion proof of the transaction digest');
    if (tx.prevBlock !== this.#state.lastBlock) {
      const code: HistoryErrorCode = this.#chainBlocks.has(tx.prevBlock) ? 'double_spend' : 'broken_chain';
      const rule =
        code === 'double_spend'
          ? `the transaction spends the coin again from block ${tx.prevBlock}, already spent at block ${this.#state.lastBlock}`
          : `prevBlock must name the block of the previous valid transaction (${this.#state.lastBlock}), not ${tx.prevBlock}`;
      throw new HistoryError(code, block, rule);
    }
    let signer: Address;
    try {
      signer = recoverTransactionSigner(digest, signature);
    } catch (cause) {
      const reason = cause instanceof PlasmaError ? cause.shortMessage : String(cause);
      throw new HistoryError('bad_signature', block, `the transaction must carry a valid low-s signature (${reason})`, { cause });
    }
    if (signer !== this.#state.owner) {
      throw new HistoryError('not_signed_by_owner', block, `the transaction must be signed by the current owner ${this.#state.owner}, not ${signer}`);
    }
    this.#chainBlocks.add(block);
    this.#state = { owner: tx.newOwner.toLowerCase() as Address, lastBlock: block, lastTransaction: tx, lastSignature: signature, coveredThrough: block };
    return this.#state;
  }

  #checkProof(block: bigint, root: Hash | Uint8Array, leaf: Uint8Array, proof: Hex, what: string): void {
    let computed: Uint8Array;
    try {
      computed = computeRootFromProof(this.deposit.slot, leaf, proof);
    } catch (cause) {
      throw new HistoryError('invalid_proof', block, `the ${what} is malformed`, { cause });
    }
    const expected = toBytes(root, 32, `root of block ${block}`);
    if (!equalBytes(computed, expected)) {
      throw new HistoryError('invalid_proof', block, `the ${what} does not match the root committed on L1`);
    }
  }
}

export interface VerifyCoinHistoryInput {
  readonly deposit: CoinDeposit;
  readonly entries: readonly HistoryEntry[];
  readonly roots: RootLookup;
  /**
   * The child blocks committed on L1 that the history must reach: a list, or the range `{ from, to }` of
   * child-block numbers (`from` defaults to the first child block). Only those after the deposit block count.
   */
  readonly committedChildBlocks: readonly bigint[] | { readonly from?: bigint; readonly to: bigint };
  readonly domain: TransactionDomain;
  /** When given, the final owner must be this address (the receiver checking a coin sent to it). */
  readonly expectedOwner?: Address;
  readonly childBlockInterval?: bigint;
  /**
   * Start from a chain verified otherwise (a checkpoint's transaction, checkpoint-package.ts): the entries then
   * cover the committed child blocks after `resume.coveredThrough` only.
   */
  readonly resume?: CoinHistoryVerifierOptions['resume'];
}

/** Verifies a whole history; throws `HistoryError` at the first broken rule, returns the coin's final state. */
export function verifyCoinHistory(input: VerifyCoinHistoryInput): CoinState {
  const interval = input.childBlockInterval ?? CHILD_BLOCK_INTERVAL;
  const verifier = new CoinHistoryVerifier({
    deposit: input.deposit,
    roots: input.roots,
    domain: input.domain,
    childBlockInterval: interval,
    ...(input.resume === undefined ? {} : { resume: input.resume }),
  });
  const start = verifier.state.coveredThrough;
  const required = requiredBlocks(input.committedChildBlocks, start, interval);
  for (const [position, entry] of input.entries.entries()) {
    const expected = required[position];
    if (expected === undefined) {
      throw new HistoryError('unexpected_block', entry.block, `the history may only cover committed child blocks; block ${entry.block} is beyond the last one`);
    }
    if (entry.block > expected && entry.block % interval === 0n) {
      throw new HistoryError('missing_block', expected, `every committed child block after the deposit must be covered; block ${expected} is missing`);
    }
    verifier.apply(entry); // catches duplicates, disorder and every rule on the entry itself
  }
  const firstUncovered = required[input.entries.length];
  if (firstUncovered !== undefined) {
    throw new HistoryError('missing_block', firstUncovered, `the history must reach the last committed child block ${required[required.length - 1]}`);
  }
  const state = verifier.state;
  if (input.expectedOwner !== undefined && state.owner !== input.expectedOwner.toLowerCase()) {
    throw new HistoryError('wrong_owner', state.lastBlock, `the last transaction must name ${input.expectedOwner.toLowerCase()}, but the coin belongs to ${state.owner}`);
  }
  return state;
}

function requiredBlocks(
  committed: VerifyCoinHistoryInput['committedChildBlocks'],
  after: bigint,
  interval: bigint,
): bigint[] {
  if (Array.isArray(committed)) {
    const list = committed as readonly bigint[];
    return list.filter((block) => block > after);
  }
  const range = committed as { readonly from?: bigint; readonly to: bigint };
  const blocks: bigint[] = [];
  let block = range.from ?? interval;
  if (block <= after) block = after + 1n;
  if (block % interval !== 0n) block = (block / interval + 1n) * interval;
  for (; block <= range.to; block += interval) if (block > after) blocks.push(block);
  return blocks;
}
