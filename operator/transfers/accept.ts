/**
 * Transfer acceptance (PROTOCOL.md §4): every item of a batch is checked against its coin as stored, the ones
 * that pass are made durable in one Postgres transaction, and only then is each item answered.
 *
 * Checks run in a fixed order so that a given bad transfer always gets the same code: known coin, coin state,
 * prevBlock, denomination, signature form, signer = owner, one per slot. Within a batch the first valid
 * transfer of a slot wins; later ones of that slot are `already_pending`.
 */
import type { Store } from '../db/store.ts';
import { coinsBySlots, insertAccepted, type AcceptedRow, type Coin } from '../db/transfers.ts';
import { recoverSigners, type Recovered } from './recover-workers.ts';
import {
  bytesToHex,
  transactionDigestBytes,
  type Hash,
  type SignedTransaction,
  type Transaction,
  type TransactionDomain,
} from '../../client/protocol/index.ts';

export type RejectionCode =
  | 'unknown_coin'
  | 'coin_exiting'
  | 'coin_exited'
  | 'coin_reorged_out'
  | 'wrong_prev_block'
  | 'wrong_denomination'
  | 'invalid_signature'
  | 'not_owner'
  | 'already_pending';

export const REJECTION_CODES: readonly RejectionCode[] = [
  'unknown_coin',
  'coin_exiting',
  'coin_exited',
  'coin_reorged_out',
  'wrong_prev_block',
  'wrong_denomination',
  'invalid_signature',
  'not_owner',
  'already_pending',
];

export type TransferResult =
  | { readonly status: 'accepted'; readonly digest: Hash }
  | { readonly status: 'rejected'; readonly error: { readonly code: RejectionCode; readonly message: string } };

type Verdict = { readonly row: AcceptedRow } | { readonly code: RejectionCode; readonly message: string };

/** How often a batch is retried when Postgres breaks a deadlock between it and a concurrent writer. */
const DEADLOCK_RETRIES = 3;

export async function acceptTransfers(store: Store, domain: TransactionDomain, items: readonly SignedTransaction[]): Promise<TransferResult[]> {
  const coins = await coinsBySlots(store.sql, [...new Set(items.map((item) => item.transaction.slot))]);
  // The checks against the stored coin first; only the items that pass them cost a signer recovery, and those
  // are recovered on the worker pool (recover-workers.ts), off this thread.
  const refusals = items.map((item) => checkCoin(item.transaction, coins.get(item.transaction.slot)));
  const candidates = items.flatMap((_, index) => (refusals[index] === undefined ? [index] : []));
  const digests = candidates.map((index) => transactionDigestBytes(items[index]!.transaction, domain));
  const recovered = await recoverSigners(digests, candidates.map((index) => items[index]!.signature));
  const signerOf = new Map(candidates.map((index, k) => [index, { digest: digests[k]!, signer: recovered[k]! }]));

  const claimed = new Set<bigint>();
  const verdicts = items.map((item, index): Verdict => {
    const verdict = refusals[index] ?? check(item, coins.get(item.transaction.slot)!, signerOf.get(index)!);
    if ('row' in verdict) {
      if (claimed.has(verdict.row.slot)) return rejection('already_pending', `an earlier item of this batch already spends coin ${verdict.row.slot}`);
      claimed.add(verdict.row.slot);
    }
    return verdict;
  });

  const rows = verdicts.flatMap((verdict) => ('row' in verdict ? [verdict.row] : []));
  const inserted = await insertWithRetry(store, rows);
  const late = rows.filter((row) => !inserted.has(row.slot));
  // A row that lost at insert time lost to a concurrent writer: either another pending spend of the slot, or the
  // coin changed (moved into a block, started exiting) after it was loaded. Re-check against the coin as it is now.
  const now = late.length === 0 ? new Map<bigint, Coin>() : await coinsBySlots(store.sql, late.map((row) => row.slot));

  return verdicts.map((verdict, index): TransferResult => {
    if (!('row' in verdict)) return { status: 'rejected', error: { code: verdict.code, message: verdict.message } };
    if (inserted.has(verdict.row.slot)) return { status: 'accepted', digest: verdict.row.digest };
    const error = checkCoin(items[index]!.transaction, now.get(verdict.row.slot), verdict.row.signer) ?? {
      code: 'already_pending' as const,
      message: `coin ${verdict.row.slot} already has a pending transfer for the next block`,
    };
    return { status: 'rejected', error: { code: error.code, message: error.message } };
  });
}

/** Signature and owner checks of an item that passed checkCoin, given its digest and recovered signer. */
function check(item: SignedTransaction, coin: Coin, { digest, signer }: { digest: Uint8Array; signer: Recovered }): Verdict {
  const tx = item.transaction;
  if (typeof signer !== 'string') return rejection('invalid_signature', `${signer.code}: ${signer.shortMessage}`);
  if (signer !== coin.owner) return rejection('not_owner', `the transfer is signed by ${signer}, but coin ${tx.slot} belongs to ${coin.owner}`);
  return {
    row: { slot: tx.slot, prevBlock: tx.prevBlock, denomination: tx.denomination, newOwner: tx.newOwner, signature: item.signature, digest: bytesToHex(digest), signer },
  };
}

/** The checks against the stored coin alone; with `signer` (already recovered) also the owner check. */
function checkCoin(tx: Transaction, coin: Coin | undefined, signer?: string): { code: RejectionCode; message: string } | undefined {
  if (coin === undefined) return rejection('unknown_coin', `no deposited coin has slot ${tx.slot}`);
  if (coin.state === 'exiting') return rejection('coin_exiting', `coin ${tx.slot} is exiting on L1 and takes no transfer`);
  if (coin.state === 'exited') return rejection('coin_exited', `coin ${tx.slot} has exited on L1 and takes no transfer`);
  if (coin.state === 'reorged_out') {
    return rejection('coin_reorged_out', `coin ${tx.slot}'s deposit was removed from L1 by a reorg deeper than the operator's confirmation depth: it is not a coin`);
  }
  if (tx.prevBlock !== coin.lastBlock) {
    return rejection('wrong_prev_block', `prevBlock must be ${coin.lastBlock}, the block of the coin's last transaction; got ${tx.prevBlock}`);
  }
  if (tx.denomination !== coin.denomination) {
    return rejection('wrong_denomination', `denomination must be ${coin.denomination}; got ${tx.denomination}`);
  }
  if (signer !== undefined && signer !== coin.owner) {
    return rejection('not_owner', `the transfer is signed by ${signer}, but coin ${tx.slot} belongs to ${coin.owner}`);
  }
  return undefined;
}

function rejection(code: RejectionCode, message: string): { code: RejectionCode; message: string } {
  return { code, message };
}

async function insertWithRetry(store: Store, rows: readonly AcceptedRow[]): Promise<Set<bigint>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await insertAccepted(store.sql, rows);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= DEADLOCK_RETRIES || (code !== '40P01' && code !== '40001')) throw error;
    }
  }
}
