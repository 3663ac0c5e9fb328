/**
 * PlasmaCash's L1 state read through Merkle proofs instead of trusted eth_call answers (`--verify-l1`): a
 * watcher that acts on a child-block root, a coin or an exit checks it against the state root of the L1 block
 * whose header hashes to the block hash. The node can still refuse to answer, but it cannot make the watcher
 * believe a value that is not in that block's state.
 *
 * What stays trusted: the block hash itself. A node that forges a whole header (with its own hash) and a state
 * trie to match is not caught here; anchor the hash elsewhere (a second node, a checkpoint) to close that.
 */
import { Trie } from '@ethereumjs/trie';
import { decodeRlp, encodeRlp } from 'ethers';
import {
  bytesToHex,
  hexToBytes,
  isHex,
  keccak256,
  PlasmaError,
  uintToBytes,
  type Address,
  type Hash,
  type Hex,
} from '../protocol/index.ts';
import type { JsonRpc } from './rpc.ts';
import { childBlockRootSlot, coinSlots, decodeCoin, decodeExit, exitBlockOf, exitBlockSlot, exitSlots, type L1Coin, type L1Exit } from './state-proof-layout.ts';

export { STORAGE_SLOTS, type L1Coin, type L1Exit } from './state-proof-layout.ts';

export type L1StateProofErrorCode =
  | 'l1_block_missing' // the node has no such block
  | 'l1_malformed_answer' // not the shape eth_getBlockByNumber / eth_getProof answer
  | 'l1_header_mismatch' // the header's fields do not hash to its hash, or it is another block
  | 'l1_account_proof_invalid' // the contract's account is not proven by the state root
  | 'l1_contract_absent' // proven: no contract at that address in that block
  | 'l1_storage_proof_invalid'; // a storage value is not the one the storage root proves

/** The L1 node's answer does not prove what it claims: never act on the value named in `what`. */
export class L1StateProofError extends PlasmaError {
  override name = 'L1StateProofError';
  declare readonly code: L1StateProofErrorCode;
  /** The value being verified, e.g. `childBlockRoot(2000)` or `getCoin(0x…).storage[1]`. */
  readonly what: string;
  readonly l1Block: bigint;

  constructor(code: L1StateProofErrorCode, what: string, l1Block: bigint, mismatch: string, cause?: unknown) {
    super(code, `L1 state proof of ${what} at L1 block ${l1Block} failed: ${mismatch}`, cause === undefined ? {} : { cause });
    this.what = what;
    this.l1Block = l1Block;
  }
}

/**
 * The header fields in RLP order. Forks only ever append: an absent field ends the list, and a present field
 * after an absent one is refused (the hash could not match). An unknown future field shows up as a hash mismatch.
 */
const HEADER_FIELDS: readonly (readonly [name: string, kind: 'data' | 'quantity', optional: boolean])[] = [
  ['parentHash', 'data', false],
  ['sha3Uncles', 'data', false],
  ['miner', 'data', false],
  ['stateRoot', 'data', false],
  ['transactionsRoot', 'data', false],
  ['receiptsRoot', 'data', false],
  ['logsBloom', 'data', false],
  ['difficulty', 'quantity', false],
  ['number', 'quantity', false],
  ['gasLimit', 'quantity', false],
  ['gasUsed', 'quantity', false],
  ['timestamp', 'quantity', false],
  ['extraData', 'data', false],
  ['mixHash', 'data', false],
  ['nonce', 'data', false],
  ['baseFeePerGas', 'quantity', true], // London
  ['withdrawalsRoot', 'data', true], // Shanghai
  ['blobGasUsed', 'quantity', true], // Cancun
  ['excessBlobGas', 'quantity', true], // Cancun
  ['parentBeaconBlockRoot', 'data', true], // Cancun
  ['requestsHash', 'data', true], // Prague
];

/** RLP encodes integers big-endian without leading zeros (zero is the empty string), unlike JSON-RPC's 0x0. */
function rlpQuantity(value: Hex): Hex {
  const n = BigInt(value);
  if (n === 0n) return '0x';
  const hex = n.toString(16);
  return `0x${hex.length % 2 ? '0' : ''}${hex}`;
}

const EMPTY_CODE_HASH: Hash = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470';
const EMPTY_TRIE_ROOT: Hash = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

interface ProofAnswer {
  address: string;
  storageHash: string;
  codeHash: string;
  accountProof: Hex[];
  storageProof: { key: string; value: string; proof: Hex[] }[];
}

const isHexList = (value: unknown): value is Hex[] => Array.isArray(value) && value.every(isHex);

function isProofAnswer(value: unknown, keys: number): value is ProofAnswer {
  const a = value as Partial<ProofAnswer> | null;
  return typeof a === 'object' && a !== null && isHex(a.address) && isHex(a.storageHash) && isHex(a.codeHash) &&
    isHexList(a.accountProof) && Array.isArray(a.storageProof) && a.storageProof.length === keys &&
    a.storageProof.every((s) => typeof s.key === 'string' && typeof s.value === 'string' && isHexList(s.proof));
}

export interface VerifiedL1StateOptions {
  readonly rpc: JsonRpc;
  readonly contract: Address;
}

export class VerifiedL1State {
  readonly #rpc: JsonRpc;
  readonly #contract: Address;
  // Account and storage tries are keyed by keccak256(key): the trie hashes the key we pass before walking.
  readonly #trie = new Trie({ useKeyHashing: true });

  constructor(options: VerifiedL1StateOptions) {
    this.#rpc = options.rpc;
    this.#contract = options.contract.toLowerCase() as Address;
  }

  /** The state root of L1 block `l1Block`, from a header whose fields hash to the block hash it came with. */
  async stateRootAt(l1Block: bigint): Promise<{ stateRoot: Hash; hash: Hash }> {
    const what = 'the block header';
    const header = await this.#rpc.request<Record<string, unknown> | null>('eth_getBlockByNumber', [`0x${l1Block.toString(16)}`, false]);
    if (header === null) throw new L1StateProofError('l1_block_missing', what, l1Block, 'the node has no such block');
    const fields: Hex[] = [];
    let ended: string | undefined;
    for (const [name, kind, optional] of HEADER_FIELDS) {
      const value = header[name];
      if (value === undefined || value === null) {
        if (!optional) throw new L1StateProofError('l1_malformed_answer', what, l1Block, `the header has no ${name}`);
        ended ??= name;
        continue;
      }
      if (!isHex(value) && !(kind === 'quantity' && typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value))) {
        throw new L1StateProofError('l1_malformed_answer', what, l1Block, `header field ${name} is not hex: ${String(value)}`);
      }
      if (ended !== undefined) {
        throw new L1StateProofError('l1_malformed_answer', what, l1Block, `the header has ${name} but not ${ended}, which comes before it`);
      }
      fields.push(kind === 'quantity' ? rlpQuantity(value as Hex) : (value as Hex));
    }
    if (!isHex(header['hash'])) throw new L1StateProofError('l1_malformed_answer', what, l1Block, 'the header has no hash');
    const claimed = header['hash'].toLowerCase() as Hash;
    if (BigInt(header['number'] as Hex) !== l1Block) {
      throw new L1StateProofError('l1_header_mismatch', what, l1Block, `the node answered block ${BigInt(header['number'] as Hex)}`);
    }
    const computed = bytesToHex(keccak256(hexToBytes(encodeRlp(fields))));
    if (computed !== claimed) {
      throw new L1StateProofError('l1_header_mismatch', what, l1Block,
        `its fields hash to ${computed}, the node says ${claimed} (a tampered field, or a header field of a newer fork this code does not know)`);
    }
    return { stateRoot: (header['stateRoot'] as string).toLowerCase() as Hash, hash: claimed };
  }

  /**
   * The contract's storage words at `slots` in L1 block `l1Block`, each proven against the block's state root.
   * A key absent from the storage trie proves zero. `label` names the value in errors.
   */
  async storageAt(slots: readonly Hash[], l1Block: bigint, label = 'storage'): Promise<bigint[]> {
    const { stateRoot, hash } = await this.stateRootAt(l1Block);
    // By hash (EIP-1898), so that a reorg between the two requests cannot pair the header with another state.
    const answer = await this.#rpc.request<unknown>('eth_getProof', [this.#contract, slots, { blockHash: hash }]);
    const fail = (code: L1StateProofErrorCode, what: string, mismatch: string, cause?: unknown): never => {
      throw new L1StateProofError(code, what, l1Block, mismatch, cause);
    };
    if (!isProofAnswer(answer, slots.length)) return fail('l1_malformed_answer', `${label} (eth_getProof)`, 'not an eth_getProof answer for these keys');

    const accountWhat = `account of ${this.#contract}`;
    if (answer.address.toLowerCase() !== this.#contract) fail('l1_account_proof_invalid', accountWhat, `the node proved account ${answer.address}`);
    const account = await this.#prove(stateRoot, hexToBytes(this.#contract), answer.accountProof)
      .catch((cause: unknown) => fail('l1_account_proof_invalid', accountWhat, `the account proof does not lead to state root ${stateRoot}`, cause));
    if (account === null) return fail('l1_contract_absent', accountWhat, `the state root ${stateRoot} proves there is no account`);
    const decoded = decodeRlp(bytesToHex(account));
    if (!Array.isArray(decoded) || decoded.length !== 4 || typeof decoded[2] !== 'string' || typeof decoded[3] !== 'string') {
      return fail('l1_account_proof_invalid', accountWhat, 'the proven account is not [nonce, balance, storageRoot, codeHash]');
    }
    const [storageRoot, codeHash] = [decoded[2].toLowerCase() as Hash, decoded[3].toLowerCase() as Hash];
    if (codeHash === EMPTY_CODE_HASH) fail('l1_contract_absent', accountWhat, 'the proven account has no code');
    if (storageRoot !== answer.storageHash.toLowerCase()) {
      fail('l1_account_proof_invalid', accountWhat, `the proven storage root is ${storageRoot}, the node says ${answer.storageHash}`);
    }

    const values: bigint[] = [];
    for (const [i, slot] of slots.entries()) {
      const entry = answer.storageProof[i]!;
      const what = `${label}[${i}] (slot ${slot})`;
      if (!/^0x[0-9a-fA-F]{1,64}$/.test(entry.key) || BigInt(entry.key) !== BigInt(slot)) fail('l1_storage_proof_invalid', what, `the node proved key ${entry.key}`);
      // @ethereumjs/trie refuses an empty proof even under the empty root, which does prove every key absent.
      const leaf = storageRoot === EMPTY_TRIE_ROOT && entry.proof.length === 0 ? null
        : await this.#prove(storageRoot, hexToBytes(slot), entry.proof)
          .catch((cause: unknown) => fail('l1_storage_proof_invalid', what, `the storage proof does not lead to storage root ${storageRoot}`, cause));
      // Storage leaves hold RLP(value without leading zeros). anvil also keeps leaves of zero (RLP "" = 0x80)
      // for slots that were written with zero, where mainnet clients delete the key: both prove zero.
      const raw = leaf === null ? '0x' : decodeRlp(bytesToHex(leaf));
      if (typeof raw !== 'string' || raw.length > 66) return fail('l1_storage_proof_invalid', what, 'the proven leaf is not a storage word');
      const proven = raw === '0x' ? 0n : BigInt(raw);
      if (!/^0x[0-9a-fA-F]{1,64}$/.test(entry.value) || BigInt(entry.value) !== proven) {
        fail('l1_storage_proof_invalid', what, `the proof holds ${proven}, the node says ${entry.value}`);
      }
      values.push(proven);
    }
    return values;
  }

  /** The root PlasmaCash holds for child block `blockNumber` (zero: not committed). */
  async childBlockRoot(blockNumber: bigint, l1Block: bigint): Promise<Hash> {
    const [root] = await this.storageAt([childBlockRootSlot(blockNumber)], l1Block, `childBlockRoot(${blockNumber})`);
    return bytesToHex(uintToBytes(root!, 32));
  }

  /** What `getCoin(slot)` returns at `l1Block`, from proven storage. */
  async coin(slot: bigint, l1Block: bigint): Promise<L1Coin> {
    return decodeCoin(await this.storageAt(coinSlots(slot), l1Block, `getCoin(${slot})`));
  }

  /** What `getExit(slot, nonce)` returns at `l1Block`, from proven storage (the exit, then its exit block's record). */
  async exit(slot: bigint, nonce: bigint, l1Block: bigint): Promise<L1Exit> {
    const words = await this.storageAt(exitSlots(slot, nonce), l1Block, `getExit(${slot}, ${nonce})`);
    const [record] = await this.storageAt([exitBlockSlot(slot, exitBlockOf(words[0]!))], l1Block, `getExit(${slot}, ${nonce}).exitBlock`);
    return decodeExit(words, nonce, record!);
  }

  /** The trie value at `key` under `root`, null when the proof shows it absent; throws when the proof is bad. */
  #prove(root: Hash, key: Uint8Array, proof: readonly Hex[]): Promise<Uint8Array | null> {
    return this.#trie.verifyProof(hexToBytes(root), key, proof.map((node) => hexToBytes(node)));
  }
}
