// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ChildChain} from "./ChildChain.sol";
import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {Transaction} from "../Transaction.sol";

/// @title ExitGame
/// @notice The exit game of PROTOCOL.md §6. Every exit has an id (slot, nonce) and its challenges belong to
/// that exit only. Bonds are credited here and paid out by pull (withdrawBonds, in PlasmaCash).
abstract contract ExitGame is ChildChain {
    // ---------------------------------------------------------------------------------------------------------
    // Starting exits
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function startDepositExit(uint64 slot) external payable {
        _requireBond(EXIT_BOND);
        CoinRecord storage coin = _existingCoin(slot);
        _requireExitable(coin, slot);
        if (msg.sender != coin.depositor) revert NotDepositor(msg.sender, coin.depositor);
        uint256 depositBlock = coin.depositBlock;
        (uint256 nonce, uint40 finalizableAt) = _openExit(coin, slot, depositBlock);
        emit ExitStarted(slot, nonce, msg.sender, 0, depositBlock, finalizableAt);
    }

    /// @inheritdoc IPlasmaCash
    function startExit(
        Transaction calldata parent,
        bytes calldata parentProof,
        uint256 parentBlock,
        Transaction calldata exiting,
        bytes calldata exitingSig,
        bytes calldata exitingProof,
        uint256 exitingBlock
    ) external payable {
        _requireBond(EXIT_BOND);
        // The coin exited is the one both transactions move: there is no separate slot argument to disagree.
        uint64 slot = exiting.slot;
        CoinRecord storage coin = _existingCoin(slot);
        _requireExitable(coin, slot);
        if (parentBlock >= exitingBlock) revert ParentNotBeforeExiting(parentBlock, exitingBlock);
        if (exiting.prevBlock != parentBlock) revert WrongPrevBlock(parentBlock, exiting.prevBlock);
        if (msg.sender != exiting.newOwner) revert NotNewOwner(msg.sender, exiting.newOwner);

        _requireInHistory(coin, slot, parent, parentProof, parentBlock);
        bytes32 exitingDigest = _requireIncluded(coin, slot, exiting, exitingProof, exitingBlock);
        _requireSignedBy(exitingDigest, exitingSig, parent.newOwner);

        (uint256 nonce, uint40 finalizableAt) = _openExit(coin, slot, exitingBlock);
        Exit storage exit_ = _exits[slot][nonce];
        exit_.parentOwner = parent.newOwner;
        // casting to 'uint48' is safe because parentBlock < exitingBlock, itself a uint48
        // forge-lint: disable-next-line(unsafe-typecast)
        exit_.parentBlock = uint48(parentBlock);
        emit ExitStarted(slot, nonce, msg.sender, parentBlock, exitingBlock, finalizableAt);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Challenges that cancel at once
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function challengeAfter(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external
    {
        // The exit fitting the spend is the one whose exit block it spends: at most one is live (O(1)).
        uint64 slot = spend.slot;
        uint256 exitBlock = spend.prevBlock;
        ExitBlock storage record = _exitBlocks[slot][exitBlock];
        uint256 nonce = record.nonce;
        Exit storage exit_ = _exits[slot][nonce];
        // Nonce 0 is never an exit; a dead block's exit is Cancelled.
        if (exit_.status != ExitStatus.Live) revert NoFittingExit(slot);
        if (blockNumber <= exitBlock) revert NotAfterExit(blockNumber, exitBlock);
        // A final checkpoint bound to the exit settled the coin's history up to its block (§10).
        uint256 settled = record.settledThrough;
        if (blockNumber <= settled) revert SettledByCheckpoint(blockNumber, settled);

        CoinRecord storage coin = _coins[slot];
        // The losers of an Exited coin are settled by settleExit alone (half their bond to the winner).
        if (coin.stage != CoinStage.Exiting) revert NoFittingExit(slot);
        bytes32 digest = _requireIncluded(coin, slot, spend, proof, blockNumber);
        _requireSignedBy(digest, sig, exit_.exitor);

        _cancelExit(coin, exit_, slot, nonce, msg.sender);
        emit SpendRevealed(slot, nonce, spend, blockNumber, sig, proof);
        emit ExitCancelled(slot, nonce, msg.sender, CancelReason.SpentAfterExit);
    }

    /// @inheritdoc IPlasmaCash
    function challengeBetween(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external
    {
        uint64 slot = spend.slot;
        uint256 parentBlock = spend.prevBlock;
        // The first live exit, lowest exit block first, whose parent the spend spends and that ends after it.
        uint256 nonce = _headOfExiting(slot);
        while (true) {
            if (nonce == 0) revert NoFittingExit(slot);
            Exit storage candidate = _exits[slot][nonce];
            uint256 candidateBlock = candidate.exitBlock;
            if (candidateBlock > blockNumber && candidate.parentBlock == parentBlock && parentBlock != 0) break;
            nonce = _exitBlocks[slot][candidateBlock].nextExit;
        }
        _challengeBetween(slot, nonce, spend, sig, proof, blockNumber);
    }

    /// @inheritdoc IPlasmaCash
    function challengeBetweenExit(
        uint256 nonce,
        Transaction calldata spend,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) external {
        _challengeBetween(spend.slot, nonce, spend, sig, proof, blockNumber);
    }

    // ---------------------------------------------------------------------------------------------------------
    // challengeBefore and its response
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function challengeBefore(Transaction calldata claim, bytes calldata proof, uint256 blockNumber) external payable {
        _requireBond(CHALLENGE_BOND);
        uint64 slot = claim.slot;
        bytes32 challengeId = _requireInHistory(_coins[slot], slot, claim, proof, blockNumber);
        // The first live exit, lowest exit block first, with a parent after the claim and without this claim yet.
        uint256 nonce = _headOfExiting(slot);
        while (true) {
            if (nonce == 0) revert NoFittingExit(slot);
            Exit storage candidate = _exits[slot][nonce];
            if (
                candidate.parentBlock > blockNumber
                    && _challenges[slot][nonce][challengeId].status == ChallengeStatus.None
            ) break;
            nonce = _exitBlocks[slot][candidate.exitBlock].nextExit;
        }
        _challengeBefore(slot, nonce, challengeId, claim, blockNumber);
    }

    /// @inheritdoc IPlasmaCash
    function challengeBeforeExit(uint256 nonce, Transaction calldata claim, bytes calldata proof, uint256 blockNumber)
        external
        payable
    {
        _requireBond(CHALLENGE_BOND);
        uint64 slot = claim.slot;
        bytes32 challengeId = _requireInHistory(_coins[slot], slot, claim, proof, blockNumber);
        _challengeBefore(slot, nonce, challengeId, claim, blockNumber);
    }

    /// @inheritdoc IPlasmaCash
    function respondChallengeBefore(
        bytes32 challengeId,
        Transaction calldata response,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) external {
        uint64 slot = response.slot;
        // The first live exit, lowest exit block first, that holds this challenge open.
        uint256 nonce = _headOfExiting(slot);
        while (true) {
            if (nonce == 0) revert NoFittingExit(slot);
            if (_challenges[slot][nonce][challengeId].status == ChallengeStatus.Open) break;
            nonce = _exitBlocks[slot][_exits[slot][nonce].exitBlock].nextExit;
        }
        _respondChallengeBefore(slot, nonce, challengeId, response, sig, proof, blockNumber);
    }

    /// @inheritdoc IPlasmaCash
    function respondChallengeBeforeExit(
        uint256 nonce,
        bytes32 challengeId,
        Transaction calldata response,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) external {
        _respondChallengeBefore(response.slot, nonce, challengeId, response, sig, proof, blockNumber);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ending exits
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function finalizeExit(uint64 slot) external {
        CoinRecord storage coin = _coins[slot];
        if (coin.stage != CoinStage.Exiting) revert NoLiveExit(slot);
        uint256 nonce = coin.headExit;
        Exit storage exit_ = _exits[slot][nonce];
        bytes32 oldestOpen = exit_.firstChallenge;
        if (oldestOpen == bytes32(0)) {
            uint256 finalizableAt = exit_.finalizableAt;
            // Periods are days long: the seconds a proposer can shift a timestamp do not matter. Inclusive: at
            // exactly finalizableAt a challenge is accepted too, and the order in the block decides.
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp < finalizableAt) revert ExitNotMatured(slot, finalizableAt);
            // The coin is Exited for the lowest live exit; headExit stays its nonce (withdraw pays its exitor)
            // and every other live exit is cancelled by settleExit, one call each.
            exit_.status = ExitStatus.Finalized;
            coin.stage = CoinStage.Exited;
            _credit(exit_.exitor, EXIT_BOND);
            emit ExitFinalized(slot, nonce, exit_.exitor);
            return;
        }

        // An unanswered challengeBefore wins once the exitor has had a full response period for it. Waiting
        // for finalizableAt instead would let a thief keep its exit alive for ever by answering challenges it
        // opens against itself (each answer extends, and the bond comes back to it as the exitor).
        Challenge storage challenge = _challenges[slot][nonce][oldestOpen];
        uint256 cancellableAt = challenge.openedAt + RESPONSE_PERIOD;
        if (cancellableAt < exit_.maturesAt) cancellableAt = exit_.maturesAt;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < cancellableAt) revert ExitNotMatured(slot, cancellableAt);

        // Its challenger takes the slash and its own bond back at once; the other open challengers take theirs
        // with settleChallenge, so this stays O(1) however many there are.
        address challenger = challenge.challenger;
        _settle(challenge, slot, nonce, oldestOpen);
        _cancelExit(coin, exit_, slot, nonce, challenger);
        // An exit cancelled by an unanswered challenge leaves its block free: its state was never shown spent.
        delete _exitBlocks[slot][exit_.exitBlock];
        emit ExitCancelled(slot, nonce, challenger, CancelReason.UnansweredChallenge);
    }

    /// @inheritdoc IPlasmaCash
    function settleExit(uint64 slot, uint256 nonce) external {
        Exit storage exit_ = _exits[slot][nonce];
        if (exit_.status != ExitStatus.Live) revert ExitNotLive(slot, nonce);
        CoinRecord storage coin = _coins[slot];
        // Exited, or Withdrawn since: the losers stay to be settled either way.
        if (coin.stage < CoinStage.Exited) revert NotLosingExit(slot, nonce);
        address winner = _exits[slot][coin.headExit].exitor;
        _cancelExit(coin, exit_, slot, nonce, winner);
        emit ExitCancelled(slot, nonce, winner, CancelReason.OutlivedByWinner);
    }

    /// @inheritdoc IPlasmaCash
    function settleChallenge(uint64 slot, uint256 nonce, bytes32 challengeId) external {
        if (_exits[slot][nonce].status == ExitStatus.Live) revert ExitStillLive(slot, nonce);
        Challenge storage challenge = _challenges[slot][nonce][challengeId];
        if (challenge.status != ChallengeStatus.Open) revert ChallengeNotOpen(challengeId, challenge.status);
        _settle(challenge, slot, nonce, challengeId);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function getExit(uint64 slot, uint256 nonce) external view returns (Exit memory exit_) {
        exit_ = _exits[slot][nonce];
        ExitBlock storage record = _exitBlocks[slot][exit_.exitBlock];
        // A cancelled exit is in no list: its record's links are stale.
        if (nonce != 0 && record.nonce == nonce && exit_.status != ExitStatus.Cancelled) {
            exit_.nextExit = record.nextExit;
            exit_.previousExit = record.previousExit;
        }
    }

    /// @inheritdoc IPlasmaCash
    function isExitBlockDead(uint64 slot, uint256 exitBlock) external view returns (bool) {
        uint256 nonce = _exitBlocks[slot][exitBlock].nonce;
        return nonce != 0 && _exits[slot][nonce].status == ExitStatus.Cancelled;
    }

    /// @inheritdoc IPlasmaCash
    function liveExitAt(uint64 slot, uint256 exitBlock) external view returns (uint256 nonce) {
        nonce = _exitBlocks[slot][exitBlock].nonce;
        if (_exits[slot][nonce].status != ExitStatus.Live) nonce = 0;
    }

    /// @inheritdoc IPlasmaCash
    function getChallenge(uint64 slot, uint256 nonce, bytes32 challengeId) external view returns (Challenge memory) {
        return _challenges[slot][nonce][challengeId];
    }

    /// @inheritdoc IPlasmaCash
    function bondBalance(address account) external view returns (uint256) {
        return _bondBalances[account];
    }

    /// @inheritdoc IPlasmaCash
    function burnedBonds() external view returns (uint256) {
        return _counters.burnedBonds;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------------------

    /// @dev The head of the live list (lowest exit block) of an Exiting coin, 0 otherwise: the unnamed forms
    /// target only exits of a coin still Exiting (the losers of an Exited coin are reached by nonce).
    function _headOfExiting(uint64 slot) internal view returns (uint256) {
        CoinRecord storage coin = _coins[slot];
        return coin.stage == CoinStage.Exiting ? coin.headExit : 0;
    }

    /// @dev The exit's parent block; a deposit exit has none, so only challengeAfter applies to it.
    function _requireParent(Exit storage exit_, uint64 slot) internal view returns (uint256 parentBlock) {
        parentBlock = exit_.parentBlock;
        if (parentBlock == 0) revert DepositExitHasNoParent(slot);
    }

    /// @dev challengeBetween against exit (slot, nonce): the spend of its parent included strictly between
    /// its parent and exit blocks, signed by the parent's owner. Kills the exit block.
    function _challengeBetween(
        uint64 slot,
        uint256 nonce,
        Transaction calldata spend,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) internal {
        Exit storage exit_ = _requireLive(slot, nonce);
        uint256 parentBlock = _requireParent(exit_, slot);
        uint256 exitBlock = exit_.exitBlock;
        if (blockNumber <= parentBlock || blockNumber >= exitBlock) {
            revert NotBetween(blockNumber, parentBlock, exitBlock);
        }
        if (spend.prevBlock != parentBlock) revert WrongPrevBlock(parentBlock, spend.prevBlock);
        uint256 settled = _exitBlocks[slot][exitBlock].settledThrough;
        if (blockNumber <= settled) revert SettledByCheckpoint(blockNumber, settled);

        CoinRecord storage coin = _coins[slot];
        bytes32 digest = _requireIncluded(coin, slot, spend, proof, blockNumber);
        _requireSignedBy(digest, sig, exit_.parentOwner);

        _cancelExit(coin, exit_, slot, nonce, msg.sender);
        emit SpendRevealed(slot, nonce, spend, blockNumber, sig, proof);
        emit ExitCancelled(slot, nonce, msg.sender, CancelReason.DoubleSpend);
    }

    /// @dev Opens challenge `challengeId` (its claim already checked to be in the coin's history at
    /// `blockNumber`) against exit (slot, nonce).
    function _challengeBefore(
        uint64 slot,
        uint256 nonce,
        bytes32 challengeId,
        Transaction calldata claim,
        uint256 blockNumber
    ) internal {
        Exit storage exit_ = _requireLive(slot, nonce);
        uint256 parentBlock = _requireParent(exit_, slot);
        // No signature is needed: an honest exitor verified every block before its parent, so any claim
        // included there is in its chain and has a child to answer with.
        if (blockNumber >= parentBlock) revert NotBeforeParent(blockNumber, parentBlock);
        mapping(bytes32 => Challenge) storage challenges = _challenges[slot][nonce];
        Challenge storage challenge = challenges[challengeId];
        if (challenge.status != ChallengeStatus.None) revert ChallengeExists(challengeId);

        challenge.challenger = msg.sender;
        // casting to 'uint48' is safe because blockNumber < parentBlock, itself a uint48
        // forge-lint: disable-next-line(unsafe-typecast)
        challenge.claimBlock = uint48(blockNumber);
        challenge.status = ChallengeStatus.Open;
        challenge.openedAt = SafeCast.toUint40(block.timestamp);
        challenge.claimOwner = claim.newOwner;
        _appendChallenge(exit_, challenges, challengeId, challenge);
        uint256 finalizableAt = _extendForResponse(exit_);

        emit ChallengeOpened(slot, nonce, challengeId, msg.sender, claim, blockNumber, finalizableAt);
    }

    /// @dev Answers challenge `challengeId` of exit (slot, nonce) with the direct child of its claim.
    function _respondChallengeBefore(
        uint64 slot,
        uint256 nonce,
        bytes32 challengeId,
        Transaction calldata response,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) internal {
        Exit storage exit_ = _requireLive(slot, nonce);
        mapping(bytes32 => Challenge) storage challenges = _challenges[slot][nonce];
        Challenge storage challenge = challenges[challengeId];
        if (challenge.status != ChallengeStatus.Open) revert ChallengeNotOpen(challengeId, challenge.status);

        // The direct child of the claim: after it, no later than the parent, spending the claim's block.
        uint256 claimBlock = challenge.claimBlock;
        uint256 parentBlock = exit_.parentBlock;
        if (blockNumber <= claimBlock || blockNumber > parentBlock) {
            revert ResponseOutOfRange(blockNumber, claimBlock, parentBlock);
        }
        if (response.prevBlock != claimBlock) revert WrongPrevBlock(claimBlock, response.prevBlock);
        // A claim the exit's checkpoint settled (at or below its block) is answered only by a child after it: the
        // leaf answers every other such claim (respondChallengeBeforeWithCheckpoint), and a child at or below it
        // would be a spend the final leaf says the chain does not hold (§10).
        uint256 settled = _exitBlocks[slot][exit_.exitBlock].settledThrough;
        if (claimBlock <= settled && blockNumber <= settled) revert SettledByCheckpoint(blockNumber, settled);
        bytes32 digest = _requireIncluded(_coins[slot], slot, response, proof, blockNumber);
        _requireSignedBy(digest, sig, challenge.claimOwner);

        challenge.status = ChallengeStatus.Answered;
        _removeChallenge(exit_, challenges, challenge);
        _credit(exit_.exitor, CHALLENGE_BOND);
        // The response may reveal an owner (response.newOwner) who never saw this transfer: it gets a full
        // response period to challenge in turn, however late the response came.
        uint256 finalizableAt = _extendForResponse(exit_);

        emit ChallengeAnswered(slot, nonce, challengeId, response, blockNumber, finalizableAt, sig, proof);
    }

    /// @dev Pays back the bond of a challenge whose exit ended while it was open.
    function _settle(Challenge storage challenge, uint64 slot, uint256 nonce, bytes32 challengeId) internal {
        challenge.status = ChallengeStatus.Settled;
        _credit(challenge.challenger, CHALLENGE_BOND);
        emit ChallengeSettled(slot, nonce, challengeId, challenge.challenger);
    }

    function _extendForResponse(Exit storage exit_) internal returns (uint256 finalizableAt) {
        finalizableAt = exit_.finalizableAt;
        uint256 responseDeadline = block.timestamp + RESPONSE_PERIOD;
        if (responseDeadline > finalizableAt) {
            finalizableAt = responseDeadline;
            exit_.finalizableAt = SafeCast.toUint40(responseDeadline);
        }
    }

    /// @dev Appends to the exit's doubly linked list of open challenges (oldest first): O(1) to add, to
    /// remove when answered, and to find the oldest open one at finalization.
    function _appendChallenge(
        Exit storage exit_,
        mapping(bytes32 => Challenge) storage challenges,
        bytes32 challengeId,
        Challenge storage challenge
    ) internal {
        bytes32 last = exit_.lastChallenge;
        if (last == bytes32(0)) {
            exit_.firstChallenge = challengeId;
        } else {
            challenges[last].next = challengeId;
            challenge.previous = last;
        }
        exit_.lastChallenge = challengeId;
    }
}
