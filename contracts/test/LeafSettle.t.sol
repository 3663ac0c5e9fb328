// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointTestBase} from "./utils/CheckpointTestBase.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus, LeafChallengeKind, LeafChallengeStatus, VoidReason} from "../src/Checkpoint.sol";

/// @notice settleLeafChallenge (call 11). The operator includes a forged spend of bob's coin (bob -> mallory, which
/// bob never signed) at b2 and checkpoints it: leaf (b2, forged) of checkpoint k at N = b2 is in its block, so only
/// bob's invalid-history challenge (claim: toBob at b1) catches it, and nobody can answer it.
contract PlasmaCash_SettleLeafChallenge_Test is CheckpointTestBase {
    uint256 internal b2;
    Transaction internal forged;
    uint256 internal k;
    LeafRef internal leaf;
    bytes32 internal id;
    uint256 internal dueAt;

    function setUp() public override {
        super.setUp();
        forged = _tx(slot, b1, mallory);
        b2 = _submitBlock(forged);
        k = _submitCheckpoint(b2, b2, _digest(forged));
        leaf = _leafRef(k, b2, _digest(forged));
        bytes memory proof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
        id = keccak256(abi.encode(uint8(LeafChallengeKind.InvalidHistory), b1, _digest(toBob)));
        dueAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
    }

    /// @dev R19: an unanswered invalid-history challenge voids the leaf after RESPONSE_PERIOD and its bond returns.
    function test_SettleLeafChallenge_UnansweredVoidsAndReturnsTheBond() public {
        vm.warp(dueAt + 1);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafVoided(k, slot, VoidReason.Unanswered, id);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafChallengeSettled(k, slot, id, bob);
        vm.prank(carol); // anyone
        cp.settleLeafChallenge(k, slot, id);
        _assertVoid(k, slot, VoidReason.Unanswered);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Settled));
        assertEq(cp.getLeafState(k, slot).openCount, 0);
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND, "the whole bond back to the challenger");
        assertEq(plasma.bondBalance(carol), 0);
        uint256 before = bob.balance;
        vm.prank(bob);
        plasma.withdrawBonds();
        assertEq(bob.balance, before + CHALLENGE_BOND);
        // Void for good: no challenge, no answer.
        vm.warp(dueAt + 2 * RESPONSE_PERIOD);
        (LeafStatus status,) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Void));
    }

    /// @dev The Withheld kind settles the same way.
    function test_SettleLeafChallenge_UnansweredWithheld() public {
        bytes memory proof = _proof(b1, slot);
        vm.prank(carol);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
        bytes32 withheld = _withheldId(b1, _digest(toBob));
        uint256 withheldDue = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        vm.warp(withheldDue + 1);
        cp.settleLeafChallenge(k, slot, withheld);
        _assertVoid(k, slot, VoidReason.Unanswered);
        assertEq(plasma.bondBalance(carol), CHALLENGE_BOND);
        assertEq(uint8(cp.getLeafChallenge(k, slot, withheld).status), uint8(LeafChallengeStatus.Settled));
    }

    /// @dev Inclusive due time: at dueAt the challenge can still be answered, so it cannot be settled.
    function test_RevertWhen_SettleLeafChallenge_NotDue() public {
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ChallengeNotDue.selector, id, dueAt));
        cp.settleLeafChallenge(k, slot, id);
        vm.warp(dueAt);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ChallengeNotDue.selector, id, dueAt));
        cp.settleLeafChallenge(k, slot, id);
    }

    /// @dev On a leaf already void, an open challenge settles at any time (its bond back, the reason kept).
    function test_SettleLeafChallenge_OnAVoidLeafAnyTime() public {
        vm.warp(dueAt - RESPONSE_PERIOD / 2);
        bytes memory proof = _proof(b1, slot);
        vm.prank(carol);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
        bytes32 second = _withheldId(b1, _digest(toBob));
        vm.warp(dueAt + 1); // the second is not due until dueAt + RP / 2
        cp.settleLeafChallenge(k, slot, id);
        cp.settleLeafChallenge(k, slot, second);
        assertEq(plasma.bondBalance(carol), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND);
        assertEq(cp.getLeafState(k, slot).openCount, 0);
        _assertVoid(k, slot, VoidReason.Unanswered);
    }

    /// @dev A leaf voided at once (here: not included) returns the bonds of its open challenges at once.
    function test_SettleLeafChallenge_OnALeafVoidedAtOnce() public {
        uint256 b3 = _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        bytes32 fake = keccak256("not in b2");
        uint256 k2 = _submitCheckpoint(b3, b2, fake);
        LeafRef memory leaf2 = _leafRef(k2, b2, fake);
        bytes memory proof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf2, toBob, proof, b1);
        bytes memory actualProof = _proof(b2, slot);
        cp.challengeLeafNotIncluded(leaf2, _digest(forged), actualProof);
        uint256 before = plasma.bondBalance(bob);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafChallengeSettled(k2, slot, id, bob);
        cp.settleLeafChallenge(k2, slot, id);
        assertEq(plasma.bondBalance(bob), before + CHALLENGE_BOND);
        _assertVoid(k2, slot, VoidReason.NotIncluded);
    }

    function test_RevertWhen_SettleLeafChallenge_Unknown() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, unknown, uint8(0)));
        cp.settleLeafChallenge(k, slot, unknown);
    }

    function test_RevertWhen_SettleLeafChallenge_Twice() public {
        vm.warp(dueAt + 1);
        cp.settleLeafChallenge(k, slot, id);
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, id, uint8(LeafChallengeStatus.Settled))
        );
        cp.settleLeafChallenge(k, slot, id);
    }

    /// @dev An answered challenge never settles (its bond was split).
    function test_RevertWhen_SettleLeafChallenge_Answered() public {
        // The honest checkpoint k0 (N = b1) of toBob: alice's deposit claim answered by toBob.
        uint256 b3 = _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        Transaction memory depositTx = _depositTx(slot);
        uint256 k2 = _submitCheckpoint(b3, b1, _digest(toBob));
        LeafRef memory leaf2 = _leafRef(k2, b1, _digest(toBob));
        vm.prank(alice);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf2, depositTx, "", _depositBlock(slot));
        bytes32 answered = keccak256(abi.encode(uint8(2), _depositBlock(slot), _digest(depositTx)));
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        cp.answerLeafHistory(k2, slot, answered, toBob, sig, proof, b1);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICheckpoints.LeafChallengeNotOpen.selector, answered, uint8(LeafChallengeStatus.Answered)
            )
        );
        cp.settleLeafChallenge(k2, slot, answered);
    }
}
