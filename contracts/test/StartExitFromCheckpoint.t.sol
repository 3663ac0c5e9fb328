// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsTestBase} from "./utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus} from "../src/Checkpoint.sol";

/// @notice startExitFromCheckpoint (call 16): startExit whose parent is proved by a final leaf (its digest, at its
/// block B), with the exiting transaction after N; the exit is bound to N and the leaf applied in the same call
/// (R3), so no evidence inside (B, N] reaches it.
/// @dev alice deposits at D, → bob at b1 (toBob); the leaf of checkpoint 0 at N = b1 names toBob; bob → carol at
/// b2 (toCarol).
contract PlasmaCash_StartExitFromCheckpoint_Test is CheckpointExitsTestBase {
    uint256 internal b2;
    Transaction internal toCarol;
    LeafRef internal leaf;

    function setUp() public override {
        super.setUp();
        leaf = _pendingLeaf(b1, b1, _digest(toBob));
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        _makeFinal(leaf);
    }

    /// @dev The revert the next _start expects (its signature and proof are made first: they call the contract).
    bytes internal expected;

    function _expect(bytes memory err) internal {
        expected = err;
    }

    function _start(address caller, Transaction memory parent, Transaction memory exiting, uint256 key, uint256 at)
        internal
    {
        (bytes memory sig, bytes memory proof) = _signedProofOf(key, exiting, at);
        if (expected.length != 0) {
            vm.expectRevert(expected);
            delete expected;
        }
        vm.prank(caller);
        cp.startExitFromCheckpoint{value: EXIT_BOND}(leaf, parent, exiting, sig, proof, at);
    }

    function test_StartExitFromCheckpoint_StartsBoundExit() public {
        uint256 finalizableAt = vm.getBlockTimestamp() + EXIT_PERIOD;
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitStarted(slot, 1, carol, b1, b2, finalizableAt);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.ExitBoundToCheckpoint(slot, 1, 0, b1);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.CheckpointApplied(slot, 0, b1, b1, _digest(toBob));
        _start(carol, toBob, toCarol, bobKey, b2);

        IPlasmaCash.Exit memory e = plasma.getExit(slot, 1);
        assertEq(e.exitor, carol);
        assertEq(e.exitBlock, b2);
        assertEq(e.parentBlock, b1);
        assertEq(e.parentOwner, bob);
        assertEq(uint8(e.status), uint8(IPlasmaCash.ExitStatus.Live));
        assertEq(cp.exitSettledThrough(slot, 1), b1);
        _assertBase(slot, leaf);
    }

    function test_StartExitFromCheckpoint_FinalizesAndWithdraws() public {
        _start(carol, toBob, toCarol, bobKey, b2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        uint256 before = carol.balance;
        vm.prank(carol);
        plasma.withdraw(slot);
        assertEq(carol.balance, before + 1 ether);
    }

    /// @dev Attack (R1/R3, issue 14): puppet bob owns toBob; the operator includes bob → mallory at h in (B, N],
    /// withholds it and checkpoints the stale toBob at N; the leaf goes final. Bob then sends the coin to carol
    /// after N; carol (history from the leaf) exits with the leaf. mallory's challengeBetween with the hidden spend
    /// is refused (carol's exit is bound to N), her own exit of it is cancelled by the leaf, and carol withdraws.
    function test_Attack_PuppetSpendHiddenInsideCheckpointCannotBeatReceiver() public {
        uint64 coin = _depositEth(alice, 1 ether);
        Transaction memory toPuppet = _tx(coin, _depositBlock(coin), bob);
        uint256 pb = _submitBlock(toPuppet);
        Transaction memory hidden = _tx(coin, pb, mallory);
        uint256 h = _submitBlock(hidden);
        uint256 n = _submitEmptyBlock();
        LeafRef memory stale = _finalLeafFor(coin, n, pb, _digest(toPuppet));
        Transaction memory toReceiver = _tx(coin, pb, carol);
        uint256 r = _submitBlock(toReceiver);

        // mallory exits the hidden spend first (a plain startExit reads no base: it is not refused at start).
        _startExit(mallory, toPuppet, pb, hidden, bobKey, h);
        // carol exits from the leaf.
        (bytes memory sig, bytes memory proof) = _signedProofOf(bobKey, toReceiver, r);
        vm.prank(carol);
        cp.startExitFromCheckpoint{value: EXIT_BOND}(stale, toPuppet, toReceiver, sig, proof, r);
        assertEq(cp.exitSettledThrough(coin, 2), n);

        // The hidden spend cannot cancel carol's exit, by either form.
        (bytes memory hiddenSig, bytes memory hiddenProof) = _signedProofOf(bobKey, hidden, h);
        vm.startPrank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, h, n));
        plasma.challengeBetweenExit(2, hidden, hiddenSig, hiddenProof, h);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, h, n));
        plasma.challengeBetween(hidden, hiddenSig, hiddenProof, h);
        // Nor void the final leaf (R1).
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotPending.selector, stale.k, coin, LeafStatus.Final));
        cp.challengeLeafSpentByExit(stale, 1);
        vm.stopPrank();

        // carol's watcher cancels mallory's exit with the leaf (p == B, e <= N: inconsistent).
        vm.prank(carol);
        cp.enforceCheckpoint(stale, 1);
        _assertExitStatus(coin, 1, IPlasmaCash.ExitStatus.Cancelled);

        _warpPastExitPeriod();
        plasma.finalizeExit(coin);
        _assertExitStatus(coin, 2, IPlasmaCash.ExitStatus.Finalized);
        uint256 before = carol.balance;
        vm.prank(carol);
        plasma.withdraw(coin);
        assertEq(carol.balance, before + 1 ether);
        assertEq(plasma.bondBalance(carol), EXIT_BOND + EXIT_BOND / 2, "her bond and half of mallory's");
    }

    function test_RevertWhen_StartExitFromCheckpoint_WrongBond() public {
        (bytes memory sig, bytes memory proof) = _signedProofOf(bobKey, toCarol, b2);
        vm.deal(carol, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, 0, EXIT_BOND));
        vm.prank(carol);
        cp.startExitFromCheckpoint(leaf, toBob, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_StartExitFromCheckpoint_ParentNotTheLeafs() public {
        Transaction memory other = _tx(slot, _depositBlock(slot), carol);
        _expect(abi.encodeWithSelector(ICheckpoints.DigestMismatch.selector, _digest(toBob), _digest(other)));
        _start(carol, other, toCarol, bobKey, b2);
    }

    /// @dev A spend of B at or before N is one the final leaf says the chain does not hold.
    function test_RevertWhen_StartExitFromCheckpoint_ExitingNotAfterN() public {
        uint256 n = _submitEmptyBlock();
        _warpTo(uint256(cp.getCheckpoint(0).submittedAt) + RESPONSE_PERIOD);
        uint256 k = _submitCheckpoint(n, b1, _digest(toBob));
        leaf = _leafRef(k, b1, _digest(toBob));
        _makeFinal(leaf);
        _expect(abi.encodeWithSelector(ICheckpoints.ExitNotAfterCheckpoint.selector, b2, n));
        _start(carol, toBob, toCarol, bobKey, b2);
    }

    function test_RevertWhen_StartExitFromCheckpoint_WrongPrevBlock() public {
        Transaction memory skip = _tx(slot, _depositBlock(slot), carol);
        uint256 b3 = _submitBlock(skip);
        _expect(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b1, _depositBlock(slot)));
        _start(carol, toBob, skip, aliceKey, b3);
    }

    function test_RevertWhen_StartExitFromCheckpoint_NotNewOwner() public {
        _expect(abi.encodeWithSelector(IPlasmaCash.NotNewOwner.selector, dave, carol));
        _start(dave, toBob, toCarol, bobKey, b2);
    }

    function test_RevertWhen_StartExitFromCheckpoint_NotIncluded() public {
        uint256 b3 = _submitEmptyBlock();
        _expect(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b3));
        _start(carol, toBob, toCarol, bobKey, b3);
    }

    function test_RevertWhen_StartExitFromCheckpoint_WrongSigner() public {
        _expect(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, carol));
        _start(carol, toBob, toCarol, carolKey, b2);
    }

    function test_RevertWhen_StartExitFromCheckpoint_LeafPending() public {
        uint256 n = _submitEmptyBlock();
        _warpTo(uint256(cp.getCheckpoint(0).submittedAt) + RESPONSE_PERIOD);
        uint256 k = _submitCheckpoint(n, b1, _digest(toBob));
        leaf = _leafRef(k, b1, _digest(toBob));
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        _expect(
            abi.encodeWithSelector(ICheckpoints.LeafNotFinal.selector, k, slot, LeafStatus.Pending, periodEnd)
        );
        _start(carol, toBob, toCarol, bobKey, b2);
    }

    function test_RevertWhen_StartExitFromCheckpoint_ExitBlockTaken() public {
        _start(carol, toBob, toCarol, bobKey, b2);
        _expect(abi.encodeWithSelector(IPlasmaCash.ExitBlockTaken.selector, slot, b2, 1));
        _start(carol, toBob, toCarol, bobKey, b2);
    }

    function test_RevertWhen_StartExitFromCheckpoint_CoinExited() public {
        _start(carol, toBob, toCarol, bobKey, b2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        _expect(
            abi.encodeWithSelector(IPlasmaCash.CoinNotDeposited.selector, slot, IPlasmaCash.CoinState.Exited)
        );
        _start(carol, toBob, toCarol, bobKey, b2);
    }
}
