// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsTestBase} from "../utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../src/Transaction.sol";
import {LeafRef, LeafStatus} from "../../src/Checkpoint.sol";

/// @notice Adversarial review of the checkpoint game (stage e). Every test asserts the CORRECT behaviour: a test
/// that fails shows a finding.
///
/// Finding F1 (theft; design: R10's "first applied wins" + the receiver rule). R10 assumes two conflicting final
/// leaves need the absence of an online honest owner. But the owner during both pending periods may be the thief's
/// accomplice (bob, a former owner colluding with the operator), and the honest victim (carol) only receives the
/// coin later: the receiver rule (PROTOCOL.md §10, CHECKPOINTS.md §7) checks the base (newest final leaf), the
/// blocks after it and the pending leaves, never an older final leaf nor the on-chain coinBase.
///   1. bob owns (b1, toBob). bob signs toMallory, included at h (withheld from everyone but mallory).
///   2. Leaf La @ N_a = h names (h, toMallory) (true). Final (bob/mallory do not object).
///   3. Leaf Lb @ N_b > h names (b1, toBob) (stale: it hides h). Final (nobody objects; bob is "the owner").
///      La and Lb conflict (B_b = b1 < B_a = h), but challengeLeafConflict is a call nobody is paid for.
///   4. mallory applies La (first applied wins, any time after La is final: long before carol shows up).
///   5. bob double-spends b1 to carol at r > N_b. carol's package: base Lb (final, proved), blocks (N_b, r]: valid.
///   6. carol exits as the rules tell her, with startExitFromCheckpoint(Lb, ...) (R3): reverts ConflictingBase,
///      so does enforceCheckpoint(Lb, mallory's exit). Her plain startExit (b1, r) is unbound: mallory cancels it
///      with challengeBetween(h) or enforceCheckpoint(La) (inconsistent), the block r is dead for good, and
///      mallory's exit (b1, h), consistent with La, finalizes. carol, honest and online, loses the coin.
contract CheckpointReview_Test is CheckpointExitsTestBase {
    // ---------------------------------------------------------------------------------------------------------
    // F1 fixture
    // ---------------------------------------------------------------------------------------------------------

    Transaction internal toMallory;
    uint256 internal h;
    LeafRef internal la;
    Transaction internal toCarol;
    uint256 internal r;
    LeafRef internal lb;
    uint256 internal nb;

    function _conflictingBases() internal {
        // 1. bob → mallory at h (the operator withholds it from everyone else).
        toMallory = _tx(slot, b1, mallory);
        h = _submitBlock(toMallory);
        // 2. La @ h names (h, toMallory): final.
        la = _pendingLeaf(h, h, _digest(toMallory));
        _makeFinal(la);
        // 4. mallory applies La as the coin's base (first applied wins).
        vm.prank(mallory);
        cp.applyCheckpoint(la);
        // 3. Lb @ nb > h names the stale (b1, toBob): final.
        nb = _submitEmptyBlock();
        lb = _pendingLeaf(nb, b1, _digest(toBob));
        _makeFinal(lb);
        (LeafStatus sa,) = cp.leafStatus(la.k, slot);
        (LeafStatus sb,) = cp.leafStatus(lb.k, slot);
        assertEq(uint8(sa), uint8(LeafStatus.Final), "La final");
        assertEq(uint8(sb), uint8(LeafStatus.Final), "Lb final");
        // 5. bob → carol at r > nb: carol's package (base Lb, blocks after nb) verifies.
        toCarol = _tx(slot, b1, carol);
        r = _submitBlock(toCarol);
    }

    /// @notice F1: carol, holding the newest final leaf as her base, must be able to exit from it (call 16) and be
    /// bound to its N, whatever older conflicting leaf a former owner applied first. FAILS now: ConflictingBase.
    function test_F1_ReceiverCanExitFromNewestFinalLeafDespiteOlderConflictingBase() public {
        _conflictingBases();
        uint256 nonce = _exitFromCheckpoint(carol, lb, toBob, toCarol, bobKey, r);
        assertEq(cp.exitSettledThrough(slot, nonce), nb, "bound to Lb");

        // The hidden double spend at h <= nb can no longer reach her exit.
        (bytes memory sig, bytes memory proof) = _signedProofOf(bobKey, toMallory, h);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SettledByCheckpoint.selector, h, nb));
        vm.prank(mallory);
        plasma.challengeBetween(toMallory, sig, proof, h);

        // Nor can the older leaf cancel it (R4).
        vm.expectRevert();
        vm.prank(mallory);
        cp.enforceCheckpoint(la, nonce);

        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Exited), "exited");
        assertEq(plasma.getExit(slot, plasma.getCoin(slot).headExit).exitor, carol, "carol wins");
    }

    /// @notice F1 (second face): the thief's exit (b1, h) is inconsistent with the newest final leaf Lb; carol's
    /// watcher must be able to cancel it with Lb. FAILS now: enforceCheckpoint reverts ConflictingBase (its
    /// _applyBase runs after the cancellation and reverts the whole call), so the thief's exit survives.
    function test_F1_NewestFinalLeafCancelsThiefExitDespiteOlderConflictingBase() public {
        _conflictingBases();
        _startExit(mallory, toBob, b1, toMallory, bobKey, h);
        uint256 thiefNonce = plasma.getCoin(slot).exitCount;
        vm.prank(carol);
        cp.enforceCheckpoint(lb, thiefNonce);
        _assertExitStatus(slot, thiefNonce, IPlasmaCash.ExitStatus.Cancelled);
    }

    /// @notice F1 (end to end, what the thief gets today): with carol's call 16 refused, her only remaining exit is a
    /// plain startExit; the coin must still end with carol. FAILS now: the older base cancels her plain exit
    /// (inconsistent with La, it is unbound) and mallory's exit finalizes.
    function test_F1_EndToEnd_CoinMustNotGoToThief() public {
        _conflictingBases();
        // Mallory's exit (b1, h): consistent with La.
        _startExit(mallory, toBob, b1, toMallory, bobKey, h);
        // carol tries the rule's call first; when refused she falls back on a plain exit.
        (bytes memory sig, bytes memory proof) = _signedProofOf(bobKey, toCarol, r);
        vm.prank(carol);
        try cp.startExitFromCheckpoint{value: EXIT_BOND}(lb, toBob, toCarol, sig, proof, r) {}
        catch {
            _startExit(carol, toBob, b1, toCarol, bobKey, r);
        }
        uint256 carolNonce = plasma.getCoin(slot).exitCount;
        // mallory cancels carol's exit with the older leaf when she can (carol's exit is unbound).
        vm.prank(mallory);
        try cp.enforceCheckpoint(la, carolNonce) {} catch {}
        // carol's watcher cancels mallory's exit with her base when it can.
        vm.prank(carol);
        try cp.enforceCheckpoint(lb, 1) {} catch {}
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        address winner = plasma.getExit(slot, plasma.getCoin(slot).headExit).exitor;
        assertEq(winner, carol, "the honest receiver must get the coin");
    }
}
