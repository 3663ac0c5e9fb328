/**
 * The child-block roots committed on L1, learned from BlockSubmitted events (one eth_getLogs per range, not
 * one eth_call per block), kept in memory and extended on demand. Every proof a wallet checks is checked
 * against these, never against anything the operator says.
 */
import type { Hash } from '../protocol/index.ts';
import { quantity, type RpcLog } from './rpc.ts';
import type { PlasmaCashL1 } from './plasma-cash.ts';

export class RootBook {
  readonly #l1: PlasmaCashL1;
  readonly #roots = new Map<bigint, Hash>();
  readonly #maxRange: bigint;
  /** The last L1 block scanned. */
  #scannedThrough: bigint;

  constructor(l1: PlasmaCashL1, startBlock = 0n, maxRange = 5000n) {
    this.#l1 = l1;
    this.#scannedThrough = startBlock - 1n;
    this.#maxRange = maxRange;
  }

  get(block: bigint): Hash | undefined {
    return this.#roots.get(block);
  }

  /** Records a root seen in an event the caller decoded itself (the watcher's own scan). */
  add(block: bigint, root: Hash): void {
    this.#roots.set(block, root);
  }

  /** Committed child blocks, ascending. */
  blocks(): bigint[] {
    return [...this.#roots.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  lastBlock(): bigint {
    let last = 0n;
    for (const block of this.#roots.keys()) if (block > last) last = block;
    return last;
  }

  /** Reads every BlockSubmitted event up to L1 block `through` (default: the head). */
  async sync(through?: bigint): Promise<void> {
    const head = through ?? (await this.#l1.rpc.blockNumber());
    const topic = this.#l1.iface.getEvent('BlockSubmitted')!.topicHash;
    while (this.#scannedThrough < head) {
      const from = this.#scannedThrough + 1n;
      const to = from + this.#maxRange - 1n < head ? from + this.#maxRange - 1n : head;
      const logs = await this.#l1.rpc.request<RpcLog[]>('eth_getLogs', [{ address: this.#l1.address, fromBlock: quantity(from), toBlock: quantity(to), topics: [topic] }]);
      for (const log of logs) {
        this.#roots.set(BigInt(log.topics[1]!), `0x${log.data.slice(2, 66)}` as Hash);
      }
      this.#scannedThrough = to;
    }
  }
}
