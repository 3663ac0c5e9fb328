// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../interfaces/ICheckpoints.sol";
import {ExitCore} from "./ExitCore.sol";
import {Transaction} from "../Transaction.sol";
import {TransactionLib} from "../libraries/TransactionLib.sol";
import {SparseMerkle} from "../libraries/SparseMerkle.sol";
import {
    LeafRef,
    Checkpoint,
    LeafState,
    LeafChallenge,
    LeafStatus,
    LeafChallengeKind,
    LeafChallengeStatus,
    VoidReason
} from "../Checkpoint.sol";

/// @title CheckpointCore
/// @notice What every part of the CheckpointGame module shares: its immutables, the `delegated` guard and the
/// internal rules of leaves (proof, status, challenges, voiding). The calls live in CheckpointGame and in the
/// abstract parts it inherits (one file per group of calls).
abstract contract CheckpointCore is ExitCore, ICheckpoints {
    /// @notice This module's own address: every call made to it directly reverts (NotDelegated).
    address public immutable SELF;

    constructor(address operator, uint256 exitPeriod, uint256 responsePeriod, uint256 exitBond, uint256 challengeBond)
        ExitCore(operator, exitPeriod, responsePeriod, exitBond, challengeBond)
    {
        SELF = address(this);
    }

    modifier delegated() {
        if (address(this) == SELF) revert NotDelegated();
        _;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Records leaf (k, slot) void for good; its open challenges get their bonds back by settlement.
    function _void(uint256 k, uint64 slot, VoidReason reason, bytes32 evidence) internal {
        LeafState storage state = _leaves[k][slot];
        state.voided = true;
        state.reason = reason;
        emit LeafVoided(k, slot, reason, evidence);
    }

    /// @dev The digest of the coin's deposit transaction (slot, 0, denomination, depositor).
    function _depositDigest(CoinRecord storage coin, uint64 slot) internal view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(TransactionLib.TYPEHASH, slot, uint256(0), coin.denomination, coin.depositor))
        );
    }

    /// @dev `leaf` is proved, Final (so not void), and of the coin (R11): deposit block <= txBlock <= N, txBlock
    /// a committed child block or the deposit block.
    function _requireFinalOfCoin(LeafRef calldata leaf) internal view {
        uint256 k = leaf.k;
        uint64 slot = leaf.slot;
        _requireLeafProved(leaf);
        (LeafStatus status, uint256 finalAt) = _leafStatus(_checkpoints[k], _leaves[k][slot]);
        if (status != LeafStatus.Final) revert LeafNotFinal(k, slot, status, finalAt);
        CoinRecord storage coin = _existingCoin(slot);
        uint256 depositBlock = coin.depositBlock;
        uint256 n = _checkpoints[k].childBlock;
        uint256 txBlock = leaf.txBlock;
        if (
            txBlock < depositBlock || txBlock > n
                || (txBlock != depositBlock && _childBlockRoots[txBlock] == bytes32(0))
        ) revert LeafNotOfCoin(slot, txBlock, depositBlock, n);
    }

    function _existingCheckpoint(uint256 k) internal view returns (Checkpoint storage checkpoint) {
        checkpoint = _checkpoints[k];
        if (checkpoint.root == bytes32(0)) revert UnknownCheckpoint(k);
    }

    /// @dev docs/CHECKPOINTS.md §3, without iterating: Void once recorded or while every open challenge is past
    /// due (a challenge is answerable up to openedAt + RP inclusive, so "past due" is strictly later); Final iff
    /// nothing is open and now ≥ finalAt; Pending otherwise.
    function _leafStatus(Checkpoint storage checkpoint, LeafState storage state)
        internal
        view
        returns (LeafStatus status, uint256 finalAt)
    {
        uint256 latestDue = uint256(state.latestOpenedAt) + RESPONSE_PERIOD;
        finalAt = checkpoint.periodEnd;
        if (state.latestOpenedAt != 0 && latestDue > finalAt) finalAt = latestDue;
        uint256 revealDue = uint256(state.lastReveal) + RESPONSE_PERIOD;
        if (state.lastReveal != 0 && revealDue > finalAt) finalAt = revealDue;
        if (state.voided) return (LeafStatus.Void, finalAt);
        uint256 openCount = state.openCount;
        // forge-lint: disable-next-line(block-timestamp)
        if (openCount != 0 && block.timestamp > latestDue) return (LeafStatus.Void, finalAt);
        // forge-lint: disable-next-line(block-timestamp)
        if (openCount == 0 && block.timestamp >= finalAt) return (LeafStatus.Final, finalAt);
        return (LeafStatus.Pending, finalAt);
    }

    /// @dev Challenges are accepted only while the leaf is pending and strictly before finalAt (R6).
    function _requirePending(uint256 k, uint64 slot) internal view {
        (LeafStatus status, uint256 finalAt) = _leafStatus(_checkpoints[k], _leaves[k][slot]);
        if (status != LeafStatus.Pending) revert LeafNotPending(k, slot, status);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= finalAt) revert ChallengeWindowClosed(k, slot, finalAt);
    }

    function _challengeId(LeafChallengeKind kind, uint256 claimBlock, bytes32 claimDigest)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(uint8(kind), claimBlock, claimDigest));
    }

    /// @dev Reverts unless `leaf` is the leaf of its slot under checkpoint leaf.k's root.
    function _requireLeafProved(LeafRef calldata leaf) internal view {
        bytes32 root = _existingCheckpoint(leaf.k).root;
        bytes32 value = keccak256(abi.encode(leaf.txBlock, leaf.txDigest));
        if (SparseMerkle.computeRoot(value, leaf.slot, leaf.proof) != root) revert LeafNotProved(leaf.k, leaf.slot);
    }

    function _openLeafChallenge(
        uint256 k,
        uint64 slot,
        bytes32 challengeId,
        LeafChallengeKind kind,
        Transaction calldata claim,
        uint256 claimBlock
    ) internal returns (LeafChallenge storage challenge) {
        challenge = _leafChallenges[k][slot][challengeId];
        if (challenge.status != LeafChallengeStatus.None) revert LeafChallengeExists(challengeId);
        uint40 now_ = SafeCast.toUint40(block.timestamp);
        challenge.challenger = msg.sender;
        challenge.claimBlock = SafeCast.toUint48(claimBlock);
        challenge.kind = kind;
        challenge.status = LeafChallengeStatus.Open;
        challenge.openedAt = now_;
        challenge.claimOwner = claim.newOwner;
        LeafState storage state = _leaves[k][slot];
        state.openCount += 1;
        state.latestOpenedAt = now_;
        emit LeafChallengeOpened(
            k, slot, challengeId, kind, msg.sender, claim, claimBlock, block.timestamp + RESPONSE_PERIOD
        );
    }

    /// @dev The open challenge `challengeId` of kind `kind` on leaf (k, slot), still within its response period
    /// (inclusive).
    function _requireAnswerable(uint256 k, uint64 slot, bytes32 challengeId, LeafChallengeKind kind)
        internal
        view
        returns (LeafChallenge storage challenge)
    {
        challenge = _leafChallenges[k][slot][challengeId];
        if (challenge.status != LeafChallengeStatus.Open || challenge.kind != kind) {
            revert LeafChallengeNotOpen(challengeId, uint8(challenge.status));
        }
        if (_leaves[k][slot].voided) revert LeafNotPending(k, slot, LeafStatus.Void);
        uint256 dueAt = uint256(challenge.openedAt) + RESPONSE_PERIOD;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > dueAt) revert AnswerTooLate(challengeId, dueAt);
    }

    /// @dev Closes an answered challenge: a reveal (the leaf is not final before now + RP); the bond half to the
    /// caller, half burned.
    function _closeAnswered(uint256 k, uint64 slot, LeafChallenge storage challenge)
        internal
        returns (uint256 finalNotBefore)
    {
        LeafState storage state = _closeChallenge(k, slot, challenge);
        state.lastReveal = SafeCast.toUint40(block.timestamp);
        (, finalNotBefore) = _leafStatus(_checkpoints[k], state);
    }

    /// @dev Closes an open challenge as Answered without a reveal (dismissLeafHistory; _closeAnswered adds the
    /// reveal): one challenge fewer open, the bond half to the caller, half burned.
    function _closeChallenge(uint256 k, uint64 slot, LeafChallenge storage challenge)
        internal
        returns (LeafState storage state)
    {
        challenge.status = LeafChallengeStatus.Answered;
        state = _leaves[k][slot];
        state.openCount -= 1;
        uint256 reward = CHALLENGE_BOND / 2;
        uint256 burned = CHALLENGE_BOND - reward;
        _credit(msg.sender, reward);
        _counters.burnedBonds += SafeCast.toUint96(burned);
        emit IPlasmaCash.BondBurned(slot, 0, burned);
    }
}
