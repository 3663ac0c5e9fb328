/**
 * Every error leaves the API as `{"error":{"code","message"}}`. Protocol input errors are 400 with the parser's
 * stable code; `HttpError` carries its own status; a lost database connection is 503 database_unavailable;
 * anything else is a 500 whose details stay in the log.
 */
import type { Middleware } from 'koa';
import { InputError, PlasmaError } from '../../client/protocol/index.ts';
import { isLogLevel, logEntry, logLine } from '../../client/log.ts';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export class HttpError extends PlasmaError {
  override name = 'HttpError';
  readonly status: number;
  constructor(status: number, code: string, shortMessage: string, options: { cause?: unknown } = {}) {
    super(code, shortMessage, options);
    this.status = status;
  }
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Structured log sink; the default writes one JSON line to stderr. */
export type Logger = (entry: Record<string, unknown>) => void;

export const jsonLogger: Logger = (entry) => {
  process.stderr.write(logLine(logEntry(isLogLevel(entry['level']) ? entry['level'] : 'info', entry)));
};

export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if ((ctx.body === undefined || ctx.body === null) && (ctx.status === 404 || ctx.status === 405)) {
        const status = ctx.status;
        ctx.body = status === 404
          ? errorBody('not_found', `no route for ${ctx.method} ${ctx.path}`)
          : errorBody('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`);
        ctx.status = status; // assigning a body to an implicit 404 would turn it into 200
      }
    } catch (error) {
      if (error instanceof HttpError) {
        ctx.status = error.status;
        ctx.body = errorBody(error.code, error.shortMessage);
      } else if (error instanceof InputError) {
        ctx.status = 400;
        ctx.body = errorBody(error.code, error.shortMessage);
      } else if (databaseUnavailable(error)) {
        // Postgres restarting or unreachable: the request did nothing (a transfer is answered accepted only after
        // its commit), so the client may simply retry. postgres.js reconnects on the next query by itself.
        log({ level: 'warn', msg: 'request failed: database unavailable', method: ctx.method, path: ctx.path, error: describe(error) });
        ctx.status = 503;
        ctx.set('Retry-After', '1');
        ctx.body = errorBody('database_unavailable', 'the operator cannot reach its database right now; retry shortly');
      } else {
        log({ level: 'error', msg: 'request failed', method: ctx.method, path: ctx.path, error: describe(error) });
        ctx.status = 500;
        ctx.body = errorBody('internal_error', 'the operator failed to answer this request');
      }
    }
  };
}

/** postgres.js connection failures and the server's shutdown / connection-exception SQLSTATEs (57P0x, 08xxx). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03']);

export function databaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'));
}

function describe(error: unknown): unknown {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack, code: (error as { code?: unknown }).code };
  return String(error);
}
