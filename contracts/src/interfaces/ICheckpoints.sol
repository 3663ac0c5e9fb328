// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Transaction} from "../Transaction.sol";
import {
    LeafRef,
    Checkpoint,
    LeafState,
    LeafChallenge,
    LeafStatus,
    LeafChallengeKind,
    VoidReason
} from "../Checkpoint.sol";

/// @title ICheckpoints
/// @notice The checkpoint calls of PROTOCOL.md §10 (docs/CHECKPOINTS.md §2), served at PlasmaCash's address: its
/// fallback runs them in the CheckpointGame module by delegatecall, on PlasmaCash's storage.
interface ICheckpoints {
    /// @notice Checkpoint `k` of child block `childBlock` was submitted; its leaves can be challenged until
    /// `periodEnd` (exclusive) and are final from then on at the earliest.
    event CheckpointSubmitted(uint256 indexed k, uint256 indexed childBlock, bytes32 root, uint256 periodEnd);
    /// @notice A challenge of leaf (k, slot) was opened; answers are accepted until `dueAt` (inclusive).
    event LeafChallengeOpened(
        uint256 indexed k,
        uint64 indexed slot,
        bytes32 indexed challengeId,
        LeafChallengeKind kind,
        address challenger,
        Transaction claim,
        uint256 claimBlock,
        uint256 dueAt
    );
    /// @notice A challenge of leaf (k, slot) was answered: `revealed` (Withheld: the checkpointed transaction, at
    /// `revealedBlock`, with its signature as given and inclusion proof) may name an owner who never saw it; the
    /// leaf is not final before `finalNotBefore`.
    event LeafRevealed(
        uint256 indexed k,
        uint64 indexed slot,
        bytes32 indexed challengeId,
        LeafChallengeKind kind,
        Transaction revealed,
        uint256 revealedBlock,
        bytes signature,
        bytes proof,
        uint256 finalNotBefore
    );

    /// @notice Leaf (k, slot) is void from now on; `evidence`: the challenge id (Unanswered), the leaf actually in
    /// the block (NotIncluded), keccak256(abi.encode(k', B', D')) of the conflicting final leaf (Conflict), the
    /// spend's digest (Spent), bytes32(nonce) of the exit (SpentByExit).
    event LeafVoided(uint256 indexed k, uint64 indexed slot, VoidReason reason, bytes32 evidence);

    /// @notice challengeLeafNotIncluded: none of the not-included conditions holds for the leaf.
    error LeafIsIncluded(uint256 k, uint64 slot);
    /// @notice challengeLeafConflict: the two leaves agree.
    error NoConflict(uint256 k, uint256 otherK);
    /// @notice A leaf used as evidence is not of the coin: its block is before the deposit, after its checkpoint's
    /// block, or neither a committed child block nor the deposit block.
    error LeafNotOfCoin(uint64 slot, uint256 txBlock, uint256 depositBlock, uint256 checkpointBlock);
    /// @notice A final leaf was required.
    error LeafNotFinal(uint256 k, uint64 slot, LeafStatus status, uint256 finalAt);
    /// @notice challengeLeafSpent: the spend is not included in (txBlock, checkpointBlock].
    error SpendOutOfRange(uint256 spendBlock, uint256 txBlock, uint256 checkpointBlock);
    /// @notice challengeLeafSpentByExit: exit (slot, nonce) is no spend of the leaf's transaction before N.
    error NotASpend(uint64 slot, uint256 nonce);

    /// @notice The call was made to the module's own address, not through PlasmaCash.
    error NotDelegated();
    /// @notice submitCheckpoint: the previous checkpoint is less than RESPONSE_PERIOD old; retry at `readyAt`.
    error CheckpointTooSoon(uint256 readyAt);
    /// @notice submitCheckpoint: `given` is not after the previous checkpoint's child block `last`.
    error CheckpointBlockNotAfter(uint256 given, uint256 last);
    /// @notice No checkpoint `k` was submitted.
    error UnknownCheckpoint(uint256 k);
    /// @notice The leaf presented for (k, slot) does not verify under checkpoint k's root.
    error LeafNotProved(uint256 k, uint64 slot);
    /// @notice Leaf (k, slot) is not pending (final or void): it can no longer be challenged.
    error LeafNotPending(uint256 k, uint64 slot, LeafStatus status);
    /// @notice The challenge window of leaf (k, slot) closed at `closedAt`.
    error ChallengeWindowClosed(uint256 k, uint64 slot, uint256 closedAt);
    /// @notice A challenge with this id is already on the leaf.
    error LeafChallengeExists(bytes32 challengeId);
    /// @notice The challenge is not open (or of another kind than the call answers).
    error LeafChallengeNotOpen(bytes32 challengeId, uint8 status);
    /// @notice The answer came after the challenge's due time `dueAt`.
    error AnswerTooLate(bytes32 challengeId, uint256 dueAt);
    /// @notice The transaction given does not hash to the leaf's digest.
    error DigestMismatch(bytes32 expected, bytes32 given);

    /// @notice Operator only: commits checkpoint k = checkpointCount() of committed child block `childBlock`
    /// (after the previous checkpoint's) with the root of its leaves; at most one per RESPONSE_PERIOD.
    function submitCheckpoint(uint256 childBlock, bytes32 root) external;

    /// @notice With CHALLENGE_BOND (exact), while the period runs (now < periodEnd): the leaf of `slot` in
    /// checkpoint k is withheld. `claim` is a transaction of the coin included at `claimBlock` (or its deposit
    /// transaction with an empty proof). Unanswered by its due time (openedAt + RESPONSE_PERIOD), the leaf is void.
    function challengeLeafWithheld(
        uint256 k,
        uint64 slot,
        Transaction calldata claim,
        bytes calldata claimProof,
        uint256 claimBlock
    ) external payable;

    /// @notice Answers a Withheld challenge with the leaf (proved under the root), the checkpointed transaction
    /// (hashing to the leaf's digest) and its inclusion proof at the leaf's block (the deposit transaction with an
    /// empty proof at the deposit block); `signature` is carried in the event for the owner it reveals. A reveal:
    /// the leaf is not final before now + RESPONSE_PERIOD. The bond: half to the caller, half burned.
    function answerLeafWithheld(
        LeafRef calldata leaf,
        bytes32 challengeId,
        Transaction calldata checkpointed,
        bytes calldata signature,
        bytes calldata inclusionProof
    ) external;

    /// @notice Voids a pending leaf at once (anyone, no bond) when it names what the child chain does not hold:
    /// `txBlock` after N, before the coin's deposit block, or neither a committed child block nor the deposit
    /// block; no coin at N (none, or deposited after N, R7); the deposit block with a digest other than the
    /// deposit transaction's; or (`actualProof` non-empty) the slot's leaf in child block `txBlock`, proved to be
    /// `actualLeaf`, differs from `txDigest`.
    function challengeLeafNotIncluded(LeafRef calldata leaf, bytes32 actualLeaf, bytes calldata actualProof) external;

    /// @notice Voids a pending leaf that conflicts with a final, non-void leaf `other` of the coin (R11) in another
    /// checkpoint: ordered by N as (B1, D1) at N1 < (B2, D2) at N2, iff B2 < B1, or B2 <= N1 and (B1, D1) != (B2, D2).
    function challengeLeafConflict(LeafRef calldata leaf, LeafRef calldata other) external;

    /// @notice Voids a pending leaf whose transaction (`checkpointed`, hashing to txDigest) was spent by
    /// checkpointed.newOwner in a transaction (`spend`, prevBlock = txBlock) included at a block in (txBlock, N].
    function challengeLeafSpent(
        LeafRef calldata leaf,
        Transaction calldata checkpointed,
        Transaction calldata spend,
        bytes calldata spendSig,
        bytes calldata spendProof,
        uint256 spendBlock
    ) external;

    /// @notice Voids a pending leaf when exit (slot, nonce) of the exit game (any status) spent its block before
    /// N: parentBlock == txBlock and exitBlock in (txBlock, N] (R1: only while the leaf is pending).
    function challengeLeafSpentByExit(LeafRef calldata leaf, uint256 nonce) external;

    /// @notice The status of leaf (k, slot): Void once recorded void or while every open challenge is past due;
    /// Final once now ≥ finalAt with no challenge open; else Pending. finalAt = max(periodEnd, last reveal + RP,
    /// newest challenge + RP).
    function leafStatus(uint256 k, uint64 slot) external view returns (LeafStatus status, uint256 finalAt);

    /// @notice Checkpoints submitted so far (the next one's k).
    function checkpointCount() external view returns (uint256);

    /// @notice Checkpoint k.
    function getCheckpoint(uint256 k) external view returns (Checkpoint memory);

    /// @notice What the contract stores about leaf (k, slot).
    function getLeafState(uint256 k, uint64 slot) external view returns (LeafState memory);

    /// @notice Challenge `challengeId` of leaf (k, slot).
    function getLeafChallenge(uint256 k, uint64 slot, bytes32 challengeId)
        external
        view
        returns (LeafChallenge memory);
}
