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
