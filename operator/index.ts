/**
 * `plasma operator`: flags and environment → config → startOperator; SIGTERM/SIGINT stop it cleanly. Returns
 * the process exit code instead of exiting, so the CLI and tests decide.
 *   0 stopped by a signal, 1 startup failed, 2 bad configuration.
 */
import { operatorHelp, parseOperatorConfig, type Env } from './config.ts';
import { commandConfig } from '../client/options.ts';
import { createLog } from './log.ts';
import { errorMessage } from '../client/error-message.ts';
import { guardPostgresNullSocketWrite } from './pg-crash-guard.ts';
import { startOperator, type RunningOperator } from './service.ts';
import { waitForSignal } from './signals.ts';

export interface RunIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Resolves when the process is asked to stop; default: the first SIGTERM or SIGINT. */
  readonly stopSignal?: Promise<string>;
}

const defaultIo: RunIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export async function runOperator(argv: readonly string[], env: Env, io: RunIo = defaultIo): Promise<number> {
  const read = commandConfig('operator', () => parseOperatorConfig(argv, env), operatorHelp, io);
  if ('exitCode' in read) return read.exitCode;
  const { config } = read;
  const log = createLog({ level: config.logLevel, write: io.err });
  // This process is the operator: a known postgres.js crash on a connection lost mid-write must not end it.
  const unguard = guardPostgresNullSocketWrite(log);
  let operator: RunningOperator;
  try {
    operator = await startOperator(config, { log });
  } catch (error) {
    log.error('startup failed', { error: errorMessage(error) });
    io.err(`plasma operator: ${errorMessage(error)}\n`);
    unguard();
    return 1;
  }
  const signal = await (io.stopSignal ?? waitForSignal());
  log.info('signal received', { signal });
  await operator.stop();
  unguard();
  return 0;
}
