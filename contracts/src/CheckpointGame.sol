// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPlasmaCash} from "./interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "./interfaces/ICheckpoints.sol";
import {ExitCore} from "./base/ExitCore.sol";
import {Transaction} from "./Transaction.sol";
import {TransactionLib} from "./libraries/TransactionLib.sol";
import {SparseMerkle} from "./libraries/SparseMerkle.sol";
import {
    LeafRef,
    Checkpoint,
    LeafState,
    LeafChallenge,
    LeafStatus,
    LeafChallengeKind,
    LeafChallengeStatus,
    VoidReason
} from "./Checkpoint.sol";

/// @title CheckpointGame
/// @notice The checkpoint calls of PROTOCOL.md §10, run by PlasmaCash's fallback with delegatecall on
/// PlasmaCash's storage (it inherits PlasmaCashStorage first, through ExitCore, as PlasmaCash does). Deployed by
/// PlasmaCash's constructor with the same parameters; never called at its own address.
contract CheckpointGame is ExitCore, ICheckpoints {
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
    // Submitting
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICheckpoints
    function submitCheckpoint(uint256 childBlock, bytes32 root) external delegated {
        if (msg.sender != OPERATOR) revert IPlasmaCash.NotOperator(msg.sender);
        if (root == bytes32(0)) revert IPlasmaCash.ZeroRoot();
        if (_childBlockRoots[childBlock] == bytes32(0)) revert IPlasmaCash.BlockNotCommitted(childBlock);
        CheckpointCounters memory counters = _cpCounters;
        if (counters.count != 0) {
            if (childBlock <= counters.lastChildBlock) {
                revert CheckpointBlockNotAfter(childBlock, counters.lastChildBlock);
            }
            uint256 readyAt = uint256(counters.lastSubmittedAt) + RESPONSE_PERIOD;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp < readyAt) revert CheckpointTooSoon(readyAt);
        }
        uint256 k = counters.count;
        uint40 now_ = SafeCast.toUint40(block.timestamp);
        uint40 periodEnd = SafeCast.toUint40(block.timestamp + EXIT_PERIOD);
        // casting to 'uint48' is safe because childBlock is a committed child block, below nextChildBlock (uint48)
        // forge-lint: disable-next-line(unsafe-typecast)
        uint48 n = uint48(childBlock);
        _checkpoints[k] = Checkpoint({root: root, childBlock: n, submittedAt: now_, periodEnd: periodEnd});
        _cpCounters = CheckpointCounters({count: counters.count + 1, lastChildBlock: n, lastSubmittedAt: now_});
        emit CheckpointSubmitted(k, childBlock, root, periodEnd);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Withheld
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICheckpoints
    function challengeLeafWithheld(
        uint256 k,
        uint64 slot,
        Transaction calldata claim,
        bytes calldata claimProof,
        uint256 claimBlock
    ) external payable delegated {
        _requireBond(CHALLENGE_BOND);
        Checkpoint storage checkpoint = _existingCheckpoint(k);
        uint256 periodEnd = checkpoint.periodEnd;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= periodEnd) revert ChallengeWindowClosed(k, slot, periodEnd);
        _requirePending(k, slot);
        bytes32 claimDigest = _requireInHistory(_existingCoin(slot), slot, claim, claimProof, claimBlock);
        bytes32 challengeId = _challengeId(LeafChallengeKind.Withheld, claimBlock, claimDigest);
        _openLeafChallenge(k, slot, challengeId, LeafChallengeKind.Withheld, claim, claimBlock);
    }

    /// @inheritdoc ICheckpoints
    function answerLeafWithheld(
        LeafRef calldata leaf,
        bytes32 challengeId,
        Transaction calldata checkpointed,
        bytes calldata signature,
        bytes calldata inclusionProof
    ) external delegated {
        uint64 slot = leaf.slot;
        uint256 k = leaf.k;
        _requireLeafProved(leaf);
        LeafChallenge storage challenge = _requireAnswerable(k, slot, challengeId, LeafChallengeKind.Withheld);
        bytes32 digest = _digest(checkpointed);
        if (digest != leaf.txDigest) revert DigestMismatch(leaf.txDigest, digest);
        // The checkpointed transaction is in the coin's history at the leaf's block (R8): its deposit
        // transaction at the deposit block, else included there.
        _requireInHistory(_existingCoin(slot), slot, checkpointed, inclusionProof, leaf.txBlock);
        uint256 finalNotBefore = _closeAnswered(k, slot, challenge);
        emit LeafRevealed(
            k,
            slot,
            challengeId,
            LeafChallengeKind.Withheld,
            checkpointed,
            leaf.txBlock,
            signature,
            inclusionProof,
            finalNotBefore
        );
    }

    // ---------------------------------------------------------------------------------------------------------
    // Challenges that void at once
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICheckpoints
    function challengeLeafNotIncluded(LeafRef calldata leaf, bytes32 actualLeaf, bytes calldata actualProof)
        external
        delegated
    {
        uint256 k = leaf.k;
        uint64 slot = leaf.slot;
        _requireLeafProved(leaf);
        _requirePending(k, slot);
        uint256 n = _checkpoints[k].childBlock;
        uint256 txBlock = leaf.txBlock;
        CoinRecord storage coin = _coins[slot];
        uint256 depositBlock = coin.depositBlock;
        bool notIncluded = txBlock > n || coin.stage == CoinStage.None || depositBlock > n || txBlock < depositBlock;
        if (!notIncluded) {
            if (txBlock == depositBlock) {
                notIncluded = leaf.txDigest != _depositDigest(coin, slot);
            } else {
                bytes32 blockRoot = _childBlockRoots[txBlock];
                notIncluded = blockRoot == bytes32(0)
                    || (
                        actualProof.length != 0 && actualLeaf != leaf.txDigest
                            && SparseMerkle.computeRoot(actualLeaf, slot, actualProof) == blockRoot
                    );
            }
        }
        if (!notIncluded) revert LeafIsIncluded(k, slot);
        _void(k, slot, VoidReason.NotIncluded, actualLeaf);
    }

    /// @inheritdoc ICheckpoints
    function challengeLeafConflict(LeafRef calldata leaf, LeafRef calldata other) external delegated {
        uint256 k = leaf.k;
        uint64 slot = leaf.slot;
        uint256 otherK = other.k;
        if (other.slot != slot) revert IPlasmaCash.SlotMismatch(slot, other.slot);
        _requireLeafProved(leaf);
        _requirePending(k, slot);
        _requireFinalOfCoin(other);
        uint256 n = _checkpoints[k].childBlock;
        uint256 otherN = _checkpoints[otherK].childBlock;
        if (otherK == k) revert NoConflict(k, otherK);
        // Ordered by N: (b1, d1) at n1 the earlier, (b2, d2) the later.
        (uint256 b1, bytes32 d1, uint256 n1, uint256 b2, bytes32 d2) = n < otherN
            ? (leaf.txBlock, leaf.txDigest, n, other.txBlock, other.txDigest)
            : (other.txBlock, other.txDigest, otherN, leaf.txBlock, leaf.txDigest);
        if (!(b2 < b1 || (b2 <= n1 && (b1 != b2 || d1 != d2)))) revert NoConflict(k, otherK);
        _void(k, slot, VoidReason.Conflict, keccak256(abi.encode(otherK, other.txBlock, other.txDigest)));
    }

    /// @inheritdoc ICheckpoints
    function challengeLeafSpent(
        LeafRef calldata leaf,
        Transaction calldata checkpointed,
        Transaction calldata spend,
        bytes calldata spendSig,
        bytes calldata spendProof,
        uint256 spendBlock
    ) external delegated {
        uint256 k = leaf.k;
        uint64 slot = leaf.slot;
        _requireLeafProved(leaf);
        _requirePending(k, slot);
        bytes32 checkpointedDigest = _digest(checkpointed);
        if (checkpointedDigest != leaf.txDigest) revert DigestMismatch(leaf.txDigest, checkpointedDigest);
        uint256 txBlock = leaf.txBlock;
        uint256 n = _checkpoints[k].childBlock;
        if (spend.prevBlock != txBlock) revert IPlasmaCash.WrongPrevBlock(txBlock, spend.prevBlock);
        if (spendBlock <= txBlock || spendBlock > n) revert SpendOutOfRange(spendBlock, txBlock, n);
        bytes32 spendDigest = _requireIncluded(_existingCoin(slot), slot, spend, spendProof, spendBlock);
        _requireSignedBy(spendDigest, spendSig, checkpointed.newOwner);
        _void(k, slot, VoidReason.Spent, spendDigest);
    }

    /// @inheritdoc ICheckpoints
    function challengeLeafSpentByExit(LeafRef calldata leaf, uint256 nonce) external delegated {
        uint256 k = leaf.k;
        uint64 slot = leaf.slot;
        _requireLeafProved(leaf);
        _requirePending(k, slot);
        IPlasmaCash.Exit storage exit_ = _exits[slot][nonce];
        uint256 txBlock = leaf.txBlock;
        uint256 exitBlock = exit_.exitBlock;
        if (
            exit_.status == IPlasmaCash.ExitStatus.None || exit_.parentBlock != txBlock || exitBlock <= txBlock
                || exitBlock > _checkpoints[k].childBlock
        ) revert NotASpend(slot, nonce);
        _void(k, slot, VoidReason.SpentByExit, bytes32(nonce));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc ICheckpoints
    function leafStatus(uint256 k, uint64 slot) external view delegated returns (LeafStatus status, uint256 finalAt) {
        return _leafStatus(_existingCheckpoint(k), _leaves[k][slot]);
    }

    /// @inheritdoc ICheckpoints
    function checkpointCount() external view delegated returns (uint256) {
        return _cpCounters.count;
    }

    /// @inheritdoc ICheckpoints
    function getCheckpoint(uint256 k) external view delegated returns (Checkpoint memory) {
        return _checkpoints[k];
    }

    /// @inheritdoc ICheckpoints
    function getLeafState(uint256 k, uint64 slot) external view delegated returns (LeafState memory) {
        return _leaves[k][slot];
    }

    /// @inheritdoc ICheckpoints
    function getLeafChallenge(uint256 k, uint64 slot, bytes32 challengeId)
        external
        view
        delegated
        returns (LeafChallenge memory)
    {
        return _leafChallenges[k][slot][challengeId];
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
    ) internal {
        LeafChallenge storage challenge = _leafChallenges[k][slot][challengeId];
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
        challenge.status = LeafChallengeStatus.Answered;
        LeafState storage state = _leaves[k][slot];
        state.openCount -= 1;
        state.lastReveal = SafeCast.toUint40(block.timestamp);
        uint256 reward = CHALLENGE_BOND / 2;
        uint256 burned = CHALLENGE_BOND - reward;
        _credit(msg.sender, reward);
        _counters.burnedBonds += SafeCast.toUint96(burned);
        emit IPlasmaCash.BondBurned(slot, 0, burned);
        (, finalNotBefore) = _leafStatus(_checkpoints[k], state);
    }
}
