/**
 * Waking the producer when another process accepted transfers. Accepted transfers live in Postgres only
 * (pending_transactions), so the producer's block loop finds them on its next pass whichever process took them;
 * the notification only tells it early that a block may be full (loop.noteAccepted), as an in-process API does
 * by calling it directly (--role all). A lost notification costs at most one block interval, never a transfer.
 */
import type { Sql } from 'postgres';
import { errorMessage } from '../../client/error-message.ts';
import type { Log } from '../log.ts';

export const ACCEPTED_CHANNEL = 'plasma_accepted';

/** For an api node's onAccepted: NOTIFY the count, without holding up the answer to the client. */
export function notifyAccepted(sql: Sql, log: Log): (count: number) => void {
  return (count) => {
    if (count <= 0) return;
    sql.notify(ACCEPTED_CHANNEL, String(count)).catch((error: unknown) => {
      log.debug('could not notify the producer of accepted transfers; it finds them on its next pass', { error: errorMessage(error) });
    });
  };
}

/** For a producer: `onAccepted(count)` for every notification; postgres.js re-listens after a reconnect. */
export async function listenAccepted(sql: Sql, onAccepted: (count: number) => void): Promise<() => Promise<void>> {
  const { unlisten } = await sql.listen(ACCEPTED_CHANNEL, (payload) => {
    const count = Number(payload);
    if (Number.isSafeInteger(count) && count > 0) onAccepted(count);
  });
  return unlisten;
}
