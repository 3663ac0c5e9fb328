import t from 'tap';
import { inspect } from 'node:util';
import { ConfigError, describeConfig, operatorHelp, parseDeployConfig, parseOperatorConfig, type Env } from '../../../operator/config.ts';

const KEY = `0x${'ab'.repeat(32)}`;
const BASE: Env = { PLASMA_L1_RPC: 'http://127.0.0.1:8545', PLASMA_CONTRACT: `0x${'Cd'.repeat(20)}`, PLASMA_OPERATOR_KEY: KEY };

function problems(argv: string[], env: Env = BASE, readFile?: (path: string) => string): readonly string[] {
  try {
    parseOperatorConfig(argv, env, readFile ? { readFile } : {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

t.test('defaults, with everything required from the environment', async (t) => {
  const config = parseOperatorConfig([], BASE);
  if (config === 'help') throw new Error('unexpected help');
  t.same(describeConfig(config), {
    l1Rpc: 'http://127.0.0.1:8545',
    contract: `0x${'cd'.repeat(20)}`,
    database: { kind: 'embedded', dataDir: './data/postgres' },
    l1StartBlock: 0,
    blockIntervalMs: 1000,
    blockSize: 100000,
    blockQuietMs: 50,
    depositWaitMs: 1000,
    confirmations: 2,
    l1PollIntervalMs: 1000,
    l1ReplaceAfterMs: 60000,
    http: { host: '127.0.0.1', port: 8080 },
    limits: { maxBodyBytes: 1048576, maxBatchItems: 1000 },
    rateLimit: { perSecond: 1000, burst: 2000 },
    logLevel: 'info',
    role: 'all',
  });
  t.equal(config.operatorKey, KEY);
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.http) && Object.isFrozen(config.database));
  t.notOk(JSON.stringify(config).includes('ab'.repeat(32)), 'JSON never shows the key');
  t.notOk(inspect(config).includes('ab'.repeat(32)), 'inspect never shows the key');
});

t.test('flags win over the environment; DATABASE_URL selects a server', async (t) => {
  const config = parseOperatorConfig(
    ['--port', '9000', '--host', '0.0.0.0', '--confirmations', '0', '--block-interval-ms', '250', '--block-size', '5', '--l1-rpc', 'https://rpc.example'],
    { ...BASE, PLASMA_HTTP_PORT: '7000', DATABASE_URL: 'postgres://u:secret@db/plasma' },
  );
  if (config === 'help') throw new Error('unexpected help');
  t.match(config, { http: { host: '0.0.0.0', port: 9000 }, confirmations: 0, blockIntervalMs: 250, blockSize: 5, l1Rpc: 'https://rpc.example' });
  t.equal(config.depositWaitMs, 250, 'a deposit waits one block interval unless told otherwise');
  t.match(parseOperatorConfig(['--block-quiet-ms', '80'], { ...BASE, PLASMA_BLOCK_QUIET_MS: '20' }), { blockQuietMs: 80 });
  t.throws(() => parseOperatorConfig(['--block-quiet-ms', '0'], BASE), /block-quiet-ms/);
  t.match(parseOperatorConfig([], { ...BASE, PLASMA_DEPOSIT_WAIT_MS: '60000' }), { blockIntervalMs: 1000, depositWaitMs: 60000 });
  t.equal(config.checkpointEveryBlocks, undefined, 'checkpoint spacing: the default (one RESPONSE_PERIOD of blocks) unless told');
  t.match(parseOperatorConfig(['--checkpoint-every-blocks', '0'], { ...BASE, PLASMA_CHECKPOINT_EVERY_BLOCKS: '50' }), { checkpointEveryBlocks: 0 });
  t.match(parseOperatorConfig([], { ...BASE, PLASMA_CHECKPOINT_EVERY_BLOCKS: '50' }), { checkpointEveryBlocks: 50 });
  t.throws(() => parseOperatorConfig(['--checkpoint-every-blocks', '-1'], BASE), /checkpoint-every-blocks/);
  t.same(config.database, { kind: 'url', url: 'postgres://u:secret@db/plasma' });
  t.notOk(JSON.stringify(describeConfig(config)).includes('secret'), 'the password is masked when described');
  t.equal(parseOperatorConfig(['--help'], {}), 'help');
  t.match(operatorHelp(), /--operator-key-file.*PLASMA_OPERATOR_KEY_FILE/);
});

t.test('the operator key from a file', async (t) => {
  const config = parseOperatorConfig(['--operator-key-file', '/keys/op'], { ...BASE, PLASMA_OPERATOR_KEY: undefined }, { readFile: () => `${'ab'.repeat(32)}\n` });
  if (config === 'help') throw new Error('unexpected help');
  t.equal(config.operatorKey, KEY, '0x is optional, whitespace trimmed');
  t.match(problems(['--operator-key-file', '/nope'], { ...BASE, PLASMA_OPERATOR_KEY: undefined }, () => {
    throw Object.assign(new Error('no'), { code: 'ENOENT' });
  }), [/^cannot read the operator key from the file \/nope \(--operator-key-file\): ENOENT$/]);
  t.match(problems(['--operator-key-file', '/k'], BASE, () => KEY), [/pass the operator key once: PLASMA_OPERATOR_KEY and --operator-key-file/]);
});

t.test('every validation error names its flag or variable and what to do', async (t) => {
  t.same(problems([], {}), [
    '--l1-rpc (or PLASMA_L1_RPC) is required: the JSON-RPC URL of the L1 node, e.g. http://127.0.0.1:8545',
    '--contract (or PLASMA_CONTRACT) is required: the PlasmaCash address printed by `plasma deploy`',
    'an operator key is required: set PLASMA_OPERATOR_KEY, or pass --operator-key-file <file> (or --operator-key)',
  ]);
  t.match(problems(['--l1-rpc', 'localhost:8545']), [/^--l1-rpc must be an http:\/\/ or https:\/\/ URL/]);
  t.match(problems([], { ...BASE, PLASMA_L1_RPC: 'ws://x' }), [/^PLASMA_L1_RPC must be an http/]);
  t.match(problems(['--contract', '0x1234']), [/^--contract must be a 20-byte address.*got "0x1234"/]);
  const badKey = problems(['--operator-key', '0xnotakey-secretish']);
  t.match(badKey, [/^the operator key from --operator-key must be 32 bytes of hex.*the value is not shown$/]);
  t.notOk(badKey.join('').includes('secretish'), 'a bad key is not echoed');
  t.match(problems([], { ...BASE, PLASMA_OPERATOR_KEY: `0x${'0'.repeat(64)}` }), [/^the operator key from PLASMA_OPERATOR_KEY is not a valid secp256k1 private key$/]);
  t.match(problems(['--database-url', 'mysql://x']), [/^--database-url must be a postgres:\/\/ or postgresql:\/\/ URL; leave it unset/]);
  t.match(problems(['--database-url', 'postgres://x/y', '--data-dir', './d']), [/--data-dir is for the embedded Postgres and --database-url names a server: pass only one/]);
  t.match(problems(['--role', 'leader', '--database-url', 'postgres://x/y']), [/^--role must be one of all, producer, api, got "leader"$/]);
  t.match(problems(['--role', 'producer']), [/^--role producer shares its database with other processes: pass --database-url/]);
  t.match(problems([], { ...BASE, PLASMA_ROLE: 'api' }), [/^PLASMA_ROLE api shares its database with other processes: pass --database-url/]);
  const api = parseOperatorConfig(['--role', 'api', '--database-url', 'postgres://x/y'], BASE);
  t.equal(api === 'help' ? 'help' : api.role, 'api', 'an api node on a server is fine');
  t.match(problems(['--block-interval-ms', 'soon']), [/^--block-interval-ms must be an integer from 10 to 3600000, got "soon"$/]);
  t.match(problems(['--block-interval-ms', '5']), [/^--block-interval-ms must be an integer from 10/]);
  t.match(problems(['--block-size', '0']), [/^--block-size must be an integer from 1 to 1000000, got "0"$/]);
  t.match(problems(['--confirmations=-1']), [/^--confirmations must be an integer from 0 to 1000, got "-1"$/]);
  t.match(problems([], { ...BASE, PLASMA_HTTP_PORT: '70000' }), [/^PLASMA_HTTP_PORT must be an integer from 0 to 65535, got "70000"$/]);
  t.match(problems(['--max-body-bytes', '10']), [/^--max-body-bytes must be an integer from 1024/]);
  t.match(problems(['--max-batch-items', '1.5']), [/^--max-batch-items must be an integer from 1/]);
  t.match(problems(['--l1-poll-interval-ms', '0']), [/^--l1-poll-interval-ms must be an integer from 10/]);
  t.match(problems(['--l1-start-block', 'latest']), [/^--l1-start-block must be an integer from 0/]);
  t.match(problems(['--log-level', 'loud']), [/^--log-level must be one of debug, info, warn, error, got "loud"$/]);
  t.match(problems(['--prot', '1']), [/Unknown option '--prot'.*; see --help$/]);
  t.match(problems(['extra']), [/^unexpected argument "extra"; see --help$/]);
  t.equal(problems(['--block-size', 'x', '--port', 'y']).length, 2, 'every problem at once');
  t.match(new ConfigError(['a', 'b']).message, /^2 configuration problems:\n  - a\n  - b$/);
});

t.test('plasma deploy arguments', async (t) => {
  const config = parseDeployConfig(['--l1-rpc', 'http://127.0.0.1:8545', '--deployer-key', KEY, '--exit-period', '60', '--response-period', '30', '--operator', `0x${'AA'.repeat(20)}`], {});
  if (config === 'help') throw new Error('unexpected help');
  t.same({ ...config }, { l1Rpc: 'http://127.0.0.1:8545', operator: `0x${'aa'.repeat(20)}`, exitPeriodSeconds: 60n, responsePeriodSeconds: 30n });
  t.equal(config.deployerKey, KEY);
  t.equal(parseDeployConfig(['--help'], {}), 'help');
  const bad = (argv: string[]): readonly string[] => {
    try {
      parseDeployConfig(argv, {});
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
    }
    throw new Error('expected a ConfigError');
  };
  t.same(bad([]), [
    '--l1-rpc (or PLASMA_L1_RPC) is required: the JSON-RPC URL of the L1 node, e.g. http://127.0.0.1:8545',
    '--deployer-key (or PLASMA_DEPLOYER_KEY) is required: the key of an account with ETH for gas',
  ]);
  t.match(bad(['--l1-rpc', 'http://x', '--deployer-key', 'nope']), [/^--deployer-key must be 32 bytes of hex.*not shown$/]);
  t.match(bad(['--l1-rpc', 'http://x', '--deployer-key', KEY, '--operator', 'bob']), [/^--operator must be an address/]);
  t.match(bad(['--l1-rpc', 'http://x', '--deployer-key', KEY, '--exit-period', '0']), [/^--exit-period must be a whole number > 0, got "0"$/]);
  // The contract's constructor checks, made before any gas is spent.
  t.match(bad(['--l1-rpc', 'http://x', '--deployer-key', KEY, '--exit-period', '120']), [/^the response period \(86400 s\) must not be longer than the exit period \(120 s\): pass --response-period at most 120$/]);
  t.match(bad(['--l1-rpc', 'http://x', '--deployer-key', KEY, '--exit-period', '60', '--response-period', '61']), [/must not be longer than the exit period/]);
  t.match(bad(['--l1-rpc', 'http://x', '--deployer-key', KEY, '--exit-bond', '3']), [/^--exit-bond must be an even number of wei, at least 2/]);
});
