// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice finalizeExit (§6): only once block.timestamp >= finalizableAt (exit start + EXIT_PERIOD, pushed by
/// every challengeBefore and response). With no open challengeBefore the coin becomes EXITED for the exitor and
/// the exit bond is credited back; otherwise the exit is cancelled, the coin returns to DEPOSITED, the OLDEST
/// open challenger gets half the exit bond plus its own bond, and the other half is burned.
/// @dev History: alice deposits 1 ether (D) → bob at b1 → carol at b2 → dave at b3 → erin at b4. Erin exits
/// (parent toDave at b3, exiting toErin at b4). Claims against it: the deposit, toBob (b1), toCarol (b2).
contract PlasmaCash_FinalizeExit_Test is PlasmaCashTestBase {
    address internal erin;
    uint256 internal erinKey;
    uint64 internal slot;
    uint256 internal depositBlock;
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

    function _finalizableAt() internal view returns (uint256) {
        return _exit().finalizableAt;
    }

    function _expectNotMatured(uint256 finalizableAt) internal {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, finalizableAt));
        plasma.finalizeExit(slot);
    }

    function _openAllThree() internal returns (bytes32 idDeposit, bytes32 idBob, bytes32 idCarol) {
        idDeposit = _challengeBefore(alice, _depositTx(slot), depositBlock);
        idBob = _challengeBefore(bob, toBob, b1);
        idCarol = _challengeBefore(carol, toCarol, b2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Maturity
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_FinalizeExit_NotMatured() public {
        uint256 finalizableAt = exitStart + EXIT_PERIOD;
        assertEq(_finalizableAt(), finalizableAt);
        _expectNotMatured(finalizableAt);
        vm.warp(finalizableAt - 1);
        _expectNotMatured(finalizableAt);
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Live, IPlasmaCash.CoinState.Exiting);
    }

    function test_FinalizeExit_AtExactlyFinalizableAt() public {
        vm.warp(exitStart + EXIT_PERIOD);
        plasma.finalizeExit(slot);
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
    }

    function test_FinalizeExit_RespectsChallengeExtension() public {
        vm.warp(exitStart + EXIT_PERIOD - 1 hours);
        _challengeBefore(mallory, _depositTx(slot), depositBlock);
        uint256 extended = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        assertEq(_finalizableAt(), extended);

        vm.warp(exitStart + EXIT_PERIOD); // the original maturity no longer suffices
        _expectNotMatured(extended);
        vm.warp(extended - 1);
        _expectNotMatured(extended);
        vm.warp(extended);
        plasma.finalizeExit(slot); // unanswered: cancelled, but only now
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
    }

    function test_FinalizeExit_RespectsResponseExtension() public {
        bytes32 id = _challengeBefore(mallory, _depositTx(slot), depositBlock);
        vm.warp(exitStart + EXIT_PERIOD - 1);
        _respond(erin, id, toBob, aliceKey, b1);
        uint256 extended = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        assertEq(_finalizableAt(), extended);

        vm.warp(exitStart + EXIT_PERIOD);
        _expectNotMatured(extended);
        vm.warp(extended - 1);
        _expectNotMatured(extended);
        vm.warp(extended);
        plasma.finalizeExit(slot);
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        assertEq(plasma.bondBalance(erin), EXIT_BOND + CHALLENGE_BOND);
    }

    function test_FinalizeExit_RespectsEveryExtensionInTurn() public {
        uint256 finalizableAt = exitStart + EXIT_PERIOD;
        // Challenge, response, challenge, response: each at the last second of the current deadline.
        vm.warp(finalizableAt - 1);
        bytes32 idDeposit = _challengeBefore(mallory, _depositTx(slot), depositBlock);
        finalizableAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        assertEq(_finalizableAt(), finalizableAt, "after challenge 1");

        vm.warp(finalizableAt - 1);
        _respond(erin, idDeposit, toBob, aliceKey, b1);
        finalizableAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        assertEq(_finalizableAt(), finalizableAt, "after response 1");

        vm.warp(finalizableAt - 1);
        bytes32 idBob = _challengeBefore(mallory, toBob, b1);
        finalizableAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        assertEq(_finalizableAt(), finalizableAt, "after challenge 2");

        vm.warp(finalizableAt - 1);
        _respond(erin, idBob, toCarol, bobKey, b2);
        finalizableAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        assertEq(_finalizableAt(), finalizableAt, "after response 2");

        vm.warp(finalizableAt - 1);
        _expectNotMatured(finalizableAt);
        vm.warp(finalizableAt);
        plasma.finalizeExit(slot);
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        assertEq(plasma.bondBalance(erin), EXIT_BOND + 2 * CHALLENGE_BOND);
        assertEq(plasma.bondBalance(mallory), 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finalized: no open challenge
    // ---------------------------------------------------------------------------------------------------------

    function test_FinalizeExit_ExitsCoinForExitorWithoutOpenChallenges() public {
        _warpPastExitPeriod();
        uint256 contractBalance = address(plasma).balance;

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(erin, EXIT_BOND);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitFinalized(slot, 1, erin);
        plasma.finalizeExit(slot);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        assertEq(plasma.bondBalance(erin), EXIT_BOND, "exit bond freed");
        assertEq(plasma.burnedBonds(), 0, "nothing burned");
        assertEq(address(plasma).balance, contractBalance, "pull payments only");

        uint256 erinBefore = erin.balance;
        vm.startPrank(erin);
        plasma.withdraw(slot);
        plasma.withdrawBonds();
        vm.stopPrank();
        assertEq(erin.balance - erinBefore, 1 ether + EXIT_BOND);
    }

    function test_FinalizeExit_DepositExit() public {
        uint64 coin = _depositEth(bob, 3 ether);
        _startDepositExit(bob, coin);
        _warpPastExitPeriod();
        plasma.finalizeExit(coin);
        (, IPlasmaCash.Exit memory exit_) = _currentExit(coin);
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Finalized));
        assertEq(uint8(plasma.getCoin(coin).state), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(plasma.bondBalance(bob), EXIT_BOND);
    }

    function test_FinalizeExit_AnyoneCanFinalizeForTheExitor() public {
        _warpPastExitPeriod();
        vm.prank(mallory);
        plasma.finalizeExit(slot);
        assertEq(plasma.bondBalance(erin), EXIT_BOND);
        assertEq(plasma.bondBalance(mallory), 0);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotCoinOwner.selector, mallory, erin));
        vm.prank(mallory);
        plasma.withdraw(slot);
    }

    function test_FinalizeExit_ExitsCoinWhenEveryChallengeWasAnswered() public {
        (bytes32 idDeposit, bytes32 idBob, bytes32 idCarol) = _openAllThree();
        _respond(erin, idCarol, toDave, carolKey, b3);
        _respond(erin, idDeposit, toBob, aliceKey, b1);
        _respond(erin, idBob, toCarol, bobKey, b2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        assertEq(plasma.bondBalance(erin), EXIT_BOND + 3 * CHALLENGE_BOND);
        assertEq(plasma.bondBalance(alice) + plasma.bondBalance(bob) + plasma.bondBalance(carol), 0);
        assertEq(plasma.burnedBonds(), 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Cancelled: an open challenge
    // ---------------------------------------------------------------------------------------------------------

    function test_FinalizeExit_CancelsWithAnOpenChallenge() public {
        bytes32 id = _challengeBefore(bob, toBob, b1);
        _warpPastExitPeriod();

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(bob, CHALLENGE_BOND);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeSettled(slot, 1, id, bob);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(bob, EXIT_BOND / 2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondBurned(slot, 1, EXIT_BOND - EXIT_BOND / 2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 1, bob, IPlasmaCash.CancelReason.UnansweredChallenge);
        plasma.finalizeExit(slot);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Settled));
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND + EXIT_BOND / 2, "own bond + half the exit bond");
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2, "half burned");
        assertEq(plasma.bondBalance(erin), 0, "exitor loses its bond");
        assertEq(address(plasma).balance, 1 ether + EXIT_BOND + CHALLENGE_BOND, "pull payments only");
    }

    function test_FinalizeExit_OldestOpenChallengerTakesTheSlash() public {
        (bytes32 idDeposit, bytes32 idBob, bytes32 idCarol) = _openAllThree();
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(alice), CHALLENGE_BOND + EXIT_BOND / 2, "oldest open wins");
        assertEq(plasma.bondBalance(bob), 0, "others settle separately");
        assertEq(plasma.bondBalance(carol), 0, "others settle separately");
        assertEq(uint8(plasma.getChallenge(slot, 1, idDeposit).status), uint8(IPlasmaCash.ChallengeStatus.Settled));
        assertEq(uint8(plasma.getChallenge(slot, 1, idBob).status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(uint8(plasma.getChallenge(slot, 1, idCarol).status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2);
    }

    function test_FinalizeExit_OldestStillOpenWinsAfterTheOldestWasAnswered() public {
        (bytes32 idDeposit, bytes32 idBob,) = _openAllThree();
        _respond(erin, idDeposit, toBob, aliceKey, b1);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND + EXIT_BOND / 2, "bob's is now the oldest open");
        assertEq(plasma.bondBalance(alice), 0, "answered: alice's bond went to the exitor");
        assertEq(plasma.bondBalance(erin), CHALLENGE_BOND, "the exitor keeps what it won by answering");
        assertEq(uint8(plasma.getChallenge(slot, 1, idBob).status), uint8(IPlasmaCash.ChallengeStatus.Settled));
    }

    function test_FinalizeExit_CancelledCoinCanBeExitedAgain() public {
        bytes32 id = _challengeBefore(bob, toBob, b1);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        // The coin is DEPOSITED again: erin starts a new exit, untouched by the old challenge.
        _startExit(erin, toDave, b3, toErin, daveKey, b4);
        (uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        assertEq(nonce, 2);
        assertEq(exit_.firstChallenge, bytes32(0));
        assertEq(uint8(plasma.getChallenge(slot, 2, id).status), uint8(IPlasmaCash.ChallengeStatus.None));
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        _assertExitState(slot, 2, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
    }

    // ---------------------------------------------------------------------------------------------------------
    // No live exit
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_FinalizeExit_NoExit() public {
        uint64 coin = _depositEth(bob, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoLiveExit.selector, coin));
        plasma.finalizeExit(coin);
        uint64 unknown = 12345;
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoLiveExit.selector, unknown));
        plasma.finalizeExit(unknown);
    }

    function test_RevertWhen_FinalizeExit_AlreadyFinalized() public {
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoLiveExit.selector, slot));
        plasma.finalizeExit(slot);
        assertEq(plasma.bondBalance(erin), EXIT_BOND, "bond credited once");
    }

    function test_RevertWhen_FinalizeExit_AlreadyCancelled() public {
        _challengeBefore(bob, toBob, b1);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoLiveExit.selector, slot));
        plasma.finalizeExit(slot);
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND + EXIT_BOND / 2, "slash paid once");
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2, "burned once");
    }

    function test_RevertWhen_FinalizeExit_CancelledByChallengeAfter() public {
        // erin spends the coin after exiting; a challengeAfter cancels at once and nothing is left to finalize.
        Transaction memory spend = _tx(slot, b4, alice);
        uint256 b5 = _submitBlock(spend);
        _challengeAfter(alice, spend, erinKey, b5);
        _warpPastExitPeriod();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoLiveExit.selector, slot));
        plasma.finalizeExit(slot);
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
    }
}
