/**
 * Transfers accepted per second over HTTP: batches of 1,000 signed transfers POSTed to /v1/transactions on a
 * database of 20,000 coins (one transfer per coin, so every one is accepted and durable before its answer).
 * Prints figures; asserts nothing. Needs the Postgres of TOOLCHAIN.md (TEST_POSTGRES_URL to override).
 *
 *   npx tsx bench/http-accept.ts
 */
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { signedTransactionToJson, signDigest, transactionDigestBytes, type Address, type Hex, type Transaction } from '../client/protocol/index.ts';
import { slotToDb } from '../operator/db/codec.ts';
import { Store } from '../operator/db/store.ts';
import { createApp } from '../operator/http/app.ts';
import { addressOf, DOMAIN, privateKey } from '../test/client/protocol/fixtures/helpers.ts';

const SERVER = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const COINS = 20_000;
const BATCH = 1000;
const KEYS = Array.from({ length: 100 }, (_, i) => privateKey(i));
const OWNERS = KEYS.map(addressOf);

const name = `plasma_bench_http_${process.pid}`;
const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const store = Store.connect(`${SERVER}/${name}`, { max: 8 });
try {
  await store.migrate();
  const slotOf = (i: number) => 0x9e37_79b9_7f4a_7c15n * BigInt(i + 1) & ((1n << 64n) - 1n);
  await store.sql`
    insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block)
    select r.slot, 'eth', ${Buffer.alloc(20)}, 1000000000000000000, decode(r.owner, 'hex'), 1, decode(r.owner, 'hex'), 1
    from unnest(${Array.from({ length: COINS }, (_, i) => slotToDb(slotOf(i)))}::int8[],
                ${Array.from({ length: COINS }, (_, i) => OWNERS[i % OWNERS.length]!.slice(2))}::text[]) as r (slot, owner)`;

  const started = performance.now();
  const bodies: string[] = [];
  for (let start = 0; start < COINS; start += BATCH) {
    const items = [];
    for (let i = start; i < start + BATCH; i++) {
      const tx: Transaction = { slot: slotOf(i), prevBlock: 1n, denomination: 10n ** 18n, newOwner: OWNERS[(i + 1) % OWNERS.length] as Address };
      items.push(signedTransactionToJson(tx, signDigest(transactionDigestBytes(tx, DOMAIN), KEYS[i % KEYS.length] as Hex)));
    }
    bodies.push(JSON.stringify(items));
  }
  console.log(`signed ${COINS} transfers in ${(performance.now() - started).toFixed(0)} ms (client side, not counted)`);

  const { app } = createApp({ store, domain: DOMAIN });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/transactions`;

  const send = async (body: string): Promise<{ accepted: number; ms: number }> => {
    const t0 = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await response.json()) as { results: { status: string }[] };
    return { accepted: json.results.filter((result) => result.status === 'accepted').length, ms: performance.now() - t0 };
  };
  const run = async (label: string, batches: string[], concurrency: number) => {
    const latencies: number[] = [];
    let accepted = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < batches.length) {
          const result = await send(batches[next++]!);
          accepted += result.accepted;
          latencies.push(result.ms);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `${label}: ${accepted} accepted in ${seconds.toFixed(2)} s = ${Math.round(accepted / seconds)} transfers/s ` +
        `(batch latency p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(0)} ms, max ${latencies[latencies.length - 1]!.toFixed(0)} ms)`,
    );
  };
  await run('sequential, 10 batches of 1,000', bodies.slice(0, 10), 1);
  await run('4 concurrent clients, 10 batches of 1,000', bodies.slice(10), 4);
  await store.sql`delete from pending_transactions`;
  await run('pending cleared, the first 10 batches again (warm)', bodies.slice(0, 10), 1);
  await run('the same 10 batches again: every item rejected already_pending', bodies.slice(0, 10), 1);
  server.close();
} finally {
  await store.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
