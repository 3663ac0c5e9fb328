/**
 * What `plasma wallet` and `plasma watch` share: the connection options (flags or environment, a flag wins),
 * the wallet key (PLASMA_WALLET_KEY, or an encrypted keystore; never a flag, never printed), and the one-line
 * error messages every command prints.
 *
 * Usage problems (a missing option, a bad slot or address) are CliErrors with exit code 2; a failed operation
 * (L1 or operator unreachable, a revert, a refused history) exits 1.
 */
import { readFile } from 'node:fs/promises';
import { Wallet, formatEther, getAddress, isAddress } from 'ethers';
import {
  OptionReader as Reader,
  checkAddress,
  httpUrl,
  isHexKey,
  isSecp256k1Key,
  normalizeKey,
  splitArgv,
  type Env,
  type Flags,
  type OptionSpec,
} from '../client/options.ts';
import { errorMessage } from '../client/error-message.ts';
import type { ContractCallError } from '../client/l1/plasma-cash.ts';
import type { OperatorApiError } from '../client/operator-api.ts';
import { CHECKPOINT_ERROR_CODES, HISTORY_ERROR_CODES, PlasmaError, type Address } from '../client/protocol/index.ts';
import type { WalletOptions } from '../client/wallet/wallet.ts';

/** A problem the user fixes on the command line or in the environment; `exitCode` 2 unless said otherwise. */
export class CliError extends PlasmaError {
  override name = 'CliError';
  declare readonly code: 'cli_usage';
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super('cli_usage', message);
    this.exitCode = exitCode;
  }
}

export type CliOption = OptionSpec;
export type { Flags };
export { optionsHelp } from '../client/options.ts';

/** The options every wallet and watch command takes. */
export const CONNECTION_OPTIONS: readonly CliOption[] = [
  { flag: 'l1-rpc', env: 'PLASMA_L1_RPC', value: '<url>', help: 'JSON-RPC URL of the L1 node (required)' },
  { flag: 'contract', env: 'PLASMA_CONTRACT', value: '<address>', help: 'address of the PlasmaCash contract (required)' },
  { flag: 'operator-url', env: 'PLASMA_OPERATOR_URL', value: '<url>', default: 'http://127.0.0.1:8080', help: 'the operator\'s HTTP API' },
  { flag: 'data-dir', env: 'PLASMA_WALLET_DIR', value: '<dir>', default: './data/wallet', help: 'the wallet\'s state (shared by the wallet commands and the watcher)' },
  { flag: 'from-block', env: 'PLASMA_FROM_BLOCK', value: '<n>', default: '0', help: 'L1 block PlasmaCash was deployed in (event scans start there)' },
  { flag: 'l1-replace-after-ms', env: 'PLASMA_L1_REPLACE_AFTER_MS', value: '<ms>', default: '60000', help: 'an L1 transaction still pending after this long is sent again, same nonce, higher fees' },
  { flag: 'keystore', env: 'PLASMA_KEYSTORE', value: '<file>', help: 'encrypted JSON keystore holding the key (instead of PLASMA_WALLET_KEY)' },
  { flag: 'password-file', env: 'PLASMA_KEYSTORE_PASSWORD_FILE', value: '<file>', help: 'file holding the keystore password (or set PLASMA_KEYSTORE_PASSWORD)' },
  { flag: 'help', help: 'print this help', boolean: true },
];

export const KEY_HELP = `The key: set PLASMA_WALLET_KEY (0x + 64 hex), or pass --keystore <file> with the password in
PLASMA_KEYSTORE_PASSWORD or --password-file <file>. A key is never taken as a flag and never printed.`;

const KEY_FLAGS = ['--key', '--private-key', '--wallet-key', '--password'];

/** Splits argv into flags and positionals; unknown flags are usage errors. */
export function parseCommandLine(argv: readonly string[], options: readonly CliOption[]): { flags: Flags; positionals: string[] } {
  const keyFlag = argv.find((arg) => KEY_FLAGS.includes(arg.split('=')[0]!));
  if (keyFlag !== undefined) {
    throw new CliError(`${keyFlag.split('=')[0]} is not accepted: keys and passwords are never taken as flags (they would show in ps and the shell history); set PLASMA_WALLET_KEY, or use --keystore with PLASMA_KEYSTORE_PASSWORD or --password-file`);
  }
  try {
    return splitArgv(argv, options);
  } catch (error) {
    // node's messages span lines ("Unknown option '--x'. To specify a positional argument…"): keep the first sentence.
    const first = (error instanceof Error ? error.message : String(error)).split(/\.\s/)[0]!.replace(/\.$/, '');
    throw new CliError(`${first}; see --help`);
  }
}

/** The shared reader, stopping at the first problem: a command prints one line and exits 2. */
export class OptionReader extends Reader {
  constructor(flags: Flags, env: Env, options: readonly CliOption[]) {
    super(flags, env, options, { stop: (message) => new CliError(message), integer: 'a whole number' });
  }
}

export interface ConnectionConfig {
  readonly l1Rpc: string;
  readonly contract: Address;
  readonly operatorUrl: string;
  readonly dataDir: string;
  readonly startBlock: bigint;
  readonly l1ReplaceAfterMs: number;
}

/** The connection options, validated (the key is read separately by `loadKey`). */
export function connectionConfig(reader: OptionReader): ConnectionConfig {
  // The reader throws at its first problem, so past each check the value is there and well-formed.
  const rpc = reader.required('l1-rpc', 'the JSON-RPC URL of the L1 node, e.g. http://127.0.0.1:8545')!;
  const contract = reader.required('contract', 'the PlasmaCash address (printed by `plasma deploy` and by `npm start`)')!;
  checkAddress(reader, 'contract', contract);
  const fromBlock = reader.string('from-block')!;
  if (!/^\d+$/.test(fromBlock)) throw new CliError(`${reader.source('from-block')} must be an L1 block number, got "${fromBlock}"`);
  return {
    l1Rpc: httpUrl(reader, 'l1-rpc', rpc, 'an L1 node'),
    contract: contract.toLowerCase() as Address,
    operatorUrl: httpUrl(reader, 'operator-url', reader.string('operator-url')!, 'the operator'),
    dataDir: reader.string('data-dir')!,
    startBlock: BigInt(fromBlock),
    l1ReplaceAfterMs: reader.integer('l1-replace-after-ms', 100, 3_600_000),
  };
}

async function readText(file: string, what: string, source: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${file} (${source}): ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}; check the path`);
  }
}

/** The keystore password: PLASMA_KEYSTORE_PASSWORD or the first line of --password-file (exactly one of them). */
export async function loadPassword(reader: OptionReader, env: Env, purpose: string): Promise<string> {
  const inline = env['PLASMA_KEYSTORE_PASSWORD'];
  const file = reader.given('password-file');
  if (inline !== undefined && inline !== '' && file !== undefined) {
    throw new CliError(`pass the keystore password once: PLASMA_KEYSTORE_PASSWORD and ${reader.source('password-file')} are both set`);
  }
  if (file !== undefined) {
    const text = (await readText(file, 'the password file', reader.source('password-file'))).replace(/\r?\n$/, '');
    if (text === '') throw new CliError(`the password file ${file} is empty`);
    return text;
  }
  if (inline === undefined || inline === '') {
    throw new CliError(`${purpose} needs a password: set PLASMA_KEYSTORE_PASSWORD or pass --password-file <file>`);
  }
  return inline;
}

/**
 * The wallet's private key, from PLASMA_WALLET_KEY or the keystore (decrypted with its password). Exactly one
 * source; the value is never part of a message.
 */
export async function loadKey(reader: OptionReader, env: Env): Promise<string> {
  const inline = env['PLASMA_WALLET_KEY']?.trim();
  const keystore = reader.given('keystore');
  if (inline !== undefined && inline !== '' && keystore !== undefined) {
    throw new CliError(`pass one key: PLASMA_WALLET_KEY and ${reader.source('keystore')} are both set`);
  }
  if (keystore !== undefined) {
    const json = await readText(keystore, 'the keystore', reader.source('keystore'));
    const password = await loadPassword(reader, env, `the keystore ${keystore}`);
    try {
      return (await Wallet.fromEncryptedJson(json, password)).privateKey;
    } catch (error) {
      const message = errorMessage(error);
      if (/password/i.test(message)) {
        throw new CliError(`wrong password for the keystore ${keystore}: check PLASMA_KEYSTORE_PASSWORD or the --password-file`, 1);
      }
      throw new CliError(`${keystore} is not an encrypted JSON keystore (${message}); create one with \`plasma wallet new-keystore --out <file>\``, 1);
    }
  }
  if (inline === undefined || inline === '') {
    throw new CliError('a wallet key is required: set PLASMA_WALLET_KEY, or pass --keystore <file> (create one with `plasma wallet new-keystore --out <file>`)');
  }
  if (!isHexKey(inline)) throw new CliError('PLASMA_WALLET_KEY must be 32 bytes of hex (0x + 64 hex digits); the value is not shown');
  const key = normalizeKey(inline);
  if (!isSecp256k1Key(key)) throw new CliError('PLASMA_WALLET_KEY is not a valid secp256k1 private key; the value is not shown');
  return key;
}

/** Everything PlasmaWallet.open needs, from flags, environment and the key source. */
export async function walletOptions(reader: OptionReader, env: Env, log?: (line: string) => void): Promise<WalletOptions> {
  const connection = connectionConfig(reader);
  const privateKey = await loadKey(reader, env);
  return {
    rpcUrl: connection.l1Rpc,
    contract: connection.contract,
    operatorUrl: connection.operatorUrl,
    privateKey,
    dataDir: connection.dataDir,
    startBlock: connection.startBlock,
    l1Send: { replaceAfterMs: connection.l1ReplaceAfterMs },
    ...(log === undefined ? {} : { log }),
  };
}

// ---- argument parsers

const UINT64_MAX = (1n << 64n) - 1n;

/** A coin's slot: decimal (as `coins` lists it) or 0x-hex, below 2^64. */
export function parseSlot(text: string | undefined, usage: string): bigint {
  if (text === undefined) throw new CliError(`the coin's slot is missing: ${usage}`);
  const value = /^\d+$/.test(text) || /^0x[0-9a-fA-F]+$/.test(text) ? BigInt(text) : -1n;
  if (value < 0n || value > UINT64_MAX) {
    throw new CliError(`"${text}" is not a coin slot: a whole number below 2^64, as \`plasma wallet coins\` lists it`);
  }
  return value;
}

export function parseAddress(text: string | undefined, what: string, usage: string): Address {
  if (text === undefined) throw new CliError(`${what} is missing: ${usage}`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) throw new CliError(`${what} must be an address (0x + 40 hex digits), got "${text}"`);
  if (!isAddress(text)) throw new CliError(`${what} "${text}" has a wrong checksum (mixed case that does not match); check it, or write it in lower case`);
  return getAddress(text).toLowerCase() as Address;
}

/** A positive decimal amount with at most `decimals` fractional digits, in base units. */
export function parseAmount(text: string | undefined, decimals: number, what: string, usage: string): bigint {
  if (text === undefined) throw new CliError(`${what} is missing: ${usage}`);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) throw new CliError(`${what} must be a positive number like 1 or 0.25, got "${text}"`);
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) throw new CliError(`${what} has more than ${decimals} decimals: "${text}"`);
  const value = BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (value === 0n) throw new CliError(`${what} must be more than zero`);
  return value;
}

export function parseUint(text: string | undefined, what: string, usage: string): bigint {
  if (text === undefined) throw new CliError(`${what} is missing: ${usage}`);
  if (!/^\d+$/.test(text) && !/^0x[0-9a-fA-F]+$/.test(text)) throw new CliError(`${what} must be a whole number, got "${text}"`);
  const value = BigInt(text);
  if (value >= 1n << 256n) throw new CliError(`${what} does not fit in 256 bits: "${text}"`);
  return value;
}

// ---- errors

const oneLine = (text: string) => text.replace(/\s*\n+\s*/g, ' ').trim();

const when = (seconds: bigint) => {
  const ms = Number(seconds) * 1000;
  return Number.isFinite(ms) && ms < 8.64e15 ? new Date(ms).toISOString() : `timestamp ${seconds}`;
};

/** What to do after a revert, by the contract's custom error. */
function revertHint(error: ContractCallError): string {
  const [first, second] = error.args;
  switch (error.errorName) {
    case 'ExitNotMatured':
      return `the exit can be finalized from ${when(BigInt(second as bigint))} (L1 time)`;
    case 'NoLiveExit':
      return `coin ${String(first)} has no live exit: start one with \`plasma wallet exit ${String(first)}\``;
    case 'CoinNotExited':
      return 'the coin has not exited: finalize its exit first (`plasma wallet finalize <slot>`)';
    case 'AlreadyWithdrawn':
      return 'the coin was already paid out';
    case 'NotCoinOwner':
      return 'only the owner of the finalized exit can withdraw the coin';
    case 'UnknownCoin':
      return 'no such coin was ever deposited on this contract: check the slot and --contract';
    case 'CoinNotDeposited':
      return 'the coin has already exited';
    case 'ExitBlockTaken':
      return `exit ${String(error.args[2])} of the same transaction is already live: \`plasma wallet coins\` lists it`;
    case 'ExitBlockDead':
      return `an exit of block ${String(second)} was cancelled by a spend of it: that transaction is spent for good and cannot exit again`;
    case 'NoBonds':
      return 'this account has no bonds to withdraw';
    default:
      return '';
  }
}

type Describe = (error: PlasmaError) => string;

const historyRejected: Describe = (error) => `${error.shortMessage}; the coin was not accepted`;

/**
 * The CLI's words for an error, by its stable code (client/protocol PlasmaError). Any other error shows its own
 * short message.
 */
const DESCRIBE: Readonly<Record<string, Describe>> = {
  cli_usage: (error) => error.message,
  contract_reverted: (error) => {
    const hint = revertHint(error as ContractCallError);
    return hint === '' ? error.message : `${error.message}: ${hint}`;
  },
  ...Object.fromEntries(HISTORY_ERROR_CODES.map((code) => [code, historyRejected])),
  ...Object.fromEntries(CHECKPOINT_ERROR_CODES.map((code) => [code, historyRejected])),
  no_checkpoints: (error) => `${error.message}; ask the sender for the whole history`,
  l1_unreachable: (error) => `${error.message}; start the L1 node or pass --l1-rpc`,
  operator_unreachable: (error) => `the ${error.message}; start it or pass --operator-url`,
  operator_error: (error) => {
    const { status, serverCode } = error as OperatorApiError;
    return `the operator answered ${status} ${serverCode}: ${error.message}`;
  },
  rpc_error: (error) => `the L1 node failed: ${error.message}`,
};

/** One line for any failure: what went wrong and, where known, what to do. */
export function describeError(error: unknown): string {
  const describe = error instanceof PlasmaError ? DESCRIBE[error.code] : undefined;
  if (describe !== undefined) return oneLine(describe(error as PlasmaError));
  if (error instanceof PlasmaError) return oneLine(error.shortMessage);
  const message = errorMessage(error);
  if (/fetch failed|ECONNREFUSED/.test(message)) return oneLine(`a server did not answer (${message}); check --l1-rpc and --operator-url`);
  return oneLine(message);
}

export const ether = (wei: bigint) => `${formatEther(wei)} ETH`;
