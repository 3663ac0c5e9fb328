// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPlasmaCash} from "../../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../../src/Transaction.sol";
import {DefaultHashes} from "../../../src/libraries/DefaultHashes.sol";
import {TestTree} from "../../utils/TestTree.sol";
import {Ghost, Entry} from "./Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice The operator: commits child blocks with the pending transfers (refusing coins that are exiting or
/// exited, as §4 says), empty blocks, and, colluding with mallory, malicious blocks: a transfer of someone
/// else's coin to mallory that nobody signed, mallory's own spend of such a transfer, or a second spend by
/// mallory of a coin she had already given away.
contract OperatorHandler is HandlerBase {
    constructor(Ghost ghost_) HandlerBase(ghost_) {}

    /// @notice The next child block with every pending transfer; one time in four an empty block instead
    /// (the pending transfers wait for a later one).
    function submitBlock(uint256 seed) external {
        if (seed % 4 == 0) _commitEmpty();
        else _commit(type(uint256).max, Entry({blockNumber: 0, tx_: _noTx(), sig: ""}));
    }

    function _commitEmpty() internal {
        uint256 blockNumber = plasma.nextChildBlock();
        vm.prank(ghost.operator());
        try plasma.submitBlock(DefaultHashes.EMPTY_ROOT, blockNumber) {
            ghost.recordBlock(blockNumber, new uint64[](0), new bytes32[](0));
            ghost.count("block.empty");
        } catch (bytes memory reason) {
            ghost.fail("submitBlock (empty)", reason);
        }
    }

    /// @notice Colluding with mallory, half of the time (otherwise an honest block): either a double spend by
    /// mallory of a coin she had given away, or a forged transfer of someone else's coin to mallory followed, in
    /// the next block, by mallory's spend of it to herself (what she needs to exit it). Every other pending
    /// transfer goes into the first block as usual. Mallory starts her exit at once, if the coin is not exiting.
    function submitMaliciousBlock(uint256 coinSeed) external {
        (bool found, uint64 slot) = _pick(coinSeed / 2, _corruptible);
        if (!found || coinSeed % 2 == 0) {
            _commit(type(uint256).max, Entry({blockNumber: 0, tx_: _noTx(), sig: ""}));
            return;
        }
        uint256 denomination = ghost.denominationOf(slot);
        address mallory = ghost.mallory();
        Entry memory bad;
        bad.blockNumber = plasma.nextChildBlock();

        (bool spent, uint256 malloryIndex) = _malloryGaveAway(slot);
        if (spent && ghost.doubleSpend(slot).blockNumber == 0) {
            bad.tx_ = Transaction({
                slot: slot,
                prevBlock: ghost.entry(slot, malloryIndex).blockNumber,
                denomination: denomination,
                newOwner: mallory
            });
            bad.sig = _sign(mallory, bad.tx_);
            if (!_commit(slot, bad)) return;
            ghost.recordMalicious(slot, 2, bad, malloryIndex);
            ghost.count("block.doubleSpend");
            if (_state(slot) == IPlasmaCash.CoinState.Deposited) _malloryExit(slot, 1, coinSeed);
            return;
        }

        bad.tx_ = Transaction({
            slot: slot,
            prevBlock: ghost.lastEntry(slot).blockNumber,
            denomination: denomination,
            newOwner: mallory
        });
        if (!_commit(slot, bad)) return;
        ghost.recordMalicious(slot, 0, bad, 0);
        ghost.count("block.forged");

        Entry memory spend;
        spend.blockNumber = plasma.nextChildBlock();
        spend.tx_ = Transaction({slot: slot, prevBlock: bad.blockNumber, denomination: denomination, newOwner: mallory});
        spend.sig = _sign(mallory, spend.tx_);
        if (!_commit(slot, spend)) return;
        ghost.recordMalicious(slot, 1, spend, 0);
        ghost.count("block.selfSpend");
        if (_state(slot) == IPlasmaCash.CoinState.Deposited) _malloryExit(slot, 2, coinSeed);
    }

    /// @dev Commits the next child block: every pending transfer of a coin that is still deposited (others are
    /// refused and dropped), except for `badSlot`, which holds `bad` instead.
    function _commit(uint256 badSlot, Entry memory bad) internal returns (bool committed) {
        uint256 blockNumber = plasma.nextChildBlock();
        uint256 n = ghost.coinCount();
        uint64[] memory slots = new uint64[](n);
        bytes32[] memory leaves = new bytes32[](n);
        Entry[] memory included = new Entry[](n);
        uint256 count;
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            if (slot == badSlot) {
                if (ghost.hasPending(slot)) ghost.clearPending(slot);
                slots[count] = slot;
                leaves[count] = plasma.transactionDigest(bad.tx_);
                count++;
                continue;
            }
            if (!ghost.hasPending(slot)) continue;
            Entry memory pending = ghost.pending(slot);
            ghost.clearPending(slot);
            if (ghost.frozen(slot) || _state(slot) != IPlasmaCash.CoinState.Deposited) continue;
            pending.blockNumber = blockNumber;
            included[i] = pending;
            slots[count] = slot;
            leaves[count] = plasma.transactionDigest(pending.tx_);
            count++;
        }
        assembly ("memory-safe") {
            mstore(slots, count)
            mstore(leaves, count)
        }

        vm.prank(ghost.operator());
        try plasma.submitBlock(TestTree.root(slots, leaves), blockNumber) {
            committed = true;
        } catch (bytes memory reason) {
            ghost.fail("submitBlock", reason);
            return false;
        }
        ghost.recordBlock(blockNumber, slots, leaves);
        for (uint256 i = 0; i < n; i++) {
            if (included[i].blockNumber != 0) {
                ghost.appendEntry(included[i].tx_.slot, included[i]);
                ghost.count("transfer.included");
            }
        }
        ghost.count("block");
    }

    /// @dev Whether the operator still has a malicious transaction to slip in for this coin.
    function _corruptible(uint64 slot) internal view returns (bool) {
        if (_state(slot) == IPlasmaCash.CoinState.Exited) return false;
        (bool spent,) = _malloryGaveAway(slot);
        if (spent && ghost.doubleSpend(slot).blockNumber == 0) return true;
        // Forged once the coin has moved at least once: the watcher's claim is then not the only one below it.
        return ghost.forged(slot).blockNumber == 0 && ghost.honestOwner(slot) != ghost.mallory()
            && ghost.historyLength(slot) >= 2;
    }

    /// @dev The last honest entry that made mallory the owner and that she then spent, if any.
    function _malloryGaveAway(uint64 slot) internal view returns (bool found, uint256 index) {
        uint256 n = ghost.historyLength(slot);
        address mallory = ghost.mallory();
        for (uint256 i = n - 1; i > 0; i--) {
            if (ghost.entry(slot, i - 1).tx_.newOwner == mallory) return (true, i - 1);
        }
    }

    function _noTx() internal pure returns (Transaction memory) {}
}
