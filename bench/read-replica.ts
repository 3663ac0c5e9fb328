/**
 * History reads served from the primary and from a real streaming replica (--database-read-url), same data, same
 * app, in this process:
 *
 *   npx tsx bench/read-replica.ts [--blocks 200] [--requests 400] [--concurrency 8]
 *
 * One coin across `--blocks` confirmed blocks of 1,000 transfers (a transfer of it every 10th block, the others
 * exclude it), inserted on the local server (127.0.0.1:5432) in a database of its own; a replica made with
 * pg_basebackup (test/support/pg-replica.ts). Prints reads per second and latency of GET /v1/coins/:slot/history
 * (whole history, verified once per mode with client/protocol), and the replica's lag from /v1/status after the
 * insert of one more block. The client runs in the same process as the server: on two cores the figures are the
 * machine's, not one node's.
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import {
  parseCoinHistoryResponseJson,
  signDigest,
  SparseMerkleTree,
  transactionDigestBytes,
  verifyCoinHistory,
  type Hash,
  type Transaction,
  type TransactionDomain,
} from '../client/protocol/index.ts';
import { slotToDb } from '../operator/db/codec.ts';
import { lagProbe } from '../operator/db/read-replica.ts';
import { Store, type BlockTransaction, type NewBlock } from '../operator/db/store.ts';
import { createApp } from '../operator/http/app.ts';
import { startReplica } from '../test/support/pg-replica.ts';
import { addressOf, privateKey, rng } from '../test/client/protocol/fixtures/helpers.ts';

const { values: flags } = parseArgs({ options: { blocks: { type: 'string', default: '200' }, requests: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '8' } } });
const int = (name: keyof typeof flags): number => {
  const value = Number(flags[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`--${name} must be a positive integer, got "${flags[name]}"`);
  return value;
};
const BLOCKS = int('blocks');
const REQUESTS = int('requests');
const CONCURRENCY = int('concurrency');
const SERVER = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const domain: TransactionDomain = { chainId: 31337n, verifyingContract: '0x00000000000000000000000000000000000c0ffe' };
const key = privateKey(1);
const owner = addressOf(key);
const slot = 0x0123_4567_89ab_cdefn;

/** The coin's history over BLOCKS blocks (bench/operator.ts's layout, smaller); returns the roots. */
async function fill(store: Store, from: number, to: number, roots: Map<bigint, Hash>): Promise<void> {
  const random = rng(from);
  const leaves = Array.from({ length: 999 }, () => ({ slot: random.uint64(), leaf: random.bytes(32), signature: random.bytes(65) }))
    .filter((leaf) => leaf.slot !== slot)
    .sort((a, b) => (a.slot < b.slot ? -1 : 1));
  const plain = SparseMerkleTree.build(leaves);
  let last = BigInt(Math.floor((from - 1) / 10) * 10 * 1000) || 1n;
  for (let k = from; k <= to; k++) {
    const number = BigInt(k) * 1000n;
    const items: BlockTransaction[] = leaves.map((leaf) => ({
      tx: { slot: leaf.slot, prevBlock: number - 1000n, denomination: 1n, newOwner: owner },
      signature: leaf.signature,
      digest: leaf.leaf,
      proof: plain.proofBytes(leaf.slot),
    }));
    let block: NewBlock = { number, root: plain.rootBytes, transactions: items };
    if (k % 10 === 0) {
      const tx: Transaction = { slot, prevBlock: last, denomination: 1n, newOwner: owner };
      const digest = transactionDigestBytes(tx, domain);
      const tree = SparseMerkleTree.build([...leaves, { slot, leaf: digest }]);
      const all = [...items.map((item) => ({ ...item, proof: tree.proofBytes(item.tx.slot) })), { tx, signature: signDigest(digest, key), digest, proof: tree.proofBytes(slot) }];
      all.sort((a, b) => (a.tx.slot < b.tx.slot ? -1 : 1));
      block = { number, root: tree.rootBytes, transactions: all };
      last = number;
    }
    await store.insertBlock(block, 'confirmed');
    roots.set(number, `0x${Buffer.from(block.root as Uint8Array).toString('hex')}` as Hash);
  }
}

async function serve(store: Store, reads: Store | undefined, lag?: () => Promise<import('../operator/db/read-replica.ts').ReplicaLag>) {
  const { app } = createApp({ store, ...(reads === undefined ? {} : { reads }), ...(lag === undefined ? {} : { replicaLag: lag }), domain, log: () => {}, limits: { maxHistoryEntries: 1_000_000 } });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function measure(label: string, url: string, roots: Map<bigint, Hash>): Promise<void> {
  const first = parseCoinHistoryResponseJson(await (await fetch(`${url}/v1/coins/${slot}/history`)).json());
  verifyCoinHistory({ deposit: { slot, ...first.deposit }, entries: first.entries, roots: (b) => roots.get(b), committedChildBlocks: { to: first.lastCommittedBlock }, domain });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < REQUESTS) {
      const t0 = performance.now();
      const response = await fetch(`${url}/v1/coins/${slot}/history`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  console.log(`${label.padEnd(8)} ${(REQUESTS / seconds).toFixed(0).padStart(6)} histories/s (${first.entries.length} entries each, verified), latency median ${at(0.5)} ms, p95 ${at(0.95)} ms, ${CONCURRENCY} in flight`);
}

const name = `plasma_bench_replica_${process.pid}`;
const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const store = Store.connect(`${SERVER}/${name}`, { max: 8 });
const replica = await startReplica();
try {
  await store.migrate();
  await store.sql`
    insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block)
    values (${slotToDb(slot)}, 'eth', ${Buffer.alloc(20)}, 1, ${Buffer.from(owner.slice(2), 'hex')}, 1, ${Buffer.from(owner.slice(2), 'hex')}, 1)`;
  const roots = new Map<bigint, Hash>();
  let t0 = performance.now();
  await fill(store, 1, BLOCKS, roots);
  await store.sql`vacuum analyze`;
  console.log(`load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}; ${BLOCKS} blocks of 1,000 inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  await replica.caughtUp(120_000);
  console.log(`replica (port ${replica.port}) caught up ${((performance.now() - t0) / 1000).toFixed(1)} s after the insert ended`);
  const reads = Store.connect(replica.url(name), { max: 8 });
  const probe = lagProbe(`${SERVER}/${name}`, replica.url(name));
  const onPrimary = await serve(store, undefined);
  const onReplica = await serve(store, reads, probe.lag);
  for (const round of [1, 2]) {
    await measure(`primary${round}`, onPrimary.url, roots);
    await measure(`replica${round}`, onReplica.url, roots);
  }
  // The lag as /v1/status reports it, sampled while one more block (1,000 rows and proofs) goes in.
  const inserting = fill(store, BLOCKS + 1, BLOCKS + 1, roots);
  const samples: string[] = [];
  for (let i = 0; i < 10; i++) {
    const status = (await (await fetch(`${onReplica.url}/v1/status`)).json()) as { readReplica: { lagBytes: number; lagSeconds: number } };
    samples.push(`${status.readReplica.lagBytes} B/${status.readReplica.lagSeconds.toFixed(3)} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await inserting;
  t0 = performance.now();
  await replica.caughtUp();
  console.log(`lag samples during one block's insert: ${samples.join(', ')}; caught up ${(performance.now() - t0).toFixed(0)} ms after it committed`);
  await onPrimary.close();
  await onReplica.close();
  await probe.close();
  await reads.close();
} finally {
  await store.close();
  await replica.stop();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
