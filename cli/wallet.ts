/**
 * `plasma wallet <subcommand>`: the coin holder's commands over client/wallet (PlasmaWallet). Results go to
 * stdout (a slot, a package, a table or JSON, so scripts can use them), progress to stderr; every failure is one
 * line on stderr and a non-zero exit code (2: usage, 1: the operation failed). The state lives in --data-dir,
 * shared with `plasma watch` for the same account.
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import { Contract, Wallet, formatUnits } from 'ethers';
import type { Env } from '../operator/config.ts';
import type { CoinSummary } from '../client/wallet/wallet.ts';
import { PlasmaWallet } from '../client/wallet/wallet.ts';
import { InputError } from '../client/protocol/index.ts';
import type { CoinPackage } from '../client/operator-api.ts';
import {
  CONNECTION_OPTIONS,
  CliError,
  KEY_HELP,
  OptionReader,
  describeError,
  ether,
  loadKey,
  loadPassword,
  optionsHelp,
  parseAddress,
  parseAmount,
  parseCommandLine,
  parseSlot,
  parseUint,
  walletOptions,
  type CliOption,
  type Flags,
} from './client-config.ts';
import type { Io } from './io.ts';

interface Context {
  readonly reader: OptionReader;
  readonly flags: Flags;
  readonly args: readonly string[];
  readonly env: Env;
  readonly io: Io;
  /** Opens the wallet (once) from the connection options and the key. */
  wallet(): Promise<PlasmaWallet>;
}

interface Subcommand {
  readonly usage: string;
  readonly summary: string;
  readonly details?: string;
  readonly options?: readonly CliOption[];
  run(context: Context): Promise<number>;
}

const TOKEN_ABI = [
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
  'function balanceOf(address) view returns (uint256)',
  'function ownerOf(uint256) view returns (address)',
];

const when = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');

function arity(context: Context, count: number, usage: string): void {
  if (context.args.length > count) throw new CliError(`unexpected argument "${context.args[count]}": ${usage}`);
}

async function deposit(context: Context): Promise<number> {
  const [kind, first, second] = context.args;
  const usage = 'plasma wallet deposit eth <amount> | erc20 <token> <amount> | erc721 <token> <tokenId>';
  let slot: bigint;
  if (kind === 'eth') {
    arity(context, 2, usage);
    const amount = parseAmount(first, 18, 'the amount of ether', usage);
    const wallet = await context.wallet();
    context.io.err(`depositing ${ether(amount)} from ${wallet.address}…\n`);
    slot = await wallet.depositEth(amount);
  } else if (kind === 'erc20') {
    arity(context, 3, usage);
    const token = parseAddress(first, 'the token', usage);
    if (second === undefined) throw new CliError(`the amount is missing: ${usage}`);
    const wallet = await context.wallet();
    const erc20 = new Contract(token, TOKEN_ABI, wallet.provider);
    let decimals: number;
    try {
      decimals = Number(await erc20.getFunction('decimals')());
    } catch {
      throw new CliError(`${token} answers no decimals(): is it an ERC-20 token on this chain?`, 1);
    }
    const amount = parseAmount(second, decimals, 'the amount', usage);
    const balance = BigInt(await erc20.getFunction('balanceOf')(wallet.address));
    if (balance < amount) {
      throw new CliError(`${wallet.address} holds ${formatUnits(balance, decimals)} of ${token}, less than ${second}: get some first (the devnet's demo tokens have an open mint)`, 1);
    }
    context.io.err(`depositing ${second} of ERC-20 ${token} from ${wallet.address} (approve, then deposit)…\n`);
    slot = await wallet.depositErc20(token, amount);
  } else if (kind === 'erc721') {
    arity(context, 3, usage);
    const token = parseAddress(first, 'the token', usage);
    const tokenId = parseUint(second, 'the token id', usage);
    const wallet = await context.wallet();
    let owner: string;
    try {
      owner = String(await new Contract(token, TOKEN_ABI, wallet.provider).getFunction('ownerOf')(tokenId)).toLowerCase();
    } catch {
      throw new CliError(`${token} has no token ${tokenId} (ownerOf failed): check the id and that it is an ERC-721 on this chain`, 1);
    }
    if (owner !== wallet.address) throw new CliError(`token ${tokenId} of ${token} belongs to ${owner}, not to ${wallet.address}`, 1);
    context.io.err(`depositing ERC-721 ${token} #${tokenId} from ${wallet.address} (approve, then deposit)…\n`);
    slot = await wallet.depositErc721(token, tokenId);
  } else {
    throw new CliError(kind === undefined ? `what to deposit is missing: ${usage}` : `cannot deposit "${kind}": ${usage}`);
  }
  const wallet = await context.wallet();
  context.io.err(`coin ${slot} deposited on L1; waiting for the operator to see it…\n`);
  try {
    await wallet.waitForCoin(slot);
  } catch (error) {
    // The deposit stands (the wallet recorded it): say so, with the slot, whatever the operator's problem.
    throw new CliError(`coin ${slot} is deposited on L1 and in \`plasma wallet coins\`, but the operator does not confirm it yet: ${describeError(error)}`, 1);
  }
  context.io.err(`the operator has coin ${slot}: it can be sent now\n`);
  context.io.out(`${slot}\n`);
  return 0;
}

async function send(context: Context): Promise<number> {
  const usage = 'plasma wallet send <slot> <to> [--out <file>]';
  arity(context, 2, usage);
  const slot = parseSlot(context.args[0], usage);
  const to = parseAddress(context.args[1], 'the receiver <to>', usage);
  const out = context.reader.given('out');
  const wallet = await context.wallet();
  context.io.err(`sending coin ${slot} to ${to}; waiting until a committed block includes it…\n`);
  const pkg = await wallet.send(slot, to);
  const landed = [...pkg.entries].reverse().find((entry) => entry.kind === 'inclusion');
  context.io.err(`sent coin ${slot} to ${to}${landed === undefined ? '' : ` in block ${landed.block}`}\n`);
  const json = `${JSON.stringify(pkg)}\n`;
  if (out === undefined) {
    context.io.out(json);
    return 0;
  }
  try {
    await writeFile(out, json);
  } catch (error) {
    throw new CliError(`coin ${slot} was sent, but its package could not be written to ${out} (${(error as NodeJS.ErrnoException).code ?? String(error)}); the receiver can take it from the operator with \`plasma wallet receive ${slot}\``, 1);
  }
  context.io.err(`wrote the coin's history to ${out}; the receiver runs: plasma wallet receive --package ${out}\n`);
  return 0;
}

async function receive(context: Context): Promise<number> {
  const usage = 'plasma wallet receive <slot> | --package <file>';
  arity(context, 1, usage);
  const file = context.reader.given('package');
  let source: bigint | CoinPackage;
  if (file !== undefined) {
    if (context.args.length > 0) throw new CliError(`pass the slot or --package, not both: ${usage}`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the package ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; check the path`, 1);
    }
    try {
      source = JSON.parse(text) as CoinPackage;
    } catch {
      throw new CliError(`the package ${file} is not JSON: it should be the file \`plasma wallet send --out\` wrote`, 1);
    }
  } else {
    if (context.args.length === 0) throw new CliError(`which coin? ${usage}`);
    source = parseSlot(context.args[0], usage);
  }
  const wallet = await context.wallet();
  context.io.err(`verifying the coin's whole history against the roots on L1…\n`);
  let coin;
  try {
    coin = await wallet.receive(source);
  } catch (error) {
    if (error instanceof InputError) {
      throw new CliError(`the package ${file ?? ''} is not a coin history: ${error.shortMessage}${error.field === undefined ? '' : ` (at ${error.field})`}`, 1);
    }
    throw error;
  }
  context.io.out(`received coin ${coin.slot}: history verified through block ${coin.coveredThrough}; ${wallet.address} owns it\n`);
  return 0;
}

/**
 * The shape of the one-coin L1 commands (exit, finalize, withdraw): `plasma wallet <name> <slot>`, one action of
 * the wallet on that coin, one line on stdout saying what came of it.
 */
function coinCommand(name: string, act: (wallet: PlasmaWallet, slot: bigint, context: Context) => Promise<string>): (context: Context) => Promise<number> {
  const usage = `plasma wallet ${name} <slot>`;
  return async (context) => {
    arity(context, 1, usage);
    const slot = parseSlot(context.args[0], usage);
    const wallet = await context.wallet();
    context.io.out(`${await act(wallet, slot, context)}\n`);
    return 0;
  };
}

const exit = coinCommand('exit', async (wallet, slot, context) => {
  const { exitBond } = await wallet.l1.parameters();
  if ((await wallet.stateFile.read()).coins[slot.toString()] !== undefined) context.io.err(`starting the exit of coin ${slot} (bond ${ether(exitBond)})…\n`);
  const { nonce, finalizableAt } = await wallet.exit(slot);
  return `exit ${nonce} of coin ${slot} started; it can be finalized from ${when(finalizableAt)} (L1 time) with \`plasma wallet finalize ${slot}\`, or by \`plasma watch\`, which also answers challenges`;
});

const finalize = coinCommand('finalize', async (wallet, slot) =>
  (await wallet.finalize(slot)) === 'finalized'
    ? `finalized: the exit of coin ${slot} is final; take the asset with \`plasma wallet withdraw ${slot}\``
    : `cancelled: a challenge of the exit of coin ${slot} stood unanswered, so the exit was cancelled and its bond slashed`,
);

const withdraw = coinCommand('withdraw', async (wallet, slot) => {
  await wallet.withdraw(slot);
  return `coin ${slot} paid out to ${wallet.address} on L1`;
});

async function withdrawBonds(context: Context): Promise<number> {
  arity(context, 0, 'plasma wallet withdraw-bonds');
  const wallet = await context.wallet();
  const amount = await wallet.withdrawBonds();
  context.io.out(amount === 0n ? 'no bonds to withdraw\n' : `withdrew ${ether(amount)} of bonds to ${wallet.address}\n`);
  return 0;
}

const jsonSafe = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));

async function assetLabel(wallet: PlasmaWallet, coin: CoinSummary, cache: Map<string, { symbol: string; decimals: number } | undefined>): Promise<string> {
  if (coin.kind === 'eth') return ether(coin.denomination);
  if (!cache.has(coin.token)) {
    const token = new Contract(coin.token, TOKEN_ABI, wallet.provider);
    const symbol = await token.getFunction('symbol')().then(String, () => undefined);
    const decimals = coin.kind === 'erc20' ? await token.getFunction('decimals')().then(Number, () => undefined) : 0;
    cache.set(coin.token, symbol === undefined || decimals === undefined ? undefined : { symbol, decimals });
  }
  const meta = cache.get(coin.token);
  const short = `${coin.token.slice(0, 8)}…`;
  if (coin.kind === 'erc20') return meta === undefined ? `${coin.denomination} of ${short}` : `${formatUnits(coin.denomination, meta.decimals)} ${meta.symbol}`;
  return `${meta?.symbol ?? short} #${coin.tokenId}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

async function coins(context: Context): Promise<number> {
  arity(context, 0, 'plasma wallet coins [--json]');
  const wallet = await context.wallet();
  const list = (await wallet.coins()).sort((a, b) => (a.depositBlock < b.depositBlock ? -1 : a.depositBlock > b.depositBlock ? 1 : 0));
  if (context.flags['json'] === true) {
    context.io.out(`${JSON.stringify(jsonSafe(list), null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    context.io.out(`${wallet.address} holds no coins yet: deposit one with \`plasma wallet deposit eth 1\`, or receive one\n`);
    return 0;
  }
  const cache = new Map<string, { symbol: string; decimals: number } | undefined>();
  const rows = [['SLOT', 'ASSET', 'STATUS', 'LAST TX', 'VERIFIED', 'EXIT']];
  const notes: string[] = [];
  for (const coin of list) {
    // Every live exit, lowest exit block first (the one that can finalize).
    let exitText = coin.exits.length === 0 ? '-' : coin.exits
      .map((exit) => `#${exit.nonce} ${exit.whose === 'mine' ? 'mine' : `by ${exit.exitor}`} (exit block ${exit.exitBlock}, parent ${exit.parentBlock === 0n ? 'deposit' : exit.parentBlock}), finalizable ${when(exit.finalizableAt)}`)
      .join('; ');
    if (coin.openChallenges > 0) exitText += `; ${coin.openChallenges} open challenge${coin.openChallenges === 1 ? '' : 's'}`;
    rows.push([coin.slot.toString(), await assetLabel(wallet, coin, cache), coin.status, coin.lastTransactionBlock.toString(), coin.lastVerifiedBlock.toString(), exitText]);
    if (coin.frozen !== undefined) notes.push(`coin ${coin.slot} is frozen: ${coin.frozen}`);
    if (coin.spendsInFlight > 0 && coin.status !== 'sending') notes.push(`coin ${coin.slot}: ${coin.spendsInFlight} signed transfer${coin.spendsInFlight === 1 ? '' : 's'} the receiver may not know of (refused by the operator, or sent without its package); the watcher defends the receiver if the coin is exited`);
    if (coin.status === 'sent') notes.push(`coin ${coin.slot} now belongs to ${coin.owner}; it stays listed so the watcher can beat a stale exit`);
  }
  context.io.out(`coins of ${wallet.address}\n${table(rows)}\n${notes.map((note) => `${note}\n`).join('')}`);
  return 0;
}

async function address(context: Context): Promise<number> {
  arity(context, 0, 'plasma wallet address');
  context.io.out(`${new Wallet(await loadKey(context.reader, context.env)).address}\n`);
  return 0;
}

async function newKeystore(context: Context): Promise<number> {
  const usage = 'plasma wallet new-keystore --out <file> [--from-env]';
  arity(context, 0, usage);
  const out = context.reader.given('out');
  if (out === undefined) throw new CliError(`--out <file> is required: ${usage}`);
  const password = await loadPassword(context.reader, context.env, 'a new keystore');
  if (password.length < 8) throw new CliError('the keystore password must have at least 8 characters');
  let signer: Wallet;
  if (context.flags['from-env'] === true) {
    if (context.env['PLASMA_WALLET_KEY'] === undefined) throw new CliError('--from-env encrypts PLASMA_WALLET_KEY, which is not set');
    signer = new Wallet(await loadKey(new OptionReader({}, context.env, WALLET_OPTIONS), context.env));
  } else {
    const random = Wallet.createRandom();
    signer = new Wallet(random.privateKey);
  }
  let handle;
  try {
    handle = await open(out, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EEXIST' ? `${out} already exists: a keystore is never overwritten; choose another --out` : `cannot create ${out}: ${code ?? String(error)}`, 1);
  }
  try {
    context.io.err('encrypting the key (scrypt, a few seconds)…\n');
    await handle.writeFile(`${await signer.encrypt(password)}\n`);
  } finally {
    await handle.close();
  }
  context.io.err(`wrote ${out}; use it with --keystore ${out} and the same password (PLASMA_KEYSTORE_PASSWORD or --password-file). Keep a backup: the coins are lost with the key.\n`);
  context.io.out(`${signer.address}\n`);
  return 0;
}

const WALLET_OPTIONS = CONNECTION_OPTIONS;

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  deposit: {
    usage: 'deposit eth <amount> | erc20 <token> <amount> | erc721 <token> <tokenId>',
    summary: 'deposit on L1 (one coin), wait until the operator has it, print its slot',
    details: 'Amounts are in whole units: ether for eth, the token\'s decimals() for erc20 (e.g. 2.5). ERC-20/721 deposits\napprove PlasmaCash first when needed. Only the slot goes to stdout: SLOT=$(plasma wallet deposit eth 1).',
    run: deposit,
  },
  send: {
    usage: 'send <slot> <to> [--out <file>]',
    summary: 'transfer a coin; writes its history (the package the receiver verifies) to --out or stdout',
    details: 'Verifies the coin first, signs the transfer, waits until a committed block includes it.',
    options: [{ flag: 'out', value: '<file>', help: 'write the package here instead of stdout' }],
    run: send,
  },
  receive: {
    usage: 'receive <slot> | --package <file>',
    summary: 'accept a coin sent to you after verifying its whole history against L1',
    details: 'From the sender\'s package (works even if the operator withholds data), or from the operator by slot.',
    options: [{ flag: 'package', value: '<file>', help: 'the file `plasma wallet send --out` wrote' }],
    run: receive,
  },
  exit: { usage: 'exit <slot>', summary: 'start the exit of a coin to L1 (pays the exit bond)', run: exit },
  finalize: { usage: 'finalize <slot>', summary: 'finalize a matured exit (prints finalized or cancelled)', run: finalize },
  withdraw: { usage: 'withdraw <slot>', summary: 'take the asset of a finalized exit on L1', run: withdraw },
  'withdraw-bonds': { usage: 'withdraw-bonds', summary: 'withdraw the exit/challenge bonds credited to you', run: withdrawBonds },
  coins: {
    usage: 'coins [--json]',
    summary: 'list your coins: status, last verified block, every live exit (lowest exit block first), open challenges',
    options: [{ flag: 'json', boolean: true, help: 'print JSON (numbers as decimal strings)' }],
    run: coins,
  },
  address: { usage: 'address', summary: 'print the address of the key', run: address },
  'new-keystore': {
    usage: 'new-keystore --out <file> [--from-env]',
    summary: 'create an encrypted keystore with a new key (or PLASMA_WALLET_KEY with --from-env); prints its address',
    options: [
      { flag: 'out', value: '<file>', help: 'where to write the keystore (never overwritten)' },
      { flag: 'from-env', boolean: true, help: 'encrypt PLASMA_WALLET_KEY instead of a new random key' },
    ],
    run: newKeystore,
  },
};

export function walletHelp(): string {
  const lines = Object.values(SUBCOMMANDS).map((s) => `  ${s.usage}\n      ${s.summary}`);
  return `Usage: plasma wallet <subcommand> [arguments] [options]

Subcommands:
${lines.join('\n')}

Options (every subcommand; a flag wins over its environment variable):
${optionsHelp(WALLET_OPTIONS)}

${KEY_HELP}
Run \`plasma wallet <subcommand> --help\` for one subcommand.
`;
}

function subcommandHelp(name: string, sub: Subcommand): string {
  const own = sub.options ?? [];
  return `Usage: plasma wallet ${sub.usage} [options]

${sub.summary[0]!.toUpperCase()}${sub.summary.slice(1)}.${sub.details === undefined ? '' : `\n${sub.details}`}
${own.length === 0 ? '' : `\nOptions of ${name}:\n${optionsHelp(own)}\n`}
Options (a flag wins over its environment variable):
${optionsHelp(WALLET_OPTIONS)}

${KEY_HELP}
`;
}

export async function runWallet(argv: readonly string[], env: Env, io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(walletHelp());
    return name === undefined ? 2 : 0;
  }
  const sub = SUBCOMMANDS[name];
  if (sub === undefined || !Object.hasOwn(SUBCOMMANDS, name)) {
    io.err(`plasma wallet: unknown subcommand "${name}"; run \`plasma wallet --help\` for the list\n`);
    return 2;
  }
  let opened: PlasmaWallet | undefined;
  try {
    const { flags, positionals } = parseCommandLine(rest, [...WALLET_OPTIONS, ...(sub.options ?? [])]);
    if (flags['help'] === true) {
      io.out(subcommandHelp(name, sub));
      return 0;
    }
    const reader = new OptionReader(flags, env, [...WALLET_OPTIONS, ...(sub.options ?? [])]);
    const context: Context = {
      reader,
      flags,
      args: positionals,
      env,
      io,
      wallet: async () => {
        opened ??= await PlasmaWallet.open(await walletOptions(reader, env));
        return opened;
      },
    };
    return await sub.run(context);
  } catch (error) {
    io.err(`plasma wallet ${name}: ${describeError(error)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  } finally {
    opened?.close();
  }
}
