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
    /// @notice dismissLeafHistory: the InvalidHistory challenge's claim lies before the coin's applied base
    /// (checkpoint `baseK`), which settles it; the challenge is closed as answered without a reveal.
    event LeafChallengeDismissed(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, uint256 baseK);
    /// @notice settleLeafChallenge: the challenge is settled and its bond credited back to `challenger` (the leaf
    /// is void: by this challenge, unanswered, or already).
    event LeafChallengeSettled(uint256 indexed k, uint64 indexed slot, bytes32 indexed challengeId, address challenger);

    /// @notice challengeLeafNotIncluded: none of the not-included conditions holds for the leaf.
    error LeafIsIncluded(uint256 k, uint64 slot);
    /// @notice Leaf (k, slot), final and of the coin, became the coin's base (applyCheckpoint, or calls 13-16 when
    /// it is newer than the base): (txBlock, txDigest) at checkpointBlock.
    event CheckpointApplied(
        uint64 indexed slot, uint256 indexed k, uint256 checkpointBlock, uint256 txBlock, bytes32 txDigest
    );
    /// @notice Exit (slot, nonce) is bound to the final leaf of checkpoint k: challengeAfter and challengeBetween
    /// evidence at a block <= settledThrough (k's child block) is refused from now on.
    event ExitBoundToCheckpoint(
        uint64 indexed slot, uint256 indexed nonce, uint256 indexed k, uint256 settledThrough
    );
    /// @notice challengeBefore `challengeId` of exit (slot, nonce) was answered with the final leaf of checkpoint k;
    /// its bond went to the exitor. No extension of the exit: the leaf reveals nobody.
    event ChallengeAnsweredByCheckpoint(
        uint64 indexed slot, uint256 indexed nonce, bytes32 indexed challengeId, uint256 k
    );
    /// @notice Exit (slot, nonce) started from the leaf of checkpoint k alone (startCheckpointExit), right after its
    /// ExitStarted (parentBlock 0, exit block the leaf's txBlock).
    event CheckpointExitStarted(uint64 indexed slot, uint256 indexed nonce, uint256 indexed k);

    /// @notice applyCheckpoint: the leaf's child block is not after the base's (`baseBlock`).
    error BaseNotNewer(uint256 baseBlock, uint256 given);
    /// @notice enforceCheckpoint: the exit is already bound to a leaf at settledThrough >= this one's N (R4).
    error NotNewerThanExit(uint256 checkpointBlock, uint256 settledThrough);
    /// @notice respondChallengeBeforeWithCheckpoint: the claim is the checkpointed transaction itself; only its
    /// direct child after N answers it (respondChallengeBefore).
    error ClaimIsCheckpointed(bytes32 challengeId);
    /// @notice respondChallengeBeforeWithCheckpoint: the claim's block is after the leaf's checkpoint block.
    error ClaimAfterCheckpoint(uint256 claimBlock, uint256 checkpointBlock);
    /// @notice respondChallengeBeforeWithCheckpoint: the exit is inconsistent with the leaf (R14): cancel it with
    /// enforceCheckpoint.
    error InconsistentWithCheckpoint(uint64 slot, uint256 exitBlock, uint256 checkpointBlock);
    /// @notice startExitFromCheckpoint: the exiting transaction's block is not after the checkpoint's.
    error ExitNotAfterCheckpoint(uint256 exitingBlock, uint256 checkpointBlock);

    /// @notice challengeLeafConflict: the two leaves agree.
    error NoConflict(uint256 k, uint256 otherK);
    /// @notice A leaf used as evidence is not of the coin: its block is before the deposit, after its checkpoint's
    /// block, or neither a committed child block nor the deposit block.
    error LeafNotOfCoin(uint64 slot, uint256 txBlock, uint256 depositBlock, uint256 checkpointBlock);
    /// @notice A final leaf was required.
    error LeafNotFinal(uint256 k, uint64 slot, LeafStatus status, uint256 finalAt);
    /// @notice The spend's block is outside the range the call requires: challengeLeafSpent (txBlock, checkpointBlock];
    /// answerLeafHistory, the claim's child, (claimBlock, the leaf's txBlock] (given as the second and third values).
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
    /// @notice challengeLeafHistory: the claim is not before the leaf's transaction block.
    error ClaimNotBeforeLeaf(uint256 claimBlock, uint256 txBlock);
    /// @notice challengeLeafHistory: the coin's applied base (at N0 < N) settles the claim: it is at or before N0 and
    /// is not the base's own transaction.
    error ClaimNotAllowed(uint256 k, uint64 slot, uint256 claimBlock);
    /// @notice dismissLeafHistory: the coin has no applied base at `baseBlock` (0: none) before the checkpoint's
    /// block that settles the challenge's claim (at or before it, and not the base's transaction).
    error ClaimNotSettledByBase(bytes32 challengeId, uint256 baseBlock);
    /// @notice settleLeafChallenge: the challenge can still be answered until `dueAt` (inclusive) and its leaf is
    /// not void.
    error ChallengeNotDue(bytes32 challengeId, uint256 dueAt);

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

    /// @notice With CHALLENGE_BOND (exact), while the leaf is pending and now < finalAt: the owner `claim` names
    /// (claim.newOwner) says it never spent `claim`, a transaction of the coin in its history at `claimBlock`
    /// (included there, or the deposit transaction with an empty proof at the deposit block), with claimBlock <
    /// the leaf's txBlock. If the coin has an applied base (B0, D0) at N0 < N, the claim is after N0 or is (B0, D0).
    /// From periodEnd on, only a claim an answer of this leaf revealed (isClaimRevealed). Opens an InvalidHistory
    /// challenge, answerable until openedAt + RESPONSE_PERIOD (inclusive).
    function challengeLeafHistory(
        LeafRef calldata leaf,
        Transaction calldata claim,
        bytes calldata claimProof,
        uint256 claimBlock
    ) external payable;

    /// @notice Answers an InvalidHistory challenge (anyone, until its due time) with the claim's direct child:
    /// a transaction of the coin with prevBlock == claimBlock, included at `childBlock` in (claimBlock, the leaf's
    /// txBlock], signed (`sig`) by the claim's owner. A reveal: the leaf is not final before now + RESPONSE_PERIOD,
    /// and the child may open an InvalidHistory challenge of this leaf after the period. LeafRevealed carries the
    /// child, its block, signature and proof. The bond: half to the caller, half burned.
    function answerLeafHistory(
        uint256 k,
        uint64 slot,
        bytes32 challengeId,
        Transaction calldata child,
        bytes calldata sig,
        bytes calldata proof,
        uint256 childBlock
    ) external;

    /// @notice Closes the open InvalidHistory challenge of claim (claimBlock, claimDigest) on leaf (k, slot) as
    /// answered (anyone, until its due time) when the coin's applied base (B0, D0) at N0 < N settles it: claimBlock
    /// <= N0 and (claimBlock, claimDigest) != (B0, D0). Not a reveal (R5): finality is not pushed. The bond: half to
    /// the caller, half burned.
    function dismissLeafHistory(uint256 k, uint64 slot, uint256 claimBlock, bytes32 claimDigest) external;

    /// @notice Settles an open challenge of leaf (k, slot) of either kind (anyone): after its due time
    /// (now > openedAt + RESPONSE_PERIOD) the leaf is recorded void (reason Unanswered, evidence challengeId) unless
    /// it already is; on a leaf already void, at any time. Its bond is credited back to the challenger.
    function settleLeafChallenge(uint256 k, uint64 slot, bytes32 challengeId) external;

    /// @notice Makes a final leaf of an existing, not Exited coin its base (R11: deposit block <= txBlock <= N,
    /// txBlock committed or the deposit block) when its N is after the base's (`BaseNotNewer`). The newest final
    /// leaf wins, even over an older base it conflicts with (review F1, docs/CHECKPOINTS.md R10).
    function applyCheckpoint(LeafRef calldata leaf) external;

    /// @notice Checks live exit (slot, nonce) against a final leaf of the coin newer than the exit's binding
    /// (`NotNewerThanExit`, R4). Consistent (exit block B; or parent block B and exit block after N; or parent
    /// block after N): the exit is bound to N. Inconsistent: cancelled as challengeAfter cancels (half its bond to
    /// the caller, half burned, its exit block dead), reason InconsistentWithCheckpoint. Applies the leaf as the
    /// base when newer.
    function enforceCheckpoint(LeafRef calldata leaf, uint256 nonce) external;

    /// @notice Answers open challengeBefore `challengeId` of live exit (slot, nonce) with a final leaf of the coin
    /// the exit is consistent with (R14), when the claim's block is <= N and the claim is not the checkpointed
    /// transaction: closed Answered, the bond to the exitor, no extension; the exit is bound to N if newer.
    function respondChallengeBeforeWithCheckpoint(LeafRef calldata leaf, uint256 nonce, bytes32 challengeId)
        external;

    /// @notice With EXIT_BOND (exact), the owner named by a final leaf's transaction (`checkpointed`, hashing to
    /// txDigest) exits it with the leaf alone: exit block txBlock, no parent (only challengeAfter applies), bound
    /// to N. Applies the leaf as the base when newer.
    function startCheckpointExit(LeafRef calldata leaf, Transaction calldata checkpointed) external payable;

    /// @notice With EXIT_BOND (exact): startExit whose parent (hashing to a final leaf's txDigest, at txBlock) is
    /// proved by the leaf; `exiting` is included at `exitingBlock` > N, spends txBlock, is signed by
    /// parent.newOwner and names the caller. The exit is bound to N and the leaf applied as the base when newer,
    /// atomically (R3).
    function startExitFromCheckpoint(
        LeafRef calldata leaf,
        Transaction calldata parent,
        Transaction calldata exiting,
        bytes calldata exitingSig,
        bytes calldata exitingProof,
        uint256 exitingBlock
    ) external payable;

    /// @notice The coin's base (k, N, txBlock, txDigest); checkpointBlock 0 when none was applied.
    function coinBase(uint64 slot)
        external
        view
        returns (uint256 k, uint256 checkpointBlock, uint256 txBlock, bytes32 txDigest);

    /// @notice The child block up to which exit (slot, nonce)'s coin history is settled by a checkpoint (0: not
    /// bound); challengeAfter and challengeBetween evidence at or below it is refused.
    function exitSettledThrough(uint64 slot, uint256 nonce) external view returns (uint256);

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

    /// @notice Whether claim (claimBlock, claimDigest) was revealed on leaf (k, slot): the child an answerLeafHistory
    /// gave (below the leaf's txBlock), or the receipt of an answered Withheld challenge. After the period, only such
    /// a claim opens an InvalidHistory challenge of the leaf.
    function isClaimRevealed(uint256 k, uint64 slot, uint256 claimBlock, bytes32 claimDigest)
        external
        view
        returns (bool);

    /// @notice Challenge `challengeId` of leaf (k, slot).
    function getLeafChallenge(uint256 k, uint64 slot, bytes32 challengeId)
        external
        view
        returns (LeafChallenge memory);
}
