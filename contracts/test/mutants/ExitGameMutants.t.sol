// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "../utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../src/Transaction.sol";

/// @notice Tests that kill the mutants scripts/mutation-check.mjs found surviving in the exit game v2 (one test
/// per mutant, named after the behaviour the mutant breaks).
contract PlasmaCash_ExitGameMutants_Test is PlasmaCashTestBase {
    /// @dev Kills: challengeBetween's walk without `parentBlock != 0` (ExitGame.sol). A spend naming no parent
    /// (prevBlock 0) fits no exit, not even a deposit exit, whose parent block is 0 too: NoFittingExit, not the
    /// deposit exit's DepositExitHasNoParent.
    function test_RevertWhen_ChallengeBetween_SpendWithoutParentBesideADepositExit() public {
        uint256 b1 = _submitEmptyBlock();
        uint64 slot = _depositEth(alice, 1 ether); // deposit block b1 + 1: above b1
        assertGt(_depositBlock(slot), b1);
        _startDepositExit(alice, slot);

        Transaction memory spend = _tx(slot, 0, bob);
        bytes memory sig = _sign(aliceKey, spend);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(bob);
        plasma.challengeBetween(spend, sig, proof, b1);
        assertEq(uint8(plasma.getExit(slot, 1).status), uint8(IPlasmaCash.ExitStatus.Live));
    }

    /// @dev Kills: withdraw paying the exitor of the newest exit (coin.exitCount) instead of the winner
    /// (coin.headExit, PlasmaCash.sol). carol exits first with the lowest exit block (nonce 1); mallory's forged
    /// exit comes after (nonce 2, higher exit block); carol's wins and only carol is paid.
    function test_Withdraw_PaysTheWinnerNotTheNewestExit() public {
        uint64 slot = _depositEth(alice, 1 ether);
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        Transaction memory forged = _tx(slot, b2, mallory);
        uint256 b3 = _submitBlock(forged);
        Transaction memory malloryExiting = _tx(slot, b3, mallory);
        uint256 b4 = _submitBlock(malloryExiting);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _startExit(mallory, forged, b3, malloryExiting, malloryKey, b4);
        assertEq(plasma.getCoin(slot).headExit, 1, "carol's exit heads the list");
        assertEq(plasma.getCoin(slot).exitCount, 2, "mallory's is the newest");

        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getExit(slot, 1).status), uint8(IPlasmaCash.ExitStatus.Finalized));

        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotCoinOwner.selector, mallory, carol));
        vm.prank(mallory);
        plasma.withdraw(slot);

        uint256 before = carol.balance;
        vm.prank(carol);
        plasma.withdraw(slot);
        assertEq(carol.balance, before + 1 ether, "the winner is paid");
        assertTrue(plasma.getCoin(slot).withdrawn);
    }
}
