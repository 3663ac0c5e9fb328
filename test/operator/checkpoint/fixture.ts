// A small chain in the operator's database for checkpoint tests: deposits and exits through the follower's
// applyL1Range, child blocks through Store.insertBlock (real digests, roots and proofs), and the model of every
// coin's checkpoint leaf at a block, computed independently of the operator's queries.
import {
  checkpointLeaf,
  depositTransaction,
  SparseMerkleTree,
  transactionDigestBytes,
  type Address,
  type Hash,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { applyL1Range, type ChainEvent } from '../../../operator/db/chain-state.ts';
import type { Store } from '../../../operator/db/store.ts';
import { DOMAIN, rng } from '../../client/protocol/fixtures/helpers.ts';

const TX_HASH = `0x${'11'.repeat(32)}` as Hash;
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000' as Address;

export interface ModelCoin {
  readonly slot: bigint;
  readonly depositBlock: bigint;
  readonly depositor: Address;
  readonly denomination: bigint;
  /** (block, digest) of every transaction, ascending. */
  readonly txs: { block: bigint; digest: Uint8Array; tx: Transaction }[];
  exited: boolean;
  /** TestChain.built when the exit finalized: checkpoints built after it see the coin EXITED. */
  exitedAt?: number;
}

export class TestChain {
  readonly coins = new Map<bigint, ModelCoin>();
  readonly random = rng(21);
  /** Checkpoints built so far (the test counts them). */
  built = 0;
  #l1Block = 0n;
  #lastChild = 0n;
  #nextDeposit = 1n;

  constructor(readonly store: Store) {}

  /** Applies `events` as the follower would, in the next L1 block of this fixture's own numbering. */
  apply(events: ChainEvent[]): Promise<void> {
    return this.#apply(events);
  }

  async #apply(events: ChainEvent[]): Promise<void> {
    this.#l1Block += 1n;
    await applyL1Range(this.store.sql, { from: this.#l1Block, through: this.#l1Block, events });
  }

  /** `count` deposits numbered after the last child block; returns their slots. */
  async deposit(count: number): Promise<bigint[]> {
    const events: ChainEvent[] = [];
    const slots: bigint[] = [];
    for (let k = 0; k < count; k++) {
      const slot = this.random.uint64();
      const block = this.#lastChild + this.#nextDeposit++;
      const depositor = `0x${Buffer.from(this.random.bytes(20)).toString('hex')}` as Address;
      const denomination = 1n + BigInt(this.random.int(1000));
      this.coins.set(slot, { slot, depositBlock: block, depositor, denomination, txs: [], exited: false });
      slots.push(slot);
      events.push({ name: 'Deposit', l1Block: this.#l1Block + 1n, logIndex: k, transactionHash: TX_HASH, slot, depositor, block, kind: 'eth', token: ZERO_ADDRESS, tokenId: 0n, denomination });
    }
    await this.#apply(events);
    return slots;
  }

  /** The next child block, moving `slots` (each to a random new owner). */
  async block(slots: readonly bigint[]): Promise<bigint> {
    const number = this.#lastChild + 1000n;
    this.#lastChild = number;
    this.#nextDeposit = 1n;
    const items = slots.map((slot) => {
      const coin = this.coins.get(slot)!;
      const prevBlock = coin.txs.at(-1)?.block ?? coin.depositBlock;
      const tx: Transaction = { slot, prevBlock, denomination: coin.denomination, newOwner: `0x${Buffer.from(this.random.bytes(20)).toString('hex')}` as Address };
      const digest = transactionDigestBytes(tx, DOMAIN);
      coin.txs.push({ block: number, digest, tx });
      return { tx, digest, signature: this.random.bytes(65) };
    });
    const tree = SparseMerkleTree.build(items.map((item) => ({ slot: item.tx.slot, leaf: item.digest })));
    await this.store.insertBlock({ number, root: tree.rootBytes, transactions: items.map((item) => ({ ...item, proof: tree.proofBytes(item.tx.slot) })) }, 'confirmed');
    return number;
  }

  /** Exits of `slots` started and finalized on L1. */
  async exit(slots: readonly bigint[]): Promise<void> {
    for (const slot of slots) {
      const base = { l1Block: this.#l1Block + 1n, logIndex: 0, transactionHash: TX_HASH, slot, nonce: 1n };
      await this.#apply([{ ...base, name: 'ExitStarted', exitor: ZERO_ADDRESS, parentBlock: 0n, exitBlock: 1n, finalizableAt: 0n }]);
      await this.#apply([{ ...base, l1Block: this.#l1Block + 1n, name: 'ExitFinalized', exitor: ZERO_ADDRESS }]);
      const coin = this.coins.get(slot)!;
      coin.exited = true;
      coin.exitedAt = this.built;
    }
  }

  /** The model's leaf of a coin in checkpoint `id` at child block `n` (EXITED before it was built: zero), or undefined (zero). */
  modelLeaf(slot: bigint, n: bigint, id = Infinity): { txBlock: bigint; digest: Uint8Array } | undefined {
    const coin = this.coins.get(slot);
    if (coin === undefined || coin.depositBlock > n || (coin.exited && coin.exitedAt! < id)) return undefined;
    const last = coin.txs.filter((tx) => tx.block <= n).at(-1);
    if (last !== undefined) return { txBlock: last.block, digest: last.digest };
    return { txBlock: coin.depositBlock, digest: transactionDigestBytes(depositTransaction({ slot, denomination: coin.denomination, owner: coin.depositor }), DOMAIN) };
  }

  /** A from-scratch SparseMerkleTree over the model's leaves at `n`. */
  modelTree(n: bigint, id = Infinity): SparseMerkleTree {
    const leaves = [];
    for (const slot of this.coins.keys()) {
      const leaf = this.modelLeaf(slot, n, id);
      if (leaf !== undefined) leaves.push({ slot, leaf: checkpointLeaf(leaf.txBlock, leaf.digest) });
    }
    return SparseMerkleTree.build(leaves);
  }

  pick(count: number, filter: (coin: ModelCoin) => boolean = (coin) => !coin.exited): bigint[] {
    const candidates = [...this.coins.values()].filter(filter).map((coin) => coin.slot);
    const picked = new Set<bigint>();
    while (picked.size < Math.min(count, candidates.length)) picked.add(candidates[this.random.int(candidates.length)]!);
    return [...picked];
  }
}
