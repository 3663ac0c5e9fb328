/**
 * Verify-and-extend: the one way a coin's verified history grows, used by `wallet refresh` (and send, which
 * waits on it) and by the watcher's verify phase. One ranged history request to the operator, every entry
 * applied in order by the protocol's CoinHistoryVerifier against the roots on L1.
 */
import { HistoryError, PlasmaError, type CoinHistoryVerifier, type InclusionEntry } from '../protocol/index.ts';
import { OperatorApiError, type OperatorApi } from '../operator-api.ts';

/** Why a pass stopped short of `through`. `missing`: the operator did not serve a block (it may still). */
export interface ExtendProblem {
  readonly block: bigint;
  readonly code: string;
  readonly reason: string;
  readonly missing: boolean;
  readonly error?: unknown;
}

export interface ExtendOptions {
  /** Called before an entry of `block` is applied; throws to stop everything (the watcher's --verify-l1). */
  readonly checkRoot?: (block: bigint) => Promise<void>;
  /** Stop after the entry that makes this true (the watcher stops once the coin left the wallet). */
  readonly stopAfter?: (verifier: CoinHistoryVerifier) => boolean;
}

/**
 * Applies the operator's entries of `slot` after the verifier's coverage up to child block `through`, pushing
 * every verified inclusion onto `added`. Resolves with the problem that stopped it, if any; the verifier keeps
 * whatever verified before it.
 */
export async function verifyAndExtend(
  operator: OperatorApi,
  slot: bigint,
  verifier: CoinHistoryVerifier,
  through: bigint,
  added: InclusionEntry[],
  options: ExtendOptions = {},
): Promise<ExtendProblem | undefined> {
  const withheld = (): ExtendProblem => ({
    block: verifier.nextBlock,
    code: 'proof_withheld',
    reason: `the operator serves no proof of coin ${slot} at committed block ${verifier.nextBlock}`,
    missing: true,
  });
  let entries;
  try {
    entries = (await operator.history(slot, verifier.state.coveredThrough + 1n, through)).entries;
  } catch (error) {
    if (error instanceof OperatorApiError && (error.serverCode === 'unknown_coin' || error.serverCode === 'unknown_block')) return withheld();
    return { block: verifier.nextBlock, code: 'operator_unreachable', reason: (error as Error).message, missing: true, error };
  }
  for (const entry of entries) {
    if (entry.block <= verifier.state.coveredThrough) continue;
    if (entry.block > through || entry.block !== verifier.nextBlock) break; // past the range, or a block kept back
    await options.checkRoot?.(entry.block);
    try {
      verifier.apply(entry);
    } catch (error) {
      const reason = error instanceof PlasmaError ? error.message : String(error);
      return { block: entry.block, code: error instanceof HistoryError ? error.code : 'invalid_proof', reason, missing: false, error };
    }
    if (entry.kind === 'inclusion') added.push(entry);
    if (options.stopAfter?.(verifier) === true) return undefined;
  }
  return verifier.state.coveredThrough < through ? withheld() : undefined;
}
