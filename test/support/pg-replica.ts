/**
 * A real physical streaming replica of the local Postgres server (127.0.0.1:5432, TOOLCHAIN.md) for tests,
 * benchmarks and `.ci/run`: pg_basebackup into a temp directory, started on a free port with its own socket
 * directory, stopped and deleted after.
 *
 * The primary must accept replication connections from 127.0.0.1. Debian's default pg_hba.conf has no
 * `replication` line (the `all` database keyword does not cover replication), so `configurePrimary` appends one
 * (trust, 127.0.0.1/32) and reloads. `wal_level` and `max_wal_senders` are already right by default in
 * Postgres 10+; when they are not, only `configurePrimary({ restart: true })` (used by .ci/run, before any test
 * runs) changes them, because a restart would break every other test using the server.
 *
 * Postgres refuses to run as root: as root the binaries run as the `postgres` OS user (runuser) and the temp
 * directory is handed to it; as any other user they run as that user, who then owns the data directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres, { type Sql } from 'postgres';
import { createServer } from 'node:net';

const run = promisify(execFile);

export const PRIMARY_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

/** Settings a hot standby must have at least as high as its primary, or it refuses to start. */
const MATCHED_SETTINGS = ['max_connections', 'max_worker_processes', 'max_prepared_transactions', 'max_locks_per_transaction', 'max_wal_senders'] as const;

const HBA_LINE = 'host    replication     all             127.0.0.1/32            trust';

export interface Replica {
  readonly port: number;
  /** The replica's URL for `database` (its databases are the primary's). */
  url(database: string): string;
  /** Waits until the replica has replayed everything the primary had written when this was called. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** pg_wal_replay_pause(): the replica keeps receiving WAL but applies none, as a lagging replica would. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  stop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function admin(url: string): Sql {
  return postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {}, connect_timeout: 5 });
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The command line that runs a Postgres binary as a user Postgres accepts. */
function asServerUser(binary: string, args: readonly string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, [...args]];
}

async function binDir(sql: Sql): Promise<string> {
  const [row] = await sql<{ v: string }[]>`select current_setting('server_version_num') as v`;
  const major = Math.floor(Number(row!.v) / 10000);
  const debian = `/usr/lib/postgresql/${major}/bin`;
  if (existsSync(path.join(debian, 'pg_basebackup'))) return debian;
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`cannot find the Postgres ${major} binaries (pg_basebackup, pg_ctl): looked in ${debian} and pg_config --bindir`);
  }
}

/**
 * Why the primary cannot serve a streaming replica now (undefined: it can). Checks what the server reports, not
 * its files: wal_level, max_wal_senders, and a pg_hba rule letting `replication` in from 127.0.0.1.
 */
export async function replicationProblem(primaryUrl = PRIMARY_URL): Promise<string | undefined> {
  const sql = admin(primaryUrl);
  try {
    const [settings] = await sql<{ wal_level: string; senders: string }[]>`
      select current_setting('wal_level') as wal_level, current_setting('max_wal_senders') as senders`;
    if (settings!.wal_level === 'minimal') return 'wal_level is minimal (replica or logical is needed; changing it restarts the server)';
    if (Number(settings!.senders) < 2) return `max_wal_senders is ${settings!.senders} (2 or more are needed; changing it restarts the server)`;
    if (!(await hasReplicationRule(sql))) return 'pg_hba.conf has no rule letting replication connections in from 127.0.0.1';
    return undefined;
  } finally {
    await sql.end();
  }
}

/** The first pg_hba rule matching a replication connection from 127.0.0.1 as postgres must admit it. */
async function hasReplicationRule(sql: Sql): Promise<boolean> {
  const rules = await sql<{ type: string; database: string[]; user_name: string[]; address: string | null; netmask: string | null; auth_method: string }[]>`
    select type, database, user_name, address, netmask, auth_method from pg_hba_file_rules where error is null order by line_number`;
  for (const rule of rules) {
    if (rule.type !== 'host' && rule.type !== 'hostnossl') continue;
    if (!rule.database.includes('replication')) continue;
    if (!rule.user_name.includes('all') && !rule.user_name.includes('postgres')) continue;
    if (!['127.0.0.1', 'all', 'samehost'].includes(rule.address ?? '') && !(rule.address === '127.0.0.0' || rule.address === '0.0.0.0')) continue;
    return rule.auth_method === 'trust';
  }
  return false;
}

/**
 * Makes the primary able to serve a replica; returns what it changed. Appending the pg_hba line and reloading is
 * harmless to running sessions. wal_level/max_wal_senders need a restart: done only with `restart` (CI, before
 * the tests), through pg_ctlcluster. Throws with the reason when it cannot.
 */
export async function configurePrimary(options: { readonly primaryUrl?: string; readonly restart?: boolean } = {}): Promise<string[]> {
  const primaryUrl = options.primaryUrl ?? PRIMARY_URL;
  const changed: string[] = [];
  const sql = admin(primaryUrl);
  try {
    const [settings] = await sql<{ wal_level: string; senders: string; hba: string; version: string; cluster: string }[]>`
      select current_setting('wal_level') as wal_level, current_setting('max_wal_senders') as senders,
             current_setting('hba_file') as hba, current_setting('server_version_num') as version,
             current_setting('cluster_name') as cluster`;
    if (!(await hasReplicationRule(sql))) {
      const hba = settings!.hba;
      let text: string;
      try {
        text = await readFile(hba, 'utf8');
      } catch (error) {
        throw new Error(`cannot read the primary's ${hba} to add a replication rule (${(error as NodeJS.ErrnoException).code}); run as root or add "${HBA_LINE}" yourself`);
      }
      // First in the file: pg_hba rules are tried in order and an earlier `reject` would otherwise win.
      const header = '# Added for the Plasma Cash tests\' streaming replica (test/support/pg-replica.ts).\n';
      try {
        await writeFile(hba, `${header}${HBA_LINE}\n${text}`);
      } catch (error) {
        throw new Error(`cannot write ${hba} to add a replication rule (${(error as NodeJS.ErrnoException).code}); run as root or add "${HBA_LINE}" yourself`);
      }
      await sql`select pg_reload_conf()`;
      // The reload is asynchronous: wait until the server's view of the file shows the rule.
      const deadline = Date.now() + 5000;
      while (!(await hasReplicationRule(sql))) {
        if (Date.now() > deadline) throw new Error(`added "${HBA_LINE}" to ${hba} and reloaded, but the server does not show the rule`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      changed.push(`pg_hba: ${HBA_LINE}`);
    }
    const needsRestart = settings!.wal_level === 'minimal' || Number(settings!.senders) < 2;
    if (needsRestart) {
      if (!options.restart) throw new Error(`the primary needs wal_level=replica and max_wal_senders>=2 (has ${settings!.wal_level}, ${settings!.senders}), which takes a restart: run scripts/pg-replica.ts configure`);
      await sql`alter system set wal_level = 'replica'`;
      await sql`alter system set max_wal_senders = 10`;
      const major = String(Math.floor(Number(settings!.version) / 10000));
      const cluster = settings!.cluster.split('/')[1] ?? 'main';
      await sql.end();
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', major, cluster, 'restart']);
      changed.push('wal_level=replica, max_wal_senders=10 (server restarted)');
    }
    return changed;
  } finally {
    await sql.end().catch(() => undefined);
  }
}

/**
 * Starts a replica of the primary: pg_basebackup (fast checkpoint, WAL streamed alongside, -R writes
 * primary_conninfo and standby.signal) into a new temp directory, then postgres on a free port, and waits until it
 * streams. No replication slot: a slot left behind by a crashed test would keep WAL on the shared server forever.
 */
export async function startReplica(options: { readonly primaryUrl?: string } = {}): Promise<Replica> {
  const primaryUrl = options.primaryUrl ?? PRIMARY_URL;
  const primary = admin(primaryUrl);
  let dir: string | undefined;
  try {
    const bin = await binDir(primary);
    const matched: string[] = [];
    for (const name of MATCHED_SETTINGS) {
      const [row] = await primary<{ value: string }[]>`select current_setting(${name}) as value`;
      matched.push('-c', `${name}=${row!.value}`);
    }
    dir = await mkdtemp(path.join(tmpdir(), 'plasma-replica-'));
    const dataDir = path.join(dir, 'data');
    const socketDir = path.join(dir, 'socket');
    await mkdir(socketDir);
    if (isRoot()) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      await chown(dir, uid, gid);
      await chown(socketDir, uid, gid);
    }
    const primaryParsed = new URL(primaryUrl);
    await run(...asServerUser(path.join(bin, 'pg_basebackup'), [
      '-h', primaryParsed.hostname, '-p', primaryParsed.port || '5432', '-U', decodeURIComponent(primaryParsed.username || 'postgres'),
      '-D', dataDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync',
    ]));
    // A Debian data directory holds no postgresql.conf or pg_hba.conf (they live in /etc): write the replica's.
    // Root writes them and hands them to the server's user below; anyone else owns the data directory already.
    const write = (file: string, text: string): Promise<void> => writeFile(file, text, { mode: 0o600 });
    if (!existsSync(path.join(dataDir, 'postgresql.conf'))) await write(path.join(dataDir, 'postgresql.conf'), '# the test replica: settings are given on the command line\n');
    await write(path.join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    await write(path.join(dataDir, 'pg_ident.conf'), '');
    if (isRoot()) await run('chown', ['-R', 'postgres:postgres', dataDir]);

    let port = 0;
    let lastError: unknown;
    // A free port may be taken by someone else between the probe and the start: try a few.
    for (let attempt = 0; attempt < 3 && port === 0; attempt++) {
      const candidate = await freePort();
      const settings = [
        '-p', String(candidate), '-k', socketDir, '-c', "listen_addresses=127.0.0.1", '-c', 'hot_standby=on', '-c', 'ssl=off',
        '-c', `hba_file=${path.join(dataDir, 'pg_hba.conf')}`, '-c', `ident_file=${path.join(dataDir, 'pg_ident.conf')}`,
        '-c', 'fsync=off', '-c', 'shared_buffers=32MB', '-c', 'logging_collector=off', '-c', 'wal_receiver_status_interval=1s',
        ...matched,
      ];
      try {
        await run(...asServerUser(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings.map(quote).join(' '), 'start']));
        port = candidate;
      } catch (error) {
        lastError = error;
      }
    }
    if (port === 0) {
      const log = await readFile(path.join(dir!, 'server.log'), 'utf8').catch(() => '');
      throw new Error(`the replica did not start: ${String(lastError)}\n${log.slice(-2000)}`);
    }
    const replicaBase = `postgres://postgres@127.0.0.1:${port}`;
    const stopServer = (): void => {
      try {
        execFileSync(...asServerUser(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
      } catch {
        // already stopped
      }
    };
    // A test that dies without teardown still must not leave a server running on the machine.
    const onExit = (): void => {
      stopServer();
      try {
        execFileSync('rm', ['-rf', dir!]);
      } catch {
        // best effort
      }
    };
    process.once('exit', onExit);
    const replicaSql = admin(replicaBase);
    const primaryForLag = admin(primaryUrl);
    const replica: Replica = {
      port,
      url: (database) => withDatabase(replicaBase, database),
      async caughtUp(timeoutMs = 20_000) {
        const [row] = await primaryForLag<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const [state] = await replicaSql<{ behind: boolean; paused: string }[]>`
            select coalesce(pg_wal_lsn_diff(${row!.lsn}::pg_lsn, pg_last_wal_replay_lsn()) > 0, true) as behind,
                   pg_get_wal_replay_pause_state() as paused`;
          if (!state!.behind) return;
          if (state!.paused !== 'not paused') throw new Error('the replica is paused (pauseReplay): resume it before waiting for it to catch up');
          if (Date.now() > deadline) throw new Error(`the replica did not replay up to ${row!.lsn} within ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      async pauseReplay() {
        await replicaSql`select pg_wal_replay_pause()`;
        // pause is requested, then takes effect between two records: wait for it so the caller's writes stay unseen.
        for (;;) {
          const [state] = await replicaSql<{ s: string }[]>`select pg_get_wal_replay_pause_state() as s`;
          if (state!.s === 'paused') return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      },
      async resumeReplay() {
        await replicaSql`select pg_wal_replay_resume()`;
      },
      async stop() {
        process.off('exit', onExit);
        await replicaSql.end({ timeout: 1 }).catch(() => undefined);
        await primaryForLag.end({ timeout: 1 }).catch(() => undefined);
        stopServer();
        await rm(dir!, { recursive: true, force: true });
      },
    };
    // Streaming, not merely started: the walreceiver is connected.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = await replicaSql<{ status: string }[]>`select status from pg_stat_wal_receiver`.catch(() => []);
      if (rows[0]?.status === 'streaming') break;
      if (Date.now() > deadline) {
        await replica.stop();
        throw new Error(`the replica on port ${port} started but is not streaming from the primary after 30 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return replica;
  } catch (error) {
    if (dir !== undefined && !existsSync(path.join(dir, 'data', 'postmaster.pid'))) await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await primary.end();
  }
}

/** A port free on 127.0.0.1 now (another process may take it before the replica binds: startReplica retries). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function quote(arg: string): string {
  return /^[\w./=,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
