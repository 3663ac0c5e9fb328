// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsToCarolTestBase} from "./utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus} from "../src/Checkpoint.sol";

/// @notice startCheckpointExit (call 15): the owner a final leaf's transaction names exits it with the leaf alone:
/// exit block B, no parent (only challengeAfter applies, with evidence after N), bound to N, the leaf applied.
/// @dev alice deposits at D, → bob at b1 (toBob), → carol at b2 (toCarol).
contract PlasmaCash_StartCheckpointExit_Test is CheckpointExitsToCarolTestBase {
    function test_StartCheckpointExit_ExitsTheCheckpointedTransaction() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        uint256 finalizableAt = vm.getBlockTimestamp() + EXIT_PERIOD;
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitStarted(slot, 1, bob, 0, b1, finalizableAt);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.CheckpointExitStarted(slot, 1, leaf.k);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.ExitBoundToCheckpoint(slot, 1, leaf.k, b1);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.CheckpointApplied(slot, leaf.k, b1, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, leaf, toBob);

        IPlasmaCash.Exit memory e = plasma.getExit(slot, nonce);
        assertEq(e.exitor, bob);
        assertEq(e.exitBlock, b1);
        assertEq(e.parentBlock, 0);
        assertEq(e.parentOwner, address(0));
        assertEq(e.finalizableAt, finalizableAt);
        assertEq(uint8(e.status), uint8(IPlasmaCash.ExitStatus.Live));
        assertEq(cp.exitSettledThrough(slot, nonce), b1);
        assertEq(plasma.liveExitAt(slot, b1), nonce);
        _assertBase(slot, leaf);
        assertEq(address(plasma).balance, 1 ether + EXIT_BOND);
    }

    /// @dev The whole path of a checkpoint exit: started, matured, finalized, withdrawn.
    function test_StartCheckpointExit_FinalizesAndWithdraws() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, leaf, toBob);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        _assertExitState(slot, nonce, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        uint256 before = bob.balance;
        vm.startPrank(bob);
        plasma.withdraw(slot);
        plasma.withdrawBonds();
        vm.stopPrank();
        assertEq(bob.balance, before + 1 ether + EXIT_BOND);
    }

    function test_StartCheckpointExit_DepositLeaf() public {
        uint64 other = _depositEth(carol, 1 ether);
        uint256 n = _submitEmptyBlock();
        LeafRef memory leaf = _finalLeafFor(other, n, _depositBlock(other), _digest(_depositTx(other)));
        uint256 nonce = _checkpointExit(carol, leaf, _depositTx(other));
        assertEq(plasma.getExit(other, nonce).exitBlock, _depositBlock(other));
        assertEq(cp.exitSettledThrough(other, nonce), n);
    }

    /// @dev Spent after N: challengeAfter cancels it as any exit.
    function test_StartCheckpointExit_CancelledBySpendAfterN() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, leaf, toBob);
        _challengeAfter(carol, toCarol, bobKey, b2);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Cancelled);
        assertTrue(plasma.isExitBlockDead(slot, b1));
    }

    function test_RevertWhen_StartCheckpointExit_ChallengeBefore() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, leaf, toBob);
        Transaction memory deposit = _depositTx(slot);
        uint256 depositBlock = _depositBlock(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.DepositExitHasNoParent.selector, slot));
        vm.prank(carol);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(nonce, deposit, "", depositBlock);
    }

    function test_RevertWhen_StartCheckpointExit_WrongBond() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        vm.deal(bob, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, EXIT_BOND - 1, EXIT_BOND));
        vm.prank(bob);
        cp.startCheckpointExit{value: EXIT_BOND - 1}(leaf, toBob);
    }

    function test_RevertWhen_StartCheckpointExit_NotNewOwner() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotNewOwner.selector, carol, bob));
        _checkpointExit(carol, leaf, toBob);
    }

    function test_RevertWhen_StartCheckpointExit_DigestMismatch() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        Transaction memory other = _tx(slot, _depositBlock(slot), carol);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.DigestMismatch.selector, _digest(toBob), _digest(other)));
        _checkpointExit(carol, leaf, other);
    }

    function test_RevertWhen_StartCheckpointExit_LeafPending() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        uint256 periodEnd = cp.getCheckpoint(leaf.k).periodEnd;
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotFinal.selector, leaf.k, slot, LeafStatus.Pending, periodEnd)
        );
        _checkpointExit(bob, leaf, toBob);
    }

    /// @dev R11: the owner a planted leaf names cannot exit the coin with it.
    function test_RevertWhen_StartCheckpointExit_LeafPlantedBeforeDeposit() public {
        uint64 late = _depositEth(dave, 1 ether);
        uint256 n = _submitEmptyBlock();
        Transaction memory planted = _tx(late, 0, mallory);
        LeafRef memory leaf = _finalLeafFor(late, n, b1, _digest(planted));
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotOfCoin.selector, late, b1, _depositBlock(late), n)
        );
        _checkpointExit(mallory, leaf, planted);
    }

    function test_RevertWhen_StartCheckpointExit_CoinExited() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        _startExit(bob, _depositTx(slot), _depositBlock(slot), toBob, aliceKey, b1);
        _makeFinal(leaf);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotDeposited.selector, slot, IPlasmaCash.CoinState.Exited)
        );
        _checkpointExit(bob, leaf, toBob);
    }

    function test_RevertWhen_StartCheckpointExit_ExitBlockTaken() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        _startExit(bob, _depositTx(slot), _depositBlock(slot), toBob, aliceKey, b1);
        _makeFinal(leaf);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockTaken.selector, slot, b1, 1));
        _checkpointExit(bob, leaf, toBob);
    }

    /// @dev R15: a stale leaf about an exit block that challengeAfter killed while the leaf was pending gives no
    /// second exit of that block.
    function test_RevertWhen_StartCheckpointExit_ExitBlockDead() public {
        LeafRef memory stale = _pendingLeaf(b2, b1, _digest(toBob));
        _startExit(bob, _depositTx(slot), _depositBlock(slot), toBob, aliceKey, b1);
        _challengeAfter(carol, toCarol, bobKey, b2);
        _makeFinal(stale);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockDead.selector, slot, b1));
        _checkpointExit(bob, stale, toBob);
    }
}
