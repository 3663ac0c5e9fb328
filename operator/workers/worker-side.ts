/**
 * The worker side of pool.ts: answers each `{ id, job }` with `{ id, result }` (buffers listed by the handler are
 * transferred, not copied) or `{ id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { JobReply } from './pool.ts';

/**
 * `module`: the calling module's import.meta.url. Jobs are served only in a pool worker started for that module,
 * so importing the module elsewhere (the main thread, for its in-process fallback) registers nothing.
 */
export function serveJobs<J, R>(module: string, handler: (job: J) => { readonly result: R; readonly transfer?: readonly ArrayBuffer[] }): void {
  if (parentPort === null || (workerData as { module?: string } | null)?.module !== module) return;
  parentPort.on('message', ({ id, job }: { id: number; job: J }) => {
    let reply: JobReply<R>;
    let transfer: readonly ArrayBuffer[] = [];
    try {
      const done = handler(job);
      reply = { id, result: done.result };
      transfer = done.transfer ?? [];
    } catch (error) {
      reply = { id, error };
    }
    parentPort!.postMessage(reply, transfer as ArrayBuffer[]);
  });
}
