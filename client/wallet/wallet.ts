/**
 * The coin holder's wallet: deposits, sends, receives (verifying the whole history against L1 first), exits
 * and cashes out. Its memory is a StateFile shared with the watcher of the same account.
 *
 * Every coin it counts as owned was verified block by block against the roots on L1 (client/protocol); the
 * operator is only ever a source of data to verify.
 *
 * PlasmaWallet is a thin facade: it opens the shared WalletContext (context.ts) and each method is one action
 * over it (deposit.ts, refresh.ts, receive.ts, send.ts, exit.ts, coins.ts).
 */
import { JsonRpcProvider, Wallet } from 'ethers';
import path from 'node:path';
import type { Address, CoinHistoryVerifier, HistoryEntry } from '../protocol/index.ts';
import { JsonRpc } from '../l1/rpc.ts';
import { PlasmaCashL1 } from '../l1/plasma-cash.ts';
import { RootBook } from '../l1/roots.ts';
import { OperatorApi, type CoinPackage } from '../operator-api.ts';
import { StateFile } from './state-file.ts';
import { emptyState, type WalletCoin, type WalletState } from './state.ts';
import { sendL1, verifierFor, WalletError, type WalletContext, type WalletOptions } from './context.ts';
import { depositErc20, depositErc721, depositEth, waitForCoin } from './deposit.ts';
import { refresh } from './refresh.ts';
import { receive } from './receive.ts';
import { send } from './send.ts';
import { exit, finalize, withdraw, withdrawBonds } from './exit.ts';
import { coins, type CoinSummary } from './coins.ts';

export { WalletError, type WalletContext, type WalletOptions } from './context.ts';
export { summarizeExit, type CoinSummary, type LiveExitSummary } from './coins.ts';
export { exitArguments } from './exit.ts';

// The class's fields are the WalletContext's (declaration merging), set once in the constructor.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface PlasmaWallet extends WalletContext {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class PlasmaWallet {
  private constructor(options: WalletOptions, chainId: bigint) {
    const provider = new JsonRpcProvider(options.rpcUrl, Number(chainId), { staticNetwork: true, cacheTimeout: -1 });
    provider.pollingInterval = 100;
    const signer = new Wallet(options.privateKey, provider);
    const address = signer.address.toLowerCase() as Address;
    const log = options.log ?? (() => undefined);
    const l1 = new PlasmaCashL1(new JsonRpc(options.rpcUrl), options.contract, { log, ...options.l1Send });
    const startBlock = options.startBlock ?? 0n;
    const file = path.join(options.dataDir, `${chainId}-${l1.address}-${address}.json`);
    const context: WalletContext = {
      address,
      signer,
      l1,
      operator: new OperatorApi(options.operatorUrl),
      stateFile: new StateFile<WalletState>(file, () => emptyState(address, l1.address, chainId, startBlock)),
      roots: new RootBook(l1, startBlock),
      domain: { chainId, verifyingContract: l1.address },
      log,
      provider,
    };
    Object.assign(this, context);
  }

  static async open(options: WalletOptions): Promise<PlasmaWallet> {
    let chainId: bigint;
    try {
      chainId = await new JsonRpc(options.rpcUrl).chainId();
    } catch (cause) {
      throw new WalletError('l1_unreachable', `cannot reach the L1 node at ${options.rpcUrl}: ${(cause as Error).message}`, { cause });
    }
    const wallet = new PlasmaWallet(options, chainId);
    const code = await wallet.l1.rpc.request<string>('eth_getCode', [wallet.l1.address, 'latest']);
    if (code === '0x') throw new WalletError('no_contract', `no contract at ${wallet.l1.address} on chain ${chainId}: check --contract`);
    return wallet;
  }

  close(): void {
    this.provider.destroy();
  }

  /**
   * Every L1 write of this account goes through here, one at a time across processes (a `plasma wallet`
   * command while `plasma watch` runs): two senders would otherwise take the same pending nonce.
   */
  sendL1(method: string, args: readonly unknown[], value = 0n): ReturnType<PlasmaCashL1['send']> {
    return sendL1(this, method, args, value);
  }

  // ---- deposits (deposit.ts)

  depositEth(amount: bigint): Promise<bigint> {
    return depositEth(this, amount);
  }

  depositErc20(token: Address, amount: bigint): Promise<bigint> {
    return depositErc20(this, token, amount);
  }

  depositErc721(token: Address, tokenId: bigint): Promise<bigint> {
    return depositErc721(this, token, tokenId);
  }

  /** Waits until the operator has followed the deposit of `slot` (it takes transfers of it from then on). */
  waitForCoin(slot: bigint, timeoutMs = 60_000): Promise<void> {
    return waitForCoin(this, slot, timeoutMs);
  }

  // ---- verification (refresh.ts, receive.ts)

  /** Brings `slot`'s verified history up to the last child block committed on L1, from the operator's proofs. */
  refresh(slot: bigint): Promise<WalletCoin> {
    return refresh(this, slot);
  }

  /** A verifier that continues from the coin's stored, already verified chain, against the roots on L1. */
  verifierFor(coin: WalletCoin): CoinHistoryVerifier {
    return verifierFor(this, coin);
  }

  /** Accepts a coin sent to this wallet after verifying its whole history against L1. */
  receive(source: bigint | CoinPackage): Promise<WalletCoin> {
    return receive(this, source);
  }

  // ---- sending (send.ts)

  /** Sends coin `slot` to `to` and returns the package the receiver verifies. */
  send(slot: bigint, to: Address, options: { timeoutMs?: number } = {}): Promise<CoinPackage> {
    return send(this, slot, to, options);
  }

  // ---- exits (exit.ts)

  /** Starts the exit of an owned coin from its last two transactions (or its deposit). */
  exit(slot: bigint): Promise<{ nonce: bigint; finalizableAt: bigint }> {
    return exit(this, slot);
  }

  finalize(slot: bigint): Promise<'finalized' | 'cancelled'> {
    return finalize(this, slot);
  }

  withdraw(slot: bigint): Promise<void> {
    return withdraw(this, slot);
  }

  withdrawBonds(): Promise<bigint> {
    return withdrawBonds(this);
  }

  // ---- listing (coins.ts)

  coins(): Promise<CoinSummary[]> {
    return coins(this);
  }
}

export type { HistoryEntry };
