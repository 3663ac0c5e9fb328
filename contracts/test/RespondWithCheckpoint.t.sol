// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsToDaveTestBase} from "./utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus} from "../src/Checkpoint.sol";

/// @notice respondChallengeBeforeWithCheckpoint (call 14): an open challengeBefore of a live exit whose claim lies
/// at or before a final leaf's N, and is not the checkpointed transaction itself, is answered with the leaf when
/// the exit is consistent with it (R14): closed Answered, the bond to the exitor, no extension; the exit is bound.
/// @dev alice deposits at D, → bob at b1 (toBob), → carol at b2 (toCarol), → dave at b3 (toDave), → mallory at b4.
contract PlasmaCash_RespondWithCheckpoint_Test is CheckpointExitsToDaveTestBase {
    uint256 internal b4;
    Transaction internal toMallory;

    function setUp() public override {
        super.setUp();
        toMallory = _tx(slot, b3, mallory);
        b4 = _submitBlock(toMallory);
    }

    /// @dev Attack (issue 14): the checkpoint at b2 names toCarol; dave received the coin after it with a package
    /// starting at the leaf, so he holds no proof of anything before b2. Every old claim is answered with the leaf,
    /// and dave's exit finalizes and withdraws.
    function test_Attack_ReceiverWithoutOldHistoryAnswersOldChallengesAndWithdraws() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _exitFromCheckpoint(dave, leaf, toCarol, toDave, carolKey, b3);
        bytes32 depositClaim = _carolChallengesBefore(nonce, _depositTx(slot), depositBlock);
        bytes32 bobClaim = _carolChallengesBefore(nonce, toBob, b1);
        uint256 finalizableAt = plasma.getExit(slot, nonce).finalizableAt;

        vm.startPrank(dave);
        cp.respondChallengeBeforeWithCheckpoint(leaf, nonce, depositClaim);
        cp.respondChallengeBeforeWithCheckpoint(leaf, nonce, bobClaim);
        vm.stopPrank();
        assertEq(plasma.getExit(slot, nonce).finalizableAt, finalizableAt, "no extension");
        assertEq(plasma.getExit(slot, nonce).firstChallenge, bytes32(0), "none open");

        vm.warp(finalizableAt);
        plasma.finalizeExit(slot);
        uint256 before = dave.balance;
        vm.prank(dave);
        plasma.withdraw(slot);
        assertEq(dave.balance, before + 1 ether, "coin paid");
        assertEq(plasma.bondBalance(dave), EXIT_BOND + 2 * CHALLENGE_BOND, "exit bond and both challenge bonds");
    }

    function test_RespondWithCheckpoint_ClosesChallengeBondToExitor() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _exitFromCheckpoint(dave, leaf, toCarol, toDave, carolKey, b3);
        bytes32 id = _carolChallengesBefore(nonce, toBob, b1);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.ChallengeAnsweredByCheckpoint(slot, nonce, id, leaf.k);
        vm.prank(mallory); // anyone
        cp.respondChallengeBeforeWithCheckpoint(leaf, nonce, id);
        IPlasmaCash.Challenge memory c = plasma.getChallenge(slot, nonce, id);
        assertEq(uint8(c.status), uint8(IPlasmaCash.ChallengeStatus.Answered));
        assertEq(plasma.bondBalance(dave), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(mallory), 0);
    }

    /// @dev A plain exit (not bound at start) answered with a leaf is bound to it.
    function test_RespondWithCheckpoint_BindsPlainExit() public {
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        bytes32 id = _carolChallengesBefore(1, toBob, b1);
        _makeFinal(leaf);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.ExitBoundToCheckpoint(slot, 1, leaf.k, b2);
        cp.respondChallengeBeforeWithCheckpoint(leaf, 1, id);
        assertEq(cp.exitSettledThrough(slot, 1), b2);
        _assertBase(slot, leaf);
    }

    /// @dev An older leaf answers a claim before it without lowering the exit's binding.
    function test_RespondWithCheckpoint_OlderLeafKeepsBinding() public {
        LeafRef memory older = _finalLeaf(b1, b1, _digest(toBob));
        LeafRef memory newer = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _exitFromCheckpoint(dave, newer, toCarol, toDave, carolKey, b3);
        bytes32 id = _carolChallengesBefore(nonce, _depositTx(slot), depositBlock);
        cp.respondChallengeBeforeWithCheckpoint(older, nonce, id);
        assertEq(cp.exitSettledThrough(slot, nonce), b2);
        _assertBase(slot, newer);
    }

    function test_RevertWhen_RespondWithCheckpoint_ClaimAfterCheckpoint() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        _startExit(mallory, toDave, b3, toMallory, daveKey, b4);
        bytes32 id = _carolChallengesBefore(1, toCarol, b2);
        _makeFinal(leaf);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimAfterCheckpoint.selector, b2, b1));
        cp.respondChallengeBeforeWithCheckpoint(leaf, 1, id);
    }

    /// @dev The checkpointed transaction itself is answered only by its direct child after N.
    function test_RevertWhen_RespondWithCheckpoint_ClaimIsCheckpointed() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        _startExit(mallory, toDave, b3, toMallory, daveKey, b4);
        bytes32 id = _carolChallengesBefore(1, toBob, b1);
        _makeFinal(leaf);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimIsCheckpointed.selector, id));
        cp.respondChallengeBeforeWithCheckpoint(leaf, 1, id);
        // Its child after N answers it, even once the exit is bound to N (p = b3 > N: consistent).
        cp.enforceCheckpoint(leaf, 1);
        assertEq(cp.exitSettledThrough(slot, 1), b1);
        _respond(mallory, id, toCarol, bobKey, b2);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
    }

    /// @dev R14: carol's exit of a spend hidden inside (B, N] (the leaf names toBob at N = b2) is inconsistent
    /// with the leaf: carol cannot keep it alive by answering alice's claim with the leaf.
    function test_RevertWhen_RespondWithCheckpoint_InconsistentExit() public {
        LeafRef memory stale = _pendingLeaf(b2, b1, _digest(toBob));
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        bytes32 id = _carolChallengesBefore(1, _depositTx(slot), depositBlock);
        _makeFinal(stale);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.InconsistentWithCheckpoint.selector, slot, b2, b2));
        vm.prank(carol);
        cp.respondChallengeBeforeWithCheckpoint(stale, 1, id);
        // The leaf cancels the exit instead.
        cp.enforceCheckpoint(stale, 1);
        _assertExitStatus(slot, 1, IPlasmaCash.ExitStatus.Cancelled);
    }

    function test_RevertWhen_RespondWithCheckpoint_ChallengeNotOpen() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _exitFromCheckpoint(dave, leaf, toCarol, toDave, carolKey, b3);
        bytes32 id = _digest(toBob);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, id, IPlasmaCash.ChallengeStatus.None)
        );
        cp.respondChallengeBeforeWithCheckpoint(leaf, nonce, id);
        _carolChallengesBefore(nonce, toBob, b1);
        cp.respondChallengeBeforeWithCheckpoint(leaf, nonce, id);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, id, IPlasmaCash.ChallengeStatus.Answered)
        );
        cp.respondChallengeBeforeWithCheckpoint(leaf, nonce, id);
    }

    function test_RevertWhen_RespondWithCheckpoint_LeafPending() public {
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        bytes32 id = _carolChallengesBefore(1, toBob, b1);
        uint256 periodEnd = cp.getCheckpoint(leaf.k).periodEnd;
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotFinal.selector, leaf.k, slot, LeafStatus.Pending, periodEnd)
        );
        cp.respondChallengeBeforeWithCheckpoint(leaf, 1, id);
    }

    function test_RevertWhen_RespondWithCheckpoint_ExitNotLive() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        bytes32 id = _digest(toBob);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        cp.respondChallengeBeforeWithCheckpoint(leaf, 1, id);
    }
}
