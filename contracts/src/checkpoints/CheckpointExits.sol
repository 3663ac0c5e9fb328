// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../interfaces/ICheckpoints.sol";
import {CheckpointCore} from "../base/CheckpointCore.sol";
import {Transaction} from "../Transaction.sol";
import {LeafRef, CoinBase} from "../Checkpoint.sol";

/// @title CheckpointExits
/// @notice What a final, non-void leaf does to the exit game (PROTOCOL.md §10, docs/CHECKPOINTS.md §2 calls 12-16
/// and §4): the coin's base, cancelling or binding a live exit, answering an old challengeBefore, and the two exits
/// that start from a leaf. Every leaf used here is proved, Final and of the coin (R11), and the coin is not Exited.
/// @dev Consistency of an exit (parent block p, exit block e; p = 0 for a deposit or checkpoint exit) with a final
/// leaf (B, D) at N, on block numbers only: e == B, or p == B and e > N, or p > N. An exit is bound to the newest
/// leaf it was checked against (its record's settledThrough = N): challengeAfter and challengeBetween evidence at
/// or below it is refused (ExitGame), and no older leaf is tested against it (R4).
abstract contract CheckpointExits is CheckpointCore {
    /// @inheritdoc ICheckpoints
    function applyCheckpoint(LeafRef calldata leaf) external delegated {
        (, uint256 n) = _finalLeafOfLiveCoin(leaf);
        if (!_applyBase(leaf, n)) revert BaseNotNewer(_bases[leaf.slot].checkpointBlock, n);
    }

    /// @inheritdoc ICheckpoints
    function enforceCheckpoint(LeafRef calldata leaf, uint256 nonce) external delegated {
        uint64 slot = leaf.slot;
        IPlasmaCash.Exit storage exit_ = _requireLive(slot, nonce);
        _requireFinalOfCoin(leaf);
        uint256 n = _checkpoints[leaf.k].childBlock;
        ExitBlock storage record = _exitBlocks[slot][exit_.exitBlock];
        uint256 settled = record.settledThrough;
        // R4: a leaf no newer than the exit's binding says nothing the binding did not (final leaves agree).
        if (n <= settled) revert NotNewerThanExit(n, settled);
        if (_consistent(exit_, leaf.txBlock, n)) {
            _bind(record, slot, nonce, leaf.k, n);
        } else {
            // As challengeAfter: half the bond to the caller, half burned, the exit block dead for good.
            _cancelExit(_coins[slot], exit_, slot, nonce, msg.sender);
            emit IPlasmaCash.ExitCancelled(
                slot, nonce, msg.sender, IPlasmaCash.CancelReason.InconsistentWithCheckpoint
            );
        }
        _applyBase(leaf, n);
    }

    /// @inheritdoc ICheckpoints
    function respondChallengeBeforeWithCheckpoint(LeafRef calldata leaf, uint256 nonce, bytes32 challengeId)
        external
        delegated
    {
        uint64 slot = leaf.slot;
        IPlasmaCash.Exit storage exit_ = _requireLive(slot, nonce);
        mapping(bytes32 => IPlasmaCash.Challenge) storage challenges = _challenges[slot][nonce];
        IPlasmaCash.Challenge storage challenge = challenges[challengeId];
        if (challenge.status != IPlasmaCash.ChallengeStatus.Open) {
            revert IPlasmaCash.ChallengeNotOpen(challengeId, challenge.status);
        }
        _requireFinalOfCoin(leaf);
        uint256 n = _checkpoints[leaf.k].childBlock;
        // R14: only an exit the leaf agrees with is answered by it (an inconsistent one is cancelled by
        // enforceCheckpoint instead).
        if (!_consistent(exit_, leaf.txBlock, n)) revert InconsistentWithCheckpoint(slot, exit_.exitBlock, n);
        uint256 claimBlock = challenge.claimBlock;
        if (claimBlock > n) revert ClaimAfterCheckpoint(claimBlock, n);
        // The checkpointed transaction itself is answered only by its direct child after N (ExitGame's hook).
        if (claimBlock == leaf.txBlock && challengeId == leaf.txDigest) revert ClaimIsCheckpointed(challengeId);

        // Closed as respondChallengeBefore closes it, without pushing finalizableAt: the leaf reveals nobody.
        challenge.status = IPlasmaCash.ChallengeStatus.Answered;
        _removeChallenge(exit_, challenges, challenge);
        _credit(exit_.exitor, CHALLENGE_BOND);
        emit ChallengeAnsweredByCheckpoint(slot, nonce, challengeId, leaf.k);
        ExitBlock storage record = _exitBlocks[slot][exit_.exitBlock];
        if (n > record.settledThrough) _bind(record, slot, nonce, leaf.k, n);
        _applyBase(leaf, n);
    }

    /// @inheritdoc ICheckpoints
    function startCheckpointExit(LeafRef calldata leaf, Transaction calldata checkpointed)
        external
        payable
        delegated
    {
        _requireBond(EXIT_BOND);
        (CoinRecord storage coin, uint256 n) = _finalLeafOfLiveCoin(leaf);
        _requireLeafDigest(leaf, checkpointed);
        if (msg.sender != checkpointed.newOwner) revert IPlasmaCash.NotNewOwner(msg.sender, checkpointed.newOwner);
        uint64 slot = leaf.slot;
        uint256 exitBlock = leaf.txBlock;
        // No parent, as a deposit exit: only challengeAfter applies, with evidence after N.
        (uint256 nonce, uint40 finalizableAt) = _openExit(coin, slot, exitBlock);
        emit IPlasmaCash.ExitStarted(slot, nonce, msg.sender, 0, exitBlock, finalizableAt);
        emit CheckpointExitStarted(slot, nonce, leaf.k);
        _bind(_exitBlocks[slot][exitBlock], slot, nonce, leaf.k, n);
        _applyBase(leaf, n);
    }

    /// @inheritdoc ICheckpoints
    function startExitFromCheckpoint(
        LeafRef calldata leaf,
        Transaction calldata parent,
        Transaction calldata exiting,
        bytes calldata exitingSig,
        bytes calldata exitingProof,
        uint256 exitingBlock
    ) external payable delegated {
        _requireBond(EXIT_BOND);
        (CoinRecord storage coin, uint256 n) = _finalLeafOfLiveCoin(leaf);
        // The leaf proves the parent's inclusion at its block B.
        _requireLeafDigest(leaf, parent);
        uint256 parentBlock = leaf.txBlock;
        if (exitingBlock <= n) revert ExitNotAfterCheckpoint(exitingBlock, n);
        if (exiting.prevBlock != parentBlock) revert IPlasmaCash.WrongPrevBlock(parentBlock, exiting.prevBlock);
        if (msg.sender != exiting.newOwner) revert IPlasmaCash.NotNewOwner(msg.sender, exiting.newOwner);
        uint64 slot = leaf.slot;
        bytes32 exitingDigest = _requireIncluded(coin, slot, exiting, exitingProof, exitingBlock);
        _requireSignedBy(exitingDigest, exitingSig, parent.newOwner);

        (uint256 nonce, uint40 finalizableAt) = _openExit(coin, slot, exitingBlock);
        IPlasmaCash.Exit storage exit_ = _exits[slot][nonce];
        exit_.parentOwner = parent.newOwner;
        // casting to 'uint48' is safe because parentBlock <= N, a uint48 child block
        // forge-lint: disable-next-line(unsafe-typecast)
        exit_.parentBlock = uint48(parentBlock);
        emit IPlasmaCash.ExitStarted(slot, nonce, msg.sender, parentBlock, exitingBlock, finalizableAt);
        // R3: bound at start, in the same transaction as the base, so no evidence inside (B, N] reaches it.
        _bind(_exitBlocks[slot][exitingBlock], slot, nonce, leaf.k, n);
        _applyBase(leaf, n);
    }

    /// @inheritdoc ICheckpoints
    function coinBase(uint64 slot)
        external
        view
        delegated
        returns (uint256 k, uint256 checkpointBlock, uint256 txBlock, bytes32 txDigest)
    {
        CoinBase storage base = _bases[slot];
        return (base.k, base.checkpointBlock, base.txBlock, base.txDigest);
    }

    /// @inheritdoc ICheckpoints
    function exitSettledThrough(uint64 slot, uint256 nonce) external view delegated returns (uint256) {
        return _recordOf(slot, nonce).settledThrough;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    /// @dev `leaf` is proved, Final and of the coin, and its coin is not Exited. Returns the coin and N.
    function _finalLeafOfLiveCoin(LeafRef calldata leaf) internal view returns (CoinRecord storage coin, uint256 n) {
        _requireFinalOfCoin(leaf);
        coin = _coins[leaf.slot];
        _requireExitable(coin, leaf.slot);
        n = _checkpoints[leaf.k].childBlock;
    }

    function _requireLeafDigest(LeafRef calldata leaf, Transaction calldata tx_) internal view {
        bytes32 digest = _digest(tx_);
        if (digest != leaf.txDigest) revert DigestMismatch(leaf.txDigest, digest);
    }

    /// @dev docs/CHECKPOINTS.md §4: exit (p, e) is consistent with leaf (B, ·) at N.
    function _consistent(IPlasmaCash.Exit storage exit_, uint256 b, uint256 n) internal view returns (bool) {
        uint256 e = exit_.exitBlock;
        uint256 p = exit_.parentBlock;
        return e == b || (p == b && e > n) || p > n;
    }

    /// @dev Binds exit (slot, nonce) to the leaf of checkpoint k at N (R3).
    function _bind(ExitBlock storage record, uint64 slot, uint256 nonce, uint256 k, uint256 n) internal {
        // casting to 'uint48' is safe because N is a committed child block number (uint48)
        // forge-lint: disable-next-line(unsafe-typecast)
        record.settledThrough = uint48(n);
        emit ExitBoundToCheckpoint(slot, nonce, k, n);
    }

    /// @dev Makes `leaf` (final, of the coin, at N = `n`) the coin's base when it is newer than the current one;
    /// a newer leaf conflicting with the base is refused (R10: the first applied wins). Returns whether it applied.
    function _applyBase(LeafRef calldata leaf, uint256 n) internal returns (bool) {
        uint64 slot = leaf.slot;
        CoinBase storage base = _bases[slot];
        uint256 baseN = base.checkpointBlock;
        if (n <= baseN) return false;
        uint256 b = leaf.txBlock;
        bytes32 d = leaf.txDigest;
        // The newest final leaf wins, even over an older base it conflicts with (review F1): a receiver takes the
        // newest final leaf as its base and never sees older ones, so "first applied wins" let a former owner apply
        // an older conflicting final leaf (one the honest receiver never owned the coin to challenge) and block the
        // receiver's exit. A newer final leaf conflicting with an honest owner's history was pending while that
        // owner watched, who voided it (withheld, spent, history or conflict challenge).
        // casting is safe because k < checkpointCount (a uint32) and b <= n, a uint48 child block
        // forge-lint: disable-next-line(unsafe-typecast)
        _bases[slot] = CoinBase({k: uint32(leaf.k), checkpointBlock: uint48(n), txBlock: uint48(b), txDigest: d});
        emit CheckpointApplied(slot, leaf.k, n, b, d);
        return true;
    }
}
