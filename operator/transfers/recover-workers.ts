/**
 * Signer recovery for a batch of transfers on the worker pool (operator/workers/pool.ts).
 *
 * Why: one ecrecover costs ~45 µs even in libsecp256k1, and every submitted transfer needs one; on the main
 * thread that caps acceptance near 15,000/s on one core while the other core idles between Postgres queries.
 * A batch is split across the two workers; small batches stay in-process (a round trip costs more).
 */
import type { Hex } from '../../client/protocol/index.ts';
import { WorkerPool } from '../workers/pool.ts';
import { recoverAll, type Recovered, type RecoverJob } from './recover-worker.ts';

export type { Recovered } from './recover-worker.ts';

/** Below this many signatures a batch is recovered on the calling thread. */
export const PARALLEL_RECOVERY_THRESHOLD = 64;
const WORKERS = 2;

const pool = new WorkerPool<RecoverJob, Recovered[]>(new URL('./recover-worker.ts', import.meta.url), WORKERS);

/** The signer of `digests[k]` under `signatures[k]`, for every k, in order. */
export async function recoverSigners(digests: readonly Uint8Array[], signatures: readonly Hex[]): Promise<Recovered[]> {
  const job = (from: number, to: number): RecoverJob => {
    const packed = new Uint8Array(32 * (to - from));
    for (let k = from; k < to; k++) packed.set(digests[k]!, 32 * (k - from));
    return { digests: packed, signatures: signatures.slice(from, to) };
  };
  if (digests.length < PARALLEL_RECOVERY_THRESHOLD) return recoverAll(job(0, digests.length));
  const size = Math.ceil(digests.length / WORKERS);
  const parts = [];
  for (let from = 0; from < digests.length; from += size) {
    const part = job(from, Math.min(from + size, digests.length));
    parts.push(pool.run(part, [part.digests.buffer as ArrayBuffer], recoverAll));
  }
  return (await Promise.all(parts)).flat();
}
