/**
 * Throughput of the protocol primitives (npx tsx bench/protocol.ts). Each measurement runs several times and
 * reports the best and the median wall time, plus the best CPU time of this process, which is less disturbed
 * when other processes compete for the cores.
 */
import { loadavg } from 'node:os';
import { keccak256 as ethersKeccak, recoverAddress } from 'ethers';
import {
  bytesToHex,
  CoinHistoryVerifier,
  computeRootFromProof,
  keccak256Pair,
  recoverTransactionSigner,
  signDigest,
  SparseMerkleTree,
  transactionDigest,
  verifyCoinHistory,
  verifyProof,
  type Address,
  type Hash,
  type Hex,
  type HistoryEntry,
  type Transaction,
  type TransactionDomain,
} from '../client/protocol/index.ts';
import { keccak256Into } from '../client/protocol/keccak.ts';

const domain: TransactionDomain = { chainId: 31337n, verifyingContract: '0x00000000000000000000000000000000000c0ffe' };

let seed = 0x9e3779b97f4a7c15n;
function random64(): bigint {
  seed ^= seed << 13n;
  seed &= (1n << 64n) - 1n;
  seed ^= seed >> 7n;
  seed ^= (seed << 17n) & ((1n << 64n) - 1n);
  return seed;
}
function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 8) new DataView(out.buffer).setBigUint64(i, random64());
  return out;
}

interface Durations {
  /** Wall-clock ms per run, sorted. */
  readonly wall: number[];
  /** CPU ms of this process per run, sorted: steadier than wall time when the machine is busy. */
  readonly cpu: number[];
}

/** Runs `fn` `runs` times and records each run's wall and CPU time. */
function time(runs: number, fn: () => void): Durations {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const startCpu = process.cpuUsage();
    const start = performance.now();
    fn();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  const ascending = (a: number, b: number) => a - b;
  return { wall: wall.sort(ascending), cpu: cpu.sort(ascending) };
}

const median = (values: number[]) => values[Math.floor(values.length / 2)]!;
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000).toLocaleString('en-US');
function reportRate(label: string, count: number, { wall, cpu }: Durations): void {
  console.log(
    `${label.padEnd(54)} best ${rate(count, wall[0]!).padStart(10)}/s  median ${rate(count, median(wall)).padStart(10)}/s  best-cpu ${rate(count, cpu[0]!).padStart(10)}/s`,
  );
}
function reportTime(label: string, { wall, cpu }: Durations): void {
  console.log(
    `${label.padEnd(54)} best ${wall[0]!.toFixed(0).padStart(8)} ms  median ${median(wall).toFixed(0).padStart(8)} ms  best-cpu ${cpu[0]!.toFixed(0).padStart(8)} ms`,
  );
}

const load = loadavg()[0]!;
console.log(`node ${process.version}, one core; 1-minute load average ${load.toFixed(2)} (numbers drop on a busy machine)\n`);

// ---- keccak of 64 bytes (one tree node)
{
  const left = randomBytes(32);
  const right = randomBytes(32);
  const both = new Uint8Array(64);
  both.set(left);
  both.set(right, 32);
  const out = new Uint8Array(32);
  const count = 500_000;
  reportRate('keccak256(64 B) hash-wasm, keccak256Pair', count, time(5, () => { for (let i = 0; i < count; i++) keccak256Pair(left, right); }));
  reportRate('keccak256(64 B) hash-wasm, in place (tree path)', count, time(5, () => { for (let i = 0; i < count; i++) keccak256Into(both, 0, out, 0); }));
  const small = 100_000;
  reportRate('keccak256(64 B) ethers (@noble/hashes, hex out)', small, time(5, () => { for (let i = 0; i < small; i++) ethersKeccak(both); }));
  try {
    const noble = (await import('@noble/hashes/sha3.js' as string)) as { keccak_256: (data: Uint8Array) => Uint8Array };
    reportRate('keccak256(64 B) @noble/hashes keccak_256, bytes out', small, time(5, () => { for (let i = 0; i < small; i++) noble.keccak_256(both); }));
  } catch {
    console.log('keccak256(64 B) @noble/hashes direct: not importable here, skipped');
  }
}

// ---- ecrecover
{
  const samples = Array.from({ length: 2000 }, (_, i) => {
    const digest = bytesToHex(randomBytes(32));
    return { digest, signature: signDigest(digest, bytesToHex(randomBytes(32)) as Hex), i };
  });
  reportRate('ecrecover secp256k1 native (recoverTransactionSigner)', samples.length, time(5, () => { for (const s of samples) recoverTransactionSigner(s.digest, s.signature); }));
  const few = samples.slice(0, 300);
  reportRate('ecrecover ethers recoverAddress (@noble/curves)', few.length, time(3, () => { for (const s of few) recoverAddress(s.digest, s.signature); }));
}

// ---- tree build, proofs
let bigTree: SparseMerkleTree | undefined;
let bigLeaves: Array<{ slot: bigint; leaf: Uint8Array }> = [];
for (const [size, runs] of [[1_000, 5], [10_000, 5], [100_000, 3]] as const) {
  const leaves = Array.from({ length: size }, () => ({ slot: random64(), leaf: randomBytes(32) }));
  reportTime(`tree build, ${size.toLocaleString('en-US')} random leaves`, time(runs, () => { bigTree = SparseMerkleTree.build(leaves); }));
  bigLeaves = leaves;
}
{
  const tree = bigTree!;
  const slots = bigLeaves.slice(0, 20_000).map((leaf) => leaf.slot);
  reportRate('inclusion proofs generated (100k-leaf tree)', slots.length, time(5, () => { for (const slot of slots) tree.proofBytes(slot); }));
  const absent = Array.from({ length: 5_000 }, () => random64());
  reportRate('exclusion proofs generated (100k-leaf tree)', absent.length, time(5, () => { for (const slot of absent) tree.proofBytes(slot); }));
  const proofs = bigLeaves.slice(0, 5_000).map(({ slot, leaf }) => ({ slot, leaf, proof: tree.proofBytes(slot) }));
  reportRate('inclusion proofs verified (64 hashes each)', proofs.length, time(5, () => { for (const p of proofs) verifyProof(tree.rootBytes, p.slot, p.leaf, p.proof); }));
  const exclusions = absent.map((slot) => ({ slot, proof: tree.proofBytes(slot) }));
  const zero = new Uint8Array(32);
  reportRate('exclusion proofs verified', exclusions.length, time(5, () => { for (const p of exclusions) verifyProof(tree.rootBytes, p.slot, zero, p.proof); }));
}

// ---- history of one coin over 10,000 child blocks
{
  // Synthetic blocks: each proof has 17 random non-default siblings (what a 100k-leaf block gives) and the root
  // is whatever that proof implies, so verification does exactly the work it would on real blocks.
  const slot = random64();
  const keys = Array.from({ length: 8 }, () => bytesToHex(randomBytes(32)) as Hex);
  const { computeAddress } = await import('ethers');
  const owners = keys.map((key) => computeAddress(key).toLowerCase() as Address);
  const deposit = { slot, block: 1n, owner: owners[0]!, denomination: 10n ** 18n };
  const roots = new Map<bigint, Hash>();
  const entries: HistoryEntry[] = [];
  let owner = 0;
  let prevBlock = deposit.block;
  const syntheticProof = (): Uint8Array => {
    const heights = new Set<number>();
    while (heights.size < 17) heights.add(Number(random64() % 64n));
    let bitmap = 0n;
    for (const d of heights) bitmap |= 1n << BigInt(d);
    const proof = new Uint8Array(8 + 32 * heights.size);
    new DataView(proof.buffer).setBigUint64(0, bitmap);
    proof.set(randomBytes(32 * heights.size), 8);
    return proof;
  };
  for (let i = 1; i <= 10_000; i++) {
    const block = BigInt(i) * 1000n;
    const proof = syntheticProof();
    if (i % 10 === 0) {
      // The coin changes hands every 10th block: 1,000 transfers in the history.
      const next = (owner + 1) % owners.length;
      const tx: Transaction = { slot, prevBlock, denomination: deposit.denomination, newOwner: owners[next]! };
      const digest = transactionDigest(tx, domain);
      roots.set(block, bytesToHex(computeRootFromProof(slot, digest, proof)));
      entries.push({ block, kind: 'inclusion', transaction: tx, signature: signDigest(digest, keys[owner]!), proof: bytesToHex(proof) });
      owner = next;
      prevBlock = block;
    } else {
      roots.set(block, bytesToHex(computeRootFromProof(slot, new Uint8Array(32), proof)));
      entries.push({ block, kind: 'exclusion', proof: bytesToHex(proof) });
    }
  }
  const input = { deposit, entries, roots: (block: bigint) => roots.get(block), committedChildBlocks: { to: 10_000_000n }, domain };
  reportTime('history of 10,000 blocks (1,000 transfers)', time(5, () => { verifyCoinHistory(input); }));
  reportTime('same, block by block with CoinHistoryVerifier', time(3, () => {
    const verifier = new CoinHistoryVerifier({ deposit, roots: input.roots, domain });
    for (const entry of entries) verifier.apply(entry);
  }));
}
