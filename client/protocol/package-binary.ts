/**
 * The compact binary package (issue 14 "Measure", docs/PROTOCOL.md §9.5): the same content as the §9 JSON of
 * `GET /v1/coins/:slot/history` (plain, or `?since=checkpoint` with its `checkpoint` and `pending`), served when
 * the request says `Accept: application/octet-stream`. JSON spells every proof and signature in hex, which
 * doubles the bytes that make up almost all of a package; here they are their raw bytes.
 *
 * Fixed-width big-endian fields, every variable length explicit, nothing implied:
 *
 *   header     magic "PCPK" (4) · version 1 (u8) · flags (u8) · reserved 0 (u16) · slot (u64)
 *              flags: bit 0 checkpoint form (the ?since=checkpoint answer), bit 1 base present (checkpoint not
 *              null; only with bit 0), bit 2 `next` present; the other bits 0
 *   deposit    block (u64) · owner (20) · denomination (u256)
 *              lastCommittedBlock (u64) · [next (u64)]
 *   checkpoint form only: [base leaf] · pending count (u32) · pending leaves
 *   entries    count (u32) · entries
 *
 *   entry      kind (u8: 0 exclusion, 1 inclusion) · block (u64) · [inclusion: transaction (92) · signature (65)]
 *              · proof length (u16) · proof (the §3 bytes: bitmap ‖ siblings)
 *   leaf       checkpoint k (u64) · block N (u64) · slot (u64) · leaf (32) · status (u8: 0 pending, 1 final,
 *              2 void) · has (u8: bit 0 txBlock+transaction, bit 1 signature+proof, bit 2 finalAt) · leafProof
 *              length (u16) · leafProof · [txBlock (u64) · transaction (92)] · [signature (65) · proof length
 *              (u16) · proof] · [finalAt (u64)]
 *   transaction  slot (u64) · prevBlock (u256) · denomination (u256) · newOwner (20): the EIP-712 fields' widths
 *
 * Block numbers, k and times are u64: the operator serves no block at or above 2^63 (§9.3 invalid_block); the
 * encoder refuses a larger value rather than cut it. The decoder checks every shape rule the JSON parser checks
 * (proof lengths 8 + 32 × popcount, the zero leaf's nulls, enums, reserved bits) and that the body ends exactly
 * where the lengths say; whether the content is true is the verifier's business, as for JSON.
 */
import { PlasmaError } from './errors.ts';
import { bytesToHex, hexToBytes, ZERO_HASH, type Address, type Hash, type Hex } from './hex.ts';
import type { HistoryEntry } from './history.ts';
import { checkProofLength, MAX_PROOF_LENGTH } from './smt.ts';
import type { Transaction } from './transaction.ts';
import { LEAF_STATUSES, type CheckpointHistoryResponse, type CheckpointLeafObject, type CoinHistoryResponse } from './wire.ts';

export const PACKAGE_MEDIA_TYPE = 'application/octet-stream';
export const PACKAGE_MAGIC = new Uint8Array([0x50, 0x43, 0x50, 0x4b]); // "PCPK"
export const PACKAGE_VERSION = 1;

const FLAG_CHECKPOINT_FORM = 1;
const FLAG_BASE = 2;
const FLAG_NEXT = 4;
const HAS_TX = 1;
const HAS_SIG_PROOF = 2;
const HAS_FINAL_AT = 4;
const SIGNATURE_BYTES = 65;
const U64_MAX = (1n << 64n) - 1n;
const U256_MAX = (1n << 256n) - 1n;

export type PackageFormatErrorCode =
  | 'package_truncated'
  | 'package_bad_magic'
  | 'package_bad_version'
  | 'package_trailing_bytes'
  | 'package_invalid_field'
  | 'package_value_too_large';

/** A binary package that cannot be read (or a value that cannot be written); `offset` is the byte where it broke. */
export class PackageFormatError extends PlasmaError {
  override name = 'PackageFormatError';
  declare readonly code: PackageFormatErrorCode;
  readonly offset: number | undefined;
  readonly field: string;

  constructor(code: PackageFormatErrorCode, field: string, why: string, offset?: number) {
    super(code, `binary package${offset === undefined ? '' : ` at byte ${offset}`}: ${field} ${why}`);
    this.offset = offset;
    this.field = field;
  }
}

/** What a binary package decodes to: a plain history, or the `?since=checkpoint` form. */
export type DecodedPackage = CoinHistoryResponse | CheckpointHistoryResponse;

export function isCheckpointForm(decoded: DecodedPackage): decoded is CheckpointHistoryResponse {
  return 'pending' in decoded;
}

/** Whether `bytes` start with the package magic (a file may hold JSON or a binary package). */
export function looksLikeBinaryPackage(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && PACKAGE_MAGIC.every((byte, i) => bytes[i] === byte);
}

// ---- encoding

class Writer {
  #buffer = new Uint8Array(1024);
  #view = new DataView(this.#buffer.buffer);
  length = 0;

  #room(n: number): void {
    if (this.length + n <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
  u8(value: number): void {
    this.#room(1);
    this.#buffer[this.length++] = value;
  }
  u16(value: number): void {
    this.#room(2);
    this.#view.setUint16(this.length, value);
    this.length += 2;
  }
  u32(value: number): void {
    this.#room(4);
    this.#view.setUint32(this.length, value);
    this.length += 4;
  }
  u64(value: bigint, field: string): void {
    if (value < 0n || value > U64_MAX) throw new PackageFormatError('package_value_too_large', field, `is ${value}, which does not fit the format's u64`);
    this.#room(8);
    this.#view.setBigUint64(this.length, value);
    this.length += 8;
  }
  u256(value: bigint, field: string): void {
    if (value < 0n || value > U256_MAX) throw new PackageFormatError('package_value_too_large', field, `is ${value}, which does not fit a u256`);
    for (let shift = 192n; shift >= 0n; shift -= 64n) this.u64((value >> shift) & U64_MAX, field);
  }
  /** `hex` of exactly `bytes` bytes (already validated by whoever made the typed object). */
  fixed(hex: string, bytes: number, field: string): void {
    if (hex.length !== 2 + 2 * bytes) throw new PackageFormatError('package_invalid_field', field, `must be ${bytes} bytes`);
    this.raw(hex, field);
  }
  /** A proof: its length (u16), then its bytes. */
  proof(hex: string, field: string): void {
    const bytes = (hex.length - 2) / 2;
    if (bytes > MAX_PROOF_LENGTH) throw new PackageFormatError('package_invalid_field', field, `is ${bytes} bytes, more than a proof's ${MAX_PROOF_LENGTH}`);
    this.u16(bytes);
    this.raw(hex, field);
  }
  raw(hex: string, field: string): void {
    // Native decoding for proofs and signatures (most of a package's bytes); Buffer stops at a bad digit, so a
    // short result means bad hex, which the strict decoder then names.
    let bytes: Uint8Array = Buffer.from(hex.slice(2), 'hex');
    if (!hex.startsWith('0x') || bytes.length * 2 !== hex.length - 2) bytes = hexToBytes(hex, field);
    this.#room(bytes.length);
    this.#buffer.set(bytes, this.length);
    this.length += bytes.length;
  }
  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.length);
  }
}

function writeTransaction(w: Writer, tx: Transaction, field: string): void {
  w.u64(tx.slot, `${field}.slot`);
  w.u256(tx.prevBlock, `${field}.prevBlock`);
  w.u256(tx.denomination, `${field}.denomination`);
  w.fixed(tx.newOwner, 20, `${field}.newOwner`);
}

function writeLeaf(w: Writer, leaf: CheckpointLeafObject, field: string): void {
  w.u64(leaf.checkpoint, `${field}.checkpoint`);
  w.u64(leaf.block, `${field}.block`);
  w.u64(leaf.slot, `${field}.slot`);
  w.fixed(leaf.leaf, 32, `${field}.leaf`);
  w.u8(LEAF_STATUSES.indexOf(leaf.status));
  const hasTx = leaf.txBlock !== null && leaf.transaction !== null;
  const hasSigProof = leaf.signature !== null && leaf.proof !== null;
  w.u8((hasTx ? HAS_TX : 0) | (hasSigProof ? HAS_SIG_PROOF : 0) | (leaf.finalAt !== null ? HAS_FINAL_AT : 0));
  w.proof(leaf.leafProof, `${field}.leafProof`);
  if (hasTx) {
    w.u64(leaf.txBlock!, `${field}.txBlock`);
    writeTransaction(w, leaf.transaction!, `${field}.transaction`);
  }
  if (hasSigProof) {
    w.fixed(leaf.signature!, SIGNATURE_BYTES, `${field}.signature`);
    w.proof(leaf.proof!, `${field}.proof`);
  }
  if (leaf.finalAt !== null) w.u64(leaf.finalAt, `${field}.finalAt`);
}

function writeEntry(w: Writer, entry: HistoryEntry, field: string): void {
  w.u8(entry.kind === 'inclusion' ? 1 : 0);
  w.u64(entry.block, `${field}.block`);
  if (entry.kind === 'inclusion') {
    writeTransaction(w, entry.transaction, `${field}.transaction`);
    w.fixed(entry.signature, SIGNATURE_BYTES, `${field}.signature`);
  }
  w.proof(entry.proof, `${field}.proof`);
}

/**
 * Everything before the entries, ending with their count: what the operator writes before it streams the
 * entries (`encodeEntries`) page by page. `checkpoint` undefined: the plain history form.
 */
export interface PackageHead {
  readonly slot: bigint;
  readonly deposit: CoinHistoryResponse['deposit'];
  readonly lastCommittedBlock: bigint;
  readonly next?: bigint | undefined;
  readonly checkpoint?: CheckpointLeafObject | null | undefined;
  readonly pending?: readonly CheckpointLeafObject[] | undefined;
}

export function encodePackageHead(head: PackageHead, entryCount: number): Uint8Array {
  const w = new Writer();
  const form = head.checkpoint !== undefined;
  w.raw(bytesToHex(PACKAGE_MAGIC), 'magic');
  w.u8(PACKAGE_VERSION);
  w.u8((form ? FLAG_CHECKPOINT_FORM : 0) | (form && head.checkpoint !== null ? FLAG_BASE : 0) | (head.next !== undefined ? FLAG_NEXT : 0));
  w.u16(0);
  w.u64(head.slot, 'slot');
  w.u64(head.deposit.block, 'deposit.block');
  w.fixed(head.deposit.owner, 20, 'deposit.owner');
  w.u256(head.deposit.denomination, 'deposit.denomination');
  w.u64(head.lastCommittedBlock, 'lastCommittedBlock');
  if (head.next !== undefined) w.u64(head.next, 'next');
  if (form) {
    if (head.checkpoint !== null) writeLeaf(w, head.checkpoint!, 'checkpoint');
    const pending = head.pending ?? [];
    w.u32(pending.length);
    pending.forEach((leaf, i) => writeLeaf(w, leaf, `pending[${i}]`));
  }
  w.u32(entryCount);
  return w.bytes();
}

/** Entries as the body carries them after the head; `first` numbers them in error messages. */
export function encodeEntries(entries: readonly HistoryEntry[], first = 0): Uint8Array {
  const w = new Writer();
  entries.forEach((entry, i) => writeEntry(w, entry, `entries[${first + i}]`));
  return w.bytes();
}

/** The whole package in one buffer. */
export function encodePackage(response: DecodedPackage): Uint8Array {
  const head = encodePackageHead(response, response.entries.length);
  const body = encodeEntries(response.entries);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

// ---- decoding

class Reader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.#bytes.length - this.at;
  }
  #need(n: number, field: string): number {
    if (this.at + n > this.#bytes.length) {
      throw new PackageFormatError('package_truncated', field, `needs ${n} more bytes, but the body ends after ${this.remaining} (${this.#bytes.length} bytes in all)`, this.at);
    }
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(field: string): number {
    return this.#view.getUint8(this.#need(1, field));
  }
  u16(field: string): number {
    return this.#view.getUint16(this.#need(2, field));
  }
  u32(field: string): number {
    return this.#view.getUint32(this.#need(4, field));
  }
  u64(field: string): bigint {
    return this.#view.getBigUint64(this.#need(8, field));
  }
  u256(field: string): bigint {
    const at = this.#need(32, field);
    let value = 0n;
    for (let i = 0; i < 4; i++) value = (value << 64n) | this.#view.getBigUint64(at + 8 * i);
    return value;
  }
  hex(n: number, field: string): Hex {
    const at = this.#need(n, field);
    return bytesToHex(this.#bytes.subarray(at, at + n));
  }
  proof(field: string): Hex {
    const start = this.at;
    const length = this.u16(`${field} length`);
    if (length > MAX_PROOF_LENGTH) throw new PackageFormatError('package_invalid_field', field, `claims ${length} bytes, more than a proof's ${MAX_PROOF_LENGTH}`, start);
    const at = this.#need(length, field);
    const bytes = this.#bytes.subarray(at, at + length);
    try {
      checkProofLength(bytes);
    } catch (cause) {
      throw new PackageFormatError('package_invalid_field', field, `is ${length} bytes, not 8 + 32 × popcount(bitmap) (${(cause as Error).message})`, start);
    }
    return bytesToHex(bytes);
  }
}

function readTransaction(r: Reader, field: string): Transaction {
  return {
    slot: r.u64(`${field}.slot`),
    prevBlock: r.u256(`${field}.prevBlock`),
    denomination: r.u256(`${field}.denomination`),
    newOwner: r.hex(20, `${field}.newOwner`) as Address,
  };
}

function readLeaf(r: Reader, field: string): CheckpointLeafObject {
  const checkpoint = r.u64(`${field}.checkpoint`);
  const block = r.u64(`${field}.block`);
  const slot = r.u64(`${field}.slot`);
  const leaf = r.hex(32, `${field}.leaf`) as Hash;
  const statusAt = r.at;
  const status = LEAF_STATUSES[r.u8(`${field}.status`)];
  if (status === undefined) throw new PackageFormatError('package_invalid_field', `${field}.status`, 'must be 0 (pending), 1 (final) or 2 (void)', statusAt);
  const hasAt = r.at;
  const has = r.u8(`${field}.has`);
  if ((has & ~(HAS_TX | HAS_SIG_PROOF | HAS_FINAL_AT)) !== 0) throw new PackageFormatError('package_invalid_field', `${field}.has`, `has reserved bits set (${has})`, hasAt);
  const zero = leaf === ZERO_HASH;
  if (zero && (has & (HAS_TX | HAS_SIG_PROOF)) !== 0) throw new PackageFormatError('package_invalid_field', field, 'is a zero leaf: it carries no txBlock, transaction, signature or proof', hasAt);
  if (!zero && (has & HAS_TX) === 0) throw new PackageFormatError('package_invalid_field', field, 'is not a zero leaf: txBlock and transaction are required', hasAt);
  const leafProof = r.proof(`${field}.leafProof`);
  const txBlock = has & HAS_TX ? r.u64(`${field}.txBlock`) : null;
  const transaction = has & HAS_TX ? readTransaction(r, `${field}.transaction`) : null;
  const signature = has & HAS_SIG_PROOF ? r.hex(SIGNATURE_BYTES, `${field}.signature`) : null;
  const proof = has & HAS_SIG_PROOF ? r.proof(`${field}.proof`) : null;
  const finalAt = has & HAS_FINAL_AT ? r.u64(`${field}.finalAt`) : null;
  return { checkpoint, block, slot, leaf, leafProof, txBlock, transaction, signature, proof, status, finalAt };
}

function readEntry(r: Reader, field: string): HistoryEntry {
  const kindAt = r.at;
  const kind = r.u8(`${field}.kind`);
  if (kind !== 0 && kind !== 1) throw new PackageFormatError('package_invalid_field', `${field}.kind`, `must be 0 (exclusion) or 1 (inclusion), got ${kind}`, kindAt);
  const block = r.u64(`${field}.block`);
  if (kind === 0) return { block, kind: 'exclusion', proof: r.proof(`${field}.proof`) };
  const transaction = readTransaction(r, `${field}.transaction`);
  const signature = r.hex(SIGNATURE_BYTES, `${field}.signature`);
  return { block, kind: 'inclusion', transaction, signature, proof: r.proof(`${field}.proof`) };
}

/** Decodes a whole binary package; throws PackageFormatError (code, field, byte offset) at the first fault. */
export function decodePackage(bytes: Uint8Array): DecodedPackage {
  const r = new Reader(bytes);
  if (bytes.length < 4 || !looksLikeBinaryPackage(bytes)) {
    if (bytes.length < 4) r.hex(4, 'magic'); // throws package_truncated
    throw new PackageFormatError('package_bad_magic', 'magic', `must be "PCPK" (${bytesToHex(PACKAGE_MAGIC)}), got ${bytesToHex(bytes.subarray(0, 4))}: not a binary package`, 0);
  }
  r.at = 4;
  const version = r.u8('version');
  if (version !== PACKAGE_VERSION) throw new PackageFormatError('package_bad_version', 'version', `is ${version}; this client reads version ${PACKAGE_VERSION}`, 4);
  const flags = r.u8('flags');
  if ((flags & ~(FLAG_CHECKPOINT_FORM | FLAG_BASE | FLAG_NEXT)) !== 0 || ((flags & FLAG_BASE) !== 0 && (flags & FLAG_CHECKPOINT_FORM) === 0)) {
    throw new PackageFormatError('package_invalid_field', 'flags', `has an unknown combination ${flags}`, 5);
  }
  if (r.u16('reserved') !== 0) throw new PackageFormatError('package_invalid_field', 'reserved', 'must be 0', 6);
  const slot = r.u64('slot');
  const deposit = { block: r.u64('deposit.block'), owner: r.hex(20, 'deposit.owner') as Address, denomination: r.u256('deposit.denomination') };
  const lastCommittedBlock = r.u64('lastCommittedBlock');
  const next = flags & FLAG_NEXT ? r.u64('next') : undefined;
  let checkpoint: CheckpointLeafObject | null = null;
  let pending: CheckpointLeafObject[] | undefined;
  if (flags & FLAG_CHECKPOINT_FORM) {
    if (flags & FLAG_BASE) checkpoint = readLeaf(r, 'checkpoint');
    const count = r.u32('pending count');
    pending = [];
    for (let i = 0; i < count; i++) pending.push(readLeaf(r, `pending[${i}]`));
  }
  const countAt = r.at;
  const count = r.u32('entry count');
  // Each entry takes at least 11 bytes (kind, block, proof length): a count the body cannot hold is refused before
  // anything is allocated for it.
  if (count * 11 > r.remaining) {
    throw new PackageFormatError('package_truncated', 'entries', `count says ${count} entries, but only ${r.remaining} bytes follow (at least ${count * 11} needed)`, countAt);
  }
  const entries: HistoryEntry[] = new Array(count);
  for (let i = 0; i < count; i++) entries[i] = readEntry(r, `entries[${i}]`);
  if (r.remaining !== 0) throw new PackageFormatError('package_trailing_bytes', 'body', `has ${r.remaining} bytes after its last entry`, r.at);
  const history: CoinHistoryResponse = { slot, deposit, lastCommittedBlock, entries, ...(next === undefined ? {} : { next }) };
  return pending === undefined ? history : { ...history, checkpoint, pending };
}
