/**
 * The one signing path for the L1 transactions this project signs itself: the operator's submitBlock (stored
 * before it is sent, operator/block/committer.ts) and the wallet's and watcher's calls (send-until-mined.ts).
 */
import { keccak256, Transaction, type Wallet } from 'ethers';
import type { Hash, Hex } from '../protocol/index.ts';
import type { Fees } from './fees.ts';

export interface UnsignedCall {
  readonly to: string;
  readonly data: Hex;
  readonly value: bigint;
  readonly gasLimit: bigint;
}

export interface SignedTransaction {
  /** The raw EIP-1559 bytes, as eth_sendRawTransaction takes them. */
  readonly raw: Hex;
  readonly hash: Hash;
}

/** Signs `call` as an EIP-1559 transaction with the given nonce and fees. */
export async function signCall(signer: Wallet, chainId: bigint, nonce: bigint, call: UnsignedCall, fees: Fees): Promise<SignedTransaction> {
  const raw = (await signer.signTransaction({ type: 2, chainId, nonce: Number(nonce), ...call, ...fees })) as Hex;
  return { raw, hash: keccak256(raw) as Hash };
}

/** The nonce and fees of signed bytes (to replace them with the same nonce and higher fees). */
export function signedNonceAndFees(raw: Hex): { readonly nonce: bigint; readonly fees: Fees } {
  const tx = Transaction.from(raw);
  return { nonce: BigInt(tx.nonce), fees: { maxFeePerGas: tx.maxFeePerGas ?? 0n, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n } };
}
