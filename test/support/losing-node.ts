// A JSON-RPC client to anvil that loses the first transaction it is sent (and that same transaction every time it
// is sent again), as a mempool evicting it would: only a replacement can be mined. Tests of the senders that
// replace a pending transaction (client/l1/send-until-mined.ts, operator/block/committer.ts) run through it.
import { Transaction as EthersTransaction } from 'ethers';
import { JsonRpc } from '../../operator/chain/rpc.ts';

export class LosingNode extends JsonRpc {
  /** Every raw transaction sent, decoded, in order (repeats included). */
  readonly sent: EthersTransaction[] = [];
  #lost: string | undefined;

  override async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
    const result = await super.request<T>(method, params);
    if (method === 'eth_sendRawTransaction') {
      const tx = EthersTransaction.from(params[0] as string);
      this.sent.push(tx);
      this.#lost ??= tx.hash!;
      if (tx.hash === this.#lost) await super.request('anvil_dropTransaction', [this.#lost]);
    }
    return result;
  }
}
