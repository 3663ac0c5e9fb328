/**
 * Conversions between protocol values and columns. Slots are stored as `slot - 2^63` in int8 (see
 * migrations/0001_init.sql for why); postgres.js hands int8 and numeric back as decimal strings.
 */
import { bytesToHex, UINT64_MAX, type Hex } from '../../client/protocol/index.ts';

const SLOT_OFFSET = 1n << 63n;

/** The int8 column value of a uint64 slot, as the decimal string postgres.js sends. */
export function slotToDb(slot: bigint): string {
  if (slot < 0n || slot > UINT64_MAX) throw new RangeError(`slot ${slot} is not a uint64`);
  return (slot - SLOT_OFFSET).toString();
}

export function slotFromDb(value: string | bigint): bigint {
  return BigInt(value) + SLOT_OFFSET;
}

/** Hex without 0x, for arrays handed to `decode(…, 'hex')` in bulk inserts. */
export function hexBody(bytes: Uint8Array | Hex): string {
  return typeof bytes === 'string' ? bytes.slice(2).toLowerCase() : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function toBuffer(bytes: Uint8Array | Hex): Buffer {
  return typeof bytes === 'string' ? Buffer.from(bytes.slice(2), 'hex') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function hexOf(bytes: Uint8Array): Hex {
  return bytesToHex(bytes);
}
