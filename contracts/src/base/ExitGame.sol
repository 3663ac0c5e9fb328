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
    /// @notice The longest EXIT_PERIOD the constructor accepts (ten years).
    uint256 public constant MAX_EXIT_PERIOD = 10 * 365 days;

    /// @dev The record of one exit block of a coin, one storage word: `nonce` is the exit that holds or held it
    /// (0: the block is free), `nextExit`/`previousExit` its neighbours in the coin's list of live exits ordered
    /// by exit block (meaningful only while that exit is live, or for the winner). The block is dead when its
    /// exit is Cancelled and the record still names it: an exit cancelled by an unanswered challenge frees its
    /// block (finalizeExit deletes the record), one cancelled by challengeAfter or challengeBetween leaves it, so
    /// a cancellation that kills a block writes nothing here. Keeping the links in the word every startExit writes
    /// anyway makes an insertion beside a live exit cost updates of non-zero words only.
    struct ExitBlock {
        uint24 nonce;
        uint24 nextExit;
        uint24 previousExit;
    }

    mapping(uint64 slot => mapping(uint256 nonce => Exit)) internal _exits;
    mapping(uint64 slot => mapping(uint256 nonce => mapping(bytes32 challengeId => Challenge))) internal _challenges;
    mapping(address account => uint256 amount) internal _bondBalances;
    mapping(uint64 slot => mapping(uint256 exitBlock => ExitBlock)) internal _exitBlocks;

    constructor(uint256 exitPeriod, uint256 responsePeriod, uint256 exitBond, uint256 challengeBond) {
        // A slashed bond is split in two equal halves; a zero challenge bond makes griefing free; a response
        // period longer than the exit period would let a challenge outlast every honest exit's schedule.
        if (exitBond < 2 || exitBond % 2 != 0) revert InvalidExitBond(exitBond);
        if (challengeBond == 0) revert InvalidChallengeBond();
        // The upper bound keeps every finalizableAt (now + EXIT_PERIOD) far inside uint40: an exit period near
        // 2^40 seconds would make SafeCast revert in every _openExit.
        if (responsePeriod == 0 || responsePeriod > exitPeriod || exitPeriod > MAX_EXIT_PERIOD) {
            revert InvalidPeriods(exitPeriod, responsePeriod);
        }
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
        uint256 nonce = _exitBlocks[slot][exitBlock].nonce;
        Exit storage exit_ = _exits[slot][nonce];
        // Nonce 0 is never an exit; a dead block's exit is Cancelled.
        if (exit_.status != ExitStatus.Live) revert NoFittingExit(slot);
        if (blockNumber <= exitBlock) revert NotAfterExit(blockNumber, exitBlock);

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

    function _requireBond(uint256 required) internal view {
        if (msg.value != required) revert WrongBond(msg.value, required);
    }

    /// @dev Exits join a Deposited or Exiting coin; none once it has exited.
    function _requireExitable(CoinRecord storage coin, uint64 slot) internal view {
        if (coin.stage >= CoinStage.Exited) revert CoinNotDeposited(slot, CoinState.Exited);
    }

    /// @dev The head of the live list (lowest exit block) of an Exiting coin, 0 otherwise: the unnamed forms
    /// target only exits of a coin still Exiting (the losers of an Exited coin are reached by nonce).
    function _headOfExiting(uint64 slot) internal view returns (uint256) {
        CoinRecord storage coin = _coins[slot];
        return coin.stage == CoinStage.Exiting ? coin.headExit : 0;
    }

    /// @dev The exit block's record of exit (slot, nonce).
    function _recordOf(uint64 slot, uint256 nonce) internal view returns (ExitBlock storage) {
        return _exitBlocks[slot][_exits[slot][nonce].exitBlock];
    }

    /// @dev The exit's parent block; a deposit exit has none, so only challengeAfter applies to it.
    function _requireParent(Exit storage exit_, uint64 slot) internal view returns (uint256 parentBlock) {
        parentBlock = exit_.parentBlock;
        if (parentBlock == 0) revert DepositExitHasNoParent(slot);
    }

    /// @dev The exit (slot, nonce), which must be live on a coin still Exiting: the losers of an Exited coin are
    /// no longer challenged or answered by any form; settleExit alone cancels them, half the bond to the winner.
    function _requireLive(uint64 slot, uint256 nonce) internal view returns (Exit storage exit_) {
        exit_ = _exits[slot][nonce];
        if (exit_.status != ExitStatus.Live || _coins[slot].stage != CoinStage.Exiting) {
            revert ExitNotLive(slot, nonce);
        }
    }

    /// @dev Opens an exit of `coin` with exit block `exitBlock` and links it into the live list; the caller
    /// records its parent and emits ExitStarted. No literal arguments: the Yul optimizer would specialise (copy)
    /// the function per literal.
    function _openExit(CoinRecord storage coin, uint64 slot, uint256 exitBlock)
        internal
        returns (uint256 nonce, uint40 finalizableAt)
    {
        ExitBlock storage record = _exitBlocks[slot][exitBlock];
        // A record naming an exit is a live exit's or a dead block's (a freed block's record is deleted; an Exited
        // coin takes no exit).
        uint24 holder = record.nonce;
        if (holder != 0) {
            if (_exits[slot][holder].status == ExitStatus.Cancelled) revert ExitBlockDead(slot, exitBlock);
            revert ExitBlockTaken(slot, exitBlock, holder);
        }
        uint24 newNonce = ++coin.exitCount;

        // Insert from the low end: walk past the live exits with a lower exit block. Forged exits have higher
        // exit blocks than the honest one (its owner verified every block up to its receipt), so however many
        // an operator stacks, the honest exit's walk stops at once.
        uint24 previous;
        uint24 next = coin.headExit;
        ExitBlock storage previousRecord = record;
        while (next != 0) {
            uint256 nextBlock = _exits[slot][next].exitBlock;
            ExitBlock storage nextRecord = _exitBlocks[slot][nextBlock];
            // Equal is impossible: that block's record would hold a live nonce.
            if (nextBlock > exitBlock) {
                nextRecord.previousExit = newNonce;
                break;
            }
            previous = next;
            previousRecord = nextRecord;
            next = nextRecord.nextExit;
        }
        record.nonce = newNonce;
        record.nextExit = next;
        record.previousExit = previous;
        if (previous == 0) coin.headExit = newNonce;
        else previousRecord.nextExit = newNonce;
        coin.stage = CoinStage.Exiting;

        finalizableAt = SafeCast.toUint40(block.timestamp + EXIT_PERIOD);
        // Field by field: the challenge list words stay untouched (zero) until a challenge arrives.
        Exit storage exit_ = _exits[slot][newNonce];
        exit_.exitor = msg.sender;
        // casting to 'uint48' is safe because it is a committed or deposit block number, all below nextChildBlock
        // forge-lint: disable-next-line(unsafe-typecast)
        exit_.exitBlock = uint48(exitBlock);
        exit_.finalizableAt = finalizableAt;
        exit_.status = ExitStatus.Live;
        exit_.maturesAt = finalizableAt;
        nonce = newNonce;
    }

    /// @dev Cancels a live exit; the exit bond goes half to `beneficiary` and half is burned, so an exitor who
    /// front-runs a challenge of its own exit still loses half. While the coin is Exiting the exit leaves the
    /// live list (the coin is Deposited again when it was the last) and its exit block is dead, as its record
    /// still names it (finalizeExit frees it after an unanswered challenge). An Exited coin's list is frozen.
    /// The caller emits
    /// ExitCancelled with its reason (no literal arguments: the optimizer would copy the function per literal).
    function _cancelExit(CoinRecord storage coin, Exit storage exit_, uint64 slot, uint256 nonce, address beneficiary)
        internal
    {
        exit_.status = ExitStatus.Cancelled;
        if (coin.stage == CoinStage.Exiting) {
            ExitBlock storage record = _exitBlocks[slot][exit_.exitBlock];
            uint24 previous = record.previousExit;
            uint24 next = record.nextExit;
            if (previous == 0) coin.headExit = next;
            else _recordOf(slot, previous).nextExit = next;
            if (next != 0) _recordOf(slot, next).previousExit = previous;
            if (next == 0 && previous == 0) coin.stage = CoinStage.Deposited;
        }
        uint256 reward = EXIT_BOND / 2;
        uint256 burned = EXIT_BOND - reward;
        _credit(beneficiary, reward);
        _counters.burnedBonds += SafeCast.toUint96(burned);
        emit BondBurned(slot, nonce, burned);
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
