// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsToDaveTestBase} from "./utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef} from "../src/Checkpoint.sol";

/// @notice The exit game's side of a final leaf (docs/CHECKPOINTS.md §4): challengeAfter and challengeBetween
/// refuse evidence at a block <= the exit's binding (settledThrough); respondChallengeBefore answers a claim at or
/// below it only with a child after it; plain startExit and startDepositExit read no base (they start unbound and
/// an inconsistent one is cancelled by enforceCheckpoint).
/// @dev alice deposits at D, → bob at b1 (toBob), → carol at b2 (toCarol), → dave at b3 (toDave).
contract PlasmaCash_CheckpointHooks_Test is CheckpointExitsToDaveTestBase {
    // ---------------------------------------------------------------------------------------------------------
    // challengeAfter
    // ---------------------------------------------------------------------------------------------------------

    /// @dev bob's checkpoint exit of toBob is bound to N = b2 by a stale final leaf: carol's spend at b2 <= N is
    /// settled (she should have voided the leaf while it was pending).
    function test_RevertWhen_ChallengeAfter_EvidenceSettledByCheckpoint() public {
        LeafRef memory stale = _finalLeaf(b2, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, stale, toBob);
        (bytes memory sig, bytes memory proof) = _signedProofOf(bobKey, toCarol, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, b2, b2));
        vm.prank(carol);
        plasma.challengeAfter(toCarol, sig, proof, b2);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Live);
    }

    function test_ChallengeAfter_EvidenceAfterCheckpoint() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        uint256 nonce = _checkpointExit(bob, leaf, toBob);
        _challengeAfter(carol, toCarol, bobKey, b2);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Cancelled);
    }

    // ---------------------------------------------------------------------------------------------------------
    // challengeBetween
    // ---------------------------------------------------------------------------------------------------------

    /// @dev carol exits bob's second spend to her (parent toBob at B = b1, exit at b4 > N) from a leaf at N = b2
    /// naming toBob (stale: bob's spend to carol at b2 was never shown). The spend at b2 is inside (B, N]: refused.
    function test_RevertWhen_ChallengeBetween_EvidenceSettledByCheckpoint() public {
        LeafRef memory stale = _finalLeaf(b2, b1, _digest(toBob));
        Transaction memory again = _tx(slot, b1, mallory);
        uint256 b4 = _submitBlock(again);
        uint256 nonce = _exitFromCheckpoint(mallory, stale, toBob, again, bobKey, b4);
        (bytes memory sig, bytes memory proof) = _signedProofOf(bobKey, toCarol, b2);
        vm.startPrank(carol);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, b2, b2));
        plasma.challengeBetweenExit(nonce, toCarol, sig, proof, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, b2, b2));
        plasma.challengeBetween(toCarol, sig, proof, b2);
        vm.stopPrank();
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Live);
    }

    /// @dev A double spend after N still cancels an exit bound to N.
    function test_ChallengeBetween_EvidenceAfterCheckpoint() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        Transaction memory again = _tx(slot, b1, mallory);
        uint256 b4 = _submitBlock(again);
        uint256 nonce = _exitFromCheckpoint(mallory, leaf, toBob, again, bobKey, b4);
        _challengeBetween(carol, toCarol, bobKey, b2);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Cancelled);
    }

    // ---------------------------------------------------------------------------------------------------------
    // respondChallengeBefore
    // ---------------------------------------------------------------------------------------------------------

    /// @dev dave's exit is bound to N = b2; alice's deposit (D <= N) is claimed. Its child toBob at b1 <= N does
    /// not answer (the leaf does, call 14).
    function test_RevertWhen_RespondChallengeBefore_SettledClaimWithChildInsideCheckpoint() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _exitFromCheckpoint(dave, leaf, toCarol, toDave, carolKey, b3);
        vm.prank(carol);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(nonce, _depositTx(slot), "", depositBlock);
        bytes32 id = _digest(_depositTx(slot));
        (bytes memory sig, bytes memory proof) = _signedProofOf(aliceKey, toBob, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, b1, b2));
        plasma.respondChallengeBeforeExit(nonce, id, toBob, sig, proof, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, b1, b2));
        plasma.respondChallengeBefore(id, toBob, sig, proof, b1);
    }

    /// @dev An unbound exit answers as before.
    function test_RespondChallengeBefore_UnboundExitUnchanged() public {
        _finalLeaf(b2, b2, _digest(toCarol));
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        bytes32 id = _challengeBefore(carol, _depositTx(slot), depositBlock);
        _respond(dave, id, toBob, aliceKey, b1);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Plain exits read no base (lead's decision: startExit's gas)
    // ---------------------------------------------------------------------------------------------------------

    /// @dev With a base applied, alice's deposit exit and bob's exit of toBob (both before the base's B) start
    /// unbound; the leaf cancels them.
    function test_StartExit_NotRefusedByAppliedBase() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        cp.applyCheckpoint(leaf);
        _startDepositExit(alice, slot);
        _startExit(bob, _depositTx(slot), depositBlock, toBob, aliceKey, b1);
        assertEq(cp.exitSettledThrough(slot, 1), 0);
        assertEq(cp.exitSettledThrough(slot, 2), 0);
        cp.enforceCheckpoint(leaf, 1);
        cp.enforceCheckpoint(leaf, 2);
        _assertExitStatus(slot, 1, IPlasmaCash.ExitStatus.Cancelled);
        _assertExitStatus(slot, 2, IPlasmaCash.ExitStatus.Cancelled);
    }

    /// @dev A bound exit cancelled by an unanswered challengeBefore frees its block and its binding with it.
    function test_FreedExitBlock_ForgetsBinding() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _exitFromCheckpoint(dave, leaf, toCarol, toDave, carolKey, b3);
        _challengeBefore(carol, toBob, b1);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Cancelled);
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        assertEq(cp.exitSettledThrough(slot, nonce + 1), 0);
    }
}
