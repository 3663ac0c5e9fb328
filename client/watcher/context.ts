/**
 * What the watcher's phases share (watcher.ts runs them: follow.ts, verify.ts, act.ts): the wallet, the
 * options, and the two ways a phase reports: a decision recorded in the wallet state, and an L1 call sent with
 * its decision.
 */
import type { Address, Hash } from '../protocol/index.ts';
import { isLogLevel, logEntry, type LogEntry } from '../log.ts';
import type { PlasmaCashL1 } from '../l1/plasma-cash.ts';
import type { PlasmaWallet } from '../wallet/wallet.ts';
import { MAX_DECISIONS, type WalletState } from '../wallet/state.ts';

/** What --verify-l1 checks an RPC answer against (client/l1/state-proof.ts implements it with eth_getProof). */
export interface L1StateCheck {
  childBlockRoot(blockNumber: bigint, l1Block: bigint): Promise<Hash>;
  exit(slot: bigint, nonce: bigint, l1Block: bigint): Promise<{ readonly exitor: Address; readonly parentBlock: bigint; readonly exitBlock: bigint; readonly status: string }>;
}

export interface WatcherOptions {
  readonly wallet: PlasmaWallet;
  readonly pollIntervalMs?: number;
  /** L1 blocks on top of an event before it is applied. Default 0: act on the head (actions re-check state). */
  readonly confirmations?: number;
  /** L1 blocks per eth_getLogs. Default 2,000. */
  readonly maxRange?: bigint;
  /** How long a proof may be unavailable before the coin is frozen. Default 10 minutes. */
  readonly missingProofGraceMs?: number;
  /**
   * Exit a frozen coin at once, beside any live exit (default true), when a spend of it was in flight, when the
   * operator served a proof or transaction that proves cheating, or when its proofs stay missing past
   * `operatorGoneMs`. A freeze for proofs merely late thaws when they arrive.
   */
  readonly exitFrozenCoins?: boolean;
  /** How long proofs may stay missing before the operator counts as gone and frozen coins exit. Default 1 day. */
  readonly operatorGoneMs?: number;
  readonly verifyL1?: L1StateCheck;
  readonly log?: (entry: LogEntry) => void;
}

/** Freezes for proofs that did not come (rather than proofs that prove cheating): they can thaw. */
export const MISSING = new Set(['proof_withheld', 'operator_unreachable']);

export const stringify = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));

export type SentCall = Awaited<ReturnType<PlasmaCashL1['send']>>;

export class WatcherContext {
  readonly wallet: PlasmaWallet;
  readonly options: WatcherOptions;
  readonly me: Address;
  /** Problems already logged as decisions, so that a problem re-checked every round is reported once. */
  readonly reported = new Set<string>();
  readonly #failures = new Map<string, number>();

  constructor(options: WatcherOptions) {
    this.wallet = options.wallet;
    this.options = options;
    this.me = options.wallet.address;
  }

  /** An entry of the one log shape (client/log.ts): `event` names what happened; `warn` when it carries an error. */
  log(entry: Record<string, unknown>): void {
    const level = isLogLevel(entry['level']) ? entry['level'] : entry['error'] === undefined ? 'info' : 'warn';
    this.options.log?.(stringify(logEntry(level, { account: this.me, ...entry, level })) as LogEntry);
  }

  decide(state: WalletState, slot: bigint, action: string, reason: string, extra: { l1Transaction?: string; error?: string } = {}): void {
    state.decisions.push({ at: new Date().toISOString(), slot: slot.toString(), action, reason, ...extra });
    if (state.decisions.length > MAX_DECISIONS) state.decisions.splice(0, state.decisions.length - MAX_DECISIONS);
    this.log({ event: 'decision', slot, action, reason, ...extra });
  }

  /** Records a decision once (by `key`), however often the round finds the same problem. */
  async decideOnce(key: string, slot: bigint, action: string, reason: string): Promise<void> {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    await this.wallet.stateFile.update((state) => this.decide(state, slot, action, reason));
  }

  /**
   * Sends one L1 call and records the decision with its outcome; a failure is logged (at most once a minute)
   * and the call is decided again next round. Resolves with the mined call, or undefined when it failed.
   */
  async send(slot: bigint, action: string, reason: string, method: string, args: readonly unknown[], value = 0n): Promise<SentCall | undefined> {
    try {
      const sent = await this.wallet.sendL1(method, args, value);
      await this.wallet.stateFile.update((state) => this.decide(state, slot, action, reason, { l1Transaction: sent.hash }));
      return sent;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const key = `${slot}:${action}:${message}`;
      const last = this.#failures.get(key);
      if (last === undefined || Date.now() - last > 60_000) {
        this.#failures.set(key, Date.now());
        await this.wallet.stateFile.update((state) => this.decide(state, slot, action, reason, { error: message }));
      }
      return undefined;
    }
  }
}
