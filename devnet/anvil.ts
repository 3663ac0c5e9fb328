// Starts a local anvil (the npm build of Foundry's L1 node) and waits until it answers JSON-RPC.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../client/l1/artifacts.ts';

const ANVIL = path.join(REPO_ROOT, 'node_modules', '.bin', 'anvil');

/** The private keys anvil derives from its default mnemonic: well known, for local chains only. */
export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
] as const;

export interface Anvil {
  readonly rpcUrl: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts anvil on `port` (chain id 31337, 1-second blocks unless `blockTimeSeconds` is 0 = automine). Port 0
 * lets the kernel choose a free port as anvil binds it, read back from anvil's "Listening on" line: no window in
 * which a parallel test could take a port chosen beforehand.
 */
export async function startAnvil(options: { port: number; blockTimeSeconds?: number }): Promise<Anvil> {
  if (options.port !== 0 && (await answers(`http://127.0.0.1:${options.port}`))) {
    throw new Error(`something already answers JSON-RPC on port ${options.port}: stop it or choose another port`);
  }
  const args = ['--host', '127.0.0.1', '--port', String(options.port), '--chain-id', '31337'];
  // On port 0 not --silent, for the "Listening on" line; the rest (a line per request) is read and dropped so the
  // pipe never fills.
  if (options.port !== 0) args.push('--silent');
  if (options.blockTimeSeconds) args.push('--block-time', String(options.blockTimeSeconds));
  const child = spawn(ANVIL, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let stdout = '';
  let rpcUrl = options.port === 0 ? undefined : `http://127.0.0.1:${options.port}`;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (rpcUrl !== undefined) return;
    stdout += chunk.toString();
    const listening = /Listening on ([\d.]+):(\d+)/.exec(stdout);
    if (listening !== null) rpcUrl = `http://${listening[1]}:${listening[2]}`;
  });

  const deadline = Date.now() + 20_000;
  while (rpcUrl === undefined || !(await answers(rpcUrl))) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`anvil did not answer${rpcUrl === undefined ? '' : ` on ${rpcUrl}`} within 20 s: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    rpcUrl,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
