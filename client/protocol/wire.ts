/**
 * The operator's JSON wire format (PROTOCOL.md §9): every uint a canonical decimal string, every byte string
 * 0x-hex. Parsers take `unknown` (straight from JSON.parse), validate strictly and throw `InputError` with a
 * stable code and the JSON path of the bad value in `field`; serializers are their exact inverse.
 *
 * Unknown fields are rejected: a misspelt "prevblock" silently ignored would sign or accept something else
 * than the sender meant.
 */
import { InputError, type InputErrorCode } from './errors.ts';
import { parseAddress, parseHex, parseUint, toBytes, type Address, type Hex } from './hex.ts';
import type { CoinDeposit, ExclusionEntry, HistoryEntry, InclusionEntry } from './history.ts';
import { MAX_PROOF_LENGTH, checkProofLength } from './smt.ts';
import type { Transaction } from './transaction.ts';

export interface TransactionJson {
  slot: string;
  prevBlock: string;
  denomination: string;
  newOwner: Address;
}
export interface SignedTransactionJson extends TransactionJson {
  signature: Hex;
}
export interface SignedTransaction {
  readonly transaction: Transaction;
  readonly signature: Hex;
}
export type HistoryEntryJson =
  | { block: string; kind: 'inclusion'; transaction: TransactionJson; signature: Hex; proof: Hex }
  | { block: string; kind: 'exclusion'; proof: Hex };

export interface CoinHistoryResponse {
  readonly slot: bigint;
  readonly deposit: Omit<CoinDeposit, 'slot'>;
  readonly lastCommittedBlock: bigint;
  readonly entries: readonly HistoryEntry[];
  /** Present when the operator truncated the response: the block to continue from. */
  readonly next?: bigint;
}
export interface CoinHistoryResponseJson {
  slot: string;
  deposit: { block: string; owner: Address; denomination: string };
  lastCommittedBlock: string;
  entries: HistoryEntryJson[];
  next?: string;
}

// ---- parsing

export function parseTransactionJson(value: unknown, path = 'transaction'): Transaction {
  const object = asObject(value, path, ['slot', 'prevBlock', 'denomination', 'newOwner']);
  return readTransaction(object, path);
}

/** One item of `POST /v1/transactions`. */
export function parseSignedTransactionJson(value: unknown, path = 'transaction'): SignedTransaction {
  const object = asObject(value, path, ['slot', 'prevBlock', 'denomination', 'newOwner', 'signature']);
  return { transaction: readTransaction(object, path), signature: readSignature(object['signature'], `${path}.signature`) };
}

/** The body of `POST /v1/transactions`: one transaction object or a non-empty array of them. */
export function parseTransactionsBody(value: unknown, maxItems = 1000): SignedTransaction[] {
  if (!Array.isArray(value)) return [parseSignedTransactionJson(value)];
  if (value.length === 0) throw new InputError('invalid_object', 'body must hold at least one transaction', { field: 'body' });
  if (value.length > maxItems) {
    throw new InputError('invalid_object', `body holds ${value.length} transactions, at most ${maxItems} allowed`, { field: 'body' });
  }
  return value.map((item, index) => parseSignedTransactionJson(item, `[${index}]`));
}

export function parseHistoryEntryJson(value: unknown, path = 'entry'): HistoryEntry {
  const kind = isObject(value) ? value['kind'] : undefined;
  if (kind === 'exclusion') {
    const object = asObject(value, path, ['block', 'kind', 'proof']);
    const entry: ExclusionEntry = { block: readUint(object, 'block', 256, 'invalid_block', path), kind, proof: readProof(object['proof'], `${path}.proof`) };
    return entry;
  }
  if (kind === 'inclusion') {
    const object = asObject(value, path, ['block', 'kind', 'transaction', 'signature', 'proof']);
    const entry: InclusionEntry = {
      block: readUint(object, 'block', 256, 'invalid_block', path),
      kind,
      transaction: parseTransactionJson(object['transaction'], `${path}.transaction`),
      signature: readSignature(object['signature'], `${path}.signature`),
      proof: readProof(object['proof'], `${path}.proof`),
    };
    return entry;
  }
  if (!isObject(value)) throw new InputError('invalid_object', `${path} must be a JSON object`, { field: path });
  throw new InputError('invalid_kind', `${path}.kind must be "inclusion" or "exclusion"`, { field: `${path}.kind` });
}

/** The body of `GET /v1/coins/:slot/history`. */
export function parseCoinHistoryResponseJson(value: unknown): CoinHistoryResponse {
  const object = asObject(value, 'history', ['slot', 'deposit', 'lastCommittedBlock', 'entries', 'next'], ['next']);
  const deposit = asObject(object['deposit'], 'deposit', ['block', 'owner', 'denomination']);
  const entries = object['entries'];
  if (!Array.isArray(entries)) throw new InputError('invalid_object', 'entries must be an array', { field: 'entries' });
  const response: CoinHistoryResponse = {
    slot: readUint(object, 'slot', 64, 'invalid_slot', ''),
    deposit: {
      block: readUint(deposit, 'block', 256, 'invalid_block', 'deposit'),
      owner: parseAddress(deposit['owner'], 'deposit.owner', 'invalid_owner'),
      denomination: readUint(deposit, 'denomination', 256, 'invalid_denomination', 'deposit'),
    },
    lastCommittedBlock: readUint(object, 'lastCommittedBlock', 256, 'invalid_block', ''),
    entries: entries.map((entry, index) => parseHistoryEntryJson(entry, `entries[${index}]`)),
  };
  return object['next'] === undefined ? response : { ...response, next: readUint(object, 'next', 256, 'invalid_block', '') };
}

// ---- serializing

export function transactionToJson(tx: Transaction): TransactionJson {
  return { slot: tx.slot.toString(), prevBlock: tx.prevBlock.toString(), denomination: tx.denomination.toString(), newOwner: tx.newOwner.toLowerCase() as Address };
}

export function signedTransactionToJson(tx: Transaction, signature: Hex): SignedTransactionJson {
  return { ...transactionToJson(tx), signature: signature.toLowerCase() as Hex };
}

export function historyEntryToJson(entry: HistoryEntry): HistoryEntryJson {
  if (entry.kind === 'exclusion') return { block: entry.block.toString(), kind: 'exclusion', proof: entry.proof.toLowerCase() as Hex };
  return {
    block: entry.block.toString(),
    kind: 'inclusion',
    transaction: transactionToJson(entry.transaction),
    signature: entry.signature.toLowerCase() as Hex,
    proof: entry.proof.toLowerCase() as Hex,
  };
}

export function coinHistoryResponseToJson(response: CoinHistoryResponse): CoinHistoryResponseJson {
  const json: CoinHistoryResponseJson = {
    slot: response.slot.toString(),
    deposit: {
      block: response.deposit.block.toString(),
      owner: response.deposit.owner.toLowerCase() as Address,
      denomination: response.deposit.denomination.toString(),
    },
    lastCommittedBlock: response.lastCommittedBlock.toString(),
    entries: response.entries.map(historyEntryToJson),
  };
  if (response.next !== undefined) json.next = response.next.toString();
  return json;
}

// ---- helpers

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, path: string, allowed: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (!isObject(value)) throw new InputError('invalid_object', `${path || 'body'} must be a JSON object`, { field: path });
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new InputError('unknown_field', `${join(path, key)} is not a field of this object`, { field: join(path, key) });
  }
  for (const key of allowed) {
    if (!optional.includes(key) && value[key] === undefined) {
      throw new InputError('missing_field', `${join(path, key)} is required`, { field: join(path, key) });
    }
  }
  return value;
}

function readTransaction(object: Record<string, unknown>, path: string): Transaction {
  return {
    slot: readUint(object, 'slot', 64, 'invalid_slot', path),
    prevBlock: readUint(object, 'prevBlock', 256, 'invalid_prev_block', path),
    denomination: readUint(object, 'denomination', 256, 'invalid_denomination', path),
    newOwner: parseAddress(object['newOwner'], join(path, 'newOwner'), 'invalid_new_owner'),
  };
}

function readUint(object: Record<string, unknown>, key: string, bits: 64 | 256, code: InputErrorCode, path: string): bigint {
  return parseUint(object[key], { bits, name: join(path, key), code });
}

function readSignature(value: unknown, path: string): Hex {
  // Only the form is checked here; v, r, s and the signer are the transaction rules' business.
  return parseHex(value, { bytes: 65, name: path, code: 'invalid_signature' });
}

function readProof(value: unknown, path: string): Hex {
  const proof = parseHex(value, { name: path, code: 'invalid_proof' });
  if (proof.length > 2 + 2 * MAX_PROOF_LENGTH) {
    throw new InputError('invalid_proof', `${path} is longer than ${MAX_PROOF_LENGTH} bytes`, { field: path });
  }
  try {
    checkProofLength(toBytes(proof));
  } catch (cause) {
    throw new InputError('invalid_proof', `${path} must be 8 + 32 × popcount(bitmap) bytes`, { field: path, cause });
  }
  return proof;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
