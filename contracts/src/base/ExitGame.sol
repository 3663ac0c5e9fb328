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
    uint256 public immutable EXIT_PERIOD;
    uint256 public immutable RESPONSE_PERIOD;
    uint256 public immutable EXIT_BOND;
    uint256 public immutable CHALLENGE_BOND;

    mapping(uint64 slot => mapping(uint256 nonce => Exit)) internal _exits;
    mapping(uint64 slot => mapping(uint256 nonce => mapping(bytes32 challengeId => Challenge))) internal _challenges;
    mapping(address account => uint256 amount) internal _bondBalances;

    constructor(uint256 exitPeriod, uint256 responsePeriod, uint256 exitBond, uint256 challengeBond) {
        EXIT_PERIOD = exitPeriod;
        RESPONSE_PERIOD = responsePeriod;
        EXIT_BOND = exitBond;
        CHALLENGE_BOND = challengeBond;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Starting exits
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function startDepositExit(uint64 slot) external payable {
        _requireBond(EXIT_BOND);
        Coin storage coin = _existingCoin(slot);
        _requireExitable(coin, slot);
        if (msg.sender != coin.depositor) revert NotDepositor(msg.sender, coin.depositor);
        _openExit(coin, slot, 0, address(0), coin.depositBlock);
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
        Coin storage coin = _existingCoin(slot);
        _requireExitable(coin, slot);
        if (parentBlock >= exitingBlock) revert ParentNotBeforeExiting(parentBlock, exitingBlock);
        if (exiting.prevBlock != parentBlock) revert WrongPrevBlock(parentBlock, exiting.prevBlock);
        if (msg.sender != exiting.newOwner) revert NotNewOwner(msg.sender, exiting.newOwner);

        _requireInHistory(coin, slot, parent, parentProof, parentBlock);
        bytes32 exitingDigest = _requireIncluded(coin, slot, exiting, exitingProof, exitingBlock);
        _requireSignedBy(exitingDigest, exitingSig, parent.newOwner);

        _openExit(coin, slot, parentBlock, parent.newOwner, exitingBlock);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Challenges that cancel at once
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function challengeAfter(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external
    {
        uint64 slot = spend.slot;
        (Coin storage coin, Exit storage exit_, uint256 nonce) = _liveExit(slot);
        uint256 exitBlock = exit_.exitBlock;
        if (blockNumber <= exitBlock) revert NotAfterExit(blockNumber, exitBlock);
        if (spend.prevBlock != exitBlock) revert WrongPrevBlock(exitBlock, spend.prevBlock);

        bytes32 digest = _requireIncluded(coin, slot, spend, proof, blockNumber);
        _requireSignedBy(digest, sig, exit_.exitor);

        _cancelExit(coin, exit_, slot, nonce, msg.sender, CancelReason.SpentAfterExit);
    }

    /// @inheritdoc IPlasmaCash
    function challengeBetween(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external
    {
        uint64 slot = spend.slot;
        (Coin storage coin, Exit storage exit_, uint256 nonce) = _liveExit(slot);
        uint256 parentBlock = _requireParent(exit_, slot);
        uint256 exitBlock = exit_.exitBlock;
        if (blockNumber <= parentBlock || blockNumber >= exitBlock) {
            revert NotBetween(blockNumber, parentBlock, exitBlock);
        }
        if (spend.prevBlock != parentBlock) revert WrongPrevBlock(parentBlock, spend.prevBlock);

        bytes32 digest = _requireIncluded(coin, slot, spend, proof, blockNumber);
        _requireSignedBy(digest, sig, exit_.parentOwner);

        _cancelExit(coin, exit_, slot, nonce, msg.sender, CancelReason.DoubleSpend);
    }

    // ---------------------------------------------------------------------------------------------------------
    // challengeBefore and its response
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function challengeBefore(Transaction calldata claim, bytes calldata proof, uint256 blockNumber) external payable {
        _requireBond(CHALLENGE_BOND);
        uint64 slot = claim.slot;
        (Coin storage coin, Exit storage exit_, uint256 nonce) = _liveExit(slot);
        uint256 parentBlock = _requireParent(exit_, slot);
        if (blockNumber >= parentBlock) revert NotBeforeParent(blockNumber, parentBlock);

        // No signature is needed: an honest exitor verified every block before its parent, so any claim
        // included there is in its chain and has a child to answer with.
        bytes32 challengeId = _requireInHistory(coin, slot, claim, proof, blockNumber);
        Challenge storage challenge = _challenges[slot][nonce][challengeId];
        if (challenge.status != ChallengeStatus.None) revert ChallengeExists(challengeId);

        challenge.challenger = msg.sender;
        // casting to 'uint48' is safe because blockNumber < parentBlock, itself a uint48
        // forge-lint: disable-next-line(unsafe-typecast)
        challenge.claimBlock = uint48(blockNumber);
        challenge.status = ChallengeStatus.Open;
        challenge.openedAt = SafeCast.toUint40(block.timestamp);
        challenge.claimOwner = claim.newOwner;
        _appendChallenge(exit_, _challenges[slot][nonce], challengeId, challenge);
        uint256 finalizableAt = _extendForResponse(exit_);

        emit ChallengeOpened(slot, nonce, challengeId, msg.sender, claim, blockNumber, finalizableAt);
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
        (Coin storage coin, Exit storage exit_, uint256 nonce) = _liveExit(slot);
        Challenge storage challenge = _challenges[slot][nonce][challengeId];
        if (challenge.status != ChallengeStatus.Open) revert ChallengeNotOpen(challengeId, challenge.status);

        // The direct child of the claim: after it, no later than the parent, spending the claim's block.
        uint256 claimBlock = challenge.claimBlock;
        uint256 parentBlock = exit_.parentBlock;
        if (blockNumber <= claimBlock || blockNumber > parentBlock) {
            revert ResponseOutOfRange(blockNumber, claimBlock, parentBlock);
        }
        if (response.prevBlock != claimBlock) revert WrongPrevBlock(claimBlock, response.prevBlock);
        bytes32 digest = _requireIncluded(coin, slot, response, proof, blockNumber);
        _requireSignedBy(digest, sig, challenge.claimOwner);

        challenge.status = ChallengeStatus.Answered;
        _removeChallenge(exit_, _challenges[slot][nonce], challenge);
        _credit(exit_.exitor, CHALLENGE_BOND);
        // The response may reveal an owner (response.newOwner) who never saw this transfer: it gets a full
        // response period to challenge in turn, however late the response came.
        uint256 finalizableAt = _extendForResponse(exit_);

        emit ChallengeAnswered(slot, nonce, challengeId, response, blockNumber, finalizableAt, sig, proof);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ending exits
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function finalizeExit(uint64 slot) external {
        (Coin storage coin, Exit storage exit_, uint256 nonce) = _liveExit(slot);
        bytes32 oldestOpen = exit_.firstChallenge;
        if (oldestOpen == bytes32(0)) {
            uint256 finalizableAt = exit_.finalizableAt;
            // Periods are days long: the seconds a proposer can shift a timestamp do not matter.
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp < finalizableAt) revert ExitNotMatured(slot, finalizableAt);
            exit_.status = ExitStatus.Finalized;
            coin.state = CoinState.Exited;
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
        _cancelExit(coin, exit_, slot, nonce, challenger, CancelReason.UnansweredChallenge);
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
    function getExit(uint64 slot, uint256 nonce) external view returns (Exit memory) {
        return _exits[slot][nonce];
    }

    /// @notice The live exit of `slot`, or the last one when none is live (nonce 0 and an empty Exit if none ever).
    function currentExit(uint64 slot) external view returns (uint256 nonce, Exit memory exit_) {
        nonce = _coins[slot].exitCount;
        exit_ = _exits[slot][nonce];
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

    function _requireBond(uint256 required) internal view {
        if (msg.value != required) revert WrongBond(msg.value, required);
    }

    /// @dev One live exit per coin, and none once it has exited.
    function _requireExitable(Coin storage coin, uint64 slot) internal view {
        if (coin.state != CoinState.Deposited) revert CoinNotDeposited(slot, coin.state);
    }

    /// @dev The live exit of `slot` with its coin and nonce; reverts when there is none.
    function _liveExit(uint64 slot) internal view returns (Coin storage coin, Exit storage exit_, uint256 nonce) {
        coin = _coins[slot];
        nonce = coin.exitCount;
        exit_ = _exits[slot][nonce];
        if (exit_.status != ExitStatus.Live) revert NoLiveExit(slot);
    }

    /// @dev The exit's parent block; a deposit exit has none, so only challengeAfter applies to it.
    function _requireParent(Exit storage exit_, uint64 slot) internal view returns (uint256 parentBlock) {
        parentBlock = exit_.parentBlock;
        if (parentBlock == 0) revert DepositExitHasNoParent(slot);
    }

    function _openExit(Coin storage coin, uint64 slot, uint256 parentBlock, address parentOwner, uint256 exitBlock)
        internal
    {
        uint256 nonce = ++coin.exitCount;
        coin.state = CoinState.Exiting;
        uint40 finalizableAt = SafeCast.toUint40(block.timestamp + EXIT_PERIOD);

        // Field by field: the challenge list words stay untouched (zero) until a challenge arrives.
        Exit storage exit_ = _exits[slot][nonce];
        exit_.exitor = msg.sender;
        // casting to 'uint48' is safe because it is a committed or deposit block number, all below nextChildBlock
        // forge-lint: disable-next-line(unsafe-typecast)
        exit_.exitBlock = uint48(exitBlock);
        exit_.finalizableAt = finalizableAt;
        exit_.status = ExitStatus.Live;
        exit_.maturesAt = finalizableAt;
        if (parentOwner != address(0)) {
            exit_.parentOwner = parentOwner;
            // casting to 'uint48' is safe because parentBlock < exitBlock, itself a uint48
            // forge-lint: disable-next-line(unsafe-typecast)
            exit_.parentBlock = uint48(parentBlock);
        }
        emit ExitStarted(slot, nonce, msg.sender, parentBlock, exitBlock, finalizableAt);
    }

    /// @dev Cancels a live exit: the coin can be exited again, the exit bond goes half to `challenger` and
    /// half is burned, so an exitor who front-runs a challenge of its own exit still loses half.
    function _cancelExit(
        Coin storage coin,
        Exit storage exit_,
        uint64 slot,
        uint256 nonce,
        address challenger,
        CancelReason reason
    ) internal {
        exit_.status = ExitStatus.Cancelled;
        coin.state = CoinState.Deposited;
        uint256 reward = EXIT_BOND / 2;
        uint256 burned = EXIT_BOND - reward;
        _credit(challenger, reward);
        _counters.burnedBonds += SafeCast.toUint96(burned);
        emit BondBurned(slot, nonce, burned);
        emit ExitCancelled(slot, nonce, challenger, reason);
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

    function _credit(address account, uint256 amount) internal {
        if (amount == 0) return;
        _bondBalances[account] += amount;
        emit BondCredited(account, amount);
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

    function _removeChallenge(
        Exit storage exit_,
        mapping(bytes32 => Challenge) storage challenges,
        Challenge storage challenge
    ) internal {
        bytes32 previous = challenge.previous;
        bytes32 next = challenge.next;
        if (previous == bytes32(0)) exit_.firstChallenge = next;
        else challenges[previous].next = next;
        if (next == bytes32(0)) exit_.lastChallenge = previous;
        else challenges[next].previous = previous;
        delete challenge.previous;
        delete challenge.next;
    }
}
