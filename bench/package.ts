// Package size and receive time (issue 14 "Measure"): `npm run bench:package [-- --reps 3 --reps-b 1
// --block-transfers 100000 --coins 1000000 --move-every 100 --ages 30,90,365 --cadence 10]`.
//
// How the chain is made. No L1 and no operator: every block is synthesised as the coin's proof in it. In a block of
// B transfers on uniformly random slots, the coin's sibling at height d is a non-empty subtree with probability
// 1 − (1 − 2^(d−64))^(B−1); the bench draws each height with that probability, gives the non-empty ones random
// 32-byte hashes and takes the block's root from the proof with client/protocol's computeRootFromProof. That is the
// root of a block whose other leaves nobody knows, which is all a receiver ever sees. The model is checked first
// against real SparseMerkleTree builds (proof bytes per coin, printed). A checkpoint tree over C coins is made the
// same way (the leaf proof of a coin among C). Transactions are real EIP-712 transactions signed with two keys.
//
// What is timed is the receiver's own work with client/protocol: JSON.parse + the strict parser, or decodePackage
// of the binary form, then verifyCoinHistory (no checkpoint) or verifyCheckpointPackage (base, history after N,
// pending leaves); L1 reads are not (the roots are a Map here; bench/explorer.ts measures reading them).
//
// Parts: (A) a coin with 10,000 blocks of history, without a checkpoint and with one 1,000 blocks back; (B) the
// same coin on a chain a simulated 30, 90 and 365 days old at --cadence s per block, with the real default
// periods (EXIT_PERIOD 7 d, RESPONSE_PERIOD 1 d, a checkpoint every RESPONSE_PERIOD) and the base as old as it can
// be (EXIT_PERIOD + spacing); (C) the largest package at 10,000 transfers a second for each block cadence.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  bytesToHex,
  checkpointHistoryResponseToJson,
  checkpointLeaf,
  coinHistoryResponseToJson,
  computeRootFromProof,
  decodePackage,
  encodePackage,
  parseCheckpointHistoryResponseJson,
  parseCoinHistoryResponseJson,
  signDigest,
  SparseMerkleTree,
  transactionDigestBytes,
  verifyCheckpointPackage,
  verifyCoinHistory,
  type CheckpointHistoryResponse,
  type CheckpointLeafObject,
  type CheckpointRecord,
  type CoinHistoryResponse,
  type Hash,
  type Hex,
  type HistoryEntry,
  type Transaction,
  type TransactionDomain,
} from '../client/protocol/index.ts';
import { addressOf, privateKey } from '../test/client/protocol/fixtures/helpers.ts';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1]!;
}
let reps = Number(option('reps', '3'));
/** Part B's packages take a minute each to verify on a loaded machine: timed fewer times. */
const repsB = Number(option('reps-b', '1'));
const blockTransfers = Number(option('block-transfers', '100000'));
const coins = Number(option('coins', '1000000'));
const moveEvery = Number(option('move-every', '100'));
const ages = option('ages', '30,90,365').split(',').map(Number);
const cadence = Number(option('cadence', '10'));
const EXIT_PERIOD = 7 * 86_400;
const RESPONSE_PERIOD = 86_400;
const TARGET_BYTES = 40e6;
const INTERVAL = 1000n;
const domain: TransactionDomain = { chainId: 1n, verifyingContract: '0x00000000000000000000000000000000000c0ffe' };
const keys = [privateKey(1), privateKey(2)];
const owners = keys.map(addressOf);
const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// ---- the proof model

/** P(the sibling at height d is non-empty) for a coin in a tree with `others` other uniformly random leaves. */
const siblingOdds = (others: number): number[] => Array.from({ length: 64 }, (_, d) => -Math.expm1(others * Math.log1p(-(2 ** (d - 64)))));
const expectedSiblings = (others: number): number => siblingOdds(others).reduce((a, b) => a + b, 0);

/** A proof of a coin in a tree of `others` other random leaves: the bitmap drawn by siblingOdds, random siblings. */
function modelProof(odds: readonly number[]): Uint8Array {
  let bitmap = 0n;
  let count = 0;
  for (let d = 0; d < 64; d++) {
    if (Math.random() < odds[d]!) {
      bitmap |= 1n << BigInt(d);
      count++;
    }
  }
  const proof = new Uint8Array(8 + 32 * count);
  new DataView(proof.buffer).setBigUint64(0, bitmap);
  proof.set(randomBytes(32 * count), 8);
  return proof;
}

function calibrate(): void {
  for (const leaves of [10_000, 100_000]) {
    const slots = Array.from({ length: leaves }, () => new DataView(randomBytes(8).buffer).getBigUint64(0));
    const tree = SparseMerkleTree.build(slots.map((slot) => ({ slot, leaf: bytesToHex(randomBytes(32)) })));
    let bytes = 0;
    const sample = 1000;
    for (let i = 0; i < sample; i++) bytes += (tree.proof(slots[i]!).length - 2) / 2;
    console.log(`model check, ${leaves.toLocaleString('en')} leaves: real SparseMerkleTree ${(bytes / sample).toFixed(1)} proof bytes per coin, model ${(8 + 32 * expectedSiblings(leaves - 1)).toFixed(1)}`);
  }
}

// ---- a synthetic coin

interface Chain {
  readonly slot: bigint;
  readonly depositBlock: bigint;
  readonly denomination: bigint;
  readonly roots: Map<bigint, Hash>;
  /** Every transaction of the coin, by block. */
  readonly links: { block: bigint; tx: Transaction; signature: Hex; digest: Uint8Array; proof: Hex }[];
}

function newChain(): Chain {
  return { slot: new DataView(randomBytes(8).buffer).getBigUint64(0), depositBlock: 1n, denomination: 10n ** 18n, roots: new Map(), links: [] };
}

/** The coin's entries for child blocks [from, to] (it moves in every `every`-th block), with their roots. */
function grow(chain: Chain, from: bigint, to: bigint, every: number): HistoryEntry[] {
  const odds = siblingOdds(blockTransfers - 1);
  const entries: HistoryEntry[] = [];
  for (let block = from; block <= to; block += INTERVAL) {
    const proof = modelProof(odds);
    if (Number(block / INTERVAL) % every === 0) {
      const last = chain.links[chain.links.length - 1];
      const holder = chain.links.length % 2; // alternates: key 0 deposited, so key 0 signs the first move
      const tx: Transaction = { slot: chain.slot, prevBlock: last?.block ?? chain.depositBlock, denomination: chain.denomination, newOwner: owners[1 - holder]! };
      const digest = transactionDigestBytes(tx, domain);
      const signature = signDigest(digest, keys[holder]!);
      chain.links.push({ block, tx, signature, digest, proof: bytesToHex(proof) });
      chain.roots.set(block, bytesToHex(computeRootFromProof(chain.slot, digest, proof)));
      entries.push({ block, kind: 'inclusion', transaction: tx, signature, proof: bytesToHex(proof) });
    } else {
      chain.roots.set(block, bytesToHex(computeRootFromProof(chain.slot, new Uint8Array(32), proof)));
      entries.push({ block, kind: 'exclusion', proof: bytesToHex(proof) });
    }
  }
  return entries;
}

/** The coin's leaf in a synthetic checkpoint over `coins` coins at child block n, and L1's record of it. */
function leafAt(chain: Chain, k: bigint, n: bigint, status: 'final' | 'pending'): { leaf: CheckpointLeafObject; record: CheckpointRecord } {
  const link = [...chain.links].reverse().find((l) => l.block <= n)!;
  const txBlock = link.block;
  const leafHash = checkpointLeaf(txBlock, link.digest);
  const leafProof = modelProof(siblingOdds(coins - 1));
  const root = bytesToHex(computeRootFromProof(chain.slot, leafHash, leafProof));
  const leaf: CheckpointLeafObject = {
    checkpoint: k, block: n, slot: chain.slot, leaf: bytesToHex(leafHash), leafProof: bytesToHex(leafProof), txBlock, transaction: link.tx,
    // The checkpointed transaction's inclusion proof is the one of its block (made by grow, root on "L1").
    signature: link.signature, proof: link.proof, status, finalAt: 1n,
  };
  return { leaf, record: { root, block: n, leafStatus: status } };
}

// ---- measuring

interface Figures {
  jsonBytes: number;
  binaryBytes: number;
  entries: number;
  jsonMs: { parse: number; verify: number };
  binaryMs: { parse: number; verify: number };
}

function measure(label: string, response: CoinHistoryResponse | CheckpointHistoryResponse, verify: (entries: CoinHistoryResponse | CheckpointHistoryResponse) => void): Figures {
  const isPackage = 'pending' in response;
  const json = JSON.stringify(isPackage ? checkpointHistoryResponseToJson(response) : coinHistoryResponseToJson(response));
  const binary = encodePackage(response);
  const jsonParse: number[] = [];
  const jsonVerify: number[] = [];
  const binaryParse: number[] = [];
  const binaryVerify: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    let start = performance.now();
    const fromJson = isPackage ? parseCheckpointHistoryResponseJson(JSON.parse(json)) : parseCoinHistoryResponseJson(JSON.parse(json));
    jsonParse.push(performance.now() - start);
    start = performance.now();
    verify(fromJson);
    jsonVerify.push(performance.now() - start);
    start = performance.now();
    const fromBinary = decodePackage(binary);
    binaryParse.push(performance.now() - start);
    start = performance.now();
    verify(fromBinary);
    binaryVerify.push(performance.now() - start);
  }
  const figures: Figures = {
    jsonBytes: Buffer.byteLength(json),
    binaryBytes: binary.length,
    entries: response.entries.length,
    jsonMs: { parse: median(jsonParse), verify: median(jsonVerify) },
    binaryMs: { parse: median(binaryParse), verify: median(binaryVerify) },
  };
  console.log(
    `${label}: ${figures.entries.toLocaleString('en')} entries; JSON ${mb(figures.jsonBytes)}, parse ${figures.jsonMs.parse.toFixed(0)} ms + verify ${figures.jsonMs.verify.toFixed(0)} ms; ` +
      `binary ${mb(figures.binaryBytes)}, decode ${figures.binaryMs.parse.toFixed(0)} ms + verify ${figures.binaryMs.verify.toFixed(0)} ms (median of ${reps}; load ${load()})`,
  );
  return figures;
}

function historyOf(chain: Chain, entries: HistoryEntry[], last: bigint): CoinHistoryResponse {
  return { slot: chain.slot, deposit: { block: chain.depositBlock, owner: owners[0]!, denomination: chain.denomination }, lastCommittedBlock: last, entries };
}

function verifyPlain(chain: Chain, last: bigint) {
  return (response: CoinHistoryResponse) => {
    const state = verifyCoinHistory({ deposit: { slot: chain.slot, ...response.deposit }, entries: response.entries, roots: (b) => chain.roots.get(b), committedChildBlocks: { to: last }, domain });
    if (state.coveredThrough !== last) throw new Error('the history did not reach the last block');
  };
}

/**
 * A package on a chain whose head is `head`, checkpoints every `spacing` blocks (k = N / spacing / 1000), final
 * once `period` blocks old: the base is the newest final one, the pending ones after it.
 */
function checkpointed(chain: Chain, head: bigint, spacing: bigint, period: bigint, every: number, baseAge?: bigint): { response: CheckpointHistoryResponse; verify: (r: CoinHistoryResponse) => void } {
  const step = spacing * INTERVAL;
  const baseN = baseAge === undefined ? ((head - period * INTERVAL) / step) * step : head - baseAge * INTERVAL;
  // The coin's life before the base: only its transactions matter (the leaf names the last one); a busy coin
  // moved in the base's own block.
  chain.links.length = 0;
  const start = baseN - BigInt(every) * INTERVAL * 3n > 0n ? baseN - BigInt(every) * INTERVAL * 3n : INTERVAL;
  grow(chain, start - (start % INTERVAL), baseN, every);
  const records = new Map<bigint, CheckpointRecord>();
  const base = leafAt(chain, baseN / step, baseN, 'final');
  records.set(base.leaf.checkpoint, base.record);
  const entries = grow(chain, baseN + INTERVAL, head, every);
  const pending: CheckpointLeafObject[] = [];
  for (let n = baseN + step; n <= head; n += step) {
    const { leaf, record } = leafAt(chain, n / step, n, 'pending');
    pending.push(leaf);
    records.set(leaf.checkpoint, record);
  }
  const response: CheckpointHistoryResponse = { ...historyOf(chain, entries, head), checkpoint: base.leaf, pending };
  const verify = (r: CoinHistoryResponse) => {
    const p = r as CheckpointHistoryResponse;
    const result = verifyCheckpointPackage({
      deposit: { slot: chain.slot, ...p.deposit },
      package: p,
      roots: (b) => chain.roots.get(b),
      checkpoints: (k) => records.get(k),
      pendingOnL1: pending.map((leaf) => leaf.checkpoint),
      committedChildBlocks: { to: head },
      domain,
    });
    if (result.pending.some((leaf) => leaf.verdict !== 'names_chain')) throw new Error('a pending leaf does not name the chain');
  };
  return { response, verify };
}

console.log(`bench/package.ts: blocks of ${blockTransfers.toLocaleString('en')} transfers, checkpoints over ${coins.toLocaleString('en')} coins; load before ${load()}`);
calibrate();

// (A) 10,000 blocks of history
console.log(`\n(A) a coin with 10,000 blocks of history, moving every ${moveEvery} blocks`);
const a = newChain();
const all = grow(a, INTERVAL, 10_000n * INTERVAL, moveEvery);
const without = measure('A1 no checkpoint (the whole history)', historyOf(a, all, 10_000n * INTERVAL), verifyPlain(a, 10_000n * INTERVAL));
const aPackage = checkpointed(newChain(), 10_000n * INTERVAL, 500n, 500n, moveEvery, 1000n);
const withCheckpoint = measure('A2 with a checkpoint 1,000 blocks back, 2 pending after it', aPackage.response, aPackage.verify);

// (B) a chain a simulated year old, at the real default periods
reps = repsB;
const period = BigInt(Math.ceil(EXIT_PERIOD / cadence));
const spacing = BigInt(Math.ceil(RESPONSE_PERIOD / cadence));
console.log(`\n(B) the coin on a chain 30–365 days old: a block every ${cadence} s of ${blockTransfers.toLocaleString('en')} transfers, a checkpoint every ${spacing} blocks, final after ${period}; the base ${period + spacing - 1n} blocks back (the oldest it can be)`);
const bFigures: { age: number; busy: Figures; typical: Figures; entryBytes: { json: number; binary: number } }[] = [];
for (const days of ages) {
  const head = BigInt(Math.floor((days * 86_400) / cadence)) * INTERVAL;
  const busy = checkpointed(newChain(), head, spacing, period, 1, period + spacing - 1n);
  const busyFigures = measure(`B ${days} days, a coin that moves in every block`, busy.response, busy.verify);
  const typical = checkpointed(newChain(), head, spacing, period, moveEvery, period + spacing - 1n);
  const typicalFigures = measure(`B ${days} days, a coin that moves every ${moveEvery} blocks`, typical.response, typical.verify);
  // Without a checkpoint the same coin's history is every block since its deposit: its size from this run's
  // bytes per entry (building years of entries in memory would say nothing more).
  const perEntry = { json: typicalFigures.jsonBytes / typicalFigures.entries, binary: typicalFigures.binaryBytes / typicalFigures.entries };
  bFigures.push({ age: days, busy: busyFigures, typical: typicalFigures, entryBytes: perEntry });
}

// (C) the largest package at 10,000 transfers a second, by cadence
console.log('\n(C) the largest package (a coin that moves in every block) at 10,000 transfers/s, base EXIT_PERIOD + spacing = 8 days old');
// Entry sizes: binary is exact (kind 1, block 8, transaction 92, signature 65, proof length 2, proof 8 + 32 s);
// JSON's fixed part is measured from this run's busy package (its bytes minus 64 hex digits per sibling).
const busy = bFigures[bFigures.length - 1]!.busy;
const busySiblings = expectedSiblings(blockTransfers - 1);
const jsonFixed = busy.jsonBytes / busy.entries - 2 * (8 + 32 * busySiblings);
const rows: string[] = [];
let needBinary: number | undefined;
let needJson: number | undefined;
for (const seconds of [1, 2, 5, 10, 12, 13, 15, 20, 25, 30, 60]) {
  const transfers = 10_000 * seconds;
  const entries = Math.ceil((EXIT_PERIOD + RESPONSE_PERIOD) / seconds);
  const proof = 8 + 32 * expectedSiblings(transfers - 1);
  const binary = entries * (1 + 8 + 92 + 65 + 2 + proof);
  const json = entries * (jsonFixed + 2 * proof);
  if (needBinary === undefined && binary <= TARGET_BYTES) needBinary = seconds;
  if (needJson === undefined && json <= TARGET_BYTES) needJson = seconds;
  rows.push(`| ${seconds} s | ${transfers.toLocaleString('en')} | ${entries.toLocaleString('en')} | ${proof.toFixed(0)} B | ${mb(json)} | ${mb(binary)} |`);
}

console.log('\n| case | entries | JSON | binary | receive, JSON (parse + verify) | receive, binary (decode + verify) |');
console.log('|---|---|---|---|---|---|');
const row = (label: string, f: Figures) =>
  console.log(`| ${label} | ${f.entries.toLocaleString('en')} | ${mb(f.jsonBytes)} | ${mb(f.binaryBytes)} | ${(f.jsonMs.parse + f.jsonMs.verify).toFixed(0)} ms (${f.jsonMs.parse.toFixed(0)} + ${f.jsonMs.verify.toFixed(0)}) | ${(f.binaryMs.parse + f.binaryMs.verify).toFixed(0)} ms (${f.binaryMs.parse.toFixed(0)} + ${f.binaryMs.verify.toFixed(0)}) |`);
row(`10,000 blocks, no checkpoint (moves every ${moveEvery})`, without);
row('10,000 blocks, checkpoint 1,000 blocks back', withCheckpoint);
for (const b of bFigures) {
  row(`${b.age} days old, checkpoint, moves every block`, b.busy);
  row(`${b.age} days old, checkpoint, moves every ${moveEvery}`, b.typical);
}
console.log('\n| chain age | with a checkpoint (binary, busiest coin) | without a checkpoint (binary) | without (JSON) |');
console.log('|---|---|---|---|');
for (const b of bFigures) {
  const blocks = Math.floor((b.age * 86_400) / cadence);
  console.log(`| ${b.age} days (${blocks.toLocaleString('en')} blocks) | ${mb(b.busy.binaryBytes)} | ${mb(blocks * b.entryBytes.binary)} | ${mb(blocks * b.entryBytes.json)} |`);
}
console.log('\n| cadence | transfers per block | entries in 8 days | proof | largest package, JSON | largest package, binary |');
console.log('|---|---|---|---|---|---|');
rows.forEach((line) => console.log(line));
console.log(`\nto stay ≤ 40 MB: a block every ≥ ${needBinary ?? '>60'} s with the binary package, ≥ ${needJson ?? '>60'} s with JSON (model; measured at ${cadence} s: ${mb(busy.binaryBytes)} binary, ${mb(busy.jsonBytes)} JSON)`);
