/**
 * keccak256 of many consecutive 64-byte inputs in one call: what the tree needs for a whole level at a time.
 *
 * Why: a tree of 100,000 leaves costs ~5 million keccak calls. One JS → WASM round trip per node, or a
 * general-purpose hasher's init/update/digest per node, costs as much again as the permutation itself. Here the
 * loop runs inside WebAssembly (keccak-wasm.ts, specialised for 64-byte inputs): JavaScript copies a chunk of
 * inputs in and the digests out with one `set` each.
 */
import { createKeccakWasm, KECCAK_WASM_RESERVED } from './keccak-wasm.ts';

/** Inputs per WASM call: 32,768 × 96 bytes (input and digest) = 3 MiB of the module's 4 MiB memory. */
const CHUNK = 32_768;
const PAGES = 64;
const keccak = createKeccakWasm(PAGES);
const single = KECCAK_WASM_RESERVED; // one input at a time (keccak256Of64): input here, digest right after
const inputAt = 1024;
const outputAt = inputAt + 64 * CHUNK;
const { memory } = keccak;

/**
 * output[32k .. 32k+32) = keccak256(input[64k .. 64k+64)) for k < count. `input` and `output` may be views at
 * any offset; they must not overlap.
 */
export function keccak256Pairs(input: Uint8Array, output: Uint8Array, count: number): void {
  if (input.length < 64 * count || output.length < 32 * count) throw new RangeError('keccak256Pairs: buffers too short for count');
  for (let done = 0; done < count; done += CHUNK) {
    const n = Math.min(CHUNK, count - done);
    memory.set(input.subarray(64 * done, 64 * (done + n)), inputAt);
    keccak.pairs(inputAt, outputAt, n);
    output.set(memory.subarray(outputAt, outputAt + 32 * n), 32 * done);
  }
}

/**
 * keccak256 of the 64 bytes at `offset` in `source`, written to `target` at `targetOffset`: one WASM call and
 * no allocation (byte loops instead of subarray views), for callers that hash one node at a time — deriving an
 * exclusion proof lifts a leaf through ~47 levels, thousands of times per history.
 */
export function keccak256Of64(source: Uint8Array, offset: number, target: Uint8Array, targetOffset: number): void {
  for (let i = 0; i < 64; i++) memory[single + i] = source[offset + i]!;
  keccak.pairs(single, single + 64, 1);
  for (let i = 0; i < 32; i++) target[targetOffset + i] = memory[single + 64 + i]!;
}
