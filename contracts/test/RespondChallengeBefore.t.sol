// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice respondChallengeBefore (§6): the direct child of the claim (included in (claim block, parent
/// block], signed by claim.newOwner, prevBlock == claim block) closes that challenge, credits the challenge
/// bond to the exitor, and pushes finalizableAt to at least now + RESPONSE_PERIOD.
/// @dev Honest history: alice deposits 1 ether (D) → bob at b1 → carol at b2 → dave at b3 → erin at b4.
/// Erin exits (parent toDave at b3, exiting toErin at b4); mallory opens frivolous challenges.
contract PlasmaCash_RespondChallengeBefore_Test is PlasmaCashTestBase {
    address internal erin;
    uint256 internal erinKey;
    uint64 internal slot;
    uint64 internal other;
    uint256 internal depositBlock;
    uint256 internal otherDepositBlock;
    uint256 internal b1;
    uint256 internal b2;
    uint256 internal b3;
    uint256 internal b4;
    uint256 internal exitStart;
    Transaction internal toBob;
    Transaction internal toCarol;
    Transaction internal toDave;
    Transaction internal toErin;

    function setUp() public override {
        super.setUp();
        (erin, erinKey) = makeAddrAndKey("erin");
        vm.deal(erin, 100 ether);
        slot = _depositEth(alice, 1 ether);
        depositBlock = _depositBlock(slot);
        toBob = _tx(slot, depositBlock, bob);
        b1 = _submitBlock(toBob);
        other = _depositEth(dave, 1 ether);
        otherDepositBlock = _depositBlock(other);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        toDave = _tx(slot, b2, dave);
        b3 = _submitBlock(toDave);
        toErin = _tx(slot, b3, erin);
        b4 = _submitBlock(toErin);
        exitStart = vm.getBlockTimestamp();
        _startExit(erin, toDave, b3, toErin, daveKey, b4);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    function _exit() internal view returns (IPlasmaCash.Exit memory exit_) {
        (, exit_) = _currentExit(slot);
    }

    function _status(bytes32 id) internal view returns (uint8) {
        return uint8(plasma.getChallenge(slot, 1, id).status);
    }

    /// @dev The deposit claim is answered by toBob, signed by alice.
    function _openDepositClaim() internal returns (bytes32) {
        return _challengeBefore(mallory, _depositTx(slot), depositBlock);
    }

    function _respondExpectingRevert(
        bytes32 id,
        Transaction memory response,
        bytes memory sig,
        bytes memory proof,
        uint256 blockNumber,
        bytes memory err
    ) internal {
        uint256 finalizableAt = _exit().finalizableAt;
        vm.expectRevert(err);
        vm.prank(erin);
        plasma.respondChallengeBefore(id, response, sig, proof, blockNumber);
        assertEq(plasma.bondBalance(erin), 0, "bond credited");
        assertEq(_exit().finalizableAt, finalizableAt, "finalization moved");
    }

    /// @dev The named form for exit `nonce` reverts with `err`.
    function _respondExitExpectingRevert(
        uint256 nonce,
        bytes32 id,
        Transaction memory response,
        bytes memory sig,
        bytes memory proof,
        uint256 blockNumber,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        vm.prank(erin);
        plasma.respondChallengeBeforeExit(nonce, id, response, sig, proof, blockNumber);
    }

    function _noFit(uint64 slot_) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot_);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Happy paths
    // ---------------------------------------------------------------------------------------------------------

    function test_RespondChallengeBefore_AnswersChallenge() public {
        bytes32 id = _openDepositClaim();
        Transaction memory response = toBob;
        bytes memory sig = _sign(aliceKey, response);
        bytes memory proof = _proof(b1, slot);
        uint256 finalizableAt = exitStart + EXIT_PERIOD;

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(erin, CHALLENGE_BOND);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeAnswered(slot, 1, id, response, b1, finalizableAt, sig, proof);
        vm.prank(erin);
        plasma.respondChallengeBefore(id, response, sig, proof, b1);

        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Answered), "answered");
        IPlasmaCash.Exit memory exit_ = _exit();
        assertEq(exit_.firstChallenge, bytes32(0), "no open challenge left");
        assertEq(exit_.lastChallenge, bytes32(0));
        assertEq(exit_.finalizableAt, finalizableAt, "an early response does not move finalization");
        assertEq(plasma.bondBalance(erin), CHALLENGE_BOND, "the challenger's bond goes to the exitor");
        assertEq(plasma.bondBalance(mallory), 0, "the frivolous challenger loses it");
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Live));
    }

    function test_RespondChallengeBefore_WithTheParentItself() public {
        // Claim toCarol (b2): its direct child is the exit's parent toDave, at the parent block.
        bytes32 id = _challengeBefore(mallory, toCarol, b2);
        _respond(erin, id, toDave, carolKey, b3);
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Answered));
        assertEq(plasma.bondBalance(erin), CHALLENGE_BOND);
    }

    function test_RespondChallengeBefore_AnyoneCanRespondBondGoesToExitor() public {
        bytes32 id = _challengeBefore(mallory, toBob, b1);
        // A watcher answers for the exitor with public data; the bond still goes to the exitor.
        _respond(dave, id, toCarol, bobKey, b2);
        assertEq(plasma.bondBalance(erin), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(dave), 0);
    }

    function test_RespondChallengeBefore_ExtendsFinalizationNearMaturity() public {
        bytes32 id = _openDepositClaim();
        vm.warp(exitStart + EXIT_PERIOD - 1);
        uint256 expected = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        Transaction memory response = toBob;
        bytes memory sig = _sign(aliceKey, response);
        bytes memory proof = _proof(b1, slot);

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeAnswered(slot, 1, id, response, b1, expected, sig, proof);
        vm.prank(erin);
        plasma.respondChallengeBefore(id, response, sig, proof, b1);

        assertEq(_exit().finalizableAt, expected, "pushed to now + RESPONSE_PERIOD");
        vm.warp(expected - 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, expected));
        plasma.finalizeExit(slot);
    }

    function test_RespondChallengeBefore_AcceptedAfterMaturity() public {
        bytes32 id = _openDepositClaim();
        vm.warp(exitStart + EXIT_PERIOD + 2 days);
        _respond(erin, id, toBob, aliceKey, b1);
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Answered));
        assertEq(_exit().finalizableAt, vm.getBlockTimestamp() + RESPONSE_PERIOD);

        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(plasma.bondBalance(erin), EXIT_BOND + CHALLENGE_BOND);
    }

    function test_RespondChallengeBefore_UnlinksFromAnyPositionInTheList() public {
        bytes32 idDeposit = _openDepositClaim();
        bytes32 idBob = _challengeBefore(mallory, toBob, b1);
        bytes32 idCarol = _challengeBefore(mallory, toCarol, b2);

        // Middle.
        _respond(erin, idBob, toCarol, bobKey, b2);
        IPlasmaCash.Exit memory exit_ = _exit();
        assertEq(exit_.firstChallenge, idDeposit);
        assertEq(exit_.lastChallenge, idCarol);
        assertEq(plasma.getChallenge(slot, 1, idDeposit).next, idCarol);
        assertEq(plasma.getChallenge(slot, 1, idCarol).previous, idDeposit);
        assertEq(plasma.getChallenge(slot, 1, idBob).previous, bytes32(0));
        assertEq(plasma.getChallenge(slot, 1, idBob).next, bytes32(0));

        // Last.
        _respond(erin, idCarol, toDave, carolKey, b3);
        exit_ = _exit();
        assertEq(exit_.firstChallenge, idDeposit);
        assertEq(exit_.lastChallenge, idDeposit);
        assertEq(plasma.getChallenge(slot, 1, idDeposit).next, bytes32(0));

        // First (and only).
        _respond(erin, idDeposit, toBob, aliceKey, b1);
        exit_ = _exit();
        assertEq(exit_.firstChallenge, bytes32(0));
        assertEq(exit_.lastChallenge, bytes32(0));

        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(plasma.bondBalance(erin), EXIT_BOND + 3 * CHALLENGE_BOND);
        assertEq(plasma.bondBalance(mallory), 0);
        assertEq(plasma.burnedBonds(), 0);
    }

    function test_RespondChallengeBefore_AnsweringTheOldestLeavesTheNextOldest() public {
        bytes32 idDeposit = _openDepositClaim();
        bytes32 idBob = _challengeBefore(bob, toBob, b1);
        _respond(erin, idDeposit, toBob, aliceKey, b1);
        assertEq(_exit().firstChallenge, idBob);
        assertEq(plasma.getChallenge(slot, 1, idBob).previous, bytes32(0));
        // A new challenge is appended after the remaining one.
        bytes32 idCarol = _challengeBefore(carol, toCarol, b2);
        assertEq(plasma.getChallenge(slot, 1, idBob).next, idCarol);
        assertEq(_exit().lastChallenge, idCarol);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reverts
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_RespondChallengeBefore_NoLiveExit() public {
        bytes32 id = _openDepositClaim();
        _warpPastExitPeriod();
        plasma.finalizeExit(slot); // cancelled: erin did not answer in time
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        _respondExpectingRevert(id, toBob, sig, proof, b1, _noFit(slot));
        _respondExitExpectingRevert(
            1, id, toBob, sig, proof, b1, abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1)
        );
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Settled));
    }

    function test_RevertWhen_RespondChallengeBefore_UnknownChallenge() public {
        bytes32 id = _digest(_depositTx(slot)); // nobody opened it
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        _respondExpectingRevert(id, toBob, sig, proof, b1, _noFit(slot));
        _respondExitExpectingRevert(
            1,
            id,
            toBob,
            sig,
            proof,
            b1,
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, id, IPlasmaCash.ChallengeStatus.None)
        );
    }

    function test_RevertWhen_RespondChallengeBefore_AlreadyAnswered() public {
        bytes32 id = _openDepositClaim();
        _respond(erin, id, toBob, aliceKey, b1);
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        uint256 finalizableAt = _exit().finalizableAt;
        vm.expectRevert(_noFit(slot));
        vm.prank(erin);
        plasma.respondChallengeBefore(id, toBob, sig, proof, b1);
        _respondExitExpectingRevert(
            1,
            id,
            toBob,
            sig,
            proof,
            b1,
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, id, IPlasmaCash.ChallengeStatus.Answered)
        );
        assertEq(plasma.bondBalance(erin), CHALLENGE_BOND, "one bond per challenge");
        assertEq(_exit().finalizableAt, finalizableAt);
    }

    function test_RevertWhen_RespondChallengeBefore_ChallengeOfAnotherCoinsExit() public {
        // Challenges belong to their exit: the same id under another coin's live exit is not open.
        bytes32 id = _openDepositClaim();
        _startDepositExit(dave, other);
        Transaction memory response = _tx(other, otherDepositBlock, bob);
        uint256 bResponse = _submitBlock(response);
        bytes memory sig = _sign(daveKey, response);
        bytes memory proof = _proof(bResponse, other);
        vm.expectRevert(_noFit(other));
        vm.prank(dave);
        plasma.respondChallengeBefore(id, response, sig, proof, bResponse);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, id, IPlasmaCash.ChallengeStatus.None)
        );
        vm.prank(dave);
        plasma.respondChallengeBeforeExit(1, id, response, sig, proof, bResponse);
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Open));
    }

    function test_RevertWhen_RespondChallengeBefore_ResponseAtTheClaimBlock() public {
        bytes32 id = _challengeBefore(mallory, toBob, b1);
        // The claim itself is no answer to it.
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        _respondExpectingRevert(
            id, toBob, sig, proof, b1, abi.encodeWithSelector(IPlasmaCash.ResponseOutOfRange.selector, b1, b1, b3)
        );
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Open));
    }

    function test_RevertWhen_RespondChallengeBefore_ResponseBeforeTheClaimBlock() public {
        bytes32 id = _challengeBefore(mallory, toCarol, b2);
        // toBob is included and signed, but it precedes the claim.
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        _respondExpectingRevert(
            id, toBob, sig, proof, b1, abi.encodeWithSelector(IPlasmaCash.ResponseOutOfRange.selector, b1, b2, b3)
        );
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Open));
    }

    function test_RevertWhen_RespondChallengeBefore_ResponseAfterTheParentBlock() public {
        // A thief's exit (forged parent) cannot be saved by a spend its victim made after the parent block.
        uint64 coin = _depositEth(alice, 2 ether);
        uint256 d = _depositBlock(coin);
        Transaction memory aliceToBob = _tx(coin, d, bob);
        uint256 p1 = _submitBlock(aliceToBob);
        Transaction memory forgedToMallory = _tx(coin, p1, mallory); // bob never signed it
        uint256 p2 = _submitBlock(forgedToMallory);
        Transaction memory malloryExiting = _tx(coin, p2, mallory);
        uint256 p3 = _submitBlock(malloryExiting);
        _startExit(mallory, forgedToMallory, p2, malloryExiting, malloryKey, p3);
        bytes32 id = _challengeBefore(bob, aliceToBob, p1);

        // bob later spends his coin (prevBlock p1): a direct child of the claim, but after the parent block.
        Transaction memory bobLater = _tx(coin, p1, carol);
        uint256 p4 = _submitBlock(bobLater);
        bytes memory sig = _sign(bobKey, bobLater);
        bytes memory proof = _proof(p4, coin);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ResponseOutOfRange.selector, p4, p1, p2));
        vm.prank(mallory);
        plasma.respondChallengeBefore(id, bobLater, sig, proof, p4);
        assertEq(uint8(plasma.getChallenge(coin, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(plasma.bondBalance(mallory), 0);
    }

    function test_RevertWhen_RespondChallengeBefore_ResponseIsAGrandchild() public {
        bytes32 id = _openDepositClaim();
        // toCarol spends toBob (prev b1), not the deposit.
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        _respondExpectingRevert(
            id,
            toCarol,
            sig,
            proof,
            b2,
            abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, depositBlock, b1)
        );
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Open));
    }

    function test_RevertWhen_RespondChallengeBefore_ResponseNotIncluded() public {
        bytes32 id = _openDepositClaim();
        // A spend alice signed (to dave) that b1 does not hold.
        Transaction memory response = _tx(slot, depositBlock, dave);
        bytes memory sig = _sign(aliceKey, response);
        bytes memory proof = _proof(b1, slot);
        _respondExpectingRevert(
            id, response, sig, proof, b1, abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1)
        );
    }

    function test_RevertWhen_RespondChallengeBefore_BlockNotCommitted() public {
        bytes32 id = _openDepositClaim();
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        _respondExpectingRevert(
            id,
            toBob,
            sig,
            proof,
            otherDepositBlock,
            abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, otherDepositBlock)
        );
    }

    function test_RevertWhen_RespondChallengeBefore_NotSignedByTheClaimOwner() public {
        bytes32 id = _challengeBefore(mallory, toBob, b1);
        bytes memory proof = _proof(b2, slot);
        // The included child, with a signature by someone other than bob (the claim's newOwner).
        bytes memory daveSig = _sign(daveKey, toCarol);
        _respondExpectingRevert(
            id, toCarol, daveSig, proof, b2, abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, dave)
        );
        // Not the exitor's either.
        bytes memory erinSig = _sign(erinKey, toCarol);
        _respondExpectingRevert(
            id, toCarol, erinSig, proof, b2, abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, erin)
        );
        // Nor the claim's signer (alice signed toBob, but toCarol must be bob's).
        bytes memory aliceSig = _sign(aliceKey, toCarol);
        _respondExpectingRevert(
            id, toCarol, aliceSig, proof, b2, abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, alice)
        );
        assertEq(_status(id), uint8(IPlasmaCash.ChallengeStatus.Open));
    }

    function test_RevertWhen_RespondChallengeBefore_WrongDenomination() public {
        bytes32 id = _openDepositClaim();
        Transaction memory response =
            Transaction({slot: slot, prevBlock: depositBlock, denomination: 2 ether, newOwner: bob});
        bytes memory sig = _sign(aliceKey, response);
        bytes memory proof = _proof(b1, slot);
        _respondExpectingRevert(
            id,
            response,
            sig,
            proof,
            b1,
            abi.encodeWithSelector(IPlasmaCash.DenominationMismatch.selector, slot, 1 ether, 2 ether)
        );
    }
}
