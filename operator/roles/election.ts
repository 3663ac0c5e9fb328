/**
 * Electing the one active producer among several (docs/DEPLOY.md): a session-level Postgres advisory lock held
 * on a connection of its own, never one from a pool, so the lock lives exactly as long as that session.
 *
 *   standby ─pg_try_advisory_lock every retryMs→ won ─(stale writers ended, epoch bumped)→ active
 *   active ─heartbeat fails, times out, or the lock is gone→ deposed → standby again (a new session)
 *
 * A standby takes over when the active producer's session ends: the process died (the kernel closes its socket),
 * someone ran pg_terminate_backend, or its network went silent (the session sets idle_session_timeout, so the
 * server ends it idleSessionTimeoutMs after the last heartbeat arrived). The winner first ends every session of
 * an earlier term's write pool (application_name PRODUCER_POOL_APP_PREFIX…), whose transactions could otherwise
 * still be running, then bumps producer_election.epoch. The term's writes are fenced in the database by
 * migrations/0008 (fenceSettings below), so a deposed producer that has not noticed yet cannot write either.
 */
import postgres, { type Sql } from 'postgres';
import { errorMessage } from '../../client/error-message.ts';
import type { Log } from '../log.ts';

/** pg_try_advisory_lock(PRODUCER_LOCK.classId, PRODUCER_LOCK.objId): 'PLAS' and 1; 0008's fence names the same pair. */
export const PRODUCER_LOCK = { classId: 1347174739, objId: 1 } as const;
/** application_name of a term's write pool: "plasma producer epoch <n>" (ended by the next winner). */
export const PRODUCER_POOL_APP_PREFIX = 'plasma producer epoch ';
const LOCK_SESSION_APP = 'plasma producer lock';

/** One won election: the epoch and the backend that holds the lock. */
export interface Term {
  readonly epoch: bigint;
  /** Backend pid of the lock session: the fence checks that this backend still holds the lock. */
  readonly lockPid: number;
  /** Date.now() when the lock was won. */
  readonly wonAt: number;
}

/**
 * The database URL of a pool whose writes are fenced to `term`: postgres.js sends a URL's query parameters as
 * startup parameters, which become the session's settings that migrations/0008's fence reads.
 */
export function fencedUrl(databaseUrl: string, term: Term): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', `${PRODUCER_POOL_APP_PREFIX}${term.epoch}`);
  url.searchParams.set('plasma.producer_epoch', term.epoch.toString());
  url.searchParams.set('plasma.producer_lock_pid', String(term.lockPid));
  return url.toString();
}

export interface ElectionTimings {
  /** How often a standby tries the lock. Default 500 ms. */
  readonly retryMs: number;
  /** How often the active producer checks that its session still holds the lock. Default 500 ms. */
  readonly heartbeatMs: number;
  /** A heartbeat unanswered this long deposes the producer. Default 2000 ms. */
  readonly heartbeatTimeoutMs: number;
  /** The server ends a lock session silent this long (idle_session_timeout). Default 3000 ms. */
  readonly idleSessionTimeoutMs: number;
}

export const DEFAULT_ELECTION_TIMINGS: ElectionTimings = { retryMs: 500, heartbeatMs: 500, heartbeatTimeoutMs: 2000, idleSessionTimeoutMs: 3000 };

export interface ElectionOptions {
  readonly databaseUrl: string;
  /** Who this process is ("host pid"), stored with the epoch. */
  readonly holder: string;
  readonly log: Log;
  readonly timings?: Partial<ElectionTimings>;
  /** Starts producing for `term`; the term stays active while it runs (a failure ends the term). */
  onElected(term: Term): Promise<void>;
  /** Stops producing; called once per term, before the lock is released when it is still held. */
  onDeposed(term: Term, reason: string): Promise<void>;
}

export interface Election {
  /** The current term while this process is the active producer. */
  readonly term: Term | undefined;
  /** Resolves once the first try is decided: lost to another producer, or won and onElected has returned. */
  readonly firstTry: Promise<void>;
  /** Ends the term (if any), releases the lock, stops trying. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function startElection(options: ElectionOptions): Election {
  const timings = { ...DEFAULT_ELECTION_TIMINGS, ...options.timings };
  const { log } = options;
  let stopped = false;
  let current: Term | undefined;
  let wakeStop: (() => void) | undefined;
  const stopSignal = new Promise<void>((resolve) => (wakeStop = resolve));
  let firstTried: () => void = () => {};
  const firstTry = new Promise<void>((resolve) => (firstTried = resolve));

  const run = async (): Promise<void> => {
    while (!stopped) {
      const session = lockSession(options.databaseUrl, timings);
      try {
        const term = await standBy(session, timings, options.holder, () => stopped, stopSignal, firstTried);
        if (term === undefined) return;
        current = term;
        log.info('producer elected: this process is the active producer', { epoch: term.epoch.toString(), lockPid: term.lockPid });
        let reason: string;
        try {
          await options.onElected(term).finally(firstTried);
          reason = await holdUntilLost(session, term, timings, stopSignal);
        } catch (error) {
          reason = `could not start producing: ${errorMessage(error)}`;
        }
        current = undefined;
        if (stopped) log.info('producer stepping down (stopping)', { epoch: term.epoch.toString() });
        else log.warn('producer lost the lock: stopped writing, standing by', { epoch: term.epoch.toString(), reason });
        await options.onDeposed(term, reason);
      } catch (error) {
        if (!stopped) log.warn('producer election: the lock session failed; trying again', { error: errorMessage(error) });
      } finally {
        firstTried();
        // Closing the session releases the lock at once if the server still has it.
        await session.end({ timeout: 0 }).catch(() => {});
      }
      // After a lost term or a failed session, wait before trying again: another standby gets its turn, and a
      // producer that cannot start (L1 down) does not spin.
      await Promise.race([sleep(timings.retryMs), stopSignal]);
    }
  };
  const running = run().finally(firstTried);

  return {
    get term() {
      return current;
    },
    firstTry,
    async stop() {
      stopped = true;
      wakeStop?.();
      await running;
    },
  };
}

/** One dedicated connection; the server ends it when it goes silent (the network path to it died). */
function lockSession(url: string, timings: ElectionTimings): Sql {
  return postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: Math.max(1, Math.ceil(timings.heartbeatTimeoutMs / 1000)),
    onnotice: () => {},
    connection: {
      application_name: LOCK_SESSION_APP,
      idle_session_timeout: timings.idleSessionTimeoutMs,
      // A peer whose kernel stops answering (host down, cable cut) is found by TCP keepalives in ~3 s.
      tcp_keepalives_idle: '2',
      tcp_keepalives_interval: '1',
      tcp_keepalives_count: '2',
    },
  });
}

/** Tries the lock every retryMs; on success ends the earlier term's writers and bumps the epoch. */
async function standBy(session: Sql, timings: ElectionTimings, holder: string, stopped: () => boolean, stopSignal: Promise<void>, lostTry: () => void): Promise<Term | undefined> {
  while (!stopped()) {
    const [row] = await session<{ got: boolean; pid: number }[]>`
      select pg_try_advisory_lock(${PRODUCER_LOCK.classId}::int4, ${PRODUCER_LOCK.objId}::int4) as got, pg_backend_pid() as pid`;
    if (row!.got) {
      const wonAt = Date.now();
      await endStaleWriters(session);
      const [bumped] = await session<{ epoch: string }[]>`
        insert into producer_election (id, epoch, holder) values (true, 1, ${holder})
        on conflict (id) do update set epoch = producer_election.epoch + 1, holder = excluded.holder, elected_at = now()
        returning epoch`;
      return { epoch: BigInt(bumped!.epoch), lockPid: row!.pid, wonAt };
    }
    lostTry();
    await Promise.race([sleep(timings.retryMs), stopSignal]);
  }
  return undefined;
}

/**
 * Ends the sessions of an earlier term's write pool. Their transactions passed the fence when they began; ended,
 * they roll back and release the epoch row, so the bump below never waits on a writer that lost its network.
 */
async function endStaleWriters(session: Sql): Promise<void> {
  await session`
    select pg_terminate_backend(pid) from pg_stat_activity
    where datname = current_database() and application_name like ${`${PRODUCER_POOL_APP_PREFIX}%`} and pid <> pg_backend_pid()`;
}

/** Heartbeats until the lock is lost or stop() is called; resolves with why the term ended. */
async function holdUntilLost(session: Sql, term: Term, timings: ElectionTimings, stopSignal: Promise<void>): Promise<string> {
  let stopping = false;
  void stopSignal.then(() => (stopping = true));
  while (!stopping) {
    await Promise.race([sleep(timings.heartbeatMs), stopSignal]);
    if (stopping) break;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timings.heartbeatTimeoutMs)));
    try {
      const beat = session<{ pid: number; held: boolean }[]>`
        select pg_backend_pid() as pid, exists (
          select 1 from pg_locks
          where locktype = 'advisory' and granted and pid = pg_backend_pid()
            and database = (select oid from pg_database where datname = current_database())
            and classid = ${PRODUCER_LOCK.classId}::int4 and objid = ${PRODUCER_LOCK.objId}::int4 and objsubid = 2) as held`;
      const outcome = await Promise.race([beat, late]);
      if (outcome === 'late') return `no heartbeat answer within ${timings.heartbeatTimeoutMs} ms (database unreachable)`;
      const [row] = outcome;
      // postgres.js reconnects on its own: a new backend pid means the session, and the lock with it, was lost.
      if (row!.pid !== term.lockPid) return `the lock session ended (backend ${term.lockPid} replaced by ${row!.pid})`;
      if (!row!.held) return 'the advisory lock is no longer held';
    } catch (error) {
      return `the lock session failed: ${errorMessage(error)}`;
    } finally {
      clearTimeout(timer);
    }
  }
  return 'stopping';
}

/** The election as the database records it (any role can read it: /v1/status, /metrics). */
export interface ElectionRecord {
  readonly epoch: bigint;
  readonly holder: string;
  readonly electedAt: Date;
}

export async function readElection(sql: Sql): Promise<ElectionRecord | undefined> {
  const [row] = await sql<{ epoch: string; holder: string; elected_at: Date }[]>`select epoch, holder, elected_at from producer_election`;
  return row === undefined ? undefined : { epoch: BigInt(row.epoch), holder: row.holder, electedAt: row.elected_at };
}
