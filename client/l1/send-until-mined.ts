/**
 * Sending one L1 transaction until it is mined, replacing it with higher fees while it stays pending.
 *
 * A watcher's answer to a challenge is worth nothing if it sits in a mempool past the deadline: the fee it was
 * priced with at sending may be below the base fee a few congested blocks later. So the transaction is sent with
 * a fixed nonce and, each time `replaceAfterMs` passes without a receipt, signed again with the same nonce and
 * fees at least 12.5 % higher (what nodes require of a replacement) and at least what the chain asks for now, as
 * long as higher fees can help (client/l1/fees.ts `worthReplacing`: at most about 2.25 times the chain's
 * price); past that the same bytes are sent again. Whichever version is mined is the answer; the nonce makes
 * sure only one can be.
 */
import type { Contract, Wallet } from 'ethers';
import { RpcError, sendRefusal, type JsonRpc, type RpcLog } from './rpc.ts';
import { currentFees, replacementFees, worthReplacing } from './fees.ts';
import { PlasmaError, type Hash, type Hex } from '../protocol/index.ts';
import { withGasMargin } from './gas.ts';
import { signCall, type UnsignedCall } from './sign.ts';

export interface SendOptions {
  /** How long a version may stay pending before it is replaced with higher fees. */
  readonly replaceAfterMs: number;
  /** Pause between two receipt polls. */
  readonly pollMs: number;
  readonly log?: (line: string) => void;
}

export const DEFAULT_SEND_OPTIONS: SendOptions = { replaceAfterMs: 60_000, pollMs: 1_000 };

/** The parts of an eth_getTransactionReceipt answer this client reads. */
export interface RawReceipt {
  readonly transactionHash: Hash;
  readonly blockNumber: string;
  readonly status: string;
  readonly logs: readonly (RpcLog & { readonly address: string })[];
}

/** A transaction whose nonce was used by another one: none of this call's versions can be mined any more. */
export class NonceTakenError extends PlasmaError {
  override name = 'NonceTakenError';
  declare readonly code: 'nonce_taken';
  constructor(nonce: bigint, hashes: readonly Hash[]) {
    super('nonce_taken', `nonce ${nonce} was used by another transaction of this account before any of ${hashes.join(', ')} was mined; send the call again`);
  }
}

type Submission = 'sent' | 'nonce_used' | 'underpriced' | { readonly refused: Error };

/**
 * Sends signed bytes and says what came of it. An error without an answer from the node (a timeout, a reset)
 * counts as sent: the node may have taken it, so its hash is polled like any other.
 */
async function submit(rpc: JsonRpc, signed: string): Promise<Submission> {
  try {
    await rpc.request('eth_sendRawTransaction', [signed]);
    return 'sent';
  } catch (error) {
    if (!(error instanceof RpcError)) return 'sent';
    const refusal = sendRefusal(error.message);
    if (refusal === 'known') return 'sent';
    return refusal ?? { refused: error };
  }
}

/**
 * Signs and sends `call` from `signer` and resolves with the receipt of whichever version was mined. The node's
 * refusal of the first version (not enough funds, a bad transaction) is thrown as it is.
 *
 * The nonce is the account's mined count, not its pending one: a transaction of ours that a dead process left
 * pending is replaced by this one (its caller has decided again); if that one is mined first, the nonce moves on
 * without a receipt of ours and NonceTakenError says so.
 */
export async function sendUntilMined(
  signer: Wallet,
  rpc: JsonRpc,
  call: UnsignedCall,
  options: SendOptions = DEFAULT_SEND_OPTIONS,
): Promise<RawReceipt> {
  const chainId = await rpc.chainId();
  const nonce = BigInt(await rpc.request<string>('eth_getTransactionCount', [signer.address, 'latest']));
  const hashes: Hash[] = [];
  let fees = await currentFees(rpc);
  let signed = '';

  for (;;) {
    // A new version: the first, or one with higher fees.
    const version = await signCall(signer, chainId, nonce, call, fees);
    signed = version.raw;
    hashes.push(version.hash); // before sending: a version the node took though its answer was lost may be mined
    const outcome = await submit(rpc, signed);
    if (typeof outcome === 'object') {
      if (hashes.length === 1) throw outcome.refused;
      options.log?.(`replacing the pending L1 transaction failed: ${outcome.refused.message}`);
    }
    if (hashes.length > 1 && outcome === 'sent') options.log?.(`L1 transaction still pending after ${options.replaceAfterMs} ms: replaced by ${hashes.at(-1)} (max fee ${fees.maxFeePerGas} wei, tip ${fees.maxPriorityFeePerGas} wei)`);
    if (outcome === 'underpriced') {
      // Another version of ours holds this nonce in the node's pool at a higher price (or the node wants more):
      // outbid it at once while that can help; else wait for whichever is mined.
      const now = await currentFees(rpc);
      if (worthReplacing(fees, now)) {
        fees = replacementFees(fees, now);
        continue;
      }
    }

    // Wait for a receipt of any version; past replaceAfterMs, raise the fees if price can be why it is pending,
    // else send the same bytes again (a mempool may have dropped them).
    for (;;) {
      const receipt = await waitForReceipt(rpc, signer.address, nonce, hashes, Date.now() + options.replaceAfterMs, options.pollMs);
      if (receipt !== undefined) return receipt;
      const current = await currentFees(rpc);
      if (worthReplacing(fees, current)) {
        fees = replacementFees(fees, current);
        break;
      }
      options.log?.(`L1 transaction ${hashes.at(-1)} still pending after ${options.replaceAfterMs} ms at ${fees.maxFeePerGas} wei, at least twice the chain's price: sent again as it is`);
      await submit(rpc, signed);
    }
  }
}

/**
 * `contract.method(...args)` from `signer`: estimated first, then sent with the gas margin (gas.ts) until mined.
 * Only the estimate's errors go through `explainEstimate`: they are where a contract's revert shows. The node's
 * refusals and NonceTakenError are thrown as they are.
 */
export async function sendContractCall(
  signer: Wallet,
  rpc: JsonRpc,
  contract: Contract,
  call: { readonly method: string; readonly args: readonly unknown[]; readonly value: bigint },
  options: SendOptions,
  explainEstimate: (error: unknown) => unknown = (error) => error,
): Promise<RawReceipt> {
  const { method, args, value } = call;
  let estimate: bigint;
  try {
    estimate = await contract.getFunction(method).estimateGas(...args, { value });
  } catch (error) {
    throw explainEstimate(error);
  }
  const data = contract.interface.encodeFunctionData(method, args) as Hex;
  const to = await contract.getAddress();
  return sendUntilMined(signer, rpc, { to, data, value, gasLimit: withGasMargin(estimate) }, options);
}

/**
 * Polls the receipts of `hashes` until one exists (returned) or `until` passes (undefined). When the account's
 * mined count passes `nonce` with no receipt of ours, another transaction took the nonce: NonceTakenError.
 */
async function waitForReceipt(rpc: JsonRpc, account: string, nonce: bigint, hashes: readonly Hash[], until: number, pollMs: number): Promise<RawReceipt | undefined> {
  const anyReceipt = async (): Promise<RawReceipt | undefined> => {
    for (const hash of hashes) {
      const receipt = await rpc.request<RawReceipt | null>('eth_getTransactionReceipt', [hash]);
      if (receipt !== null) return receipt;
    }
    return undefined;
  };
  for (;;) {
    const receipt = await anyReceipt();
    if (receipt !== undefined) return receipt;
    const mined = BigInt(await rpc.request<string>('eth_getTransactionCount', [account, 'latest']));
    if (mined > nonce) {
      // A receipt may have landed between the two reads: look once more before giving up.
      const late = await anyReceipt();
      if (late !== undefined) return late;
      throw new NonceTakenError(nonce, hashes);
    }
    if (Date.now() >= until) return undefined;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
