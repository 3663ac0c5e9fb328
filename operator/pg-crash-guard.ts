/**
 * A guard against one known crash of the Postgres driver: postgres.js 3.4.9 (pinned) defers small writes with
 * setImmediate, and when the connection closes before that callback runs (Postgres restarting under load), the
 * callback calls `socket.write` on the null socket. The TypeError is thrown from the immediate, outside any
 * caller, and takes the whole process down (open upstream: porsager/postgres#1066, #1154, #1208; the proposed
 * fix, PRs #1168/#1176, is an early return when the socket is gone). By then `closed()` has already rejected the
 * query that write belonged to with CONNECTION_CLOSED, which the operator handles (503, a retried loop pass), so
 * skipping the write is safe. Found by test/faults/postgres-restart.test.ts.
 *
 * `guardPostgresNullSocketWrite` ignores exactly that exception (logged as a warning) and leaves every other
 * uncaught exception fatal as before: logged, then exit code 1, like Node's default.
 */
import type { Log } from './log.ts';
import { errorMessage } from '../client/error-message.ts';

export function isPostgresNullSocketWrite(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const stack = error.stack ?? '';
  return /of null \(reading 'write'\)/.test(error.message) && /\bnextWrite\b/.test(stack) && /[\\/]postgres[\\/]src[\\/]connection\.js/.test(stack);
}

/** Installs the guard for this process; returns its removal. */
export function guardPostgresNullSocketWrite(log: Log, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let ignored = 0;
  const handler = (error: Error): void => {
    if (isPostgresNullSocketWrite(error)) {
      ignored++;
      log.warn('postgres.js wrote to a connection that had just closed (porsager/postgres#1066); write dropped, its query already failed with CONNECTION_CLOSED', { times: ignored });
      return;
    }
    log.error('uncaught exception', { error: errorMessage(error), stack: error.stack });
    exit(1);
  };
  process.on('uncaughtException', handler);
  return () => void process.off('uncaughtException', handler);
}
