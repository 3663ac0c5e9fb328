// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice challengeBefore (§6, invalid history) with CHALLENGE_BOND: a claim C* of the slot included at a
/// block < parent block (or the deposit transaction) opens a challenge keyed by (slot, exit nonce,
/// transactionDigest(C*)); several may be open at once; each pushes finalizableAt to at least
/// now + RESPONSE_PERIOD; accepted until finalizeExit has run.
/// @dev History: alice deposits 1 ether (D) → bob at b1 → carol at b2. The operator then includes a transfer
/// carol never signed, `forged` (carol → mallory, prev b2) at b3, and mallory's own `exiting` (prev b3) at
/// b4. Mallory exits (parent forged at b3, exiting at b4). A deposit of another coin (dave's) sits at b1 + 1.
contract PlasmaCash_ChallengeBefore_Test is PlasmaCashTestBase {
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
    Transaction internal forged;
    Transaction internal exiting;

    function setUp() public override {
        super.setUp();
        slot = _depositEth(alice, 1 ether);
        depositBlock = _depositBlock(slot);
        toBob = _tx(slot, depositBlock, bob);
        b1 = _submitBlock(toBob);
        other = _depositEth(dave, 1 ether);
        otherDepositBlock = _depositBlock(other);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        forged = _tx(slot, b2, mallory);
        b3 = _submitBlock(forged);
        exiting = _tx(slot, b3, mallory);
        b4 = _submitBlock(exiting);
        exitStart = vm.getBlockTimestamp();
        _startExit(mallory, forged, b3, exiting, malloryKey, b4);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    function _exit() internal view returns (IPlasmaCash.Exit memory exit_) {
        (, exit_) = _currentExit(slot);
    }

    function _challengeBeforeExpectingRevert(
        Transaction memory claim,
        bytes memory proof,
        uint256 blockNumber,
        uint256 bond,
        bytes memory err
    ) internal {
        uint256 contractBalance = address(plasma).balance;
        uint256 finalizableAt = _exit().finalizableAt;
        vm.expectRevert(err);
        vm.prank(carol);
        plasma.challengeBefore{value: bond}(claim, proof, blockNumber);
        // Changes nothing: no bond kept, no challenge, no extension.
        assertEq(address(plasma).balance, contractBalance, "bond kept");
        assertEq(plasma.getChallenge(slot, 1, _digest(claim)).challenger, address(0), "challenge stored");
        assertEq(_exit().finalizableAt, finalizableAt, "finalization moved");
    }

    /// @dev The named form against exit `nonce` reverts with `err` and changes nothing.
    function _challengeBeforeExitExpectingRevert(
        uint256 nonce,
        Transaction memory claim,
        bytes memory proof,
        uint256 blockNumber,
        bytes memory err
    ) internal {
        uint256 contractBalance = address(plasma).balance;
        vm.expectRevert(err);
        vm.prank(carol);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(nonce, claim, proof, blockNumber);
        assertEq(address(plasma).balance, contractBalance, "bond kept");
    }

    function _noFit(uint64 slot_) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot_);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Happy paths
    // ---------------------------------------------------------------------------------------------------------

    function test_ChallengeBefore_OpensChallenge() public {
        Transaction memory claim = toCarol;
        bytes memory proof = _proof(b2, slot);
        bytes32 id = _digest(claim);
        uint256 finalizableAt = exitStart + EXIT_PERIOD;
        uint256 carolBefore = carol.balance;
        uint256 contractBefore = address(plasma).balance;

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeOpened(slot, 1, id, carol, claim, b2, finalizableAt);
        vm.prank(carol);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, b2);

        IPlasmaCash.Challenge memory challenge = plasma.getChallenge(slot, 1, id);
        assertEq(challenge.challenger, carol, "challenger");
        assertEq(challenge.claimBlock, b2, "claim block");
        assertEq(uint8(challenge.status), uint8(IPlasmaCash.ChallengeStatus.Open), "status");
        assertEq(challenge.claimOwner, carol, "claim owner");
        assertEq(challenge.previous, bytes32(0));
        assertEq(challenge.next, bytes32(0));
        IPlasmaCash.Exit memory exit_ = _exit();
        assertEq(exit_.firstChallenge, id, "first");
        assertEq(exit_.lastChallenge, id, "last");
        assertEq(exit_.finalizableAt, finalizableAt, "an early challenge does not move finalization");
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Live), "exit still live");
        assertEq(carolBefore - carol.balance, CHALLENGE_BOND, "bond paid");
        assertEq(address(plasma).balance - contractBefore, CHALLENGE_BOND, "bond held");
        assertEq(plasma.bondBalance(carol), 0, "bond not credited back yet");
    }

    function test_ChallengeBefore_WithTheDepositTransactionAsClaim() public {
        Transaction memory claim = _depositTx(slot);
        bytes32 id = _challengeBefore(dave, claim, depositBlock);

        assertEq(id, plasma.transactionDigest(claim), "id is the claim's digest");
        IPlasmaCash.Challenge memory challenge = plasma.getChallenge(slot, 1, id);
        assertEq(challenge.challenger, dave);
        assertEq(challenge.claimBlock, depositBlock);
        assertEq(challenge.claimOwner, alice, "the deposit's owner is the recorded depositor");
        assertEq(uint8(challenge.status), uint8(IPlasmaCash.ChallengeStatus.Open));
    }

    function test_ChallengeBefore_SeveralOpenAtOnce() public {
        bytes32 idDeposit = _challengeBefore(dave, _depositTx(slot), depositBlock);
        bytes32 idBob = _challengeBefore(bob, toBob, b1);
        bytes32 idCarol = _challengeBefore(carol, toCarol, b2);

        IPlasmaCash.Exit memory exit_ = _exit();
        assertEq(exit_.firstChallenge, idDeposit, "oldest first");
        assertEq(exit_.lastChallenge, idCarol, "newest last");
        IPlasmaCash.Challenge memory first = plasma.getChallenge(slot, 1, idDeposit);
        IPlasmaCash.Challenge memory middle = plasma.getChallenge(slot, 1, idBob);
        IPlasmaCash.Challenge memory last = plasma.getChallenge(slot, 1, idCarol);
        assertEq(first.previous, bytes32(0));
        assertEq(first.next, idBob);
        assertEq(middle.previous, idDeposit);
        assertEq(middle.next, idCarol);
        assertEq(last.previous, idBob);
        assertEq(last.next, bytes32(0));
        assertEq(uint8(first.status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(uint8(middle.status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(uint8(last.status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(address(plasma).balance, 2 ether + EXIT_BOND + 3 * CHALLENGE_BOND, "three bonds held");
    }

    function test_ChallengeBefore_ExtendsFinalizationNearMaturity() public {
        uint256 finalizableAt = exitStart + EXIT_PERIOD;
        vm.warp(finalizableAt - 1 hours);
        uint256 expected = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        Transaction memory claim = toCarol;
        bytes memory proof = _proof(b2, slot);

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeOpened(slot, 1, _digest(claim), carol, claim, b2, expected);
        vm.prank(carol);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, b2);

        assertEq(_exit().finalizableAt, expected, "pushed to now + RESPONSE_PERIOD");
    }

    function test_ChallengeBefore_EachChallengeExtendsAgain() public {
        vm.warp(exitStart + EXIT_PERIOD - 1);
        _challengeBefore(dave, _depositTx(slot), depositBlock);
        uint256 first = _exit().finalizableAt;
        assertEq(first, vm.getBlockTimestamp() + RESPONSE_PERIOD);

        vm.warp(first - 1);
        _challengeBefore(carol, toCarol, b2);
        uint256 second = _exit().finalizableAt;
        assertEq(second, vm.getBlockTimestamp() + RESPONSE_PERIOD, "second challenge extends again");
        assertGt(second, first);
    }

    function test_ChallengeBefore_AcceptedAfterMaturityUntilFinalized() public {
        vm.warp(exitStart + EXIT_PERIOD + 3 days);
        _challengeBefore(carol, toCarol, b2);
        uint256 finalizableAt = _exit().finalizableAt;
        assertEq(finalizableAt, vm.getBlockTimestamp() + RESPONSE_PERIOD);

        // The late challenge gives the exitor a full response period before anyone can finalize.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, finalizableAt));
        plasma.finalizeExit(slot);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reverts
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_ChallengeBefore_WrongBond() public {
        Transaction memory claim = toCarol;
        bytes memory proof = _proof(b2, slot);
        _challengeBeforeExpectingRevert(
            claim, proof, b2, 0, abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, 0, CHALLENGE_BOND)
        );
        _challengeBeforeExpectingRevert(
            claim,
            proof,
            b2,
            CHALLENGE_BOND - 1,
            abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, CHALLENGE_BOND - 1, CHALLENGE_BOND)
        );
        _challengeBeforeExpectingRevert(
            claim,
            proof,
            b2,
            CHALLENGE_BOND + 1,
            abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, CHALLENGE_BOND + 1, CHALLENGE_BOND)
        );
    }

    function test_RevertWhen_ChallengeBefore_NoExit() public {
        Transaction memory claim = _depositTx(other);
        vm.expectRevert(_noFit(other));
        vm.prank(carol);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, "", otherDepositBlock);
        _challengeBeforeExitExpectingRevert(
            1, claim, "", otherDepositBlock, abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, other, 1)
        );
    }

    function test_RevertWhen_ChallengeBefore_ExitAlreadyFinalized() public {
        // Nobody challenged in time: the thief's exit finalized and the claim comes too late.
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        Transaction memory claim = toCarol;
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(_noFit(slot));
        vm.prank(carol);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, b2);
        _challengeBeforeExitExpectingRevert(
            1, claim, proof, b2, abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1)
        );
    }

    function test_RevertWhen_ChallengeBefore_ExitAlreadyCancelled() public {
        _challengeBefore(carol, toCarol, b2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(uint8(_exit().status), uint8(IPlasmaCash.ExitStatus.Cancelled));

        Transaction memory claim = toBob;
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(_noFit(slot));
        vm.prank(bob);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, b1);
        _challengeBeforeExitExpectingRevert(
            1, claim, proof, b1, abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1)
        );
    }

    function test_RevertWhen_ChallengeBefore_DepositExit() public {
        _startDepositExit(dave, other);
        Transaction memory claim = _depositTx(other);
        vm.expectRevert(_noFit(other));
        vm.prank(carol);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, "", otherDepositBlock);
        _challengeBeforeExitExpectingRevert(
            1, claim, "", otherDepositBlock, abi.encodeWithSelector(IPlasmaCash.DepositExitHasNoParent.selector, other)
        );
    }

    function test_RevertWhen_ChallengeBefore_ClaimAtTheParentBlock() public {
        // The parent itself is no claim against the exit's history.
        Transaction memory claim = forged;
        bytes memory proof = _proof(b3, slot);
        _challengeBeforeExpectingRevert(claim, proof, b3, CHALLENGE_BOND, _noFit(slot));
        _challengeBeforeExitExpectingRevert(
            1, claim, proof, b3, abi.encodeWithSelector(IPlasmaCash.NotBeforeParent.selector, b3, b3)
        );
    }

    function test_RevertWhen_ChallengeBefore_ClaimAfterTheParentBlock() public {
        Transaction memory claim = exiting;
        bytes memory proof = _proof(b4, slot);
        _challengeBeforeExpectingRevert(claim, proof, b4, CHALLENGE_BOND, _noFit(slot));
        _challengeBeforeExitExpectingRevert(
            1, claim, proof, b4, abi.encodeWithSelector(IPlasmaCash.NotBeforeParent.selector, b4, b3)
        );
    }

    function test_RevertWhen_ChallengeBefore_ForgedDepositClaimWrongOwner() public {
        Transaction memory claim = Transaction({slot: slot, prevBlock: 0, denomination: 1 ether, newOwner: carol});
        _challengeBeforeExpectingRevert(
            claim,
            "",
            depositBlock,
            CHALLENGE_BOND,
            abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, depositBlock)
        );
    }

    function test_RevertWhen_ChallengeBefore_ForgedDepositClaimWrongDenomination() public {
        Transaction memory claim = Transaction({slot: slot, prevBlock: 0, denomination: 2 ether, newOwner: alice});
        _challengeBeforeExpectingRevert(
            claim,
            "",
            depositBlock,
            CHALLENGE_BOND,
            abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, depositBlock)
        );
    }

    function test_RevertWhen_ChallengeBefore_ForgedDepositClaimWrongPrevBlock() public {
        Transaction memory claim =
            Transaction({slot: slot, prevBlock: depositBlock, denomination: 1 ether, newOwner: alice});
        _challengeBeforeExpectingRevert(
            claim,
            "",
            depositBlock,
            CHALLENGE_BOND,
            abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, depositBlock)
        );
    }

    function test_RevertWhen_ChallengeBefore_DepositClaimWithNonEmptyProof() public {
        // A deposit transaction is checked against the contract's record, never against a proof.
        Transaction memory claim = _depositTx(slot);
        _challengeBeforeExpectingRevert(
            claim,
            abi.encodePacked(bytes8(0)),
            depositBlock,
            CHALLENGE_BOND,
            abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, depositBlock)
        );
        bytes memory someProof = _proof(b1, slot);
        _challengeBeforeExpectingRevert(
            claim,
            someProof,
            depositBlock,
            CHALLENGE_BOND,
            abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, depositBlock)
        );
    }

    function test_RevertWhen_ChallengeBefore_ClaimFromBlockBeforeTheDeposit() public {
        // The operator predicts dave's next slot and includes a claim for it before the coin exists.
        uint64 future = uint64(bytes8(keccak256(abi.encode(dave, plasma.depositNonce()))));
        Transaction memory early = Transaction({slot: future, prevBlock: 0, denomination: 1 ether, newOwner: mallory});
        uint256 bEarly = _submitBlock(early);
        uint64 coin = _depositEth(dave, 1 ether);
        assertEq(coin, future, "predicted slot");
        uint256 d = _depositBlock(coin);
        Transaction memory toBob2 = _tx(coin, d, bob);
        uint256 c1 = _submitBlock(toBob2);
        Transaction memory toCarol2 = _tx(coin, c1, carol);
        uint256 c2 = _submitBlock(toCarol2);
        _startExit(carol, toBob2, c1, toCarol2, bobKey, c2);

        bytes memory proof = _proof(bEarly, coin);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BeforeDeposit.selector, bEarly, d));
        vm.prank(mallory);
        plasma.challengeBefore{value: CHALLENGE_BOND}(early, proof, bEarly);
        (, IPlasmaCash.Exit memory exit_) = _currentExit(coin);
        assertEq(exit_.firstChallenge, bytes32(0));
    }

    function test_RevertWhen_ChallengeBefore_ClaimNotIncluded() public {
        // alice never paid dave: b1 holds toBob.
        Transaction memory claim = _tx(slot, depositBlock, dave);
        bytes memory proof = _proof(b1, slot);
        _challengeBeforeExpectingRevert(
            claim, proof, b1, CHALLENGE_BOND, abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1)
        );
    }

    function test_RevertWhen_ChallengeBefore_BlockNotCommitted() public {
        // Another coin's deposit block lies before the parent block but holds no tree.
        Transaction memory claim = toBob;
        bytes memory proof = _proof(b1, slot);
        _challengeBeforeExpectingRevert(
            claim,
            proof,
            otherDepositBlock,
            CHALLENGE_BOND,
            abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, otherDepositBlock)
        );
    }

    function test_RevertWhen_ChallengeBefore_WrongDenomination() public {
        Transaction memory claim =
            Transaction({slot: slot, prevBlock: depositBlock, denomination: 0.5 ether, newOwner: bob});
        bytes memory proof = _proof(b1, slot);
        _challengeBeforeExpectingRevert(
            claim,
            proof,
            b1,
            CHALLENGE_BOND,
            abi.encodeWithSelector(IPlasmaCash.DenominationMismatch.selector, slot, 1 ether, 0.5 ether)
        );
    }

    function test_RevertWhen_ChallengeBefore_DuplicateChallenge() public {
        bytes32 id = _challengeBefore(carol, toCarol, b2);
        Transaction memory claim = toCarol;
        bytes memory proof = _proof(b2, slot);

        // The only exit already holds the claim: none fits the unnamed form; the named one says why.
        vm.expectRevert(_noFit(slot));
        vm.prank(dave);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, b2);
        _challengeBeforeExitExpectingRevert(
            1, claim, proof, b2, abi.encodeWithSelector(IPlasmaCash.ChallengeExists.selector, id)
        );

        IPlasmaCash.Challenge memory challenge = plasma.getChallenge(slot, 1, id);
        assertEq(challenge.challenger, carol, "the first challenger keeps it");
        assertEq(_exit().lastChallenge, id, "listed once");
        assertEq(address(plasma).balance, 2 ether + EXIT_BOND + CHALLENGE_BOND, "one bond held");
    }

    function test_RevertWhen_ChallengeBefore_ReopensAnAnsweredChallenge() public {
        bytes32 id = _challengeBefore(dave, _depositTx(slot), depositBlock);
        _respond(mallory, id, toBob, aliceKey, b1);

        Transaction memory claim = _depositTx(slot);
        vm.expectRevert(_noFit(slot));
        vm.prank(dave);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, "", depositBlock);
        _challengeBeforeExitExpectingRevert(
            1, claim, "", depositBlock, abi.encodeWithSelector(IPlasmaCash.ChallengeExists.selector, id)
        );
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
    }
}
