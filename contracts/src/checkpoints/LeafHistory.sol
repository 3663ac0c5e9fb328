// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../interfaces/ICheckpoints.sol";
import {CheckpointCore} from "../base/CheckpointCore.sol";
import {Transaction} from "../Transaction.sol";
import {
    LeafRef,
    CoinBase,
    LeafState,
    LeafChallenge,
    LeafChallengeKind,
    LeafChallengeStatus,
    VoidReason
} from "../Checkpoint.sol";

/// @title LeafHistory
/// @notice The invalid-history challenge of a leaf and its answers (PROTOCOL.md §10, docs/CHECKPOINTS.md §2 calls
/// 8–11): challengeLeafHistory, answerLeafHistory, dismissLeafHistory, and settleLeafChallenge, which ends an
/// unanswered challenge of either kind (Withheld, InvalidHistory) and returns the bonds of challenges left open on a
/// void leaf. Part of the CheckpointGame module (run by delegatecall on PlasmaCash's storage).
/// @dev Revealed claims: an InvalidHistory answer marks its child in `_revealed`. The receipt named by an answered
/// Withheld challenge needs no mark: that challenge's own record (id = its kind, claim block and digest; Answered
/// for good) is the mark, read by `_isRevealed`. The Withheld challenge stores no claim digest, so marking it in
/// answerLeafWithheld would need a third word or a new argument; reading the record costs nothing there.
abstract contract LeafHistory is CheckpointCore {
    /// @inheritdoc ICheckpoints
    function challengeLeafHistory(
        LeafRef calldata leaf,
        Transaction calldata claim,
        bytes calldata claimProof,
        uint256 claimBlock
    ) external payable delegated {
        _requireBond(CHALLENGE_BOND);
        uint256 k = leaf.k;
        uint64 slot = leaf.slot;
        _requireLeafProved(leaf);
        _requirePending(k, slot);
        bytes32 claimDigest = _requireInHistory(_existingCoin(slot), slot, claim, claimProof, claimBlock);
        uint256 txBlock = leaf.txBlock;
        if (claimBlock >= txBlock) revert ClaimNotBeforeLeaf(claimBlock, txBlock);
        // A base (B0, D0) at N0 < N settles the coin's history up to N0: only claims after N0, or the base's own
        // transaction, are open (R5: the applied base, since the contract knows no other).
        CoinBase storage base = _bases[slot];
        uint256 baseBlock = base.checkpointBlock;
        if (
            baseBlock != 0 && baseBlock < _checkpoints[k].childBlock && claimBlock <= baseBlock
                && (claimBlock != base.txBlock || claimDigest != base.txDigest)
        ) revert ClaimNotAllowed(k, slot, claimBlock);
        // After the period, only a claim an answer of this leaf revealed.
        uint256 periodEnd = _checkpoints[k].periodEnd;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= periodEnd && !_isRevealed(k, slot, claimBlock, claimDigest)) {
            revert ChallengeWindowClosed(k, slot, periodEnd);
        }
        bytes32 challengeId = _challengeId(LeafChallengeKind.InvalidHistory, claimBlock, claimDigest);
        _openLeafChallenge(k, slot, challengeId, LeafChallengeKind.InvalidHistory, claim, claimBlock).leafTxBlock =
            SafeCast.toUint48(txBlock);
    }

    /// @inheritdoc ICheckpoints
    function answerLeafHistory(
        uint256 k,
        uint64 slot,
        bytes32 challengeId,
        Transaction calldata child,
        bytes calldata sig,
        bytes calldata proof,
        uint256 childBlock
    ) external delegated {
        LeafChallenge storage challenge = _requireAnswerable(k, slot, challengeId, LeafChallengeKind.InvalidHistory);
        uint256 claimBlock = challenge.claimBlock;
        uint256 txBlock = challenge.leafTxBlock;
        if (child.prevBlock != claimBlock) revert IPlasmaCash.WrongPrevBlock(claimBlock, child.prevBlock);
        if (childBlock <= claimBlock || childBlock > txBlock) revert SpendOutOfRange(childBlock, claimBlock, txBlock);
        bytes32 digest = _requireIncluded(_coins[slot], slot, child, proof, childBlock);
        _requireSignedBy(digest, sig, challenge.claimOwner);
        uint256 finalNotBefore = _closeAnswered(k, slot, challenge);
        // A child at txBlock can never be a claim of this leaf (claims are before txBlock): no mark.
        if (childBlock < txBlock) _revealed[k][slot][keccak256(abi.encode(childBlock, digest))] = true;
        emit LeafRevealed(
            k, slot, challengeId, LeafChallengeKind.InvalidHistory, child, childBlock, sig, proof, finalNotBefore
        );
    }

    /// @inheritdoc ICheckpoints
    function dismissLeafHistory(uint256 k, uint64 slot, uint256 claimBlock, bytes32 claimDigest)
        external
        delegated
    {
        bytes32 challengeId = _challengeId(LeafChallengeKind.InvalidHistory, claimBlock, claimDigest);
        LeafChallenge storage challenge = _requireAnswerable(k, slot, challengeId, LeafChallengeKind.InvalidHistory);
        CoinBase storage base = _bases[slot];
        uint256 baseBlock = base.checkpointBlock;
        if (
            baseBlock == 0 || baseBlock >= _checkpoints[k].childBlock || claimBlock > baseBlock
                || (claimBlock == base.txBlock && claimDigest == base.txDigest)
        ) revert ClaimNotSettledByBase(challengeId, baseBlock);
        // Not a reveal (R5): nothing was shown that an owner could act on.
        _closeChallenge(k, slot, challenge);
        emit LeafChallengeDismissed(k, slot, challengeId, base.k);
    }

    /// @inheritdoc ICheckpoints
    function settleLeafChallenge(uint256 k, uint64 slot, bytes32 challengeId) external delegated {
        LeafChallenge storage challenge = _leafChallenges[k][slot][challengeId];
        LeafChallengeStatus status = challenge.status;
        if (status != LeafChallengeStatus.Open) revert LeafChallengeNotOpen(challengeId, uint8(status));
        LeafState storage state = _leaves[k][slot];
        if (!state.voided) {
            uint256 dueAt = uint256(challenge.openedAt) + RESPONSE_PERIOD;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp <= dueAt) revert ChallengeNotDue(challengeId, dueAt);
            _void(k, slot, VoidReason.Unanswered, challengeId);
        }
        challenge.status = LeafChallengeStatus.Settled;
        state.openCount -= 1;
        address challenger = challenge.challenger;
        _credit(challenger, CHALLENGE_BOND);
        emit LeafChallengeSettled(k, slot, challengeId, challenger);
    }

    /// @inheritdoc ICheckpoints
    function isClaimRevealed(uint256 k, uint64 slot, uint256 claimBlock, bytes32 claimDigest)
        external
        view
        delegated
        returns (bool)
    {
        return _isRevealed(k, slot, claimBlock, claimDigest);
    }

    /// @dev A claim an InvalidHistory answer of leaf (k, slot) revealed, or the receipt named by an answered
    /// Withheld challenge of it (PROTOCOL.md §10).
    function _isRevealed(uint256 k, uint64 slot, uint256 claimBlock, bytes32 claimDigest)
        internal
        view
        returns (bool)
    {
        return _revealed[k][slot][keccak256(abi.encode(claimBlock, claimDigest))]
            || _leafChallenges[k][slot][_challengeId(LeafChallengeKind.Withheld, claimBlock, claimDigest)].status
                == LeafChallengeStatus.Answered;
    }
}
