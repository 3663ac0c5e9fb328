/**
 * `plasma watch`: the coin holder's watcher (client/watcher) as a daemon. It follows L1 and the operator, verifies
 * every new block for each owned coin, challenges bad exits, answers challenges, finalizes and withdraws on its
 * own. JSON log lines on stderr; SIGTERM/SIGINT stop it after the current round.
 *
 * `plasma watch --status` prints the watcher's state as JSON from the wallet's state file (written atomically,
 * so it can be read while a daemon runs) plus the daemon's heartbeat file next to it (pid, last round, last
 * error), written by the running daemon every poll interval.
 *
 * Exit codes: 0 stopped by a signal (or --status printed), 1 startup failed, 2 bad options.
 */
import { logEntry, logLine, type LogLevel } from '../client/log.ts';
import type { Env } from '../operator/config.ts';
import type { RunIo } from '../operator/index.ts';
import { provenL1State } from '../client/watcher/verify-l1.ts';
import { PlasmaWallet } from '../client/wallet/wallet.ts';
import { Watcher } from '../client/watcher/watcher.ts';
import {
  CONNECTION_OPTIONS,
  CliError,
  KEY_HELP,
  OptionReader,
  describeError,
  optionsHelp,
  parseCommandLine,
  walletOptions,
  type CliOption,
} from './client-config.ts';
import { waitForSignal } from '../operator/signals.ts';
import { daemonRunning, heartbeatFile, readHeartbeat, runningDaemon, startHeartbeat } from '../client/watcher/heartbeat.ts';

export const WATCH_OPTIONS: readonly CliOption[] = [
  ...CONNECTION_OPTIONS.filter((o) => o.flag !== 'help'),
  { flag: 'poll-interval-ms', env: 'PLASMA_POLL_INTERVAL_MS', value: '<ms>', default: '1000', help: 'pause between two rounds' },
  { flag: 'confirmations', env: 'PLASMA_WATCH_CONFIRMATIONS', value: '<n>', default: '0', help: 'L1 blocks on top of an event before it is acted on (actions re-check L1 anyway)' },
  { flag: 'missing-proof-grace-ms', env: 'PLASMA_MISSING_PROOF_GRACE_MS', value: '<ms>', default: '600000', help: 'how long the operator may withhold a proof before the coin is frozen (no more sends; it thaws when the proofs come)' },
  { flag: 'operator-gone-ms', env: 'PLASMA_OPERATOR_GONE_MS', value: '<ms>', default: '86400000', help: 'how long proofs may stay missing before frozen coins are exited (a frozen coin with a spend in flight, or one the operator cheated on, exits at once)' },
  { flag: 'no-exit-frozen', env: 'PLASMA_NO_EXIT_FROZEN', boolean: true, help: 'do not exit frozen coins on its own (log the freeze only)' },
  { flag: 'verify-l1', env: 'PLASMA_VERIFY_L1', boolean: true, help: 'check roots and exits against eth_getProof before acting (distrust the L1 RPC)' },
  { flag: 'status', boolean: true, help: 'print the watcher state as JSON and exit (works while a daemon runs)' },
  { flag: 'help', help: 'print this help', boolean: true },
];

export function watchHelp(): string {
  return `Usage: plasma watch [options]
       plasma watch --status [options]

Runs the watcher of one account until SIGTERM/SIGINT: follows PlasmaCash on L1, verifies every new child block
for each owned coin (a missing or invalid proof freezes the coin and exits it), challenges every exit its
history contradicts, answers challenges of its own exits, finalizes and withdraws matured exits and withdraws
bonds. Logs are JSON lines on stderr. It shares its state (--data-dir) with \`plasma wallet\`.

Options (a flag wins over its environment variable):
${optionsHelp(WATCH_OPTIONS)}

${KEY_HELP}
`;
}

export { exitStatusName } from '../client/watcher/verify-l1.ts';

/** The watcher state of the wallet, without starting a watcher, and whether a daemon runs for it. */
export async function watchStatus(wallet: PlasmaWallet): Promise<Record<string, unknown>> {
  const status = { ...(await new Watcher({ wallet }).status()) } as Record<string, unknown>;
  const heartbeat = await readHeartbeat(heartbeatFile(wallet));
  const running = daemonRunning(heartbeat);
  delete status['lastRound'];
  delete status['lastError'];
  return {
    ...status,
    running,
    stateFile: wallet.stateFile.file,
    daemon: heartbeat === undefined ? null : { ...heartbeat, running },
  };
}

export async function runWatch(argv: readonly string[], env: Env, io: RunIo): Promise<number> {
  let reader: OptionReader;
  let flags;
  let settings;
  try {
    const parsed = parseCommandLine(argv, WATCH_OPTIONS);
    flags = parsed.flags;
    const positional = parsed.positionals[0];
    if (positional !== undefined) throw new CliError(`unexpected argument "${positional}"; see --help`);
    if (flags['help'] === true) {
      io.out(watchHelp());
      return 0;
    }
    reader = new OptionReader(flags, env, WATCH_OPTIONS);
    settings = {
      pollIntervalMs: reader.integer('poll-interval-ms', 10, 3_600_000),
      confirmations: reader.integer('confirmations', 0, 1000),
      missingProofGraceMs: reader.integer('missing-proof-grace-ms', 0, 30 * 24 * 3_600_000),
      operatorGoneMs: reader.integer('operator-gone-ms', 0, 30 * 24 * 3_600_000),
      exitFrozenCoins: reader.boolean('no-exit-frozen') !== true,
      verifyL1: reader.boolean('verify-l1') === true,
    };
  } catch (error) {
    io.err(`plasma watch: ${describeError(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }

  const line = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}) => io.err(logLine(logEntry(level, { msg, ...fields })));

  let wallet: PlasmaWallet;
  try {
    const options = await walletOptions(reader, env, (text) => (flags['status'] === true ? undefined : line('info', text, { component: 'wallet' })));
    wallet = await PlasmaWallet.open(options);
    if (flags['status'] === true) {
      try {
        io.out(`${JSON.stringify(await watchStatus(wallet), null, 2)}\n`);
        return 0;
      } finally {
        wallet.close();
      }
    }
  } catch (error) {
    io.err(`plasma watch: ${describeError(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }

  const file = heartbeatFile(wallet);
  const other = await runningDaemon(wallet);
  if (other !== undefined) {
    wallet.close();
    io.err(`plasma watch: a watcher (pid ${other}) already runs for ${wallet.address} on this --data-dir; stop it first (two would send every action twice)\n`);
    return 1;
  }

  const watcher = new Watcher({
    wallet,
    pollIntervalMs: settings.pollIntervalMs,
    confirmations: settings.confirmations,
    missingProofGraceMs: settings.missingProofGraceMs,
    operatorGoneMs: settings.operatorGoneMs,
    exitFrozenCoins: settings.exitFrozenCoins,
    ...(settings.verifyL1 ? { verifyL1: provenL1State(wallet.l1.rpc, wallet.l1.address) } : {}),
    // The CLI's lines all carry msg: a watcher entry's event is its msg here.
    log: ({ event, ...entry }) => io.err(logLine({ ...entry, msg: event ?? 'watcher' })),
  });
  line('info', 'watcher started', {
    account: wallet.address,
    contract: wallet.l1.address,
    l1Rpc: wallet.l1.rpc.url,
    operatorUrl: wallet.operator.baseUrl,
    stateFile: wallet.stateFile.file,
    ...settings,
  });
  watcher.start();
  const heartbeat = await startHeartbeat(watcher, settings.pollIntervalMs, (error) => line('warn', 'cannot write the heartbeat file', { file, error: describeError(error) }));

  const signal = await (io.stopSignal ?? waitForSignal());
  line('info', 'signal received', { signal });
  await heartbeat.stop();
  wallet.close();
  line('info', 'watcher stopped');
  return 0;
}
