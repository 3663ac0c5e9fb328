// The `plasma` command as users run it: the bin launcher in a child process, and `main` in-process.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/plasma.ts';
import { createTestDatabase } from '../operator/db/helpers.ts';
import { startTestChain } from '../support/anvil.ts';

const BIN = fileURLToPath(new URL('../../cli/plasma.mjs', import.meta.url));

function capture() {
  const io = { stdout: '', stderr: '', out: (text: string) => void (io.stdout += text), err: (text: string) => void (io.stderr += text) };
  return io;
}

t.test('help and usage errors', async (t) => {
  const help = spawnSync(BIN, ['--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  t.match(help.stdout, /Usage: plasma <command>[\s\S]*operator[\s\S]*deploy/);
  const operatorHelp = spawnSync(BIN, ['operator', '--help'], { encoding: 'utf8' });
  t.equal(operatorHelp.status, 0);
  t.match(operatorHelp.stdout, /--l1-rpc <value>.*PLASMA_L1_RPC/);
  t.match(operatorHelp.stdout, /--database-url <value>.*DATABASE_URL/);
  const deployHelp = spawnSync(BIN, ['deploy', '--help'], { encoding: 'utf8' });
  t.equal(deployHelp.status, 0);
  t.match(deployHelp.stdout, /Usage: plasma deploy/);

  const io = capture();
  t.equal(await main(['frobnicate'], {}, io), 2);
  t.match(io.stderr, /unknown command "frobnicate"/);
  const bad = spawnSync(BIN, ['operator', '--port', 'x'], { encoding: 'utf8', env: { ...process.env, PLASMA_L1_RPC: '', PLASMA_OPERATOR_KEY: '' } });
  t.equal(bad.status, 2, 'bad configuration exits 2');
  t.match(bad.stderr, /--port must be an integer from 0 to 65535, got "x"/);
  const down = spawnSync(BIN, ['operator', '--l1-rpc', 'http://127.0.0.1:9', '--contract', `0x${'11'.repeat(20)}`, '--database-url', 'postgres://postgres@127.0.0.1:5432/postgres'], {
    encoding: 'utf8',
    env: { ...process.env, PLASMA_OPERATOR_KEY: `0x${'01'.repeat(32)}` },
  });
  t.equal(down.status, 1, 'a startup failure exits 1');
  t.match(down.stderr, /plasma operator: cannot reach the L1 RPC at http:\/\/127\.0\.0\.1:9: .*; start anvil or pass --l1-rpc/);
});

t.test('plasma deploy prints the address; plasma operator serves it and stops on SIGTERM', async (t) => {
  const chain = await startTestChain(t);
  const io = capture();
  t.equal(await main(['deploy', '--l1-rpc', chain.rpcUrl, '--exit-period', '120', '--response-period', '60'], { PLASMA_DEPLOYER_KEY: chain.operatorKey }, io), 0, io.stderr);
  const address = io.stdout.trim();
  t.match(address, /^0x[0-9a-fA-F]{40}$/, 'stdout holds only the address');
  t.not(await chain.provider.getCode(address), '0x', 'code is deployed there');

  // Port 0: the operator binds a free port itself and names its URL in the "operator listening" line.
  const child = spawn(BIN, ['operator', '--l1-rpc', chain.rpcUrl, '--contract', address, '--port', '0', '--confirmations', '0'], {
    env: { ...process.env, PLASMA_OPERATOR_KEY: chain.operatorKey, DATABASE_URL: await createTestDatabase(t, 'cli') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': only then has all of stderr been read, with the last line we check below.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.teardown(() => void child.kill('SIGKILL'));
  const deadline = Date.now() + 60_000; // a cold tsx start on a loaded machine
  while (!/"operator listening"[^\n]*\n/.test(stderr)) { // the whole line, to parse it
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the operator did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const listening = stderr.split('\n').find((line) => line.includes('"operator listening"'))!;
  const { url } = JSON.parse(listening) as { url: string };
  const status = await (await fetch(`${url}/v1/status`)).json();
  t.match(status, { healthy: true, lastCommittedBlock: '0', pendingCount: 0 });
  t.notOk(stderr.includes(chain.operatorKey.slice(2)), 'the key is not in the logs');
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops it with exit code 0');
  const lines = stderr.trim().split('\n').map((line) => JSON.parse(line) as { level: string; msg: string });
  t.match(lines.at(-1), { level: 'info', msg: 'operator stopped' });
});
