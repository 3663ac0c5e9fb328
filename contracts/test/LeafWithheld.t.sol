// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointTestBase} from "./utils/CheckpointTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus, LeafChallengeKind, LeafChallengeStatus, LeafChallenge} from "../src/Checkpoint.sol";

/// @notice challengeLeafWithheld: bob, owner at b1, challenges checkpoint 0 (N = b1) whose leaf he lacks.
contract PlasmaCash_ChallengeLeafWithheld_Test is CheckpointTestBase {
    uint256 internal k;

    function setUp() public override {
        super.setUp();
        k = _submitCheckpoint(b1, b1, _digest(toBob));
    }

    function _challenge(address who) internal returns (bytes32 id) {
        bytes memory proof = _proof(b1, slot);
        vm.prank(who);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
        return _withheldId(b1, _digest(toBob));
    }

    function test_ChallengeLeafWithheld_Opens() public {
        bytes32 id = _withheldId(b1, _digest(toBob));
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafChallengeOpened(
            k, slot, id, LeafChallengeKind.Withheld, bob, toBob, b1, vm.getBlockTimestamp() + RESPONSE_PERIOD
        );
        _challenge(bob);
        LeafChallenge memory c = cp.getLeafChallenge(k, slot, id);
        assertEq(c.challenger, bob);
        assertEq(c.claimBlock, b1);
        assertEq(uint8(c.status), uint8(LeafChallengeStatus.Open));
        assertEq(c.claimOwner, bob);
        assertEq(cp.getLeafState(k, slot).openCount, 1);
        assertEq(address(plasma).balance, 1 ether + CHALLENGE_BOND);
    }

    function test_ChallengeLeafWithheld_DepositClaim() public {
        Transaction memory depositTx = _depositTx(slot);
        uint256 depositBlock = _depositBlock(slot);
        vm.prank(alice);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, depositTx, "", depositBlock);
        assertEq(cp.getLeafState(k, slot).openCount, 1);
    }

    function test_RevertWhen_ChallengeLeafWithheld_WrongBond() public {
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, 1, CHALLENGE_BOND));
        vm.prank(bob);
        cp.challengeLeafWithheld{value: 1}(k, slot, toBob, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafWithheld_UnknownCheckpoint() public {
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.UnknownCheckpoint.selector, 1));
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(1, slot, toBob, proof, b1);
    }

    /// @dev R6: at exactly periodEnd the window is closed (a leaf may read Final at that very time).
    function test_RevertWhen_ChallengeLeafWithheld_AtPeriodEnd() public {
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        vm.warp(periodEnd);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ChallengeWindowClosed.selector, k, slot, periodEnd));
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
    }

    function test_ChallengeLeafWithheld_JustBeforePeriodEnd() public {
        vm.warp(cp.getCheckpoint(k).periodEnd - 1);
        _challenge(bob);
    }

    function test_RevertWhen_ChallengeLeafWithheld_ClaimNotIncluded() public {
        Transaction memory other = _tx(slot, b1, carol); // never included
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, other, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafWithheld_UnknownCoin() public {
        uint64 other = slot ^ 1;
        Transaction memory claim = _tx(other, 1, bob);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnknownCoin.selector, other));
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, other, claim, "", 1);
    }

    function test_RevertWhen_ChallengeLeafWithheld_Twice() public {
        bytes32 id = _challenge(bob);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafChallengeExists.selector, id));
        vm.prank(carol);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
    }

    /// @dev An unanswered challenge past due makes the leaf Void: no further challenge of it.
    function test_RevertWhen_ChallengeLeafWithheld_LeafVoid() public {
        _challenge(bob);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD + 1);
        Transaction memory depositTx = _depositTx(slot);
        uint256 depositBlock = _depositBlock(slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotPending.selector, k, slot, LeafStatus.Void));
        vm.prank(alice);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, depositTx, "", depositBlock);
    }
}

/// @notice answerLeafWithheld: the operator answers bob's challenge with the leaf and the checkpointed tx.
contract PlasmaCash_AnswerLeafWithheld_Test is CheckpointTestBase {
    uint256 internal k;
    bytes32 internal id;
    LeafRef internal leaf;

    function setUp() public override {
        super.setUp();
        k = _submitCheckpoint(b1, b1, _digest(toBob));
        bytes memory proof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
        id = _withheldId(b1, _digest(toBob));
        leaf = _leafRef(k, b1, _digest(toBob));
    }

    function _answer(address who, Transaction memory checkpointed, bytes memory inclusionProof) internal {
        bytes memory sig = _sign(aliceKey, checkpointed);
        vm.prank(who);
        cp.answerLeafWithheld(leaf, id, checkpointed, sig, inclusionProof);
    }

    function test_AnswerLeafWithheld_RevealsAndSplitsTheBond() public {
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        uint256 burnedBefore = plasma.burnedBonds();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD); // inclusive due time
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafRevealed(
            k, slot, id, LeafChallengeKind.Withheld, toBob, b1, sig, proof, periodEnd
        );
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, id, toBob, sig, proof);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Answered));
        assertEq(cp.getLeafState(k, slot).openCount, 0);
        assertEq(cp.getLeafState(k, slot).lastReveal, vm.getBlockTimestamp());
        assertEq(plasma.bondBalance(operator), CHALLENGE_BOND / 2);
        assertEq(plasma.burnedBonds(), burnedBefore + CHALLENGE_BOND - CHALLENGE_BOND / 2);
        (LeafStatus status,) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Pending));
    }

    function test_RevertWhen_AnswerLeafWithheld_TooLate() public {
        uint256 dueAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        vm.warp(dueAt + 1);
        bytes memory proof = _proof(b1, slot);
        bytes memory sig = _sign(aliceKey, toBob);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.AnswerTooLate.selector, id, dueAt));
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, id, toBob, sig, proof);
    }

    function test_RevertWhen_AnswerLeafWithheld_LeafNotProved() public {
        leaf.txBlock = b1 + 1;
        bytes memory proof = _proof(b1, slot);
        bytes memory sig = _sign(aliceKey, toBob);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotProved.selector, k, slot));
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, id, toBob, sig, proof);
    }

    function test_RevertWhen_AnswerLeafWithheld_DigestMismatch() public {
        Transaction memory other = _tx(slot, b1, carol);
        bytes memory proof = _proof(b1, slot);
        bytes memory sig = _sign(aliceKey, other);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.DigestMismatch.selector, _digest(toBob), _digest(other)));
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, id, other, sig, proof);
    }

    /// @dev R8: the checkpointed transaction must really be included at the leaf's block.
    function test_RevertWhen_AnswerLeafWithheld_CheckpointedNotIncluded() public {
        // A leaf naming a transaction that is not in block b1 (operator's lie), under its own checkpoint.
        Transaction memory fake = _tx(slot, b1, mallory);
        uint256 b2 = _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 k2 = _submitCheckpoint(b2, b1, _digest(fake));
        bytes memory claimProof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k2, slot, toBob, claimProof, b1);
        LeafRef memory fakeLeaf = _leafRef(k2, b1, _digest(fake));
        bytes memory proof = _proof(b1, slot);
        bytes memory sig = _sign(bobKey, fake);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        vm.prank(operator);
        cp.answerLeafWithheld(fakeLeaf, id, fake, sig, proof);
    }

    function test_RevertWhen_AnswerLeafWithheld_NotOpen() public {
        bytes memory proof = _proof(b1, slot);
        bytes memory sig = _sign(aliceKey, toBob);
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, id, toBob, sig, proof);
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, id, uint8(LeafChallengeStatus.Answered))
        );
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, id, toBob, sig, proof);
    }
}

/// @notice leafStatus: Pending during the period, Final from periodEnd (inclusive) with nothing open, Void once every
/// open challenge is past due; a reveal keeps it pending RESPONSE_PERIOD more.
contract PlasmaCash_LeafStatus_Test is CheckpointTestBase {
    uint256 internal k;

    function setUp() public override {
        super.setUp();
        k = _submitCheckpoint(b1, b1, _digest(toBob));
    }

    function _status() internal view returns (LeafStatus status, uint256 finalAt) {
        return cp.leafStatus(k, slot);
    }

    function test_LeafStatus_PendingThenFinalAtPeriodEnd() public {
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        (LeafStatus status, uint256 finalAt) = _status();
        assertEq(uint8(status), uint8(LeafStatus.Pending));
        assertEq(finalAt, periodEnd);
        vm.warp(periodEnd - 1);
        (status,) = _status();
        assertEq(uint8(status), uint8(LeafStatus.Pending));
        vm.warp(periodEnd);
        (status,) = _status();
        assertEq(uint8(status), uint8(LeafStatus.Final));
    }

    function test_LeafStatus_OpenChallengeNeverFinal_ThenVoidPastDue() public {
        vm.warp(cp.getCheckpoint(k).periodEnd - 1);
        bytes memory proof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
        uint256 dueAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        vm.warp(dueAt);
        (LeafStatus status, uint256 finalAt) = _status();
        assertEq(uint8(status), uint8(LeafStatus.Pending), "open and answerable: pending");
        assertEq(finalAt, dueAt);
        vm.warp(dueAt + 1);
        (status,) = _status();
        assertEq(uint8(status), uint8(LeafStatus.Void), "every open challenge past due: void");
    }

    function test_LeafStatus_RevealPushesFinality() public {
        vm.warp(cp.getCheckpoint(k).periodEnd - 1);
        bytes memory proof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        LeafRef memory leaf = _leafRef(k, b1, _digest(toBob));
        bytes memory sig = _sign(aliceKey, toBob);
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, _withheldId(b1, _digest(toBob)), toBob, sig, proof);
        uint256 revealedAt = vm.getBlockTimestamp();
        (LeafStatus status, uint256 finalAt) = _status();
        assertEq(uint8(status), uint8(LeafStatus.Pending));
        assertEq(finalAt, revealedAt + RESPONSE_PERIOD);
        vm.warp(finalAt);
        (status,) = _status();
        assertEq(uint8(status), uint8(LeafStatus.Final));
    }

    function test_RevertWhen_LeafStatus_UnknownCheckpoint() public {
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.UnknownCheckpoint.selector, 5));
        cp.leafStatus(5, slot);
    }
}
