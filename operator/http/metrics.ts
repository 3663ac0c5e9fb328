/**
 * Prometheus metrics on a registry of the app's own (two apps in one process, as in tests, do not collide):
 * request count and latency by method, route pattern and status, and transfers by result and code.
 */
import type { Middleware } from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'method' | 'route' | 'status'>;
  readonly transfers: Counter<'result' | 'code'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plasma_operator_' });
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
  };
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
