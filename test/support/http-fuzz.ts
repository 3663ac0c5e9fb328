// A seeded generator of bad requests for the operator's HTTP API, and the runner that fires them and checks
// every answer: never a 5xx, always JSON with a specific error code (a 200 POST answers every item, and in this
// corpus every item is rejected with a code), never a dropped connection. Used by test/faults/fuzz.test.ts (a
// few thousand requests) and scripts/fuzz.ts (`npm run fuzz`, 100,000+).
//
// Nothing generated here is a valid new transfer, so a run must leave the operator's state exactly as it was:
// the caller snapshots the database before and after (stateDigest).
import { createHash } from 'node:crypto';
import type { Sql } from 'postgres';
import {
  signDigest,
  signedTransactionToJson,
  transactionDigestBytes,
  type Address,
  type Hex,
  type Transaction,
  type TransactionDomain,
} from '../../client/protocol/index.ts';
import { buildBlock } from '../../operator/block/builder.ts';
import type { Store } from '../../operator/db/store.ts';
import { acceptTransfers } from '../../operator/transfers/accept.ts';
import { insertCoins } from '../operator/http/fixture.ts';
import { addressOf, privateKey } from '../client/protocol/fixtures/helpers.ts';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzWorld {
  readonly domain: TransactionDomain;
  /** Coins that exist, with their current owner's key and the block their next spend must name. */
  readonly coins: readonly { readonly slot: bigint; readonly ownerKey: Hex; readonly owner: Address; readonly lastBlock: bigint; readonly denomination: bigint }[];
  /** Keys that own nothing. */
  readonly strangerKeys: readonly Hex[];
  /** Signed transfers that were valid once and are now spent or pending: replays. */
  readonly replays: readonly unknown[];
  readonly maxBodyBytes: number;
  readonly maxBatchItems: number;
}

export interface FuzzRequest {
  readonly category: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

const HEX = '0123456789abcdef';
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export function generator(seed: number, world: FuzzWorld): () => FuzzRequest {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const hex = (bytes: number) => {
    let s = '0x';
    for (let i = 0; i < bytes * 2; i++) s += HEX[int(16)];
    return s;
  };
  const coin = () => pick(world.coins);
  const stranger = () => pick(world.strangerKeys);
  const signedJson = (tx: Transaction, key: Hex) => signedTransactionToJson(tx, signDigest(transactionDigestBytes(tx, world.domain), key));
  const validTx = (): Transaction => {
    const c = coin();
    return { slot: c.slot, prevBlock: c.lastBlock, denomination: c.denomination, newOwner: pick(world.coins).owner };
  };
  const junkValue = (): unknown =>
    pick<() => unknown>([
      () => null,
      () => int(1e9),
      () => -1,
      () => 1.5,
      () => true,
      () => '',
      () => ' 1',
      () => '01',
      () => '-1',
      () => '1e3',
      () => '0x10',
      () => '18446744073709551616',
      () => '9'.repeat(int(200) + 20),
      () => hex(int(70)),
      () => hex(20).slice(0, 41),
      () => `0x${'zz'.repeat(20)}`,
      () => 'Ω'.repeat(int(30)),
      () => [],
      () => ({}),
      () => ({ $gt: '' }),
      () => [hex(20)],
    ])();

  // Each maker yields one request of one class. Transfers are POSTed as one object or in an array.
  const post = (category: string, body: unknown, headers?: Record<string, string>): FuzzRequest => ({
    category,
    method: 'POST',
    path: '/v1/transactions',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const maybeBatch = (item: unknown): unknown => (r() < 0.5 ? item : Array.from({ length: 1 + int(5) }, () => item));

  const makers: (() => FuzzRequest)[] = [
    // malformed JSON
    () => {
      const good = JSON.stringify(signedJson(validTx(), stranger()));
      return post('malformed_json', pick([good.slice(0, int(good.length)), `${good}}`, `{${good}`, "{'slot':'1'}", 'undefined', 'NaN', '[1,]', '{"a":1,}', '\u0000', hex(16)]));
    },
    () => post('malformed_json', Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256)))),
    // wrong types: JSON, but not a transfer
    () => post('wrong_type', pick<unknown>([null, 1, 'x', true, {}, [], [[]], [null], [1, 2], { transactions: [] }, [{}]])),
    () => {
      const item: Record<string, unknown> = { ...signedJson(validTx(), stranger()) };
      item[pick(['slot', 'prevBlock', 'denomination', 'newOwner', 'signature'])] = junkValue();
      return post('wrong_type', maybeBatch(item));
    },
    () => {
      const item: Record<string, unknown> = { ...signedJson(validTx(), stranger()) };
      const drop = pick(['slot', 'prevBlock', 'denomination', 'newOwner', 'signature']);
      delete item[drop];
      if (r() < 0.5) item[pick(['extra', '__proto__', 'constructor', 'slot '])] = junkValue();
      return post('wrong_type', maybeBatch(item));
    },
    // bad hex and wrong lengths
    () => {
      const item: Record<string, unknown> = { ...signedJson(validTx(), stranger()) };
      const field = pick(['newOwner', 'signature']);
      const value = item[field] as string;
      item[field] = pick([
        value.slice(2),
        `0X${value.slice(2)}`,
        value.slice(0, -1),
        `${value}0`,
        `${value}00`,
        value.slice(0, -2),
        `${value.slice(0, 10)}g${value.slice(11)}`,
        ` ${value}`,
        value.toUpperCase(),
      ]);
      return post('bad_hex', maybeBatch(item));
    },
    // invalid signatures: well-formed 65 bytes that do not recover, high s, bad v, or the wrong signer
    () => {
      const tx = validTx();
      const good = signedJson(tx, world.coins.find((c) => c.slot === tx.slot)!.ownerKey);
      const sig = good.signature.slice(2);
      const highS = (SECP256K1_N - BigInt(`0x${sig.slice(64, 128)}`)).toString(16).padStart(64, '0');
      const signature = pick([
        hex(65),
        `0x${'00'.repeat(65)}`,
        `0x${sig.slice(0, 64)}${highS}${sig.slice(128)}`,
        `0x${sig.slice(0, 128)}${pick(['00', '01', '1d', 'ff', '02'])}`,
        `0x${'ff'.repeat(32)}${sig.slice(64)}`,
      ]);
      return post('invalid_signature', maybeBatch({ ...good, signature }));
    },
    () => post('not_owner', maybeBatch(signedJson(validTx(), stranger()))),
    () => {
      // the owner signs, but something in the signed message differs from what the coin allows
      const c = coin();
      const tx = pick<Transaction>([
        { slot: c.slot, prevBlock: c.lastBlock + 1000n * BigInt(1 + int(5)), denomination: c.denomination, newOwner: c.owner },
        { slot: c.slot, prevBlock: c.lastBlock === 0n ? 1n : c.lastBlock - 1n, denomination: c.denomination, newOwner: c.owner },
        { slot: c.slot, prevBlock: c.lastBlock, denomination: c.denomination + 1n, newOwner: c.owner },
        { slot: c.slot, prevBlock: c.lastBlock, denomination: 0n, newOwner: c.owner },
      ]);
      return post('wrong_fields', maybeBatch(signedJson(tx, c.ownerKey)));
    },
    () => {
      const tx: Transaction = { slot: BigInt(`0x${hex(8).slice(2)}`), prevBlock: BigInt(int(5000)), denomination: 10n ** 18n, newOwner: coin().owner };
      return post('unknown_slot', maybeBatch(signedJson(tx, pick([stranger(), coin().ownerKey]))));
    },
    // replays of transfers that were valid once (spent in a committed block, or pending now)
    () => post('replay', r() < 0.5 ? pick(world.replays) : Array.from({ length: 1 + int(20) }, () => pick(world.replays))),
    // a batch that spends one coin twice, both items otherwise perfect except that the coin is pending already
    () => post('replay', [pick(world.replays), pick(world.replays)]),
    // huge bodies and huge batches
    () => post('huge_body', `[${'1,'.repeat(Math.ceil(world.maxBodyBytes / 2) + 10 + int(1000))}1]`),
    () => post('huge_body', JSON.stringify({ pad: 'x'.repeat(world.maxBodyBytes + int(1000)) })),
    () => post('huge_batch', Array.from({ length: world.maxBatchItems + 1 + int(50) }, () => 0)),
    () => post('huge_batch', Array.from({ length: world.maxBatchItems + 1 }, () => pick(world.replays))),
    // wrong media type, method, route
    () => post('bad_media_type', JSON.stringify(signedJson(validTx(), stranger())), { 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) }),
    () => {
      const method = pick(['PUT', 'DELETE', 'PATCH', 'GET']);
      return { category: 'bad_method', method, path: '/v1/transactions', headers: { 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }) };
    },
    () => ({ category: 'bad_method', method: pick(['POST', 'DELETE', 'PUT']), path: pick(['/v1/status', `/v1/coins/${coin().slot}`, '/v1/blocks/latest']), body: '{}' }),
    () => ({ category: 'unknown_route', method: 'GET', path: pick(['/assets/nope.js', '/v2/transactions', '/v1', '/v1/coins', '/v1/coins/', `/v1/coins/${coin().slot}/history/x`, '/..%2f..%2fetc%2fpasswd', `/v1/${'a/'.repeat(int(200))}`]) }),
    // bad path and query parameters
    () => {
      const bad = encodeURIComponent(String(junkValue()));
      return { category: 'bad_param', method: 'GET', path: pick([`/v1/coins/${bad}`, `/v1/coins/${bad}/history`, `/v1/coins/${coin().slot}/proofs/${bad}`, `/v1/blocks/${bad}`, `/v1/blocks/${bad}/transactions`, `/v1/owners/${bad}/coins`]) };
    },
    () => {
      const bad = encodeURIComponent(String(junkValue()));
      const c = coin().slot;
      return {
        category: 'bad_query',
        method: 'GET',
        path: pick([
          `/v1/coins/${c}/history?from=${bad}`,
          `/v1/coins/${c}/history?to=${bad}`,
          `/v1/coins/${c}/history?limit=${pick(['0', '-1', bad])}`,
          `/v1/coins/${c}/history?from=1&from=2`,
          `/v1/blocks/1000/transactions?after=${bad}`,
          `/v1/owners/${coin().owner}/coins?limit=${pick(['0', bad])}`,
          `/v1/owners/${coin().owner}/coins?after=1&after=2`,
        ]),
      };
    },
    () => ({ category: 'unknown_slot', method: 'GET', path: pick([`/v1/coins/${BigInt(`0x${hex(8).slice(2)}`)}`, `/v1/coins/${BigInt(`0x${hex(8).slice(2)}`)}/history`, `/v1/coins/${BigInt(`0x${hex(8).slice(2)}`)}/proofs/1000`, `/v1/blocks/${1000 * (100 + int(1e6))}`]) }),
  ];
  return () => pick(makers)();
}

export interface FuzzFailure {
  readonly request: FuzzRequest;
  readonly status?: number;
  readonly why: string;
  readonly body?: string;
}

export interface FuzzReport {
  readonly requests: number;
  readonly seconds: number;
  /** "category status code" → count */
  readonly outcomes: Record<string, number>;
  readonly failures: FuzzFailure[];
}

/** Checks one answer: status < 500, JSON, and a specific error code wherever something was refused. */
function judge(request: FuzzRequest, status: number, text: string): { why?: string; codes: string[] } {
  if (status >= 500) return { why: `status ${status}`, codes: [] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { why: 'the answer is not JSON', codes: [] };
  }
  const body = json as { error?: { code?: unknown }; results?: unknown };
  if (status >= 400) {
    const code = body.error?.code;
    if (typeof code !== 'string' || code === '' || code === 'internal_error') return { why: 'no specific error code', codes: [] };
    return { codes: [code] };
  }
  if (request.method === 'POST' && request.path === '/v1/transactions') {
    if (!Array.isArray(body.results)) return { why: '200 without results', codes: [] };
    const codes: string[] = [];
    for (const result of body.results as { status?: unknown; error?: { code?: unknown } }[]) {
      if (result.status === 'accepted') return { why: 'a generated transfer was accepted', codes: [] };
      const code = result.error?.code;
      if (result.status !== 'rejected' || typeof code !== 'string' || code === '') return { why: 'a result without a specific code', codes: [] };
      codes.push(code);
    }
    return { codes };
  }
  return { codes: [String(status)] };
}

export async function runFuzz(options: {
  readonly url: string;
  readonly seed: number;
  readonly count: number;
  readonly concurrency?: number;
  readonly world: FuzzWorld;
  readonly onProgress?: (done: number) => void;
}): Promise<FuzzReport> {
  const next = generator(options.seed, options.world);
  const outcomes: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  let issued = 0;
  let done = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (issued < options.count) {
      issued++;
      const request = next();
      try {
        const init: RequestInit = { method: request.method, headers: request.headers ?? {} };
        if (request.body !== undefined) init.body = request.body;
        const response = await fetch(options.url + request.path, init);
        const text = await response.text();
        const verdict = judge(request, response.status, text);
        if (verdict.why !== undefined) failures.push({ request, status: response.status, why: verdict.why, body: text.slice(0, 300) });
        for (const code of new Set(verdict.codes)) {
          const key = `${request.category} ${response.status} ${code}`;
          outcomes[key] = (outcomes[key] ?? 0) + 1;
        }
      } catch (error) {
        failures.push({ request, why: `no answer: ${error instanceof Error ? `${error.message} ${String((error.cause as { code?: string } | undefined)?.code ?? '')}` : String(error)}` });
      }
      if (++done % 10_000 === 0) options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return { requests: issued, seconds: (Date.now() - started) / 1000, outcomes, failures };
}

/** A digest of everything a request could change: coins, pending transfers, blocks, committed transfers, exits. */
export async function stateDigest(sql: Sql): Promise<string> {
  const hash = createHash('sha256');
  for (const table of ['coins', 'pending_transactions', 'blocks', 'transactions', 'deposits', 'exits', 'l1_cursor']) {
    const rows = await sql.unsafe(`select * from ${table} order by 1, 2`).catch(async () => sql.unsafe(`select * from ${table} order by 1`));
    hash.update(`${table}:${rows.length}:`);
    for (const row of rows) hash.update(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v && v.type === 'Buffer' ? v.data.join(',') : v)));
  }
  return hash.digest('hex');
}

/**
 * The fuzz corpus's world on a migrated, empty store: 24 coins of four owners; coins 0-4 with a pending transfer,
 * coins 5-9 moved in committed block 1000. Replays are those ten transfers (pending: already_pending; committed:
 * wrong_prev_block).
 */
export async function setupFuzzWorld(
  store: Store,
  domain: TransactionDomain,
  limits: { maxBodyBytes: number; maxBatchItems: number },
): Promise<FuzzWorld> {
  const keys = Array.from({ length: 4 }, (_, i) => privateKey(i));
  const owners = keys.map(addressOf);
  const denomination = 10n ** 18n;
  const coins = Array.from({ length: 24 }, (_, i) => ({ slot: BigInt(1000 + i * 7919), ownerKey: keys[i % 4]!, owner: owners[i % 4]!, lastBlock: 1n, denomination }));
  await insertCoins(store, coins.map((c) => ({ slot: c.slot, owner: c.owner, denomination, depositBlock: 1n })));
  const transfer = (i: number) => {
    const c = coins[i]!;
    const tx: Transaction = { slot: c.slot, prevBlock: c.lastBlock, denomination, newOwner: owners[(i + 1) % 4]! };
    return { transaction: tx, signature: signDigest(transactionDigestBytes(tx, domain), c.ownerKey) };
  };
  const committed = [5, 6, 7, 8, 9].map(transfer);
  const results = await acceptTransfers(store, domain, committed);
  if (results.some((result) => result.status !== 'accepted')) throw new Error('fuzz world: setup transfer refused');
  const block = await buildBlock(store, { maxTransactions: 100 });
  if (block === undefined) throw new Error('fuzz world: no block built');
  await store.setBlockStatus(block.number, 'confirmed');
  const pending = [0, 1, 2, 3, 4].map(transfer);
  if ((await acceptTransfers(store, domain, pending)).some((result) => result.status !== 'accepted')) throw new Error('fuzz world: setup transfer refused');
  const moved = coins.map((c, i) => (i >= 5 && i <= 9 ? { ...c, ownerKey: keys[(i + 1) % 4]!, owner: owners[(i + 1) % 4]!, lastBlock: block.number } : c));
  return {
    domain,
    coins: moved,
    strangerKeys: Array.from({ length: 3 }, (_, i) => privateKey(100 + i)),
    replays: [...committed, ...pending].map((item) => signedTransactionToJson(item.transaction, item.signature)),
    ...limits,
  };
}
