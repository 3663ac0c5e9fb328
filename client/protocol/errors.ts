/**
 * One error hierarchy for every rule of the protocol. Callers branch on `code` (stable, snake_case, part of the
 * wire format: the operator copies it into `{"error":{"code":…}}`), never on the message, which may be reworded.
 */

export interface PlasmaErrorOptions {
  /** Extra human-readable lines appended to the message (what was expected, what was seen). */
  readonly details?: string;
  readonly cause?: unknown;
}

export class PlasmaError extends Error {
  override name = 'PlasmaError';
  readonly code: string;
  /** The message without details: safe to show to an end user or to send over HTTP. */
  readonly shortMessage: string;
  readonly details: string | undefined;

  constructor(code: string, shortMessage: string, options: PlasmaErrorOptions = {}) {
    const message = options.details === undefined ? shortMessage : `${shortMessage}\n\nDetails: ${options.details}`;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
  }
}

/** Malformed input: bad hex, out-of-range uint, wrong JSON shape. The operator maps these to HTTP 400. */
export type InputErrorCode =
  | 'invalid_hex'
  | 'invalid_address'
  | 'invalid_uint'
  | 'invalid_slot'
  | 'invalid_block'
  | 'invalid_prev_block'
  | 'invalid_denomination'
  | 'invalid_new_owner'
  | 'invalid_owner'
  | 'invalid_signature'
  | 'invalid_proof'
  | 'invalid_kind'
  | 'invalid_object'
  | 'missing_field'
  | 'unknown_field';

export class InputError extends PlasmaError {
  override name = 'InputError';
  declare readonly code: InputErrorCode;
  /** The JSON path or parameter name of the offending value, e.g. `entries[3].proof`. */
  readonly field: string | undefined;

  constructor(code: InputErrorCode, shortMessage: string, options: PlasmaErrorOptions & { field?: string } = {}) {
    super(code, shortMessage, options);
    this.field = options.field;
  }
}

export type SignatureErrorCode =
  | 'invalid_signature_length'
  | 'invalid_signature_v'
  | 'invalid_signature_r'
  | 'invalid_signature_s'
  | 'signature_high_s'
  | 'signature_unrecoverable'
  | 'invalid_private_key';

export class SignatureError extends PlasmaError {
  override name = 'SignatureError';
  declare readonly code: SignatureErrorCode;
  constructor(code: SignatureErrorCode, shortMessage: string, options: PlasmaErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

export type ProofErrorCode = 'invalid_proof_length' | 'invalid_proof_hex' | 'invalid_leaf' | 'invalid_root' | 'invalid_slot';

export class ProofError extends PlasmaError {
  override name = 'ProofError';
  declare readonly code: ProofErrorCode;
  constructor(code: ProofErrorCode, shortMessage: string, options: PlasmaErrorOptions = {}) {
    super(code, shortMessage, options);
  }
}

export type TreeErrorCode = 'duplicate_slot' | 'zero_leaf' | 'invalid_slot' | 'invalid_leaf';

export class TreeError extends PlasmaError {
  override name = 'TreeError';
  declare readonly code: TreeErrorCode;
  readonly slot: bigint | undefined;
  constructor(code: TreeErrorCode, shortMessage: string, options: PlasmaErrorOptions & { slot?: bigint } = {}) {
    super(code, shortMessage, options);
    this.slot = options.slot;
  }
}

export const HISTORY_ERROR_CODES = [
  'missing_block',
  'duplicate_block',
  'unexpected_block',
  'unknown_root',
  'invalid_proof',
  'wrong_slot',
  'wrong_denomination',
  'broken_chain',
  'double_spend',
  'bad_signature',
  'not_signed_by_owner',
  'wrong_owner',
  'wrong_deposit',
] as const;
export type HistoryErrorCode = (typeof HISTORY_ERROR_CODES)[number];

/** A coin history that breaks a rule of §5: `block` is the child block whose entry (or absence) is at fault. */
export class HistoryError extends PlasmaError {
  override name = 'HistoryError';
  declare readonly code: HistoryErrorCode;
  readonly block: bigint;
  /** The rule of PROTOCOL.md that failed, in words, e.g. "prevBlock must name the block of the previous valid tx". */
  readonly rule: string;

  constructor(code: HistoryErrorCode, block: bigint, rule: string, options: PlasmaErrorOptions = {}) {
    super(code, `coin history rejected at block ${block}: ${rule}`, options);
    this.block = block;
    this.rule = rule;
  }
}
