// `npm run fuzz [-- --count 100000 --seed N --concurrency 16]`: the HTTP fuzz corpus of test/faults/fuzz.test.ts
// at full size, against the real app on a fresh database of the Postgres at TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432; the database is dropped afterwards). Prints the outcome of every request
// class and exits 1 on any 5xx, missing error code, dropped connection or change of the database.
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { Store } from '../operator/db/store.ts';
import { createApp } from '../operator/http/app.ts';
import { DOMAIN } from '../test/client/protocol/fixtures/helpers.ts';
import { runFuzz, setupFuzzWorld, stateDigest } from '../test/support/http-fuzz.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100000' }, seed: { type: 'string', default: '20261125' }, concurrency: { type: 'string', default: '16' } } });
const count = Number(values.count);
const seed = Number(values.seed);
const server = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const name = `plasma_fuzz_${process.pid}`;
const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const store = Store.connect(`${server}/${name}`, { max: 8 });
let exitCode = 1;
try {
  await store.migrate();
  const limits = { maxBodyBytes: 1024 * 1024, maxBatchItems: 1000 };
  const world = await setupFuzzWorld(store, DOMAIN, limits);
  let errors = 0;
  const { app } = createApp({ store, domain: DOMAIN, limits, log: (entry) => void (entry['level'] === 'error' && errors++) });
  const http = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const before = await stateDigest(store.sql);
  const rssBefore = process.memoryUsage().rss;
  console.log(`fuzzing ${url} with ${count} requests, seed ${seed}, concurrency ${values.concurrency}`);
  const report = await runFuzz({ url, seed, count, concurrency: Number(values.concurrency), world, onProgress: (done) => console.log(`  ${done} requests…`) });
  const after = await stateDigest(store.sql);
  await new Promise((resolve) => http.close(resolve));
  const byCategory = new Map<string, string[]>();
  for (const [key, n] of Object.entries(report.outcomes).sort()) {
    const [category, status, code] = key.split(' ');
    byCategory.set(category!, [...(byCategory.get(category!) ?? []), `${status} ${code} ×${n}`]);
  }
  console.log(`\n${report.requests} requests in ${report.seconds.toFixed(1)} s (${Math.round(report.requests / report.seconds)}/s); RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB (app and generator in one process)`);
  console.log('| class | answers (status code ×count) |\n|---|---|');
  for (const [category, lines] of byCategory) console.log(`| ${category} | ${lines.join(', ')} |`);
  const distinct = new Map(report.failures.map((f) => [`${f.request.category} ${f.status} ${f.why}`, f]));
  console.log(`\nfailures: ${report.failures.length} (${distinct.size} distinct)`);
  for (const failure of [...distinct.values()].slice(0, 20)) console.log(JSON.stringify(failure).slice(0, 600));
  console.log(`5xx/internal errors logged: ${errors}`);
  console.log(`database unchanged: ${before === after ? 'yes' : 'NO'}`);
  exitCode = report.failures.length === 0 && errors === 0 && before === after ? 0 : 1;
} finally {
  await store.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
process.exit(exitCode);
