// Child blocks one transfer at a time (issue 14's long-life coin, test/client/wallet/checkpoint-e2e.test.ts): anvil
// (automine) with PlasmaCash, the operator in this process on a fresh database of the Postgres server
// (TEST_POSTGRES_URL), confirmations 0, block interval 10 ms, quiet 1 ms. One coin moves once per child block: a
// signed transfer POSTed to the API, then the coin's last block is polled (every --poll-ms) from the operator's
// database until the transfer's block is claimed, and the next transfer names it. Prints the child blocks per
// second, the operator's phase times (/metrics), the L1 RPCs per block by method, the main thread's event-loop
// utilization and this process's CPU per block. Asserts nothing.
//
//   npm run bench:block-rate -- [--blocks 300] [--poll-ms 2] [-- operator flags, e.g. --l1-poll-interval-ms 10]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Test } from 'tap';
import type { Wallet } from 'ethers';
import { CHILD_BLOCK_INTERVAL, signTransaction, type Address, type Hex, type Transaction } from '../client/protocol/index.ts';
import { JsonRpc } from '../client/l1/rpc.ts';
import { OperatorApi } from '../client/operator-api.ts';
import { PlasmaWallet } from '../client/wallet/wallet.ts';
import { coinBySlot } from '../operator/db/transfers.ts';
import { createLog } from '../operator/log.ts';
import { startOperator } from '../operator/service.ts';
import { startTestChain, testOperatorConfig } from '../test/support/anvil.ts';
import { createTestDatabase } from '../test/operator/db/helpers.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { blocks: { type: 'string', default: '300' }, 'poll-ms': { type: 'string', default: '2' } },
});
const BLOCKS = BigInt(values.blocks);
const POLL_MS = Number(values['poll-ms']);
const flags: Record<string, string> = {};
for (let i = 0; i + 1 < positionals.length; i += 2) flags[positionals[i]!.replace(/^--/, '')] = positionals[i + 1]!;

// The L1 calls, counted by method while the coin moves.
const calls = new Map<string, number>();
let counting = false;
const request = JsonRpc.prototype.request;
JsonRpc.prototype.request = function (this: JsonRpc, method: string, params?: readonly unknown[]) {
  if (counting) calls.set(method, (calls.get(method) ?? 0) + 1);
  return request.call(this, method, params);
} as typeof request;

// startTestChain and createTestDatabase take a tap Test for their teardown only.
const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) } as unknown as Test;
try {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'block_rate');
  const config = { 'checkpoint-every-blocks': 1, 'block-interval-ms': 10, 'block-quiet-ms': 1, 'l1-poll-interval-ms': 1000, ...flags };
  const operator = await startOperator(testOperatorConfig(chain, databaseUrl, config), { log: createLog({ level: 'warn', write: () => undefined }) });
  teardowns.push(() => operator.stop());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'block-rate-'));
  teardowns.push(() => rm(dir, { recursive: true, force: true }));
  const keys = [chain.users[0] as Wallet, chain.users[1] as Wallet];
  const wallet = await PlasmaWallet.open({ rpcUrl: chain.rpcUrl, contract: chain.address, operatorUrl: operator.url, privateKey: keys[0]!.privateKey as Hex, dataDir: dir });
  teardowns.push(() => wallet.close());
  const slot = await wallet.depositEth(10n ** 18n);
  await wallet.waitForCoin(slot);
  const api = new OperatorApi(operator.url);

  let last = (await coinBySlot(operator.store.sql, slot))!.lastBlock;
  const born = last;
  let polls = 0;
  counting = true;
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const load = os.loadavg()[0]!;
  for (let owner = 0; last < born + BLOCKS * CHILD_BLOCK_INTERVAL; owner = 1 - owner) {
    const tx: Transaction = { slot, prevBlock: last, denomination: 10n ** 18n, newOwner: keys[1 - owner]!.address.toLowerCase() as Address };
    const result = await api.submit(tx, await signTransaction(tx, chain.domain, keys[owner]!.privateKey as Hex));
    if (result.status !== 'accepted') throw new Error(`transfer refused: ${JSON.stringify(result.error)}`);
    for (const before = last; last === before; ) {
      polls++;
      const coin = await coinBySlot(operator.store.sql, slot);
      if (coin !== undefined && coin.lastBlock > before) last = coin.lastBlock;
      else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const utilization = performance.eventLoopUtilization(elu).utilization;
  counting = false;
  const blocks = Number((last - born) / CHILD_BLOCK_INTERVAL);
  console.log(`operator flags: ${JSON.stringify(config)}; load average ${load.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`${blocks} child blocks in ${seconds.toFixed(1)} s: ${(blocks / seconds).toFixed(1)} blocks/s (${((seconds * 1000) / blocks).toFixed(1)} ms a block), ${(polls / blocks).toFixed(1)} polls a block`);
  console.log(`this process: CPU ${((used.user + used.system) / 1000 / blocks).toFixed(1)} ms a block (all threads), main thread busy ${(utilization * 100).toFixed(0)} %`);
  const metrics = await (await fetch(`${operator.url}/metrics`)).text();
  const metric = (name: string, phase: string): number => Number(metrics.split('\n').find((line) => line.startsWith(`${name}{phase="${phase}"} `))?.split(' ')[1] ?? NaN);
  for (const phase of ['claim', 'persist', 'commit']) {
    const count = metric('plasma_block_phase_seconds_count', phase);
    console.log(`  ${phase}: ${((metric('plasma_block_phase_seconds_sum', phase) * 1000) / count).toFixed(1)} ms a block (mean of ${count}, from /metrics)`);
  }
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  console.log(`L1 RPCs: ${(total / blocks).toFixed(1)} a block: ${[...calls].sort((a, b) => b[1] - a[1]).map(([method, n]) => `${method} ${(n / blocks).toFixed(2)}`).join(', ')}`);
} finally {
  for (const step of teardowns.reverse()) await step();
}
