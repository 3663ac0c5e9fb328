/**
 * Shutdown steps of a running whole (the service, a producer's components): registered as each part starts, run
 * in reverse order on stop or when a later start fails. A failing step is logged and the others still run, so
 * one stuck part never leaves the rest (a socket, a database pool) open.
 */
import { errorMessage } from '../client/error-message.ts';
import type { Log } from './log.ts';

export class CleanupStack {
  readonly #steps: (() => Promise<void>)[] = [];
  readonly #log: Log;
  readonly #failure: string;

  /** `failure`: the log line of a step that throws. */
  constructor(log: Log, failure: string) {
    this.#log = log;
    this.#failure = failure;
  }

  push(step: () => Promise<void>): void {
    this.#steps.push(step);
  }

  /** Runs every step, newest first, and forgets them (a second call does nothing). */
  async unwind(): Promise<void> {
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step();
      } catch (error) {
        this.#log.warn(this.#failure, { error: errorMessage(error) });
      }
    }
  }
}
