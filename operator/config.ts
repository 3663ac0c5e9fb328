/**
 * The operator's configuration: command-line flags and environment variables parsed ONCE into a frozen object.
 * A flag wins over its variable. Every problem is reported at once, each naming the flag/variable and what to
 * do. Nothing else in the operator reads process.env: the entry passes it in here.
 *
 * The operator key is held as a non-enumerable property, so logging or JSON-encoding the config never shows it.
 */
import { readFileSync } from 'node:fs';
import { PlasmaError, type Address, type Hex } from '../client/protocol/index.ts';
import {
  OptionReader,
  checkAddress,
  httpUrl,
  isHexAddress,
  isHexKey,
  isSecp256k1Key,
  normalizeKey,
  optionsHelp,
  splitArgv,
  type Env,
  type Flags,
  type OptionSpec,
} from '../client/options.ts';

export type { Env };

import { LOG_LEVELS, type LogLevel } from '../client/log.ts';
import { DEFAULT_PARAMS } from '../client/l1/deploy.ts';
import { ROLES, type Role } from './roles/role.ts';
export { LOG_LEVELS, type LogLevel };

export type DatabaseConfig =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'embedded'; readonly dataDir: string };

export interface OperatorConfig {
  readonly l1Rpc: string;
  readonly contract: Address;
  /** Never printed: non-enumerable on the parsed object. */
  readonly operatorKey: Hex;
  readonly database: DatabaseConfig;
  /**
   * A streaming replica of the database's server (--database-read-url): the HTTP API's reads go there, transfer
   * acceptance stays on the primary. Only with a `url` database.
   */
  readonly databaseReadUrl?: string;
  readonly l1StartBlock: number;
  readonly blockIntervalMs: number;
  readonly blockSize: number;
  /** A block is built once no transfer was accepted for this long (at the latest every blockIntervalMs). */
  readonly blockQuietMs: number;
  /** While a deposit waits after the last child block, a block (empty if nothing is pending) follows within this. */
  readonly depositWaitMs: number;
  readonly confirmations: number;
  readonly l1PollIntervalMs: number;
  /** A block submission still pending after this long is signed again, same nonce, higher fees. */
  readonly l1ReplaceAfterMs: number;
  /**
   * A checkpoint (PROTOCOL.md §10) every this many child blocks; 0: none. Undefined: the default, the number of
   * child blocks in one RESPONSE_PERIOD (read from the contract at start) at blockIntervalMs, at least 1.
   */
  readonly checkpointEveryBlocks?: number;
  readonly http: { readonly host: string; readonly port: number };
  readonly limits: { readonly maxBodyBytes: number; readonly maxBatchItems: number };
  /** Requests per second per remote address (token bucket of `burst`); perSecond 0 turns the limit off. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number };
  readonly logLevel: LogLevel;
  /** What this process runs (operator/roles/): everything, the block producer, or the HTTP API. */
  readonly role: Role;
}

/** Bad flags or variables; `problems` holds one line per problem. */
export class ConfigError extends PlasmaError {
  override name = 'ConfigError';
  declare readonly code: 'invalid_config';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('invalid_config', problems.length === 1 ? problems[0]! : `${problems.length} configuration problems:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Every option of `plasma operator`, in the order --help lists them. */
export const OPERATOR_OPTIONS: readonly OptionSpec[] = [
  { flag: 'l1-rpc', env: 'PLASMA_L1_RPC', help: 'JSON-RPC URL of the L1 node (required)' },
  { flag: 'contract', env: 'PLASMA_CONTRACT', help: 'address of the PlasmaCash contract (required)' },
  { flag: 'operator-key', env: 'PLASMA_OPERATOR_KEY', help: 'private key (0x + 64 hex) that signs submitBlock; prefer the variable or the file' },
  { flag: 'operator-key-file', env: 'PLASMA_OPERATOR_KEY_FILE', help: 'file holding the operator key (instead of --operator-key)' },
  { flag: 'database-url', env: 'DATABASE_URL', help: 'postgres:// URL; without it an embedded Postgres runs in --data-dir' },
  { flag: 'database-read-url', env: 'DATABASE_READ_URL', help: 'postgres:// URL of a streaming replica of --database-url\'s server: histories, proofs, owners\' coins, blocks and checkpoints are read there; transfers are still checked on the primary' },
  { flag: 'data-dir', env: 'PLASMA_DATA_DIR', default: './data/postgres', help: 'directory of the embedded Postgres (used only without --database-url)' },
  { flag: 'l1-start-block', env: 'PLASMA_L1_START_BLOCK', default: '0', help: 'first L1 block to read events from on a fresh database (the deployment block)' },
  { flag: 'block-interval-ms', env: 'PLASMA_BLOCK_INTERVAL_MS', default: '1000', help: 'the longest pending transfers wait for a child block under a steady stream (sooner once acceptance is quiet for --block-quiet-ms)' },
  { flag: 'block-size', env: 'PLASMA_BLOCK_SIZE', default: '100000', help: 'most transfers in one child block' },
  { flag: 'block-quiet-ms', env: 'PLASMA_BLOCK_QUIET_MS', default: '50', help: 'a child block is built once no transfer was accepted for this long; a steady stream is cut every --block-interval-ms' },
  { flag: 'deposit-wait-ms', env: 'PLASMA_DEPOSIT_WAIT_MS', help: 'while a deposit waits, a child block (empty if no transfer is pending) at least this often [default: the block interval]' },
  { flag: 'confirmations', env: 'PLASMA_CONFIRMATIONS', default: '2', help: 'L1 blocks on top before a deposit/exit is applied or a commit counts (0 for devnets)' },
  { flag: 'l1-poll-interval-ms', env: 'PLASMA_L1_POLL_INTERVAL_MS', default: '1000', help: 'how often L1 events are read' },
  { flag: 'l1-replace-after-ms', env: 'PLASMA_L1_REPLACE_AFTER_MS', default: '60000', help: 'a block submission still pending after this long is sent again, same nonce, higher fees' },
  { flag: 'checkpoint-every-blocks', env: 'PLASMA_CHECKPOINT_EVERY_BLOCKS', help: 'a checkpoint of every coin at most every this many child blocks, submitted once the previous one is RESPONSE_PERIOD old; 0 disables [default: the child blocks in one RESPONSE_PERIOD at the block interval]' },
  { flag: 'host', env: 'PLASMA_HTTP_HOST', default: '127.0.0.1', help: 'HTTP listen address (0.0.0.0 for every interface)' },
  { flag: 'port', env: 'PLASMA_HTTP_PORT', default: '8080', help: 'HTTP port (0 picks a free one)' },
  { flag: 'max-body-bytes', env: 'PLASMA_MAX_BODY_BYTES', default: String(1024 * 1024), help: 'largest accepted request body' },
  { flag: 'max-batch-items', env: 'PLASMA_MAX_BATCH_ITEMS', default: '1000', help: 'most transfers in one POST /v1/transactions' },
  { flag: 'rate-limit-per-second', env: 'PLASMA_RATE_LIMIT', default: '1000', help: 'requests per second per client address (429 past it); 0 turns the limit off' },
  { flag: 'rate-limit-burst', env: 'PLASMA_RATE_LIMIT_BURST', help: 'requests an idle client address may send at once [default 2 × the rate]' },
  { flag: 'role', env: 'PLASMA_ROLE', default: 'all', help: 'all (one process does everything), producer (L1 follower, blocks, commits, checkpoints; one active among several, elected in Postgres) or api (HTTP API and transfer acceptance); producer and api need --database-url (docs/DEPLOY.md)' },
  { flag: 'log-level', env: 'PLASMA_LOG_LEVEL', default: 'info', help: 'debug, info, warn or error' },
  { flag: 'help', help: 'print this help', boolean: true },
];

export function operatorHelp(): string {
  return `Usage: plasma operator [options]

Runs the Plasma Cash operator: follows PlasmaCash on L1, accepts signed transfers over HTTP, builds a child
block once acceptance goes quiet (at least every --block-interval-ms) and commits its root to L1, serves every
coin's history.

Options (a flag wins over its environment variable):
${optionsHelp(OPERATOR_OPTIONS)}
`;
}

function parseFlags(argv: readonly string[], options: readonly OptionSpec[]): Flags {
  try {
    const { flags, positionals } = splitArgv(argv, options);
    if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
    return flags;
  } catch (error) {
    throw new ConfigError([`${error instanceof Error ? error.message : String(error)}; see --help`]);
  }
}

/** A reader that records every problem, so that ConfigError can list them all at once. */
const collectingReader = (flags: Flags, env: Env, options: readonly OptionSpec[]) => new OptionReader(flags, env, options, { integer: 'an integer' });

function readKey(reader: OptionReader, readFile: (path: string) => string): Hex {
  const inline = reader.given('operator-key');
  const file = reader.given('operator-key-file');
  if (inline !== undefined && file !== undefined) {
    reader.fail(`pass the operator key once: ${reader.source('operator-key')} and ${reader.source('operator-key-file')} are both set`);
    return '0x';
  }
  let text = inline;
  let source = inline === undefined ? '' : reader.source('operator-key');
  if (file !== undefined) {
    source = `the file ${file} (${reader.source('operator-key-file')})`;
    try {
      text = readFile(file).trim();
    } catch (error) {
      reader.fail(`cannot read the operator key from ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      return '0x';
    }
  }
  if (text === undefined) {
    reader.fail(`an operator key is required: set PLASMA_OPERATOR_KEY, or pass --operator-key-file <file> (or --operator-key)`);
    return '0x';
  }
  // The value itself is never echoed: it may be a real key with a typo.
  if (!isHexKey(text)) {
    reader.fail(`the operator key from ${source} must be 32 bytes of hex (0x + 64 hex digits); the value is not shown`);
    return '0x';
  }
  const key = normalizeKey(text);
  if (!isSecp256k1Key(key)) reader.fail(`the operator key from ${source} is not a valid secp256k1 private key`);
  return key;
}

export interface ParseOptions {
  /** Reads --operator-key-file; default fs.readFileSync as UTF-8. */
  readonly readFile?: (path: string) => string;
}

/**
 * Parses `plasma operator` flags and the environment. Resolves 'help' for --help; throws ConfigError listing
 * every problem otherwise.
 */
export function parseOperatorConfig(argv: readonly string[], env: Env, options: ParseOptions = {}): OperatorConfig | 'help' {
  const flags = parseFlags(argv, OPERATOR_OPTIONS);
  if (flags['help'] === true) return 'help';
  const r = collectingReader(flags, env, OPERATOR_OPTIONS);

  const l1Rpc = httpUrl(r, 'l1-rpc', r.required('l1-rpc', 'the JSON-RPC URL of the L1 node, e.g. http://127.0.0.1:8545'), 'an L1 node');
  const contractText = r.required('contract', 'the PlasmaCash address printed by `plasma deploy`');
  checkAddress(r, 'contract', contractText);
  const operatorKey = readKey(r, options.readFile ?? ((path) => readFileSync(path, 'utf8')));

  let database: DatabaseConfig;
  const databaseUrl = r.given('database-url');
  if (databaseUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      r.fail(`${r.source('database-url')} must be a postgres:// or postgresql:// URL; leave it unset to use the embedded Postgres`);
    }
    if (r.given('data-dir') !== undefined) {
      r.fail(`${r.source('data-dir')} is for the embedded Postgres and ${r.source('database-url')} names a server: pass only one`);
    }
    database = { kind: 'url', url: databaseUrl };
  } else {
    database = { kind: 'embedded', dataDir: r.string('data-dir')! };
  }
  const databaseReadUrl = r.given('database-read-url');
  if (databaseReadUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(databaseReadUrl)) r.fail(`${r.source('database-read-url')} must be a postgres:// or postgresql:// URL of a streaming replica`);
    if (databaseUrl === undefined) r.fail(`${r.source('database-read-url')} names a replica of a Postgres server: pass the primary's --database-url too (the embedded Postgres has no replicas)`);
  }

  const l1StartBlock = r.integer('l1-start-block', 0, Number.MAX_SAFE_INTEGER);
  const blockIntervalMs = r.integer('block-interval-ms', 10, 3_600_000);
  const blockSize = r.integer('block-size', 1, 1_000_000);
  const blockQuietMs = r.integer('block-quiet-ms', 1, 3_600_000);
  const depositWaitMs = r.given('deposit-wait-ms') === undefined ? blockIntervalMs : r.integer('deposit-wait-ms', 10, 86_400_000);
  const confirmations = r.integer('confirmations', 0, 1000);
  const l1PollIntervalMs = r.integer('l1-poll-interval-ms', 10, 600_000);
  const l1ReplaceAfterMs = r.integer('l1-replace-after-ms', 100, 3_600_000);
  const checkpointEveryBlocks = r.given('checkpoint-every-blocks') === undefined ? undefined : r.integer('checkpoint-every-blocks', 0, 1_000_000_000);
  const host = r.string('host')!;
  const port = r.integer('port', 0, 65535);
  const maxBodyBytes = r.integer('max-body-bytes', 1024, 1024 * 1024 * 1024);
  const maxBatchItems = r.integer('max-batch-items', 1, 1_000_000);
  const ratePerSecond = r.integer('rate-limit-per-second', 0, 10_000_000);
  const rateBurst = r.given('rate-limit-burst') === undefined ? Math.max(1, 2 * ratePerSecond) : r.integer('rate-limit-burst', 1, 100_000_000);
  const logLevel = r.string('log-level')! as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) r.fail(`${r.source('log-level')} must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const role = r.string('role')! as Role;
  if (!ROLES.includes(role)) r.fail(`${r.source('role')} must be one of ${ROLES.join(', ')}, got "${role}"`);
  else if (role !== 'all' && database.kind === 'embedded') {
    r.fail(`${r.source('role')} ${role} shares its database with other processes: pass --database-url (a Postgres server); the embedded Postgres serves one process (--role all)`);
  }

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  const config = {
    l1Rpc,
    contract: contractText!.toLowerCase() as Address,
    database: Object.freeze(database),
    ...(databaseReadUrl === undefined ? {} : { databaseReadUrl }),
    l1StartBlock,
    blockIntervalMs,
    blockSize,
    blockQuietMs,
    depositWaitMs,
    confirmations,
    l1PollIntervalMs,
    l1ReplaceAfterMs,
    ...(checkpointEveryBlocks === undefined ? {} : { checkpointEveryBlocks }),
    http: Object.freeze({ host, port }),
    limits: Object.freeze({ maxBodyBytes, maxBatchItems }),
    rateLimit: Object.freeze({ perSecond: ratePerSecond, burst: rateBurst }),
    logLevel,
    role,
  };
  Object.defineProperty(config, 'operatorKey', { value: operatorKey, enumerable: false });
  return Object.freeze(config) as OperatorConfig;
}

/** Builds a config in code (tests, the devnet) through the same validation as the command line. */
export function operatorConfig(values: Readonly<Record<string, string | number | bigint>>): OperatorConfig {
  const argv = Object.entries(values).flatMap(([flag, value]) => [`--${flag}`, String(value)]);
  const config = parseOperatorConfig(argv, {});
  if (config === 'help') throw new Error('unreachable: --help in code');
  return config;
}

/** The config as it may be logged: the database URL's password masked, the key absent. */
export function describeConfig(config: OperatorConfig): Record<string, unknown> {
  const database = config.database.kind === 'url' ? { kind: 'url', url: maskPassword(config.database.url) } : config.database;
  return { ...config, database, ...(config.databaseReadUrl === undefined ? {} : { databaseReadUrl: maskPassword(config.databaseReadUrl) }) };
}

export function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}

// `plasma deploy`

export interface DeployConfig {
  readonly l1Rpc: string;
  /** Non-enumerable, never printed. */
  readonly deployerKey: Hex;
  readonly operator?: Address;
  readonly exitPeriodSeconds?: bigint;
  readonly responsePeriodSeconds?: bigint;
  readonly exitBondWei?: bigint;
  readonly challengeBondWei?: bigint;
}

export const DEPLOY_OPTIONS: readonly OptionSpec[] = [
  { flag: 'l1-rpc', env: 'PLASMA_L1_RPC', help: 'JSON-RPC URL of the L1 node (required)' },
  { flag: 'deployer-key', env: 'PLASMA_DEPLOYER_KEY', help: 'private key that pays for the deployment (required)' },
  { flag: 'operator', help: 'address allowed to submit blocks [default: the deployer]' },
  { flag: 'exit-period', help: 'exit period in seconds [default 604800, 7 days]' },
  { flag: 'response-period', help: 'challenge response period in seconds [default 86400, 1 day]' },
  { flag: 'exit-bond', help: 'exit bond in wei [default 0.1 ether]' },
  { flag: 'challenge-bond', help: 'challenge bond in wei [default 0.1 ether]' },
  { flag: 'help', help: 'print this help', boolean: true },
];

export function deployHelp(): string {
  return `Usage: plasma deploy --l1-rpc <url> --deployer-key <key> [options]

Deploys PlasmaCash and prints its address on stdout (progress goes to stderr).

Options:
${DEPLOY_OPTIONS.map((o) => `  --${o.flag}${o.boolean ? '' : ' <value>'}`.padEnd(32) + ` ${o.help}${o.env ? ` [${o.env}]` : ''}`).join('\n')}
`;
}

/**
 * The PlasmaCash constructor's own checks (PROTOCOL.md §6), made before anything is sent, so that a bad
 * combination costs no gas and names the flag to change. Unset values take the defaults the deployment uses.
 */
function constructorProblems(given: { exitPeriodSeconds?: bigint | undefined; responsePeriodSeconds?: bigint | undefined; exitBondWei?: bigint | undefined }): string[] {
  const problems: string[] = [];
  const exitPeriod = given.exitPeriodSeconds ?? DEFAULT_PARAMS.exitPeriodSeconds;
  const responsePeriod = given.responsePeriodSeconds ?? DEFAULT_PARAMS.responsePeriodSeconds;
  if ((given.exitPeriodSeconds !== undefined || given.responsePeriodSeconds !== undefined) && responsePeriod > exitPeriod) {
    problems.push(`the response period (${responsePeriod} s) must not be longer than the exit period (${exitPeriod} s): pass --response-period at most ${exitPeriod}`);
  }
  const exitBond = given.exitBondWei;
  if (exitBond !== undefined && (exitBond < 2n || exitBond % 2n !== 0n)) {
    problems.push(`--exit-bond must be an even number of wei, at least 2 (half goes to the challenger, half is burned), got ${exitBond}`);
  }
  return problems;
}

export function parseDeployConfig(argv: readonly string[], env: Env): DeployConfig | 'help' {
  const flags = parseFlags(argv, DEPLOY_OPTIONS);
  if (flags['help'] === true) return 'help';
  const r = collectingReader(flags, env, DEPLOY_OPTIONS);
  const l1Rpc = httpUrl(r, 'l1-rpc', r.required('l1-rpc', 'the JSON-RPC URL of the L1 node, e.g. http://127.0.0.1:8545'), 'an L1 node');
  const keyText = r.required('deployer-key', 'the key of an account with ETH for gas');
  if (keyText !== undefined && !isHexKey(keyText)) r.fail(`${r.source('deployer-key')} must be 32 bytes of hex (0x + 64 hex digits); the value is not shown`);
  const operator = r.given('operator');
  if (operator !== undefined && !isHexAddress(operator)) r.fail(`--operator must be an address (0x + 40 hex digits), got "${operator}"`);
  const amount = (flag: string): bigint | undefined => {
    const text = r.given(flag);
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || BigInt(text) === 0n) {
      r.fail(`--${flag} must be a whole number > 0, got "${text}"`);
      return undefined;
    }
    return BigInt(text);
  };
  const periods = { exitPeriodSeconds: amount('exit-period'), responsePeriodSeconds: amount('response-period'), exitBondWei: amount('exit-bond'), challengeBondWei: amount('challenge-bond') };
  for (const problem of constructorProblems(periods)) r.fail(problem);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  const config: Record<string, unknown> = { l1Rpc };
  if (operator !== undefined) config['operator'] = operator.toLowerCase();
  for (const [name, value] of Object.entries(periods)) if (value !== undefined) config[name] = value;
  Object.defineProperty(config, 'deployerKey', { value: normalizeKey(keyText!), enumerable: false });
  return Object.freeze(config) as unknown as DeployConfig;
}
