// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsToDaveTestBase} from "./utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus} from "../src/Checkpoint.sol";

/// @notice enforceCheckpoint (call 13): a final leaf newer than a live exit's binding cancels the exit when it is
/// inconsistent with it (as challengeAfter: half the bond to the caller, half burned, the block dead) and binds it
/// otherwise. Consistent, for exit (p, e) and leaf (B, D) at N: e == B, or p == B && e > N, or p > N.
/// @dev alice deposits at D, → bob at b1 (toBob), → carol at b2 (toCarol), → dave at b3 (toDave).
contract PlasmaCash_EnforceCheckpoint_Test is CheckpointExitsToDaveTestBase {
    function _assertCancelled(uint256 nonce, address caller) internal view {
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Cancelled);
        assertEq(plasma.bondBalance(caller), EXIT_BOND / 2, "caller's half");
        assertEq(plasma.burnedBonds(), EXIT_BOND / 2, "burned half");
        assertTrue(plasma.isExitBlockDead(slot, plasma.getExit(slot, nonce).exitBlock), "block dead");
    }

    function _expectCancel(LeafRef memory leaf, uint256 nonce, address caller) internal {
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, nonce, caller, IPlasmaCash.CancelReason.InconsistentWithCheckpoint);
        vm.prank(caller);
        cp.enforceCheckpoint(leaf, nonce);
        _assertCancelled(nonce, caller);
    }

    function _expectBind(LeafRef memory leaf, uint256 nonce) internal {
        uint256 n = _n(leaf);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.ExitBoundToCheckpoint(slot, nonce, leaf.k, n);
        cp.enforceCheckpoint(leaf, nonce);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Live);
        assertEq(cp.exitSettledThrough(slot, nonce), n, "bound");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inconsistent: cancelled
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Attack (issue 14): alice exits her deposit after giving the coin away; a final checkpoint names a
    /// later transaction: anyone cancels her exit with the leaf, no history before it needed.
    function test_Attack_ExitOlderThanFinalCheckpointIsCancelled() public {
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        _startDepositExit(alice, slot);
        _makeFinal(leaf);
        _expectCancel(leaf, 1, carol);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Deposited));
        // Its block is dead for good: alice cannot exit her deposit again.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockDead.selector, slot, depositBlock));
        _startDepositExit(alice, slot);
    }

    /// @dev Exit block before B, parent before B (bob exits toBob; the leaf names toCarol).
    function test_EnforceCheckpoint_CancelsExitBeforeB() public {
        _startExit(bob, _depositTx(slot), depositBlock, toBob, aliceKey, b1);
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        _expectCancel(leaf, 1, dave);
    }

    /// @dev p == B but e <= N: a spend of B inside (B, N] the final leaf says the chain does not hold.
    function test_EnforceCheckpoint_CancelsSpendOfBInsideCheckpoint() public {
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        LeafRef memory leaf = _finalLeaf(b3, b1, _digest(toBob)); // stale: names toBob at N = b3
        _expectCancel(leaf, 1, dave);
    }

    /// @dev p < B and e > N: a double spend of a transaction the chain had already moved past.
    function test_EnforceCheckpoint_CancelsParentBeforeBExitAfterN() public {
        Transaction memory doubleSpend = _tx(slot, depositBlock, mallory);
        uint256 b4 = _submitBlock(doubleSpend);
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        _startExit(mallory, _depositTx(slot), depositBlock, doubleSpend, aliceKey, b4);
        _makeFinal(leaf);
        _expectCancel(leaf, 1, dave);
    }

    /// @dev A checkpoint exit (p = 0) of an older leaf is inconsistent with a newer one after the coin moved.
    function test_EnforceCheckpoint_CancelsOlderCheckpointExit() public {
        LeafRef memory older = _finalLeaf(b1, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, older, toBob);
        LeafRef memory newer = _finalLeaf(b2, b2, _digest(toCarol));
        _expectCancel(newer, nonce, carol);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Consistent: bound
    // ---------------------------------------------------------------------------------------------------------

    function test_EnforceCheckpoint_BindsExitOfB() public {
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        _expectBind(leaf, 1);
    }

    function test_EnforceCheckpoint_BindsParentBExitAfterN() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _makeFinal(leaf);
        _expectBind(leaf, 1);
    }

    function test_EnforceCheckpoint_BindsParentAfterN() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        _makeFinal(leaf);
        _expectBind(leaf, 1);
    }

    function test_EnforceCheckpoint_BindsDepositExitToDepositLeaf() public {
        uint64 other = _depositEth(carol, 1 ether);
        uint256 n = _submitEmptyBlock();
        _startDepositExit(carol, other);
        LeafRef memory leaf = _finalLeafFor(other, n, _depositBlock(other), _digest(_depositTx(other)));
        cp.enforceCheckpoint(leaf, 1);
        assertEq(cp.exitSettledThrough(other, 1), n);
        _assertExitStatus(other, 1, IPlasmaCash.ExitStatus.Live);
    }

    /// @dev A newer consistent leaf moves the binding up.
    function test_EnforceCheckpoint_RebindsToNewerLeaf() public {
        LeafRef memory older = _finalLeaf(b1, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, older, toBob);
        uint256 b4 = _submitEmptyBlock();
        LeafRef memory newer = _finalLeaf(b4, b1, _digest(toBob)); // names toBob again (stale, never voided)
        _expectBind(newer, nonce);
    }

    function test_EnforceCheckpoint_AppliesNewerBase() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        _makeFinal(leaf);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.CheckpointApplied(slot, leaf.k, b1, b1, _digest(toBob));
        cp.enforceCheckpoint(leaf, 1);
        _assertBase(slot, leaf);
    }

    /// @dev An older leaf than the base is used without touching the base.
    function test_EnforceCheckpoint_KeepsNewerBase() public {
        LeafRef memory older = _pendingLeaf(b1, b1, _digest(toBob));
        _startDepositExit(alice, slot);
        LeafRef memory newer = _finalLeaf(b2, b2, _digest(toCarol));
        cp.applyCheckpoint(newer);
        cp.enforceCheckpoint(older, 1);
        _assertBase(slot, newer);
        _assertExitStatus(slot, 1, IPlasmaCash.ExitStatus.Cancelled);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Refused
    // ---------------------------------------------------------------------------------------------------------

    /// @dev R4: carol's checkpoint exit of toCarol is bound to N2; the older leaf (toBob at N1 < B2) would find
    /// it inconsistent (e = b2 != b1, p = 0), but it says nothing the newer leaf did not.
    function test_RevertWhen_EnforceCheckpoint_OlderLeafThanBinding() public {
        LeafRef memory older = _finalLeaf(b1, b1, _digest(toBob));
        LeafRef memory newer = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _checkpointExit(carol, newer, toCarol);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.NotNewerThanExit.selector, b1, b2));
        cp.enforceCheckpoint(older, nonce);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.NotNewerThanExit.selector, b2, b2));
        cp.enforceCheckpoint(newer, nonce);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Live);
    }

    function test_RevertWhen_EnforceCheckpoint_LeafPending() public {
        _startDepositExit(alice, slot);
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        uint256 periodEnd = cp.getCheckpoint(leaf.k).periodEnd;
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotFinal.selector, leaf.k, slot, LeafStatus.Pending, periodEnd)
        );
        cp.enforceCheckpoint(leaf, 1);
    }

    /// @dev R11: a leaf planted before the coin's deposit cancels none of its exits.
    function test_RevertWhen_EnforceCheckpoint_LeafPlantedBeforeDeposit() public {
        uint64 late = _depositEth(dave, 1 ether);
        uint256 n = _submitEmptyBlock();
        LeafRef memory planted = _pendingLeafFor(late, n, b1, _digest(_tx(late, 0, mallory)));
        _startDepositExit(dave, late);
        _makeFinal(planted);
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotOfCoin.selector, late, b1, _depositBlock(late), n)
        );
        cp.enforceCheckpoint(planted, 1);
    }

    function test_RevertWhen_EnforceCheckpoint_ExitNotLive() public {
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        _startDepositExit(alice, slot);
        _makeFinal(leaf);
        cp.enforceCheckpoint(leaf, 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        cp.enforceCheckpoint(leaf, 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 2));
        cp.enforceCheckpoint(leaf, 2);
    }

    /// @dev The coin exited: its losers are settled by settleExit only.
    function test_RevertWhen_EnforceCheckpoint_ExitFinalized() public {
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _startDepositExit(alice, slot);
        _makeFinal(leaf);
        // alice's deposit exit is the head (lowest exit block): cancel it first, then carol's wins.
        cp.enforceCheckpoint(leaf, 2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        cp.enforceCheckpoint(leaf, 1);
    }
}
