/** Path and query parameters, validated with the protocol's own parsers (so a slot is a slot everywhere). */
import { InputError, parseAddress, parseUint, type Address } from '../../client/protocol/index.ts';

export function slotParam(value: unknown, name = 'slot'): bigint {
  return parseUint(value, { bits: 64, name, code: 'invalid_slot' });
}

/** Block numbers are stored as int8, so anything above 2^63 − 1 cannot name a stored block. */
export function blockParam(value: unknown, name = 'block'): bigint {
  const block = parseUint(value, { bits: 64, name, code: 'invalid_block' });
  if (block >= 1n << 63n) throw new InputError('invalid_block', `${name} must be below 2^63`, { field: name });
  return block;
}

export function addressParam(value: unknown, name = 'address'): Address {
  return parseAddress(value, name, 'invalid_address').toLowerCase() as Address;
}

/** A query parameter given at most once: `?a=1&a=2` is ambiguous, so it is refused. */
export function queryValue(query: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new InputError('invalid_object', `query parameter ${name} must be given once`, { field: name });
  return value;
}

export function optionalUint(
  query: Record<string, string | string[] | undefined>,
  name: string,
  parse: (value: unknown, name: string) => bigint,
): bigint | undefined {
  const value = queryValue(query, name);
  return value === undefined ? undefined : parse(value, name);
}

export function limitParam(query: Record<string, string | string[] | undefined>, max: number): number {
  const value = queryValue(query, 'limit');
  if (value === undefined) return max;
  const limit = parseUint(value, { bits: 64, name: 'limit', code: 'invalid_uint' });
  if (limit === 0n) throw new InputError('invalid_uint', 'limit must be at least 1', { field: 'limit' });
  return limit > BigInt(max) ? max : Number(limit);
}
