/** What every route group is built from: the app's dependencies and its validated limits. */
import type { TransactionDomain } from '../../client/protocol/index.ts';
import type { ReplicaLag } from '../db/read-replica.ts';
import type { Store } from '../db/store.ts';
import type { RoleReport } from '../roles/report.ts';
import type { Logger } from './errors.ts';
import type { Metrics } from './metrics.ts';

export interface Limits {
  /** Largest accepted request body in bytes (default 1 MiB: about 4,000 transfers of ~250 bytes). */
  readonly maxBodyBytes: number;
  /** Most transfers in one POST /v1/transactions (default 1,000). */
  readonly maxBatchItems: number;
  /** Blocks fetched per query while streaming a history (default 1,000: bounds the memory of one request). */
  readonly historyPageBlocks: number;
  /** Most entries in one history response before it stops with `next` (default 100,000). */
  readonly maxHistoryEntries: number;
  /** Most rows of a list (an owner's coins, a block's transactions) per response (default 1,000). */
  readonly maxListItems: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxBatchItems: 1000,
  historyPageBlocks: 1000,
  maxHistoryEntries: 100_000,
  maxListItems: 1000,
};

export interface L1Health {
  readonly head: bigint;
  readonly healthy: boolean;
  /** Why it is not healthy while the node answers: the follower stopped on an L1/database mismatch. */
  readonly mismatch?: string;
}

/** The operator's L1, as the explorer page's defaults (served in /v1/status). */
export interface ChainInfo {
  /** The L1 JSON-RPC URL the operator uses; shown to users, so credentials in it are dropped (status.ts). */
  readonly l1Rpc: string;
  /** The first L1 block worth scanning for PlasmaCash events (the deployment block, or 0). */
  readonly l1StartBlock: bigint;
}

export interface Deps {
  /** The primary: transfer acceptance reads and writes here, always. */
  readonly store: Store;
  /**
   * Where the API's reads go (histories, proofs, owners' coins, blocks, checkpoints): the read replica
   * (--database-read-url), or the primary itself without one.
   */
  readonly reads: Store;
  /** The read replica's lag behind the primary; undefined without a replica. */
  readonly replicaLag: (() => Promise<ReplicaLag>) | undefined;
  readonly domain: TransactionDomain;
  readonly limits: Limits;
  readonly l1Status: (() => Promise<L1Health>) | undefined;
  readonly onAccepted: ((count: number) => void) | undefined;
  readonly chain: ChainInfo | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** This process's role and the producer election, for /v1/status (operator/roles/report.ts). */
  readonly role?: () => Promise<RoleReport>;
}

