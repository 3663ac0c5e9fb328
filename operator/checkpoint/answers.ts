/**
 * What the operator answers to a challenge of one of its own leaves (docs/CHECKPOINTS.md §2 calls 3, 9, 10, 12;
 * §5 "Answers, on its own"), decided from its database alone:
 *
 * - Withheld: answerLeafWithheld(leaf, challengeId, checkpointed, signature, inclusionProof): the leaf with its
 *   derived proof and the checkpointed transaction with its signature and inclusion proof (a deposit leaf: the
 *   deposit transaction, empty signature and proof).
 * - InvalidHistory, claim (b, digest) before the leaf: when the coin has an earlier final leaf (B0, D0)@N0 of this
 *   operator with b ≤ N0 and (b, digest) ≠ (B0, D0): applyCheckpoint(that leaf) unless L1 has it (or a newer
 *   one) applied, then dismissLeafHistory(k, slot, b, digest). Otherwise answerLeafHistory with the claim's
 *   direct child: the coin's chain walked back from the leaf's transaction (prevBlock links, one primary-key probe
 *   per transaction) to the transaction whose prevBlock is b.
 * - Anything else (the claim is not in the chain the leaf names, the leaf is zero): `cannot`, with the reason; an
 *   honest operator's leaf never gets there, so the caller alerts.
 *
 * The calls are encoded with client/l1/checkpoints.ts (the §2 fragments); sending them through the committer's
 * stored-transaction path and following LeafChallengeOpened is the caller's (not built yet: see the issue).
 */
import { bytesToHex, depositTransaction, transactionDigest, type Hash, type Hex, type Transaction, type TransactionDomain } from '../../client/protocol/index.ts';
import { checkpointGameInterface } from '../../client/l1/checkpoint-game.ts';
import type { LeafChallengeKind } from '../../client/l1/events.ts';
import { checkpointById, checkpointByK, checkpointedTransaction, type CheckpointRecord } from '../db/checkpoints.ts';
import type { Store } from '../db/store.ts';
import { coinBySlot, type Coin } from '../db/transfers.ts';
import { storedLeaf } from './proofs.ts';

export interface LeafChallenge {
  readonly k: bigint;
  readonly slot: bigint;
  readonly challengeId: Hash;
  readonly kind: LeafChallengeKind;
  readonly claim: Transaction;
  readonly claimBlock: bigint;
}

/** §2 LeafRef. */
export interface LeafRef {
  readonly k: bigint;
  readonly slot: bigint;
  readonly txBlock: bigint;
  readonly txDigest: Hash;
  readonly proof: Hex;
}

export interface EncodedCall {
  readonly name: 'answerLeafWithheld' | 'answerLeafHistory' | 'applyCheckpoint' | 'dismissLeafHistory';
  readonly args: readonly unknown[];
  readonly data: Hex;
}

export type LeafAnswer =
  | { readonly kind: 'withheld' | 'history' | 'dismiss'; readonly calls: readonly EncodedCall[] }
  | { readonly kind: 'cannot'; readonly reason: string };

const txArg = (tx: Transaction) => ({ slot: tx.slot, prevBlock: tx.prevBlock, denomination: tx.denomination, newOwner: tx.newOwner });
const leafArg = (leaf: LeafRef) => ({ k: leaf.k, slot: leaf.slot, txBlock: leaf.txBlock, txDigest: leaf.txDigest, proof: leaf.proof });

function encode(name: EncodedCall['name'], args: readonly unknown[]): EncodedCall {
  return { name, args, data: checkpointGameInterface().encodeFunctionData(name, args as unknown[]) as Hex };
}

interface ResolvedLeaf {
  readonly ref: LeafRef;
  readonly transaction: Transaction;
  readonly signature: Hex;
  readonly proof: Hex;
}

/** The leaf of `slot` in checkpoint `record` with its checkpointed transaction; undefined for a zero leaf. */
async function resolveLeaf(store: Store, domain: TransactionDomain, record: CheckpointRecord, k: bigint, coin: Coin): Promise<ResolvedLeaf | undefined> {
  const { record: leaf, proof } = await storedLeaf(store.sql, record.id, coin.slot);
  if (leaf === undefined) return undefined;
  if (leaf.txBlock === coin.depositBlock) {
    const tx = depositTransaction({ slot: coin.slot, denomination: coin.denomination, owner: coin.depositor });
    return { ref: { k, slot: coin.slot, txBlock: leaf.txBlock, txDigest: transactionDigest(tx, domain), proof: bytesToHex(proof) }, transaction: tx, signature: '0x', proof: '0x' };
  }
  const stored = await checkpointedTransaction(store.sql, coin.slot, leaf.txBlock);
  if (stored === undefined) throw new Error(`checkpoint ${k}: slot ${coin.slot} names block ${leaf.txBlock}, whose transaction is not stored`);
  return { ref: { k, slot: coin.slot, txBlock: leaf.txBlock, txDigest: stored.digest, proof: bytesToHex(proof) }, transaction: stored.transaction, signature: stored.signature, proof: stored.proof };
}

export interface PlanOptions {
  readonly store: Store;
  readonly domain: TransactionDomain;
  /** L1 time now (a leaf of an earlier checkpoint is final once its periodEnd passed and nothing is open on it). */
  readonly now: bigint;
  /** The coin's base applied on L1 (coinBase(slot)), when known: applyCheckpoint is left out when it is at least as new. */
  readonly appliedBaseK?: bigint;
  /** leafStatus of an earlier leaf on L1, when the contract can say (else: final once its periodEnd passed). */
  readonly isFinal?: (k: bigint, slot: bigint) => Promise<boolean | undefined>;
}

export async function planLeafAnswer(challenge: LeafChallenge, options: PlanOptions): Promise<LeafAnswer> {
  const { store, domain } = options;
  const record = await checkpointByK(store.sql, challenge.k);
  if (record === undefined) return { kind: 'cannot', reason: `checkpoint ${challenge.k} is not this operator's` };
  const coin = await coinBySlot(store.sql, challenge.slot);
  if (coin === undefined) return { kind: 'cannot', reason: `no coin ${challenge.slot}: its leaf in checkpoint ${challenge.k} is zero` };
  const leaf = await resolveLeaf(store, domain, record, challenge.k, coin);
  if (leaf === undefined) return { kind: 'cannot', reason: `the leaf of ${challenge.slot} in checkpoint ${challenge.k} is zero: nothing to answer with` };

  if (challenge.kind === 'withheld') {
    return { kind: 'withheld', calls: [encode('answerLeafWithheld', [leafArg(leaf.ref), challenge.challengeId, txArg(leaf.transaction), leaf.signature, leaf.proof])] };
  }
  if (challenge.kind !== 'invalid_history') return { kind: 'cannot', reason: `unknown challenge kind ${challenge.kind}` };

  const claimDigest = transactionDigest(challenge.claim, domain);
  // A claim before an earlier final leaf of the coin (not that leaf's own transaction) is dismissed with it.
  for (let k = challenge.k - 1n; k >= 0n; k--) {
    const earlier = await checkpointByK(store.sql, k);
    if (earlier === undefined || earlier.periodEnd === undefined) continue;
    const final = (await options.isFinal?.(k, coin.slot)) ?? options.now >= earlier.periodEnd;
    if (!final) continue;
    const base = await resolveLeaf(store, domain, (await checkpointById(store.sql, earlier.id))!, k, coin);
    if (base === undefined || base.ref.txBlock < coin.depositBlock) continue;
    if (challenge.claimBlock > earlier.block) break; // after the base: answered with the child below
    if (challenge.claimBlock === base.ref.txBlock && claimDigest === base.ref.txDigest) break; // the base's own transaction
    const calls: EncodedCall[] = [];
    if (options.appliedBaseK === undefined || options.appliedBaseK < k) calls.push(encode('applyCheckpoint', [leafArg(base.ref)]));
    calls.push(encode('dismissLeafHistory', [challenge.k, challenge.slot, challenge.claimBlock, claimDigest]));
    return { kind: 'dismiss', calls };
  }

  // The claim's direct child: walk the chain back from the checkpointed transaction.
  let child: { tx: Transaction; signature: Hex; proof: Hex; block: bigint } | undefined;
  let block = leaf.ref.txBlock;
  let tx = leaf.transaction;
  let signature = leaf.signature;
  let proof = leaf.proof;
  while (block > challenge.claimBlock && block !== coin.depositBlock) {
    if (tx.prevBlock === challenge.claimBlock) {
      child = { tx, signature, proof, block };
      break;
    }
    if (tx.prevBlock < challenge.claimBlock) break;
    const parentBlock = tx.prevBlock;
    if (parentBlock === coin.depositBlock) break;
    const parent = await checkpointedTransaction(store.sql, coin.slot, parentBlock);
    if (parent === undefined) return { kind: 'cannot', reason: `slot ${coin.slot}: the transaction at block ${parentBlock} of the chain is not stored` };
    block = parentBlock;
    tx = parent.transaction;
    signature = parent.signature;
    proof = parent.proof;
  }
  if (child === undefined) return { kind: 'cannot', reason: `slot ${coin.slot}: no transaction of the leaf's chain spends block ${challenge.claimBlock}` };
  // The claim must be the chain's transaction at claimBlock (or the deposit), else the child answers nothing.
  const atClaim = challenge.claimBlock === coin.depositBlock
    ? transactionDigest(depositTransaction({ slot: coin.slot, denomination: coin.denomination, owner: coin.depositor }), domain)
    : (await checkpointedTransaction(store.sql, coin.slot, challenge.claimBlock))?.digest;
  if (atClaim !== claimDigest) return { kind: 'cannot', reason: `slot ${coin.slot}: the claim at block ${challenge.claimBlock} is not the chain's transaction there` };
  return { kind: 'history', calls: [encode('answerLeafHistory', [challenge.k, challenge.slot, challenge.challengeId, txArg(child.tx), child.signature, child.proof, child.block])] };
}
