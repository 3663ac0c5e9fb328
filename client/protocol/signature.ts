/**
 * 65-byte r ‖ s ‖ v signatures (v ∈ {27, 28}, low-s only, §4): signing and recovery through libsecp256k1
 * (the native `secp256k1` package, ~25× faster than the pure-JS curve in ethers: the operator recovers one
 * signer per submitted transaction).
 *
 * Recovery is as strict as OpenZeppelin's ECDSA.recover, which the contract uses: anything it would reject is
 * rejected here, each reason with its own code.
 */
import secp256k1 from 'secp256k1';
import { SignatureError } from './errors.ts';
import { bytesToHex, hexToBytes, type Address, type Hash, type Hex } from './hex.ts';
import { keccak256 } from './keccak.ts';
import { TRANSACTION_TYPES, transactionDigestBytes, type Transaction, type TransactionDomain } from './transaction.ts';

export const SIGNATURE_LENGTH = 65;
/** secp256k1 group order n and n / 2 (big-endian): s must be in [1, n/2], r in [1, n-1]. */
const CURVE_ORDER = hexToBytes('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const HALF_CURVE_ORDER = hexToBytes('0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

/** Anything with ethers' `Signer.signTypedData` (a Wallet, a JsonRpcSigner, a hardware wallet adapter). */
export interface TypedDataSigner {
  signTypedData(
    domain: { name: string; version: string; chainId: bigint; verifyingContract: string },
    types: Record<string, Array<{ name: string; type: string }>>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/** Signs a 32-byte digest with a raw private key; libsecp256k1 always produces low-s (RFC 6979 nonces). */
export function signDigest(digest: Uint8Array | Hash, privateKey: Uint8Array | Hex): Hex {
  const message = typeof digest === 'string' ? hexToBytes(digest, 'digest') : digest;
  const key = typeof privateKey === 'string' ? hexToBytes(privateKey, 'privateKey') : privateKey;
  if (key.length !== 32 || !secp256k1.privateKeyVerify(key)) {
    throw new SignatureError('invalid_private_key', 'private key must be 32 bytes in [1, n-1]');
  }
  const { signature, recid } = secp256k1.ecdsaSign(message, key);
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return bytesToHex(out);
}

/** Signs the transaction's EIP-712 digest with a private key or an ethers signer; returns r ‖ s ‖ v. */
export async function signTransaction(
  tx: Transaction,
  domain: TransactionDomain,
  signer: Uint8Array | Hex | TypedDataSigner,
): Promise<Hex> {
  if (typeof signer === 'string' || signer instanceof Uint8Array) {
    return signDigest(transactionDigestBytes(tx, domain), signer);
  }
  const signature = await signer.signTypedData(
    { name: 'PlasmaCash', version: '1', chainId: domain.chainId, verifyingContract: domain.verifyingContract },
    { Transaction: TRANSACTION_TYPES.Transaction.map((field) => ({ ...field })) },
    { slot: tx.slot, prevBlock: tx.prevBlock, denomination: tx.denomination, newOwner: tx.newOwner },
  );
  // A remote signer is outside our control: refuse to hand back anything the contract would reject.
  const bytes = hexToBytes(signature, 'signature');
  checkSignatureForm(bytes);
  return bytesToHex(bytes);
}

/**
 * Throws `SignatureError` unless the signature is exactly 65 bytes with v ∈ {27, 28}, 0 < r < n and
 * 0 < s ≤ n/2. Returns nothing: the form is valid.
 */
export function checkSignatureForm(signature: Uint8Array): void {
  if (signature.length !== SIGNATURE_LENGTH) {
    throw new SignatureError('invalid_signature_length', `signature must be 65 bytes (r ‖ s ‖ v), got ${signature.length}`);
  }
  const v = signature[64]!;
  if (v !== 27 && v !== 28) throw new SignatureError('invalid_signature_v', `signature v must be 27 or 28, got ${v}`);
  if (isZero(signature, 0) || compare32(signature, 0, CURVE_ORDER) >= 0) {
    throw new SignatureError('invalid_signature_r', 'signature r must be in [1, n-1]');
  }
  if (isZero(signature, 32) || compare32(signature, 32, CURVE_ORDER) >= 0) {
    throw new SignatureError('invalid_signature_s', 'signature s must be in [1, n-1]');
  }
  if (compare32(signature, 32, HALF_CURVE_ORDER) > 0) {
    throw new SignatureError('signature_high_s', 'signature s must be at most n/2 (low-s form)');
  }
}

/** The address that signed `digest`; throws `SignatureError` for any signature the contract would reject. */
export function recoverSigner(digest: Uint8Array | Hash, signature: Uint8Array | Hex): Address {
  const message = typeof digest === 'string' ? hexToBytes(digest, 'digest') : digest;
  if (message.length !== 32) throw new SignatureError('signature_unrecoverable', 'digest must be 32 bytes');
  let bytes: Uint8Array;
  try {
    bytes = typeof signature === 'string' ? hexToBytes(signature, 'signature') : signature;
  } catch (cause) {
    throw new SignatureError('invalid_signature_length', 'signature is not valid hex', { cause });
  }
  checkSignatureForm(bytes);
  let publicKey: Uint8Array;
  try {
    publicKey = secp256k1.ecdsaRecover(bytes.subarray(0, 64), bytes[64]! - 27, message, false);
  } catch (cause) {
    // r is not the x-coordinate of a curve point: ecrecover returns address(0), OpenZeppelin reverts.
    throw new SignatureError('signature_unrecoverable', 'no public key recovers from this signature', { cause });
  }
  return bytesToHex(keccak256(publicKey.subarray(1)).subarray(12));
}

/** Alias that reads well at call sites handling transactions. */
export const recoverTransactionSigner = recoverSigner;

/** Recovers the signer of `tx` under `domain`. */
export function recoverTransactionSignerOf(tx: Transaction, domain: TransactionDomain, signature: Uint8Array | Hex): Address {
  return recoverSigner(transactionDigestBytes(tx, domain), signature);
}

function isZero(bytes: Uint8Array, offset: number): boolean {
  for (let i = offset; i < offset + 32; i++) if (bytes[i] !== 0) return false;
  return true;
}

function compare32(bytes: Uint8Array, offset: number, constant: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const a = bytes[offset + i]!;
    const b = constant[i]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}
