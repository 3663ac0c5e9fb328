// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

contract PlasmaCash_StartDepositExit_Test is PlasmaCashTestBase {
    uint64 internal slot;

    function setUp() public override {
        super.setUp();
        _depositEth(carol, 3 ether); // another coin, so that alice's is not deposit block 1
        slot = _depositEth(alice, 1 ether);
    }

    function _assertDepositExit(uint64 slot_, address exitor, uint256 startedAt) internal view {
        (uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot_);
        assertEq(nonce, 1, "nonce");
        assertEq(exit_.exitor, exitor, "exitor");
        assertEq(exit_.exitBlock, _depositBlock(slot_), "exitBlock");
        assertEq(exit_.finalizableAt, startedAt + EXIT_PERIOD, "finalizableAt");
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Live), "status");
        assertEq(exit_.parentOwner, address(0), "parentOwner");
        assertEq(exit_.parentBlock, 0, "parentBlock");
        assertEq(exit_.firstChallenge, bytes32(0), "firstChallenge");
        assertEq(exit_.lastChallenge, bytes32(0), "lastChallenge");
        IPlasmaCash.Exit memory stored = plasma.getExit(slot_, 1);
        assertEq(stored.exitor, exit_.exitor);
        assertEq(stored.exitBlock, exit_.exitBlock);
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot_);
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Exiting), "coin state");
        assertEq(coin.exitCount, 1, "exitCount");
    }

    function test_StartDepositExit_Eth() public {
        uint256 startedAt = vm.getBlockTimestamp();
        uint256 held = address(plasma).balance;
        _startDepositExit(alice, slot);
        _assertDepositExit(slot, alice, startedAt);
        assertEq(address(plasma).balance, held + EXIT_BOND);
        assertEq(plasma.bondBalance(alice), 0);
    }

    function test_StartDepositExit_EmitsExitStarted() public {
        uint256 d = _depositBlock(slot);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitStarted(slot, 1, alice, 0, d, vm.getBlockTimestamp() + EXIT_PERIOD);
        _startDepositExit(alice, slot);
    }

    function test_StartDepositExit_Erc20() public {
        uint64 coin = _depositErc20(bob, 10e18);
        _startDepositExit(bob, coin);
        _assertDepositExit(coin, bob, vm.getBlockTimestamp());
    }

    function test_StartDepositExit_Erc721() public {
        uint64 coin = _depositErc721(bob, 77);
        _startDepositExit(bob, coin);
        _assertDepositExit(coin, bob, vm.getBlockTimestamp());
    }

    function test_StartDepositExit_AfterChildBlocks() public {
        // Later child blocks do not matter to a deposit exit: only challengeAfter can answer it.
        _submitEmptyBlock();
        _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + 3 days);
        _startDepositExit(alice, slot);
        _assertDepositExit(slot, alice, vm.getBlockTimestamp());
    }

    function test_RevertWhen_StartDepositExit_ExitBlockDeadAfterChallengeAfter() public {
        // alice sent the coin to bob, then tried to exit it from the deposit: bob cancels with challengeAfter.
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBlock(toBob);
        _startDepositExit(alice, slot);
        _challengeAfter(bob, toBob, aliceKey, b1);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Deposited));
        assertTrue(plasma.isExitBlockDead(slot, _depositBlock(slot)), "dead");

        // The deposit is shown spent: nobody exits it again (v1 let alice re-exit at once, round after round).
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockDead.selector, slot, _depositBlock(slot)));
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
        assertEq(plasma.getCoin(slot).exitCount, 1);
    }

    function test_StartDepositExit_AgainAfterUnansweredChallengeCancelledIt() public {
        // An exit cancelled by an unanswered challenge leaves its block free: nothing showed it spent.
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _challengeBefore(dave, _depositTx(slot), _depositBlock(slot));
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getExit(slot, 1).status), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertFalse(plasma.isExitBlockDead(slot, b2), "free, not dead");
        assertEq(plasma.liveExitAt(slot, b2), 0);

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitStarted(slot, 2, carol, b1, b2, vm.getBlockTimestamp() + EXIT_PERIOD);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        assertEq(plasma.liveExitAt(slot, b2), 2);
        assertEq(plasma.getCoin(slot).headExit, 2);
    }

    function test_RevertWhen_StartDepositExit_BondTooLow() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, EXIT_BOND - 1, EXIT_BOND));
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND - 1}(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Deposited));
    }

    function test_RevertWhen_StartDepositExit_BondTooHigh() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, EXIT_BOND + 1, EXIT_BOND));
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND + 1}(slot);
    }

    function test_RevertWhen_StartDepositExit_NoBond() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, 0, EXIT_BOND));
        vm.prank(alice);
        plasma.startDepositExit(slot);
    }

    function test_RevertWhen_StartDepositExit_UnknownCoin() public {
        uint64 unknown = slot ^ 1;
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnknownCoin.selector, unknown));
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND}(unknown);
    }

    function test_RevertWhen_StartDepositExit_StrangerExitsDeposit() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositor.selector, mallory, alice));
        vm.prank(mallory);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(plasma.getCoin(slot).exitCount, 0);
    }

    function test_RevertWhen_StartDepositExit_NewOwnerIsNotDepositor() public {
        // bob owns the coin after a transfer, but a deposit exit is the depositor's: bob exits with startExit.
        _submitBlock(_tx(slot, _depositBlock(slot), bob));
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositor.selector, bob, alice));
        vm.prank(bob);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
    }

    function test_RevertWhen_StartDepositExit_ExitBlockTaken() public {
        _startDepositExit(alice, slot);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ExitBlockTaken.selector, slot, _depositBlock(slot), 1)
        );
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
        (uint256 nonce,) = _currentExit(slot);
        assertEq(nonce, 1);
    }

    function test_RevertWhen_StartDepositExit_CoinExited() public {
        _startDepositExit(alice, slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotDeposited.selector, slot, IPlasmaCash.CoinState.Exited)
        );
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
    }

    function test_RevertWhen_StartDepositExit_CoinWithdrawn() public {
        _startDepositExit(alice, slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.prank(alice);
        plasma.withdraw(slot);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotDeposited.selector, slot, IPlasmaCash.CoinState.Exited)
        );
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
    }

    function testFuzz_RevertWhen_StartDepositExit_WrongBond(uint256 bond) public {
        bond = bound(bond, 0, 10 ether);
        vm.assume(bond != EXIT_BOND);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, bond, EXIT_BOND));
        vm.prank(alice);
        plasma.startDepositExit{value: bond}(slot);
    }
}
