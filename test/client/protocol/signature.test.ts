import t from 'tap';
import secp256k1 from 'secp256k1';
import { recoverAddress, Signature, TypedDataEncoder, Wallet } from 'ethers';
import {
  bytesToHex,
  hexToBytes,
  keccak256,
  recoverTransactionSigner,
  recoverTransactionSignerOf,
  SignatureError,
  signDigest,
  signTransaction,
  TRANSACTION_TYPES,
  transactionDigest,
  type Hex,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { addressOf, DOMAIN, privateKey, rng } from './fixtures/helpers.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N / 2n;
const word = (value: bigint) => value.toString(16).padStart(64, '0');
const sig = (r: bigint, s: bigint, v: number): Hex => `0x${word(r)}${word(s)}${v.toString(16).padStart(2, '0')}`;

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return error instanceof SignatureError ? error.code : `not a SignatureError: ${String(error)}`;
  }
  return 'no error';
};

const tx: Transaction = { slot: 42n, prevBlock: 1001n, denomination: 10n ** 18n, newOwner: '0x1111111111111111111111111111111111111111' };
const types = { Transaction: TRANSACTION_TYPES.Transaction.map((field) => ({ ...field })) };
const ethersDomain = { name: 'PlasmaCash', version: '1', chainId: DOMAIN.chainId, verifyingContract: DOMAIN.verifyingContract };

t.test('recovery equals ethers recoverAddress over many random keys and digests', async (t) => {
  const random = rng(21);
  for (let i = 0; i < 200; i++) {
    const key = bytesToHex(random.bytes(32));
    const digest = bytesToHex(random.bytes(32));
    const signature = signDigest(digest, key);
    const expected = new Wallet(key).address.toLowerCase();
    t.equal(recoverTransactionSigner(digest, signature), expected);
    t.equal(recoverAddress(digest, signature).toLowerCase(), expected, 'ethers agrees on our signature');
  }
});

t.test('signatures are 65 bytes, v in {27, 28}, low-s, and identical to ethers (RFC 6979)', async (t) => {
  const vs = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const key = privateKey(i);
    const signed = await signTransaction({ ...tx, slot: BigInt(i) }, DOMAIN, key);
    const bytes = hexToBytes(signed);
    t.equal(bytes.length, 65);
    vs.add(bytes[64]!);
    t.ok(BigInt(bytesToHex(bytes.subarray(32, 64))) <= HALF_N, 'low s');
    const viaEthers = await new Wallet(key).signTypedData(ethersDomain, types, { ...tx, slot: BigInt(i) });
    t.equal(signed, viaEthers);
  }
  t.same([...vs].sort(), [27, 28], 'both recovery ids occur');
});

t.test('signTransaction accepts an ethers signer', async (t) => {
  const wallet = new Wallet(privateKey(1));
  const signature = await signTransaction(tx, DOMAIN, wallet);
  t.equal(recoverTransactionSignerOf(tx, DOMAIN, signature), wallet.address.toLowerCase());
  t.equal(recoverTransactionSigner(TypedDataEncoder.hash(ethersDomain, types, { ...tx }) as Hex, signature), addressOf(privateKey(1)));
});

t.test('wrong lengths are rejected with invalid_signature_length', async (t) => {
  const good = signDigest(transactionDigest(tx, DOMAIN), privateKey(2));
  const digest = transactionDigest(tx, DOMAIN);
  t.equal(codeOf(() => recoverTransactionSigner(digest, good.slice(0, -2) as Hex)), 'invalid_signature_length', '64 bytes');
  t.equal(codeOf(() => recoverTransactionSigner(digest, `${good}00`)), 'invalid_signature_length', '66 bytes');
  t.equal(codeOf(() => recoverTransactionSigner(digest, '0x')), 'invalid_signature_length', 'empty');
  t.equal(codeOf(() => recoverTransactionSigner(digest, '0xzz')), 'invalid_signature_length', 'not hex');
});

t.test('v other than 27 or 28 is rejected with invalid_signature_v', async (t) => {
  const digest = transactionDigest(tx, DOMAIN);
  const good = hexToBytes(signDigest(digest, privateKey(3)));
  for (const v of [0, 1, 26, 29, 35, 255]) {
    const bad = good.slice();
    bad[64] = v;
    t.equal(codeOf(() => recoverTransactionSigner(digest, bad)), 'invalid_signature_v', `v = ${v}`);
  }
});

t.test('high-s (the malleable twin of a valid signature) is rejected with signature_high_s', async (t) => {
  const digest = transactionDigest(tx, DOMAIN);
  const good = Signature.from(signDigest(digest, privateKey(4)));
  const twin = sig(BigInt(good.r), N - BigInt(good.s), good.v === 27 ? 28 : 27);
  const twinKey = secp256k1.ecdsaRecover(hexToBytes(twin).subarray(0, 64), good.v === 27 ? 1 : 0, hexToBytes(digest), false);
  t.equal(bytesToHex(keccak256(twinKey.subarray(1)).subarray(12)), addressOf(privateKey(4)), 'plain ECDSA accepts the twin');
  t.equal(codeOf(() => recoverTransactionSigner(digest, twin)), 'signature_high_s');
  t.equal(codeOf(() => recoverTransactionSigner(digest, sig(BigInt(good.r), HALF_N + 1n, 27))), 'signature_high_s', 's = n/2 + 1');
  t.not(codeOf(() => recoverTransactionSigner(digest, sig(BigInt(good.r), HALF_N, 27))), 'signature_high_s', 's = n/2 is low');
});

t.test('r and s outside [1, n-1] are rejected with their own codes', async (t) => {
  const digest = transactionDigest(tx, DOMAIN);
  t.equal(codeOf(() => recoverTransactionSigner(digest, sig(0n, 1n, 27))), 'invalid_signature_r', 'r = 0');
  t.equal(codeOf(() => recoverTransactionSigner(digest, sig(N, 1n, 27))), 'invalid_signature_r', 'r = n');
  t.equal(codeOf(() => recoverTransactionSigner(digest, sig((1n << 256n) - 1n, 1n, 27))), 'invalid_signature_r', 'r = 2^256-1');
  t.equal(codeOf(() => recoverTransactionSigner(digest, sig(1n, 0n, 27))), 'invalid_signature_s', 's = 0');
  t.equal(codeOf(() => recoverTransactionSigner(digest, sig(1n, N, 27))), 'invalid_signature_s', 's = n');
});

t.test('an r that is no curve point is rejected with signature_unrecoverable', async (t) => {
  const digest = transactionDigest(tx, DOMAIN);
  // About half of all x are not on secp256k1; the first such small r is found deterministically.
  let found = false;
  for (let r = 1n; r < 100n && !found; r++) {
    const result = codeOf(() => recoverTransactionSigner(digest, sig(r, 1n, 27)));
    if (result === 'signature_unrecoverable') found = true;
    else t.equal(result, 'no error', `r = ${r} recovers`);
  }
  t.ok(found, 'found an r with no point');
});

t.test('a signature of another digest recovers another address', async (t) => {
  const key = privateKey(5);
  const signature = await signTransaction(tx, DOMAIN, key);
  const other = recoverTransactionSignerOf({ ...tx, denomination: 1n }, DOMAIN, signature);
  t.not(other, addressOf(key));
});

t.test('signing with an invalid private key fails with invalid_private_key', async (t) => {
  const digest = transactionDigest(tx, DOMAIN);
  t.equal(codeOf(() => signDigest(digest, `0x${'00'.repeat(32)}`)), 'invalid_private_key');
  t.equal(codeOf(() => signDigest(digest, `0x${word(N)}`)), 'invalid_private_key');
  t.equal(codeOf(() => signDigest(digest, '0x1234')), 'invalid_private_key');
});

