/**
 * Lifts sorted nodes of a sparse Merkle tree (§3) to a height, in one pass, without materialising the levels
 * between: the roots of many subtrees at once (the checkpoint tree's buckets, operator/checkpoint/tree.ts).
 *
 * Why: in a tree of a million random slots almost every node below height ~44 is alone in its subtree, so it
 * is hashed with the default sibling of its height, level after level (~47 hashes per leaf). Lifting level by
 * level (smt.ts liftLevel) copies every node out and back for each of those hashes; here each lone stretch is one
 * call of keccak-wasm.ts's `chain`, which keeps the node in WebAssembly locals from its start to the height where
 * it meets a neighbour. Same hashes, same result (test/client/protocol/smt-lift.test.ts compares the two).
 *
 * How: items come in slot order. Two neighbours a < b meet at the height of the highest bit where their slots
 * differ, plus one (their lowest common ancestor). A stack holds the left subtrees still waiting for their right
 * neighbour, each with the height where it joins; the heights on the stack grow from top to bottom, because
 * in a binary tree the next item can only join an ancestor of what the top joins. When an item's meeting height
 * with its predecessor exceeds the target, the subtree it ends is complete: lifted to the target, it is output.
 */
import { createKeccakWasm } from './keccak-wasm.ts';
import { DEFAULT_HASHES, TREE_DEPTH } from './smt.ts';

/** Nodes to lift, in slot order (no two in one subtree at the start height of either). */
export interface LiftItems {
  readonly count: number;
  /** Position of each item in slot space: its slot (a leaf), or its index << its height (an inner node). */
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  /** Height each item starts at (undefined: all leaves, height 0). */
  readonly heights?: Uint8Array;
  /** 32 bytes per item. */
  readonly hashes: Uint8Array;
}

/** Nodes at one height: their indices at that height, ascending, and their hashes. */
export interface LiftedNodes {
  readonly index: Float64Array;
  readonly hashes: Uint8Array;
}

export interface LiftResult {
  /** One node per non-empty subtree at the target height. */
  readonly top: LiftedNodes;
  /** The nodes every item's path had at the capture height (if one was asked for), ascending. */
  readonly captured: LiftedNodes;
}

// Memory of the lifter's own module: round constants at 0..191, then:
const DEFAULTS_AT = 256; // 64 default hashes, 2 KiB
const CURRENT_AT = 4096; // the node being lifted
const STACK_AT = 4128; // the waiting left subtrees, 32 bytes each (at most one per height)
const wasm = createKeccakWasm(1);
wasm.memory.set(DEFAULT_HASHES.slice(0, TREE_DEPTH).reduce((table, hash, d) => (table.set(hash, 32 * d), table), new Uint8Array(32 * TREE_DEPTH)), DEFAULTS_AT);
const words = new Uint32Array(wasm.memory.buffer, 0, wasm.memory.length >>> 2);

/** Height of the lowest common ancestor of two distinct slots (1..64). */
function meetingHeight(aHi: number, aLo: number, bHi: number, bLo: number): number {
  const high = (aHi ^ bHi) >>> 0;
  return high !== 0 ? 64 - Math.clz32(high) : 32 - Math.clz32((aLo ^ bLo) >>> 0);
}

/** index of the node at `height` above position hi ‖ lo, exact for heights ≥ 11 (below 2^53). */
function indexAt(hi: number, lo: number, height: number): number {
  if (height >= 32) return hi >>> (height - 32);
  return hi * 2 ** (32 - height) + Math.floor(lo / 2 ** height);
}

class Collector {
  readonly index: Float64Array;
  readonly hashes: Uint8Array;
  readonly #words: Uint32Array;
  count = 0;
  constructor(capacity: number) {
    this.index = new Float64Array(capacity);
    this.hashes = new Uint8Array(32 * capacity);
    this.#words = new Uint32Array(this.hashes.buffer);
  }
  /** Records the node at `at` (WASM memory). */
  add(index: number, at: number): void {
    const to = 8 * this.count;
    for (let w = 0; w < 8; w++) this.#words[to + w] = words[(at >>> 2) + w]!;
    this.index[this.count++] = index;
  }
  done(): LiftedNodes {
    return { index: this.index.slice(0, this.count), hashes: this.hashes.slice(0, 32 * this.count) };
  }
}

/**
 * Lifts `items` to `height`; with `capture` (≤ height) it also returns the node of each item's path at that
 * height (the checkpoint tree keeps its sub-bucket nodes); an item that starts at `capture` is captured as it
 * is. Throws a RangeError on items out of slot order or in one subtree at their start height.
 */
export function liftSorted(items: LiftItems, height: number, capture = -1): LiftResult {
  const { count, hi, lo, heights, hashes } = items;
  if (height < 11 || height > TREE_DEPTH) throw new RangeError(`liftSorted: height ${height} outside 11..${TREE_DEPTH}`);
  if (capture > height) throw new RangeError('liftSorted: capture above the target height');
  if (hashes.length < 32 * count) throw new RangeError('liftSorted: hashes shorter than 32 per item');
  // A Uint32Array view needs 4-byte alignment: a transferred slice of a larger buffer may not have it.
  const aligned = hashes.byteOffset % 4 === 0 ? hashes : hashes.slice(0, 32 * count);
  const input = new Uint32Array(aligned.buffer, aligned.byteOffset, 8 * count);
  const top = new Collector(count);
  const captured = new Collector(capture >= 0 ? count : 0);
  // The waiting left subtrees: position (any slot below them), current height, the height they join at.
  const stackHi = new Uint32Array(TREE_DEPTH + 1);
  const stackLo = new Uint32Array(TREE_DEPTH + 1);
  const stackHeight = new Uint8Array(TREE_DEPTH + 1);
  const stackJoin = new Uint8Array(TREE_DEPTH + 1);
  let depth = 0;
  let curHi = 0;
  let curLo = 0;
  let curHeight = 0;

  /** Lifts the node at `at` (position hi ‖ lo) from `from` to `to`, capturing it on its way through `capture`. */
  const liftTo = (at: number, nodeHi: number, nodeLo: number, from: number, to: number): void => {
    if (from < capture && capture <= to) {
      wasm.chain(at, 0, from, capture, nodeHi, nodeLo, DEFAULTS_AT);
      captured.add(indexAt(nodeHi, nodeLo, capture), at);
      from = capture;
    }
    if (from < to) wasm.chain(at, 0, from, to, nodeHi, nodeLo, DEFAULTS_AT);
  };
  const load = (i: number): void => {
    for (let w = 0; w < 8; w++) words[(CURRENT_AT >>> 2) + w] = input[8 * i + w]!;
    curHi = hi[i]!;
    curLo = lo[i]!;
    curHeight = heights === undefined ? 0 : heights[i]!;
    if (curHeight === capture) captured.add(indexAt(curHi, curLo, capture), CURRENT_AT);
  };

  if (count === 0) return { top: top.done(), captured: captured.done() };
  load(0);
  for (let i = 1; i <= count; i++) {
    const meets = i < count ? meetingHeight(hi[i - 1]!, lo[i - 1]!, hi[i]!, lo[i]!) : TREE_DEPTH + 1;
    const inOrder = i === count || hi[i - 1]! < hi[i]! || (hi[i - 1] === hi[i] && lo[i - 1]! < lo[i]!);
    if (!inOrder || (i < count && meets <= Math.max(curHeight, heights === undefined ? 0 : heights[i]!))) {
      throw new RangeError(`liftSorted: items ${i - 1} and ${i} are not in slot order or share a subtree at their start height`);
    }
    // Left subtrees that join below this meeting height are complete on their right: merge them into the current.
    while (depth > 0 && stackJoin[depth - 1]! < meets) {
      depth--;
      const join = stackJoin[depth]!;
      const at = STACK_AT + 32 * depth;
      liftTo(at, stackHi[depth]!, stackLo[depth]!, stackHeight[depth]!, join - 1);
      liftTo(CURRENT_AT, curHi, curLo, curHeight, join - 1);
      // the current node is the right child at join − 1: one step with the waiting subtree as its sibling
      wasm.chain(CURRENT_AT, at, join - 1, join, curHi, curLo, DEFAULTS_AT);
      curHeight = join;
      if (join === capture) captured.add(indexAt(curHi, curLo, capture), CURRENT_AT);
    }
    if (meets > height) {
      liftTo(CURRENT_AT, curHi, curLo, curHeight, height);
      top.add(indexAt(curHi, curLo, height), CURRENT_AT);
    } else {
      // It waits for its right neighbour; on its way it passes the capture height now, so captures stay in order.
      if (meets > capture && curHeight < capture) {
        liftTo(CURRENT_AT, curHi, curLo, curHeight, capture);
        curHeight = capture;
      }
      const at = STACK_AT + 32 * depth;
      wasm.memory.copyWithin(at, CURRENT_AT, CURRENT_AT + 32);
      stackHi[depth] = curHi;
      stackLo[depth] = curLo;
      stackHeight[depth] = curHeight;
      stackJoin[depth] = meets;
      depth++;
    }
    if (i < count) load(i);
  }
  return { top: top.done(), captured: captured.done() };
}
