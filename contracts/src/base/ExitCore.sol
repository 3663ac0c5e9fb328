// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Transaction} from "../Transaction.sol";
import {TransactionLib} from "../libraries/TransactionLib.sol";
import {SparseMerkle} from "../libraries/SparseMerkle.sol";
import {Signatures} from "../libraries/Signatures.sol";
import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {PlasmaCashStorage} from "./PlasmaCashStorage.sol";

/// @title ExitCore
/// @notice The parameters and the internal rules shared by PlasmaCash (ChildChain, ExitGame) and by modules run
/// on its storage: inclusion and history checks, signatures, opening and cancelling exits, crediting bonds. No
/// external function: a contract pays only for the internals it uses.
abstract contract ExitCore is PlasmaCashStorage {
    uint48 public constant CHILD_BLOCK_INTERVAL = 1000;

    address public immutable OPERATOR;
    uint256 public immutable EXIT_PERIOD;
    uint256 public immutable RESPONSE_PERIOD;
    uint256 public immutable EXIT_BOND;
    uint256 public immutable CHALLENGE_BOND;
    /// @notice The longest EXIT_PERIOD the constructor accepts (ten years).
    uint256 public constant MAX_EXIT_PERIOD = 10 * 365 days;

    constructor(address operator, uint256 exitPeriod, uint256 responsePeriod, uint256 exitBond, uint256 challengeBond) {
        OPERATOR = operator;
        // A slashed bond is split in two equal halves; a zero challenge bond makes griefing free; a response
        // period longer than the exit period would let a challenge outlast every honest exit's schedule.
        if (exitBond < 2 || exitBond % 2 != 0) revert IPlasmaCash.InvalidExitBond(exitBond);
        if (challengeBond == 0) revert IPlasmaCash.InvalidChallengeBond();
        // The upper bound keeps every finalizableAt (now + EXIT_PERIOD) far inside uint40: an exit period near
        // 2^40 seconds would make SafeCast revert in every _openExit.
        if (responsePeriod == 0 || responsePeriod > exitPeriod || exitPeriod > MAX_EXIT_PERIOD) {
            revert IPlasmaCash.InvalidPeriods(exitPeriod, responsePeriod);
        }
        EXIT_PERIOD = exitPeriod;
        RESPONSE_PERIOD = responsePeriod;
        EXIT_BOND = exitBond;
        CHALLENGE_BOND = challengeBond;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Coins and transactions in a coin's history
    // ---------------------------------------------------------------------------------------------------------

    /// @dev The coin, which must exist.
    function _existingCoin(uint64 slot) internal view returns (CoinRecord storage coin) {
        coin = _coins[slot];
        if (coin.stage == CoinStage.None) revert IPlasmaCash.UnknownCoin(slot);
    }

    function _digest(Transaction calldata tx_) internal view returns (bytes32) {
        return _hashTypedDataV4(TransactionLib.structHash(tx_));
    }

    /// @dev Reverts unless `tx_` is a transfer of `coin` (its slot and denomination) included in committed
    /// child block `blockNumber`. Returns its digest.
    function _requireIncluded(
        CoinRecord storage coin,
        uint64 slot,
        Transaction calldata tx_,
        bytes calldata proof,
        uint256 blockNumber
    ) internal view returns (bytes32 digest) {
        _requireOfCoin(coin, slot, tx_);
        bytes32 root = _childBlockRoots[blockNumber];
        if (root == bytes32(0)) revert IPlasmaCash.BlockNotCommitted(blockNumber);
        digest = _digest(tx_);
        if (SparseMerkle.computeRoot(digest, slot, proof) != root) revert IPlasmaCash.NotIncluded(slot, blockNumber);
    }

    /// @dev Reverts unless `tx_` is in `coin`'s history at `blockNumber`: the deposit transaction (empty proof)
    /// when `blockNumber` is the deposit block, otherwise included in a child block after the deposit. A
    /// transaction the operator put in a block before the coin existed is in no honest history. Returns its digest.
    function _requireInHistory(
        CoinRecord storage coin,
        uint64 slot,
        Transaction calldata tx_,
        bytes calldata proof,
        uint256 blockNumber
    ) internal view returns (bytes32 digest) {
        uint256 depositBlock = coin.depositBlock;
        if (blockNumber == depositBlock) {
            if (proof.length != 0 || !TransactionLib.isDepositOf(tx_, slot, coin.denomination, coin.depositor)) {
                revert IPlasmaCash.NotDepositTransaction(slot, depositBlock);
            }
            return _digest(tx_);
        }
        if (blockNumber < depositBlock) revert IPlasmaCash.BeforeDeposit(blockNumber, depositBlock);
        return _requireIncluded(coin, slot, tx_, proof, blockNumber);
    }

    /// @dev Reverts unless `tx_` moves coin `slot` with the coin's denomination.
    function _requireOfCoin(CoinRecord storage coin, uint64 slot, Transaction calldata tx_) internal view {
        if (tx_.slot != slot) revert IPlasmaCash.SlotMismatch(slot, tx_.slot);
        uint256 denomination = coin.denomination;
        if (tx_.denomination != denomination) {
            revert IPlasmaCash.DenominationMismatch(slot, denomination, tx_.denomination);
        }
    }

    /// @dev Reverts unless `signature` over `digest` is `expected`'s.
    function _requireSignedBy(bytes32 digest, bytes calldata signature, address expected) internal pure {
        address signer = Signatures.recover(digest, signature);
        if (signer != expected) revert IPlasmaCash.WrongSigner(expected, signer);
    }

    /// @dev The CoinState a stage shows: a Withdrawn coin is Exited.
    function _publicState(CoinStage stage) internal pure returns (IPlasmaCash.CoinState) {
        return stage == CoinStage.Withdrawn ? IPlasmaCash.CoinState.Exited : IPlasmaCash.CoinState(uint8(stage));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Exits
    // ---------------------------------------------------------------------------------------------------------

    function _requireBond(uint256 required) internal view {
        if (msg.value != required) revert IPlasmaCash.WrongBond(msg.value, required);
    }

    /// @dev Exits join a Deposited or Exiting coin; none once it has exited.
    function _requireExitable(CoinRecord storage coin, uint64 slot) internal view {
        if (coin.stage >= CoinStage.Exited) revert IPlasmaCash.CoinNotDeposited(slot, IPlasmaCash.CoinState.Exited);
    }

    /// @dev The exit block's record of exit (slot, nonce).
    function _recordOf(uint64 slot, uint256 nonce) internal view returns (ExitBlock storage) {
        return _exitBlocks[slot][_exits[slot][nonce].exitBlock];
    }

    /// @dev The exit (slot, nonce), which must be live on a coin still Exiting: the losers of an Exited coin are
    /// no longer challenged or answered by any form; settleExit alone cancels them, half the bond to the winner.
    function _requireLive(uint64 slot, uint256 nonce) internal view returns (IPlasmaCash.Exit storage exit_) {
        exit_ = _exits[slot][nonce];
        if (exit_.status != IPlasmaCash.ExitStatus.Live || _coins[slot].stage != CoinStage.Exiting) {
            revert IPlasmaCash.ExitNotLive(slot, nonce);
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
            if (_exits[slot][holder].status == IPlasmaCash.ExitStatus.Cancelled) {
                revert IPlasmaCash.ExitBlockDead(slot, exitBlock);
            }
            revert IPlasmaCash.ExitBlockTaken(slot, exitBlock, holder);
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
        // The record is free here, so its whole word is zero (never written, or deleted by finalizeExit): write
        // it whole, settledThrough 0 (a checkpoint call binds it afterwards), instead of merging three fields
        // into the word read above, which costs ~50 gas of masking on every startExit.
        assembly ("memory-safe") {
            sstore(record.slot, or(newNonce, or(shl(24, next), shl(48, previous))))
        }
        if (previous == 0) coin.headExit = newNonce;
        else previousRecord.nextExit = newNonce;
        coin.stage = CoinStage.Exiting;

        finalizableAt = SafeCast.toUint40(block.timestamp + EXIT_PERIOD);
        // Field by field: the challenge list words stay untouched (zero) until a challenge arrives.
        IPlasmaCash.Exit storage exit_ = _exits[slot][newNonce];
        exit_.exitor = msg.sender;
        // casting to 'uint48' is safe because it is a committed or deposit block number, all below nextChildBlock
        // forge-lint: disable-next-line(unsafe-typecast)
        exit_.exitBlock = uint48(exitBlock);
        exit_.finalizableAt = finalizableAt;
        exit_.status = IPlasmaCash.ExitStatus.Live;
        exit_.maturesAt = finalizableAt;
        nonce = newNonce;
    }

    /// @dev Cancels a live exit; the exit bond goes half to `beneficiary` and half is burned, so an exitor who
    /// front-runs a challenge of its own exit still loses half. While the coin is Exiting the exit leaves the
    /// live list (the coin is Deposited again when it was the last) and its exit block is dead, as its record
    /// still names it (finalizeExit frees it after an unanswered challenge). An Exited coin's list is frozen.
    /// The caller emits
    /// ExitCancelled with its reason (no literal arguments: the optimizer would copy the function per literal).
    function _cancelExit(
        CoinRecord storage coin,
        IPlasmaCash.Exit storage exit_,
        uint64 slot,
        uint256 nonce,
        address beneficiary
    ) internal {
        exit_.status = IPlasmaCash.ExitStatus.Cancelled;
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
        emit IPlasmaCash.BondBurned(slot, nonce, burned);
    }

    /// @dev Removes an answered challenge from its exit's list of open challenges (oldest first), O(1).
    function _removeChallenge(
        IPlasmaCash.Exit storage exit_,
        mapping(bytes32 => IPlasmaCash.Challenge) storage challenges,
        IPlasmaCash.Challenge storage challenge
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

    function _credit(address account, uint256 amount) internal {
        if (amount == 0) return;
        _bondBalances[account] += amount;
        emit IPlasmaCash.BondCredited(account, amount);
    }
}
