/**
 * Exits and challenges in progress, folded from the exit game's L1 events (l1.ts reads them). An exit is live
 * from ExitStarted until ExitCancelled or ExitFinalized; a challenge is open from ChallengeOpened until
 * ChallengeAnswered or ChallengeSettled, or until its exit ends.
 */
import type { Address, Hash } from '../../client/protocol/index.ts';
import { TOPICS, words, type RawLog } from './l1.ts';

export interface ExitView {
  readonly slot: bigint;
  readonly nonce: bigint;
  readonly exitor: Address;
  readonly parentBlock: bigint;
  readonly exitBlock: bigint;
  readonly finalizableAt: bigint;
  readonly l1Block: bigint;
  readonly transactionHash: Hash;
  status: 'live' | 'cancelled' | 'finalized';
  reason?: string;
}

export interface ChallengeView {
  readonly slot: bigint;
  readonly nonce: bigint;
  readonly id: Hash;
  readonly challenger: Address;
  readonly claimBlock: bigint;
  readonly l1Block: bigint;
  status: 'open' | 'answered' | 'settled';
}

/** The contract's CancelReason enum (IPlasmaCash.sol), by value. */
const CANCEL_REASONS = ['spent after exit', 'double spend', 'unanswered challenge', 'outlived by winner', 'inconsistent with checkpoint'];
const address = (value: bigint | string): Address =>
  `0x${(typeof value === 'string' ? BigInt(value) : value).toString(16).padStart(40, '0')}` as Address;

export class ExitBook {
  readonly exits = new Map<string, ExitView>();
  readonly challenges = new Map<string, ChallengeView>();

  apply(logs: readonly RawLog[]): void {
    for (const log of logs) {
      const [t0, t1, t2, t3] = log.topics;
      if (t1 === undefined || t2 === undefined) continue;
      const slot = BigInt(t1);
      const nonce = BigInt(t2);
      const key = `${slot}:${nonce}`;
      const data = log.data === '0x' ? [] : words(log.data);
      const l1Block = BigInt(log.blockNumber);
      switch (t0) {
        case TOPICS.ExitStarted:
          this.exits.set(key, { slot, nonce, exitor: address(t3 ?? '0x0'), parentBlock: data[0] ?? 0n, exitBlock: data[1] ?? 0n, finalizableAt: data[2] ?? 0n, l1Block, transactionHash: log.transactionHash, status: 'live' });
          break;
        case TOPICS.ExitCancelled: {
          const exit = this.exits.get(key);
          if (exit !== undefined) {
            exit.status = 'cancelled';
            exit.reason = CANCEL_REASONS[Number(data[0] ?? 0n)] ?? 'cancelled';
          }
          break;
        }
        case TOPICS.ExitFinalized: {
          const exit = this.exits.get(key);
          if (exit !== undefined) exit.status = 'finalized';
          break;
        }
        case TOPICS.ChallengeOpened:
          if (t3 !== undefined) {
            this.challenges.set(t3, { slot, nonce, id: t3 as Hash, challenger: address(data[0] ?? 0n), claimBlock: data[5] ?? 0n, l1Block, status: 'open' });
          }
          break;
        case TOPICS.ChallengeAnswered:
        case TOPICS.ChallengeSettled: {
          const challenge = t3 === undefined ? undefined : this.challenges.get(t3);
          if (challenge !== undefined) challenge.status = t0 === TOPICS.ChallengeAnswered ? 'answered' : 'settled';
          break;
        }
      }
    }
  }

  liveExits(slot?: bigint): ExitView[] {
    return [...this.exits.values()].filter((exit) => exit.status === 'live' && (slot === undefined || exit.slot === slot));
  }

  exitsOf(slot: bigint): ExitView[] {
    return [...this.exits.values()].filter((exit) => exit.slot === slot);
  }

  openChallenges(slot?: bigint): ChallengeView[] {
    return [...this.challenges.values()].filter(
      (challenge) => challenge.status === 'open' && this.exits.get(`${challenge.slot}:${challenge.nonce}`)?.status === 'live' && (slot === undefined || challenge.slot === slot),
    );
  }
}
