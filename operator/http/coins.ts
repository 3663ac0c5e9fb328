/**
 * GET /v1/coins/:slot, /v1/coins/:slot/history and /v1/coins/:slot/proofs/:block.
 *
 * Every read goes to `deps.reads` (the read replica when there is one). A history's lastCommittedBlock and all its
 * pages come from one ReadSnapshot (db/snapshot.ts): it never names a committed block its entries lack.
 *
 * The history is streamed: the head, then one page of `historyPageBlocks` entries per query to Store.coinHistory,
 * so one request holds at most HISTORY_PAGES_IN_FLIGHT pages in memory however long the coin's life. Past `maxHistoryEntries` (or the
 * caller's `limit`) it stops and names the block to continue from in `next` (§9).
 *
 * `?since=checkpoint` (§9, docs/CHECKPOINTS.md §6): the history after the coin's base (its newest final,
 * non-void checkpoint leaf), with that leaf as `checkpoint` (null: from the deposit) and the leaves of the pending
 * checkpoints at or after it as `pending`: a package, what a sender hands the receiver.
 *
 * Both forms answer `Accept: application/octet-stream` with the compact binary package of the same content
 * (client/protocol/package-binary.ts, docs/PROTOCOL.md §9.5): proofs and signatures as raw bytes, not hex, which
 * halves a package. Anything else (no Accept, JSON, *\/*) gets the JSON; errors are JSON either way.
 */
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Sql } from 'postgres';
import {
  encodeEntries,
  encodePackageHead,
  historyEntryToJson,
  PACKAGE_MEDIA_TYPE,
  parseCheckpointLeafObjectJson,
  type Address,
  type CheckpointLeafObject,
  type HistoryEntry,
} from '../../client/protocol/index.ts';
import { coinBySlot, latestCommittedBlock, type Coin } from '../db/transfers.ts';
import { inReadSnapshot, ReadSnapshot } from '../db/snapshot.ts';
import type { Store } from '../db/store.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './errors.ts';
import { coinJson } from './json.ts';
import { blockParam, limitParam, optionalUint, queryValue, slotParam } from './params.ts';
import { checkpointLeaves, type LeafObjectJson, type StatusNote } from './checkpoint-leaves.ts';

export function coinsRoutes(deps: Deps): Router {
  const router = new Router();

  router.get('/v1/coins/:slot', async (ctx) => {
    ctx.body = coinJson(await knownCoin(deps.reads, slotParam(ctx.params['slot'])));
  });

  router.get('/v1/coins/:slot/history', async (ctx) => {
    const slot = slotParam(ctx.params['slot']);
    const from = optionalUint(ctx.query, 'from', blockParam);
    const to = optionalUint(ctx.query, 'to', blockParam);
    const limit = limitParam(ctx.query, deps.limits.maxHistoryEntries);
    const since = queryValue(ctx.query, 'since');
    if (since !== undefined && since !== 'checkpoint') throw new HttpError(400, 'invalid_since', 'since must be "checkpoint" (the history after the coin\'s base)');
    // The coin's deposit never changes once stored: read outside the snapshot, so an unknown slot is a 404 at once.
    const coin = await knownCoin(deps.reads, slot);
    // Only committed child blocks after the deposit belong to the history; the range is clamped to them.
    let start = from === undefined || from <= coin.depositBlock ? coin.depositBlock + 1n : from;
    // Chosen by the client's preference; without one (or */*) the first, JSON, as before this format existed.
    const binary = ctx.accepts('application/json', PACKAGE_MEDIA_TYPE) === PACKAGE_MEDIA_TYPE;
    ctx.vary('Accept');
    let leaves: { base: LeafObjectJson | undefined; pending: LeafObjectJson[] } | undefined;
    if (since === 'checkpoint') {
      const note: StatusNote = { source: 'l1' };
      leaves = await checkpointLeaves(deps).baseAndPending(coin, note);
      ctx.set('X-Checkpoint-Status-Source', note.source);
      const base = leaves.base;
      if (base !== undefined && BigInt(base.block) + 1n > start) start = BigInt(base.block) + 1n;
    }
    // Opened after the checkpoint leaves were read: the snapshot sees every block they name.
    const snapshot = await ReadSnapshot.open(deps.reads.sql);
    let last: bigint;
    try {
      last = (await latestCommittedBlock(snapshot.sql))?.number ?? 0n;
    } catch (error) {
      await snapshot.close();
      throw error;
    }
    const end = to === undefined || to > last ? last : to;
    ctx.type = binary ? PACKAGE_MEDIA_TYPE : 'application/json';
    const format = binary ? binaryFormat(coin, last, leaves) : jsonFormat(coin, last, leaves);
    const body = Readable.from(streamHistory(deps, snapshot, coin, start, end, limit, format));
    // Finished, failed, or the client went away (the generator may never have started): the connections go back.
    body.once('close', () => void snapshot.close());
    ctx.body = body;
  });

  router.get('/v1/coins/:slot/proofs/:block', async (ctx) => {
    const slot = slotParam(ctx.params['slot']);
    const block = blockParam(ctx.params['block']);
    const [entry] = await inReadSnapshot(deps.reads.sql, async (sql) => {
      await knownCoin(deps.reads, slot, sql);
      return (await deps.reads.coinHistory(slot, block, block, 1, sql)).entries;
    });
    if (entry === undefined) throw new HttpError(404, 'unknown_block', `block ${block} is not a child block committed on L1`);
    ctx.body = historyEntryToJson(entry);
  });

  return router;
}

export async function knownCoin(store: Store, slot: bigint, on: Sql = store.sql): Promise<Coin> {
  const coin = await coinBySlot(on, slot);
  if (coin === undefined) throw new HttpError(404, 'unknown_coin', `no deposited coin has slot ${slot}`);
  return coin;
}

/** Pages of one history queried at once: each runs on its own pooled connection, so Postgres uses both cores. */
const HISTORY_PAGES_IN_FLIGHT = 2;

/**
 * How a history is written: its head once the entry count and `next` are known, each page of entries, the end.
 * JSON (§9) and the binary package (package-binary.ts) carry the same content.
 */
interface HistoryFormat {
  head(count: number, next: bigint | undefined): string | Buffer;
  page(entries: readonly HistoryEntry[], first: number): string | Buffer;
  end(next: bigint | undefined): string | Buffer;
}

type Leaves = { base: LeafObjectJson | undefined; pending: LeafObjectJson[] } | undefined;

function jsonFormat(coin: Coin, last: bigint, leaves: Leaves): HistoryFormat {
  const deposit = { block: coin.depositBlock.toString(), owner: coin.depositor.toLowerCase() as Address, denomination: coin.denomination.toString() };
  const extra = leaves === undefined ? '' : `"checkpoint":${JSON.stringify(leaves.base ?? null)},"pending":${JSON.stringify(leaves.pending)},`;
  return {
    head: () => `{"slot":"${coin.slot}","deposit":${JSON.stringify(deposit)},"lastCommittedBlock":"${last}",${extra}"entries":[`,
    page: (entries, first) => entries.map((entry, i) => (first + i === 0 ? '' : ',') + JSON.stringify(historyEntryToJson(entry))).join(''),
    end: (next) => (next === undefined ? ']}' : `],"next":"${next}"}`),
  };
}

function binaryFormat(coin: Coin, last: bigint, leaves: Leaves): HistoryFormat {
  const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The leaf objects are built as JSON (checkpoint-leaves.ts); the client's own parser turns them into values.
  const typed = (leaf: LeafObjectJson, field: string): CheckpointLeafObject => parseCheckpointLeafObjectJson(leaf, field);
  return {
    head: (count, next) =>
      buffer(
        encodePackageHead(
          {
            slot: coin.slot,
            deposit: { block: coin.depositBlock, owner: coin.depositor.toLowerCase() as Address, denomination: coin.denomination },
            lastCommittedBlock: last,
            next,
            ...(leaves === undefined ? {} : { checkpoint: leaves.base === undefined ? null : typed(leaves.base, 'checkpoint'), pending: leaves.pending.map((leaf, i) => typed(leaf, `pending[${i}]`)) }),
          },
          count,
        ),
      ),
    page: (entries, first) => buffer(encodeEntries(entries, first)),
    end: () => Buffer.alloc(0),
  };
}

async function* streamHistory(deps: Deps, snapshot: ReadSnapshot, coin: Coin, start: bigint, end: bigint, limit: number, format: HistoryFormat): AsyncGenerator<string | Buffer> {
  try {
    yield* historyChunks(deps, snapshot, coin, start, end, limit, format);
  } finally {
    await snapshot.close();
  }
}

async function* historyChunks(deps: Deps, snapshot: ReadSnapshot, coin: Coin, start: bigint, end: bigint, limit: number, format: HistoryFormat): AsyncGenerator<string | Buffer> {
  // The committed block numbers of the range come first (an index-only scan), so the pages' bounds are known up
  // front and the pages, independent queries, can run ahead of the one being written: most of a history's time
  // is the per-block index probes of Store.coinHistory, and one query uses one core.
  const numbers = end < start ? [] : await deps.reads.committedBlockNumbers(start, end, limit + 1, snapshot.sql);
  const next = numbers.length > limit ? numbers[limit] : undefined;
  // The binary head carries the entry count, so it is written once the numbers are known (JSON's too, for one path).
  yield format.head(Math.min(numbers.length, limit), next);
  const pageSize = deps.limits.historyPageBlocks;
  const bounds: [bigint, bigint, number][] = [];
  for (let at = 0; at < Math.min(numbers.length, limit); at += pageSize) {
    const page = numbers.slice(at, Math.min(at + pageSize, limit));
    bounds.push([page[0]!, page[page.length - 1]!, page.length]);
  }
  // Pages alternate between the snapshot's two connections (the second joins it only when there are two pages).
  const connections = [snapshot.sql, bounds.length > 1 ? await snapshot.second() : snapshot.sql];
  const query = ([first, lastOfPage, count]: [bigint, bigint, number], k: number) =>
    deps.reads.coinHistory(coin.slot, first, lastOfPage, count, connections[k % connections.length]!);
  const inFlight = bounds.slice(0, HISTORY_PAGES_IN_FLIGHT).map(query);
  inFlight.forEach((page) => page.catch(() => {})); // awaited in order below; a failure surfaces there
  let written = 0;
  for (let k = 0; k < bounds.length; k++) {
    const page = await inFlight[k]!;
    if (k + HISTORY_PAGES_IN_FLIGHT < bounds.length) {
      const ahead = query(bounds[k + HISTORY_PAGES_IN_FLIGHT]!, k + HISTORY_PAGES_IN_FLIGHT);
      ahead.catch(() => {});
      inFlight.push(ahead);
    }
    if (page.entries.length > 0) yield format.page(page.entries, written);
    written += page.entries.length;
  }
  yield format.end(next);
}
