/**
 * The leaf of a checkpoint (PROTOCOL.md §10, docs/CHECKPOINTS.md §5): at index `slot` of a depth-64 sparse Merkle
 * tree (§3 hashing and proofs), `keccak256(abi.encode(uint256 txBlock, bytes32 txDigest))` for the coin's valid
 * transaction with the greatest block ≤ N (its deposit transaction at the deposit block if it never moved), and
 * zero for a slot with no coin at N or whose coin was EXITED at submission.
 */
import { toBytes, type Hex } from './hex.ts';
import { keccak256Into } from './keccak.ts';

/** Writes abi.encode(uint256 txBlock, bytes32 txDigest) (64 bytes) at `offset`: the input a batch hashes. */
export function writeCheckpointLeafInput(target: Uint8Array, offset: number, txBlock: bigint, txDigest: Uint8Array): void {
  if (txBlock < 0n || txBlock >= 1n << 256n) throw new RangeError(`txBlock ${txBlock} is not a uint256`);
  target.fill(0, offset, offset + 32);
  let rest = txBlock;
  for (let i = offset + 31; i >= offset && rest > 0n; i--) {
    target[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  target.set(txDigest.subarray(0, 32), offset + 32);
}

/** keccak256(abi.encode(uint256 txBlock, bytes32 txDigest)). */
export function checkpointLeaf(txBlock: bigint, txDigest: Uint8Array | Hex): Uint8Array {
  const input = new Uint8Array(64);
  writeCheckpointLeafInput(input, 0, txBlock, toBytes(txDigest, 32, 'txDigest'));
  const leaf = new Uint8Array(32);
  keccak256Into(input, 0, leaf, 0);
  return leaf;
}
