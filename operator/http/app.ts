/**
 * The operator's HTTP API (PROTOCOL.md §9) as a Koa app. `createApp` wires the route groups, the error mapping
 * and the metrics; the caller owns listening and shutdown.
 */
import Koa from 'koa';
import Router from '@koa/router';
import type { TransactionDomain } from '../../client/protocol/index.ts';
import type { ReplicaLag } from '../db/read-replica.ts';
import type { Store } from '../db/store.ts';
import type { RoleReport } from '../roles/report.ts';
import { blocksRoutes } from './blocks.ts';
import { checkpointsRoutes } from './checkpoints.ts';
import { coinsRoutes } from './coins.ts';
import { DEFAULT_LIMITS, type ChainInfo, type Deps, type L1Health, type Limits } from './deps.ts';
import { errorMiddleware, jsonLogger, type Logger } from './errors.ts';
import { explorerRoutes, loadExplorerFiles } from './explorer.ts';
import { createMetrics, metricsMiddleware, type Metrics } from './metrics.ts';
import { ownersRoutes } from './owners.ts';
import { rateLimitMiddleware, type RateLimit } from './rate-limit.ts';
import { statusRoutes } from './status.ts';
import { transactionsRoutes } from './transactions.ts';

export { DEFAULT_LIMITS, type ChainInfo, type L1Health, type Limits } from './deps.ts';

export interface AppOptions {
  /** The primary: transfers are accepted against it. */
  readonly store: Store;
  /** The read replica the API's reads go to (default: `store`). */
  readonly reads?: Store;
  /** The replica's lag, for /v1/status and /metrics (with `reads`). */
  readonly replicaLag?: () => Promise<ReplicaLag>;
  readonly domain: TransactionDomain;
  readonly limits?: Partial<Limits>;
  readonly l1Status?: () => Promise<L1Health>;
  readonly log?: Logger;
  /** Per-client-address request rate limit (rate-limit.ts); none when absent. */
  readonly rateLimit?: RateLimit;
  /** Told how many transfers each POST made durable (the block loop builds early once a block is full). */
  readonly onAccepted?: (count: number) => void;
  /** What /v1/status tells the explorer page about L1: the node to verify against by default, where to scan from. */
  readonly chain?: ChainInfo;
  /** This process's role and the producer election, shown in /v1/status as `operator`. */
  readonly role?: () => Promise<RoleReport>;
}

export interface OperatorApp {
  readonly app: Koa;
  readonly metrics: Metrics;
}

export function createApp(options: AppOptions): OperatorApp {
  const limits = validateLimits({ ...DEFAULT_LIMITS, ...options.limits });
  const metrics = createMetrics(options.store.sql, options.replicaLag);
  const deps: Deps = {
    store: options.store,
    reads: options.reads ?? options.store,
    replicaLag: options.replicaLag,
    domain: options.domain,
    limits,
    l1Status: options.l1Status,
    onAccepted: options.onAccepted,
    chain: options.chain,
    metrics,
    log: options.log ?? jsonLogger,
    ...(options.role === undefined ? {} : { role: options.role }),
  };
  const app = new Koa();
  app.silent = true; // errors are logged once, by errorMiddleware
  app.use(metricsMiddleware(metrics));
  app.use(errorMiddleware(deps.log));
  if (options.rateLimit !== undefined) app.use(rateLimitMiddleware(options.rateLimit));
  const root = new Router();
  root.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  for (const router of [root, transactionsRoutes(deps), coinsRoutes(deps), ownersRoutes(deps), blocksRoutes(deps), checkpointsRoutes(deps), statusRoutes(deps), explorerRoutes(loadExplorerFiles())]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return { app, metrics };
}

function validateLimits(limits: Limits): Limits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`limits.${name} must be a positive integer, got ${String(value)}`);
  }
  return Object.freeze(limits);
}
