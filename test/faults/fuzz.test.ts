// Bad input: a seeded stream of malformed, mistyped, oversized, badly signed, unknown and replayed requests
// against the real app on the real Postgres. Every answer is < 500, JSON, with a specific error code; the
// database is byte-for-byte the same afterwards. `npm run fuzz` runs the same generator 100,000+ times.
import t from 'tap';
import { createTestStore } from '../operator/db/helpers.ts';
import { DOMAIN, startServer } from '../operator/http/fixture.ts';
import { runFuzz, setupFuzzWorld, stateDigest } from '../support/http-fuzz.ts';

const COUNT = Number(process.env['FUZZ_COUNT'] ?? 4000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261125);

t.test(`${COUNT} generated bad requests (seed ${SEED}): never a 5xx, always a code, no state change`, async (t) => {
  const store = await createTestStore(t, 'fuzz');
  const limits = { maxBodyBytes: 64 * 1024, maxBatchItems: 50 };
  const world = await setupFuzzWorld(store, DOMAIN, limits);
  const logged: Record<string, unknown>[] = [];
  const server = await startServer(t, { store, limits, log: (entry) => void logged.push(entry) });
  const before = await stateDigest(store.sql);
  const report = await runFuzz({ url: server.url, seed: SEED, count: COUNT, concurrency: 8, world });
  const kinds = new Map(report.failures.map((failure) => [`${failure.request.category} ${failure.status} ${failure.why}`, failure]));
  t.same([...kinds.values()], [], `no failures (${report.failures.length} in all)`);
  t.equal(await stateDigest(store.sql), before, 'the database is unchanged');
  t.same(logged.filter((entry) => entry['level'] === 'error'), [], 'nothing logged as an error (no 500 path taken)');
  const categories = new Set(Object.keys(report.outcomes).map((key) => key.split(' ')[0]));
  for (const category of ['malformed_json', 'wrong_type', 'bad_hex', 'invalid_signature', 'not_owner', 'wrong_fields', 'unknown_slot', 'replay', 'huge_body', 'huge_batch', 'bad_media_type', 'bad_param', 'bad_query']) {
    t.ok(categories.has(category), `${category} exercised`);
  }
  t.match(report.outcomes, { 'huge_body 413 body_too_large': Number, 'huge_batch 413 batch_too_large': Number, 'replay 200 already_pending': Number, 'replay 200 wrong_prev_block': Number });
  t.comment(`${report.requests} requests in ${report.seconds.toFixed(1)} s`);
  t.comment(JSON.stringify(report.outcomes, null, 1));
});

t.test('bodies the generator cannot send with fetch: chunked past the limit, cut off mid-way, lying about their length', async (t) => {
  const { request } = await import('node:http');
  const store = await createTestStore(t, 'fuzz_raw');
  const limits = { maxBodyBytes: 4096, maxBatchItems: 10 };
  await setupFuzzWorld(store, DOMAIN, limits);
  const server = await startServer(t, { store, limits });
  const before = await stateDigest(store.sql);
  const { port } = new URL(server.url);
  const send = (headers: Record<string, string | number>, write: (req: import('node:http').ClientRequest) => void) =>
    new Promise<{ status: number; body: string } | 'closed'>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/transactions', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve('closed'));
      });
      req.on('error', () => resolve('closed'));
      write(req);
    });

  const chunked = await send({ 'transfer-encoding': 'chunked' }, (req) => {
    for (let i = 0; i < 20; i++) req.write(`[${'1,'.repeat(200)}`);
    req.end();
  });
  t.match(chunked, { status: 413, body: /"code":"body_too_large"/ }, 'a chunked body past the limit is cut at the limit');

  const declaredTooBig = await send({ 'content-length': 10_000 }, (req) => req.end('[]'));
  t.match(declaredTooBig, { status: 413, body: /body_too_large/ }, 'a declared length past the limit is refused before reading');

  const cutOff = await send({ 'content-length': 1000 }, (req) => {
    req.write('[{"slot":"1"');
    setTimeout(() => req.destroy(), 50);
  });
  t.equal(cutOff, 'closed', 'a client that hangs up mid-body gets nothing');
  t.equal((await fetch(`${server.url}/v1/status`)).status, 200, 'and the server is fine');
  t.equal(await stateDigest(store.sql), before, 'nothing changed');
});
