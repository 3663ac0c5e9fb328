/**
 * PlasmaCash's events, decoded: the one decoder for the wallet, the watcher and the operator's L1 follower.
 * Each event carries where on L1 it was emitted; addresses are lower case.
 */
import type { Interface } from 'ethers';
import type { Address, Hash, Hex, Transaction } from '../protocol/index.ts';
import type { RpcLog } from './rpc.ts';

export type AssetKind = 'eth' | 'erc20' | 'erc721';
/** The contract's AssetKind enum, by value. */
export const ASSET_KINDS: readonly AssetKind[] = ['eth', 'erc20', 'erc721'];
/** The contract's CancelReason enum (IPlasmaCash.sol), by value. */
export const CANCEL_REASONS = ['spent_after_exit', 'double_spend', 'unanswered_challenge', 'outlived_by_winner', 'inconsistent_with_checkpoint'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

interface EventBase {
  readonly l1Block: bigint;
  readonly logIndex: number;
  readonly transactionHash: Hash;
}

export type PlasmaEvent = EventBase &
  (
    | { readonly name: 'Deposit'; readonly slot: bigint; readonly depositor: Address; readonly block: bigint; readonly kind: AssetKind; readonly token: Address; readonly tokenId: bigint; readonly denomination: bigint }
    | { readonly name: 'BlockSubmitted'; readonly block: bigint; readonly root: Hash }
    | { readonly name: 'ExitStarted'; readonly slot: bigint; readonly nonce: bigint; readonly exitor: Address; readonly parentBlock: bigint; readonly exitBlock: bigint; readonly finalizableAt: bigint }
    | { readonly name: 'ExitCancelled'; readonly slot: bigint; readonly nonce: bigint; readonly challenger: Address; readonly reason: CancelReason }
    | { readonly name: 'ExitFinalized'; readonly slot: bigint; readonly nonce: bigint; readonly exitor: Address }
    | { readonly name: 'ChallengeOpened'; readonly slot: bigint; readonly nonce: bigint; readonly challengeId: Hash; readonly challenger: Address; readonly claim: Transaction; readonly claimBlock: bigint; readonly finalizableAt: bigint }
    | { readonly name: 'ChallengeAnswered'; readonly slot: bigint; readonly nonce: bigint; readonly challengeId: Hash; readonly response: Transaction; readonly responseBlock: bigint; readonly finalizableAt: bigint; readonly signature: Hex; readonly proof: Hex }
    | { readonly name: 'SpendRevealed'; readonly slot: bigint; readonly nonce: bigint; readonly spend: Transaction; readonly block: bigint; readonly signature: Hex; readonly proof: Hex }
    | { readonly name: 'ChallengeSettled'; readonly slot: bigint; readonly nonce: bigint; readonly challengeId: Hash; readonly challenger: Address }
    | { readonly name: 'BondCredited'; readonly account: Address; readonly amount: bigint }
    | { readonly name: 'CoinWithdrawn'; readonly slot: bigint; readonly owner: Address }
    | { readonly name: 'CheckpointSubmitted'; readonly k: bigint; readonly childBlock: bigint; readonly root: Hash; readonly periodEnd: bigint }
    | { readonly name: 'LeafChallengeOpened'; readonly k: bigint; readonly slot: bigint; readonly challengeId: Hash; readonly kind: LeafChallengeKind; readonly challenger: Address; readonly claim: Transaction; readonly claimBlock: bigint; readonly dueAt: bigint }
  );

export type PlasmaEventName = PlasmaEvent['name'];

/** The module's LeafChallengeKind enum (docs/CHECKPOINTS.md §2), by value. */
const LEAF_CHALLENGE_KINDS = ['none', 'withheld', 'invalid_history'] as const;
export type LeafChallengeKind = (typeof LEAF_CHALLENGE_KINDS)[number];

/** The topic-0 filter for `names` (an event the loaded ABI lacks, from an older build, is left out). */
export function eventTopics(iface: Interface, names: readonly PlasmaEventName[]): string[][] {
  return [names.flatMap((name) => iface.getEvent(name)?.topicHash ?? [])];
}

const lower = (value: string): Address => value.toLowerCase() as Address;

function toTransaction(value: { slot: bigint; prevBlock: bigint; denomination: bigint; newOwner: string }): Transaction {
  return { slot: BigInt(value.slot), prevBlock: BigInt(value.prevBlock), denomination: BigInt(value.denomination), newOwner: lower(value.newOwner) };
}

function enumValue<T>(values: readonly T[], value: unknown, what: string, log: RpcLog): T {
  const decoded = values[Number(value)];
  if (decoded === undefined) throw new Error(`unknown ${what} ${String(value)} in ${log.transactionHash}`);
  return decoded;
}

/** Decodes one PlasmaCash log; undefined for a log that is not one of the contract's events above. */
export function decodePlasmaEvent(iface: Interface, log: RpcLog): PlasmaEvent | undefined {
  const parsed = iface.parseLog({ topics: log.topics, data: log.data });
  if (parsed === null) return undefined;
  const base: EventBase = { l1Block: BigInt(log.blockNumber), logIndex: Number(log.logIndex), transactionHash: log.transactionHash };
  const a = parsed.args;
  switch (parsed.name) {
    case 'Deposit':
      return { ...base, name: 'Deposit', slot: BigInt(a.slot), depositor: lower(a.depositor), block: BigInt(a.blockNumber), kind: enumValue(ASSET_KINDS, a.kind, 'asset kind', log), token: lower(a.token), tokenId: BigInt(a.tokenId), denomination: BigInt(a.denomination) };
    case 'BlockSubmitted':
      return { ...base, name: 'BlockSubmitted', block: BigInt(a.blockNumber), root: (a.root as string).toLowerCase() as Hash };
    case 'ExitStarted':
      return { ...base, name: 'ExitStarted', slot: BigInt(a.slot), nonce: BigInt(a.nonce), exitor: lower(a.exitor), parentBlock: BigInt(a.parentBlock), exitBlock: BigInt(a.exitBlock), finalizableAt: BigInt(a.finalizableAt) };
    case 'ExitCancelled':
      return { ...base, name: 'ExitCancelled', slot: BigInt(a.slot), nonce: BigInt(a.nonce), challenger: lower(a.challenger), reason: enumValue(CANCEL_REASONS, a.reason, 'cancel reason', log) };
    case 'ExitFinalized':
      return { ...base, name: 'ExitFinalized', slot: BigInt(a.slot), nonce: BigInt(a.nonce), exitor: lower(a.exitor) };
    case 'ChallengeOpened':
      return { ...base, name: 'ChallengeOpened', slot: BigInt(a.slot), nonce: BigInt(a.nonce), challengeId: a.challengeId as Hash, challenger: lower(a.challenger), claim: toTransaction(a.claim), claimBlock: BigInt(a.claimBlock), finalizableAt: BigInt(a.finalizableAt) };
    case 'ChallengeAnswered':
      return { ...base, name: 'ChallengeAnswered', slot: BigInt(a.slot), nonce: BigInt(a.nonce), challengeId: a.challengeId as Hash, response: toTransaction(a.response), responseBlock: BigInt(a.responseBlock), finalizableAt: BigInt(a.finalizableAt), signature: a.signature as Hex, proof: a.proof as Hex };
    case 'SpendRevealed':
      return { ...base, name: 'SpendRevealed', slot: BigInt(a.slot), nonce: BigInt(a.nonce), spend: toTransaction(a.spend), block: BigInt(a.blockNumber), signature: a.signature as Hex, proof: a.proof as Hex };
    case 'ChallengeSettled':
      return { ...base, name: 'ChallengeSettled', slot: BigInt(a.slot), nonce: BigInt(a.nonce), challengeId: a.challengeId as Hash, challenger: lower(a.challenger) };
    case 'BondCredited':
      return { ...base, name: 'BondCredited', account: lower(a.account), amount: BigInt(a.amount) };
    case 'CoinWithdrawn':
      return { ...base, name: 'CoinWithdrawn', slot: BigInt(a.slot), owner: lower(a.owner) };
    case 'CheckpointSubmitted':
      return { ...base, name: 'CheckpointSubmitted', k: BigInt(a.k), childBlock: BigInt(a.childBlock), root: (a.root as string).toLowerCase() as Hash, periodEnd: BigInt(a.periodEnd) };
    case 'LeafChallengeOpened':
      return { ...base, name: 'LeafChallengeOpened', k: BigInt(a.k), slot: BigInt(a.slot), challengeId: a.challengeId as Hash, kind: enumValue(LEAF_CHALLENGE_KINDS, a.kind, 'leaf challenge kind', log), challenger: lower(a.challenger), claim: toTransaction(a.claim), claimBlock: BigInt(a.claimBlock), dueAt: BigInt(a.dueAt) };
    default:
      return undefined;
  }
}
