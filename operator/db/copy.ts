/**
 * `COPY … FROM STDIN` through postgres.js, with errors that always surface.
 *
 * postgres.js resolves `sql\`copy … from stdin\`.writable()` with a Writable as soon as the server enters copy
 * mode, and from then on the query's own promise is settled. A server error that arrives while rows are still
 * being written destroys the stream ('error'); but one that arrives after `end()` (a unique violation found in
 * the last batch, which Postgres checks only once it has the rows) is handed to the already-resolved query and
 * dropped, and the stream's 'finish' — which waits for CommandComplete — never comes. Awaiting 'finish' alone
 * therefore hangs. `copyIn` hooks the query's reject before it runs, so every server error rejects the copy.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { PendingQuery, Row } from 'postgres';

/** Rough size of one CopyData write: big enough to amortise the per-message cost, small enough to stream. */
const CHUNK_CHARS = 1 << 20;

/**
 * Runs `query` (a `copy … from stdin` built on the transaction's `sql`, not yet awaited) and streams `lines`
 * (each a whole row in the query's text format, newline included, or a chunk of binary-format data) to it. Resolves once the server has taken every
 * row; rejects with the server's error (a constraint violation, bad input) or the first error thrown while
 * producing the lines, in which case the copy is aborted so the connection can go on (e.g. to ROLLBACK).
 */
export async function copyIn(query: PendingQuery<Row[]>, lines: Iterable<string | Uint8Array>): Promise<void> {
  let fail!: (error: unknown) => void;
  const failure = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failure.catch(() => {});
  let failed: unknown;
  const hooked = query as unknown as { reject: (error: unknown) => void };
  const reject = hooked.reject;
  hooked.reject = (error) => {
    failed ??= error;
    fail(error);
    reject(error);
  };

  const stream: Writable = await query.writable();
  stream.on('error', (error) => {
    failed ??= error;
    fail(error);
  });
  try {
    let chunk = '';
    const send = async (data: string | Uint8Array): Promise<void> => {
      if (!stream.write(data)) await Promise.race([once(stream, 'drain'), failure]);
    };
    for (const line of lines) {
      if (failed !== undefined) break;
      if (typeof line !== 'string') {
        // binary data comes in chunks the producer sized itself
        if (chunk.length > 0) await send(chunk);
        chunk = '';
        await send(line);
        continue;
      }
      chunk += line;
      if (chunk.length < CHUNK_CHARS) continue;
      await send(chunk);
      chunk = '';
    }
    if (failed !== undefined) throw failed;
    if (chunk.length > 0) stream.write(chunk);
    stream.end();
    await Promise.race([once(stream, 'finish'), failure]);
  } catch (error) {
    // a producer error with the stream still open: CopyFail, so the server leaves copy mode and answers
    if (failed === undefined && !stream.destroyed) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
      await failure.catch(() => {});
    }
    throw error;
  }
}
