/**
 * Worker side of recover-workers.ts: recovers the signer of each (digest, signature) pair exactly as
 * client/protocol's recoverTransactionSigner does, turning its SignatureErrors into values.
 */
import { recoverTransactionSigner, SignatureError, type Address, type Hex } from '../../client/protocol/index.ts';
import { serveJobs } from '../workers/worker-side.ts';

export interface RecoverJob {
  /** 32 bytes per item. */
  readonly digests: Uint8Array;
  readonly signatures: readonly Hex[];
}

/** The signer, or why the signature is refused (SignatureError's code and short message). */
export type Recovered = Address | { readonly code: string; readonly shortMessage: string };

export function recoverAll(job: RecoverJob): Recovered[] {
  return job.signatures.map((signature, k) => {
    try {
      return recoverTransactionSigner(job.digests.subarray(32 * k, 32 * k + 32), signature);
    } catch (error) {
      if (error instanceof SignatureError) return { code: error.code, shortMessage: error.shortMessage };
      throw error;
    }
  });
}

serveJobs(import.meta.url, (job: RecoverJob) => ({ result: recoverAll(job) }));
