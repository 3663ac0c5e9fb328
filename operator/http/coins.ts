/**
 * GET /v1/coins/:slot, /v1/coins/:slot/history and /v1/coins/:slot/proofs/:block.
 *
 * The history is streamed: the head, then one page of `historyPageBlocks` entries per query to Store.coinHistory,
 * so one request holds at most HISTORY_PAGES_IN_FLIGHT pages in memory however long the coin's life. Past `maxHistoryEntries` (or the
 * caller's `limit`) it stops and names the block to continue from in `next` (§9).
 *
 * `?since=checkpoint` (§9, docs/CHECKPOINTS.md §6): the history after the coin's base (its newest final,
 * non-void checkpoint leaf), with that leaf as `checkpoint` (null: from the deposit) and the leaves of the pending
 * checkpoints at or after it as `pending`: a package, what a sender hands the receiver.
 */
import { Readable } from 'node:stream';
import Router from '@koa/router';
import { historyEntryToJson, type Address } from '../../client/protocol/index.ts';
import { coinBySlot, latestCommittedBlock, type Coin } from '../db/transfers.ts';
import type { Store } from '../db/store.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './errors.ts';
import { coinJson } from './json.ts';
import { blockParam, limitParam, optionalUint, queryValue, slotParam } from './params.ts';
import { checkpointLeaves, type StatusNote } from './checkpoint-leaves.ts';

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
    const since = queryValue(ctx.query, 'since');
    if (since !== undefined && since !== 'checkpoint') throw new HttpError(400, 'invalid_since', 'since must be "checkpoint" (the history after the coin\'s base)');
    const coin = await knownCoin(deps.store, slot);
    const last = (await latestCommittedBlock(deps.store.sql))?.number ?? 0n;
    // Only committed child blocks after the deposit belong to the history; the range is clamped to them.
    let start = from === undefined || from <= coin.depositBlock ? coin.depositBlock + 1n : from;
    let extra = '';
    if (since === 'checkpoint') {
      const note: StatusNote = { source: 'l1' };
      const { base, pending } = await checkpointLeaves(deps).baseAndPending(coin, note);
      ctx.set('X-Checkpoint-Status-Source', note.source);
      if (base !== undefined && BigInt(base.block) + 1n > start) start = BigInt(base.block) + 1n;
      extra = `"checkpoint":${JSON.stringify(base ?? null)},"pending":${JSON.stringify(pending)},`;
    }
    const end = to === undefined || to > last ? last : to;
    ctx.type = 'application/json';
    ctx.body = Readable.from(streamHistory(deps, coin, last, start, end, limit, extra));
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

/** `extra`: more fields of the object, each followed by a comma, written before `entries` (since=checkpoint). */
async function* streamHistory(deps: Deps, coin: Coin, last: bigint, start: bigint, end: bigint, limit: number, extra = ''): AsyncGenerator<string> {
  const deposit = { block: coin.depositBlock.toString(), owner: coin.depositor.toLowerCase() as Address, denomination: coin.denomination.toString() };
  yield `{"slot":"${coin.slot}","deposit":${JSON.stringify(deposit)},"lastCommittedBlock":"${last}",${extra}"entries":[`;
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
