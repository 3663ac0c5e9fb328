// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPlasmaCash} from "./interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "./interfaces/ICheckpoints.sol";
import {CheckpointCore} from "./base/CheckpointCore.sol";
import {LeafHistory} from "./checkpoints/LeafHistory.sol";
import {CheckpointExits} from "./checkpoints/CheckpointExits.sol";
import {Transaction} from "./Transaction.sol";
import {SparseMerkle} from "./libraries/SparseMerkle.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {
    LeafRef, Checkpoint, LeafState, LeafChallenge, LeafStatus, LeafChallengeKind, VoidReason
} from "./Checkpoint.sol";

/// @title CheckpointGame
/// @notice The checkpoint calls of PROTOCOL.md §10, run by PlasmaCash's fallback with delegatecall on
/// PlasmaCash's storage (it inherits PlasmaCashStorage first, through ExitCore, as PlasmaCash does). Deployed by
/// PlasmaCash's constructor with the same parameters; never called at its own address. The shared internals are
/// in base/CheckpointCore.sol.
contract CheckpointGame is CheckpointCore, LeafHistory, CheckpointExits {
    constructor(address operator, uint256 exitPeriod, uint256 responsePeriod, uint256 exitBond, uint256 challengeBond)
        CheckpointCore(operator, exitPeriod, responsePeriod, exitBond, challengeBond)
    {}

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
}
