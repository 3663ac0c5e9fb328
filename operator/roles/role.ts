/**
 * What one `plasma operator` process runs (docs/DEPLOY.md):
 * - all: everything, as one process (the default; with the embedded Postgres the only choice);
 * - producer: the L1 follower, the block loop, the committer and the checkpoints, once elected (election.ts);
 *   serves /v1/status and /metrics only;
 * - api: the HTTP API and transfer acceptance into Postgres; wakes the producer through NOTIFY (wake.ts).
 */
export type Role = 'all' | 'producer' | 'api';

export const ROLES: readonly Role[] = ['all', 'producer', 'api'];
