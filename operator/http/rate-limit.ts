/**
 * Per-client rate limit: one token bucket per remote address (the socket's peer address; a proxy in front of
 * the operator makes every client one address, so raise the limit or limit at the proxy there). A request takes
 * one token; a bucket refills at `perSecond` tokens a second up to `burst`. Past it the answer is 429
 * `{"error":{"code":"rate_limited"}}` with `Retry-After` (whole seconds until a token is back); nothing else of
 * the request runs, so a refused request never reaches the database.
 *
 * Memory is bounded: buckets are kept in a Map, and once it holds more than `maxClients` addresses the buckets
 * that are full again (idle clients) are dropped; if that is not enough the oldest half goes.
 */
import type { Middleware } from 'koa';
import { errorBody } from './errors.ts';

export interface RateLimit {
  /** Sustained requests per second per address. */
  readonly perSecond: number;
  /** Requests an idle address may send at once (default 2 × perSecond). */
  readonly burst?: number;
  /** Addresses tracked before idle ones are dropped (default 100,000). */
  readonly maxClients?: number;
  /** Clock in ms (tests). */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function rateLimitMiddleware(limit: RateLimit): Middleware {
  if (!(limit.perSecond > 0)) throw new RangeError('rate limit perSecond must be > 0');
  const burst = limit.burst ?? 2 * limit.perSecond;
  if (!(burst >= 1)) throw new RangeError('rate limit burst must be ≥ 1');
  const maxClients = limit.maxClients ?? 100_000;
  const now = limit.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

  const sweep = (at: number): void => {
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + ((at - bucket.at) / 1000) * limit.perSecond >= burst) buckets.delete(key);
    }
    if (buckets.size > maxClients) {
      let drop = buckets.size - Math.floor(maxClients / 2);
      for (const key of buckets.keys()) {
        if (drop-- <= 0) break;
        buckets.delete(key);
      }
    }
  };

  return async (ctx, next) => {
    const key = ctx.req.socket.remoteAddress ?? 'unknown';
    const at = now();
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      if (buckets.size >= maxClients) sweep(at);
      bucket = { tokens: burst, at };
      buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * limit.perSecond);
      bucket.at = at;
    }
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
      ctx.status = 429;
      ctx.set('Retry-After', String(retryAfter));
      ctx.body = errorBody('rate_limited', `too many requests from ${key}: at most ${limit.perSecond} per second (burst ${burst}); retry after ${retryAfter} s`);
      return;
    }
    bucket.tokens -= 1;
    await next();
  };
}
