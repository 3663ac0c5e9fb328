/**
 * keccak256 of 64-byte inputs (two tree nodes), in a WebAssembly module assembled here at load time.
 *
 * Why: a block tree of 100,000 leaves needs ~5 million such hashes. A general-purpose keccak (hash-wasm's)
 * zeroes its state, buffers the input, pads it and permutes with its lanes in memory, once per call. Here the
 * input is always exactly one 64-byte block, so the state starts as the 8 input lanes plus two padding constants
 * (Keccak's pad10*1 with domain bits 0x01, at bytes 64 and 135 of the 136-byte rate), all 25 lanes are locals,
 * and θ, ρ, π, χ of each of the 24 rounds are unrolled straight-line code. It is checked against hash-wasm on
 * random inputs in test/client/protocol/keccak.test.ts; bench/keccak.ts prints the speed of both.
 *
 * Exports: `memory` and `pairs(src, dst, count)`: for k < count, 32 bytes at dst + 32k = keccak256 of the 64
 * bytes at src + 64k. Addresses 0..191 hold the round constants; JavaScript uses the rest (see keccak-batch.ts).
 */

/** Keccak-f[1600] round constants ι. */
const ROUND_CONSTANTS = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n,
  0x000000000000808bn, 0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n,
  0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n,
  0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];
/** ρ rotation of lane x + 5y. */
const RHO = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

/** Bytes of the round-constant table at address 0. */
export const KECCAK_WASM_RESERVED = 8 * ROUND_CONSTANTS.length;

// ---- a minimal assembler for the instructions used

const uleb = (value: number): number[] => {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
};
const sleb64 = (value: bigint): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, contents: number[]): number[] => [id, ...uleb(contents.length), ...contents];

const I32 = 0x7f;
const I64 = 0x7e;
const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  i64load: (offset: number) => [0x29, 3, ...uleb(offset)],
  i64store: (offset: number) => [0x37, 3, ...uleb(offset)],
  i64const: (v: bigint) => [0x42, ...sleb64(BigInt.asIntN(64, v))],
  i32const: (v: number) => [0x41, ...sleb64(BigInt(v))],
  xor: [0x85],
  and: [0x83],
  rotl: [0x89],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32eqz: [0x45],
  i32ltu: [0x49],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  end: [0x0b],
};

// locals: 0 src, 1 dst, 2 count (params, i32); 3 round offset (i32); then the i64s
const SRC = 0;
const DST = 1;
const COUNT = 2;
const ROUND = 3;
const A = (lane: number) => 4 + lane;
const B = (lane: number) => 29 + lane;
const C = (x: number) => 54 + x;
const D = (x: number) => 59 + x;

function permutationRound(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((part) => code.push(...part));
  // θ: column parities, then d[x] = c[x-1] ^ rotl(c[x+1], 1)
  for (let x = 0; x < 5; x++) {
    emit(op.get(A(x)), op.get(A(x + 5)), op.xor, op.get(A(x + 10)), op.xor, op.get(A(x + 15)), op.xor, op.get(A(x + 20)), op.xor, op.set(C(x)));
  }
  for (let x = 0; x < 5; x++) {
    emit(op.get(C((x + 4) % 5)), op.get(C((x + 1) % 5)), op.i64const(1n), op.rotl, op.xor, op.set(D(x)));
  }
  // θ applied, ρ and π: b[y, 2x + 3y] = rotl(a[x, y] ^ d[x], ρ[x, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const lane = x + 5 * y;
      emit(op.get(A(lane)), op.get(D(x)), op.xor);
      if (RHO[lane] !== 0) emit(op.i64const(BigInt(RHO[lane]!)), op.rotl);
      emit(op.set(B(y + 5 * ((2 * x + 3 * y) % 5))));
    }
  }
  // χ: a[x, y] = b[x, y] ^ (~b[x+1, y] & b[x+2, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      emit(op.get(B(x + 5 * y)), op.get(B(((x + 1) % 5) + 5 * y)), op.i64const(-1n), op.xor, op.get(B(((x + 2) % 5) + 5 * y)), op.and, op.xor, op.set(A(x + 5 * y)));
    }
  }
  // ι: the round constant, read from the table at address `round`
  emit(op.get(A(0)), op.get(ROUND), op.i64load(0), op.xor, op.set(A(0)));
  return code;
}

function pairsBody(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((part) => code.push(...part));
  emit(op.block, op.loop);
  emit(op.get(COUNT), op.i32eqz, op.brIf(1));
  // absorb: the 8 input lanes, the padding (0x01 at byte 64 = lane 8, 0x80 at byte 135 = top of lane 16), zeros
  for (let lane = 0; lane < 25; lane++) {
    if (lane < 8) emit(op.get(SRC), op.i64load(8 * lane));
    else if (lane === 8) emit(op.i64const(1n));
    else if (lane === 16) emit(op.i64const(0x8000000000000000n));
    else emit(op.i64const(0n));
    emit(op.set(A(lane)));
  }
  emit(op.i32const(0), op.set(ROUND));
  emit(op.loop, permutationRound());
  emit(op.get(ROUND), op.i32const(8), op.i32add, op.set(ROUND));
  emit(op.get(ROUND), op.i32const(KECCAK_WASM_RESERVED), op.i32ltu, op.brIf(0), op.end);
  // squeeze 32 bytes
  for (let lane = 0; lane < 4; lane++) emit(op.get(DST), op.get(A(lane)), op.i64store(8 * lane));
  emit(op.get(SRC), op.i32const(64), op.i32add, op.set(SRC));
  emit(op.get(DST), op.i32const(32), op.i32add, op.set(DST));
  emit(op.get(COUNT), op.i32const(1), op.i32sub, op.set(COUNT));
  emit(op.br(0), op.end, op.end);
  return code;
}

function assemble(pages: number): Uint8Array {
  const name = (text: string) => [...uleb(text.length), ...Buffer.from(text, 'latin1')];
  const body = [...vec([[...uleb(1), I32], [...uleb(60), I64]]), ...pairsBody(), ...op.end];
  const constants = new Uint8Array(KECCAK_WASM_RESERVED);
  const view = new DataView(constants.buffer);
  ROUND_CONSTANTS.forEach((rc, i) => view.setBigUint64(8 * i, rc, true));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), 0]])), // type 0: (i32, i32, i32) → ()
    ...section(3, vec([uleb(0)])), // function 0 has type 0
    ...section(5, vec([[0x00, ...uleb(pages)]])), // one memory, `pages` pages
    ...section(7, vec([[...name('memory'), 0x02, 0], [...name('pairs'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
    ...section(11, vec([[0x00, ...op.i32const(0), ...op.end, ...uleb(constants.length), ...constants]])), // data at 0
  ]);
}

export interface KeccakWasm {
  /** The module's memory: round constants at 0..KECCAK_WASM_RESERVED, the rest free for inputs and outputs. */
  readonly memory: Uint8Array;
  pairs(src: number, dst: number, count: number): void;
}

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmSync {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { memory: { buffer: ArrayBuffer }; pairs(src: number, dst: number, count: number): void } };
}

/** A fresh instance with `pages` pages (64 KiB each) of memory. */
export function createKeccakWasm(pages: number): KeccakWasm {
  const wasm = (globalThis as unknown as { WebAssembly: WasmSync }).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(assemble(pages)), {});
  return { memory: new Uint8Array(instance.exports.memory.buffer), pairs: instance.exports.pairs };
}
