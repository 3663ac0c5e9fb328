/**
 * A small JSON document on disk that survives crashes and is shared by processes (the `plasma wallet`
 * commands and the `plasma watch` daemon of the same account).
 *
 * - Atomic: each write goes to a temporary file, is fsynced, renamed over the old one and the directory is
 *   fsynced, so a crash leaves the old or the new document, never a torn one.
 * - One writer at a time: `update` holds an exclusive lock file (`<file>.lock`, created with O_EXCL and holding
 *   the writer's pid; a lock whose process is gone is taken over) and re-reads the document under it, so two
 *   processes never lose each other's changes.
 * - bigints round-trip: they are written as {"$bigint":"…"}.
 */
import { open, readFile, rename, rm, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const replacer = (_key: string, value: unknown) => (typeof value === 'bigint' ? { $bigint: value.toString() } : value);
const reviver = (_key: string, value: unknown) =>
  value !== null && typeof value === 'object' && '$bigint' in value && Object.keys(value).length === 1
    ? BigInt((value as { $bigint: string }).$bigint)
    : value;

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replacer, 1);
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, reviver) as T;
}

/** Whether process `pid` runs (EPERM: it runs under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StateFile<T> {
  readonly file: string;
  readonly #initial: () => T;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string, initial: () => T) {
    this.file = path.resolve(file);
    this.#initial = initial;
  }

  async read(): Promise<T> {
    try {
      return decodeJson<T>(await readFile(this.file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.#initial();
      throw new Error(`cannot read the wallet state ${this.file}: ${(error as Error).message}. Restore it from a backup or move it away to start over.`);
    }
  }

  /** Applies `change` to the current document under the lock and writes the result atomically. */
  update<R>(change: (state: T) => R | Promise<R>): Promise<R> {
    const run = async () => {
      const release = await this.#lock();
      try {
        const state = await this.read();
        const result = await change(state);
        await this.#write(state);
        return result;
      } finally {
        await release();
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #write(state: T): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(encodeJson(state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
    const directory = await open(path.dirname(this.file), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  #lock(): Promise<() => Promise<void>> {
    return acquireFileLock(`${this.file}.lock`);
  }
}

/**
 * Takes the exclusive lock file `lockFile` (created with O_EXCL, holding this pid; a lock whose process died
 * is taken over) and resolves with its release.
 */
export async function acquireFileLock(lockFile: string): Promise<() => Promise<void>> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
      // A lock left by a process that died (SIGKILL) is taken over; an empty one is being written right now.
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && !processAlive(holder)) {
        await rm(lockFile, { force: true });
        continue;
      }
      if (attempt > 3000) throw new Error(`${lockFile} stays locked by process ${holder}; stop it or remove the file`);
      await sleep(10);
    }
  }
}

/** Runs `work` holding the lock file: one holder across processes. */
export async function withFileLock<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  const release = await acquireFileLock(lockFile);
  try {
    return await work();
  } finally {
    await release();
  }
}
