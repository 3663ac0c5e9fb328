// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsToDaveTestBase} from "./utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef} from "../src/Checkpoint.sol";

/// @notice Boundaries of the stage-e rules (PROTOCOL.md §10, docs/CHECKPOINTS.md §4) that the suites of each call
/// did not pin down: each test here kills a mutant of scripts/mutation-check.mjs that survived them (docs/
/// CHECKPOINTS.md, "Mutation check of stage e"). Most use a stale final leaf: (B, D) at N with the coin moved
/// again inside (B, N], which nobody voided while it was pending.
/// @dev alice deposits at D, → bob at b1 (toBob), → carol at b2 (toCarol), → dave at b3 (toDave).
contract PlasmaCash_CheckpointExitsRules_Test is CheckpointExitsToDaveTestBase {
    function _expectInconsistentCancel(LeafRef memory leaf, uint256 nonce) internal {
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, nonce, mallory, IPlasmaCash.CancelReason.InconsistentWithCheckpoint);
        vm.prank(mallory);
        cp.enforceCheckpoint(leaf, nonce);
        _assertExitStatus(slot, nonce, IPlasmaCash.ExitStatus.Cancelled);
        assertEq(cp.exitSettledThrough(slot, nonce), 0, "not bound");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Consistency (§4): e == B, or p == B && e > N, or p > N, all strict
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Rule "p == B && e > N" is strict: carol's exit spends B at N itself (p = B = b1, e = N = b2), a spend the
    /// leaf at N says the chain does not hold. Kills `e > n` -> `e >= n` in _consistent.
    function test_EnforceCheckpoint_CancelsSpendOfBAtN() public {
        LeafRef memory stale = _pendingLeaf(b2, b1, _digest(toBob));
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _makeFinal(stale);
        _expectInconsistentCancel(stale, 1);
    }

    /// @dev Rule "p > N" is strict: dave's exit has its parent at N itself (p = N = b2, e = b3), where the leaf
    /// says the coin's newest transaction is B = b1's. Kills `p > n` -> `p >= n` in _consistent.
    function test_EnforceCheckpoint_CancelsParentAtN() public {
        LeafRef memory stale = _pendingLeaf(b2, b1, _digest(toBob));
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        _makeFinal(stale);
        _expectInconsistentCancel(stale, 1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // startExitFromCheckpoint: the exiting transaction after N, strictly
    // ---------------------------------------------------------------------------------------------------------

    /// @dev A spend of B at N itself is refused too. Kills `exitingBlock <= n` -> `exitingBlock < n`.
    function test_RevertWhen_StartExitFromCheckpoint_ExitingAtN() public {
        LeafRef memory stale = _finalLeaf(b2, b1, _digest(toBob));
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ExitNotAfterCheckpoint.selector, b2, b2));
        vm.prank(carol);
        cp.startExitFromCheckpoint{value: EXIT_BOND}(stale, toBob, toCarol, sig, proof, b2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // respondChallengeBefore on a bound exit (ExitGame's hook): the child must be after settledThrough, strictly
    // ---------------------------------------------------------------------------------------------------------

    /// @dev dave's exit is bound to N = b2; alice's toBob at b1 is claimed; its child toCarol at b2 = N does not
    /// answer (the leaf does). Kills `blockNumber <= settled` -> `blockNumber < settled` in respondChallengeBefore.
    function test_RevertWhen_RespondChallengeBefore_ChildAtSettledThrough() public {
        LeafRef memory leaf = _finalLeaf(b2, b2, _digest(toCarol));
        uint256 nonce = _exitFromCheckpoint(dave, leaf, toCarol, toDave, carolKey, b3);
        bytes32 id = _carolChallengesBefore(nonce, toBob, b1);
        (bytes memory sig, bytes memory proof) = _signedProofOf(bobKey, toCarol, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, b2, b2));
        plasma.respondChallengeBeforeExit(nonce, id, toCarol, sig, proof, b2);
        // The leaf answers it.
        cp.respondChallengeBeforeWithCheckpoint(leaf, nonce, id);
        assertEq(uint8(plasma.getChallenge(slot, nonce, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
    }

    // ---------------------------------------------------------------------------------------------------------
    // respondChallengeBeforeWithCheckpoint: every claim at or below N but the checkpointed transaction itself
    // ---------------------------------------------------------------------------------------------------------

    /// @dev A claim at N itself is answered by the leaf (stale leaf naming toBob at N = b2; the claim is toCarol
    /// at b2; mallory's exit has its parent after N). Kills `claimBlock > n` -> `claimBlock >= n`.
    function test_RespondWithCheckpoint_AnswersClaimAtN() public {
        Transaction memory toMallory = _tx(slot, b3, mallory);
        uint256 b4 = _submitBlock(toMallory);
        LeafRef memory stale = _pendingLeaf(b2, b1, _digest(toBob));
        _startExit(mallory, toDave, b3, toMallory, daveKey, b4);
        bytes32 id = _carolChallengesBefore(1, toCarol, b2);
        _makeFinal(stale);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.ChallengeAnsweredByCheckpoint(slot, 1, id, stale.k);
        cp.respondChallengeBeforeWithCheckpoint(stale, 1, id);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
    }

    /// @dev Only the checkpointed transaction (B and D) is refused: a claim at B with another digest (the final leaf
    /// names a transaction block B does not hold) is answered by the leaf. Kills `claimBlock == leaf.txBlock &&
    /// challengeId == leaf.txDigest` -> `claimBlock == leaf.txBlock`.
    function test_RespondWithCheckpoint_AnswersOtherTransactionAtB() public {
        Transaction memory toMallory = _tx(slot, b3, mallory);
        uint256 b4 = _submitBlock(toMallory);
        LeafRef memory leaf = _pendingLeaf(b2, b1, _digest(_tx(slot, depositBlock, mallory)));
        _startExit(mallory, toDave, b3, toMallory, daveKey, b4);
        bytes32 id = _carolChallengesBefore(1, toBob, b1);
        _makeFinal(leaf);
        cp.respondChallengeBeforeWithCheckpoint(leaf, 1, id);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
    }

    /// @dev Only the checkpointed transaction (B and D) is refused: the same transaction included again at another
    /// block (toBob replayed at b4) is answered by the leaf. Kills `claimBlock == leaf.txBlock && challengeId ==
    /// leaf.txDigest` -> `challengeId == leaf.txDigest`.
    function test_RespondWithCheckpoint_AnswersCheckpointedTransactionAtAnotherBlock() public {
        uint256 b4 = _submitBlock(toBob); // replayed by the operator
        Transaction memory spend = _tx(slot, b4, carol);
        uint256 b5 = _submitBlock(spend);
        Transaction memory exiting = _tx(slot, b5, dave);
        uint256 b6 = _submitBlock(exiting);
        LeafRef memory leaf = _pendingLeaf(b4, b1, _digest(toBob));
        _startExit(dave, spend, b5, exiting, carolKey, b6);
        bytes32 id = _carolChallengesBefore(1, toBob, b4);
        assertEq(id, leaf.txDigest);
        _makeFinal(leaf);
        cp.respondChallengeBeforeWithCheckpoint(leaf, 1, id);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
    }
}
