// Load: many concurrent clients reading coin histories while transfers stream in, against the operator as users
// run it (a child process: `node cli/plasma.mjs operator`) on anvil and the Postgres at TEST_POSTGRES_URL
// (default postgres://postgres@127.0.0.1:5432; a fresh database, dropped afterwards).
//
//   npx tsx bench/load.ts [--seconds 30] [--readers 32] [--coins 400] [--block-interval-ms 500] [--warmup 10]
//
// Warm-up: `--coins` deposits, then transfers alone for `--warmup` seconds so histories have blocks to serve.
// Measured: for `--seconds`, the transfer stream (every coin kept moving, POSTs of 100 sent together) and `--readers` clients
// each looping GET /v1/coins/:slot/history of a random coin. Prints throughput and p50/p99 latency of both and
// the operator's RSS (sampled from /proc every 250 ms). Figures are printed, never asserted.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NonceManager, parseEther, Wallet, JsonRpcProvider, Contract, type InterfaceAbi, type LogDescription } from 'ethers';
import postgres from 'postgres';
import { ANVIL_KEYS, startAnvil } from '../devnet/anvil.ts';
import { loadArtifact } from '../client/l1/artifacts.ts';
import { deployPlasmaCash } from '../client/l1/deploy.ts';
import type { Address } from '../client/protocol/index.ts';
import { freePort } from '../test/support/anvil.ts';
import { percentile, sleep, spawnOperator, TransferLoad, waitReady } from '../test/faults/support.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    readers: { type: 'string', default: '32' },
    coins: { type: 'string', default: '400' },
    'block-interval-ms': { type: 'string', default: '500' },
    warmup: { type: 'string', default: '10' },
  },
});
const SECONDS = Number(values.seconds);
const READERS = Number(values.readers);
// PlasmaCash numbers at most 999 deposits between two child blocks (PROTOCOL.md §2), and all deposits come first.
const COINS = Math.min(999, Number(values.coins));
const WARMUP = Number(values.warmup);

const anvil = await startAnvil({ port: await freePort(), blockTimeSeconds: 0 });
const server = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const dbName = `plasma_load_${process.pid}`;
const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${dbName}`);
let operator: ReturnType<typeof spawnOperator> | undefined;
try {
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 20;
  const operatorWallet = new Wallet(ANVIL_KEYS[0], provider);
  const users = ANVIL_KEYS.slice(1, 4).map((key) => new Wallet(key, provider));
  const contractAddress = (await deployPlasmaCash(new NonceManager(operatorWallet) as never, { operator: operatorWallet.address, exitPeriodSeconds: 604800n, responsePeriodSeconds: 86400n, exitBondWei: parseEther('0.1'), challengeBondWei: parseEther('0.1') })).toLowerCase() as Address;
  const abi = loadArtifact('PlasmaCash').abi as InterfaceAbi;
  const domain = { chainId: 31337n, verifyingContract: contractAddress };

  const port = await freePort();
  operator = spawnOperator({
    l1Rpc: anvil.rpcUrl,
    contract: contractAddress,
    operatorKey: ANVIL_KEYS[0],
    databaseUrl: `${server}/${dbName}`,
    port,
    args: ['--block-interval-ms', String(values['block-interval-ms']), '--l1-poll-interval-ms', '200'],
  });
  console.log(`operator pid ${operator.child.pid} ready in ${await waitReady(operator.url, operator.startedAt)} ms`);

  process.stdout.write(`${COINS} deposits… `);
  const coins: { slot: bigint; block: bigint; owner: number }[] = [];
  const managed = users.map((user) => new NonceManager(user));
  const iface = new Contract(contractAddress, abi).interface;
  for (let start = 0; start < COINS; start += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, COINS - start) }, async (_, k) => {
        const owner = (start + k) % 3;
        const tx = await (new Contract(contractAddress, abi, managed[owner]!) as Contract).getFunction('deposit')({ value: parseEther('0.01') });
        const receipt = await tx.wait();
        const log = receipt!.logs.map((l: { topics: string[]; data: string }) => iface.parseLog(l)).find((p: LogDescription | null) => p?.name === 'Deposit')!;
        return { slot: log.args.getValue('slot') as bigint, block: log.args.getValue('blockNumber') as bigint, owner };
      }),
    );
    coins.push(...batch);
  }
  console.log('done');
  await sleep(1500); // the follower picks the coins up

  const load = new TransferLoad({ url: operator.url, domain, users, coins, batch: 100, pauseMs: 100 });
  for (const coin of load.coins) (coin as { denomination: bigint }).denomination = parseEther('0.01');
  load.start();
  console.log(`warm-up: ${WARMUP} s of transfers alone`);
  await sleep(WARMUP * 1000);

  const rss: number[] = [];
  const pid = operator.child.pid!;
  // utime + stime of the operator process, in clock ticks (100 a second on Linux)
  const cpuTicks = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).reduce((sum, x) => sum + Number(x), 0);
  const cpuAtStart = cpuTicks();
  const sampler = setInterval(() => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) rss.push(Number(match[1]) / 1024);
    } catch {
      // gone
    }
  }, 250);

  const acceptedAtStart = load.accepted.size;
  const postsAtStart = load.postLatencies.length;
  const readLatencies: number[] = [];
  let readBytes = 0;
  let readErrors = 0;
  let entries = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const reader = async (i: number): Promise<void> => {
    let n = i;
    while (Date.now() < deadline) {
      const coin = coins[(n = (n * 7 + 13) % coins.length)]!;
      const started = performance.now();
      try {
        const response = await fetch(`${operator!.url}/v1/coins/${coin.slot}/history`);
        const text = await response.text();
        if (response.status !== 200) {
          readErrors++;
          continue;
        }
        readLatencies.push(performance.now() - started);
        readBytes += text.length;
        entries += (JSON.parse(text) as { entries: unknown[] }).entries.length;
      } catch {
        readErrors++;
      }
    }
  };
  console.log(`measuring: ${SECONDS} s, ${READERS} history readers + the transfer stream`);
  await Promise.all(Array.from({ length: READERS }, (_, i) => reader(i)));
  clearInterval(sampler);
  const cpuSeconds = (cpuTicks() - cpuAtStart) / 100;
  const accepted = load.accepted.size - acceptedAtStart;
  const posts = load.postLatencies.slice(postsAtStart);
  await load.stop();
  const [blocks] = await admin.unsafe(`select 1`).then(async () => {
    const db = postgres(`${server}/${dbName}`, { max: 1, onnotice: () => {} });
    const rows = await db`select count(*)::int as n, coalesce(max(number), 0)::text as last from blocks where status = 'confirmed'`;
    await db.end();
    return rows;
  });

  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  console.log(`
| measure | value |
|---|---|
| history reads | ${readLatencies.length} in ${SECONDS} s = **${(readLatencies.length / SECONDS).toFixed(0)}/s** (${readErrors} errors), ${(readBytes / 2 ** 20 / SECONDS).toFixed(1)} MiB/s, ${(entries / Math.max(1, readLatencies.length)).toFixed(0)} entries per history on average |
| history latency | p50 **${f(percentile(readLatencies, 50))} ms**, p99 **${f(percentile(readLatencies, 99))} ms**, max ${f(percentile(readLatencies, 100))} ms |
| transfers accepted | ${accepted} in ${SECONDS} s = **${(accepted / SECONDS).toFixed(0)}/s** (POSTs of up to 100, sent together; ${load.failedRequests} failed requests in the whole run) |
| POST latency | p50 **${f(percentile(posts, 50))} ms**, p99 **${f(percentile(posts, 99))} ms** (${posts.length} POSTs) |
| operator CPU | ${cpuSeconds.toFixed(1)} s in ${SECONDS} s = ${((100 * cpuSeconds) / SECONDS).toFixed(0)}% of one core (2 cores shared with anvil, Postgres and this load generator) |
| operator RSS | start ${f(rss[0] ?? NaN)} MiB, p50 ${f(percentile(rss, 50))} MiB, max **${f(percentile(rss, 100))} MiB** |
| blocks | ${blocks?.['n']} confirmed, last ${blocks?.['last']} (${COINS} coins, block interval ${values['block-interval-ms']} ms, ${WARMUP} s warm-up) |
`);
} finally {
  operator?.child.kill('SIGTERM');
  await operator?.exited;
  await anvil.stop();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
process.exit(0);
