// Checkpoint build time and storage (issue 14): `npm run bench:checkpoint [-- --coins 1000000 --changed 0.01 --reps 3]`.
//
// 1. full: a checkpoint where every one of --coins coins changed (the first checkpoint of a chain), built by
//    CheckpointTree.prepare (leaf hashes, bucket merge, the lift on the two worker threads, the top): the build the
//    operator runs in the background (operator/checkpoint/builder.ts), goal ≤ 10 s for 1,000,000 coins.
// 2. incremental: the next checkpoint with --changed of the coins moved (1% by default).
// 3. storage: both checkpoints stored with insertCheckpoint in a fresh database on the real Postgres
//    (TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432, dropped after): bytes of the checkpoint tables
//    (heap, TOAST, indexes) per coin, for each checkpoint.
// Not timed here: reading the changed leaves from the operator's tables (a range scan of transactions in
// (N_prev, N]); the figures print the load average, as the machine is shared.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { Store } from '../operator/db/store.ts';
import { checkpointStorageBytes, insertCheckpoint } from '../operator/db/checkpoints.ts';
import { CheckpointTree, type CheckpointDelta, type LeafChanges } from '../operator/checkpoint/tree.ts';
import { rng } from '../test/client/protocol/fixtures/helpers.ts';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}
const coins = option('coins', 1_000_000);
const changedShare = option('changed', 0.01);
const reps = option('reps', 1);
const random = rng(9);
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

const allSlots = new BigUint64Array(coins);
for (let i = 0; i < coins; i++) allSlots[i] = random.uint64();
const full: LeafChanges = { slots: allSlots, txBlocks: new BigUint64Array(coins).fill(1000n), digests: random.bytes(32 * coins) };
const changedCount = Math.round(coins * changedShare);
const moved = new BigUint64Array(changedCount);
for (let i = 0; i < changedCount; i++) moved[i] = allSlots[(i * 7919) % coins]!; // distinct while coins is not a multiple of 7919
const incremental: LeafChanges = { slots: moved, txBlocks: new BigUint64Array(changedCount).fill(2000n), digests: random.bytes(32 * changedCount) };

/**
 * Wall time, and the CPU time of the whole process (main thread and both workers: getrusage), which on a shared
 * machine says what the build costs better than the wall clock: on two free cores the wall time is about half of it.
 */
async function timed(label: string, run: () => Promise<CheckpointDelta>): Promise<{ ms: number; cpuMs: number; delta: CheckpointDelta }> {
  const times: number[] = [];
  const cpus: number[] = [];
  let delta: CheckpointDelta | undefined;
  for (let rep = 0; rep < reps; rep++) {
    const before = load();
    const cpu = process.cpuUsage();
    const start = performance.now();
    delta = await run();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    times.push(ms);
    cpus.push(cpuMs);
    console.log(`${label}: ${(ms / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU (load before ${before}, after ${load()}); ${delta.changed} leaves changed, ${delta.buckets.size} buckets, ${delta.nodes.length} top nodes`);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, cpuMs: cpus[Math.floor(cpus.length / 2)]!, delta: delta! };
}

// Worker threads start (and load tsx) on first use: one tiny build first, so the figure is the steady state.
await CheckpointTree.empty().prepare({ slots: allSlots.slice(0, 5000), txBlocks: new BigUint64Array(5000).fill(1n), digests: random.bytes(32 * 5000) });

const tree = CheckpointTree.empty();
const first = await timed(`full build, ${coins.toLocaleString('en')} coins changed`, () => tree.prepare(full));
tree.commit(first.delta);
const second = await timed(`incremental build, ${changedCount.toLocaleString('en')} coins changed (${changedShare * 100}%)`, () => tree.prepare(incremental));

const SERVER = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const name = `plasma_bench_checkpoint_${process.pid}`;
const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const store = Store.connect(`${SERVER}/${name}`);
try {
  await store.migrate();
  const empty = await checkpointStorageBytes(store.sql);
  let start = performance.now();
  await insertCheckpoint(store.sql, { id: 1, block: 1000n, root: first.delta.root, leafCount: first.delta.leafCount, changed: first.delta.changed, buckets: first.delta.buckets, nodes: first.delta.nodes });
  const storeFullMs = performance.now() - start;
  await store.sql`vacuum analyze checkpoint_buckets`;
  await store.sql`vacuum analyze checkpoint_nodes`;
  const afterFull = await checkpointStorageBytes(store.sql);
  start = performance.now();
  await insertCheckpoint(store.sql, { id: 2, block: 2000n, root: second.delta.root, leafCount: second.delta.leafCount, changed: second.delta.changed, buckets: second.delta.buckets, nodes: second.delta.nodes });
  const storeIncrementalMs = performance.now() - start;
  await store.sql`vacuum analyze checkpoint_buckets`;
  await store.sql`vacuum analyze checkpoint_nodes`;
  const afterIncremental = await checkpointStorageBytes(store.sql);
  const perCoin = (bytes: number): string => (bytes / coins).toFixed(1);
  console.log(`storage, full checkpoint: ${afterFull - empty} bytes = ${perCoin(afterFull - empty)} bytes per coin (stored in ${(storeFullMs / 1000).toFixed(2)} s)`);
  console.log(`storage, incremental checkpoint: ${afterIncremental - afterFull} bytes = ${perCoin(afterIncremental - afterFull)} bytes per coin (stored in ${(storeIncrementalMs / 1000).toFixed(2)} s)`);
  console.log('');
  console.log('| figure | wall (median of ' + reps + ') | CPU, all threads | goal |');
  console.log('|---|---|---|---|');
  console.log(`| full build, ${coins.toLocaleString('en')} coins | ${(first.ms / 1000).toFixed(2)} s | ${(first.cpuMs / 1000).toFixed(2)} s | ≤ 10 s wall |`);
  console.log(`| incremental build, ${changedShare * 100}% changed | ${(second.ms / 1000).toFixed(2)} s | ${(second.cpuMs / 1000).toFixed(2)} s | |`);
  console.log(`| storage per coin, full checkpoint | ${perCoin(afterFull - empty)} B | | ≤ 100 B |`);
  console.log(`| storage per coin, incremental checkpoint | ${perCoin(afterIncremental - afterFull)} B | | ≤ 100 B |`);
} finally {
  await store.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
