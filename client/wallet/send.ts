/** Wallet action: send a coin to another owner and hand back the package its receiver verifies. */
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryError, signDigest, transactionDigest, type Address, type Transaction } from '../protocol/index.ts';
import { checkpointHistoryToPackage, historyToPackage, type CoinPackage } from '../operator-api.ts';
import { storedCoin, WalletError, type WalletContext } from './context.ts';
import { refresh } from './refresh.ts';
import { chainLastBlock, chainOwner, deliver, type WalletCoin } from './state.ts';

/**
 * Sends coin `slot` to `to`: verifies its history up to the last committed block, signs the §4 transfer,
 * records it as in flight, submits it, waits until a committed block includes it, and returns the package the
 * receiver verifies.
 */
export async function send(context: WalletContext, slot: bigint, to: Address, options: { timeoutMs?: number } = {}): Promise<CoinPackage> {
  requireSpendable(await storedCoin(context, slot)); // a frozen or spent coin is refused before asking the operator
  const coin = await refresh(context, slot);
  requireSpendable(coin);
  const transaction: Transaction = { slot, prevBlock: chainLastBlock(coin), denomination: coin.deposit.denomination, newOwner: to.toLowerCase() as Address };
  const digest = transactionDigest(transaction, context.domain);
  const signature = signDigest(digest, context.signer.privateKey as `0x${string}`);
  // Recorded before it leaves: if this process dies now, the watcher still knows a spend may land.
  await context.stateFile.update((state) => {
    state.coins[slot.toString()]!.inFlight = { transaction, signature, digest, submittedAt: Date.now() };
  });
  const result = await context.operator.submit(transaction, signature);
  if (result.status === 'rejected') {
    // The operator holds the signature all the same and may include it in any later block, where its receiver
    // would not know of it: the watcher keeps treating it as a spend in flight until it can never be valid.
    await context.stateFile.update((state) => {
      const stored = state.coins[slot.toString()]!;
      const spend = stored.inFlight;
      delete stored.inFlight;
      if (spend !== undefined) stored.undelivered = [...(stored.undelivered ?? []), { ...spend, refused: { code: result.error.code, at: Date.now() } }];
    });
    throw new WalletError('transfer_refused', `the operator refused the transfer of coin ${slot}: ${result.error.message}`, { serverCode: result.error.code });
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    let refreshed: WalletCoin;
    try {
      refreshed = await refresh(context, slot);
    } catch (error) {
      // A block the operator does not serve (yet, or withheld): keep waiting; the watcher freezes the coin
      // and exits it if the block stays withheld past its grace period.
      if (!(error instanceof HistoryError && error.code === 'missing_block')) throw error;
      if (Date.now() > deadline) throw new WalletError('timeout', `the transfer of coin ${slot} is not confirmed: ${error.message}. It is kept in flight; the watcher exits the coin if the operator keeps the block back`);
      await sleep(250);
      continue;
    }
    const landed = refreshed.chain.find((link) => link.block > transaction.prevBlock);
    if (landed !== undefined) {
      if (transactionDigest(landed.transaction, context.domain) !== digest) {
        throw new WalletError('spend_replaced', `block ${landed.block} holds another spend of coin ${slot} than the one signed; the watcher will defend it`);
      }
      context.log(`sent coin ${slot} to ${to} in block ${landed.block}`);
      const pkg = await packageOf(context, slot);
      // The package goes to the caller, who hands it to the receiver: the spend is delivered.
      await context.stateFile.update((state) => void deliver(state.coins[slot.toString()]!, digest));
      return pkg;
    }
    if (Date.now() > deadline) throw new WalletError('timeout', `the transfer of coin ${slot} is not in a committed block yet; it is kept in flight and the watcher keeps checking`);
    await sleep(250);
  }
}

/** Refuses a coin this wallet must not spend: not its own, frozen, already in flight, withdrawn, or its deposit gone. */
export function requireSpendable(coin: WalletCoin): void {
  if (coin.role !== 'owner') throw new WalletError('not_owner', `coin ${coin.slot} belongs to ${chainOwner(coin)}, not to this wallet`);
  if (coin.frozen !== undefined) throw new WalletError('coin_frozen', `coin ${coin.slot} is frozen since block ${coin.frozen.block}: ${coin.frozen.reason}`);
  if (coin.inFlight !== undefined) throw new WalletError('spend_in_flight', `a transfer of coin ${coin.slot} is already in flight`);
  if (coin.withdrawn === true) throw new WalletError('coin_exited', `coin ${coin.slot} was withdrawn to L1`);
  if (coin.depositGone !== undefined) throw new WalletError('deposit_gone', `coin ${coin.slot} cannot be used: ${coin.depositGone.reason}`);
}

/**
 * The package a receiver verifies: the operator's `?since=checkpoint` answer (the coin's base, the history after
 * it and its leaves in the pending checkpoints: short once a checkpoint covers the coin), or the whole history
 * from an operator without checkpoints.
 */
export async function packageOf(context: WalletContext, slot: bigint): Promise<CoinPackage> {
  const since = await context.operator.historySinceCheckpoint(slot);
  return since === undefined ? historyToPackage(await context.operator.history(slot)) : checkpointHistoryToPackage(since);
}
