/** Wallet actions on L1's exit game: start an exit, finalize it, withdraw the coin and the bonds. */
import { depositTransaction } from '../protocol/index.ts';
import { transactionArgument } from '../l1/plasma-cash.ts';
import { baseLeafRef } from '../l1/checkpoint-game.ts';
import { sendL1, storedCoin, WalletError, type WalletContext } from './context.ts';
import { chainOwner, exitKey, trackedExit, type WalletCoin } from './state.ts';

/** Starts the exit of an owned coin from its last two transactions (or its deposit). */
export async function exit(context: WalletContext, slot: bigint): Promise<{ nonce: bigint; finalizableAt: bigint }> {
  const coin = await storedCoin(context, slot);
  if (coin.lost !== undefined) throw new WalletError('coin_lost', `coin ${slot} is no longer this wallet's: L1 showed it spent (${coin.lost.reason}); an exit would be challenged and lose its bond`);
  if (coin.depositGone !== undefined) throw new WalletError('deposit_gone', `coin ${slot} cannot be exited: ${coin.depositGone.reason}`);
  if (chainOwner(coin) !== context.address) throw new WalletError('not_owner', `coin ${slot} belongs to ${chainOwner(coin)} by its verified history`);
  const { exitBond } = await context.l1.parameters();
  const call = exitCall(coin);
  const sent = await sendL1(context, call.method, call.args, exitBond);
  const started = sent.logs.find((log) => log.name === 'ExitStarted');
  if (started === undefined || started.name !== 'ExitStarted') throw new WalletError('no_exit_event', 'the exit transaction emitted no ExitStarted event');
  await context.stateFile.update((state) => {
    state.exits[exitKey(slot, started.nonce)] = trackedExit(slot, started.nonce, started);
  });
  context.log(`started exit ${started.nonce} of coin ${slot}; it can finalize at ${started.finalizableAt}`);
  return { nonce: started.nonce, finalizableAt: started.finalizableAt };
}

export async function finalize(context: WalletContext, slot: bigint): Promise<'finalized' | 'cancelled'> {
  const sent = await sendL1(context, 'finalizeExit', [slot]);
  return sent.logs.some((log) => log.name === 'ExitFinalized') ? 'finalized' : 'cancelled';
}

export async function withdraw(context: WalletContext, slot: bigint): Promise<void> {
  await sendL1(context, 'withdraw', [slot]);
  await context.stateFile.update((state) => {
    const coin = state.coins[slot.toString()];
    if (coin !== undefined) coin.withdrawn = true;
  });
}

export async function withdrawBonds(context: WalletContext): Promise<bigint> {
  const balance = await context.l1.bondBalance(context.address);
  if (balance === 0n) return 0n;
  await sendL1(context, 'withdrawBonds', []);
  return balance;
}

/**
 * startExit's arguments for the coin's last two transactions, or undefined when it has not moved since its
 * deposit (startDepositExit then). A coin with a base: see exitCall.
 */
export function exitArguments(coin: WalletCoin): unknown[] | undefined {
  const exiting = coin.chain[coin.chain.length - 1];
  if (exiting === undefined) return undefined;
  const parent = coin.chain[coin.chain.length - 2];
  const parentTx = parent?.transaction ?? depositTransaction(coin.deposit);
  return [
    transactionArgument(parentTx),
    parent?.proof ?? '0x',
    parent?.block ?? coin.deposit.block,
    transactionArgument(exiting.transaction),
    exiting.signature,
    exiting.proof,
    exiting.block,
  ];
}

/**
 * The call that exits the coin from its last verified transaction (docs/CHECKPOINTS.md §7 rule 4):
 * - two transactions after the base (or the deposit): startExit, parent and exiting from the chain;
 * - one, on a base: startExitFromCheckpoint, the parent proved by the base's leaf (call 16, which binds the exit
 *   to the leaf's N and applies the base in one transaction, R3). A deposit leaf too: a plain startExit from the
 *   deposit is bound to nothing, so a hidden spend inside (B, N] would cancel it;
 * - none, on a base: startCheckpointExit, the base's transaction with its leaf alone (call 15; a deposit leaf's
 *   transaction is the deposit);
 * - without a base: startExit from the deposit, or startDepositExit.
 */
export function exitCall(coin: WalletCoin): { method: string; args: unknown[] } {
  const base = coin.base;
  if (base === undefined || coin.chain.length >= 2) {
    const args = exitArguments(coin);
    return args === undefined ? { method: 'startDepositExit', args: [coin.slot] } : { method: 'startExit', args };
  }
  const exiting = coin.chain[0];
  if (exiting === undefined) return { method: 'startCheckpointExit', args: [baseLeafRef(base), transactionArgument(base.transaction)] };
  return {
    method: 'startExitFromCheckpoint',
    args: [baseLeafRef(base), transactionArgument(base.transaction), transactionArgument(exiting.transaction), exiting.signature, exiting.proof, exiting.block],
  };
}
