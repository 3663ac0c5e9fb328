/**
 * The shared context every wallet action works over: the account, its L1 contract and node, the operator, the
 * roots committed on L1 and the StateFile shared with the watcher of the same account. PlasmaWallet (wallet.ts)
 * is one; the actions (deposit.ts, refresh.ts, receive.ts, send.ts, exit.ts, coins.ts) take it as their first
 * argument.
 */
import type { JsonRpcProvider, Wallet } from 'ethers';
import { CoinHistoryVerifier, PlasmaError, type Address, type TransactionDomain } from '../protocol/index.ts';
import type { PlasmaCashL1 } from '../l1/plasma-cash.ts';
import type { SendOptions } from '../l1/send-until-mined.ts';
import type { RootBook } from '../l1/roots.ts';
import type { OperatorApi } from '../operator-api.ts';
import { withFileLock, type StateFile } from './state-file.ts';
import { chainOrigin, type WalletCoin, type WalletState } from './state.ts';

export interface WalletOptions {
  readonly rpcUrl: string;
  readonly contract: Address;
  readonly operatorUrl: string;
  /** 0x-hex private key: from a keystore or the environment (cli/client-config.ts), never from a flag. */
  readonly privateKey: string;
  /** Directory of the wallet's state files (one per chain, contract and account). */
  readonly dataDir: string;
  /** The L1 block PlasmaCash was deployed in: scans start there. Default 0. */
  readonly startBlock?: bigint;
  /** How L1 writes wait and replace a version left pending; `replaceAfterMs` defaults to 60 s. */
  readonly l1Send?: Partial<SendOptions>;
  readonly log?: (line: string) => void;
}

/** A wallet action that cannot go on; `code` names why. A transfer the operator refused is 'transfer_refused', its reason `serverCode`. */
export class WalletError extends PlasmaError {
  override name = 'WalletError';
  readonly serverCode: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; serverCode?: string } = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.serverCode = options.serverCode;
  }
}

export interface WalletContext {
  readonly address: Address;
  readonly signer: Wallet;
  readonly l1: PlasmaCashL1;
  readonly operator: OperatorApi;
  readonly stateFile: StateFile<WalletState>;
  readonly roots: RootBook;
  readonly domain: TransactionDomain;
  readonly log: (line: string) => void;
  readonly provider: JsonRpcProvider;
}

/**
 * Runs `work` under the account's send lock: every L1 write of this account goes through it, one at a time
 * across processes (a `plasma wallet` command while `plasma watch` runs): two senders would otherwise take the
 * same pending nonce.
 */
export function underSendLock<T>(context: WalletContext, work: () => Promise<T>): Promise<T> {
  return withFileLock(`${context.stateFile.file}.send.lock`, work);
}

/** A PlasmaCash write of this account, under its send lock, until mined. */
export function sendL1(context: WalletContext, method: string, args: readonly unknown[], value = 0n): ReturnType<PlasmaCashL1['send']> {
  return underSendLock(context, () => context.l1.send(context.signer, method, args, value));
}

/** The stored coin `slot`, or a WalletError when the wallet holds none. */
export async function storedCoin(context: WalletContext, slot: bigint): Promise<WalletCoin> {
  const coin = (await context.stateFile.read()).coins[slot.toString()];
  if (coin === undefined) throw new WalletError('unknown_coin', `this wallet holds no coin ${slot}; receive it first (plasma wallet receive ${slot})`);
  return coin;
}

/** A verifier that continues from the coin's stored, already verified chain, against the roots on L1. */
export function verifierFor(context: WalletContext, coin: WalletCoin): CoinHistoryVerifier {
  return new CoinHistoryVerifier({
    deposit: coin.deposit,
    roots: (block) => context.roots.get(block),
    domain: context.domain,
    // A coin received with a checkpoint package continues from its base's transaction (chainOrigin).
    resume: { chain: resumeChain(coin), coveredThrough: coin.coveredThrough },
  });
}

/** The verified chain a verifier resumes from: the base's inclusion entry (if any) and the chain after it. */
export function resumeChain(coin: WalletCoin): WalletCoin['chain'] {
  const origin = chainOrigin(coin).entry;
  return origin === undefined ? coin.chain : [origin, ...coin.chain];
}
