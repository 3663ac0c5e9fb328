/**
 * A checkpoint package (PROTOCOL.md §10 Receiver, docs/CHECKPOINTS.md §6–§7): what `GET /v1/coins/:slot/history
 * ?since=checkpoint` answers and what a sender hands a receiver. A receiver accepts a coin from
 *
 *   1. its base, the `checkpoint` leaf of checkpoint k at child block N: the leaf
 *      keccak256(abi.encode(uint256 txBlock, bytes32 txDigest)) proved by `leafProof` under k's root on L1, the
 *      leaf Final on L1 (leafStatus(k, slot), read by the caller at its confirmed head), deposit block ≤ txBlock
 *      ≤ N, and the checkpointed transaction hashing to txDigest and included at txBlock under that block's root
 *      on L1 (txBlock = the deposit block: the deposit transaction of the L1 record);
 *   2. the §5 history of every committed child block after N, chained from the checkpointed transaction;
 *   3. the coin's leaf, with proof, in every checkpoint pending on L1 whose N is at or after the base's: each is
 *      void on L1, zero, or names the verified chain's last transaction at or before its N. A leaf whose txBlock
 *      is before the deposit block is not the coin's (it binds nothing, R11) and is reported, not refused.
 *
 * With no base (`checkpoint` null) the history runs from the deposit, as §5, and rule 3 still applies.
 *
 * Everything read from L1 is the caller's: roots of child blocks, each checkpoint's root, N and the slot's leaf
 * status, and the list of checkpoints pending for the slot. This module only checks the package against them.
 */
import { checkpointLeaf } from './checkpoint.ts';
import { CheckpointError, type CheckpointErrorCode } from './errors.ts';
import { bytesToHex, equalBytes, toBytes, ZERO_HASH, type Address, type Hash, type Hex } from './hex.ts';
import {
  CHILD_BLOCK_INTERVAL,
  verifyCoinHistory,
  type CoinDeposit,
  type CoinState,
  type HistoryEntry,
  type InclusionEntry,
  type RootLookup,
} from './history.ts';
import { verifyProof } from './smt.ts';
import { depositTransaction, transactionDigestBytes, type Transaction, type TransactionDomain } from './transaction.ts';
import type { CheckpointLeafObject, LeafStatusName } from './wire.ts';

/** What L1 says about checkpoint k and the coin's leaf in it. */
export interface CheckpointRecord {
  readonly root: Hash | Uint8Array;
  /** N: the child block the checkpoint was submitted for (getCheckpoint(k).childBlock). */
  readonly block: bigint;
  /** leafStatus(k, slot) for the coin's slot, read at the caller's confirmed head. */
  readonly leafStatus: LeafStatusName;
}

/** Checkpoint k on L1, or undefined when L1 holds no such checkpoint. */
export type CheckpointLookup = (k: bigint) => CheckpointRecord | undefined;

export interface VerifyCheckpointPackageInput {
  readonly deposit: CoinDeposit;
  /** The parsed package (parseCheckpointHistoryResponseJson). */
  readonly package: {
    readonly checkpoint: CheckpointLeafObject | null;
    readonly entries: readonly HistoryEntry[];
    readonly pending: readonly CheckpointLeafObject[];
  };
  readonly roots: RootLookup;
  readonly checkpoints: CheckpointLookup;
  /**
   * Every checkpoint k on L1 whose N is at or after the base's (every one, with no base) and whose leaf of this
   * slot is Pending on L1: each must have its leaf in the package.
   */
  readonly pendingOnL1: readonly bigint[];
  /** The committed child blocks the history must reach (as verifyCoinHistory). */
  readonly committedChildBlocks: readonly bigint[] | { readonly from?: bigint; readonly to: bigint };
  readonly domain: TransactionDomain;
  /** When given, the final owner must be this address. */
  readonly expectedOwner?: Address;
  readonly childBlockInterval?: bigint;
}

/** The base of a coin: the checkpointed transaction with its proofs, kept by the wallet as the parent of its exits. */
export interface CheckpointBase {
  /** k. */
  readonly checkpoint: bigint;
  /** N. */
  readonly block: bigint;
  readonly txBlock: bigint;
  readonly txDigest: Hash;
  readonly leaf: Hash;
  readonly leafProof: Hex;
  readonly transaction: Transaction;
  /** Null for a deposit leaf. */
  readonly signature: Hex | null;
  /** Inclusion proof at txBlock; null for a deposit leaf. */
  readonly proof: Hex | null;
}

/**
 * How a verified leaf of a pending checkpoint stands: `void` on L1, `zero`, `names_chain` (the chain's last
 * transaction at or before its N), `not_coin` (txBlock before the deposit: binds nothing), `before_base` (N before
 * the base's N, outside rule 3: only its proof is checked).
 */
export type PendingLeafVerdict = 'void' | 'zero' | 'names_chain' | 'not_coin' | 'before_base';

export interface VerifiedPendingLeaf {
  readonly checkpoint: bigint;
  readonly block: bigint;
  readonly leaf: CheckpointLeafObject;
  readonly verdict: PendingLeafVerdict;
}

export interface CheckpointPackageResult {
  readonly state: CoinState;
  /** Undefined when the package starts at the deposit. */
  readonly base: CheckpointBase | undefined;
  /** The verified transactions after the base (or the deposit), in order. */
  readonly chain: readonly InclusionEntry[];
  readonly pending: readonly VerifiedPendingLeaf[];
}

/** One link of the coin's verified chain: the transaction at `block` and its digest. */
export interface ChainLink {
  readonly block: bigint;
  readonly digest: Uint8Array;
  readonly transaction: Transaction;
  /** The entry that carries it (absent for the base or the deposit). */
  readonly entry?: InclusionEntry;
}

/**
 * Verifies a checkpoint package against L1 (rules 1–3 above); throws CheckpointError (the leaves) or HistoryError
 * (the history after N) at the first broken rule.
 */
export function verifyCheckpointPackage(input: VerifyCheckpointPackageInput): CheckpointPackageResult {
  const { deposit, domain } = input;
  const interval = input.childBlockInterval ?? CHILD_BLOCK_INTERVAL;
  const depositTx = depositTransaction(deposit);
  const depositDigest = transactionDigestBytes(depositTx, domain);

  const served = input.package.checkpoint;
  let base: CheckpointBase | undefined;
  let origin: ChainLink = { block: deposit.block, digest: depositDigest, transaction: depositTx };
  if (served !== null) {
    base = verifyBaseLeaf(served, input, depositDigest, interval);
    origin = { block: base.txBlock, digest: toBytes(base.txDigest, 32), transaction: base.transaction };
  }

  const resumeChain: InclusionEntry[] =
    base === undefined || base.txBlock === deposit.block
      ? []
      : [{ block: base.txBlock, kind: 'inclusion', transaction: base.transaction, signature: base.signature!, proof: base.proof! }];
  const state = verifyCoinHistory({
    deposit,
    entries: input.package.entries,
    roots: input.roots,
    committedChildBlocks: input.committedChildBlocks,
    domain,
    childBlockInterval: interval,
    ...(input.expectedOwner === undefined ? {} : { expectedOwner: input.expectedOwner }),
    ...(base === undefined ? {} : { resume: { chain: resumeChain, coveredThrough: base.block } }),
  });
  const chain = input.package.entries.filter((entry): entry is InclusionEntry => entry.kind === 'inclusion');
  const links: ChainLink[] = [origin, ...chain.map((entry) => ({ block: entry.block, digest: transactionDigestBytes(entry.transaction, domain), transaction: entry.transaction, entry }))];

  const pending = checkPendingLeaves(input, base, links, state.coveredThrough);
  return { state, base, chain, pending };
}

function verifyBaseLeaf(served: CheckpointLeafObject, input: VerifyCheckpointPackageInput, depositDigest: Uint8Array, interval: bigint): CheckpointBase {
  const { deposit } = input;
  const slot = deposit.slot;
  const k = served.checkpoint;
  const fail = (code: CheckpointErrorCode, rule: string): never => {
    throw new CheckpointError(code, k, slot, rule);
  };
  const record = checkLeafProof(served, input, deposit.slot);
  if (record.leafStatus !== 'final') fail('checkpoint_not_final', `the base's leaf must be Final on L1 (leafStatus is ${record.leafStatus})`);
  if (served.leaf === ZERO_HASH) fail('zero_base', 'the base is a zero leaf, which says nothing about the coin');
  const txBlock = served.txBlock!;
  const tx = served.transaction!;
  if (txBlock < deposit.block) fail('leaf_before_deposit', `the leaf's txBlock ${txBlock} is before the coin's deposit block ${deposit.block}: it is not the coin's`);
  if (txBlock > record.block) fail('leaf_after_checkpoint', `the leaf's txBlock ${txBlock} is after the checkpoint's child block ${record.block}`);
  const digest = transactionDigestBytes(tx, input.domain);
  if (txBlock === deposit.block) {
    if (!equalBytes(digest, depositDigest)) fail('leaf_wrong_deposit', `txBlock is the deposit block ${deposit.block} but the transaction is not the coin's deposit transaction`);
  } else {
    if (tx.slot !== slot || tx.denomination !== deposit.denomination) {
      fail('leaf_tx_invalid', `the checkpointed transaction must spend slot ${slot} with the coin's denomination ${deposit.denomination}`);
    }
    if (served.signature === null || served.proof === null) fail('leaf_tx_invalid', 'the checkpointed transaction of a non-deposit leaf must carry its signature and inclusion proof');
    const root = txBlock % interval === 0n ? input.roots(txBlock) : undefined;
    if (root === undefined) fail('leaf_tx_not_included', `txBlock ${txBlock} is neither the deposit block nor a child block committed on L1`);
    if (!safeVerify(root!, slot, digest, served.proof!)) {
      fail('leaf_tx_not_included', `the checkpointed transaction's inclusion proof does not match the root of block ${txBlock} on L1`);
    }
  }
  return {
    checkpoint: k,
    block: record.block,
    txBlock,
    txDigest: bytesToHex(digest),
    leaf: served.leaf,
    leafProof: served.leafProof,
    transaction: tx,
    signature: txBlock === deposit.block ? null : served.signature,
    proof: txBlock === deposit.block ? null : served.proof,
  };
}

/**
 * Checks a leaf object against checkpoint k on L1: k known, its N, the slot, the served leaf equal to the one its
 * transaction implies, and `leafProof` under k's root. Returns L1's record of k.
 */
export function checkLeafProof(served: CheckpointLeafObject, input: Pick<VerifyCheckpointPackageInput, 'checkpoints' | 'domain'>, slot: bigint): CheckpointRecord {
  const k = served.checkpoint;
  const fail = (code: CheckpointErrorCode, rule: string): never => {
    throw new CheckpointError(code, k, slot, rule);
  };
  const record = input.checkpoints(k);
  if (record === undefined) return fail('unknown_checkpoint', `L1 holds no checkpoint ${k}`);
  if (served.block !== record.block) fail('checkpoint_block_mismatch', `checkpoint ${k} is at child block ${record.block} on L1, not ${served.block}`);
  if (served.slot !== slot) fail('leaf_slot_mismatch', `the leaf is of slot ${served.slot}, not the coin's ${slot}`);
  let leaf: Uint8Array;
  if (served.leaf === ZERO_HASH) {
    leaf = new Uint8Array(32);
  } else {
    const digest = transactionDigestBytes(served.transaction!, input.domain);
    leaf = checkpointLeaf(served.txBlock!, digest);
    if (bytesToHex(leaf) !== served.leaf) fail('leaf_mismatch', `the served leaf is not keccak256(abi.encode(txBlock, digest)) of its transaction at block ${served.txBlock}`);
  }
  if (!safeVerify(record.root, slot, leaf, served.leafProof)) fail('invalid_leaf_proof', `the leaf proof does not match checkpoint ${k}'s root on L1`);
  return record;
}

function checkPendingLeaves(input: VerifyCheckpointPackageInput, base: CheckpointBase | undefined, links: readonly ChainLink[], coveredThrough: bigint): VerifiedPendingLeaf[] {
  const { deposit } = input;
  const slot = deposit.slot;
  const seen = new Set<bigint>();
  const verified: VerifiedPendingLeaf[] = [];
  for (const served of input.package.pending) {
    const k = served.checkpoint;
    if (seen.has(k)) throw new CheckpointError('pending_leaf_duplicate', k, slot, 'the package carries two leaves of this checkpoint');
    seen.add(k);
    const record = checkLeafProof(served, input, slot);
    const verdict = pendingVerdict(served, record, deposit, base, links, coveredThrough, input.domain);
    verified.push({ checkpoint: k, block: record.block, leaf: served, verdict });
  }
  for (const k of input.pendingOnL1) {
    if (!seen.has(k)) {
      throw new CheckpointError('pending_leaf_missing', k, slot, `checkpoint ${k} is pending on L1 and the package carries no leaf of the coin in it`);
    }
  }
  return verified;
}

/**
 * Rule 3 for one proved leaf of a pending checkpoint, against the verified chain (`links`: the base or deposit
 * transaction, then the package's transactions). Throws pending_leaf_stale / pending_leaf_conflict /
 * pending_leaf_uncovered.
 */
export function pendingVerdict(
  served: CheckpointLeafObject,
  record: CheckpointRecord,
  deposit: CoinDeposit,
  base: Pick<CheckpointBase, 'block'> | undefined,
  links: readonly ChainLink[],
  coveredThrough: bigint,
  domain: TransactionDomain,
): PendingLeafVerdict {
  const k = served.checkpoint;
  const slot = deposit.slot;
  if (record.leafStatus === 'void') return 'void';
  if (served.leaf === ZERO_HASH) return 'zero';
  const txBlock = served.txBlock!;
  if (txBlock < deposit.block) return 'not_coin';
  if (base !== undefined && record.block < base.block) return 'before_base';
  if (record.block > coveredThrough) {
    throw new CheckpointError('pending_leaf_uncovered', k, slot, `checkpoint ${k} is at child block ${record.block}, after the history the package covers (${coveredThrough})`);
  }
  const expected = lastLinkAtOrBefore(links, record.block);
  const digest = transactionDigestBytes(served.transaction!, domain);
  if (expected !== undefined && expected.block === txBlock && equalBytes(expected.digest, digest)) return 'names_chain';
  const named = links.findIndex((link) => link.block === txBlock && equalBytes(link.digest, digest));
  if (named >= 0 && named + 1 < links.length && links[named + 1]!.block <= record.block) {
    const spend = links[named + 1]!;
    throw new CheckpointError(
      'pending_leaf_stale',
      k,
      slot,
      `the leaf names the transaction at block ${txBlock}, which the verified history spends at block ${spend.block} ≤ ${record.block}: it must be voided (challengeLeafSpent) first`,
      { spendBlock: spend.block },
    );
  }
  const last = expected === undefined ? 'nothing' : `the transaction at block ${expected.block}`;
  throw new CheckpointError('pending_leaf_conflict', k, slot, `the leaf names block ${txBlock}, but the verified history's last transaction at or before ${record.block} is ${last}`);
}

/** The chain's last link at a block ≤ `block`, or undefined. */
export function lastLinkAtOrBefore(links: readonly ChainLink[], block: bigint): ChainLink | undefined {
  let found: ChainLink | undefined;
  for (const link of links) {
    if (link.block > block) break;
    found = link;
  }
  return found;
}

function safeVerify(root: Hash | Uint8Array, slot: bigint, leaf: Uint8Array, proof: Hex): boolean {
  try {
    return verifyProof(root, slot, leaf, proof);
  } catch {
    return false;
  }
}
