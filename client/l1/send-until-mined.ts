/**
 * Sending one L1 transaction until it is mined, replacing it with higher fees while it stays pending.
 *
 * A watcher's answer to a challenge is worth nothing if it sits in a mempool past the deadline: the fee it was
 * priced with at sending may be below the base fee a few congested blocks later. So the transaction is sent with
 * a fixed nonce and, each time `replaceAfterMs` passes without a receipt, signed again with the same nonce and
 * fees at least 12.5 % higher (what nodes require of a replacement) and at least what the chain asks for now.
 * Whichever of the versions is mined is the answer; the nonce makes sure only one can be.
 */
import { keccak256, type Wallet } from 'ethers';
import type { JsonRpc, RpcLog } from '../../operator/chain/rpc.ts';
import { currentFees, replacementFees } from '../../operator/chain/fees.ts';
import type { Hash, Hex } from '../protocol/index.ts';

export interface SendOptions {
  /** How long a version may stay pending before it is replaced with higher fees. */
  readonly replaceAfterMs: number;
  /** Replacements at most; after that the last version is waited for. */
  readonly maxReplacements: number;
  /** Pause between two receipt polls. */
  readonly pollMs: number;
  readonly log?: (line: string) => void;
}

export const DEFAULT_SEND_OPTIONS: SendOptions = { replaceAfterMs: 60_000, maxReplacements: 10, pollMs: 1_000 };

/** The parts of an eth_getTransactionReceipt answer this client reads. */
export interface RawReceipt {
  readonly transactionHash: Hash;
  readonly blockNumber: string;
  readonly status: string;
  readonly logs: readonly (RpcLog & { readonly address: string })[];
}

/** A transaction whose nonce was used by another one: none of this call's versions can be mined any more. */
export class NonceTakenError extends Error {
  constructor(nonce: bigint, hashes: readonly Hash[]) {
    super(`nonce ${nonce} was used by another transaction of this account before any of ${hashes.join(', ')} was mined; send the call again`);
    this.name = 'NonceTakenError';
  }
}

/** Node messages that mean "this nonce is already taken or this exact transaction is already known". */
const ALREADY_KNOWN = /already known|known transaction|already imported/i;
const NONCE_USED = /nonce too low|nonce has already been used|NonceTooLow/i;
const UNDERPRICED = /underpriced|replacement fee too low|fee too low/i;

/**
 * Signs and sends `call` from `signer` and resolves with the receipt of whichever version was mined. Errors
 * from the node on the first sending (not enough funds, a bad transaction) are thrown as they are.
 */
export async function sendUntilMined(
  signer: Wallet,
  rpc: JsonRpc,
  call: { readonly to: string; readonly data: Hex; readonly value: bigint; readonly gasLimit: bigint },
  options: SendOptions = DEFAULT_SEND_OPTIONS,
): Promise<RawReceipt> {
  const chainId = await rpc.chainId();
  const nonce = BigInt(await rpc.request<string>('eth_getTransactionCount', [signer.address, 'pending']));
  let fees = await currentFees(rpc);
  const hashes: Hash[] = [];

  for (let version = 0; ; version++) {
    const signed = await signer.signTransaction({ type: 2, chainId, nonce: Number(nonce), ...call, ...fees });
    const hash = keccak256(signed) as Hash;
    try {
      await rpc.request('eth_sendRawTransaction', [signed]);
      hashes.push(hash);
      if (version > 0) options.log?.(`L1 transaction still pending after ${options.replaceAfterMs} ms: replaced by ${hash} (max fee ${fees.maxFeePerGas} wei, tip ${fees.maxPriorityFeePerGas} wei)`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (ALREADY_KNOWN.test(message)) hashes.push(hash);
      else if (version === 0) throw error;
      // A replacement the node refused: an earlier version was mined (its receipt is found below), or the bump
      // was not enough for this node (the next one is larger).
      else if (!NONCE_USED.test(message) && !UNDERPRICED.test(message)) options.log?.(`replacing the pending L1 transaction failed: ${message}`);
    }

    const waitUntil = version < options.maxReplacements ? Date.now() + options.replaceAfterMs : Number.POSITIVE_INFINITY;
    for (;;) {
      for (const candidate of hashes) {
        const receipt = await rpc.request<RawReceipt | null>('eth_getTransactionReceipt', [candidate]);
        if (receipt !== null) return receipt;
      }
      // The nonce moved on and none of ours has a receipt: another transaction of this account took it.
      const mined = BigInt(await rpc.request<string>('eth_getTransactionCount', [signer.address, 'latest']));
      if (mined > nonce) {
        // A receipt may have landed between the two reads: look once more before giving up.
        for (const candidate of hashes) {
          const receipt = await rpc.request<RawReceipt | null>('eth_getTransactionReceipt', [candidate]);
          if (receipt !== null) return receipt;
        }
        throw new NonceTakenError(nonce, hashes);
      }
      if (Date.now() >= waitUntil) break;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
    fees = replacementFees(fees, await currentFees(rpc));
  }
}

