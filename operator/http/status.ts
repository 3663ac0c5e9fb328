/**
 * GET /v1/status: last committed block, pending count, and the health of Postgres and L1. Answers 503 when a
 * dependency is down, or when the L1 follower stopped on a mismatch between L1 and the database (`l1_mismatch`,
 * which needs an operator's attention), so a load balancer can use it as is. `chain` names the chain id and
 * contract, and (when the service gives it) the L1 node the operator reads: the explorer page's defaults.
 * `readReplica` (null without --database-read-url): the replica's lag and the last committed block it serves.
 * `reorgs`: how many L1 reorgs deeper than --confirmations the follower undid, and the last one (reorg-status.ts).
 */
import Router from '@koa/router';
import { latestCommittedBlock, pendingCount } from '../db/transfers.ts';
import type { Deps } from './deps.ts';
import { reorgsJson } from './reorg-status.ts';

export function statusRoutes(deps: Deps): Router {
  const router = new Router();
  router.get('/v1/status', async (ctx) => {
    let postgres: { healthy: boolean; error?: string } = { healthy: true };
    let lastCommittedBlock: string | null = null;
    let pending: number | null = null;
    try {
      const [latest, count] = await Promise.all([latestCommittedBlock(deps.store.sql), pendingCount(deps.store.sql)]);
      lastCommittedBlock = latest === undefined ? '0' : latest.number.toString();
      pending = count;
    } catch (error) {
      deps.log({ level: 'warn', msg: 'status: Postgres unreachable', error: String(error) });
      postgres = { healthy: false, error: 'postgres_unreachable' };
    }
    let l1: { healthy: boolean; head: string | null; error?: string; message?: string } | null = null;
    if (deps.l1Status !== undefined) {
      try {
        const status = await deps.l1Status();
        l1 = { healthy: status.healthy, head: status.head.toString() };
        if (status.mismatch !== undefined) l1 = { ...l1, error: 'l1_mismatch', message: status.mismatch };
      } catch (error) {
        deps.log({ level: 'warn', msg: 'status: L1 unreachable', error: String(error) });
        l1 = { healthy: false, head: null, error: 'l1_unreachable' };
      }
    }
    const readReplica = await replicaStatus(deps);
    const healthy = postgres.healthy && (l1 === null || l1.healthy) && (readReplica === null || readReplica.healthy);
    ctx.status = healthy ? 200 : 503;
    const chain = {
      chainId: deps.domain.chainId.toString(),
      contract: deps.domain.verifyingContract.toLowerCase(),
      l1Rpc: deps.chain === undefined ? null : publicUrl(deps.chain.l1Rpc),
      l1StartBlock: (deps.chain?.l1StartBlock ?? 0n).toString(),
    };
    // Deep L1 reorgs the follower undid (null while Postgres does not answer; `postgres` says why).
    const reorgs = postgres.healthy ? await reorgsJson(deps.store.sql).catch(() => null) : null;
    ctx.body = { healthy, lastCommittedBlock, pendingCount: pending, postgres, l1, chain, readReplica, reorgs };
    // This process's role and the producer election (null while Postgres does not answer).
    if (deps.role !== undefined) ctx.body = { ...(ctx.body as object), operator: await deps.role().catch(() => null) };
  });
  return router;
}

interface ReplicaStatus {
  readonly healthy: boolean;
  /** The highest child block confirmed on L1 as the replica has it: what histories served now end at. */
  readonly lastCommittedBlock: string | null;
  readonly lagBytes: number | null;
  readonly lagSeconds: number | null;
  readonly inRecovery: boolean | null;
  readonly error?: string;
}

/**
 * The read replica, when there is one (null otherwise): its lag behind the primary and the last committed block
 * it serves. Unreachable, it makes the node unhealthy: every read this node serves goes there. A replica out of
 * recovery (promoted) still serves, but says so: it no longer follows the primary.
 */
async function replicaStatus(deps: Deps): Promise<ReplicaStatus | null> {
  if (deps.replicaLag === undefined) return null;
  try {
    const [lag, latest] = await Promise.all([deps.replicaLag(), latestCommittedBlock(deps.reads.sql)]);
    return { healthy: true, lastCommittedBlock: (latest?.number ?? 0n).toString(), lagBytes: lag.bytes, lagSeconds: lag.seconds, inRecovery: lag.inRecovery };
  } catch (error) {
    deps.log({ level: 'warn', msg: 'status: read replica unreachable', error: String(error) });
    return { healthy: false, lastCommittedBlock: null, lagBytes: null, lagSeconds: null, inRecovery: null, error: 'read_replica_unreachable' };
  }
}

/** The URL without user:password (shown to anyone who opens the page); a key in its path stays, as the page needs it. */
function publicUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return url;
  }
}
