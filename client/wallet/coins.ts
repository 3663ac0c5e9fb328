/** Wallet action: the coins as `plasma wallet coins` lists them, with their live exits. */
import type { Address } from '../protocol/index.ts';
import type { WalletContext } from './context.ts';
import { chainLastBlock, chainOwner, liveExitsOf, type WalletCoin } from './state.ts';

/** A coin as `plasma wallet coins` lists it. */
export interface CoinSummary {
  readonly slot: bigint;
  readonly role: WalletCoin['role'];
  readonly status: string;
  readonly owner: Address;
  readonly kind: string;
  readonly token: Address;
  readonly tokenId: bigint;
  readonly denomination: bigint;
  readonly depositBlock: bigint;
  readonly lastTransactionBlock: bigint;
  readonly lastVerifiedBlock: bigint;
  readonly frozen?: string;
  /** Every live exit of the coin, in exit-block order (the first is the one that can finalize). */
  readonly exits: readonly LiveExitSummary[];
  /** Open challenges of those exits. */
  readonly openChallenges: number;
  /** Signed transfers whose receiver may not know of them (refused by the operator, or sent without a package). */
  readonly spendsInFlight: number;
}

/** A live exit as `plasma wallet coins` and `plasma watch --status` show it. */
export interface LiveExitSummary {
  readonly nonce: bigint;
  readonly exitor: Address;
  readonly exitBlock: bigint;
  /** Zero for a deposit exit. */
  readonly parentBlock: bigint;
  readonly finalizableAt: bigint;
  /** 'mine' for this wallet's own exit, else 'other'. */
  readonly whose: 'mine' | 'other';
}

export async function coins(context: WalletContext): Promise<CoinSummary[]> {
  const state = await context.stateFile.read();
  return Object.values(state.coins).map((coin) => {
    const exits = liveExitsOf(state, coin.slot);
    const nonces = new Set(exits.map((exit) => exit.nonce));
    const openChallenges = Object.values(state.challenges).filter((c) => c.slot === coin.slot && nonces.has(c.nonce) && c.status === 'open').length;
    const status = coin.withdrawn === true ? 'withdrawn' : coin.depositGone !== undefined ? 'deposit_gone' : coin.lost !== undefined ? 'lost' : exits.length > 0 ? 'exiting' : coin.frozen !== undefined ? 'frozen' : coin.inFlight !== undefined ? 'sending' : coin.role === 'owner' ? 'owned' : 'sent';
    return {
      slot: coin.slot,
      role: coin.role,
      status,
      owner: chainOwner(coin),
      kind: coin.asset.kind,
      token: coin.asset.token,
      tokenId: coin.asset.tokenId,
      denomination: coin.deposit.denomination,
      depositBlock: coin.deposit.block,
      lastTransactionBlock: chainLastBlock(coin),
      lastVerifiedBlock: coin.coveredThrough,
      ...(coin.frozen === undefined ? {} : { frozen: `${coin.frozen.code} at block ${coin.frozen.block}: ${coin.frozen.reason}` }),
      exits: exits.map((exit) => summarizeExit(exit, context.address)),
      openChallenges,
      spendsInFlight: (coin.inFlight === undefined ? 0 : 1) + (coin.undelivered?.length ?? 0),
    };
  });
}

export function summarizeExit(exit: { nonce: bigint; exitor: Address; exitBlock: bigint; parentBlock: bigint; finalizableAt: bigint }, me: Address): LiveExitSummary {
  return { nonce: exit.nonce, exitor: exit.exitor, exitBlock: exit.exitBlock, parentBlock: exit.parentBlock, finalizableAt: exit.finalizableAt, whose: exit.exitor === me ? 'mine' : 'other' };
}
