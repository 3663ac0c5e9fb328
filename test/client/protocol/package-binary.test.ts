// The binary package (client/protocol/package-binary.ts): decode(encode(x)) == x over seeded random packages of
// both forms, the encoding is canonical, every truncation and each kind of structural corruption is a
// PackageFormatError naming the field and byte, and a corrupted proof byte decodes but fails verification.
import t from 'tap';
import {
  decodePackage,
  encodePackage,
  HistoryError,
  PackageFormatError,
  signDigest,
  SparseMerkleTree,
  transactionDigestBytes,
  verifyCoinHistory,
  ZERO_HASH,
  bytesToHex,
  type CheckpointLeafObject,
  type DecodedPackage,
  type Hash,
  type Hex,
  type HistoryEntry,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { addressOf, DOMAIN, privateKey, rng } from './fixtures/helpers.ts';

type Random = ReturnType<typeof rng>;

/** A well-formed §3 proof: a random bitmap and one random sibling per set bit. */
function randomProof(random: Random): Hex {
  const bitmap = random.uint64() & random.uint64(); // about 16 siblings, like a busy block
  let siblings = 0;
  for (let b = bitmap; b > 0n; b >>= 1n) siblings += Number(b & 1n);
  const bytes = new Uint8Array(8 + 32 * siblings);
  new DataView(bytes.buffer).setBigUint64(0, bitmap);
  bytes.set(random.bytes(32 * siblings), 8);
  return bytesToHex(bytes);
}
const address = (random: Random) => bytesToHex(random.bytes(20)) as `0x${string}`;
const block = (random: Random) => random.uint64() >> BigInt(random.int(64));
function randomTransaction(random: Random): Transaction {
  return { slot: random.uint64(), prevBlock: random.int(4) === 0 ? random.uint256() : block(random), denomination: random.uint256() >> BigInt(random.int(256)), newOwner: address(random) };
}
function randomEntry(random: Random): HistoryEntry {
  if (random.int(3) === 0) return { block: block(random), kind: 'exclusion', proof: randomProof(random) };
  return { block: block(random), kind: 'inclusion', transaction: randomTransaction(random), signature: bytesToHex(random.bytes(65)), proof: randomProof(random) };
}
function randomLeaf(random: Random): CheckpointLeafObject {
  const base = { checkpoint: block(random), block: block(random), slot: random.uint64(), leafProof: randomProof(random), status: (['pending', 'final', 'void'] as const)[random.int(3)]!, finalAt: random.int(3) === 0 ? null : random.uint64() };
  const shape = random.int(3);
  if (shape === 0) return { ...base, leaf: ZERO_HASH, txBlock: null, transaction: null, signature: null, proof: null };
  const moved = shape === 2;
  return { ...base, leaf: bytesToHex(random.bytes(32)) as Hash, txBlock: block(random), transaction: randomTransaction(random), signature: moved ? bytesToHex(random.bytes(65)) : null, proof: moved ? randomProof(random) : null };
}
function randomPackage(random: Random): DecodedPackage {
  const entries = Array.from({ length: random.int(12) }, () => randomEntry(random));
  const history = {
    slot: random.uint64(),
    deposit: { block: block(random), owner: address(random), denomination: random.uint256() },
    lastCommittedBlock: block(random),
    entries,
    ...(random.int(2) === 0 ? {} : { next: block(random) }),
  };
  if (random.int(3) === 0) return history;
  return { ...history, checkpoint: random.int(2) === 0 ? null : randomLeaf(random), pending: Array.from({ length: random.int(4) }, () => randomLeaf(random)) };
}

t.test('decode(encode(x)) == x and the encoding is canonical, over 500 seeded random packages', async (t) => {
  const random = rng(14);
  let forms = 0;
  for (let i = 0; i < 500; i++) {
    const pkg = randomPackage(random);
    const bytes = encodePackage(pkg);
    const back = decodePackage(bytes);
    if ('pending' in pkg) forms++;
    if (JSON.stringify(back, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) !== JSON.stringify(pkg, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))) {
      t.same(back, pkg, `package ${i} round-trips`);
      return;
    }
    if (!Buffer.from(encodePackage(back)).equals(Buffer.from(bytes))) {
      t.fail(`package ${i}: encode(decode(b)) != b`);
      return;
    }
  }
  t.pass('500 packages: decode(encode(x)) deep-equals x, encode(decode(b)) byte-equals b');
  t.ok(forms > 200 && forms < 450, `both forms generated (${forms} checkpoint-form packages of 500)`);
});

t.test('a value the format cannot hold is refused by the encoder, not cut', async (t) => {
  const random = rng(1);
  const pkg = { ...randomPackage(random), lastCommittedBlock: 1n << 64n };
  t.throws(() => encodePackage(pkg), { name: 'PackageFormatError', code: 'package_value_too_large', field: 'lastCommittedBlock' });
});

const sample = (): { pkg: DecodedPackage; bytes: Uint8Array } => {
  const random = rng(7);
  for (;;) {
    const pkg = randomPackage(random);
    if ('pending' in pkg && pkg.checkpoint !== null && pkg.pending.length > 0 && pkg.entries.length > 2) return { pkg, bytes: encodePackage(pkg) };
  }
};

t.test('every truncation is package_truncated, naming the field and the byte', async (t) => {
  const { bytes } = sample();
  let checked = 0;
  for (let length = 0; length < bytes.length; length++) {
    try {
      decodePackage(bytes.subarray(0, length));
      t.fail(`a body cut to ${length} of ${bytes.length} bytes decoded`);
      return;
    } catch (error) {
      if (!(error instanceof PackageFormatError) || error.code !== 'package_truncated') {
        t.fail(`cut to ${length}: ${String(error)}`);
        return;
      }
      checked++;
    }
  }
  t.equal(checked, bytes.length, `all ${bytes.length} prefixes refused`);
  t.throws(() => decodePackage(bytes.subarray(0, bytes.length - 1)), { message: /binary package at byte \d+: entries\[\d+\]\.proof needs \d+ more bytes, but the body ends after \d+/ });
});

t.test('structural corruption is a clear error', async (t) => {
  const { bytes } = sample();
  const corrupt = (at: number, value: number) => {
    const copy = bytes.slice();
    copy[at] = value;
    return copy;
  };
  t.throws(() => decodePackage(new TextEncoder().encode('{"slot":"1"}')), { code: 'package_bad_magic', message: /not a binary package/ });
  t.throws(() => decodePackage(corrupt(4, 2)), { code: 'package_bad_version', message: /version is 2; this client reads version 1/ });
  t.throws(() => decodePackage(corrupt(5, 0x80)), { code: 'package_invalid_field', field: 'flags' });
  t.throws(() => decodePackage(corrupt(5, 2)), { code: 'package_invalid_field', field: 'flags' }, 'a base without the checkpoint form');
  t.throws(() => decodePackage(corrupt(6, 1)), { code: 'package_invalid_field', field: 'reserved' });
  const trailing = new Uint8Array(bytes.length + 1);
  trailing.set(bytes);
  t.throws(() => decodePackage(trailing), { code: 'package_trailing_bytes', message: /1 bytes after its last entry/ });

  // The base leaf starts after the 16-byte header, the 60-byte deposit, lastCommittedBlock and any next.
  const { pkg } = sample();
  const leafAt = 16 + 60 + 8 + (pkg.next === undefined ? 0 : 8);
  const statusAt = leafAt + 8 + 8 + 8 + 32;
  t.throws(() => decodePackage(corrupt(statusAt, 3)), { code: 'package_invalid_field', field: 'checkpoint.status', offset: statusAt });
  t.throws(() => decodePackage(corrupt(statusAt + 1, 8)), { code: 'package_invalid_field', field: 'checkpoint.has' });
  // leafProof length: 32 more than its bitmap allows
  const lengthAt = statusAt + 2;
  const longer = bytes.slice();
  const view = new DataView(longer.buffer);
  view.setUint16(lengthAt, view.getUint16(lengthAt) + 32);
  t.throws(() => decodePackage(longer), { code: 'package_invalid_field', field: 'checkpoint.leafProof', message: /not 8 \+ 32 × popcount\(bitmap\)/ });
  // the last entry's kind
  const lastEntry = encodePackage({ ...pkg, entries: pkg.entries.slice(0, -1) }).length; // where the last entry starts
  const badKind = bytes.slice();
  badKind[lastEntry] = 7;
  t.throws(() => decodePackage(badKind), { code: 'package_invalid_field', field: `entries[${pkg.entries.length - 1}].kind`, message: /must be 0 \(exclusion\) or 1 \(inclusion\), got 7/ });
  // an entry count the body cannot hold: refused before allocating
  const countAt = encodePackage({ ...pkg, entries: [] }).length - 4;
  const huge = corrupt(countAt, 0xff);
  t.throws(() => decodePackage(huge), { code: 'package_truncated', field: 'entries' });
});

t.test('a corrupted proof byte decodes, and the verifier refuses it against the root', async (t) => {
  const [alice, bob] = [privateKey(1), privateKey(2)];
  const slot = 77n;
  const deposit = { slot, block: 1n, owner: addressOf(alice), denomination: 5n };
  const tx: Transaction = { slot, prevBlock: 1n, denomination: 5n, newOwner: addressOf(bob) };
  const digest = transactionDigestBytes(tx, DOMAIN);
  const tree = SparseMerkleTree.build([{ slot, leaf: bytesToHex(digest) }, { slot: 9n, leaf: `0x${'11'.repeat(32)}` as Hex }]);
  const empty = SparseMerkleTree.build([{ slot: 9n, leaf: `0x${'22'.repeat(32)}` as Hex }]);
  const pkg: DecodedPackage = {
    slot,
    deposit: { block: 1n, owner: deposit.owner, denomination: 5n },
    lastCommittedBlock: 2000n,
    entries: [
      { block: 1000n, kind: 'inclusion', transaction: tx, signature: signDigest(digest, alice), proof: tree.proof(slot) },
      { block: 2000n, kind: 'exclusion', proof: empty.proof(slot) },
    ],
  };
  const roots = new Map<bigint, Hash>([[1000n, tree.root], [2000n, empty.root]]);
  const verify = (decoded: DecodedPackage) => verifyCoinHistory({ deposit, entries: decoded.entries, roots: (b) => roots.get(b), committedChildBlocks: { to: 2000n }, domain: DOMAIN });
  const bytes = encodePackage(pkg);
  t.equal(verify(decodePackage(bytes)).owner, addressOf(bob), 'the intact package verifies');
  const flipped = bytes.slice();
  flipped[bytes.length - 1]! ^= 0x01; // the last sibling of the last proof
  const decoded = decodePackage(flipped);
  const error = (() => {
    try {
      verify(decoded);
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  t.ok(error instanceof HistoryError && error.code === 'invalid_proof' && error.block === 2000n, `invalid_proof at block 2000 (${String(error)})`);
});
