/**
 * A background job that runs one round every `pollMs`: the checkpoint scheduler and the answerer of challenges
 * of the operator's own leaves. Rounds never overlap (a round asked for while one runs joins it), a failed round
 * is logged and the next one comes on time, and stop() waits for the round in flight.
 */
export interface Rounds<T> {
  /** Runs a round now, or joins the one running. */
  round(): Promise<T>;
  stop(): Promise<void>;
  /** True once stop() was called: a long round checks it between steps. */
  readonly stopped: boolean;
}

export function pollRounds<T>(round: () => Promise<T>, pollMs: number, onError: (error: unknown) => void): Rounds<T> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<T> | undefined;
  const runRound = (): Promise<T> => (running ??= round().finally(() => (running = undefined)));
  const tick = (): void => {
    timer = undefined;
    void runRound()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, pollMs);
      });
  };
  timer = setTimeout(tick, pollMs);
  return {
    round: runRound,
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
    get stopped() {
      return stopped;
    },
  };
}
