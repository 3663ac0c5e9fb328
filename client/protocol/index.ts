/**
 * The protocol rules of PROTOCOL.md, implemented once: the operator, the wallet and the watcher import them
 * from here and nowhere else.
 */
export * from './errors.ts';
export {
  bytesToHex,
  bytesToUint,
  checksumAddress,
  concatBytes,
  equalBytes,
  hexToBytes,
  isHex,
  parseAddress,
  parseHex,
  parseUint,
  toBytes,
  uintToBytes,
  UINT64_MAX,
  ZERO_HASH,
  UINT256_MAX,
  type Address,
  type Hash,
  type Hex,
  type ParseHexOptions,
  type ParseUintOptions,
} from './hex.ts';
export { keccak256, keccak256Pair } from './keccak.ts';
export {
  assertTransaction,
  depositTransaction,
  domainSeparator,
  domainSeparatorBytes,
  DOMAIN_NAME,
  DOMAIN_VERSION,
  TRANSACTION_TYPE,
  TRANSACTION_TYPEHASH,
  TRANSACTION_TYPES,
  transactionDigest,
  transactionDigestBytes,
  transactionStructHash,
  transactionStructHashBytes,
  type Transaction,
  type TransactionDomain,
} from './transaction.ts';
export {
  checkSignatureForm,
  recoverSigner,
  recoverTransactionSigner,
  recoverTransactionSignerOf,
  SIGNATURE_LENGTH,
  signDigest,
  signTransaction,
  type TypedDataSigner,
} from './signature.ts';
export {
  checkProofLength,
  computeRootFromProof,
  DEFAULT_HASHES,
  DEFAULT_HASHES_HEX,
  EMPTY_ROOT,
  MAX_PROOF_LENGTH,
  SparseMerkleTree,
  TREE_DEPTH,
  verifyProof,
  type TreeLeaf,
} from './smt.ts';
export {
  CHILD_BLOCK_INTERVAL,
  CoinHistoryVerifier,
  verifyCoinHistory,
  type CoinDeposit,
  type CoinHistoryVerifierOptions,
  type CoinState,
  type ExclusionEntry,
  type HistoryEntry,
  type InclusionEntry,
  type RootLookup,
  type VerifyCoinHistoryInput,
} from './history.ts';
export * from './wire.ts';
export { commonHeight, deriveExclusionProof, EMPTY_BLOCK_EXCLUSION_PROOF, pickNeighbour, type ProofNeighbour } from './derive.ts';
export { checkpointLeaf, writeCheckpointLeafInput } from './checkpoint.ts';
export {
  checkLeafProof,
  lastLinkAtOrBefore,
  pendingVerdict,
  verifyCheckpointPackage,
  type ChainLink,
  type CheckpointBase,
  type CheckpointLookup,
  type CheckpointPackageResult,
  type CheckpointRecord,
  type PendingLeafVerdict,
  type VerifiedPendingLeaf,
  type VerifyCheckpointPackageInput,
} from './checkpoint-package.ts';
export {
  decodePackage,
  encodeEntries,
  encodePackage,
  encodePackageHead,
  isCheckpointForm,
  looksLikeBinaryPackage,
  PACKAGE_MAGIC,
  PACKAGE_MEDIA_TYPE,
  PACKAGE_VERSION,
  PackageFormatError,
  type DecodedPackage,
  type PackageFormatErrorCode,
  type PackageHead,
} from './package-binary.ts';
