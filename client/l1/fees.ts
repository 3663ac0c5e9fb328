/**
 * EIP-1559 fees for the L1 transactions the operator and the client sign themselves, and for the replacements
 * they send when one stays pending.
 */
import { quantity, type JsonRpc } from './rpc.ts';

export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** What the chain asks for now: twice the next block's base fee (room for six full blocks) plus the suggested tip. */
export async function currentFees(rpc: JsonRpc): Promise<Fees> {
  const history = await rpc.request<{ baseFeePerGas: string[] }>('eth_feeHistory', [quantity(1n), 'latest', []]);
  const next = history.baseFeePerGas[history.baseFeePerGas.length - 1];
  const baseFee = next === undefined ? BigInt(await rpc.request<string>('eth_gasPrice')) : BigInt(next);
  let tip: bigint;
  try {
    tip = BigInt(await rpc.request<string>('eth_maxPriorityFeePerGas'));
  } catch {
    tip = 1_000_000_000n; // a node without the method
  }
  return { maxFeePerGas: 2n * baseFee + tip, maxPriorityFeePerGas: tip };
}

/**
 * Fees for a replacement of a pending transaction (same nonce): at least 12.5 % over the last version on both
 * fees, rounded up (geth's and reth's rule for accepting a replacement), and no less than what the chain asks now.
 */
export function replacementFees(last: Fees, now: Fees): Fees {
  const bump = (value: bigint) => value + max(1n, (value + 7n) / 8n); // a zero tip must rise too
  const maxPriorityFeePerGas = max(bump(last.maxPriorityFeePerGas), now.maxPriorityFeePerGas);
  const maxFeePerGas = max(bump(last.maxFeePerGas), now.maxFeePerGas, maxPriorityFeePerGas);
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/**
 * Whether raising the fees of a pending transaction can help: the chain asks a higher tip than it offers, or its
 * max fee is under twice what the chain asks (which is itself twice the base fee). Past that, price is not why it
 * is pending (a node without peers, an evicting mempool) and re-sending the same bytes is all there is to do. This
 * bounds what a stuck transaction can ever cost: about 2.25 times the chain's price of the moment.
 */
export function worthReplacing(last: Fees, now: Fees): boolean {
  return last.maxPriorityFeePerGas < now.maxPriorityFeePerGas || last.maxFeePerGas < 2n * now.maxFeePerGas;
}

const max = (...values: bigint[]): bigint => values.reduce((a, b) => (a > b ? a : b));
