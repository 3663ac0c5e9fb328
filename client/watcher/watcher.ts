/**
 * `plasma watch`: the coin holder's guard (PROTOCOL.md §7). One round (`tick`) runs four phases, in order:
 *
 * 1. follow.ts: apply PlasmaCash's events from the stored cursor to the head (minus confirmations), in one
 *    atomic update of the wallet state each range, so a restart resumes exactly where it stopped.
 * 2. verify.ts: verify every new committed block for each owned coin against its root on L1. An invalid proof,
 *    or one the operator keeps back longer than the grace period, freezes the coin.
 * 3. act.ts: for every coin, judge all its live exits together (decide.ts, pure: challenge a former owner's,
 *    exit beside a later one when the coin must leave, claim the receipt of a spend in flight against every one),
 *    answer challenges of its own exits, cancel exits whose challenge stood unanswered, settle the losers of an
 *    exited coin, finalize and withdraw its own, settle and withdraw bonds.
 * 4. checkpoints.ts: the leaf of every owned coin (and of every coin with a spend in flight) in each checkpoint
 *    still in reach, judged against the verified chain (decide.ts decideLeaf) and challenged when wrong or
 *    withheld; a final leaf naming the chain cancels the live exits inconsistent with it (decideEnforce).
 *
 * Actions are decided from the current state every round and re-checked against the contract right before
 * they are sent, so a failed or dropped L1 transaction is simply retried in the next round and a repeated
 * round never acts twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address } from '../protocol/index.ts';
import type { PlasmaWallet } from '../wallet/wallet.ts';
import { summarizeExit } from '../wallet/wallet.ts';
import { liveExitsOf } from '../wallet/state.ts';
import { act } from './act.ts';
import { watchCheckpoints } from './checkpoints.ts';
import { stringify, WatcherContext, type WatcherOptions } from './context.ts';
import { followL1 } from './follow.ts';
import { verifyOwnedCoins } from './verify.ts';

export type { L1StateCheck, WatcherOptions } from './context.ts';

export interface WatcherStatus {
  readonly account: Address;
  readonly contract: Address;
  readonly l1Cursor: string;
  readonly running: boolean;
  readonly lastRound?: string;
  readonly lastError?: string;
  readonly coins: unknown[];
  /** Every live exit of every followed coin: by slot, then in exit-block order (the one that can finalize first). */
  readonly liveExits: unknown[];
  readonly openChallenges: unknown[];
  readonly decisions: unknown[];
}

export class Watcher {
  readonly wallet: PlasmaWallet;
  readonly #ctx: WatcherContext;
  #running = false;
  #loop: Promise<void> | undefined;
  #lastRound: Date | undefined;
  #lastError: string | undefined;
  #stopWake: (() => void) | undefined;

  constructor(options: WatcherOptions) {
    this.wallet = options.wallet;
    this.#ctx = new WatcherContext(options);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        try {
          await this.tick();
          this.#lastError = undefined;
        } catch (error) {
          this.#lastError = error instanceof Error ? error.message : String(error);
          this.#ctx.log({ level: 'error', event: 'round_failed', error: this.#lastError });
        }
        if (!this.#running) break;
        await new Promise<void>((resolve) => {
          this.#stopWake = resolve;
          sleep(this.#ctx.options.pollIntervalMs ?? 1000).then(() => resolve());
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#stopWake?.();
    await this.#loop;
  }

  /** One full round: follow L1, verify new blocks, act. */
  async tick(): Promise<void> {
    const head = await this.wallet.l1.head();
    const target = head.number - BigInt(this.#ctx.options.confirmations ?? 0);
    await followL1(this.#ctx, target);
    await this.wallet.roots.sync(target);
    await verifyOwnedCoins(this.#ctx, target);
    await act(this.#ctx, head);
    await watchCheckpoints(this.#ctx, head);
    this.#lastRound = new Date();
  }

  async status(): Promise<WatcherStatus> {
    const state = await this.wallet.stateFile.read();
    const slots = [...new Set(Object.values(state.exits).map((exit) => exit.slot))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return stringify({
      account: this.#ctx.me,
      contract: state.contract,
      l1Cursor: state.l1Cursor,
      running: this.#running,
      ...(this.#lastRound === undefined ? {} : { lastRound: this.#lastRound.toISOString() }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      coins: await this.wallet.coins(),
      liveExits: slots.flatMap((slot) => liveExitsOf(state, slot).map((exit) => ({ slot, ...summarizeExit(exit, this.#ctx.me) }))),
      openChallenges: Object.values(state.challenges).filter((challenge) => challenge.status === 'open'),
      decisions: state.decisions.slice(-50),
    }) as WatcherStatus;
  }
}
