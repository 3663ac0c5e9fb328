/**
 * Hex and integer parsing at the edge of the system. Every value that crosses HTTP, JSON or a CLI goes through
 * these strict parsers once; inside, code holds `bigint`s, `Uint8Array`s and lowercase `Hex` only.
 */
import { InputError, type InputErrorCode } from './errors.ts';
import { keccak256 } from './keccak.ts';

export type Hex = `0x${string}`;
/** 20 bytes, always lowercase once parsed (so `===` compares addresses). */
export type Address = `0x${string}`;
/** 32 bytes. */
export type Hash = `0x${string}`;

/** Thirty-two zero bytes: the contract's value for a root, challenge or hash that is not set. */
export const ZERO_HASH: Hash = `0x${'0'.repeat(64)}`;

export const UINT64_MAX = (1n << 64n) - 1n;
export const UINT256_MAX = (1n << 256n) - 1n;

const HEX_BODY = /^[0-9a-fA-F]*$/;

export interface ParseHexOptions {
  /** Exact length in bytes; omitted = any even length. */
  readonly bytes?: number;
  /** Name used in the error message and `field`. */
  readonly name?: string;
  readonly code?: InputErrorCode;
}

export function isHex(value: unknown): value is Hex {
  return typeof value === 'string' && value.startsWith('0x') && value.length % 2 === 0 && HEX_BODY.test(value.slice(2));
}

/** Returns the value as lowercase `Hex`, or throws `InputError` (`invalid_hex` unless `code` says otherwise). */
export function parseHex(value: unknown, options: ParseHexOptions = {}): Hex {
  const name = options.name ?? 'value';
  const code = options.code ?? 'invalid_hex';
  const fail = (why: string): never => {
    throw new InputError(code, `${name} ${why}`, { field: name });
  };
  if (typeof value !== 'string') return fail(`must be a 0x-prefixed hex string, got ${describe(value)}`);
  if (!value.startsWith('0x')) return fail('must start with 0x');
  if (value.length % 2 !== 0) return fail('must have an even number of hex digits');
  if (!HEX_BODY.test(value.slice(2))) return fail('contains a character that is not a hex digit');
  if (options.bytes !== undefined && value.length !== 2 + 2 * options.bytes) {
    return fail(`must be ${options.bytes} bytes, got ${(value.length - 2) / 2}`);
  }
  return value.toLowerCase() as Hex;
}

/**
 * Accepts an address in lowercase, uppercase or a valid EIP-55 checksum; a mixed-case string with a wrong
 * checksum is rejected because it is most likely a typo. Returns lowercase.
 */
export function parseAddress(value: unknown, name = 'address', code: InputErrorCode = 'invalid_address'): Address {
  const hex = parseHex(value, { bytes: 20, name, code });
  const body = (value as string).slice(2);
  const mixedCase = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixedCase && checksumAddress(hex) !== value) {
    throw new InputError(code, `${name} has an invalid EIP-55 checksum`, { field: name });
  }
  return hex;
}

export interface ParseUintOptions {
  readonly bits: 64 | 256;
  readonly name?: string;
  readonly code?: InputErrorCode;
}

/**
 * Parses a canonical decimal string (no sign, no leading zeros, no exponent) within uintN. Numbers are refused:
 * JSON numbers lose precision above 2^53, so every uint on the wire is a string (§9).
 */
export function parseUint(value: unknown, options: ParseUintOptions): bigint {
  const name = options.name ?? 'value';
  const code = options.code ?? 'invalid_uint';
  const fail = (why: string): never => {
    throw new InputError(code, `${name} ${why}`, { field: name });
  };
  if (typeof value !== 'string') return fail(`must be a decimal string, got ${describe(value)}`);
  // uint256 has at most 78 digits; the length check keeps a huge string from reaching BigInt.
  if (value.length === 0 || value.length > 78 || !/^(0|[1-9][0-9]*)$/.test(value)) {
    return fail('must be a canonical decimal string (digits only, no leading zeros)');
  }
  const parsed = BigInt(value);
  if (parsed > (options.bits === 64 ? UINT64_MAX : UINT256_MAX)) return fail(`exceeds uint${options.bits}`);
  return parsed;
}

// ---- bytes <-> hex, on the hot path of proofs and signatures: table-driven, no regex, no intermediate strings.

const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_TO_NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_TO_NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_TO_NIBBLE[97 + i] = 10 + i;
  HEX_TO_NIBBLE[65 + i] = 10 + i;
}

export function bytesToHex(bytes: Uint8Array): Hex {
  // Native hex above 32 bytes: a proof is ~600 bytes and a history serves thousands of them, where per-byte
  // string concatenation cost ~3× as much and left a rope of garbage.
  if (bytes.length > 32) return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
  let out = '0x';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!];
  return out as Hex;
}

/** Converts `Hex` to bytes; throws `InputError` on anything that is not well-formed hex. */
export function hexToBytes(hex: string, name = 'value'): Uint8Array {
  if (!hex.startsWith('0x') || hex.length % 2 !== 0) {
    throw new InputError('invalid_hex', `${name} must be 0x-prefixed hex with an even number of digits`, { field: name });
  }
  const out = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX_TO_NIBBLE[hex.charCodeAt(2 + 2 * i)] ?? -1;
    const lo = HEX_TO_NIBBLE[hex.charCodeAt(3 + 2 * i)] ?? -1;
    if (hi < 0 || lo < 0) throw new InputError('invalid_hex', `${name} contains a non-hex character`, { field: name });
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Accepts either representation and returns bytes, checking the length when given. */
export function toBytes(value: Uint8Array | string, bytes?: number, name = 'value'): Uint8Array {
  const out = typeof value === 'string' ? hexToBytes(value, name) : value;
  if (bytes !== undefined && out.length !== bytes) {
    throw new InputError('invalid_hex', `${name} must be ${bytes} bytes, got ${out.length}`, { field: name });
  }
  return out;
}

/** Big-endian, left-padded to `bytes`. */
export function uintToBytes(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let rest = value;
  for (let i = bytes - 1; i >= 0 && rest > 0n; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

export function bytesToUint(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(bytesToHex(bytes));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** EIP-55 mixed-case form of a 20-byte address. */
export function checksumAddress(address: Address): Address {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out as Address;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
