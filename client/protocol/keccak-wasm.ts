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
 * Exports: `memory`, and
 * - `pairs(src, dst, count)`: for k < count, 32 bytes at dst + 32k = keccak256 of the 64 bytes at src + 64k;
 * - `chain(node, sibling, from, to, slotHi, slotLo, defaults)`: lifts the 32-byte node at `node` from height
 *   `from` to height `to` of a sparse Merkle tree (§3), in place: at each height d it becomes keccak256 of itself
 *   and its sibling, on the side bit d of the slot (slotHi ‖ slotLo) says. Every sibling is the default hash of
 *   its height (the 32-byte table at `defaults`, 32·d apart), except the last step's when `sibling` is not 0:
 *   then the 32 bytes there (the left neighbour that joins it). A node alone in its subtree is the common case
 *   of a sparse tree, and here its ~40 steps run without leaving WebAssembly, its lanes kept in locals
 *   (smt-lift.ts).
 * Addresses 0..191 hold the round constants; JavaScript uses the rest (see keccak-batch.ts, smt-lift.ts).
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
/**
 * Lanes the state keeps complemented between rounds (x + 5y; Bertoni et al.'s lane-complementing transform, the
 * set of the Keccak team's reference code): χ's NOTs mostly cancel against them (permutationRound). They are
 * complemented once on the way in and the output lanes among them once on the way out.
 */
const COMPLEMENTED = new Set([1, 2, 8, 12, 17, 20]);
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
  or: [0x84],
  rotl: [0x89],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32eqz: [0x45],
  i32eq: [0x46],
  i32ne: [0x47],
  i32geu: [0x4f],
  i32and: [0x71],
  i32shl: [0x74],
  i32shru: [0x76],
  select: [0x1b],
  i32ltu: [0x49],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  end: [0x0b],
};

/** Where a function keeps the permutation's locals: lanes A, scratch lanes B, column parities C, θ's D, round. */
interface Layout {
  readonly round: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

// pairs: params 0 src, 1 dst, 2 count (i32); local 3 round offset (i32); then the i64s
const SRC = 0;
const DST = 1;
const COUNT = 2;
const PAIRS: Layout = { round: 3, a: 4, b: 29, c: 54, d: 59 };

// chain: params 0 node, 1 sibling, 2 from, 3 to, 4 slotHi, 5 slotLo, 6 defaults (i32); locals 7 round, 8 the
// sibling's address, 9 side bit (i32); then the i64s, the node's four lanes N last
const NODE = 0;
const SIBLING = 1;
const FROM = 2;
const TO = 3;
const SLOT_HI = 4;
const SLOT_LO = 5;
const DEFAULTS = 6;
const SIBLING_AT = 8;
const BIT = 9;
const CHAIN: Layout = { round: 7, a: 10, b: 35, c: 60, d: 65 };
const N = (lane: number) => 70 + lane;

function permutationRound(L: Layout): number[] {
  const A = (lane: number) => L.a + lane;
  const B = (lane: number) => L.b + lane;
  const C = (x: number) => L.c + x;
  const D = (x: number) => L.d + x;
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
  // χ: a[x, y] = b[x, y] ^ (~b[x+1, y] & b[x+2, y]), on complemented lanes (COMPLEMENTED): where b[x+1] is
  // kept complemented its NOT is free, and ~u & v = ~(u | ~v) moves the others; each lane takes the form with
  // fewer NOTs that leaves it in its kept form (5 NOTs per round instead of 25).
  const kept = (lane: number) => COMPLEMENTED.has(lane);
  const column = (x: number) => [0, 1, 2, 3, 4].reduce((parity, y) => parity !== kept(x + 5 * y), false);
  const dFlipped = (x: number) => column((x + 4) % 5) !== column((x + 1) % 5);
  const bFlipped: boolean[] = [];
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) bFlipped[y + 5 * ((2 * x + 3 * y) % 5)] = kept(x + 5 * y) !== dFlipped(x);
  const not = [...op.i64const(-1n), ...op.xor];
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const [b0, b1, b2] = [x, (x + 1) % 5, (x + 2) % 5].map((bx) => bx + 5 * y) as [number, number, number];
      const [k0, k1, k2, target] = [bFlipped[b0]!, bFlipped[b1]!, bFlipped[b2]!, kept(x + 5 * y)];
      // and-form: b0 ^ (~B1 & B2); or-form: b0 ^ ~(B1 | ~B2), written with the lanes as stored
      const andNots = Number(!k1) + Number(k2) + Number(k0 !== target);
      const orNots = Number(k1) + Number(!k2) + Number(k0 === target);
      if (andNots <= orNots) {
        emit(op.get(B(b1)), k1 ? [] : not, op.get(B(b2)), k2 ? not : [], op.and, op.get(B(b0)), op.xor, k0 !== target ? not : []);
      } else {
        emit(op.get(B(b1)), k1 ? not : [], op.get(B(b2)), k2 ? [] : not, op.or, op.get(B(b0)), op.xor, k0 === target ? not : []);
      }
      emit(op.set(A(x + 5 * y)));
    }
  }
  // ι: the round constant, read from the table at address `round`
  emit(op.get(A(0)), op.get(L.round), op.i64load(0), op.xor, op.set(A(0)));
  return code;
}

/** Absorbs the 64-byte input whose lanes `inputLane(k)` pushes (k < 8), pads it, and permutes (24 rounds). */
function absorbAndPermute(L: Layout, inputLane: (lane: number) => number[]): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((part) => code.push(...part));
  // the 8 input lanes, the padding (0x01 at byte 64 = lane 8, 0x80 at byte 135 = top of lane 16), zeros; the
  // COMPLEMENTED lanes complemented
  const constants = new Map([[8, 1n], [16, 0x8000000000000000n]]);
  for (let lane = 0; lane < 25; lane++) {
    const flip = COMPLEMENTED.has(lane);
    if (lane < 8) emit(inputLane(lane), flip ? [...op.i64const(-1n), ...op.xor] : []);
    else emit(op.i64const(flip ? ~(constants.get(lane) ?? 0n) : (constants.get(lane) ?? 0n)));
    emit(op.set(L.a + lane));
  }
  emit(op.i32const(0), op.set(L.round));
  emit(op.loop, permutationRound(L));
  emit(op.get(L.round), op.i32const(8), op.i32add, op.set(L.round));
  emit(op.get(L.round), op.i32const(KECCAK_WASM_RESERVED), op.i32ltu, op.brIf(0), op.end);
  return code;
}

/** Output lane `lane` (< 4) of the state, back in its true form. */
function squeeze(L: Layout, lane: number): number[] {
  return [...op.get(L.a + lane), ...(COMPLEMENTED.has(lane) ? [...op.i64const(-1n), ...op.xor] : [])];
}

function pairsBody(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((part) => code.push(...part));
  emit(op.block, op.loop);
  emit(op.get(COUNT), op.i32eqz, op.brIf(1));
  emit(absorbAndPermute(PAIRS, (lane) => [...op.get(SRC), ...op.i64load(8 * lane)]));
  // squeeze 32 bytes
  for (let lane = 0; lane < 4; lane++) emit(op.get(DST), squeeze(PAIRS, lane), op.i64store(8 * lane));
  emit(op.get(SRC), op.i32const(64), op.i32add, op.set(SRC));
  emit(op.get(DST), op.i32const(32), op.i32add, op.set(DST));
  emit(op.get(COUNT), op.i32const(1), op.i32sub, op.set(COUNT));
  emit(op.br(0), op.end, op.end);
  return code;
}

function chainBody(): number[] {
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((part) => code.push(...part));
  for (let lane = 0; lane < 4; lane++) emit(op.get(NODE), op.i64load(8 * lane), op.set(N(lane)));
  emit(op.block, op.loop);
  emit(op.get(FROM), op.get(TO), op.i32geu, op.brIf(1));
  // the sibling: `sibling` on the last step if given, else defaults + 32·from
  emit(op.get(SIBLING), op.get(DEFAULTS), op.get(FROM), op.i32const(5), op.i32shl, op.i32add);
  emit(op.get(FROM), op.i32const(1), op.i32add, op.get(TO), op.i32eq, op.get(SIBLING), op.i32const(0), op.i32ne, op.i32and, op.select);
  emit(op.set(SIBLING_AT));
  // the side: bit `from` of the slot (a shift counts mod 32, so the high word's shift is from − 32)
  emit(op.get(SLOT_HI), op.get(FROM), op.i32shru, op.get(SLOT_LO), op.get(FROM), op.i32shru);
  emit(op.get(FROM), op.i32const(32), op.i32geu, op.select, op.i32const(1), op.i32and, op.set(BIT));
  // a right child (bit 1) hashes sibling ‖ node, a left one node ‖ sibling
  emit(absorbAndPermute(CHAIN, (lane) => {
    const sibling = [...op.get(SIBLING_AT), ...op.i64load(8 * (lane % 4))];
    const node = op.get(N(lane % 4));
    return lane < 4 ? [...sibling, ...node, ...op.get(BIT), ...op.select] : [...node, ...sibling, ...op.get(BIT), ...op.select];
  }));
  for (let lane = 0; lane < 4; lane++) emit(squeeze(CHAIN, lane), op.set(N(lane)));
  emit(op.get(FROM), op.i32const(1), op.i32add, op.set(FROM));
  emit(op.br(0), op.end, op.end);
  for (let lane = 0; lane < 4; lane++) emit(op.get(NODE), op.get(N(lane)), op.i64store(8 * lane));
  return code;
}

function assemble(pages: number): Uint8Array {
  const name = (text: string) => [...uleb(text.length), ...Buffer.from(text, 'latin1')];
  const pairs = [...vec([[...uleb(1), I32], [...uleb(60), I64]]), ...pairsBody(), ...op.end];
  const chain = [...vec([[...uleb(3), I32], [...uleb(64), I64]]), ...chainBody(), ...op.end];
  const constants = new Uint8Array(KECCAK_WASM_RESERVED);
  const view = new DataView(constants.buffer);
  ROUND_CONSTANTS.forEach((rc, i) => view.setBigUint64(8 * i, rc, true));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    // type 0: (i32 × 3) → (); type 1: (i32 × 7) → ()
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), 0], [0x60, ...vec(Array.from({ length: 7 }, () => [I32])), 0]])),
    ...section(3, vec([uleb(0), uleb(1)])), // function 0 (pairs) has type 0, function 1 (chain) type 1
    ...section(5, vec([[0x00, ...uleb(pages)]])), // one memory, `pages` pages
    ...section(7, vec([[...name('memory'), 0x02, 0], [...name('pairs'), 0x00, 0], [...name('chain'), 0x00, 1]])),
    ...section(10, vec([[...uleb(pairs.length), ...pairs], [...uleb(chain.length), ...chain]])),
    ...section(11, vec([[0x00, ...op.i32const(0), ...op.end, ...uleb(constants.length), ...constants]])), // data at 0
  ]);
}

export interface KeccakWasm {
  /** The module's memory: round constants at 0..KECCAK_WASM_RESERVED, the rest free for inputs and outputs. */
  readonly memory: Uint8Array;
  pairs(src: number, dst: number, count: number): void;
  chain(node: number, sibling: number, from: number, to: number, slotHi: number, slotLo: number, defaults: number): void;
}

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmSync {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { memory: { buffer: ArrayBuffer } } & Omit<KeccakWasm, 'memory'> };
}

/** A fresh instance with `pages` pages (64 KiB each) of memory. */
export function createKeccakWasm(pages: number): KeccakWasm {
  const wasm = (globalThis as unknown as { WebAssembly: WasmSync }).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(assemble(pages)), {});
  const { exports } = instance;
  return { memory: new Uint8Array(exports.memory.buffer), pairs: exports.pairs, chain: exports.chain };
}
