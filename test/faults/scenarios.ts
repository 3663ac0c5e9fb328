// Fault scenarios shared by the tap tests (short outages) and scripts/faults.ts (the full minute). Each runs the
// operator as a child process under a transfer load, breaks one dependency, restores it, drains, and returns
// the figures and every problem found by checkEndState.
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import postgres from 'postgres';
import { nextChildBlock } from '../../client/l1/contract.ts';
import { Store } from '../../operator/db/store.ts';
import { createTestDatabase } from '../operator/db/helpers.ts';
import { freePort, startTestChain } from '../support/anvil.ts';
import { TcpProxy } from './proxy.ts';
import { checkEndState, deposit, sleep, spawnOperator, TransferLoad, waitReady } from './support.ts';

const run = promisify(execFile);

export interface ScenarioReport {
  readonly problems: string[];
  readonly figures: Record<string, number | string>;
}

/** Waits until the operator has nothing pending and every stored block is confirmed (or `timeoutMs`). */
async function drain(load: TransferLoad, sql: import('postgres').Sql, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  await load.stop();
  for (;;) {
    await load.refresh();
    const [row] = await sql<{ pending: number; open: number }[]>`
      select (select count(*)::int from pending_transactions) as pending, (select count(*)::int from blocks where status <> 'confirmed') as open`;
    if (load.settled() && row!.pending === 0 && row!.open === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return Date.now() - started;
    await sleep(100);
  }
}

async function setup(t: Test, label: string, l1Url: (anvil: string) => Promise<string>, databaseUrl?: string, heldBack = 0) {
  const chain = await startTestChain(t);
  const dbUrl = databaseUrl ?? (await createTestDatabase(t, label));
  const port = await freePort();
  const coins = [];
  for (let i = 0; i < 18; i++) coins.push({ ...(await deposit(chain, chain.users[i % 3]!)), owner: i % 3 });
  const options = { l1Rpc: await l1Url(chain.rpcUrl), contract: chain.address, operatorKey: chain.operatorKey, databaseUrl: dbUrl, port };
  const operator = spawnOperator(options);
  t.teardown(() => void operator.child.kill('SIGKILL'));
  await waitReady(operator.url, operator.startedAt, 30_000, () => operator.child.exitCode === null);
  // Ready is HTTP + Postgres + L1; the follower may still be applying the deposits made before the start.
  const lastSlot = coins[coins.length - 1]!.slot;
  for (const deadline = Date.now() + 20_000; (await fetch(`${operator.url}/v1/coins/${lastSlot}`).then(async (r) => (await r.arrayBuffer(), r.status))) !== 200; ) {
    if (Date.now() > deadline) throw new Error('the operator did not see the deposits within 20 s');
    await sleep(50);
  }
  const load = new TransferLoad({ url: operator.url, domain: chain.domain, users: chain.users.slice(0, 3), coins, heldBack });
  const store = Store.connect(dbUrl, { max: 1 });
  t.teardown(() => store.close());
  return { chain, operator, load, store, dbUrl };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/**
 * The end of every scenario: the operator must still be running; then the load is drained and the end state
 * checked (every accepted transfer committed, L1 = Postgres). `figures` is read after the drain.
 */
async function finish({ chain, operator, load, store }: Setup, problems: string[], figures: () => Record<string, number | string>): Promise<ScenarioReport> {
  if (operator.child.exitCode !== null) {
    problems.push(`the operator exited (code ${operator.child.exitCode}); its last log lines:\n${operator.stderr().trim().split('\n').slice(-8).join('\n')}`);
    return { problems, figures: {} };
  }
  const drainMs = await drain(load, store.sql);
  const end = await checkEndState({ url: operator.url, rpc: chain.rpc, contract: chain.address, domain: chain.domain, sql: store.sql, load });
  problems.push(...end.problems);
  return {
    problems,
    figures: { ...figures(), acceptedTotal: load.accepted.size, drainMs, blocks: end.blocks, transfersInBlocks: end.transfersInBlocks },
  };
}

/**
 * L1 unreachable for `outageMs`: the first part refused (node down), the last `blackholeMs` of it silently
 * dropped (connections accepted, never answered). The operator must keep accepting transfers, answer
 * /v1/status 503 promptly, commit nothing meanwhile, then commit everything once L1 is back, each block once.
 */
export async function l1OutageScenario(t: Test, options: { outageMs: number; blackholeMs: number }): Promise<ScenarioReport> {
  let proxy: TcpProxy | undefined;
  const system = await setup(t, 'fault_l1', async (anvil) => {
    proxy = await TcpProxy.start(anvil);
    return proxy.url;
  }, undefined, 6);
  const { chain, operator, load } = system;
  t.teardown(() => proxy!.stop());
  const problems: string[] = [];
  load.start();
  await sleep(2000);
  await proxy!.off('refuse');
  const outageStart = Date.now();
  const nextBefore = await nextChildBlock(chain.rpc, chain.address);
  const acceptedBefore = load.accepted.size;
  // Coins already moving wait for their block, which cannot be committed now: six fresh coins start here.
  load.release();
  let statusChecks = 0;
  let statusWorst = 0;
  while (Date.now() - outageStart < options.outageMs) {
    if (proxy!.mode === 'refuse' && Date.now() - outageStart >= options.outageMs - options.blackholeMs) await proxy!.off('blackhole');
    const asked = Date.now();
    try {
      const response = await fetch(`${operator.url}/v1/status`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { l1?: { healthy?: boolean; error?: string } };
      statusChecks++;
      statusWorst = Math.max(statusWorst, Date.now() - asked);
      if (response.status !== 503 || body.l1?.healthy !== false) problems.push(`status during the outage: ${response.status} ${JSON.stringify(body)}`);
    } catch (error) {
      problems.push(`status did not answer during the outage: ${String(error)}`);
    }
    await sleep(1000);
  }
  const acceptedDuring = load.accepted.size - acceptedBefore;
  if (acceptedDuring === 0) problems.push('no transfer was accepted while L1 was unreachable');
  const nextDuring = await nextChildBlock(chain.rpc, chain.address);
  if (nextDuring !== nextBefore) problems.push(`blocks reached L1 during the outage (${nextBefore} → ${nextDuring})`);
  await proxy!.on();
  const back = Date.now();
  let recoveryMs = Number.NaN;
  while (Date.now() - back < 60_000) {
    if ((await nextChildBlock(chain.rpc, chain.address)) > nextDuring) {
      recoveryMs = Date.now() - back;
      break;
    }
    await sleep(50);
  }
  if (Number.isNaN(recoveryMs)) problems.push('no block reached L1 within 60 s of L1 coming back');
  return finish(system, problems, () => ({
    outageMs: options.outageMs,
    blackholeMs: options.blackholeMs,
    acceptedDuringOutage: acceptedDuring,
    statusChecks,
    statusWorstMs: statusWorst,
    firstCommitAfterRecoveryMs: recoveryMs,
  }));
}

/** The PostgreSQL server binaries of this machine (initdb, pg_ctl), or undefined. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  for (const version of readdirSync(root).sort().reverse()) {
    const bin = path.join(root, version, 'bin');
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

/** A private PostgreSQL cluster in a temp dir on a free port: never the shared server. */
export class PrivateCluster {
  readonly url: string;
  readonly #bin: string;
  readonly #dir: string;
  readonly #port: number;

  private constructor(bin: string, dir: string, port: number) {
    this.#bin = bin;
    this.#dir = dir;
    this.#port = port;
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** initdb refuses root: as root, the cluster runs as the `postgres` user. */
  async #pg(tool: string, args: string[]): Promise<void> {
    const command = path.join(this.#bin, tool);
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args]);
    else await run(command, args);
  }

  static async create(bin: string): Promise<PrivateCluster> {
    const dir = await mkdtemp(path.join(tmpdir(), 'plasma-pg-'));
    await chmod(dir, 0o777);
    const cluster = new PrivateCluster(bin, dir, await freePort());
    await cluster.#pg('initdb', ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await cluster.start();
    return cluster;
  }

  async start(): Promise<void> {
    await this.#pg('pg_ctl', ['start', '-w', '-D', path.join(this.#dir, 'data'), '-l', path.join(this.#dir, 'log'), '-o', `-p ${this.#port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c fsync=off`]);
  }

  /** 'immediate' is a crash (no checkpoint, clients cut); 'fast' a clean shutdown that also cuts clients. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.#pg('pg_ctl', ['stop', '-w', '-m', mode, '-D', path.join(this.#dir, 'data')]);
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => {});
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Postgres goes away under load `cycles` times, for `downMs` each (crash-stop, then start), on a private
 * cluster. The operator must survive without a restart, answer 503 database_unavailable (never another 5xx)
 * meanwhile, serve again once Postgres is back, and lose no accepted transfer.
 */
export async function postgresRestartScenario(t: Test, options: { cycles: number; downMs: number }): Promise<ScenarioReport> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql');
  const cluster = await PrivateCluster.create(bin);
  t.teardown(() => cluster.destroy());
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe('create database plasma');
  await admin.end();
  const dbUrl = cluster.url.replace(/\/postgres$/, '/plasma');
  const system = await setup(t, 'fault_pg', async (anvil) => anvil, dbUrl);
  const { operator, load } = system;
  const problems: string[] = [];
  const statuses = new Map<string, number>();
  let probing = true;
  let probeWorstMs = 0;
  const probe = (async () => {
    while (probing) {
      const asked = Date.now();
      try {
        const response = await fetch(`${operator.url}/v1/coins/${load.coins[0]!.slot}`, { signal: AbortSignal.timeout(5000) });
        const body = (await response.json()) as { error?: { code?: string } };
        const key = `${response.status} ${body.error?.code ?? ''}`.trim();
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        probeWorstMs = Math.max(probeWorstMs, Date.now() - asked);
      } catch {
        statuses.set('no answer', (statuses.get('no answer') ?? 0) + 1);
      }
      await sleep(50);
    }
  })();
  load.start();
  await sleep(2000);
  const recoveries: number[] = [];
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    await cluster.stop(cycle % 2 === 0 ? 'immediate' : 'fast');
    await sleep(options.downMs);
    await cluster.start();
    const back = Date.now();
    const accepted = load.accepted.size;
    while (load.accepted.size === accepted && Date.now() - back < 30_000) await sleep(20);
    recoveries.push(Date.now() - back);
    if (load.accepted.size === accepted) problems.push(`cycle ${cycle}: no transfer accepted within 30 s of Postgres coming back`);
    await sleep(1500);
  }
  probing = false;
  await probe;
  for (const key of statuses.keys()) {
    if (key !== '200' && key !== '503 database_unavailable') problems.push(`answered ${key} ×${statuses.get(key)} around the restarts`);
  }
  if (!statuses.has('503 database_unavailable')) problems.push('no request saw Postgres down (503 database_unavailable)');
  return finish(system, problems, () => ({
    probeWorstMs,
    driverCrashesSurvived: (operator.stderr().match(/porsager\/postgres#1066/g) ?? []).length,
    cycles: options.cycles,
    downMs: options.downMs,
    firstAcceptAfterRestartMsMax: Math.max(...recoveries),
    answersAround: JSON.stringify(Object.fromEntries(statuses)),
  }));
}
