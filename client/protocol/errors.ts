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
  | 'unknown_field'
  | 'invalid_leaf'
  | 'invalid_status'
  | 'invalid_checkpoint';

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

/**
 * Why a checkpoint package (PROTOCOL.md §10 Receiver, docs/CHECKPOINTS.md §7) is refused. The §5 history after
 * the checkpoint fails with a HistoryError instead; these are the rules about the leaves.
 */
export const CHECKPOINT_ERROR_CODES = [
  /** The package names a checkpoint L1 does not hold (no root for k). */
  'unknown_checkpoint',
  /** The leaf object's `block` is not the child block L1 records for checkpoint k. */
  'checkpoint_block_mismatch',
  /** The leaf object is about another slot than the coin's. */
  'leaf_slot_mismatch',
  /** The served `leaf` is not keccak256(abi.encode(txBlock, digest(transaction))) (or not zero for a zero leaf). */
  'leaf_mismatch',
  /** `leafProof` does not prove the leaf at the coin's slot under checkpoint k's root on L1. */
  'invalid_leaf_proof',
  /** The base's leafStatus(k, slot) on L1 is not Final. */
  'checkpoint_not_final',
  /** The base is a zero leaf: it says nothing about the coin. */
  'zero_base',
  /** The leaf's txBlock is before the coin's deposit block: it is not the coin's (R11). */
  'leaf_before_deposit',
  /** The leaf's txBlock is after its checkpoint's child block N. */
  'leaf_after_checkpoint',
  /** The checkpointed transaction is not of the coin (slot, denomination) or carries no signature and proof. */
  'leaf_tx_invalid',
  /** The checkpointed transaction's inclusion proof does not verify at txBlock against that block's root on L1. */
  'leaf_tx_not_included',
  /** txBlock is the deposit block but the transaction is not the deposit transaction of the L1 record. */
  'leaf_wrong_deposit',
  /** A checkpoint pending on L1 with N at or after the base's has no leaf in the package. */
  'pending_leaf_missing',
  /** The package carries two leaves of one checkpoint. */
  'pending_leaf_duplicate',
  /** A pending checkpoint's N is after the history the package covers. */
  'pending_leaf_uncovered',
  /**
   * A pending leaf names a transaction of the verified chain that the chain spends again at or before N (R9): it
   * must be voided (challengeLeafSpent, with `evidence`) before the coin is accepted.
   */
  'pending_leaf_stale',
  /** A pending leaf names something other than the verified chain's last transaction at or before its N. */
  'pending_leaf_conflict',
] as const;
export type CheckpointErrorCode = (typeof CHECKPOINT_ERROR_CODES)[number];

/** A checkpoint leaf (the package's base or a pending one) that breaks a rule of §10: `checkpoint` is its k. */
export class CheckpointError extends PlasmaError {
  override name = 'CheckpointError';
  declare readonly code: CheckpointErrorCode;
  readonly checkpoint: bigint | undefined;
  readonly slot: bigint;
  /** The rule of PROTOCOL.md §10 that failed, in words. */
  readonly rule: string;
  /** pending_leaf_stale: the block of the verified spend of the named transaction (the evidence of challengeLeafSpent). */
  readonly spendBlock: bigint | undefined;

  constructor(code: CheckpointErrorCode, checkpoint: bigint | undefined, slot: bigint, rule: string, options: PlasmaErrorOptions & { spendBlock?: bigint } = {}) {
    super(code, `checkpoint package of coin ${slot} rejected${checkpoint === undefined ? '' : ` at checkpoint ${checkpoint}`}: ${rule}`, options);
    this.checkpoint = checkpoint;
    this.slot = slot;
    this.rule = rule;
    this.spendBlock = options.spendBlock;
  }
}
