/**
 * `plasma <command>`: the one command-line entry. Each command parses its own flags (operator/config.ts) and
 * returns an exit code; this file only dispatches. Run it with `npx plasma …` (cli/plasma.mjs loads tsx),
 * `npm run plasma -- …`, or `tsx cli/plasma.ts …`.
 */
import { fileURLToPath } from 'node:url';
import { runOperator } from '../operator/index.ts';
import type { Env } from '../operator/config.ts';
import { runDeploy } from './deploy.ts';
import { runWallet } from './wallet.ts';
import { runWatch } from './watch.ts';
import { processIo, type Io } from './io.ts';

export const USAGE = `Usage: plasma <command> [options]

Commands:
  operator    run the Plasma Cash operator (L1 follower, block producer, HTTP API)
  deploy      deploy the PlasmaCash contract and print its address
  wallet      a coin holder's wallet: deposit, send, receive, exit, finalize, withdraw, coins
  watch       run the coin holder's watcher (verifies blocks, challenges bad exits, finalizes);
              \`plasma watch --status\` prints its state

Run \`plasma <command> --help\` for a command's options.
`;

export async function main(argv: readonly string[], env: Env, io: Io & { readonly stopSignal?: Promise<string> } = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'operator':
      return runOperator(rest, env, io);
    case 'deploy':
      return runDeploy(rest, env, io);
    case 'wallet':
      return runWallet(rest, env, io);
    case 'watch':
      return runWatch(rest, env, io);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      (command === undefined ? io.err : io.out)(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.err(`plasma: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

// The only place the process environment is read.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
