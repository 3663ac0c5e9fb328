// Storage figures (not a test): `npx tsx bench/storage.ts [historyBlocks=1000]`.
// Creates and drops its own database. Leaves of other coins are synthetic (random digests and signatures,
// real proofs); the tracked coin's transfers are real and its history is verified with client/protocol.
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import {
  signDigest,
  SparseMerkleTree,
  transactionDigestBytes,
  verifyCoinHistory,
  type Hash,
  type Transaction,
} from '../client/protocol/index.ts';
import { Store, type BlockTransaction, type NewBlock } from '../operator/db/store.ts';
import { addressOf, DOMAIN, privateKey, rng } from '../test/client/protocol/fixtures/helpers.ts';

const SERVER = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const historyBlocks = Number(process.argv[2] ?? 1000);
const random = rng(7);

function syntheticBlock(number: bigint, size: number, extra: BlockTransaction[] = []): NewBlock {
  const slots = new Set<bigint>();
  while (slots.size < size) slots.add(random.uint64());
  const leaves = [...slots].map((slot) => ({ slot, leaf: random.bytes(32) }));
  const tree = SparseMerkleTree.build([...leaves, ...extra.map((item) => ({ slot: item.tx.slot, leaf: item.digest }))]);
  const transactions: BlockTransaction[] = leaves.map(({ slot, leaf }) => ({
    tx: { slot, prevBlock: number - 1000n, denomination: 1n, newOwner: `0x${'11'.repeat(20)}` },
    signature: random.bytes(65),
    digest: leaf,
    proof: tree.proofBytes(slot),
  }));
  for (const item of extra) transactions.push({ ...item, proof: tree.proofBytes(item.tx.slot) });
  return { number, root: tree.rootBytes, transactions };
}

const name = `plasma_bench_${process.pid}`;
const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const store = Store.connect(`${SERVER}/${name}`);
try {
  await store.migrate();
  for (const size of [10_000, 100_000]) {
    const block = syntheticBlock(BigInt(size) * 1000n, size);
    const start = performance.now();
    await store.insertBlock(block);
    console.log(`insert a block of ${size} transfers: ${(performance.now() - start).toFixed(0)} ms`);
  }
  await store.sql`delete from transactions`;
  await store.sql`delete from blocks`;

  // History: one real coin across `historyBlocks` blocks of 1,000 transfers; two synthetic trees reused.
  const key = privateKey(1);
  const owner = addressOf(key);
  const slot = 0x0123_4567_89ab_cdefn;
  const base = syntheticBlock(0n, 1000);
  const baseTree = SparseMerkleTree.build(base.transactions.map((item) => ({ slot: item.tx.slot, leaf: item.digest })));
  const roots = new Map<bigint, Hash>();
  let last = 1n;
  const insertStart = performance.now();
  for (let k = 1; k <= historyBlocks; k++) {
    const number = BigInt(k) * 1000n;
    let block: NewBlock;
    if (k % 10 === 0) {
      const tx: Transaction = { slot, prevBlock: last, denomination: 1n, newOwner: owner };
      const digest = transactionDigestBytes(tx, DOMAIN);
      const tree = SparseMerkleTree.build([...base.transactions.map((item) => ({ slot: item.tx.slot, leaf: item.digest })), { slot, leaf: digest }]);
      const transactions = base.transactions.map((item) => ({ ...item, proof: tree.proofBytes(item.tx.slot) }));
      transactions.push({ tx, signature: signDigest(digest, key), digest, proof: tree.proofBytes(slot) });
      block = { number, root: tree.rootBytes, transactions };
      last = number;
    } else {
      block = { number, root: baseTree.rootBytes, transactions: base.transactions };
    }
    await store.insertBlock(block, 'confirmed');
    roots.set(number, block.root instanceof Uint8Array ? (`0x${Buffer.from(block.root).toString('hex')}` as Hash) : block.root);
  }
  console.log(`inserted ${historyBlocks} blocks of ~1,000 transfers in ${((performance.now() - insertStart) / 1000).toFixed(1)} s`);
  await store.sql`vacuum analyze transactions`;

  const serveStart = performance.now();
  const { entries } = await store.coinHistory(slot, 1000n, BigInt(historyBlocks) * 1000n, historyBlocks);
  const served = performance.now() - serveStart;
  const verifyStart = performance.now();
  verifyCoinHistory({
    deposit: { slot, block: 1n, owner, denomination: 1n },
    entries,
    roots: (block) => roots.get(block),
    committedChildBlocks: { to: BigInt(historyBlocks) * 1000n },
    domain: DOMAIN,
    expectedOwner: owner,
  });
  const verified = performance.now() - verifyStart;
  console.log(`serve one coin's history over ${entries.length} blocks: ${served.toFixed(0)} ms (target ≤ 1000 ms at 10,000 blocks)`);
  console.log(`verify it with client/protocol: ${verified.toFixed(0)} ms (target ≤ 2000 ms at 10,000 blocks)`);
  const figures = await store.bytesPerTransfer();
  console.log(`storage: ${figures.bytesPerTransfer.toFixed(0)} bytes per transfer (${figures.rows} rows, ${(figures.bytes / 2 ** 20).toFixed(0)} MiB; target ≤ 1024)`);
} finally {
  await store.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
