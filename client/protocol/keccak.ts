/**
 * keccak256 through hash-wasm: one WASM hasher, created once at module load (top-level await) and reused for
 * every call. That is ~7× faster than @noble/hashes (what ethers uses). Works on bytes only, so no hex
 * round-trips on the hot path. keccak256Into, the tree's 64-byte node hash, goes to the module specialised for
 * that size instead (keccak-batch.ts), ~1.5× faster again.
 *
 * Not re-entrant across awaits by design: every function here runs init → update → digest synchronously.
 */
import { createKeccak } from 'hash-wasm';
import { keccak256Of64 } from './keccak-batch.ts';

const hasher = await createKeccak(256);

export function keccak256(data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest('binary');
}

/** keccak256(left ‖ right) for two 32-byte nodes: the node hash of §3. */
export function keccak256Pair(left: Uint8Array, right: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(left);
  hasher.update(right);
  return hasher.digest('binary');
}

/**
 * keccak256 of the 64 bytes at `offset` in `source`, written to `target` at `targetOffset`: lets the tree hash
 * two adjacent siblings of a level buffer in place.
 */
export function keccak256Into(source: Uint8Array, offset: number, target: Uint8Array, targetOffset: number): void {
  if (offset < 0 || offset + 64 > source.length || targetOffset < 0 || targetOffset + 32 > target.length) {
    throw new RangeError('keccak256Into: offset out of range');
  }
  keccak256Of64(source, offset, target, targetOffset);
}
