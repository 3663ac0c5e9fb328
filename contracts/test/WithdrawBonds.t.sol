// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {PlasmaCash} from "../src/PlasmaCash.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @dev A bond holder that is a contract: it can refuse ETH, or call withdrawBonds again while being paid.
contract BondActor {
    PlasmaCash internal immutable plasma;
    bool public acceptEth = true;
    bool public reenter;
    bool public reentered;
    bytes public reentryError;

    constructor(PlasmaCash plasma_) {
        plasma = plasma_;
    }

    receive() external payable {
        if (!acceptEth) revert("rejects ETH");
        if (reenter && !reentered) {
            reentered = true;
            try plasma.withdrawBonds() {}
            catch (bytes memory e) {
                reentryError = e;
            }
        }
    }

    function setAcceptEth(bool accept) external {
        acceptEth = accept;
    }

    function setReenter(bool reenter_) external {
        reenter = reenter_;
    }

    function deposit() external payable returns (uint64) {
        return plasma.deposit{value: msg.value}();
    }

    function startDepositExit(uint64 slot) external payable {
        plasma.startDepositExit{value: msg.value}(slot);
    }

    function withdrawBonds() external {
        plasma.withdrawBonds();
    }
}

contract PlasmaCash_WithdrawBonds_Test is PlasmaCashTestBase {
    /// @dev An actor whose deposit exit finalized: EXIT_BOND credited to it.
    function _creditedActor() internal returns (BondActor actor) {
        actor = new BondActor(plasma);
        uint64 slot = actor.deposit{value: 1 ether}();
        actor.startDepositExit{value: EXIT_BOND}(slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(plasma.bondBalance(address(actor)), EXIT_BOND);
    }

    function test_WithdrawBonds_PaysExitBondAfterFinalize() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _startDepositExit(alice, slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(plasma.bondBalance(alice), EXIT_BOND);

        uint256 before = alice.balance;
        vm.prank(alice);
        plasma.withdrawBonds();
        assertEq(alice.balance - before, EXIT_BOND);
        assertEq(plasma.bondBalance(alice), 0);
        assertEq(address(plasma).balance, 1 ether); // the coin, not yet withdrawn
    }

    function test_WithdrawBonds_EmitsBondsWithdrawn() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _startDepositExit(alice, slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondsWithdrawn(alice, EXIT_BOND);
        vm.prank(alice);
        plasma.withdrawBonds();
    }

    function test_WithdrawBonds_ChallengerTakesHalfBurnedHalfStays() public {
        // alice sent her coin to bob, then exits it from the deposit; bob cancels with challengeAfter.
        uint64 slot = _depositEth(alice, 1 ether);
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBlock(toBob);
        _startDepositExit(alice, slot);
        _challengeAfter(bob, toBob, aliceKey, b1);
        assertEq(plasma.bondBalance(bob), EXIT_BOND / 2);
        assertEq(plasma.bondBalance(alice), 0);

        uint256 before = bob.balance;
        vm.prank(bob);
        plasma.withdrawBonds();
        assertEq(bob.balance - before, EXIT_BOND / 2);
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2);
        assertEq(address(plasma).balance, 1 ether + plasma.burnedBonds());

        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoBonds.selector, alice));
        vm.prank(alice);
        plasma.withdrawBonds();
    }

    function test_WithdrawBonds_UnansweredChallengerTakesBondAndReward() public {
        // carol exits honestly but never answers mallory's challengeBefore: the exit is cancelled at maturity.
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _challengeBefore(mallory, _depositTx(slot), d);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        uint256 expected = CHALLENGE_BOND + EXIT_BOND / 2;
        assertEq(plasma.bondBalance(mallory), expected);
        uint256 before = mallory.balance;
        vm.prank(mallory);
        plasma.withdrawBonds();
        assertEq(mallory.balance - before, expected);
        assertEq(plasma.bondBalance(mallory), 0);
    }

    function test_WithdrawBonds_PaysAccumulatedCredits() public {
        // carol answers the challenge (the challenger's bond is hers) and then finalizes (her exit bond back).
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        bytes32 challengeId = _challengeBefore(mallory, _depositTx(slot), d);
        _respond(carol, challengeId, toBob, aliceKey, b1);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        assertEq(plasma.bondBalance(carol), CHALLENGE_BOND + EXIT_BOND);
        uint256 before = carol.balance;
        vm.prank(carol);
        plasma.withdrawBonds();
        assertEq(carol.balance - before, CHALLENGE_BOND + EXIT_BOND);
        assertEq(plasma.bondBalance(carol), 0);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoBonds.selector, mallory));
        vm.prank(mallory);
        plasma.withdrawBonds();
    }

    function test_WithdrawBonds_LeavesOthersCredit() public {
        uint64 a = _depositEth(alice, 1 ether);
        uint64 b = _depositEth(bob, 1 ether);
        _startDepositExit(alice, a);
        _startDepositExit(bob, b);
        _warpPastExitPeriod();
        plasma.finalizeExit(a);
        plasma.finalizeExit(b);
        vm.prank(alice);
        plasma.withdrawBonds();
        assertEq(plasma.bondBalance(alice), 0);
        assertEq(plasma.bondBalance(bob), EXIT_BOND);
        assertEq(address(plasma).balance, 2 ether + EXIT_BOND);
    }

    function test_RevertWhen_WithdrawBonds_NoBonds() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoBonds.selector, mallory));
        vm.prank(mallory);
        plasma.withdrawBonds();
    }

    function test_RevertWhen_WithdrawBonds_Twice() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _depositEth(bob, 1 ether);
        _startDepositExit(alice, slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.prank(alice);
        plasma.withdrawBonds();
        uint256 before = alice.balance;
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoBonds.selector, alice));
        vm.prank(alice);
        plasma.withdrawBonds();
        assertEq(alice.balance, before);
    }

    function test_RevertWhen_WithdrawBonds_ExitStillLive() public {
        // A live exit's bond is held, not credited.
        uint64 slot = _depositEth(alice, 1 ether);
        _startDepositExit(alice, slot);
        _warpPastExitPeriod();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoBonds.selector, alice));
        vm.prank(alice);
        plasma.withdrawBonds();
    }

    function test_RevertWhen_WithdrawBonds_RecipientRejectsEth() public {
        BondActor actor = _creditedActor();
        actor.setAcceptEth(false);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.EthTransferFailed.selector, address(actor), EXIT_BOND));
        actor.withdrawBonds();
        // The credit is kept and can be taken once the recipient accepts ETH.
        assertEq(plasma.bondBalance(address(actor)), EXIT_BOND);
        actor.setAcceptEth(true);
        actor.withdrawBonds();
        assertEq(address(actor).balance, EXIT_BOND);
        assertEq(plasma.bondBalance(address(actor)), 0);
    }

    function test_WithdrawBonds_ReentrantRecipientPaidOnce() public {
        _depositEth(bob, 5 ether); // ETH a second payout could take
        BondActor actor = _creditedActor();
        actor.setReenter(true);
        uint256 held = address(plasma).balance;
        actor.withdrawBonds();
        assertTrue(actor.reentered());
        assertEq(bytes4(actor.reentryError()), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        assertEq(address(actor).balance, EXIT_BOND);
        assertEq(address(plasma).balance, held - EXIT_BOND);
        assertEq(plasma.bondBalance(address(actor)), 0);
    }
}
