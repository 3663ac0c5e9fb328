/**
 * Where PlasmaCash keeps the values the watcher acts on, and how its packed words decode. This is the only place
 * that knows the storage layout. Source of truth:
 *
 *   cd contracts && ../node_modules/.bin/forge inspect PlasmaCash storageLayout [--json]
 *
 * (slots 0-1 are OpenZeppelin EIP712's string fallbacks, 2 the packed BlockCounters). A change of the layout is
 * caught by test/client/l1/state-proof.test.ts, which compares these decoders with the contract's own views.
 */
import { bytesToHex, concatBytes, keccak256, uintToBytes, type Address, type Hash } from '../protocol/index.ts';
import type { CoinRecord, ExitRecord } from './plasma-cash.ts';

/** Mapping base slots, from the storage layout. */
export const STORAGE_SLOTS = {
  childBlockRoots: 3n, // mapping(uint256 blockNumber => bytes32 root)
  coins: 4n, // mapping(uint64 slot => ChildChain.CoinRecord), 4 words
  exits: 5n, // mapping(uint64 slot => mapping(uint256 nonce => Exit)), 4 words read (a 5th is never written)
  exitBlocks: 8n, // mapping(uint64 slot => mapping(uint256 exitBlock => ExitBlock)), 1 word: the live-exit links
} as const;

/**
 * IPlasmaCash.Coin as `getCoin` returns it: plasma-cash.ts's CoinRecord with its enums as their uint8 values
 * (kind AssetKind: 0 ETH, 1 ERC20, 2 ERC721; state CoinState: 0 None, 1 Deposited, 2 Exiting, 3 Exited).
 */
export type L1Coin = Omit<CoinRecord, 'kind' | 'state'> & { readonly kind: bigint; readonly state: bigint };

/**
 * IPlasmaCash.Exit as `getExit` returns it: ExitRecord with status as its uint8 value (ExitStatus: 0 None,
 * 1 Live, 2 Finalized, 3 Cancelled). getExit takes nextExit and previousExit from the exit block's record
 * (ExitGame.ExitBlock), when that record is this exit's.
 */
export type L1Exit = Omit<ExitRecord, 'status'> & { readonly status: bigint };

const word = (value: bigint): Uint8Array => uintToBytes(value, 32);

/** Solidity's mapping slot: keccak256(abi.encode(key, base)) for a value-type key. */
function mappingSlot(key: bigint, base: bigint): bigint {
  return BigInt(bytesToHex(keccak256(concatBytes(word(key), word(base)))));
}

const slotHex = (slot: bigint): Hash => bytesToHex(word(slot));

export function childBlockRootSlot(blockNumber: bigint): Hash {
  return slotHex(mappingSlot(blockNumber, STORAGE_SLOTS.childBlockRoots));
}

/** The 4 consecutive words of `_coins[slot]`. */
export function coinSlots(slot: bigint): Hash[] {
  const base = mappingSlot(slot, STORAGE_SLOTS.coins);
  return [0n, 1n, 2n, 3n].map((i) => slotHex(base + i));
}

/** The 4 consecutive words of `_exits[slot][nonce]`. */
export function exitSlots(slot: bigint, nonce: bigint): Hash[] {
  const base = mappingSlot(nonce, mappingSlot(slot, STORAGE_SLOTS.exits));
  return [0n, 1n, 2n, 3n].map((i) => slotHex(base + i));
}

/** The word of `_exitBlocks[slot][exitBlock]`: nonce, nextExit, previousExit. */
export function exitBlockSlot(slot: bigint, exitBlock: bigint): Hash {
  return slotHex(mappingSlot(exitBlock, mappingSlot(slot, STORAGE_SLOTS.exitBlocks)));
}

/** `bytes` bytes at byte `offset` from the low end of a word, as Solidity packs struct members. */
function field(value: bigint, offset: number, bytes: number): bigint {
  return (value >> BigInt(offset * 8)) & ((1n << BigInt(bytes * 8)) - 1n);
}

const address = (value: bigint): Address => bytesToHex(uintToBytes(value, 20));

const EXITED_STATE = 3n;
const WITHDRAWN_STAGE = 4n;

// Offsets/sizes below are the `offset` and numberOfBytes of each member in the --json layout's struct types.
export function decodeCoin(words: readonly bigint[]): L1Coin {
  const [w0 = 0n, w1 = 0n, w2 = 0n, w3 = 0n] = words;
  // The state byte holds ChildChain.CoinStage: CoinState's four values plus 4 = Withdrawn, which getCoin shows as
  // state Exited with withdrawn true (there is no separate withdrawn flag in storage).
  const stage = field(w0, 25, 1);
  return {
    depositor: address(field(w0, 0, 20)),
    depositBlock: field(w0, 20, 5),
    kind: field(w1, 20, 1),
    state: stage === WITHDRAWN_STAGE ? EXITED_STATE : stage,
    withdrawn: stage === WITHDRAWN_STAGE,
    exitCount: field(w0, 26, 3),
    headExit: field(w0, 29, 3),
    token: address(field(w1, 0, 20)),
    denomination: w2,
    tokenId: w3,
  };
}

/** The exit's 4 words, and the word of its exit block's record (`exitBlockSlot`), as getExit(slot, nonce) combines them. */
export function decodeExit(words: readonly bigint[], nonce: bigint, exitBlockRecord: bigint): L1Exit {
  const [w0 = 0n, w1 = 0n, w2 = 0n, w3 = 0n] = words;
  // A cancelled exit is in no list: its record (kept, naming it, while its block is dead) has stale links.
  const linked = nonce !== 0n && field(exitBlockRecord, 0, 3) === nonce && field(w0, 31, 1) !== 3n;
  return {
    exitor: address(field(w0, 0, 20)),
    exitBlock: field(w0, 20, 6),
    finalizableAt: field(w0, 26, 5),
    status: field(w0, 31, 1),
    parentOwner: address(field(w1, 0, 20)),
    parentBlock: field(w1, 20, 6),
    maturesAt: field(w1, 26, 5),
    firstChallenge: slotHex(w2),
    lastChallenge: slotHex(w3),
    nextExit: linked ? field(exitBlockRecord, 3, 3) : 0n,
    previousExit: linked ? field(exitBlockRecord, 6, 3) : 0n,
  };
}

/** The exit block of an exit's first word (to find its record). */
export function exitBlockOf(word0: bigint): bigint {
  return field(word0, 20, 6);
}
