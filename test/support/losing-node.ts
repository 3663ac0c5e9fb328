// A JSON-RPC client to anvil that holds back the raw transactions its policy says to lose, as a mempool that
// evicts them would: they never reach anvil unless the test delivers one later. Tests of the senders that
// replace a pending transaction (client/l1/send-until-mined.ts, operator/block/committer.ts) run through it.
import { Transaction as EthersTransaction, keccak256 } from 'ethers';
import { JsonRpc } from '../../client/l1/rpc.ts';

export class LosingNode extends JsonRpc {
  /** Every raw transaction sent, decoded, in order (repeats included). */
  readonly sent: EthersTransaction[] = [];
  readonly #held = new Map<string, string>();
  readonly #lose: (tx: EthersTransaction, index: number) => boolean;

  /** `lose(tx, index)`: whether the index-th distinct transaction sent is lost (default: only the first). */
  constructor(url: string, lose: (tx: EthersTransaction, index: number) => boolean = (_tx, index) => index === 0) {
    super(url);
    this.#lose = lose;
  }

  override async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
    if (method !== 'eth_sendRawTransaction') return super.request<T>(method, params);
    const raw = params[0] as string;
    const tx = EthersTransaction.from(raw);
    const distinct = new Set(this.sent.map((sent) => sent.hash));
    this.sent.push(tx);
    const index = distinct.has(tx.hash!) ? [...distinct].indexOf(tx.hash!) : distinct.size;
    if (this.#held.has(tx.hash!) || this.#lose(tx, index)) {
      this.#held.set(tx.hash!, raw);
      return keccak256(raw) as T; // the node says it took it
    }
    return super.request<T>(method, params);
  }

  /** Hands a held transaction to anvil after all. */
  async deliver(hash: string): Promise<void> {
    const raw = this.#held.get(hash);
    if (raw === undefined) throw new Error(`no held transaction ${hash}`);
    this.#held.delete(hash);
    await super.request('eth_sendRawTransaction', [raw]);
  }
}
