// End to end, as a user sees it (issue 10): `plasma operator` as a child process on a fresh database of the real
// Postgres (TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432; dropped afterwards) and a fresh anvil
// (automine), confirmations 0. --coins ETH deposits, then rounds: every coin moves once per round, POSTed in
// batches of --batch by --clients concurrent clients; a round ends when every one of its transfers is in a child
// block whose BlockSubmitted event is on L1 (the next round's transfers name those blocks, as a receiver must see
// the commit before spending on). Then, on an idle chain, --samples single transfers one after the other: the
// time from sending the POST to its block's root on L1.
//
//   npm run bench:e2e -- [--coins 20000] [--rounds 5] [--clients 4] [--batch 1000] [--samples 50]
//                        [--api-nodes 0|1|2] [--cpu-prof <dir>] [--operator-log <file>]
//                        [--operator-bin <cli/plasma.mjs of another tree>]
//                        [-- operator flags, e.g. --block-quiet-ms 1000]
//
// Transfers are signed before a round's clock starts (users sign on their own machines). Prints figures; asserts
// nothing. --api-nodes N > 0 runs one `--role producer` and N `--role api` processes, POSTs spread across the api
// nodes. --cpu-prof writes a V8 CPU profile of each operator process on exit (summarise: bench/profile-top.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { ANVIL_KEYS, startAnvil } from '../devnet/anvil.ts';
import { JsonRpc } from '../client/l1/rpc.ts';
import { addressOf } from '../test/client/protocol/fixtures/helpers.ts';
import { freePort } from '../test/support/anvil.ts';
import { percentile, sleep, spawnOperator, waitReady, type OperatorProcess } from '../test/faults/support.ts';
import { signDigest, signedTransactionToJson, transactionDigestBytes, type Address, type Hex, type Transaction, type TransactionDomain } from '../client/protocol/index.ts';
import { deploy, depositedCoins, depositMany, DEPOSIT_WEI, SubmittedBlocks } from './e2e-chain.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    coins: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '4' },
    batch: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '50' },
    'api-nodes': { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    'operator-bin': { type: 'string' },
    'operator-log': { type: 'string' },
  },
});
const COINS = Number(values.coins);
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const BATCH = Number(values.batch);
const SAMPLES = Number(values.samples);
const API_NODES = Number(values['api-nodes']);
const OPERATOR_FLAGS = positionals; // after `--`: passed to every operator process
const KEYS = ANVIL_KEYS.slice(1, 5) as readonly Hex[];
const OWNERS = KEYS.map((key) => addressOf(key) as Address);

const loadAverage = (): string => os.loadavg().map((x) => x.toFixed(1)).join(' ');
const median = (xs: readonly number[]): number => percentile(xs, 50);
/** utime + stime of a process in seconds (Linux /proc, 100 ticks a second). */
const cpuSeconds = (pid: number): number => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).reduce((sum, x) => sum + Number(x), 0) / 100;
  } catch {
    return Number.NaN;
  }
};

interface Coin {
  readonly slot: bigint;
  owner: number;
  prevBlock: bigint;
}

function signTransfer(coin: Coin, domain: TransactionDomain): unknown {
  const tx: Transaction = { slot: coin.slot, prevBlock: coin.prevBlock, denomination: DEPOSIT_WEI, newOwner: OWNERS[(coin.owner + 1) % OWNERS.length]! };
  return signedTransactionToJson(tx, signDigest(transactionDigestBytes(tx, domain), KEYS[coin.owner]!));
}

async function post(url: string, body: string, expected: number): Promise<void> {
  const response = await fetch(`${url}/v1/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /v1/transactions: ${response.status} ${text.slice(0, 300)}`);
  const { results } = JSON.parse(text) as { results: { status: string; error?: { code: string } }[] };
  const refused = results.filter((result) => result.status !== 'accepted');
  if (results.length !== expected || refused.length > 0) throw new Error(`POST: ${refused.length} of ${results.length} refused, e.g. ${JSON.stringify(refused[0])}`);
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const anvil = await startAnvil({ port: 0, blockTimeSeconds: 0 });
const rpc = new JsonRpc(anvil.rpcUrl);
const server = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const dbName = `plasma_e2e_${process.pid}`;
const admin = postgres(`${server}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${dbName}`);
const processes: OperatorProcess[] = [];
try {
  const contract = await deploy(anvil.rpcUrl);
  const domain: TransactionDomain = { chainId: 31337n, verifyingContract: contract };
  const start = async (role: string | undefined): Promise<OperatorProcess> => {
    const operator = spawnOperator({
      l1Rpc: anvil.rpcUrl, contract, operatorKey: ANVIL_KEYS[0], databaseUrl: `${server}/${dbName}`, port: await freePort(),
      args: ['--block-interval-ms', '1000', ...(role === undefined ? [] : ['--role', role]), ...OPERATOR_FLAGS],
      ...(values['operator-bin'] === undefined ? {} : { bin: values['operator-bin'] }),
      ...(values['cpu-prof'] === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] }),
    });
    processes.push(operator);
    await waitReady(operator.url, operator.startedAt, 60_000, () => operator.child.exitCode === null);
    return operator;
  };
  // The producer (or the one `all` process) first: it migrates the database.
  const producer = await start(API_NODES > 0 ? 'producer' : undefined);
  const apiNodes = API_NODES > 0 ? await Promise.all(Array.from({ length: API_NODES }, () => start('api'))) : [producer];
  const urls = apiNodes.map((node) => node.url);
  console.log(`e2e: ${os.cpus().length} cores, load ${loadAverage()}; operator ${API_NODES > 0 ? `1 producer + ${API_NODES} api nodes` : 'one process'}, flags: --block-interval-ms 1000 ${OPERATOR_FLAGS.join(' ')}`);

  let t = performance.now();
  await depositMany(rpc, contract, OWNERS, COINS, (made) => process.stdout.write(`\r${made} deposits`));
  const deposits = (await depositedCoins(rpc, contract)).slice(0, COINS);
  const ownerIndex = new Map(OWNERS.map((owner, k) => [owner, k]));
  const coins: Coin[] = deposits.map((d) => ({ slot: d.slot, owner: ownerIndex.get(d.depositor)!, prevBlock: d.block }));
  const last = coins[coins.length - 1]!;
  for (;;) {
    const response = await fetch(`${urls[0]}/v1/coins/${last.slot}`);
    await response.arrayBuffer();
    if (response.status === 200) break;
    await sleep(100);
  }
  console.log(`\r${coins.length} coins deposited and seen by the operator in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const watcher = new SubmittedBlocks(rpc, contract);
  const txCount = async (number: bigint): Promise<number> => (await getJson<{ txCount: number }>(`${urls[0]}/v1/blocks/${number}`)).txCount;

  interface Round { accepted: number; endToEnd: number; tailMs: number; blocks: number[]; signMs: number; operatorCpu: number }
  const rounds: Round[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    t = performance.now();
    const items = coins.map((coin) => signTransfer(coin, domain));
    const bodies: { body: string; count: number }[] = [];
    for (let i = 0; i < items.length; i += BATCH) bodies.push({ body: JSON.stringify(items.slice(i, i + BATCH)), count: Math.min(BATCH, items.length - i) });
    const signMs = performance.now() - t;
    await watcher.skipToHead();
    const cpuBefore = processes.reduce((sum, p) => sum + cpuSeconds(p.child.pid!), 0);

    const started = performance.now();
    let next = 0;
    const posting = Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        while (next < bodies.length) {
          const { body, count } = bodies[next++]!;
          await post(urls[client % urls.length]!, body, count);
        }
      }),
    ).then(() => performance.now());
    // The round's blocks, as L1 reports them, until they hold every transfer of the round.
    const blocks = new Map<bigint, number>();
    let inBlocks = 0;
    while (inBlocks < coins.length) {
      for (const number of await watcher.poll()) {
        const count = await txCount(number);
        blocks.set(number, count);
        inBlocks += count;
      }
      if (inBlocks < coins.length) await sleep(5);
    }
    const ended = performance.now();
    const acceptedAt = await posting;
    const seconds = (ended - started) / 1000;
    const operatorCpu = processes.reduce((sum, p) => sum + cpuSeconds(p.child.pid!), 0) - cpuBefore;
    const round = { accepted: coins.length / ((acceptedAt - started) / 1000), endToEnd: coins.length / seconds, tailMs: ended - acceptedAt, blocks: [...blocks.values()], signMs, operatorCpu: operatorCpu / seconds };
    console.log(`round ${r}${r === 0 ? ' (warm-up, not counted)' : ''}: accepted ${round.accepted.toFixed(0)}/s, end to end ${round.endToEnd.toFixed(0)}/s (${seconds.toFixed(2)} s; ` +
      `last root on L1 ${round.tailMs.toFixed(0)} ms after the last acceptance); blocks ${round.blocks.join(', ')}; operator CPU ${(100 * round.operatorCpu).toFixed(0)}% of a core; ` +
      `signing ${signMs.toFixed(0)} ms (not counted); load ${loadAverage()}`);
    if (r > 0) rounds.push(round);

    // Where each coin went: the largest block holds the rest once the others' transactions are listed.
    const numbers = [...blocks.keys()].sort((a, b) => blocks.get(b)! - blocks.get(a)!);
    const blockOf = new Map<bigint, bigint>();
    for (const number of numbers.slice(1)) {
      let after: string | undefined;
      do {
        const page = await getJson<{ transactions: { slot: string }[]; next?: string }>(`${urls[0]}/v1/blocks/${number}/transactions?limit=1000${after === undefined ? '' : `&after=${after}`}`);
        for (const tx of page.transactions) blockOf.set(BigInt(tx.slot), number);
        after = page.next;
      } while (after !== undefined);
    }
    for (const coin of coins) {
      coin.prevBlock = blockOf.get(coin.slot) ?? numbers[0]!;
      coin.owner = (coin.owner + 1) % OWNERS.length;
    }
  }

  // Idle chain: one transfer at a time, from sending its POST to its block's BlockSubmitted on L1.
  const latencies: number[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    await sleep(200 + Math.random() * 400); // idle, and at a random phase of the block interval
    const coin = coins[k % coins.length]!;
    const body = JSON.stringify([signTransfer(coin, domain)]);
    await watcher.skipToHead();
    const sent = performance.now();
    await post(urls[k % urls.length]!, body, 1);
    let block: bigint | undefined;
    while (block === undefined) {
      const numbers = await watcher.poll();
      if (numbers.length > 0) {
        const { lastBlock } = await getJson<{ lastBlock: string }>(`${urls[0]}/v1/coins/${coin.slot}`);
        block = numbers.find((number) => number === BigInt(lastBlock));
      }
      if (block === undefined) await sleep(2);
    }
    latencies.push(performance.now() - sent);
    coin.prevBlock = block;
    coin.owner = (coin.owner + 1) % OWNERS.length;
  }

  const f = (x: number): string => x.toFixed(0);
  const col = (pick: (round: Round) => number): string => rounds.map((round) => f(pick(round))).join(', ');
  console.log(`
| measure (${COINS} coins, ${CLIENTS} clients, batches of ${BATCH}, ${ROUNDS} rounds after a warm-up) | value |
|---|---|
| accepted over HTTP | median **${f(median(rounds.map((r) => r.accepted)))}/s** (rounds: ${col((r) => r.accepted)}) |
| end to end (every transfer's root on L1) | median **${f(median(rounds.map((r) => r.endToEnd)))}/s** (rounds: ${col((r) => r.endToEnd)}) |
| last root on L1 after the round's last acceptance | median ${f(median(rounds.map((r) => r.tailMs)))} ms (rounds: ${col((r) => r.tailMs)}) |
| blocks per round | ${rounds.map((r) => r.blocks.join('+')).join('; ')} |
| POST to root on L1, idle chain, ${SAMPLES} single transfers | median **${f(median(latencies))} ms**, p90 ${f(percentile(latencies, 90))} ms, min ${f(Math.min(...latencies))}, max ${f(Math.max(...latencies))} ms |
| operator CPU during the rounds | median ${f(100 * median(rounds.map((r) => r.operatorCpu)))}% of one core (all operator processes; ${os.cpus().length} cores shared with anvil, Postgres, this client) |
| load average at the end | ${loadAverage()} |
`);
} finally {
  for (const operator of processes) operator.child.kill('SIGTERM');
  await Promise.all(processes.map((operator) => operator.exited));
  // The operators' own log lines (e.g. with `-- --log-level info`: when each block was built and committed).
  if (values['operator-log'] !== undefined) writeFileSync(values['operator-log'], processes.map((operator) => operator.stderr()).join(''));
  await anvil.stop();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
process.exit(0);
