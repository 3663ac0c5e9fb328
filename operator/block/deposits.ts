/**
 * Deposits stay open (PROTOCOL.md §2, §6): the contract numbers the k-th deposit after the last child block
 * `lastChild + k`, k ≤ 999, and reverts the 1000th, so the numbers of one interval run out unless child blocks
 * keep coming. The operator therefore claims a child block (empty when no transfer is pending) when
 *  - 'half': half of the interval's deposit numbers are used (lastDeposit − lastChild ≥ 500), at once: the
 *    L1 follower wakes the block loop (loop.ts noteDeposit) as soon as the deposits it reads cross the mark;
 *  - 'waiting': any deposit came after the last child block, and no block was claimed for the deposit wait
 *    (loop.ts; default one block interval).
 * With nothing after the last child block no empty block is built.
 *
 * `lastChild` is the last child block the operator CLAIMED, not the last on L1: deposits numbered below a
 * claimed block are in an interval that this block closes once it is committed (the loop commits it before it
 * claims again), so they no longer call for a block.
 */
import { CHILD_BLOCK_INTERVAL } from '../../client/protocol/index.ts';

/** Half of an interval's deposit numbers: the deposits after which a child block is due at once. */
export const DEPOSIT_HALF_MARK = CHILD_BLOCK_INTERVAL / 2n;

export interface DepositInterval {
  /** The last child block claimed (0n before the first). */
  readonly lastChild: bigint;
  /** The highest deposit block the follower has read from L1 (0n before the first). */
  readonly lastDeposit: bigint;
}

/** Deposit numbers used after the last claimed child block (0n when none). */
export function depositsAfter({ lastChild, lastDeposit }: DepositInterval): bigint {
  return lastDeposit > lastChild ? lastDeposit - lastChild : 0n;
}

/** Why a child block is due for deposits, or undefined when no deposit waits. */
export function depositBlockDue(state: DepositInterval, halfMark: bigint = DEPOSIT_HALF_MARK): 'half' | 'waiting' | undefined {
  const used = depositsAfter(state);
  if (used >= halfMark) return 'half';
  if (used > 0n) return 'waiting';
  return undefined;
}
