/**
 * A coin's whole history checked in the browser with client/protocol's verifyCoinHistory (the same code the
 * wallet runs, bundled), against what L1 says and nothing the operator says: the roots (childBlockRoot), the
 * last committed child block (nextChildBlock), the deposit (getCoin) and the chain id, all read from the L1
 * node the user chose, pinned to one L1 block so they agree with each other. The operator supplies only the
 * proofs and transactions, which are checked; a lie can make verification fail, never succeed.
 */
import {
  HistoryError,
  parseCoinHistoryResponseJson,
  PlasmaError,
  verifyCoinHistory,
  type Address,
  type CoinState,
  type Hash,
  type HistoryEntry,
} from '../../client/protocol/index.ts';
import { L1Reader, type L1Coin } from './l1.ts';

export interface VerifyRequest {
  readonly operatorUrl: string;
  readonly rpcUrl: string;
  readonly contract: Address;
  readonly slot: bigint;
  readonly onProgress?: (message: string) => void;
  /** How long to wait for an operator whose history lags the last block L1 holds (it follows L1 late). */
  readonly lagGraceMs?: number;
}

export interface Timings {
  l1Ms: number;
  historyMs: number;
  verifyMs: number;
}

export type VerifyOutcome =
  | { readonly ok: true; readonly rpcUrl: string; readonly l1Block: bigint; readonly coin: L1Coin; readonly entries: readonly HistoryEntry[]; readonly state: CoinState; readonly lastCommitted: bigint; readonly timings: Timings }
  | {
      readonly ok: false;
      readonly rpcUrl: string;
      /** The child block whose entry (or absence) broke a rule; undefined when the check could not run at all. */
      readonly block?: bigint;
      readonly code: string;
      readonly reason: string;
      readonly coin?: L1Coin;
      readonly entries: readonly HistoryEntry[];
      readonly timings: Timings;
    };

export async function verifyCoinAgainstL1(request: VerifyRequest): Promise<VerifyOutcome> {
  const timings: Timings = { l1Ms: 0, historyMs: 0, verifyMs: 0 };
  const progress = request.onProgress ?? (() => undefined);
  const l1 = new L1Reader(request.rpcUrl, request.contract);
  let entries: HistoryEntry[] = [];
  let coin: L1Coin | undefined;
  const fail = (code: string, reason: string, block?: bigint): VerifyOutcome => ({
    ok: false,
    rpcUrl: request.rpcUrl,
    code,
    reason,
    entries,
    timings,
    ...(block === undefined ? {} : { block }),
    ...(coin === undefined ? {} : { coin }),
  });
  try {
    let started = performance.now();
    progress(`reading L1 at ${request.rpcUrl}`);
    const [at, chainId] = await Promise.all([l1.head(), l1.chainId()]);
    if (!(await l1.hasCode(at))) return fail('no_contract', `there is no contract at ${request.contract} on the L1 at ${request.rpcUrl}`);
    const [interval, next] = await Promise.all([l1.childBlockInterval(at), l1.nextChildBlock(at)]);
    coin = await l1.coin(request.slot, at);
    const lastCommitted = next - interval;
    timings.l1Ms += performance.now() - started;
    if (coin.depositBlock === 0n) return fail('unknown_deposit', `L1 holds no deposit of coin ${request.slot} (getCoin at L1 block ${at})`);

    started = performance.now();
    progress('fetching the history from the operator');
    entries = await fetchHistory(request, lastCommitted);
    timings.historyMs += performance.now() - started;

    started = performance.now();
    const blocks: bigint[] = [];
    for (let block = (coin.depositBlock / interval + 1n) * interval; block <= lastCommitted; block += interval) blocks.push(block);
    progress(`reading ${blocks.length} roots from L1`);
    const roots = await l1.roots(blocks, at, (done) => progress(`read ${done} of ${blocks.length} roots from L1`));
    timings.l1Ms += performance.now() - started;

    started = performance.now();
    progress(`verifying ${entries.length} entries`);
    try {
      const state = verifyCoinHistory({
        deposit: { slot: request.slot, block: coin.depositBlock, owner: coin.depositor, denomination: coin.denomination },
        entries,
        roots: (block) => roots.get(block) as Hash | undefined,
        committedChildBlocks: { to: lastCommitted },
        domain: { chainId, verifyingContract: request.contract },
        childBlockInterval: interval,
      });
      timings.verifyMs += performance.now() - started;
      return { ok: true, rpcUrl: request.rpcUrl, l1Block: at, coin, entries, state, lastCommitted, timings };
    } catch (error) {
      timings.verifyMs += performance.now() - started;
      if (error instanceof HistoryError) return fail(error.code, error.rule, error.block);
      throw error;
    }
  } catch (error) {
    if (error instanceof PlasmaError) return fail(error.code, error.shortMessage);
    return fail('unavailable', error instanceof Error ? error.message : String(error));
  }
}

/**
 * The operator's history of the coin through `lastCommitted` (following `next` when it pages), parsed by the
 * protocol's strict parser. An operator still behind L1 is asked again for a moment before the gap is judged.
 */
async function fetchHistory(request: VerifyRequest, lastCommitted: bigint): Promise<HistoryEntry[]> {
  const deadline = performance.now() + (request.lagGraceMs ?? 5000);
  for (;;) {
    const entries: HistoryEntry[] = [];
    let from: bigint | undefined;
    let served = 0n;
    for (;;) {
      const query = `to=${lastCommitted}${from === undefined ? '' : `&from=${from}`}`;
      const response = await fetch(`${request.operatorUrl}/v1/coins/${request.slot}/history?${query}`);
      if (!response.ok) throw new Error(`the operator answered HTTP ${response.status} for the coin's history${await errorText(response)}`);
      const page = parseCoinHistoryResponseJson(await response.json());
      entries.push(...page.entries);
      served = page.lastCommittedBlock;
      if (page.next === undefined) break;
      from = page.next;
    }
    if (served >= lastCommitted || performance.now() > deadline) return entries;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message === undefined ? '' : `: ${body.error.message}`;
  } catch {
    return '';
  }
}
