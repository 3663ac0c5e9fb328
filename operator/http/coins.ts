/**
 * GET /v1/coins/:slot, /v1/coins/:slot/history and /v1/coins/:slot/proofs/:block.
 *
 * The history is streamed: the head, then one page of `historyPageBlocks` entries per query to Store.coinHistory,
 * so one request holds at most HISTORY_PAGES_IN_FLIGHT pages in memory however long the coin's life. Past `maxHistoryEntries` (or the
 * caller's `limit`) it stops and names the block to continue from in `next` (§9).
 */
import { Readable } from 'node:stream';
import Router from '@koa/router';
import { historyEntryToJson, type Address } from '../../client/protocol/index.ts';
import { coinBySlot, latestCommittedBlock, type Coin } from '../db/transfers.ts';
import type { Store } from '../db/store.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './errors.ts';
import { coinJson } from './json.ts';
import { blockParam, limitParam, optionalUint, slotParam } from './params.ts';

export function coinsRoutes(deps: Deps): Router {
  const router = new Router();

  router.get('/v1/coins/:slot', async (ctx) => {
    ctx.body = coinJson(await knownCoin(deps.store, slotParam(ctx.params['slot'])));
  });

  router.get('/v1/coins/:slot/history', async (ctx) => {
    const slot = slotParam(ctx.params['slot']);
    const from = optionalUint(ctx.query, 'from', blockParam);
    const to = optionalUint(ctx.query, 'to', blockParam);
    const limit = limitParam(ctx.query, deps.limits.maxHistoryEntries);
    const coin = await knownCoin(deps.store, slot);
    const last = (await latestCommittedBlock(deps.store.sql))?.number ?? 0n;
    // Only committed child blocks after the deposit belong to the history; the range is clamped to them.
    const start = from === undefined || from <= coin.depositBlock ? coin.depositBlock + 1n : from;
    const end = to === undefined || to > last ? last : to;
    ctx.type = 'application/json';
    ctx.body = Readable.from(streamHistory(deps, coin, last, start, end, limit));
  });

  router.get('/v1/coins/:slot/proofs/:block', async (ctx) => {
    const slot = slotParam(ctx.params['slot']);
    const block = blockParam(ctx.params['block']);
    await knownCoin(deps.store, slot);
    const [entry] = (await deps.store.coinHistory(slot, block, block, 1)).entries;
    if (entry === undefined) throw new HttpError(404, 'unknown_block', `block ${block} is not a child block committed on L1`);
    ctx.body = historyEntryToJson(entry);
  });

  return router;
}

export async function knownCoin(store: Store, slot: bigint): Promise<Coin> {
  const coin = await coinBySlot(store.sql, slot);
  if (coin === undefined) throw new HttpError(404, 'unknown_coin', `no deposited coin has slot ${slot}`);
  return coin;
}

/** Pages of one history queried at once: each runs on its own pooled connection, so Postgres uses both cores. */
const HISTORY_PAGES_IN_FLIGHT = 2;

async function* streamHistory(deps: Deps, coin: Coin, last: bigint, start: bigint, end: bigint, limit: number): AsyncGenerator<string> {
  const deposit = { block: coin.depositBlock.toString(), owner: coin.depositor.toLowerCase() as Address, denomination: coin.denomination.toString() };
  yield `{"slot":"${coin.slot}","deposit":${JSON.stringify(deposit)},"lastCommittedBlock":"${last}","entries":[`;
  // The committed block numbers of the range come first (an index-only scan), so the pages' bounds are known up
  // front and the pages, independent queries, can run ahead of the one being written: most of a history's time
  // is the per-block index probes of Store.coinHistory, and one query uses one core.
  const numbers = end < start ? [] : await deps.store.committedBlockNumbers(start, end, limit + 1);
  const next = numbers.length > limit ? numbers[limit] : undefined;
  const pageSize = deps.limits.historyPageBlocks;
  const bounds: [bigint, bigint, number][] = [];
  for (let at = 0; at < Math.min(numbers.length, limit); at += pageSize) {
    const page = numbers.slice(at, Math.min(at + pageSize, limit));
    bounds.push([page[0]!, page[page.length - 1]!, page.length]);
  }
  const query = ([first, lastOfPage, count]: [bigint, bigint, number]) => deps.store.coinHistory(coin.slot, first, lastOfPage, count);
  const inFlight = bounds.slice(0, HISTORY_PAGES_IN_FLIGHT).map(query);
  inFlight.forEach((page) => page.catch(() => {})); // awaited in order below; a failure surfaces there
  let first = true;
  for (let k = 0; k < bounds.length; k++) {
    const page = await inFlight[k]!;
    if (k + HISTORY_PAGES_IN_FLIGHT < bounds.length) {
      const ahead = query(bounds[k + HISTORY_PAGES_IN_FLIGHT]!);
      ahead.catch(() => {});
      inFlight.push(ahead);
    }
    let chunk = '';
    for (const entry of page.entries) {
      chunk += (first ? '' : ',') + JSON.stringify(historyEntryToJson(entry));
      first = false;
    }
    if (chunk !== '') yield chunk;
  }
  yield next === undefined ? ']}' : `],"next":"${next}"}`;
}
