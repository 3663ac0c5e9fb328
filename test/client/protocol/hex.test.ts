import t from 'tap';
import { getAddress } from 'ethers';
import {
  bytesToHex,
  bytesToUint,
  checksumAddress,
  hexToBytes,
  InputError,
  parseAddress,
  parseHex,
  parseUint,
  uintToBytes,
  UINT256_MAX,
  UINT64_MAX,
  type Address,
} from '../../../client/protocol/index.ts';
import { rng } from './fixtures/helpers.ts';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return error instanceof InputError ? error.code : `not an InputError: ${String(error)}`;
  }
  return 'no error';
};

t.test('parseHex normalizes to lowercase and checks the byte length', async (t) => {
  t.equal(parseHex('0xABcd'), '0xabcd');
  t.equal(parseHex('0x'), '0x');
  t.equal(parseHex('0x' + 'ff'.repeat(32), { bytes: 32 }), '0x' + 'ff'.repeat(32));
  t.equal(code(() => parseHex('0x' + 'ff'.repeat(31), { bytes: 32 })), 'invalid_hex');
});

t.test('parseHex rejects non-strings, missing 0x, odd length and non-hex characters', async (t) => {
  for (const bad of [12, null, undefined, {}, 'abcd', '0xabc', '0xgg', '0X12', ' 0x12', '0x12 ']) {
    t.equal(code(() => parseHex(bad)), 'invalid_hex', JSON.stringify(bad) ?? 'undefined');
  }
  t.equal(code(() => parseHex('0xzz', { code: 'invalid_proof' })), 'invalid_proof', 'custom code');
});

t.test('parseAddress accepts lower, upper and checksummed case, returns lowercase', async (t) => {
  const random = rng(5);
  for (let i = 0; i < 20; i++) {
    const lower = bytesToHex(random.bytes(20)) as Address;
    const checksummed = getAddress(lower);
    t.equal(parseAddress(lower), lower);
    t.equal(parseAddress(checksummed), lower);
    t.equal(parseAddress('0x' + lower.slice(2).toUpperCase()), lower);
    t.equal(checksumAddress(lower), checksummed, 'checksum equals ethers');
  }
});

t.test('parseAddress rejects a wrong checksum and a wrong length', async (t) => {
  const checksummed = getAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed');
  t.equal(checksummed, '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'EIP-55 example');
  const flipped = checksummed.replace(/[a-f]/, (c) => c.toUpperCase());
  t.equal(code(() => parseAddress(flipped)), 'invalid_address', 'mixed case with a bad checksum');
  t.equal(code(() => parseAddress('0x1234')), 'invalid_address');
  t.equal(code(() => parseAddress(42)), 'invalid_address');
});

t.test('parseUint accepts canonical decimal strings within range', async (t) => {
  t.equal(parseUint('0', { bits: 64 }), 0n);
  t.equal(parseUint('18446744073709551615', { bits: 64 }), UINT64_MAX);
  t.equal(parseUint(UINT256_MAX.toString(), { bits: 256 }), UINT256_MAX);
});

t.test('parseUint rejects numbers, signs, leading zeros, exponents and overflow', async (t) => {
  const bad: unknown[] = [5, 5n, '', '-1', '+1', '01', '00', '1e3', '0x10', ' 1', '1.0', '18446744073709551616', '1'.repeat(79)];
  for (const value of bad) t.equal(code(() => parseUint(value, { bits: 64 })), 'invalid_uint', String(value));
  t.equal(code(() => parseUint((UINT256_MAX + 1n).toString(), { bits: 256 })), 'invalid_uint');
  t.equal(code(() => parseUint('-1', { bits: 64, code: 'invalid_slot' })), 'invalid_slot', 'custom code');
});

t.test('bytes and hex convert both ways', async (t) => {
  const random = rng(6);
  for (let length = 0; length < 70; length++) {
    const bytes = random.bytes(length);
    t.same(hexToBytes(bytesToHex(bytes)), bytes);
  }
  t.same(hexToBytes('0xABff'), new Uint8Array([0xab, 0xff]));
  t.equal(code(() => hexToBytes('0xfg')), 'invalid_hex');
  t.equal(code(() => hexToBytes('0xf')), 'invalid_hex');
  t.equal(bytesToHex(uintToBytes(258n, 4)), '0x00000102');
  t.equal(bytesToUint(uintToBytes(UINT256_MAX, 32)), UINT256_MAX);
});
