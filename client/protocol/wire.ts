/**
 * The operator's JSON wire format (PROTOCOL.md §9): every uint a canonical decimal string, every byte string
 * 0x-hex. Parsers take `unknown` (straight from JSON.parse), validate strictly and throw `InputError` with a
 * stable code and the JSON path of the bad value in `field`; serializers are their exact inverse.
 *
 * Unknown fields are rejected: a misspelt "prevblock" silently ignored would sign or accept something else
 * than the sender meant.
 */
import { InputError, type InputErrorCode } from './errors.ts';
import { parseAddress, parseHex, parseUint, toBytes, ZERO_HASH, type Address, type Hash, type Hex } from './hex.ts';
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

/** A checkpoint as the operator serves it (docs/CHECKPOINTS.md §6): `finalAt` is its period's end. */
export interface CheckpointObject {
  readonly id: bigint;
  /** N: the child block it checkpoints. */
  readonly block: bigint;
  readonly root: Hash;
  readonly submittedAt: bigint;
  readonly finalAt: bigint;
  readonly status: 'pending' | 'final';
}
export interface CheckpointObjectJson {
  id: string;
  block: string;
  root: Hash;
  submittedAt: string;
  finalAt: string;
  status: 'pending' | 'final';
}

export type LeafStatusName = 'pending' | 'final' | 'void';
export const LEAF_STATUSES: readonly LeafStatusName[] = ['pending', 'final', 'void'];

/**
 * A coin's leaf in one checkpoint, with its proof and the checkpointed transaction (§9, docs/CHECKPOINTS.md §6).
 * A zero leaf (`leaf` = 0x00…00) has `txBlock`, `transaction`, `signature` and `proof` null and `leafProof` its
 * exclusion proof; a deposit leaf has `signature` and `proof` null. The parser checks these shapes only: whether
 * the leaf is true is the verifier's business (checkpoint-package.ts).
 */
export interface CheckpointLeafObject {
  /** k. */
  readonly checkpoint: bigint;
  /** N, the checkpoint's child block. */
  readonly block: bigint;
  readonly slot: bigint;
  readonly leaf: Hash;
  readonly leafProof: Hex;
  readonly txBlock: bigint | null;
  readonly transaction: Transaction | null;
  readonly signature: Hex | null;
  readonly proof: Hex | null;
  readonly status: LeafStatusName;
  /** When the leaf is final at the earliest, as the operator sees it (L1's leafStatus decides). */
  readonly finalAt: bigint | null;
}
export interface CheckpointLeafObjectJson {
  checkpoint: string;
  block: string;
  slot: string;
  leaf: Hash;
  leafProof: Hex;
  txBlock: string | null;
  transaction: TransactionJson | null;
  signature: Hex | null;
  proof: Hex | null;
  status: LeafStatusName;
  finalAt: string | null;
}

/**
 * `GET /v1/coins/:slot/history?since=checkpoint`: the §9 history after the coin's base, the base's leaf object
 * (`checkpoint`, null when the history starts at the deposit) and the coin's leaf in every pending checkpoint with
 * N at or after the base's (`pending`, ascending). This is the package a sender hands a receiver.
 */
export interface CheckpointHistoryResponse extends CoinHistoryResponse {
  readonly checkpoint: CheckpointLeafObject | null;
  readonly pending: readonly CheckpointLeafObject[];
}
export interface CheckpointHistoryResponseJson extends CoinHistoryResponseJson {
  checkpoint: CheckpointLeafObjectJson | null;
  pending: CheckpointLeafObjectJson[];
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

/** `GET /v1/checkpoints/latest` and `/v1/checkpoints/:id`. */
export function parseCheckpointObjectJson(value: unknown, path = 'checkpoint'): CheckpointObject {
  const object = asObject(value, path, ['id', 'block', 'root', 'submittedAt', 'finalAt', 'status']);
  const status = object['status'];
  if (status !== 'pending' && status !== 'final') {
    throw new InputError('invalid_status', `${join(path, 'status')} must be "pending" or "final"`, { field: join(path, 'status') });
  }
  return {
    id: readUint(object, 'id', 256, 'invalid_checkpoint', path),
    block: readUint(object, 'block', 256, 'invalid_block', path),
    root: parseHex(object['root'], { bytes: 32, name: join(path, 'root'), code: 'invalid_checkpoint' }) as Hash,
    submittedAt: readUint(object, 'submittedAt', 256, 'invalid_uint', path),
    finalAt: readUint(object, 'finalAt', 256, 'invalid_uint', path),
    status,
  };
}

/** `GET /v1/coins/:slot/checkpoint`, `/v1/checkpoints/:id/coins/:slot`, and the items of a package. */
export function parseCheckpointLeafObjectJson(value: unknown, path = 'leaf'): CheckpointLeafObject {
  const object = asObject(value, path, ['checkpoint', 'block', 'slot', 'leaf', 'leafProof', 'txBlock', 'transaction', 'signature', 'proof', 'status', 'finalAt']);
  const status = object['status'];
  if (typeof status !== 'string' || !(LEAF_STATUSES as readonly string[]).includes(status)) {
    throw new InputError('invalid_status', `${join(path, 'status')} must be "pending", "final" or "void"`, { field: join(path, 'status') });
  }
  const leaf = parseHex(object['leaf'], { bytes: 32, name: join(path, 'leaf'), code: 'invalid_leaf' }).toLowerCase() as Hash;
  const nullable = <T>(key: string, read: (value: unknown) => T): T | null => (object[key] === null ? null : read(object[key]));
  const parsed: CheckpointLeafObject = {
    checkpoint: readUint(object, 'checkpoint', 256, 'invalid_checkpoint', path),
    block: readUint(object, 'block', 256, 'invalid_block', path),
    slot: readUint(object, 'slot', 64, 'invalid_slot', path),
    leaf,
    leafProof: readProof(object['leafProof'], join(path, 'leafProof')),
    txBlock: nullable('txBlock', () => readUint(object, 'txBlock', 256, 'invalid_block', path)),
    transaction: nullable('transaction', (item) => parseTransactionJson(item, join(path, 'transaction'))),
    signature: nullable('signature', (item) => readSignature(item, join(path, 'signature'))),
    proof: nullable('proof', (item) => readProof(item, join(path, 'proof'))),
    status: status as LeafStatusName,
    finalAt: nullable('finalAt', () => readUint(object, 'finalAt', 256, 'invalid_uint', path)),
  };
  if (leaf === ZERO_HASH) {
    if (parsed.txBlock !== null || parsed.transaction !== null || parsed.signature !== null || parsed.proof !== null) {
      throw new InputError('invalid_leaf', `${path} is a zero leaf: txBlock, transaction, signature and proof must be null`, { field: path });
    }
  } else {
    if (parsed.txBlock === null || parsed.transaction === null) {
      throw new InputError('invalid_leaf', `${path} is not a zero leaf: txBlock and transaction are required`, { field: path });
    }
    if ((parsed.signature === null) !== (parsed.proof === null)) {
      throw new InputError('invalid_leaf', `${path}: signature and proof are both null (a deposit leaf) or both given`, { field: path });
    }
  }
  return parsed;
}

/** The body of `GET /v1/coins/:slot/history?since=checkpoint`: a checkpoint package. */
export function parseCheckpointHistoryResponseJson(value: unknown): CheckpointHistoryResponse {
  const object = asObject(value, 'history', ['slot', 'deposit', 'lastCommittedBlock', 'entries', 'next', 'checkpoint', 'pending'], ['next']);
  const { checkpoint, pending, ...history } = object;
  if (!Array.isArray(pending)) throw new InputError('invalid_object', 'pending must be an array', { field: 'pending' });
  return {
    ...parseCoinHistoryResponseJson(history),
    checkpoint: checkpoint === null ? null : parseCheckpointLeafObjectJson(checkpoint, 'checkpoint'),
    pending: pending.map((item, index) => parseCheckpointLeafObjectJson(item, `pending[${index}]`)),
  };
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

export function checkpointObjectToJson(checkpoint: CheckpointObject): CheckpointObjectJson {
  return {
    id: checkpoint.id.toString(),
    block: checkpoint.block.toString(),
    root: checkpoint.root.toLowerCase() as Hash,
    submittedAt: checkpoint.submittedAt.toString(),
    finalAt: checkpoint.finalAt.toString(),
    status: checkpoint.status,
  };
}

export function checkpointLeafObjectToJson(leaf: CheckpointLeafObject): CheckpointLeafObjectJson {
  return {
    checkpoint: leaf.checkpoint.toString(),
    block: leaf.block.toString(),
    slot: leaf.slot.toString(),
    leaf: leaf.leaf.toLowerCase() as Hash,
    leafProof: leaf.leafProof.toLowerCase() as Hex,
    txBlock: leaf.txBlock === null ? null : leaf.txBlock.toString(),
    transaction: leaf.transaction === null ? null : transactionToJson(leaf.transaction),
    signature: leaf.signature === null ? null : (leaf.signature.toLowerCase() as Hex),
    proof: leaf.proof === null ? null : (leaf.proof.toLowerCase() as Hex),
    status: leaf.status,
    finalAt: leaf.finalAt === null ? null : leaf.finalAt.toString(),
  };
}

export function checkpointHistoryResponseToJson(response: CheckpointHistoryResponse): CheckpointHistoryResponseJson {
  return {
    ...coinHistoryResponseToJson(response),
    checkpoint: response.checkpoint === null ? null : checkpointLeafObjectToJson(response.checkpoint),
    pending: response.pending.map(checkpointLeafObjectToJson),
  };
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
