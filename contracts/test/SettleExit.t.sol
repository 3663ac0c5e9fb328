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

/// @notice Review finding F1: the losers of an Exited coin are out of the game. No challenge or answer of any form
/// reaches them (a thief could otherwise cancel its own losing exit through a friend and take the half of its
/// bond owed to the winner); settleExit alone cancels them, half the bond to the winner.
/// @dev alice → bob (b1) → carol (b2); the operator forges b2 → mallory (b3, unsigned), mallory double-spends it
/// to dave (b4) and to mallory (b5). mallory exits b5 over b3 (nonce 1), carol exits b2 (nonce 2, the winner).
/// dave opened challengeBefore(toBob) on mallory's exit, which mallory could answer with toCarol.
contract PlasmaCash_SettleExit_LosersUnchallengeable_Test is PlasmaCashTestBase {
    uint256 internal constant HALF = EXIT_BOND / 2;

    uint64 internal slot;
    uint256 internal b1;
    uint256 internal b2;
    uint256 internal b3;
    uint256 internal b4;
    uint256 internal b5;
    Transaction internal toBob;
    Transaction internal toCarol;
    Transaction internal doubleSpend;
    Transaction internal exiting;

    function setUp() public override {
        super.setUp();
        slot = _depositEth(alice, 1 ether);
        toBob = _tx(slot, _depositBlock(slot), bob);
        b1 = _submitBlock(toBob);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        Transaction memory forged = _tx(slot, b2, mallory);
        b3 = _submitBlock(forged);
        doubleSpend = _tx(slot, b3, dave);
        b4 = _submitBlock(doubleSpend);
        exiting = _tx(slot, b3, mallory);
        b5 = _submitBlock(exiting);
        _startExit(mallory, forged, b3, exiting, malloryKey, b5);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        vm.prank(dave);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(1, toBob, _proof(b1, slot), b1);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(plasma.getCoin(slot).headExit, 2, "carol won");
    }

    /// @dev After every refused attempt, settleExit still pays the winner its half.
    function _assertSettledForTheWinner() internal {
        assertEq(uint8(plasma.getExit(slot, 1).status), uint8(IPlasmaCash.ExitStatus.Live), "untouched");
        vm.prank(alice);
        plasma.settleExit(slot, 1);
        assertEq(plasma.bondBalance(carol), EXIT_BOND + HALF, "the winner: its bond and half the loser's");
        assertEq(plasma.bondBalance(mallory), 0);
        assertEq(plasma.bondBalance(dave), 0);
        plasma.settleChallenge(slot, 1, _digest(toBob));
        assertEq(plasma.bondBalance(dave), CHALLENGE_BOND, "dave's open challenge: its bond back");
    }

    function test_RevertWhen_ChallengeAfter_LoserOfExitedCoin() public {
        Transaction memory selfSpend = _tx(slot, b5, dave); // mallory spends her exited receipt to a friend
        uint256 spendBlock = _submitBlock(selfSpend);
        bytes memory sig = _sign(malloryKey, selfSpend);
        bytes memory proof = _proof(spendBlock, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(dave);
        plasma.challengeAfter(selfSpend, sig, proof, spendBlock);
        _assertSettledForTheWinner();
    }

    function test_RevertWhen_ChallengeBetween_LoserOfExitedCoin() public {
        bytes memory sig = _sign(malloryKey, doubleSpend);
        bytes memory proof = _proof(b4, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(dave);
        plasma.challengeBetween(doubleSpend, sig, proof, b4);
        _assertSettledForTheWinner();
    }

    function test_RevertWhen_ChallengeBetweenExit_LoserOfExitedCoin() public {
        bytes memory sig = _sign(malloryKey, doubleSpend);
        bytes memory proof = _proof(b4, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        vm.prank(dave);
        plasma.challengeBetweenExit(1, doubleSpend, sig, proof, b4);
        _assertSettledForTheWinner();
    }

    function test_RevertWhen_ChallengeBefore_LoserOfExitedCoin() public {
        Transaction memory depositTx = _depositTx(slot);
        uint256 depositBlock = _depositBlock(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(bob);
        plasma.challengeBefore{value: CHALLENGE_BOND}(depositTx, "", depositBlock);
        _assertSettledForTheWinner();
    }

    function test_RevertWhen_ChallengeBeforeExit_LoserOfExitedCoin() public {
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        vm.prank(bob);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(1, toCarol, proof, b2);
        _assertSettledForTheWinner();
    }

    function test_RevertWhen_RespondChallengeBefore_LoserOfExitedCoin() public {
        bytes32 challengeId = _digest(toBob);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(mallory);
        plasma.respondChallengeBefore(challengeId, toCarol, sig, proof, b2);
        _assertSettledForTheWinner();
    }

    function test_RevertWhen_RespondChallengeBeforeExit_LoserOfExitedCoin() public {
        bytes32 challengeId = _digest(toBob);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        vm.prank(mallory);
        plasma.respondChallengeBeforeExit(1, challengeId, toCarol, sig, proof, b2);
        _assertSettledForTheWinner();
    }

    /// @dev Withdrawn is stage 4 in word 0's state byte (word 1 stays zero for ETH: no zero-to-non-zero write);
    /// the view shows Exited + withdrawn, and the losers are still settled for the winner afterwards.
    function test_SettleExit_AfterWithdraw_WithdrawnKeptInWordZero() public {
        bytes32 base = keccak256(abi.encode(slot, uint256(4)));
        vm.prank(carol);
        plasma.withdraw(slot);
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Exited));
        assertTrue(coin.withdrawn);
        assertEq(uint256(vm.load(address(plasma), base)) >> 200 & 0xff, 4, "state byte: Withdrawn");
        assertEq(vm.load(address(plasma), bytes32(uint256(base) + 1)), bytes32(0), "word 1 of an ETH coin: zero");
        _assertSettledForTheWinner();
    }

    /// @dev The same evidence is accepted while the coin is still Exiting: the refusals above are the rule.
    function test_LoserEvidence_AcceptedBeforeTheCoinExited() public {
        // Rebuild the same situation without finalizing: a fresh coin, same shape.
        uint64 s2 = _depositEth(alice, 1 ether);
        Transaction memory tb = _tx(s2, _depositBlock(s2), bob);
        uint256 c1 = _submitBlock(tb);
        Transaction memory forged = _tx(s2, c1, mallory);
        uint256 c2 = _submitBlock(forged);
        Transaction memory ex = _tx(s2, c2, mallory);
        uint256 c3 = _submitBlock(ex);
        _startExit(mallory, forged, c2, ex, malloryKey, c3);
        Transaction memory selfSpend = _tx(s2, c3, dave);
        uint256 c4 = _submitBlock(selfSpend);
        _challengeAfter(dave, selfSpend, malloryKey, c4);
        assertEq(uint8(plasma.getExit(s2, 1).status), uint8(IPlasmaCash.ExitStatus.Cancelled));
    }
}

