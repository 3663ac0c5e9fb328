/**
 * Writes the shared test vectors that the Foundry tests check byte for byte against the Solidity tree and
 * digest (contracts/test/vectors/*.json). Deterministic: keys, slots and leaves come from keccak of fixed labels,
 * never from Math.random, so regenerating gives identical files; test/client/protocol/vectors.test.ts fails on drift.
 *
 *   npx tsx scripts/generate-vectors.ts
 *
 * All protocol uints are decimal strings (JSON numbers lose precision above 2^53); counts are plain numbers.
 * contracts/test/Vectors.t.sol rebuilds the leaves from the same labels ("plasma-cash/vectors/<label>") and knows
 * the cases by name and position: change a label, a name or the order only together with that test.
 *
 * verifyingContract is the fixed address 0x…0c0ffe: the Foundry test deploys PlasmaCash there with
 * deployCodeTo so that its domain separator equals the one below.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bytesToHex,
  DEFAULT_HASHES_HEX,
  domainSeparator,
  keccak256,
  recoverTransactionSigner,
  signDigest,
  SparseMerkleTree,
  TRANSACTION_TYPEHASH,
  transactionDigest,
  UINT256_MAX,
  UINT64_MAX,
  type Address,
  type Hex,
  type Transaction,
  type TransactionDomain,
} from '../client/protocol/index.ts';

export const VECTOR_DOMAIN: TransactionDomain = {
  chainId: 31337n,
  verifyingContract: '0x00000000000000000000000000000000000c0ffe',
};

const encoder = new TextEncoder();

/** 32 pseudo-random bytes named by a label: the only source of "randomness" in the vectors. */
export function derivedBytes(label: string): Uint8Array {
  return keccak256(encoder.encode(`plasma-cash/vectors/${label}`));
}

export function derivedUint64(label: string): bigint {
  return new DataView(derivedBytes(label).buffer).getBigUint64(0);
}

/** Fixed private keys (keccak of a label: always in [1, n-1] in practice, and checked by signDigest). */
export const VECTOR_KEYS: readonly Hex[] = Array.from({ length: 4 }, (_, i) => bytesToHex(derivedBytes(`key/${i}`)));

interface SmtCase {
  readonly name: string;
  readonly slots: readonly bigint[];
  readonly inclusions: readonly bigint[];
  readonly exclusions: readonly bigint[];
}

function smtCases(): SmtCase[] {
  const max = UINT64_MAX;
  const pair = derivedUint64('adjacent') & ~1n;
  const random = [...new Set(Array.from({ length: 1000 }, (_, i) => derivedUint64(`random-slot/${i}`)))];
  const randomSet = new Set(random);
  // Absent slots: arbitrary ones and next-door neighbours of present ones (their exclusion proofs need the
  // sibling subtree that holds just that neighbour).
  const absent = [
    ...Array.from({ length: 10 }, (_, i) => derivedUint64(`absent-slot/${i}`)),
    ...random.slice(0, 10).map((slot) => slot ^ 1n),
  ].filter((slot) => !randomSet.has(slot));
  const center = derivedUint64('max-bitmap-center');
  const maxBitmap = [center, ...Array.from({ length: 64 }, (_, d) => center ^ (1n << BigInt(d)))];
  const dense = Array.from({ length: 256 }, (_, i) => BigInt(i));
  return [
    { name: 'empty tree', slots: [], inclusions: [], exclusions: [0n, 1n, 1n << 63n, max] },
    { name: 'single leaf at slot 0', slots: [0n], inclusions: [0n], exclusions: [1n, 1n << 63n, max] },
    { name: 'single leaf at slot 2^64-1', slots: [max], inclusions: [max], exclusions: [0n, max - 1n] },
    { name: 'two adjacent slots 2k and 2k+1', slots: [pair, pair + 1n], inclusions: [pair, pair + 1n], exclusions: [pair - 1n, pair + 2n, 0n] },
    { name: 'slots 0 and 2^64-1', slots: [0n, max], inclusions: [0n, max], exclusions: [1n, (1n << 63n) - 1n, 1n << 63n, max - 1n] },
    { name: '256 consecutive slots 0..255', slots: dense, inclusions: [0n, 1n, 127n, 128n, 255n], exclusions: [256n, 511n, max] },
    { name: '1000 pseudo-random slots', slots: random, inclusions: random.slice(0, 20), exclusions: absent },
    { name: 'maximal bitmap: every sibling of one slot is non-default', slots: maxBitmap, inclusions: [center, center ^ 1n, center ^ (1n << 63n)], exclusions: [center ^ 3n] },
  ];
}

export function buildSmtVectors() {
  const cases = smtCases().map((spec) => {
    const tree = SparseMerkleTree.build(spec.slots.map((slot) => ({ slot, leaf: derivedBytes(`leaf/${spec.name}/${slot}`) })));
    const proofs = [...spec.inclusions, ...spec.exclusions].map((slot) => ({
      slot: slot.toString(),
      leaf: tree.leaf(slot),
      proof: tree.proof(slot),
    }));
    return { name: spec.name, leafCount: tree.size, root: tree.root, proofCount: proofs.length, proofs };
  });
  return { defaults: [...DEFAULT_HASHES_HEX], caseCount: cases.length, cases };
}

function vectorTransactions(): Array<{ tx: Transaction; key: Hex }> {
  const owners: Address[] = ['0x0000000000000000000000000000000000000000', '0xffffffffffffffffffffffffffffffffffffffff'];
  const txs: Transaction[] = [
    { slot: 0n, prevBlock: 0n, denomination: 1n, newOwner: owners[0]! },
    { slot: UINT64_MAX, prevBlock: UINT256_MAX, denomination: UINT256_MAX, newOwner: owners[1]! },
    { slot: 1n, prevBlock: 1001n, denomination: 10n ** 18n, newOwner: '0x000000000000000000000000000000000000dead' },
    { slot: 1n << 63n, prevBlock: 1000n, denomination: 1n, newOwner: '0x1111111111111111111111111111111111111111' },
    { slot: UINT64_MAX, prevBlock: 0n, denomination: UINT256_MAX, newOwner: owners[0]! },
  ];
  for (let i = 0; i < 7; i++) {
    txs.push({
      slot: derivedUint64(`tx/${i}/slot`),
      prevBlock: BigInt(i * 1000 + (i % 3)),
      denomination: BigInt(bytesToHex(derivedBytes(`tx/${i}/denomination`))) >> BigInt(8 * (i * 4)),
      newOwner: bytesToHex(derivedBytes(`tx/${i}/owner`).subarray(12)),
    });
  }
  return txs.map((tx, i) => ({ tx, key: VECTOR_KEYS[i % VECTOR_KEYS.length]! }));
}

export function buildTransactionVectors() {
  const transactions = vectorTransactions().map(({ tx, key }) => {
    const digest = transactionDigest(tx, VECTOR_DOMAIN);
    const signature = signDigest(digest, key);
    return {
      slot: tx.slot.toString(),
      prevBlock: tx.prevBlock.toString(),
      denomination: tx.denomination.toString(),
      newOwner: tx.newOwner,
      digest,
      signer: recoverTransactionSigner(digest, signature),
      signature,
    };
  });
  return {
    chainId: VECTOR_DOMAIN.chainId.toString(),
    verifyingContract: VECTOR_DOMAIN.verifyingContract,
    domainSeparator: domainSeparator(VECTOR_DOMAIN),
    typehash: TRANSACTION_TYPEHASH,
    count: transactions.length,
    transactions,
  };
}

export const VECTORS_DIR = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'contracts', 'test', 'vectors');

/** File name → exact file contents. */
export function renderVectorFiles(): Record<string, string> {
  const render = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return { 'smt.json': render(buildSmtVectors()), 'transactions.json': render(buildTransactionVectors()) };
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  for (const [name, contents] of Object.entries(renderVectorFiles())) {
    writeFileSync(path.join(VECTORS_DIR, name), contents);
    console.log(`wrote ${path.relative(process.cwd(), path.join(VECTORS_DIR, name))} (${contents.length} bytes)`);
  }
}
