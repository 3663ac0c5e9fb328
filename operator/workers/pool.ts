/**
 * A small pool of worker threads for CPU-bound jobs (block trees, signature recovery), so that the operator
 * uses both cores of a small machine instead of one.
 *
 * - Started on first use; a worker is referenced only while it has a job, so an idle pool never keeps a
 *   finished process (a CLI run, a test) alive.
 * - Workers run TypeScript: each starts from entry.mjs, which registers tsx's hooks (a worker thread does not
 *   inherit them from the main thread) and then imports the job module.
 * - If workers cannot start at all, `run` falls back to the in-process function: same results, one core.
 *
 * Worker side: `serveJobs(handler)` in the job module (worker-side.ts).
 */
import { Worker } from 'node:worker_threads';

export type JobReply<R> = { readonly id: number; readonly result: R } | { readonly id: number; readonly error: unknown };

const ENTRY = new URL('./entry.mjs', import.meta.url);

export class WorkerPool<J, R> {
  readonly #module: string;
  readonly #size: number;
  readonly #workers: (Worker | undefined)[];
  readonly #pending: number[];
  readonly #waiting = new Map<number, { resolve: (result: R) => void; reject: (error: unknown) => void; worker: number }>();
  #unavailable = false;
  #nextId = 1;
  #answeredByWorkers = 0;

  /** `module`: URL of the job module (it calls serveJobs). */
  constructor(module: URL, size = 2) {
    this.#module = module.href;
    this.#size = size;
    this.#workers = Array.from({ length: size }, () => undefined);
    this.#pending = Array.from({ length: size }, () => 0);
  }

  /**
   * Runs `job` on the least busy worker (`transfer`: its buffers, moved, not copied), or `inProcess(job)` when
   * no worker can start.
   */
  run(job: J, transfer: readonly ArrayBuffer[], inProcess: (job: J) => R): Promise<R> {
    let index = 0;
    for (let k = 1; k < this.#size; k++) if (this.#pending[k]! < this.#pending[index]!) index = k;
    const worker = this.#worker(index);
    if (worker === undefined) return Promise.resolve().then(() => inProcess(job));
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject, worker: index });
      this.#pending[index]!++;
      worker.ref();
      worker.postMessage({ id, job }, transfer as ArrayBuffer[]);
    });
  }

  /** Jobs a worker thread answered (not the in-process fallback): lets a test see that workers ran. */
  get answeredByWorkers(): number {
    return this.#answeredByWorkers;
  }

  #worker(index: number): Worker | undefined {
    if (this.#unavailable) return undefined;
    const existing = this.#workers[index];
    if (existing !== undefined) return existing;
    let worker: Worker;
    try {
      worker = new Worker(ENTRY, { workerData: { module: this.#module } });
    } catch {
      this.#unavailable = true;
      return undefined;
    }
    worker.on('message', (reply: JobReply<R>) => {
      const job = this.#waiting.get(reply.id);
      if (job === undefined) return;
      this.#waiting.delete(reply.id);
      this.#answeredByWorkers++;
      if ('error' in reply) job.reject(reply.error);
      else job.resolve(reply.result);
      if (--this.#pending[index]! === 0) worker.unref();
    });
    worker.on('error', (error) => {
      // a crashed worker fails its own jobs; the next job starts a fresh one
      this.#workers[index] = undefined;
      this.#pending[index] = 0;
      for (const [id, job] of this.#waiting) {
        if (job.worker !== index) continue;
        this.#waiting.delete(id);
        job.reject(error);
      }
    });
    // after the listeners: adding a 'message' listener refs the worker's port again
    worker.unref();
    this.#workers[index] = worker;
    return worker;
  }
}
