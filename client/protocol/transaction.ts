/**
 * Transactions and their EIP-712 digest (PROTOCOL.md §4). The digest is both what the owner signs and the leaf
 * of the coin's slot in the block's tree, so it is computed here once, with the fast keccak, and checked in the
 * tests against ethers' TypedDataEncoder.
 */
import { InputError } from './errors.ts';
import { bytesToHex, hexToBytes, UINT256_MAX, UINT64_MAX, type Address, type Hash } from './hex.ts';
import { keccak256 } from './keccak.ts';

export interface Transaction {
  readonly slot: bigint;
  /** Block of the parent transaction (the deposit block for the first spend). */
  readonly prevBlock: bigint;
  readonly denomination: bigint;
  readonly newOwner: Address;
}

/** The chain-specific half of the EIP-712 domain; name and version are fixed by the protocol. */
export interface TransactionDomain {
  readonly chainId: bigint;
  /** The root-chain contract. */
  readonly verifyingContract: Address;
}

export const DOMAIN_NAME = 'PlasmaCash';
export const DOMAIN_VERSION = '1';
export const TRANSACTION_TYPE = 'Transaction(uint64 slot,uint256 prevBlock,uint256 denomination,address newOwner)';
/** For ethers' `signTypedData` / `TypedDataEncoder`. */
export const TRANSACTION_TYPES = {
  Transaction: [
    { name: 'slot', type: 'uint64' },
    { name: 'prevBlock', type: 'uint256' },
    { name: 'denomination', type: 'uint256' },
    { name: 'newOwner', type: 'address' },
  ],
} as const;

const utf8 = (text: string) => new TextEncoder().encode(text);
const DOMAIN_TYPEHASH = keccak256(utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));
const NAME_HASH = keccak256(utf8(DOMAIN_NAME));
const VERSION_HASH = keccak256(utf8(DOMAIN_VERSION));
const TRANSACTION_TYPEHASH_BYTES = keccak256(utf8(TRANSACTION_TYPE));
export const TRANSACTION_TYPEHASH: Hash = bytesToHex(TRANSACTION_TYPEHASH_BYTES);

/** The deposit of a coin is the virtual transaction `Transaction(slot, 0, denomination, depositor)` (§4). */
export function depositTransaction(deposit: { readonly slot: bigint; readonly denomination: bigint; readonly owner: Address }): Transaction {
  return { slot: deposit.slot, prevBlock: 0n, denomination: deposit.denomination, newOwner: deposit.owner };
}

const separators = new Map<string, Uint8Array>();

export function domainSeparatorBytes(domain: TransactionDomain): Uint8Array {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
  let separator = separators.get(key);
  if (separator === undefined) {
    if (domain.chainId < 0n || domain.chainId > UINT256_MAX) throw new InputError('invalid_uint', 'chainId is not a uint256');
    const encoded = new Uint8Array(5 * 32);
    encoded.set(DOMAIN_TYPEHASH, 0);
    encoded.set(NAME_HASH, 32);
    encoded.set(VERSION_HASH, 64);
    writeUint256(encoded, 96, domain.chainId);
    writeAddress(encoded, 128, domain.verifyingContract, 'verifyingContract');
    separator = keccak256(encoded);
    separators.set(key, separator);
  }
  return separator;
}

export function domainSeparator(domain: TransactionDomain): Hash {
  return bytesToHex(domainSeparatorBytes(domain));
}

export function transactionStructHashBytes(tx: Transaction): Uint8Array {
  assertTransaction(tx);
  const encoded = new Uint8Array(5 * 32);
  encoded.set(TRANSACTION_TYPEHASH_BYTES, 0);
  writeUint256(encoded, 32, tx.slot);
  writeUint256(encoded, 64, tx.prevBlock);
  writeUint256(encoded, 96, tx.denomination);
  writeAddress(encoded, 128, tx.newOwner, 'newOwner');
  return keccak256(encoded);
}

export function transactionStructHash(tx: Transaction): Hash {
  return bytesToHex(transactionStructHashBytes(tx));
}

/** keccak256(0x1901 ‖ domainSeparator ‖ structHash): the signed message and the tree leaf. */
export function transactionDigestBytes(tx: Transaction, domain: TransactionDomain): Uint8Array {
  const encoded = new Uint8Array(2 + 32 + 32);
  encoded[0] = 0x19;
  encoded[1] = 0x01;
  encoded.set(domainSeparatorBytes(domain), 2);
  encoded.set(transactionStructHashBytes(tx), 34);
  return keccak256(encoded);
}

export function transactionDigest(tx: Transaction, domain: TransactionDomain): Hash {
  return bytesToHex(transactionDigestBytes(tx, domain));
}

/** Throws `InputError` when a field is outside its Solidity type: such a transaction has no digest. */
export function assertTransaction(tx: Transaction): void {
  if (typeof tx.slot !== 'bigint' || tx.slot < 0n || tx.slot > UINT64_MAX) {
    throw new InputError('invalid_slot', `slot ${String(tx.slot)} is not a uint64`, { field: 'slot' });
  }
  if (typeof tx.prevBlock !== 'bigint' || tx.prevBlock < 0n || tx.prevBlock > UINT256_MAX) {
    throw new InputError('invalid_prev_block', `prevBlock ${String(tx.prevBlock)} is not a uint256`, { field: 'prevBlock' });
  }
  if (typeof tx.denomination !== 'bigint' || tx.denomination < 0n || tx.denomination > UINT256_MAX) {
    throw new InputError('invalid_denomination', `denomination ${String(tx.denomination)} is not a uint256`, { field: 'denomination' });
  }
}

function writeUint256(target: Uint8Array, offset: number, value: bigint): void {
  let rest = value;
  for (let i = offset + 31; i >= offset && rest > 0n; i--) {
    target[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

function writeAddress(target: Uint8Array, offset: number, address: Address, name: string): void {
  if (typeof address !== 'string' || address.length !== 42) {
    throw new InputError('invalid_address', `${name} must be a 20-byte address`, { field: name });
  }
  target.set(hexToBytes(address, name), offset + 12);
}
