/** Wallet action: accept a coin sent to this wallet, after verifying its whole history against L1. */
import { setTimeout as sleep } from 'node:timers/promises';
import { HistoryError, parseCoinHistoryResponseJson, verifyCoinHistory, type Address, type CoinHistoryResponse, type InclusionEntry } from '../protocol/index.ts';
import type { CoinPackage } from '../operator-api.ts';
import { WalletError, type WalletContext } from './context.ts';
import { isDepositOf, type WalletCoin } from './state.ts';

/**
 * Accepts a coin sent to this wallet: verifies its whole history (§5) against the roots on L1 and its deposit
 * against the contract's record, and that the last transaction names this wallet. From the sender's package
 * when given (it works even if the operator withholds), otherwise from the operator.
 */
export async function receive(context: WalletContext, source: bigint | CoinPackage): Promise<WalletCoin> {
  const history: CoinHistoryResponse = typeof source === 'bigint' ? await context.operator.history(source) : parseCoinHistoryResponseJson(source);
  const slot = history.slot;
  const record = await context.l1.coin(slot);
  if (record.state === 'none') throw new WalletError('unknown_coin', `coin ${slot} was never deposited on L1`);
  if (!isDepositOf({ slot, ...history.deposit }, record)) {
    throw new HistoryError('wrong_deposit', history.deposit.block, `the history's deposit (${history.deposit.owner}, block ${history.deposit.block}, ${history.deposit.denomination}) is not L1's record (${record.depositor}, block ${record.depositBlock}, ${record.denomination})`);
  }
  if (record.state === 'exited') throw new WalletError('coin_exited', `coin ${slot} has already exited to L1`);
  if (record.state === 'exiting') context.log(`coin ${slot} is exiting on L1 (exit ${record.exitCount}): the watcher challenges it if it is not this wallet's`);
  await context.roots.sync();
  // A block committed after the history was served (the operator commits empty blocks too): its entries come
  // from the operator, so that the history reaches every block L1 holds.
  // L1 may hold it a moment before the operator serves it: a few tries, then the verifier says what is missing.
  // (Only blocks after the history's own lastCommittedBlock: a history short of that is refused as it is.)
  const entries = [...history.entries];
  for (let attempt = 0; attempt < 20; attempt++) {
    const served = entries.reduce((last, entry) => (entry.block > last ? entry.block : last), history.lastCommittedBlock);
    if (served >= context.roots.lastBlock()) break;
    if (attempt > 0) await sleep(100);
    entries.push(...(await context.operator.history(slot, served + 1n, context.roots.lastBlock())).entries.filter((entry) => entry.block > served));
  }
  const deposit = { slot, ...history.deposit };
  const state = verifyCoinHistory({
    deposit,
    entries,
    roots: (block) => context.roots.get(block),
    committedChildBlocks: context.roots.blocks(),
    domain: context.domain,
    expectedOwner: context.address,
  });
  const chain = entries.filter((entry): entry is InclusionEntry => entry.kind === 'inclusion');
  return context.stateFile.update((wallet) => {
    const coin: WalletCoin = {
      slot,
      deposit: { ...deposit, owner: deposit.owner.toLowerCase() as Address },
      asset: { kind: record.kind, token: record.token, tokenId: record.tokenId },
      chain,
      coveredThrough: state.coveredThrough,
      role: 'owner',
    };
    wallet.coins[slot.toString()] = coin;
    context.log(`received coin ${slot}: history verified through block ${state.coveredThrough}`);
    return coin;
  });
}
