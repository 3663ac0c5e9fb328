/**
 * keccak256 of many consecutive 64-byte inputs in one call: what the tree needs for a whole level at a time.
 *
 * Why: a tree of 100,000 leaves costs ~5 million keccak calls. Through hash-wasm's JS API each call is an
 * init + update + digest round trip with a copy and an allocation, about half of it overhead over the
 * permutation itself. Here the loop runs inside WebAssembly: a 70-byte module (assembled below) imports
 * hash-wasm's own keccak instance (its memory and its `Hash_Calculate` export) and, per input, copies 64 bytes
 * into hash-wasm's buffer, calls Hash_Calculate(64, 256 bits, padding 0x01 = Keccak, not SHA-3) and copies the
 * 32-byte digest out. JavaScript copies each chunk of inputs in and digests out with one `set` each (170 inputs per chunk).
 *
 * hash-wasm does not export its WASM binary; it is read from the pinned package (4.13.0, checked by the
 * binary's hash that hash-wasm itself records) and instantiated separately from keccak.ts's hasher.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The keccak binary as hash-wasm 4.13.0 ships it (its own SHA-1 prefix of the binary, `hash$b`). */
const HASH_WASM_KECCAK = { name: 'sha3', hash: '961accfe' };
/**
 * hash-wasm's buffer is 16 KiB (its MAX_HEAP) and Hash_Calculate uses only its first 64 bytes; the rest holds one
 * chunk of inputs (64 bytes each) and their digests (32 each). The module's memory has a maximum, so it cannot grow.
 */
const BUFFER_BYTES = 16 * 1024;
const CHUNK = Math.floor((BUFFER_BYTES - 64) / 96);

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface KeccakExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  Hash_GetBuffer(): number;
  Hash_Calculate(length: number, bits: number, padding: number): void;
}

function hashWasmKeccakBinary(): Uint8Array {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve('hash-wasm/dist/index.esm.js'), 'utf8');
  // var name$b = "sha3"; var data$b = "<base64>"; var hash$b = "961accfe";
  const match = /var name\$(\w*) = "sha3";\s*var data\$\1 = "([A-Za-z0-9+/=]+)";\s*var hash\$\1 = "([0-9a-f]+)";/.exec(source);
  if (match === null || match[3] !== HASH_WASM_KECCAK.hash) {
    throw new Error(`hash-wasm's keccak binary (${HASH_WASM_KECCAK.hash}) not found: was hash-wasm upgraded from 4.13.0?`);
  }
  return Buffer.from(match[2]!, 'base64');
}

/** A WASM section: id, byte length (LEB128, < 128 here), contents. */
function section(id: number, contents: number[]): number[] {
  if (contents.length >= 128) throw new Error('section too long for a one-byte length');
  return [id, contents.length, ...contents];
}
const name = (text: string): number[] => [text.length, ...Buffer.from(text, 'latin1')];

/**
 * pairs(src, dst, count, buf): for count inputs, memory.copy(buf, src, 64); h(64, 256, 1); memory.copy(dst, buf, 32);
 * src += 64; dst += 32. Imports "k"."m" (memory) and "k"."h" (Hash_Calculate).
 */
const LOOP_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [2, 0x60, 3, 0x7f, 0x7f, 0x7f, 0, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // types: (i32 i32 i32) → (), (i32 i32 i32 i32) → ()
  ...section(2, [2, ...name('k'), ...name('m'), 0x02, 0x00, 1, ...name('k'), ...name('h'), 0x00, 0]), // imports: memory (min 1 page), func type 0
  ...section(3, [1, 1]), // one function, type 1
  ...section(7, [1, ...name('pairs'), 0x00, 1]), // export "pairs" = function 1 (0 is the import)
  ...section(10, [1, ...((body: number[]) => [body.length, ...body])([
    0, // no locals besides the 4 parameters: 0 src, 1 dst, 2 count, 3 buf
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, 2, 0x45, 0x0d, 1, // if count == 0: break
    0x20, 3, 0x20, 0, 0x41, 0xc0, 0x00, 0xfc, 0x0a, 0, 0, // memory.copy(buf, src, 64)
    0x41, 0xc0, 0x00, 0x41, 0x80, 0x02, 0x41, 1, 0x10, 0, // h(64, 256, 1)
    0x20, 1, 0x20, 3, 0x41, 32, 0xfc, 0x0a, 0, 0, // memory.copy(dst, buf, 32)
    0x20, 0, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0, // src += 64
    0x20, 1, 0x41, 32, 0x6a, 0x21, 1, // dst += 32
    0x20, 2, 0x41, 1, 0x6b, 0x21, 2, // count -= 1
    0x0c, 0, // continue
    0x0b, 0x0b, 0x0b, // end loop, end block, end function
  ])]),
]);

const keccak = (await wasm.instantiate(hashWasmKeccakBinary(), {})).instance.exports as unknown as KeccakExports;
const loop = (await wasm.instantiate(LOOP_MODULE, { k: { m: keccak.memory, h: keccak.Hash_Calculate } })).instance
  .exports as unknown as { pairs(src: number, dst: number, count: number, buf: number): void };
const hasherBuffer = keccak.Hash_GetBuffer();
const inputAt = hasherBuffer + 64;
const outputAt = inputAt + 64 * CHUNK;
const memory = new Uint8Array(keccak.memory.buffer);

/**
 * output[32k .. 32k+32) = keccak256(input[64k .. 64k+64)) for k < count. `input` and `output` may be views at
 * any offset; they must not overlap.
 */
export function keccak256Pairs(input: Uint8Array, output: Uint8Array, count: number): void {
  if (input.length < 64 * count || output.length < 32 * count) throw new RangeError('keccak256Pairs: buffers too short for count');
  for (let done = 0; done < count; done += CHUNK) {
    const n = Math.min(CHUNK, count - done);
    memory.set(input.subarray(64 * done, 64 * (done + n)), inputAt);
    loop.pairs(inputAt, outputAt, n, hasherBuffer);
    output.set(memory.subarray(outputAt, outputAt + 32 * n), 32 * done);
  }
}

/**
 * keccak256 of the 64 bytes at `offset` in `source`, written to `target` at `targetOffset`: one WASM call and
 * no allocation (byte loops instead of subarray views), for callers that hash one node at a time — deriving an
 * exclusion proof lifts a leaf through ~47 levels, thousands of times per history.
 */
export function keccak256Of64(source: Uint8Array, offset: number, target: Uint8Array, targetOffset: number): void {
  for (let i = 0; i < 64; i++) memory[hasherBuffer + i] = source[offset + i]!;
  keccak.Hash_Calculate(64, 256, 1);
  for (let i = 0; i < 32; i++) target[targetOffset + i] = memory[hasherBuffer + i]!;
}
