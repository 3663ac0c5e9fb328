/**
 * `plasma watch`: the coin holder's guard (PROTOCOL.md §7). One round (`tick`) does, in order:
 *
 * 1. Follow L1: apply PlasmaCash's events from the stored cursor to the head (minus confirmations) in one
 *    atomic update of the wallet state each range, so a restart resumes exactly where it stopped.
 * 2. Verify every new committed block for each owned coin against its root on L1. An invalid proof, or one the
 *    operator keeps back longer than the grace period, freezes the coin.
 * 3. Act: challenge every exit its verified history contradicts (decide.ts), answer challenges of its own
 *    exits, cancel exits whose challenge stood unanswered, finalize and withdraw its matured exits, exit frozen
 *    coins, settle and withdraw bonds.
 *
 * Actions are decided from the current state every round and re-checked against the contract right before
 * they are sent, so a failed or dropped L1 transaction is simply retried in the next round and a repeated
 * round never acts twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CoinHistoryVerifier, HistoryError, PlasmaError, transactionDigest, type Address, type CoinDeposit, type Hash, type InclusionEntry } from '../protocol/index.ts';
import { transactionArgument, type CoinRecord, type ExitRecord, type PlasmaEvent } from '../l1/plasma-cash.ts';
import { exitArguments, type PlasmaWallet } from '../wallet/wallet.ts';
import {
  chainLastBlock,
  chainOwner,
  challengeKey,
  extendChain,
  exitKey,
  isDepositOf,
  liveExitOf,
  MAX_DECISIONS,
  recordOwnDeposit,
  trackedExit,
  type StoredCoin,
  type TrackedExit,
  type WalletState,
} from '../wallet/state.ts';
import { decideChallenge, decideResponse } from './decide.ts';

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
   * Exit a frozen coin once no other exit is live (default true) when a spend of it was in flight, when the
   * operator served a proof or transaction that proves cheating, or when its proofs stay missing past
   * `operatorGoneMs`. A freeze for proofs merely late thaws when they arrive.
   */
  readonly exitFrozenCoins?: boolean;
  /** How long proofs may stay missing before the operator counts as gone and frozen coins exit. Default 1 day. */
  readonly operatorGoneMs?: number;
  readonly verifyL1?: L1StateCheck;
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface WatcherStatus {
  readonly account: Address;
  readonly contract: Address;
  readonly l1Cursor: string;
  readonly running: boolean;
  readonly lastRound?: string;
  readonly lastError?: string;
  readonly coins: unknown[];
  readonly liveExits: unknown[];
  readonly openChallenges: unknown[];
  readonly decisions: unknown[];
}

/** Freezes for proofs that did not come (rather than proofs that prove cheating): they can thaw. */
const MISSING = new Set(['proof_withheld', 'operator_unreachable']);
const ZERO_HASH: Hash = `0x${'0'.repeat(64)}`;

const stringify = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));

export class Watcher {
  readonly wallet: PlasmaWallet;
  readonly #options: WatcherOptions;
  readonly #me: Address;
  #running = false;
  #loop: Promise<void> | undefined;
  #lastRound: Date | undefined;
  #lastError: string | undefined;
  #stopWake: (() => void) | undefined;
  /** Problems already logged as decisions, so that a problem re-checked every round is reported once. */
  readonly #reported = new Set<string>();
  readonly #failures = new Map<string, number>();

  constructor(options: WatcherOptions) {
    this.wallet = options.wallet;
    this.#options = options;
    this.#me = options.wallet.address;
  }

  #log(entry: Record<string, unknown>): void {
    this.#options.log?.(stringify({ time: new Date().toISOString(), account: this.#me, ...entry }) as Record<string, unknown>);
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
          this.#log({ level: 'error', event: 'round_failed', error: this.#lastError });
        }
        if (!this.#running) break;
        await new Promise<void>((resolve) => {
          this.#stopWake = resolve;
          sleep(this.#options.pollIntervalMs ?? 1000).then(() => resolve());
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
    const target = head.number - BigInt(this.#options.confirmations ?? 0);
    await this.#followL1(target);
    await this.wallet.roots.sync(target);
    await this.#verifyOwnedCoins(target);
    await this.#act(head);
    this.#lastRound = new Date();
  }

  // ---- 1. following L1

  async #followL1(target: bigint): Promise<void> {
    const maxRange = this.#options.maxRange ?? 2000n;
    for (;;) {
      const cursor = (await this.wallet.store.read()).l1Cursor;
      if (cursor >= target) return;
      const from = cursor + 1n;
      const to = from + maxRange - 1n < target ? from + maxRange - 1n : target;
      const events = await this.wallet.l1.events(from, to);
      const untracked = await this.wallet.store.update((state) => {
        const missing: PlasmaEvent[] = [];
        if (state.l1Cursor !== cursor) return missing; // another process applied this range meanwhile
        for (const event of events) this.#apply(state, event, missing);
        state.l1Cursor = to;
        return missing;
      });
      // A response revealed a transfer to us on a coin whose exit we did not track: read that exit now.
      for (const event of untracked) await this.#trackExitFromL1(event);
    }
  }

  #apply(state: WalletState, event: PlasmaEvent, untracked: PlasmaEvent[]): void {
    const tracked = (slot: bigint) => state.coins[slot.toString()] !== undefined || Object.values(state.revealed).some((r) => r.slot === slot);
    switch (event.name) {
      case 'Deposit':
        if (event.depositor === this.#me && recordOwnDeposit(state, event)) this.#log({ event: 'deposit_seen', slot: event.slot, block: event.block });
        return;
      case 'ExitStarted':
        if (tracked(event.slot)) {
          state.exits[exitKey(event.slot, event.nonce)] = trackedExit(event.slot, event.nonce, event);
          this.#log({ event: 'exit_started', slot: event.slot, nonce: event.nonce, exitor: event.exitor, parentBlock: event.parentBlock, exitBlock: event.exitBlock });
        }
        return;
      case 'ExitCancelled':
      case 'ExitFinalized': {
        const exit = state.exits[exitKey(event.slot, event.nonce)];
        if (exit !== undefined) exit.status = event.name === 'ExitCancelled' ? 'cancelled' : 'finalized';
        const coin = state.coins[event.slot.toString()];
        if (event.name === 'ExitCancelled' && exit?.exitor === this.#me && coin !== undefined) {
          // L1 beat our own exit: a spend of ours landed after it (an in-flight transfer we never saw
          // included), or our history was not the valid one. Exiting again would only lose another bond.
          coin.lost = { nonce: event.nonce, reason: event.reason };
          coin.role = 'former';
          delete coin.inFlight;
          this.#decide(state, event.slot, 'give_up', `this wallet's exit ${event.nonce} was cancelled (${event.reason}): the coin is no longer this wallet's`);
        }
        return;
      }
      case 'ChallengeOpened':
        if (state.exits[exitKey(event.slot, event.nonce)] !== undefined || event.challenger === this.#me) {
          state.challenges[challengeKey(event.slot, event.nonce, event.challengeId)] = {
            slot: event.slot, nonce: event.nonce, challengeId: event.challengeId, challenger: event.challenger,
            claim: event.claim, claimBlock: event.claimBlock, status: 'open', openedAtL1Block: event.l1Block,
          };
          const exit = state.exits[exitKey(event.slot, event.nonce)];
          if (exit !== undefined && event.finalizableAt > exit.finalizableAt) exit.finalizableAt = event.finalizableAt;
        }
        return;
      case 'ChallengeAnswered': {
        const challenge = state.challenges[challengeKey(event.slot, event.nonce, event.challengeId)];
        if (challenge !== undefined) {
          challenge.status = 'answered';
          challenge.response = { transaction: event.response, block: event.responseBlock };
          const coin = state.coins[event.slot.toString()];
          if (challenge.challenger === this.#me && challenge.claim.newOwner === this.#me && coin !== undefined && coin.role === 'owner') {
            // We claimed we never spent the coin, and L1 accepted a spend signed by us: a transfer of ours
            // landed where we could not see it. The coin is the receiver's; never exit it.
            coin.lost = { nonce: event.nonce, reason: `answered with this wallet's own transfer at block ${event.responseBlock}` };
            coin.role = 'former';
            delete coin.inFlight;
            this.#decide(state, event.slot, 'give_up', `a response on L1 shows this wallet spent the coin at block ${event.responseBlock} (to ${event.response.newOwner})`);
          }
        }
        const exit = state.exits[exitKey(event.slot, event.nonce)];
        if (exit !== undefined && event.finalizableAt > exit.finalizableAt) exit.finalizableAt = event.finalizableAt;
        if (event.response.newOwner === this.#me) {
          // The event carries the response's signature and proof: all a claim or an exit needs.
          state.revealed[`${event.slot}:${event.responseBlock}`] = { slot: event.slot, block: event.responseBlock, transaction: event.response, signature: event.signature, proof: event.proof };
          this.#log({ event: 'transfer_revealed', slot: event.slot, block: event.responseBlock, reason: 'a response on L1 shows a transfer to this wallet' });
          if (exit === undefined) untracked.push(event);
        }
        return;
      }
      case 'ChallengeSettled': {
        const challenge = state.challenges[challengeKey(event.slot, event.nonce, event.challengeId)];
        if (challenge !== undefined) challenge.status = 'settled';
        return;
      }
      case 'CoinWithdrawn': {
        const coin = state.coins[event.slot.toString()];
        if (coin !== undefined && event.owner === this.#me) coin.withdrawn = true;
        return;
      }
      default:
        return;
    }
  }

  async #trackExitFromL1(event: PlasmaEvent): Promise<void> {
    if (event.name !== 'ChallengeAnswered') return;
    const exit = await this.wallet.l1.exit(event.slot, event.nonce);
    await this.wallet.store.update((state) => {
      state.exits[exitKey(event.slot, event.nonce)] ??= trackedExit(event.slot, event.nonce, exit);
    });
  }

  // ---- 2. verifying new blocks

  async #verifyOwnedCoins(l1Block: bigint): Promise<void> {
    const state = await this.wallet.store.read();
    for (const coin of Object.values(state.coins)) {
      if (coin.role !== 'owner' || coin.withdrawn === true || coin.lost !== undefined) continue;
      // A coin frozen by proof that the operator cheated stays frozen; one frozen because proofs were missing
      // keeps being checked, and thaws when they arrive and verify.
      if (coin.frozen !== undefined && !MISSING.has(coin.frozen.code)) continue;
      await this.#verifyCoin(coin, l1Block);
    }
  }

  async #verifyCoin(coin: StoredCoin, l1Block: bigint): Promise<void> {
    const blocks = this.wallet.roots.blocks().filter((block) => block > coin.coveredThrough);
    if (blocks.length === 0) return;
    const verifier = this.wallet.verifierFor(coin);
    const added: InclusionEntry[] = [];
    let problem: { block: bigint; code: string; reason: string; missing: boolean } | undefined;
    for (const block of blocks) {
      if (this.#options.verifyL1 !== undefined) {
        const proven = await this.#options.verifyL1.childBlockRoot(block, l1Block);
        if (proven !== this.wallet.roots.get(block)) {
          throw new Error(`the L1 node's BlockSubmitted root of block ${block} is not the root proven by eth_getProof (${proven}); refusing to act on this node`);
        }
      }
      let entry;
      try {
        entry = await this.wallet.operator.proof(coin.slot, block);
      } catch (error) {
        problem = { block, code: 'operator_unreachable', reason: (error as Error).message, missing: true };
        break;
      }
      if (entry === undefined) {
        problem = { block, code: 'proof_withheld', reason: `the operator serves no proof of coin ${coin.slot} at committed block ${block}`, missing: true };
        break;
      }
      try {
        verifier.apply(entry);
      } catch (error) {
        // A reorg may have replaced the block's root since we read it: look again before blaming the operator.
        const current = await this.wallet.l1.childBlockRoot(block);
        if (current !== this.wallet.roots.get(block)) {
          this.wallet.roots.add(block, current);
          this.#log({ event: 'root_changed', block, root: current, reason: 'L1 holds another root for this block than the one read before (a reorg): verified again next round' });
          break;
        }
        const reason = error instanceof PlasmaError ? error.message : String(error);
        problem = { block, code: error instanceof HistoryError ? error.code : 'invalid_proof', reason, missing: false };
        break;
      }
      if (entry.kind === 'inclusion') added.push(entry);
      if (verifier.state.owner !== this.#me) break; // the coin left this wallet: its chain ends here
    }
    const grace = this.#options.missingProofGraceMs ?? 600_000;
    await this.wallet.store.update((state) => {
      const stored = state.coins[coin.slot.toString()]!;
      if (stored.coveredThrough !== coin.coveredThrough) return; // a wallet call moved it meanwhile
      if (extendChain(stored, added, verifier.state.coveredThrough, this.#me)) {
        this.#log({ event: 'transfer_landed', slot: coin.slot, block: chainLastBlock(stored) });
      }
      if (problem === undefined) {
        delete stored.missingSince;
        if (stored.frozen !== undefined && MISSING.has(stored.frozen.code) && added.length + Number(verifier.state.coveredThrough > coin.coveredThrough) > 0) {
          this.#decide(state, coin.slot, 'thaw', `the proofs missing since block ${stored.frozen.block} arrived and verify`);
          delete stored.frozen;
        }
        return;
      }
      if (problem.missing) {
        if (stored.missingSince?.block !== problem.block) stored.missingSince = { block: problem.block, at: Date.now() };
        if (Date.now() - stored.missingSince.at < grace || stored.frozen !== undefined) return;
      }
      stored.frozen = { block: problem.block, code: problem.code, reason: problem.reason, at: Date.now() };
      this.#decide(state, coin.slot, 'freeze', `${problem.code} at block ${problem.block}: ${problem.reason}`);
    });
  }

  // ---- 3. acting

  #decide(state: WalletState, slot: bigint, action: string, reason: string, extra: { l1Transaction?: string; error?: string } = {}): void {
    state.decisions.push({ at: new Date().toISOString(), slot: slot.toString(), action, reason, ...extra });
    if (state.decisions.length > MAX_DECISIONS) state.decisions.splice(0, state.decisions.length - MAX_DECISIONS);
    this.#log({ event: 'decision', slot, action, reason, ...extra });
  }

  /** Sends one L1 call and records the decision with its outcome; a failure is logged and retried next round. */
  async #send(slot: bigint, action: string, reason: string, method: string, args: readonly unknown[], value = 0n): Promise<boolean> {
    try {
      const sent = await this.wallet.sendL1(method, args, value);
      await this.wallet.store.update((state) => this.#decide(state, slot, action, reason, { l1Transaction: sent.hash }));
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Retried every round; the same failure is recorded at most once a minute.
      const key = `${slot}:${action}:${message}`;
      const last = this.#failures.get(key);
      if (last === undefined || Date.now() - last > 60_000) {
        this.#failures.set(key, Date.now());
        await this.wallet.store.update((state) => this.#decide(state, slot, action, reason, { error: message }));
      }
      return false;
    }
  }

  async #act(head: { number: bigint; timestamp: bigint }): Promise<void> {
    await this.#reconcileCoinsWithL1();
    const state = await this.wallet.store.read();
    const params = await this.wallet.l1.parameters();
    for (const exit of Object.values(state.exits)) {
      if (exit.status !== 'live') continue;
      const record = await this.#liveRecord(exit);
      if (record === undefined) continue;
      if (exit.exitor === this.#me) await this.#defendOwnExit(state, exit, record, head.timestamp);
      else await this.#challengeExit(state, exit, record, head, params.challengeBond, params.responsePeriod);
    }
    await this.#settleChallenges(state);
    await this.#cashOut(state);
    await this.#adoptRevealedCoins(state);
    if (this.#options.exitFrozenCoins ?? true) await this.#exitFrozenCoins(state, params.exitBond);
    if ((await this.wallet.l1.bondBalance(this.#me)) > 0n) {
      await this.#send(0n, 'withdrawBonds', 'bonds are credited to this wallet', 'withdrawBonds', []);
    }
  }

  /**
   * Every round, each coin's record on L1 is read once:
   * - its deposit must still be the one the wallet recorded. A reorg can take a deposit back (the slot is empty,
   *   or another deposit took it): such a coin is marked `depositGone` and nothing is done with it until the
   *   deposit comes back;
   * - the events only tell of exits on coins the wallet already knew, and a reorg can hide one: any coin that L1
   *   says is exiting has its live exit tracked (a coin received while a former owner's exit of it was already
   *   running, an ExitStarted in a reorged block).
   */
  async #reconcileCoinsWithL1(): Promise<void> {
    const state = await this.wallet.store.read();
    for (const coin of Object.values(state.coins)) {
      if (coin.withdrawn === true) continue;
      const record = await this.wallet.l1.coin(coin.slot);
      await this.#checkDeposit(coin, record);
      if (record.state !== 'exiting' || state.exits[exitKey(coin.slot, record.exitCount)]?.status === 'live') continue;
      const exit = await this.wallet.l1.exit(coin.slot, record.exitCount);
      if (exit.status !== 'live') continue;
      await this.wallet.store.update((s) => {
        s.exits[exitKey(coin.slot, record.exitCount)] = trackedExit(coin.slot, record.exitCount, exit);
        this.#log({ event: 'exit_found', slot: coin.slot, nonce: record.exitCount, exitor: exit.exitor, reason: 'L1 says the coin is exiting: an exit no event of ours told of' });
      });
    }
  }

  async #checkDeposit(coin: StoredCoin, record: CoinRecord): Promise<void> {
    const { deposit } = coin;
    const same = isDepositOf(deposit, record);
    if (same === (coin.depositGone === undefined)) return;
    // This wallet's own deposit re-mined with another record (same depositor and nonce, so the same slot), in a
    // block the cursor had already passed: take the coin as L1 records it. Only while the coin is nothing but
    // that deposit, so an RPC node's word never erases a verified chain of transfers.
    if (!same && record.depositBlock !== 0n && record.depositor === this.#me && coin.chain.length === 0 && coin.role === 'owner' && coin.inFlight === undefined) {
      const event = { slot: coin.slot, block: record.depositBlock, depositor: record.depositor, denomination: record.denomination, kind: record.kind, token: record.token, tokenId: record.tokenId };
      await this.wallet.store.update((state) => {
        if (state.coins[coin.slot.toString()]?.chain.length !== 0) return;
        recordOwnDeposit(state, event);
        this.#log({ event: 'deposit_replaced', slot: coin.slot, block: record.depositBlock, reason: `L1 now records this wallet's deposit in slot ${coin.slot} at block ${record.depositBlock} (${record.denomination}), not at block ${deposit.block}: a reorg re-mined it` });
      });
      return;
    }
    const reason = same
      ? 'the deposit is on L1 again'
      : record.depositBlock === 0n
        ? `L1 holds no deposit in slot ${coin.slot} any more: a reorg took back the deposit at block ${deposit.block}`
        : `slot ${coin.slot} now holds another deposit (block ${record.depositBlock} by ${record.depositor}): a reorg took back this coin's deposit at block ${deposit.block}`;
    await this.wallet.store.update((state) => {
      const stored = state.coins[coin.slot.toString()];
      if (stored === undefined) return;
      if (same) delete stored.depositGone;
      else stored.depositGone = { at: Date.now(), reason };
      this.#log({ event: same ? 'deposit_back' : 'deposit_gone', slot: coin.slot, reason });
    });
  }

  /**
   * The contract's record of a tracked exit while it is live. Events are applied at the head, so a reorg can take
   * back an ExitStarted (or bring an end we missed): the record is the truth, and the tracked exit follows it.
   */
  async #liveRecord(exit: TrackedExit): Promise<ExitRecord | undefined> {
    const record = await this.wallet.l1.exit(exit.slot, exit.nonce);
    if (record.status === 'live') return record;
    await this.wallet.store.update((state) => {
      const key = exitKey(exit.slot, exit.nonce);
      if (record.status === 'none') delete state.exits[key];
      else if (state.exits[key] !== undefined) state.exits[key]!.status = record.status;
    });
    return undefined;
  }

  /** With --verify-l1, refuses to act on an exit record that eth_getProof does not confirm. */
  async #checkExit(exit: TrackedExit, record: ExitRecord, l1Block: bigint): Promise<void> {
    if (this.#options.verifyL1 !== undefined) {
      const proven = await this.#options.verifyL1.exit(exit.slot, exit.nonce, l1Block);
      if (proven.exitor !== record.exitor || proven.exitBlock !== record.exitBlock || proven.parentBlock !== record.parentBlock || proven.status !== record.status) {
        throw new Error(`the L1 node's record of exit ${exit.slot}:${exit.nonce} differs from the one proven by eth_getProof; refusing to act on this node`);
      }
    }
  }

  async #challengeExit(state: WalletState, exit: TrackedExit, record: ExitRecord, head: { number: bigint; timestamp: bigint }, challengeBond: bigint, responsePeriod: bigint): Promise<void> {
    // Even for a coin marked depositGone: were the mark wrong (a node answering from a stale block), skipping the
    // challenge could lose the coin; were it right, a challenge from a history L1 no longer has fails its gas
    // estimate and costs nothing.
    const coin = state.coins[exit.slot.toString()];
    const revealed = Object.values(state.revealed).filter((r) => r.slot === exit.slot);
    await this.#checkExit(exit, record, head.number);
    // Within a response period of the end, a claim cannot wait for late proofs any longer.
    const urgent = head.timestamp + responsePeriod >= record.finalizableAt;
    const decision = decideChallenge(this.#me, exit, coin, revealed, { urgent });
    if (decision.kind === 'challengeAfter' || decision.kind === 'challengeBetween') {
      const { spend } = decision;
      await this.#send(exit.slot, decision.kind, decision.reason, decision.kind, [transactionArgument(spend.transaction), spend.signature, spend.proof, spend.block]);
      return;
    }
    if (decision.kind === 'challengeBefore') {
      const id = transactionDigest(decision.claim.transaction, this.wallet.domain);
      const existing = await this.wallet.l1.challenge(exit.slot, exit.nonce, id);
      if (existing.status === 'none') {
        await this.#send(exit.slot, 'challengeBefore', decision.reason, 'challengeBefore', [transactionArgument(decision.claim.transaction), decision.claim.proof, decision.claim.block], challengeBond);
        return;
      }
    }
    // An unanswered challengeBefore (ours or anyone's) cancels the exit once it has stood a response period.
    if (record.firstChallenge !== ZERO_HASH) {
      const oldest = await this.wallet.l1.challenge(exit.slot, exit.nonce, record.firstChallenge);
      const cancellableAt = oldest.openedAt + responsePeriod > record.maturesAt ? oldest.openedAt + responsePeriod : record.maturesAt;
      if (head.timestamp >= cancellableAt && (decision.kind !== 'none' || oldest.challenger === this.#me)) {
        await this.#send(exit.slot, 'finalizeExit', `the challenge ${record.firstChallenge} stood unanswered for a full response period: the exit is cancelled`, 'finalizeExit', [exit.slot]);
      }
    }
  }

  /**
   * Answers every open challengeBefore of this wallet's exit, walking the exit's list of open challenges on L1
   * (so a ChallengeOpened missed in a reorged block is answered too), and finalizes it once matured.
   */
  async #defendOwnExit(state: WalletState, exit: TrackedExit, record: ExitRecord, now: bigint): Promise<void> {
    const coin = state.coins[exit.slot.toString()];
    let id = record.firstChallenge;
    for (let seen = 0; id !== ZERO_HASH && seen < 10_000; seen++) {
      const challenge = await this.wallet.l1.challenge(exit.slot, exit.nonce, id);
      const next = challenge.next;
      if (challenge.status === 'open') {
        const response = coin === undefined ? undefined : decideResponse(coin, id, challenge.claimBlock, exit.parentBlock, this.wallet.domain);
        if (response === undefined) {
          if (!this.#reported.has(id)) {
            this.#reported.add(id); // reported once, re-checked every round
            await this.wallet.store.update((s) => this.#decide(s, exit.slot, 'cannot_respond', `no transaction of this wallet's history answers the claim of block ${challenge.claimBlock}; the exit will be cancelled`));
          }
        } else {
          await this.#send(exit.slot, 'respondChallengeBefore', `the claim of block ${challenge.claimBlock} was spent at block ${response.block}`, 'respondChallengeBefore', [id, transactionArgument(response.transaction), response.signature, response.proof, response.block]);
        }
      }
      id = next;
    }
    const after = await this.wallet.l1.exit(exit.slot, exit.nonce);
    if (after.status === 'live' && after.firstChallenge === ZERO_HASH && now >= after.finalizableAt) {
      await this.#send(exit.slot, 'finalizeExit', 'this wallet\'s exit has matured with no open challenge', 'finalizeExit', [exit.slot]);
    }
  }

  /** Challenges of this wallet left open when their exit ended get their bond back. */
  async #settleChallenges(state: WalletState): Promise<void> {
    for (const challenge of Object.values(state.challenges)) {
      if (challenge.challenger !== this.#me || challenge.status !== 'open') continue;
      const exit = state.exits[exitKey(challenge.slot, challenge.nonce)];
      if (exit !== undefined && exit.status === 'live') continue;
      const onChain = await this.wallet.l1.challenge(challenge.slot, challenge.nonce, challenge.challengeId);
      if (onChain.status !== 'open') continue;
      const record = await this.wallet.l1.exit(challenge.slot, challenge.nonce);
      if (record.status === 'live') continue;
      await this.#send(challenge.slot, 'settleChallenge', 'the exit ended with this wallet\'s challenge still open', 'settleChallenge', [challenge.slot, challenge.nonce, challenge.challengeId]);
    }
  }

  /** Its finalized exits: take the asset. */
  async #cashOut(state: WalletState): Promise<void> {
    for (const exit of Object.values(state.exits)) {
      if (exit.exitor !== this.#me || exit.status !== 'finalized') continue;
      const coin = state.coins[exit.slot.toString()];
      if (coin?.withdrawn === true) continue;
      const record = await this.wallet.l1.coin(exit.slot);
      if (record.state !== 'exited' || record.withdrawn) continue;
      if (await this.#send(exit.slot, 'withdraw', 'this wallet\'s exit finalized', 'withdraw', [exit.slot])) {
        await this.wallet.store.update((s) => {
          const stored = s.coins[exit.slot.toString()];
          if (stored !== undefined) stored.withdrawn = true;
        });
      }
    }
  }

  /**
   * A transfer to this wallet that only a response on L1 revealed (the operator withheld it) makes the coin
   * ours: once no exit is live on it, take it into the wallet with a history verified up to that transfer, so
   * that the next rounds verify what followed (and freeze and exit it if, as is likely, a thief forged it on).
   */
  async #adoptRevealedCoins(state: WalletState): Promise<void> {
    for (const revealed of Object.values(state.revealed)) {
      // A coin the wallet holds or held: adopt only a transfer later than everything it verified (the coin came
      // back to it through a block withheld from it).
      const known = state.coins[revealed.slot.toString()];
      if ((known !== undefined && (known.role === 'owner' || revealed.block <= known.coveredThrough)) || liveExitOf(state, revealed.slot) !== undefined) continue;
      const record = await this.wallet.l1.coin(revealed.slot);
      if (record.state !== 'deposited') continue;
      const deposit = { slot: revealed.slot, block: record.depositBlock, owner: record.depositor, denomination: record.denomination };
      const entry: InclusionEntry = { block: revealed.block, kind: 'inclusion', transaction: revealed.transaction, signature: revealed.signature, proof: revealed.proof };
      let chain: InclusionEntry[];
      try {
        chain = await this.#chainUpTo(deposit, revealed.transaction.prevBlock);
      } catch (error) {
        const key = `${revealed.slot}:${revealed.block}`;
        if (this.#reported.has(key)) continue; // retried every round, reported once
        this.#reported.add(key);
        await this.wallet.store.update((s) => this.#decide(s, revealed.slot, 'cannot_adopt', `the transfer revealed at block ${revealed.block} cannot be backed by a verified history yet: ${(error as Error).message}`));
        continue;
      }
      chain.push(entry);
      await this.wallet.store.update((s) => {
        const current = s.coins[revealed.slot.toString()];
        if (current !== undefined && (current.role === 'owner' || revealed.block <= current.coveredThrough)) return;
        s.coins[revealed.slot.toString()] = { slot: revealed.slot, deposit, asset: { kind: record.kind, token: record.token, tokenId: record.tokenId }, chain, coveredThrough: revealed.block, role: 'owner' };
        this.#decide(s, revealed.slot, 'adopt', `a response on L1 revealed the transfer to this wallet at block ${revealed.block}: the coin is this wallet's`);
      });
    }
  }

  /**
   * The valid transactions of a coin from its deposit through `through` (the parent of a revealed transfer),
   * from the operator's history verified against L1. The deposit needs nothing: L1 records it.
   */
  async #chainUpTo(deposit: CoinDeposit, through: bigint): Promise<InclusionEntry[]> {
    if (through === deposit.block) return [];
    const verifier = new CoinHistoryVerifier({ deposit, roots: (block) => this.wallet.roots.get(block), domain: this.wallet.domain });
    const chain: InclusionEntry[] = [];
    for (const entry of (await this.wallet.operator.history(deposit.slot, undefined, through)).entries) {
      verifier.apply(entry);
      if (entry.kind === 'inclusion') chain.push(entry);
    }
    if (verifier.state.lastBlock !== through) throw new HistoryError('broken_chain', through, `the verified history does not reach a valid transaction at block ${through}`);
    return chain;
  }

  /** A frozen coin that this wallet owns by its verified history goes back to L1 once no exit is live on it. */
  async #exitFrozenCoins(state: WalletState, exitBond: bigint): Promise<void> {
    for (const coin of Object.values(state.coins)) {
      if (coin.frozen === undefined || coin.withdrawn === true || coin.lost !== undefined || coin.depositGone !== undefined || chainOwner(coin) !== this.#me) continue;
      const missingFor = Date.now() - (coin.missingSince?.at ?? coin.frozen.at);
      const cheated = !MISSING.has(coin.frozen.code);
      const gone = missingFor >= (this.#options.operatorGoneMs ?? 86_400_000);
      if (coin.inFlight === undefined && !cheated && !gone) continue; // late proofs alone: stay frozen, keep watching
      if (liveExitOf(state, coin.slot) !== undefined) continue;
      const record = await this.wallet.l1.coin(coin.slot);
      if (record.state !== 'deposited') continue;
      const args = exitArguments(coin);
      const reason = `the coin is frozen (${coin.frozen.code} at block ${coin.frozen.block}): exit from the last verified transaction, block ${chainLastBlock(coin)}`;
      const sent = args === undefined
        ? await this.#send(coin.slot, 'startDepositExit', reason, 'startDepositExit', [coin.slot], exitBond)
        : await this.#send(coin.slot, 'startExit', reason, 'startExit', args, exitBond);
      if (sent) {
        // Track it now rather than wait for the event scan: the next round must not start it again.
        const started = await this.wallet.l1.coin(coin.slot);
        const exit = await this.wallet.l1.exit(coin.slot, started.exitCount);
        await this.wallet.store.update((s) => {
          s.exits[exitKey(coin.slot, started.exitCount)] ??= trackedExit(coin.slot, started.exitCount, exit);
        });
      }
    }
  }

  // ---- status

  async status(): Promise<WatcherStatus> {
    const state = await this.wallet.store.read();
    return stringify({
      account: this.#me,
      contract: state.contract,
      l1Cursor: state.l1Cursor,
      running: this.#running,
      ...(this.#lastRound === undefined ? {} : { lastRound: this.#lastRound.toISOString() }),
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      coins: await this.wallet.coins(),
      liveExits: Object.values(state.exits).filter((exit) => exit.status === 'live'),
      openChallenges: Object.values(state.challenges).filter((challenge) => challenge.status === 'open'),
      decisions: state.decisions.slice(-50),
    }) as WatcherStatus;
  }
}
