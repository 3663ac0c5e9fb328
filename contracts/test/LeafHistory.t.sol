// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointTestBase} from "./utils/CheckpointTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {
    LeafRef, LeafStatus, LeafChallengeKind, LeafChallengeStatus, LeafChallenge, LeafState
} from "../src/Checkpoint.sol";

/// @notice The coin's chain: alice's deposit at d, alice -> bob at b1, bob -> carol at b2, carol -> dave at b3.
/// Checkpoint k0 of b1 names (b1, toBob); checkpoint k, RESPONSE_PERIOD later, of b3 names (b3, toDave): both honest.
/// k0 is final at its periodEnd while k is still pending (its period ends RESPONSE_PERIOD later).
abstract contract LeafHistoryTestBase is CheckpointTestBase {
    uint256 internal d;
    uint256 internal b2;
    uint256 internal b3;
    Transaction internal toCarol;
    Transaction internal toDave;
    uint256 internal k0;
    uint256 internal k;
    uint256 internal t0;

    function setUp() public virtual override {
        super.setUp();
        d = _depositBlock(slot);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        toDave = _tx(slot, b2, dave);
        b3 = _submitBlock(toDave);
        t0 = vm.getBlockTimestamp();
        k0 = _submitCheckpoint(b1, b1, _digest(toBob));
        vm.warp(t0 + RESPONSE_PERIOD);
        k = _submitCheckpoint(b3, b3, _digest(toDave));
    }

    function _leaf() internal view returns (LeafRef memory) {
        return _leafRef(k, b3, _digest(toDave));
    }

    function _historyId(uint256 claimBlock, Transaction memory claim) internal view returns (bytes32) {
        return keccak256(abi.encode(uint8(LeafChallengeKind.InvalidHistory), claimBlock, _digest(claim)));
    }

    /// @dev `who` opens an InvalidHistory challenge of `leaf` with `claim` at `claimBlock` (deposit: empty proof).
    function _challenge(address who, LeafRef memory leaf, Transaction memory claim, uint256 claimBlock)
        internal
        returns (bytes32 id)
    {
        bytes memory proof = claimBlock == d ? bytes("") : _proof(claimBlock, slot);
        vm.deal(who, who.balance + CHALLENGE_BOND);
        vm.prank(who);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, claim, proof, claimBlock);
        return _historyId(claimBlock, claim);
    }

    /// @dev `who` answers challenge `id` of leaf (kk, slot) with `child` at `childBlock`, signed with `key`.
    function _answer(address who, uint256 kk, bytes32 id, Transaction memory child, uint256 key, uint256 childBlock)
        internal
    {
        bytes memory sig = _sign(key, child);
        bytes memory proof = _proof(childBlock, slot);
        vm.prank(who);
        cp.answerLeafHistory(kk, slot, id, child, sig, proof, childBlock);
    }

    /// @dev Applies final leaf `leaf` as the coin's base (applyCheckpoint, call 12).
    function _applyBase(LeafRef memory leaf) internal {
        (LeafStatus status,) = cp.leafStatus(leaf.k, leaf.slot);
        assertEq(uint8(status), uint8(LeafStatus.Final), "a base is final");
        cp.applyCheckpoint(leaf);
    }

    /// @dev Applies k0 (N0 = b1, naming (b1, toBob)) as the base, at its periodEnd (k is still pending).
    function _applyK0() internal {
        vm.warp(cp.getCheckpoint(k0).periodEnd);
        _applyBase(_leafRef(k0, b1, _digest(toBob)));
    }

    /// @dev Keeps k0 pending past k's finality, then applies k (N = b3 >= k0's N) as the base: alice's Withheld
    /// challenge of k0 (deposit claim) opened at periodEnd - 1 and answered at its due time pushes k0's finality
    /// to periodEnd - 1 + 2 RP, past k's periodEnd. Leaves the deposit claim revealed on k0 (answered Withheld).
    function _applyNewerBaseWhileK0Pending() internal {
        vm.warp(cp.getCheckpoint(k0).periodEnd - 1);
        Transaction memory depositTx = _depositTx(slot);
        vm.prank(alice);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k0, slot, depositTx, "", d);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        bytes memory proof = _proof(b1, slot);
        bytes memory sig = _sign(aliceKey, toBob);
        LeafRef memory leaf0 = _leafRef(k0, b1, _digest(toBob));
        vm.prank(operator);
        cp.answerLeafWithheld(leaf0, _withheldId(d, _digest(depositTx)), toBob, sig, proof);
        vm.warp(cp.getCheckpoint(k).periodEnd);
        _applyBase(_leaf());
        (LeafStatus status,) = cp.leafStatus(k0, slot);
        assertEq(uint8(status), uint8(LeafStatus.Pending), "k0 still pending");
    }
}

/// @notice challengeLeafHistory (call 8).
contract PlasmaCash_ChallengeLeafHistory_Test is LeafHistoryTestBase {
    function test_ChallengeLeafHistory_Opens() public {
        bytes32 id = _historyId(b1, toBob);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafChallengeOpened(
            k, slot, id, LeafChallengeKind.InvalidHistory, mallory, toBob, b1, vm.getBlockTimestamp() + RESPONSE_PERIOD
        );
        _challenge(mallory, _leaf(), toBob, b1);
        LeafChallenge memory c = cp.getLeafChallenge(k, slot, id);
        assertEq(c.challenger, mallory);
        assertEq(c.claimBlock, b1);
        assertEq(uint8(c.kind), uint8(LeafChallengeKind.InvalidHistory));
        assertEq(uint8(c.status), uint8(LeafChallengeStatus.Open));
        assertEq(c.openedAt, vm.getBlockTimestamp());
        assertEq(c.claimOwner, bob, "the claim's new owner");
        assertEq(c.leafTxBlock, b3, "the leaf's txBlock, for the answer");
        LeafState memory state = cp.getLeafState(k, slot);
        assertEq(state.openCount, 1);
        assertEq(state.latestOpenedAt, vm.getBlockTimestamp());
        assertEq(address(plasma).balance, 1 ether + CHALLENGE_BOND);
    }

    function test_ChallengeLeafHistory_DepositClaim() public {
        bytes32 id = _challenge(mallory, _leaf(), _depositTx(slot), d);
        assertEq(cp.getLeafChallenge(k, slot, id).claimOwner, alice, "the depositor");
    }

    /// @dev The same claim may be used once per kind: a Withheld challenge does not block an InvalidHistory one.
    function test_ChallengeLeafHistory_BesideAWithheldOfTheSameClaim() public {
        bytes memory proof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, proof, b1);
        _challenge(bob, _leaf(), toBob, b1);
        assertEq(cp.getLeafState(k, slot).openCount, 2);
    }

    function test_RevertWhen_ChallengeLeafHistory_WrongBond() public {
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, CHALLENGE_BOND + 1, CHALLENGE_BOND));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND + 1}(leaf, toBob, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafHistory_LeafNotProved() public {
        LeafRef memory leaf = _leaf();
        leaf.txDigest = _digest(toCarol);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotProved.selector, k, slot));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafHistory_UnknownCheckpoint() public {
        LeafRef memory leaf = _leaf();
        leaf.k = 7;
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.UnknownCheckpoint.selector, 7));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafHistory_LeafFinal() public {
        vm.warp(cp.getCheckpoint(k).periodEnd);
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotPending.selector, k, slot, LeafStatus.Final));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafHistory_LeafVoid() public {
        _challenge(mallory, _leaf(), toBob, b1);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD + 1);
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotPending.selector, k, slot, LeafStatus.Void));
        vm.prank(carol);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toCarol, proof, b2);
    }

    /// @dev R6: at exactly finalAt (an open challenge's due time, after the period) no challenge is accepted, even
    /// with a revealed claim; one second earlier it is.
    function test_RevertWhen_ChallengeLeafHistory_AtFinalAt() public {
        bytes32 first = _challenge(mallory, _leaf(), _depositTx(slot), d);
        _answer(operator, k, first, toBob, aliceKey, b1); // reveals (b1, toBob)
        vm.warp(cp.getCheckpoint(k).periodEnd - 1);
        _challenge(mallory, _leaf(), toCarol, b2); // open until periodEnd - 1 + RP
        uint256 dueAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        vm.warp(dueAt);
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ChallengeWindowClosed.selector, k, slot, dueAt));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
        vm.warp(dueAt - 1);
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafHistory_UnknownCoin() public {
        uint64 none = slot ^ 1;
        uint256 n = _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 kn = _submitCheckpointFor(none, n, b3, _digest(toDave));
        LeafRef memory leaf = _leafRefFor(none, kn, b3, _digest(toDave));
        Transaction memory claim = Transaction({slot: none, prevBlock: 0, denomination: 1 ether, newOwner: bob});
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnknownCoin.selector, none));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, claim, "", 1);
    }

    function test_RevertWhen_ChallengeLeafHistory_ClaimNotIncluded() public {
        Transaction memory other = _tx(slot, d, mallory); // never included
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        vm.prank(mallory);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, other, proof, b1);
    }

    function test_RevertWhen_ChallengeLeafHistory_ClaimBeforeDeposit() public {
        Transaction memory claim = _tx(slot, 0, mallory);
        LeafRef memory leaf = _leaf();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BeforeDeposit.selector, d - 1, d));
        vm.prank(mallory);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, claim, "", d - 1);
    }

    function test_RevertWhen_ChallengeLeafHistory_NotTheDepositTransaction() public {
        Transaction memory claim = _tx(slot, 0, mallory);
        LeafRef memory leaf = _leaf();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        vm.prank(mallory);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, claim, "", d);
    }

    function test_RevertWhen_ChallengeLeafHistory_ClaimAtTxBlock() public {
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b3, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotBeforeLeaf.selector, b3, b3));
        vm.prank(dave);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toDave, proof, b3);
    }

    function test_RevertWhen_ChallengeLeafHistory_ClaimAfterTxBlock() public {
        // k0 names (b1, toBob): a claim at b2 is after it.
        LeafRef memory leaf = _leafRef(k0, b1, _digest(toBob));
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotBeforeLeaf.selector, b2, b1));
        vm.prank(carol);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toCarol, proof, b2);
    }

    function test_RevertWhen_ChallengeLeafHistory_Twice() public {
        bytes32 id = _challenge(mallory, _leaf(), toBob, b1);
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafChallengeExists.selector, id));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
    }

    // The applied base (B0, D0) = (b1, toBob) at N0 = b1 < N = b3.

    function test_RevertWhen_ChallengeLeafHistory_ClaimSettledByTheBase() public {
        _applyK0();
        LeafRef memory leaf = _leaf();
        Transaction memory depositTx = _depositTx(slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotAllowed.selector, k, slot, d));
        vm.prank(mallory);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, depositTx, "", d);
    }

    /// @dev A claim at the base's own block with another digest is settled too: here a base whose digest is not
    /// the transaction in its block (a lie nobody challenged) on a second coin s2, and s2's real transaction there.
    function test_RevertWhen_ChallengeLeafHistory_OtherClaimAtTheBaseBlock() public {
        uint64 s2 = _depositEth(alice, 1 ether);
        Transaction memory s2ToBob = _tx(s2, _depositBlock(s2), bob);
        uint256 c1 = _submitBlock(s2ToBob);
        Transaction memory s2ToCarol = _tx(s2, c1, carol);
        uint256 c2 = _submitBlock(s2ToCarol);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 kf = _submitCheckpointFor(s2, c1, c1, keccak256("fake"));
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 kk = _submitCheckpointFor(s2, c2, c2, _digest(s2ToCarol));
        vm.warp(cp.getCheckpoint(kf).periodEnd);
        _applyBase(_leafRefFor(s2, kf, c1, keccak256("fake")));
        LeafRef memory leaf = _leafRefFor(s2, kk, c2, _digest(s2ToCarol));
        bytes memory proof = _proof(c1, s2);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotAllowed.selector, kk, s2, c1));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, s2ToBob, proof, c1);
    }

    function test_ChallengeLeafHistory_ClaimIsTheBase() public {
        _applyK0();
        bytes32 id = _challenge(mallory, _leaf(), toBob, b1);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Open));
    }

    function test_ChallengeLeafHistory_ClaimAfterTheBase() public {
        _applyK0();
        bytes32 id = _challenge(mallory, _leaf(), toCarol, b2);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Open));
    }

    /// @dev A base at N0 >= N (a newer checkpoint's) does not restrict the claims of leaf k0.
    function test_ChallengeLeafHistory_BaseNotBeforeTheLeafDoesNotRestrict() public {
        _applyNewerBaseWhileK0Pending();
        LeafRef memory leaf0 = _leafRef(k0, b1, _digest(toBob));
        bytes32 id = _challenge(mallory, leaf0, _depositTx(slot), d);
        assertEq(uint8(cp.getLeafChallenge(k0, slot, id).status), uint8(LeafChallengeStatus.Open));
    }

    // After the period: only revealed claims.

    function test_RevertWhen_ChallengeLeafHistory_UnrevealedClaimAfterThePeriod() public {
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        vm.warp(periodEnd - 1);
        _challenge(mallory, _leaf(), _depositTx(slot), d); // keeps the leaf pending
        vm.warp(periodEnd);
        LeafRef memory leaf = _leaf();
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ChallengeWindowClosed.selector, k, slot, periodEnd));
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, toBob, proof, b1);
    }

    function test_ChallengeLeafHistory_UnrevealedClaimJustBeforePeriodEnd() public {
        vm.warp(cp.getCheckpoint(k).periodEnd - 1);
        _challenge(bob, _leaf(), toBob, b1);
    }

    /// @dev The issue's case: a claim an answer revealed opens a challenge after the period.
    function test_ChallengeLeafHistory_RevealedClaimAfterThePeriod() public {
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        vm.warp(periodEnd - 1);
        bytes32 first = _challenge(mallory, _leaf(), _depositTx(slot), d);
        _answer(operator, k, first, toBob, aliceKey, b1);
        assertTrue(cp.isClaimRevealed(k, slot, b1, _digest(toBob)), "revealed");
        vm.warp(periodEnd);
        bytes32 id = _challenge(bob, _leaf(), toBob, b1);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Open));
    }

    /// @dev The receipt named by an answered Withheld challenge opens a challenge after the period.
    function test_ChallengeLeafHistory_AnsweredWithheldClaimAfterThePeriod() public {
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        vm.warp(periodEnd - 1);
        bytes memory proof = _proof(b2, slot);
        vm.prank(carol);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toCarol, proof, b2);
        bytes memory sig = _sign(carolKey, toDave);
        bytes memory daveProof = _proof(b3, slot);
        LeafRef memory leaf = _leaf();
        vm.prank(operator);
        cp.answerLeafWithheld(leaf, _withheldId(b2, _digest(toCarol)), toDave, sig, daveProof);
        assertTrue(cp.isClaimRevealed(k, slot, b2, _digest(toCarol)), "the withheld claim counts as revealed");
        assertFalse(cp.isClaimRevealed(k, slot, b1, _digest(toBob)), "nothing else");
        vm.warp(periodEnd);
        _challenge(carol, _leaf(), toCarol, b2);
    }
}

/// @notice answerLeafHistory (call 9): mallory claims bob never spent toBob (b1) against k's honest leaf; the
/// operator answers with bob's spend toCarol (b2).
contract PlasmaCash_AnswerLeafHistory_Test is LeafHistoryTestBase {
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        id = _challenge(mallory, _leaf(), toBob, b1);
    }

    function test_AnswerLeafHistory_RevealsAndSplitsTheBond() public {
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        uint256 burnedBefore = plasma.burnedBonds();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD); // inclusive due time
        uint256 finalNotBefore = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        if (periodEnd > finalNotBefore) finalNotBefore = periodEnd;
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafRevealed(
            k, slot, id, LeafChallengeKind.InvalidHistory, toCarol, b2, sig, proof, finalNotBefore
        );
        vm.prank(operator);
        cp.answerLeafHistory(k, slot, id, toCarol, sig, proof, b2);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Answered));
        LeafState memory state = cp.getLeafState(k, slot);
        assertEq(state.openCount, 0);
        assertEq(state.lastReveal, vm.getBlockTimestamp());
        assertEq(plasma.bondBalance(operator), CHALLENGE_BOND / 2);
        assertEq(plasma.burnedBonds(), burnedBefore + CHALLENGE_BOND - CHALLENGE_BOND / 2);
        assertTrue(cp.isClaimRevealed(k, slot, b2, _digest(toCarol)), "the child is revealed");
        assertFalse(cp.isClaimRevealed(k0, slot, b2, _digest(toCarol)), "on this leaf only");
    }

    /// @dev The issue's attack: a griefer's invalid-history challenge on an honest leaf is answered and loses its
    /// bond; the leaf becomes final once the answer's response period has passed.
    function test_Attack_GrieferChallengeOnHonestLeafIsAnsweredAndLosesItsBond() public {
        uint256 malloryBefore = mallory.balance;
        _answer(operator, k, id, toCarol, bobKey, b2);
        assertEq(plasma.bondBalance(mallory), 0, "nothing back");
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, id, uint8(LeafChallengeStatus.Answered))
        );
        cp.settleLeafChallenge(k, slot, id);
        (LeafStatus status, uint256 finalAt) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Pending));
        vm.warp(finalAt);
        (status,) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Final), "the honest leaf is final");
        assertEq(mallory.balance, malloryBefore, "the bond stays paid");
        assertEq(plasma.bondBalance(operator), CHALLENGE_BOND / 2);
    }

    /// @dev The answer pushes finality: Pending until lastReveal + RP even past the period.
    function test_AnswerLeafHistory_LeafPendingUntilLastRevealPlusResponsePeriod() public {
        _answer(operator, k, id, toCarol, bobKey, b2); // an early reveal
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        vm.warp(periodEnd - 1);
        bytes32 late = _challenge(mallory, _leaf(), _depositTx(slot), d);
        vm.warp(periodEnd - 1 + RESPONSE_PERIOD);
        _answer(operator, k, late, toBob, aliceKey, b1);
        uint256 revealedAt = vm.getBlockTimestamp();
        (LeafStatus status, uint256 finalAt) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Pending), "past the period, pending");
        assertEq(finalAt, revealedAt + RESPONSE_PERIOD, "the last reveal decides");
        vm.warp(finalAt - 1);
        (status,) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Pending));
        vm.warp(finalAt);
        (status,) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Final));
    }

    /// @dev A child at the leaf's own block can never be a claim of the leaf: it is not marked.
    function test_AnswerLeafHistory_ChildAtTxBlockNotMarked() public {
        bytes32 other = _challenge(mallory, _leaf(), toCarol, b2);
        _answer(operator, k, other, toDave, carolKey, b3);
        assertFalse(cp.isClaimRevealed(k, slot, b3, _digest(toDave)));
        assertEq(uint8(cp.getLeafChallenge(k, slot, other).status), uint8(LeafChallengeStatus.Answered));
    }

    function test_RevertWhen_AnswerLeafHistory_TooLate() public {
        uint256 dueAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        vm.warp(dueAt + 1);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.AnswerTooLate.selector, id, dueAt));
        vm.prank(operator);
        cp.answerLeafHistory(k, slot, id, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_AnswerLeafHistory_UnknownChallenge() public {
        bytes32 unknown = _historyId(b2, toCarol);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, unknown, uint8(0)));
        cp.answerLeafHistory(k, slot, unknown, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_AnswerLeafHistory_WithheldChallenge() public {
        bytes memory claimProof = _proof(b1, slot);
        vm.prank(bob);
        cp.challengeLeafWithheld{value: CHALLENGE_BOND}(k, slot, toBob, claimProof, b1);
        bytes32 withheld = _withheldId(b1, _digest(toBob));
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, withheld, uint8(LeafChallengeStatus.Open))
        );
        cp.answerLeafHistory(k, slot, withheld, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_AnswerLeafHistory_Twice() public {
        _answer(operator, k, id, toCarol, bobKey, b2);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, id, uint8(LeafChallengeStatus.Answered))
        );
        cp.answerLeafHistory(k, slot, id, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_AnswerLeafHistory_NotAChildOfTheClaim() public {
        // toDave spends b2, not the claim's block b1.
        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b3, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b1, b2));
        cp.answerLeafHistory(k, slot, id, toDave, sig, proof, b3);
    }

    /// @dev A child included after the leaf's block does not answer: the leaf names (e, fake) at an empty block e
    /// after the claim (coin s2); the claim owner's real spend after e is no answer.
    function test_RevertWhen_AnswerLeafHistory_ChildAfterTheLeafsBlock() public {
        uint64 s2 = _depositEth(alice, 1 ether);
        Transaction memory s2ToBob = _tx(s2, _depositBlock(s2), bob);
        uint256 c1 = _submitBlock(s2ToBob);
        uint256 empty = _submitEmptyBlock();
        Transaction memory s2ToCarol = _tx(s2, c1, carol);
        uint256 c3 = _submitBlock(s2ToCarol);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 kk = _submitCheckpointFor(s2, c3, empty, keccak256("fake"));
        LeafRef memory leaf = _leafRefFor(s2, kk, empty, keccak256("fake"));
        bytes memory claimProof = _proof(c1, s2);
        vm.prank(bob);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, s2ToBob, claimProof, c1);
        bytes32 cid = _historyId(c1, s2ToBob);
        bytes memory sig = _sign(bobKey, s2ToCarol);
        bytes memory proof = _proof(c3, s2);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.SpendOutOfRange.selector, c3, c1, empty));
        cp.answerLeafHistory(kk, s2, cid, s2ToCarol, sig, proof, c3);
    }

    /// @dev A child included at or before the claim's block (prevBlock naming a later block) does not answer.
    function test_RevertWhen_AnswerLeafHistory_ChildNotAfterTheClaim() public {
        uint256 next = plasma.nextChildBlock();
        // carol signs a spend of a block that is not yet committed; it is included first, at `next`.
        Transaction memory early = _tx(slot, next + INTERVAL, mallory);
        uint256 e = _submitBlock(early);
        Transaction memory claim = _tx(slot, b3, carol); // included at e + INTERVAL (a double of toDave)
        uint256 c = _submitBlock(claim);
        assertEq(c, early.prevBlock);
        uint256 m = _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 kk = _submitCheckpoint(m, m, keccak256("leaf"));
        LeafRef memory leaf = _leafRef(kk, m, keccak256("leaf"));
        bytes memory claimProof = _proof(c, slot);
        vm.prank(carol);
        cp.challengeLeafHistory{value: CHALLENGE_BOND}(leaf, claim, claimProof, c);
        bytes32 cid = _historyId(c, claim);
        bytes memory sig = _sign(carolKey, early);
        bytes memory proof = _proof(e, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.SpendOutOfRange.selector, e, c, m));
        cp.answerLeafHistory(kk, slot, cid, early, sig, proof, e);
    }

    function test_RevertWhen_AnswerLeafHistory_ChildNotIncluded() public {
        Transaction memory other = _tx(slot, b1, mallory); // bob's, never included
        bytes memory sig = _sign(bobKey, other);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b2));
        cp.answerLeafHistory(k, slot, id, other, sig, proof, b2);
    }

    function test_RevertWhen_AnswerLeafHistory_NotSignedByTheClaimOwner() public {
        bytes memory sig = _sign(malloryKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, mallory));
        cp.answerLeafHistory(k, slot, id, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_AnswerLeafHistory_ChildOfAnotherCoin() public {
        uint64 other = _depositEth(bob, 1 ether);
        Transaction memory child = _tx(other, b1, carol);
        uint256 c = _submitBlock(child);
        bytes memory sig = _sign(bobKey, child);
        bytes memory proof = _proof(c, other);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SlotMismatch.selector, slot, other));
        cp.answerLeafHistory(k, slot, id, child, sig, proof, b2);
    }

    /// @dev No answer reaches a leaf recorded void (here by another challenge's settlement).
    function test_RevertWhen_AnswerLeafHistory_LeafVoid() public {
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD / 2);
        bytes32 earlier = id;
        id = _challenge(mallory, _leaf(), _depositTx(slot), d);
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD / 2 + 1); // earlier past due, id still answerable
        cp.settleLeafChallenge(k, slot, earlier);
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotPending.selector, k, slot, LeafStatus.Void));
        cp.answerLeafHistory(k, slot, id, toBob, sig, proof, b1);
    }
}

/// @notice dismissLeafHistory (call 10): mallory claims alice's deposit (at d, before N0 = b1) against k while no
/// base is applied; bob applies k0 (b1, toBob) as the base and dismisses it.
contract PlasmaCash_DismissLeafHistory_Test is LeafHistoryTestBase {
    bytes32 internal id;
    bytes32 internal depositDigest;

    function setUp() public override {
        super.setUp();
        vm.warp(cp.getCheckpoint(k0).periodEnd - RESPONSE_PERIOD / 2);
        id = _challenge(mallory, _leaf(), _depositTx(slot), d);
        depositDigest = _digest(_depositTx(slot));
    }

    /// @dev R5: a claim before the applied base is dismissed; the griefer loses its bond; no reveal.
    function test_DismissLeafHistory_ClaimBeforeTheBase() public {
        _applyK0();
        uint256 burnedBefore = plasma.burnedBonds();
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafChallengeDismissed(k, slot, id, k0);
        vm.prank(bob);
        cp.dismissLeafHistory(k, slot, d, depositDigest);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Answered));
        LeafState memory state = cp.getLeafState(k, slot);
        assertEq(state.openCount, 0, "the open count drops");
        assertEq(state.lastReveal, 0, "not a reveal");
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND / 2);
        assertEq(plasma.burnedBonds(), burnedBefore + CHALLENGE_BOND - CHALLENGE_BOND / 2);
        // Finality is the later of the period's end and the challenge's due time, not pushed by the dismissal.
        (LeafStatus status, uint256 finalAt) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Pending));
        uint256 due = cp.getLeafChallenge(k, slot, id).openedAt + RESPONSE_PERIOD;
        uint256 periodEnd = cp.getCheckpoint(k).periodEnd;
        assertEq(finalAt, periodEnd > due ? periodEnd : due);
        vm.warp(finalAt);
        (status,) = cp.leafStatus(k, slot);
        assertEq(uint8(status), uint8(LeafStatus.Final));
    }

    function test_DismissLeafHistory_AtTheDueTime() public {
        _applyK0();
        vm.warp(cp.getLeafChallenge(k, slot, id).openedAt + RESPONSE_PERIOD);
        cp.dismissLeafHistory(k, slot, d, depositDigest);
        assertEq(uint8(cp.getLeafChallenge(k, slot, id).status), uint8(LeafChallengeStatus.Answered));
    }

    function test_RevertWhen_DismissLeafHistory_NoBase() public {
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotSettledByBase.selector, id, 0));
        cp.dismissLeafHistory(k, slot, d, depositDigest);
    }

    function test_RevertWhen_DismissLeafHistory_ClaimIsTheBase() public {
        bytes32 baseClaim = _challenge(mallory, _leaf(), toBob, b1);
        _applyK0();
        bytes32 digest = _digest(toBob);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotSettledByBase.selector, baseClaim, b1));
        cp.dismissLeafHistory(k, slot, b1, digest);
    }

    function test_RevertWhen_DismissLeafHistory_ClaimAfterTheBase() public {
        bytes32 later = _challenge(mallory, _leaf(), toCarol, b2);
        _applyK0();
        bytes32 digest = _digest(toCarol);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotSettledByBase.selector, later, b1));
        cp.dismissLeafHistory(k, slot, b2, digest);
    }

    /// @dev A base at N0 >= N does not dismiss claims of the older leaf k0.
    function test_RevertWhen_DismissLeafHistory_BaseNotBeforeTheLeaf() public {
        _answer(operator, k, id, toBob, aliceKey, b1); // k must become final to be the base
        _applyNewerBaseWhileK0Pending();
        LeafRef memory leaf0 = _leafRef(k0, b1, _digest(toBob));
        bytes32 claim0 = _challenge(mallory, leaf0, _depositTx(slot), d);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.ClaimNotSettledByBase.selector, claim0, b3));
        cp.dismissLeafHistory(k0, slot, d, depositDigest);
    }

    function test_RevertWhen_DismissLeafHistory_NotOpen() public {
        _applyK0();
        cp.dismissLeafHistory(k, slot, d, depositDigest);
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, id, uint8(LeafChallengeStatus.Answered))
        );
        cp.dismissLeafHistory(k, slot, d, depositDigest);
        bytes32 unknown = _historyId(b1, toBob);
        bytes32 digest = _digest(toBob);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafChallengeNotOpen.selector, unknown, uint8(0)));
        cp.dismissLeafHistory(k, slot, b1, digest);
    }

    /// @dev Dismissal is an answer: not after the due time (then the challenge settles and voids the leaf).
    function test_RevertWhen_DismissLeafHistory_TooLate() public {
        _applyK0();
        uint256 dueAt = cp.getLeafChallenge(k, slot, id).openedAt + RESPONSE_PERIOD;
        vm.warp(dueAt + 1);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.AnswerTooLate.selector, id, dueAt));
        cp.dismissLeafHistory(k, slot, d, depositDigest);
    }
}
