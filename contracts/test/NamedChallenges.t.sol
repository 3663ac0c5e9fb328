// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @dev bob double-spends his receipt (b1): to carol (b2), to dave (b3) and to erin (b4); all three exit, so three
/// live exits share parent block b1 (nonces 1, 2, 3 by exit block).
abstract contract NamedChallengesBase is PlasmaCashTestBase {
    uint64 internal slot;
    uint256 internal d;
    Transaction internal toBob;
    uint256 internal b1;
    Transaction internal toCarol;
    uint256 internal b2;
    Transaction internal toDave;
    uint256 internal b3;
    Transaction internal toErin;
    uint256 internal b4;
    address internal erin;
    uint256 internal erinKey;

    function setUp() public override {
        super.setUp();
        (erin, erinKey) = makeAddrAndKey("erin");
        vm.deal(erin, 100 ether);
        slot = _depositEth(alice, 1 ether);
        d = _depositBlock(slot);
        toBob = _tx(slot, d, bob);
        b1 = _submitBlock(toBob);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        toDave = _tx(slot, b1, dave);
        b3 = _submitBlock(toDave);
        toErin = _tx(slot, b1, erin);
        b4 = _submitBlock(toErin);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _startExit(dave, toBob, b1, toDave, bobKey, b3);
        _startExit(erin, toBob, b1, toErin, bobKey, b4);
    }
}

contract PlasmaCash_ChallengeBetweenExit_Test is NamedChallengesBase {
    function test_ChallengeBetweenExit_ReachesAnExitTheUnnamedFormDoesNotReachFirst() public {
        // carol's spend (b2) fits dave's exit (b3) and erin's (b4): the unnamed form takes dave's first.
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 3, carol, IPlasmaCash.CancelReason.DoubleSpend);
        vm.prank(carol);
        plasma.challengeBetweenExit(3, toCarol, sig, proof, b2);
        assertEq(uint8(plasma.getExit(slot, 3).status), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(uint8(plasma.getExit(slot, 2).status), uint8(IPlasmaCash.ExitStatus.Live));
        // The unnamed form then takes dave's.
        vm.prank(carol);
        plasma.challengeBetween(toCarol, sig, proof, b2);
        assertEq(uint8(plasma.getExit(slot, 2).status), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(plasma.getCoin(slot).headExit, 1);
        assertEq(plasma.getExit(slot, 1).nextExit, 0);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        plasma.challengeBetween(toCarol, sig, proof, b2);
    }

    function test_RevertWhen_ChallengeBetweenExit_ExitNotLive() public {
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 4));
        plasma.challengeBetweenExit(4, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_ChallengeBetweenExit_NotBetween() public {
        // carol's own spend against her own exit: it is the exit block, not between.
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotBetween.selector, b2, b1, b2));
        plasma.challengeBetweenExit(1, toCarol, sig, proof, b2);
    }
}

contract PlasmaCash_ChallengeBeforeExit_Test is NamedChallengesBase {
    function test_ChallengeBeforeExit_ReachesAnExitTheUnnamedFormDoesNotReachFirst() public {
        Transaction memory claim = _depositTx(slot);
        bytes32 id = _digest(claim);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeOpened(slot, 3, id, mallory, claim, d, vm.getBlockTimestamp() + EXIT_PERIOD);
        vm.prank(mallory);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(3, claim, "", d);
        assertEq(plasma.getExit(slot, 3).firstChallenge, id);
        assertEq(plasma.getExit(slot, 1).firstChallenge, bytes32(0), "the lowest exit is untouched");
    }

    function test_ChallengeBefore_OneClaimReachesEveryExitItFitsOneCallEach() public {
        Transaction memory claim = _depositTx(slot);
        bytes32 id = _digest(claim);
        for (uint256 nonce = 1; nonce <= 3; nonce++) {
            vm.expectEmit(address(plasma));
            emit IPlasmaCash.ChallengeOpened(slot, nonce, id, mallory, claim, d, vm.getBlockTimestamp() + EXIT_PERIOD);
            _challengeBefore(mallory, claim, d);
        }
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(mallory);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, "", d);
    }

    function test_ChallengeBefore_SkipsExitsWhoseParentIsNotAfterTheClaim() public {
        // A claim at b1 fits no exit (every parent block is b1); a deposit exit is never a target either.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(mallory);
        plasma.challengeBefore{value: CHALLENGE_BOND}(toBob, _proof(b1, slot), b1);
    }

    function test_RevertWhen_ChallengeBeforeExit_WrongBond() public {
        Transaction memory claim = _depositTx(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, 0, CHALLENGE_BOND));
        vm.prank(mallory);
        plasma.challengeBeforeExit(1, claim, "", d);
    }

    function test_RevertWhen_ChallengeBeforeExit_ClaimNotInHistory() public {
        Transaction memory fake = _tx(slot, 0, mallory);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        vm.prank(mallory);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(1, fake, "", d);
    }
}

contract PlasmaCash_RespondChallengeBeforeExit_Test is NamedChallengesBase {
    function test_RespondChallengeBeforeExit_AnswersAnExitTheUnnamedFormDoesNotReachFirst() public {
        Transaction memory claim = _depositTx(slot);
        bytes32 id = _challengeBefore(mallory, claim, d); // carol's exit (1)
        _challengeBefore(mallory, claim, d); // dave's exit (2)
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        vm.prank(dave);
        plasma.respondChallengeBeforeExit(2, id, toBob, sig, proof, b1);
        assertEq(uint8(plasma.getChallenge(slot, 2, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(plasma.bondBalance(dave), CHALLENGE_BOND);
        // The unnamed form answers the lowest exit holding it open.
        vm.prank(carol);
        plasma.respondChallengeBefore(id, toBob, sig, proof, b1);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
        assertEq(plasma.bondBalance(carol), CHALLENGE_BOND);
    }

    function test_RevertWhen_RespondChallengeBeforeExit_ExitNotLive() public {
        bytes32 id = _challengeBefore(mallory, _depositTx(slot), d);
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 9));
        plasma.respondChallengeBeforeExit(9, id, toBob, sig, proof, b1);
    }
}
