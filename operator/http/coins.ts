/**
 * GET /v1/coins/:slot, /v1/coins/:slot/history and /v1/coins/:slot/proofs/:block.
 *
 * The history is streamed: the head, then one page of `historyPageBlocks` entries per query to Store.coinHistory,
 * so one request holds at most a page in memory however long the coin's life. Past `maxHistoryEntries` (or the
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

async function* streamHistory(deps: Deps, coin: Coin, last: bigint, start: bigint, end: bigint, limit: number): AsyncGenerator<string> {
  const deposit = { block: coin.depositBlock.toString(), owner: coin.depositor.toLowerCase() as Address, denomination: coin.denomination.toString() };
  yield `{"slot":"${coin.slot}","deposit":${JSON.stringify(deposit)},"lastCommittedBlock":"${last}","entries":[`;
  let cursor = start;
  let remaining = limit;
  let next: bigint | undefined;
  let first = true;
  while (cursor <= end && remaining > 0) {
    const page = await deps.store.coinHistory(coin.slot, cursor, end, Math.min(deps.limits.historyPageBlocks, remaining));
    let chunk = '';
    for (const entry of page.entries) {
      chunk += (first ? '' : ',') + JSON.stringify(historyEntryToJson(entry));
      first = false;
    }
    if (chunk !== '') yield chunk;
    remaining -= page.entries.length;
    if (page.next === undefined) break;
    cursor = page.next;
    if (remaining === 0) next = page.next;
  }
  yield next === undefined ? ']}' : `],"next":"${next}"}`;
}
