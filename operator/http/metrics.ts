/**
 * Prometheus metrics on a registry of the app's own (two apps in one process, as in tests, do not collide):
 * request count and latency by method, route pattern and status, transfers by result and code, and the blocks:
 * the time of each step (claim, persist, commit; observed by the block loop), the transfers they took, and at
 * scrape time the pending transfers and the last block committed on L1 (read from Postgres).
 */
import type { Middleware } from 'koa';
import type { Sql } from 'postgres';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BlockLoopMetrics } from '../block/loop.ts';
import type { ReplicaLag } from '../db/read-replica.ts';
import { latestCommittedBlock, pendingCount } from '../db/transfers.ts';
import { registerReorgCounter } from './reorg-status.ts';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route' | 'status'>;
  readonly transfers: Counter<'result' | 'code'>;
  /** Seconds per step of a block's life, by `phase`: claim, persist, commit. */
  readonly blockPhase: Histogram<'phase'>;
  readonly blockTransfers: Counter;
}

/** The block loop's reports (operator/block/loop.ts) as these metrics: the service hands this to the loop. */
export function blockLoopMetrics(metrics: Pick<Metrics, 'blockPhase' | 'blockTransfers'>): BlockLoopMetrics {
  return {
    startPhase: (phase) => {
      const end = metrics.blockPhase.startTimer({ phase });
      return () => void end();
    },
    blockTransfers: (count) => metrics.blockTransfers.inc(count),
  };
}

export function createMetrics(sql?: Sql, replicaLag?: () => Promise<ReplicaLag>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plasma_operator_' });
  if (sql !== undefined) registerStoreGauges(sql, registry);
  if (sql !== undefined) registerReorgCounter(sql, registry, within);
  if (replicaLag !== undefined) registerReplicaLagGauges(replicaLag, registry);
  return {
    registry,
    requests: new Counter({
      name: 'plasma_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'plasma_http_request_duration_seconds',
      help: 'HTTP request latency, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    transfers: new Counter({
      name: 'plasma_transfers_total',
      help: 'Submitted transfers, by result (accepted, rejected) and rejection code',
      labelNames: ['result', 'code'],
      registers: [registry],
    }),
    blockPhase: new Histogram({
      name: 'plasma_block_phase_seconds',
      help: 'Time of each step of a child block: claim (membership stored), persist (tree built, root and proofs stored), commit (submitted and confirmed on L1)',
      labelNames: ['phase'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    blockTransfers: new Counter({
      name: 'plasma_block_transfers_total',
      help: 'Transfers put into child blocks',
      registers: [registry],
    }),
  };
}

/** How long a scrape waits for Postgres: a scrape must answer even when the database does not (NaN then). */
const GAUGE_READ_MS = 1000;

function within<T>(read: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), GAUGE_READ_MS)));
  return Promise.race([read.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

/** Gauges read from Postgres when /metrics is scraped (NaN when the read fails or is late; /v1/status says why). */
function registerStoreGauges(sql: Sql, registry: Registry): void {
  new Gauge({
    name: 'plasma_pending_transfers',
    help: 'Accepted transfers not yet in a block',
    registers: [registry],
    async collect() {
      this.set((await within(pendingCount(sql))) ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'plasma_last_committed_block',
    help: 'The highest child block confirmed on L1 (0 before the first)',
    registers: [registry],
    async collect() {
      const latest = await within(latestCommittedBlock(sql).then((block) => block ?? null));
      this.set(latest === undefined ? Number.NaN : Number(latest?.number ?? 0n));
    },
  });
}

/**
 * The read replica's lag (--database-read-url), read at scrape time: WAL bytes not replayed, and seconds since
 * the last replayed commit while behind (NaN when either server does not answer in time).
 */
function registerReplicaLagGauges(replicaLag: () => Promise<ReplicaLag>, registry: Registry): void {
  let reading: Promise<ReplicaLag | undefined> | undefined;
  // One read serves both gauges of a scrape.
  const read = (): Promise<ReplicaLag | undefined> => (reading ??= within(replicaLag()).finally(() => setTimeout(() => (reading = undefined), 0)));
  new Gauge({
    name: 'plasma_read_replica_lag_bytes',
    help: 'WAL bytes the read replica has not replayed (the primary\'s pg_current_wal_lsn() minus the replica\'s pg_last_wal_replay_lsn())',
    registers: [registry],
    async collect() {
      this.set((await read())?.bytes ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'plasma_read_replica_lag_seconds',
    help: 'While the read replica is behind: now() - pg_last_xact_replay_timestamp() on it; 0 when it has replayed everything',
    registers: [registry],
    async collect() {
      this.set((await read())?.seconds ?? Number.NaN);
    },
  });
}

/** Outermost middleware: labels by route pattern (never the raw path, which would explode cardinality). */
export function metricsMiddleware(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const stop = metrics.latency.startTimer();
    try {
      await next();
    } finally {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const labels = { method: ctx.method, route: typeof matched === 'string' ? matched : 'unmatched', status: String(ctx.status) };
      metrics.requests.inc(labels);
      stop(labels);
    }
  };
}
