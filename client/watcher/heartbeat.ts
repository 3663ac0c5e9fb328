/**
 * The heartbeat of a running watcher: a file next to the wallet's state (pid, start, last round, last error, stop)
 * that the daemon (`plasma watch`, the devnet's watchers) rewrites every poll interval, so that another process
 * (`plasma watch --status`, a second `plasma watch`) can tell whether a watcher runs on that state.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { processAlive } from '../wallet/state-file.ts';
import type { PlasmaWallet } from '../wallet/wallet.ts';
import type { Watcher } from './watcher.ts';

/** What the running daemon writes next to the state file. */
export interface Heartbeat {
  readonly pid: number;
  readonly startedAt: string;
  readonly lastRound?: string;
  readonly lastError?: string;
  readonly stoppedAt?: string;
}

export const heartbeatFile = (wallet: PlasmaWallet) => `${wallet.stateFile.file.replace(/\.json$/, '')}.watcher.json`;

export async function readHeartbeat(file: string): Promise<Heartbeat | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Heartbeat;
  } catch {
    return undefined;
  }
}

async function writeHeartbeat(file: string, heartbeat: Heartbeat): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(heartbeat)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export const daemonRunning = (heartbeat: Heartbeat | undefined): heartbeat is Heartbeat =>
  heartbeat !== undefined && heartbeat.stoppedAt === undefined && processAlive(heartbeat.pid);

/** Another process's watcher runs on this wallet's state (two would send every action twice). */
export async function runningDaemon(wallet: PlasmaWallet): Promise<number | undefined> {
  const heartbeat = await readHeartbeat(heartbeatFile(wallet));
  return daemonRunning(heartbeat) && heartbeat.pid !== process.pid ? heartbeat.pid : undefined;
}

/**
 * Writes the heartbeat of a started watcher now and every `intervalMs`, so that `plasma watch --status` in
 * another process can tell it runs. `stop()` stops the watcher and records the stop.
 */
export async function startHeartbeat(watcher: Watcher, intervalMs: number, onError: (error: unknown) => void = () => undefined): Promise<{ stop(): Promise<void> }> {
  const file = heartbeatFile(watcher.wallet);
  const startedAt = new Date().toISOString();
  const beat = async (extra: { stoppedAt?: string } = {}) => {
    const status = await watcher.status().catch(() => undefined);
    await writeHeartbeat(file, {
      pid: process.pid,
      startedAt,
      ...(status?.lastRound === undefined ? {} : { lastRound: status.lastRound }),
      ...(status?.lastError === undefined ? {} : { lastError: status.lastError }),
      ...extra,
    }).catch(onError);
  };
  await beat();
  const timer = setInterval(() => void beat(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await watcher.stop();
      await beat({ stoppedAt: new Date().toISOString() });
    },
  };
}
