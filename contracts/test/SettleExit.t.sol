// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice settleExit: once a coin is Exited, each other live exit is cancelled on its own (OutlivedByWinner),
/// half its bond to the winner and half burned, by anyone, in O(1).
/// @dev alice → bob (b1) → carol (b2); the operator forges b2 → mallory (b3), mallory → mallory (b4). carol's
/// exit (nonce 2, exit block b2) wins over mallory's (nonce 1, exit block b4).
contract PlasmaCash_SettleExit_Test is PlasmaCashTestBase {
    uint256 internal constant HALF = EXIT_BOND / 2;

    uint64 internal slot;
    uint256 internal b1;
    uint256 internal b2;

    function setUp() public override {
        super.setUp();
        slot = _depositEth(alice, 1 ether);
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        Transaction memory forged = _tx(slot, b2, mallory);
        uint256 b3 = _submitBlock(forged);
        Transaction memory exiting = _tx(slot, b3, mallory);
        uint256 b4 = _submitBlock(exiting);
        _startExit(mallory, forged, b3, exiting, malloryKey, b4);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
    }

    function _carolWins() internal {
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
    }

    function test_SettleExit_CancelsTheLoserHalfToTheWinner() public {
        _carolWins();
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(carol, HALF);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondBurned(slot, 1, EXIT_BOND - HALF);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 1, carol, IPlasmaCash.CancelReason.OutlivedByWinner);
        vm.prank(dave); // anyone
        plasma.settleExit(slot, 1);

        assertEq(uint8(plasma.getExit(slot, 1).status), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(plasma.bondBalance(carol), EXIT_BOND + HALF);
        assertEq(plasma.bondBalance(dave), 0, "the caller earns nothing");
        assertEq(plasma.burnedBonds(), EXIT_BOND - HALF);
        // The coin stays Exited for the winner; the list is left as it was.
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(coin.headExit, 2);
    }

    function test_SettleExit_ThenItsOpenChallengesAreSettled() public {
        bytes32 id = _challengeBefore(dave, _depositTx(slot), _depositBlock(slot)); // reaches carol's exit first
        bytes32 id2 = _challengeBefore(dave, _depositTx(slot), _depositBlock(slot)); // then mallory's
        assertEq(id, id2);
        _respond(carol, id, _tx(slot, _depositBlock(slot), bob), aliceKey, b1);
        _carolWins();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitStillLive.selector, slot, 1));
        plasma.settleChallenge(slot, 1, id);
        plasma.settleExit(slot, 1);
        plasma.settleChallenge(slot, 1, id);
        assertEq(plasma.bondBalance(dave), CHALLENGE_BOND);
    }

    function test_RevertWhen_SettleExit_CoinStillExiting() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotLosingExit.selector, slot, 1));
        plasma.settleExit(slot, 1);
        assertEq(uint8(plasma.getExit(slot, 1).status), uint8(IPlasmaCash.ExitStatus.Live));
    }

    function test_RevertWhen_SettleExit_CoinBackToDeposited() public {
        uint64 other = _depositEth(bob, 1 ether);
        Transaction memory toCarol = _tx(other, _depositBlock(other), carol);
        uint256 bOther = _submitBlock(toCarol);
        _startDepositExit(bob, other);
        _challengeAfter(carol, toCarol, bobKey, bOther);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, other, 1));
        plasma.settleExit(other, 1);
    }

    function test_RevertWhen_SettleExit_TheWinner() public {
        _carolWins();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 2));
        plasma.settleExit(slot, 2);
    }

    function test_RevertWhen_SettleExit_AlreadySettled() public {
        _carolWins();
        plasma.settleExit(slot, 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        plasma.settleExit(slot, 1);
        assertEq(plasma.bondBalance(carol), EXIT_BOND + HALF, "paid once");
    }

    function test_RevertWhen_SettleExit_UnknownExit() public {
        _carolWins();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 3));
        plasma.settleExit(slot, 3);
    }
}
