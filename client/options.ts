/**
 * The option rules `plasma operator`/`plasma deploy` (operator/config.ts) and the wallet and watch commands
 * (cli/client-config.ts) share: an option's flag and variable, argv split into flags and positionals, the --help
 * table, a reader where a flag wins over its variable, and the checks of URLs, addresses, integers and keys.
 *
 * Callers differ only in what a problem does: the operator lists every one at once, the CLI stops at the first.
 * So the reader records each problem and, when given `stop`, throws it at once. Messages are worded here only
 * where both callers word them the same; the rest stay with the caller.
 */
import { parseArgs } from 'node:util';
import { PlasmaError, type Hex } from './protocol/index.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export type Flags = Readonly<Record<string, string | boolean | undefined>>;

export interface OptionSpec {
  readonly flag: string;
  readonly env?: string;
  readonly help: string;
  readonly default?: string;
  readonly boolean?: boolean;
  /** The value's name in --help, e.g. "<file>"; "<value>" if unset. */
  readonly value?: string;
}

/** One line an option: flag and value, help, then its variable and default in brackets. */
export function optionsHelp(options: readonly OptionSpec[]): string {
  return options
    .map((o) => {
      const name = `--${o.flag}${o.boolean ? '' : ` ${o.value ?? '<value>'}`}`;
      const extra = [o.env, o.default === undefined ? undefined : `default ${o.default}`].filter(Boolean).join(', ');
      return `  ${name.padEnd(30)} ${o.help}${extra ? ` [${extra}]` : ''}`;
    })
    .join('\n');
}

/**
 * argv as flags (--flag value or --flag=value) and positionals. Throws node's own error on an unknown flag or a
 * missing value: each caller words it its own way.
 */
export function splitArgv(argv: readonly string[], options: readonly OptionSpec[]): { flags: Flags; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(options.map((o) => [o.flag, { type: o.boolean ? 'boolean' : 'string' }] as const)),
    strict: true,
    allowPositionals: true,
  });
  return { flags: values as Flags, positionals };
}

export interface ReaderStyle {
  /** Throws the first problem (as the caller's error) instead of only recording it. */
  readonly stop?: (message: string) => Error;
  /** How `integer` names the number it wants: the operator's messages say "an integer", the CLI's "a whole number". */
  readonly integer: string;
}

/** Reads options: a flag wins over its variable; blank counts as unset. Problems go to `problems` (and `stop`). */
export class OptionReader {
  readonly problems: string[] = [];
  readonly #flags: Flags;
  readonly #env: Env;
  readonly #options: ReadonlyMap<string, OptionSpec>;
  readonly #style: ReaderStyle;

  constructor(flags: Flags, env: Env, options: readonly OptionSpec[], style: ReaderStyle) {
    this.#flags = flags;
    this.#env = env;
    this.#options = new Map(options.map((o) => [o.flag, o]));
    this.#style = style;
  }

  #option(flag: string): OptionSpec {
    const option = this.#options.get(flag);
    if (option === undefined) throw new Error(`unreachable: no option --${flag}`);
    return option;
  }

  fail(message: string): void {
    this.problems.push(message);
    if (this.#style.stop !== undefined) throw this.#style.stop(message);
  }

  /** Where the value came from, for messages: "--contract" or "PLASMA_CONTRACT". */
  source(flag: string): string {
    const option = this.#option(flag);
    return this.#flags[flag] === undefined && option.env !== undefined && this.#env[option.env] !== undefined ? option.env : `--${flag}`;
  }

  names(flag: string): string {
    const option = this.#option(flag);
    return option.env === undefined ? `--${flag}` : `--${flag} (or ${option.env})`;
  }

  given(flag: string): string | undefined {
    const option = this.#option(flag);
    const value = this.#flags[flag] ?? (option.env === undefined ? undefined : this.#env[option.env]);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  }

  string(flag: string): string | undefined {
    return this.given(flag) ?? this.#option(flag).default;
  }

  required(flag: string, what: string): string | undefined {
    const value = this.given(flag);
    if (value === undefined) this.fail(`${this.names(flag)} is required: ${what}`);
    return value;
  }

  /** A boolean flag, or its variable as 1/true/yes or 0/false/no. */
  boolean(flag: string): boolean | undefined {
    const value = this.#flags[flag];
    if (typeof value === 'boolean') return value;
    const option = this.#option(flag);
    const text = option.env === undefined ? undefined : this.#env[option.env]?.trim().toLowerCase();
    if (text === undefined || text === '') return undefined;
    if (['1', 'true', 'yes'].includes(text)) return true;
    if (['0', 'false', 'no'].includes(text)) return false;
    this.fail(`${option.env} must be 1/true/yes or 0/false/no, got "${text}"`);
    return undefined;
  }

  /** A decimal integer in [min, max]; `min` after a problem, so that reading can go on to the next option. */
  integer(flag: string, min: number, max: number): number {
    const text = this.string(flag)!;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(`${this.source(flag)} must be ${this.#style.integer} from ${min} to ${max}, got "${text}"`);
      return min;
    }
    return value;
  }
}

/** `value` if it is an http:// or https:// URL, else '' and a problem; '' for no value (already reported as missing). */
export function httpUrl(reader: OptionReader, flag: string, value: string | undefined, what: string): string {
  if (value === undefined) return '';
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  reader.fail(`${reader.source(flag)} must be an http:// or https:// URL of ${what}, got "${value}"`);
  return '';
}

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export const isHexAddress = (text: string): boolean => HEX_ADDRESS.test(text);

/** Records a problem unless `value` is 0x + 40 hex digits; no value was already reported as missing. */
export function checkAddress(reader: OptionReader, flag: string, value: string | undefined): void {
  if (value !== undefined && !isHexAddress(value)) {
    reader.fail(`${reader.source(flag)} must be a 20-byte address (0x + 40 hex digits), got "${value}"`);
  }
}

const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** 32 bytes of hex, 0x optional: the shape of a private key. */
export const isHexKey = (text: string): boolean => HEX_KEY.test(text);

/** A key that passed isHexKey as 0x + lower-case hex. */
export const normalizeKey = (text: string): Hex => (text.startsWith('0x') ? text : `0x${text}`).toLowerCase() as Hex;

/** 0 and n or above are 32 bytes of hex but no key secp256k1 can sign with. */
export function isSecp256k1Key(key: Hex): boolean {
  const scalar = BigInt(key);
  return scalar !== 0n && scalar < SECP256K1_N;
}

/**
 * A command's configuration from `parse`, or the exit code once it printed --help (0) or the configuration's
 * problem (an invalid_config error: 2), as `plasma operator` and `plasma deploy` answer.
 */
export function commandConfig<C>(command: string, parse: () => C | 'help', help: () => string, io: { readonly out: (text: string) => void; readonly err: (text: string) => void }): { readonly config: C } | { readonly exitCode: number } {
  let config: C | 'help';
  try {
    config = parse();
  } catch (error) {
    if (!(error instanceof PlasmaError && error.code === 'invalid_config')) throw error;
    io.err(`plasma ${command}: ${error.message}\nRun \`plasma ${command} --help\` for every option.\n`);
    return { exitCode: 2 };
  }
  if (config === 'help') {
    io.out(help());
    return { exitCode: 0 };
  }
  return { config };
}
