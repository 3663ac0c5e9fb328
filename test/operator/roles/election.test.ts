// The producer election on the real Postgres: two contenders, one active; the active one's lock session killed
// (pg_terminate_backend) or gone silent (its network path stops carrying bytes) → the other takes over within 5 s,
// and every write of the old term is refused by the database (migrations/0008's fence).
import t, { type Test } from 'tap';
import { connect, createServer, type Socket } from 'node:net';
import postgres from 'postgres';
import { createTestDatabase } from '../db/helpers.ts';
import { fencedUrl, startElection, type Election, type ElectionTimings, type Term } from '../../../operator/roles/election.ts';
import { Store } from '../../../operator/db/store.ts';
import { silentLog } from '../../../operator/log.ts';
import { guardPostgresNullSocketWrite } from '../../../operator/pg-crash-guard.ts';
import { until } from '../../support/system.ts';

// Sessions are ended under postgres.js here on purpose: its known null-socket crash is guarded as in the operator.
t.teardown(guardPostgresNullSocketWrite(silentLog));

const FAST: Partial<ElectionTimings> = { retryMs: 100, heartbeatMs: 100, heartbeatTimeoutMs: 1000, idleSessionTimeoutMs: 1500 };

interface Contender {
  readonly name: string;
  readonly election: Election;
  readonly terms: Term[];
  readonly deposed: string[];
}

function contend(t: Test, name: string, databaseUrl: string, timings = FAST): Contender {
  const terms: Term[] = [];
  const deposed: string[] = [];
  const election = startElection({
    databaseUrl,
    holder: name,
    log: silentLog,
    timings,
    onElected: async (term) => void terms.push(term),
    onDeposed: async (_term, reason) => void deposed.push(reason),
  });
  t.teardown(() => election.stop());
  return { name, election, terms, deposed };
}

/** One block-stage write through a pool fenced to `term`: resolves 'written' or the refusal's SQLSTATE. */
async function fencedWrite(t: Test, databaseUrl: string, term: Term, number: bigint): Promise<string> {
  const store = Store.connect(fencedUrl(databaseUrl, term), { max: 1 });
  t.teardown(() => store.close());
  try {
    await store.sql`insert into blocks (number, root, tx_count, status) values (${number.toString()}::int8, null, 0, 'built')`;
    return 'written';
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

async function migrated(t: Test, label: string): Promise<{ url: string; admin: postgres.Sql }> {
  const url = await createTestDatabase(t, label);
  const store = Store.connect(url, { max: 1 });
  await store.migrate();
  await store.close();
  const admin = postgres(url, { max: 2, onnotice: () => {} });
  t.teardown(() => admin.end());
  return { url, admin };
}

t.test('two producers, one active; pg_terminate_backend on its lock session → the other takes over < 5 s; the old term is fenced', async (t) => {
  const { url, admin } = await migrated(t, 'election_kill');
  const a = contend(t, 'A', url);
  await a.election.firstTry;
  const b = contend(t, 'B', url);
  await b.election.firstTry;
  t.equal(a.terms.length, 1, 'A, first, is elected');
  t.equal(b.terms.length, 0, 'B stands by');
  const old = a.terms[0]!;
  t.equal(old.epoch, 1n, 'the first election is epoch 1');
  t.equal(await fencedWrite(t, url, old, 1000n), 'written', 'the active term writes');

  const killedAt = Date.now();
  await admin`select pg_terminate_backend(${old.lockPid})`;
  await until('B elected', async () => b.terms.length === 1, 5000, 10);
  const takeoverMs = Date.now() - killedAt;
  t.ok(takeoverMs < 5000, `B took over ${takeoverMs} ms after the kill`);
  t.equal(b.terms[0]!.epoch, 2n, 'the takeover bumped the epoch');
  t.equal(await fencedWrite(t, url, old, 3000n), 'PF001', 'the old term is still refused after the takeover');
  t.equal(await fencedWrite(t, url, b.terms[0]!, 2000n), 'written', 'the new term writes');
  await until('A notices and stands by', async () => a.deposed.length === 1, 5000, 10);
  t.equal(a.election.term, undefined, 'A is no longer active');
  const [row] = await admin<{ epoch: string; holder: string }[]>`select epoch, holder from producer_election`;
  t.same(row, { epoch: '2', holder: 'B' }, 'the stored election names B, epoch 2');
  const numbers = await admin<{ number: string }[]>`select number from blocks order by number`;
  t.same(numbers.map((r) => r.number), ['1000', '2000'], 'only the writes of live terms are stored');
});

t.test('a term whose lock session died is refused at once, before any other producer is elected', async (t) => {
  const { url, admin } = await migrated(t, 'election_alone');
  const a = contend(t, 'A', url, { ...FAST, retryMs: 60_000 }); // A does not win again during the test
  await a.election.firstTry;
  const term = a.terms[0]!;
  t.equal(await fencedWrite(t, url, term, 1000n), 'written', 'the active term writes');
  await admin`select pg_terminate_backend(${term.lockPid})`;
  await until('the lock session is gone', async () => (await admin`select 1 from pg_stat_activity where pid = ${term.lockPid}`).length === 0, 5000, 10);
  t.equal(await fencedWrite(t, url, term, 2000n), 'PF001', 'the next write of the term is refused: its backend no longer holds the lock');
  const [row] = await admin<{ epoch: string }[]>`select epoch from producer_election`;
  t.equal(row!.epoch, '1', 'no other election happened: the lock check alone refused it');
});

t.test('a write of the old term that passed the fence before the takeover is rolled back: the winner ends its session first', async (t) => {
  const { url, admin } = await migrated(t, 'election_inflight');
  const a = contend(t, 'A', url);
  await a.election.firstTry;
  const old = a.terms[0]!;
  const writer = postgres(fencedUrl(url, old), { max: 1, onnotice: () => {} });
  t.teardown(() => writer.end({ timeout: 0 }));
  // A transaction of the old term passes the fence (its row is locked FOR SHARE), then stalls before committing.
  let release!: () => void;
  const stalled = new Promise<void>((resolve) => (release = resolve));
  const inFlight = writer
    .begin(async (tx) => {
      await tx`insert into blocks (number, root, tx_count, status) values (1000, null, 0, 'built')`;
      await stalled;
    })
    .then(() => 'committed', (error: unknown) => `failed: ${(error as { code?: string }).code ?? String(error)}`);
  await until('the write holds the epoch row', async () => {
    const [row] = await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where application_name = ${`plasma producer epoch ${old.epoch}`} and state = 'idle in transaction'`;
    return row!.n === 1;
  });
  await admin`select pg_terminate_backend(${old.lockPid})`;
  const b = contend(t, 'B', url);
  await until('B elected', async () => b.terms.length === 1, 5000, 10);
  release();
  t.match(await inFlight, /^failed/, 'the stalled write of the old term never commits');
  const [count] = await admin<{ n: number }[]>`select count(*)::int as n from blocks`;
  t.equal(count!.n, 0, 'nothing of the old term is stored');
});

t.test('the active producer\'s network goes silent → the server ends its lock session, the standby takes over < 5 s, the silent one stands down', async (t) => {
  const { url, admin } = await migrated(t, 'election_silent');
  const proxy = await silenceableProxy(t, new URL(url));
  // A hears nothing back for 4 s before it gives up: the lock must be released by the server, not by A.
  const a = contend(t, 'A', proxy.url(url), { ...FAST, heartbeatTimeoutMs: 4000 });
  await a.election.firstTry;
  const b = contend(t, 'B', url);
  await b.election.firstTry;
  t.equal(a.terms.length, 1, 'A, through the proxy, is elected');
  const silencedAt = Date.now();
  proxy.silence();
  await until('B elected', async () => b.terms.length === 1, 6000, 10);
  const takeoverMs = Date.now() - silencedAt;
  t.ok(takeoverMs < 5000, `B took over ${takeoverMs} ms after A's network went silent (idle_session_timeout ${FAST.idleSessionTimeoutMs} ms)`);
  t.equal(a.deposed.length, 0, 'before A gave up on its heartbeat: the server released the lock');
  await until('A stands down on its own', async () => a.deposed.length === 1, 6000, 10);
  t.match(a.deposed[0], /no heartbeat answer/, 'A noticed the silence');
  t.equal(await fencedWrite(t, url, a.terms[0]!, 1000n), 'PF001', 'A\'s term is fenced');
  const [row] = await admin<{ holder: string }[]>`select holder from producer_election`;
  t.equal(row!.holder, 'B', 'the stored election names B');
});

/** A TCP proxy to Postgres whose connections can go silent: kept open, carrying nothing (a dead network path). */
async function silenceableProxy(t: Test, target: URL): Promise<{ url(base: string): string; silence(): void }> {
  const pairs: [Socket, Socket][] = [];
  let silent = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) socket.on('error', () => {});
    client.on('data', (chunk) => void (silent || upstream.write(chunk)));
    upstream.on('data', (chunk) => void (silent || client.write(chunk)));
    client.on('close', () => upstream.destroy());
    // Silent, nothing reaches the client, not even the server closing the session (as over a dead network path).
    upstream.on('close', () => void (silent || client.destroy()));
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const pair of pairs) pair.forEach((socket) => socket.destroy());
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: (base) => {
      const proxied = new URL(base);
      proxied.host = `127.0.0.1:${port}`;
      return proxied.toString();
    },
    silence: () => void (silent = true),
  };
}
