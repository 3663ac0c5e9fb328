// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice settleChallenge (§6): once an exit is no longer live (cancelled by finalizeExit, challengeAfter
/// or challengeBetween), every challengeBefore still open on it pays its bond back to its challenger, once.
/// finalizeExit settles only the oldest open one itself, so that it stays O(1).
/// @dev History: alice deposits 1 ether (D) → bob at b1 → carol at b2 → dave at b3 → erin at b4. Erin exits
/// (parent toDave at b3, exiting toErin at b4). Alice, bob and carol open claims (deposit, toBob, toCarol).
contract PlasmaCash_SettleChallenge_Test is PlasmaCashTestBase {
    address internal erin;
    uint256 internal erinKey;
    uint64 internal slot;
    uint256 internal depositBlock;
    uint256 internal b1;
    uint256 internal b2;
    uint256 internal b3;
    uint256 internal b4;
    Transaction internal toBob;
    Transaction internal toCarol;
    Transaction internal toDave;
    Transaction internal toErin;
    bytes32 internal idDeposit;
    bytes32 internal idBob;
    bytes32 internal idCarol;

    function setUp() public override {
        super.setUp();
        (erin, erinKey) = makeAddrAndKey("erin");
        vm.deal(erin, 100 ether);
        slot = _depositEth(alice, 1 ether);
        depositBlock = _depositBlock(slot);
        toBob = _tx(slot, depositBlock, bob);
        b1 = _submitBlock(toBob);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        toDave = _tx(slot, b2, dave);
        b3 = _submitBlock(toDave);
        toErin = _tx(slot, b3, erin);
        b4 = _submitBlock(toErin);
        _startExit(erin, toDave, b3, toErin, daveKey, b4);
        idDeposit = _challengeBefore(alice, _depositTx(slot), depositBlock);
        idBob = _challengeBefore(bob, toBob, b1);
        idCarol = _challengeBefore(carol, toCarol, b2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    function _status(uint256 nonce, bytes32 id) internal view returns (uint8) {
        return uint8(plasma.getChallenge(slot, nonce, id).status);
    }

    /// @dev Erin never answers: finalizeExit cancels, alice (oldest) is paid by it.
    function _cancelByFinalize() internal {
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
    }

    /// @dev The contract holds exactly the deposit plus every bond not yet paid out, burned halves included.
    function _assertSolvent() internal view {
        uint256 owed = plasma.bondBalance(alice) + plasma.bondBalance(bob) + plasma.bondBalance(carol)
            + plasma.bondBalance(dave) + plasma.bondBalance(erin) + plasma.bondBalance(mallory) + plasma.burnedBonds();
        assertEq(address(plasma).balance, 1 ether + owed, "every wei accounted for");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Happy paths
    // ---------------------------------------------------------------------------------------------------------

    function test_SettleChallenge_PaysBackOpenChallengersAfterCancellationByFinalize() public {
        _cancelByFinalize();
        assertEq(plasma.bondBalance(bob), 0);

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(bob, CHALLENGE_BOND);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeSettled(slot, 1, idBob, bob);
        plasma.settleChallenge(slot, 1, idBob);

        assertEq(_status(1, idBob), uint8(IPlasmaCash.ChallengeStatus.Settled));
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND, "own bond back, no share of the slash");

        plasma.settleChallenge(slot, 1, idCarol);
        assertEq(plasma.bondBalance(carol), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(alice), CHALLENGE_BOND + EXIT_BOND / 2, "the oldest took the slash");
        assertEq(plasma.bondBalance(erin), 0);
        _assertSolvent();
    }

    function test_SettleChallenge_AfterCancellationByChallengeAfter() public {
        // erin spent the coin after her exit block: dave cancels with challengeAfter, no finalize needed.
        Transaction memory spend = _tx(slot, b4, dave);
        uint256 b5 = _submitBlock(spend);
        _challengeAfter(dave, spend, erinKey, b5);

        plasma.settleChallenge(slot, 1, idDeposit);
        plasma.settleChallenge(slot, 1, idBob);
        plasma.settleChallenge(slot, 1, idCarol);
        assertEq(plasma.bondBalance(alice), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(carol), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2, "the slash goes to the challengeAfter");
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2);
        _assertSolvent();
    }

    function test_SettleChallenge_AfterCancellationByChallengeBetween() public {
        // A fresh coin: alice → bob, then bob double-spends to carol and to dave; dave exits.
        uint64 coin = _depositEth(alice, 2 ether);
        uint256 d = _depositBlock(coin);
        Transaction memory aliceToBob = _tx(coin, d, bob);
        uint256 c1 = _submitBlock(aliceToBob);
        Transaction memory bobToCarol = _tx(coin, c1, carol);
        uint256 c2 = _submitBlock(bobToCarol);
        Transaction memory bobToDave = _tx(coin, c1, dave);
        uint256 c3 = _submitBlock(bobToDave);
        _startExit(dave, aliceToBob, c1, bobToDave, bobKey, c3);
        bytes32 id = _challengeBefore(mallory, _depositTx(coin), d);

        _challengeBetween(carol, bobToCarol, bobKey, c2);
        plasma.settleChallenge(coin, 1, id);

        assertEq(uint8(plasma.getChallenge(coin, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Settled));
        assertEq(plasma.bondBalance(mallory), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(carol), EXIT_BOND / 2);
    }

    function test_SettleChallenge_AnyoneCanSettleForTheChallenger() public {
        _cancelByFinalize();
        vm.prank(mallory);
        plasma.settleChallenge(slot, 1, idCarol);
        assertEq(plasma.bondBalance(carol), CHALLENGE_BOND);
        assertEq(plasma.bondBalance(mallory), 0);
    }

    function test_SettleChallenge_OldExitWhileANewExitIsLive() public {
        _cancelByFinalize();
        // erin exits again (nonce 2): the challenges of exit 1 can still be settled, and do not touch exit 2.
        _startExit(erin, toDave, b3, toErin, daveKey, b4);
        plasma.settleChallenge(slot, 1, idBob);
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND);
        (uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        assertEq(nonce, 2);
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Live));
        assertEq(exit_.firstChallenge, bytes32(0));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reverts
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_SettleChallenge_ExitStillLive() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitStillLive.selector, slot, 1));
        plasma.settleChallenge(slot, 1, idBob);
        // Even after maturity, as long as finalizeExit has not run.
        _warpPastExitPeriod();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitStillLive.selector, slot, 1));
        plasma.settleChallenge(slot, 1, idBob);
        assertEq(_status(1, idBob), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(plasma.bondBalance(bob), 0);
    }

    function test_RevertWhen_SettleChallenge_Twice() public {
        _cancelByFinalize();
        plasma.settleChallenge(slot, 1, idBob);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, idBob, IPlasmaCash.ChallengeStatus.Settled)
        );
        plasma.settleChallenge(slot, 1, idBob);
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND, "paid once");
    }

    function test_RevertWhen_SettleChallenge_OldestAlreadySettledByFinalize() public {
        _cancelByFinalize();
        vm.expectRevert(
            abi.encodeWithSelector(
                IPlasmaCash.ChallengeNotOpen.selector, idDeposit, IPlasmaCash.ChallengeStatus.Settled
            )
        );
        plasma.settleChallenge(slot, 1, idDeposit);
        assertEq(plasma.bondBalance(alice), CHALLENGE_BOND + EXIT_BOND / 2, "not paid twice");
    }

    function test_RevertWhen_SettleChallenge_AnsweredChallenge() public {
        // An answered challenge's bond already went to the exitor: it cannot be taken back.
        _respond(erin, idBob, toCarol, bobKey, b2);
        _cancelByFinalize();
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, idBob, IPlasmaCash.ChallengeStatus.Answered)
        );
        plasma.settleChallenge(slot, 1, idBob);
        assertEq(plasma.bondBalance(bob), 0);
        assertEq(plasma.bondBalance(erin), CHALLENGE_BOND);
    }

    function test_RevertWhen_SettleChallenge_AnsweredChallengeOfFinalizedExit() public {
        _respond(erin, idDeposit, toBob, aliceKey, b1);
        _respond(erin, idBob, toCarol, bobKey, b2);
        _respond(erin, idCarol, toDave, carolKey, b3);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectRevert(
            abi.encodeWithSelector(
                IPlasmaCash.ChallengeNotOpen.selector, idCarol, IPlasmaCash.ChallengeStatus.Answered
            )
        );
        plasma.settleChallenge(slot, 1, idCarol);
        assertEq(plasma.bondBalance(carol), 0);
    }

    function test_RevertWhen_SettleChallenge_UnknownChallenge() public {
        _cancelByFinalize();
        bytes32 unknown = keccak256("no such claim");
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, unknown, IPlasmaCash.ChallengeStatus.None)
        );
        plasma.settleChallenge(slot, 1, unknown);
    }

    function test_RevertWhen_SettleChallenge_WrongExitNonce() public {
        _cancelByFinalize();
        // The challenge belongs to exit 1; exit 2 never existed, exit 0 never does.
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, idBob, IPlasmaCash.ChallengeStatus.None)
        );
        plasma.settleChallenge(slot, 2, idBob);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, idBob, IPlasmaCash.ChallengeStatus.None)
        );
        plasma.settleChallenge(slot, 0, idBob);
        assertEq(plasma.bondBalance(bob), 0);
    }
}
