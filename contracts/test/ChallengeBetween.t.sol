// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice challengeBetween (§6, double spend): a transaction included strictly between the parent block and
/// the exit block, signed by parent.newOwner, with prevBlock == parent block, cancels the live exit at once.
/// @dev History: alice deposits 1 ether (D) → bob at b1. bob double-spends the coin: toDave (prev b1) at b2,
/// then toCarol (prev b1) at b5, which the operator should have refused. Between them the operator also
/// included dave's onward transfer (a grandchild of the parent) at b3 and a transfer bob signed with a
/// prevBlock pointing elsewhere at b4; a deposit of another coin sits at block b2 + 1. Carol exits with
/// parent toBob (b1) and exiting toCarol (b5).
contract PlasmaCash_ChallengeBetween_Test is PlasmaCashTestBase {
    uint64 internal slot;
    uint64 internal other;
    uint256 internal depositBlock;
    uint256 internal otherDepositBlock;
    uint256 internal b1;
    uint256 internal b2;
    uint256 internal b3;
    uint256 internal b4;
    uint256 internal b5;
    Transaction internal toBob;
    Transaction internal toDave; // the double spend: bob → dave, prev b1
    Transaction internal grandchild; // dave → mallory, prev b2
    Transaction internal oddSpend; // bob → mallory, prev D (bob never held the coin at D)
    Transaction internal toCarol; // bob → carol, prev b1: the exiting transaction

    function setUp() public override {
        super.setUp();
        slot = _depositEth(alice, 1 ether);
        depositBlock = _depositBlock(slot);
        toBob = _tx(slot, depositBlock, bob);
        b1 = _submitBlock(toBob);
        toDave = _tx(slot, b1, dave);
        b2 = _submitBlock(toDave);
        other = _depositEth(mallory, 1 ether);
        otherDepositBlock = _depositBlock(other);
        grandchild = _tx(slot, b2, mallory);
        b3 = _submitBlock(grandchild);
        oddSpend = _tx(slot, depositBlock, mallory);
        b4 = _submitBlock(oddSpend);
        toCarol = _tx(slot, b1, carol);
        b5 = _submitBlock(toCarol);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    function _carolExits() internal {
        _startExit(carol, toBob, b1, toCarol, bobKey, b5);
    }

    function _assertUnchanged() internal view {
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Live, IPlasmaCash.CoinState.Exiting);
        assertEq(plasma.bondBalance(dave), 0, "challenger credited");
        assertEq(plasma.bondBalance(mallory), 0, "stranger credited");
        assertEq(plasma.burnedBonds(), 0, "burned");
        assertEq(address(plasma).balance, 2 ether + EXIT_BOND, "contract balance");
    }

    function _challengeBetweenExpectingRevert(
        Transaction memory spend,
        bytes memory sig,
        bytes memory proof,
        uint256 blockNumber,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        vm.prank(dave);
        plasma.challengeBetween(spend, sig, proof, blockNumber);
    }

    /// @dev The named form against exit `nonce` reverts with `err`.
    function _challengeBetweenExitExpectingRevert(
        uint256 nonce,
        Transaction memory spend,
        bytes memory sig,
        bytes memory proof,
        uint256 blockNumber,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        vm.prank(dave);
        plasma.challengeBetweenExit(nonce, spend, sig, proof, blockNumber);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Happy paths
    // ---------------------------------------------------------------------------------------------------------

    function test_ChallengeBetween_CancelsExitOfDoubleSpend() public {
        _carolExits();
        Transaction memory spend = toDave;
        bytes memory sig = _sign(bobKey, spend);
        bytes memory proof = _proof(b2, slot);

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(dave, EXIT_BOND / 2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondBurned(slot, 1, EXIT_BOND - EXIT_BOND / 2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 1, dave, IPlasmaCash.CancelReason.DoubleSpend);
        vm.prank(dave);
        plasma.challengeBetween(spend, sig, proof, b2);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2, "challenger gets half");
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2, "half burned");
        assertEq(plasma.bondBalance(carol), 0, "exitor keeps nothing");
        assertEq(address(plasma).balance, 2 ether + EXIT_BOND, "pull payments only");
    }

    function test_ChallengeBetween_CancelsExitWhoseParentIsTheDeposit() public {
        // alice double-spends her deposit: to bob first, then to carol; carol exits from the deposit.
        uint64 coin = _depositEth(alice, 2 ether);
        uint256 d = _depositBlock(coin);
        Transaction memory first = _tx(coin, d, bob);
        uint256 bFirst = _submitBlock(first);
        Transaction memory second = _tx(coin, d, carol);
        uint256 bSecond = _submitBlock(second);
        _startExit(carol, _depositTx(coin), d, second, aliceKey, bSecond);

        // The parent's owner is the depositor: her earlier spend beats the exit.
        _challengeBetween(bob, first, aliceKey, bFirst);

        (, IPlasmaCash.Exit memory exit_) = _currentExit(coin);
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(uint8(plasma.getCoin(coin).state), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(plasma.bondBalance(bob), EXIT_BOND / 2);
    }

    function test_ChallengeBetween_AcceptedAfterMaturityUntilFinalized() public {
        _carolExits();
        (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        vm.warp(uint256(exit_.finalizableAt) + 1);

        _challengeBetween(dave, toDave, bobKey, b2);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reverts
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_ChallengeBetween_NoExit() public {
        bytes memory sig = _sign(bobKey, toDave);
        bytes memory proof = _proof(b2, slot);
        _challengeBetweenExpectingRevert(toDave, sig, proof, b2, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        _challengeBetweenExitExpectingRevert(1, toDave, sig, proof, b2, abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
    }

    function test_RevertWhen_ChallengeBetween_ExitAlreadyFinalized() public {
        _carolExits();
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        bytes memory sig = _sign(bobKey, toDave);
        bytes memory proof = _proof(b2, slot);
        _challengeBetweenExpectingRevert(toDave, sig, proof, b2, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        _challengeBetweenExitExpectingRevert(1, toDave, sig, proof, b2, abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        assertEq(plasma.bondBalance(dave), 0);
    }

    function test_RevertWhen_ChallengeBetween_ExitAlreadyCancelled() public {
        _carolExits();
        _challengeBetween(dave, toDave, bobKey, b2);

        bytes memory sig = _sign(bobKey, toDave);
        bytes memory proof = _proof(b2, slot);
        _challengeBetweenExpectingRevert(toDave, sig, proof, b2, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        _challengeBetweenExitExpectingRevert(1, toDave, sig, proof, b2, abi.encodeWithSelector(IPlasmaCash.ExitNotLive.selector, slot, 1));
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2, "paid once");
    }

    function test_RevertWhen_ChallengeBetween_DepositExit() public {
        // A deposit exit has no parent, so nothing lies "between": only challengeAfter applies to it.
        _startDepositExit(mallory, other);
        Transaction memory spend = _tx(other, otherDepositBlock, carol);
        uint256 bSpend = _submitBlock(spend);
        bytes memory sig = _sign(malloryKey, spend);
        bytes memory proof = _proof(bSpend, other);
        _challengeBetweenExpectingRevert(spend, sig, proof, bSpend, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, other));
        _challengeBetweenExitExpectingRevert(1, spend, sig, proof, bSpend, abi.encodeWithSelector(IPlasmaCash.DepositExitHasNoParent.selector, other));
        (, IPlasmaCash.Exit memory exit_) = _currentExit(other);
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Live));
    }

    function test_RevertWhen_ChallengeBetween_BlockIsTheParentBlock() public {
        _carolExits();
        Transaction memory spend = _tx(slot, b1, dave);
        bytes memory sig = _sign(bobKey, spend);
        bytes memory proof = _proof(b1, slot);
        _challengeBetweenExpectingRevert(
            spend, sig, proof, b1, abi.encodeWithSelector(IPlasmaCash.NotBetween.selector, b1, b1, b5)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_BlockIsTheExitBlock() public {
        _carolExits();
        // The exiting transaction is bob's signed spend of the parent, but it is the exit itself.
        Transaction memory spend = toCarol;
        bytes memory sig = _sign(bobKey, spend);
        bytes memory proof = _proof(b5, slot);
        _challengeBetweenExpectingRevert(spend, sig, proof, b5, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        _challengeBetweenExitExpectingRevert(1, spend, sig, proof, b5, abi.encodeWithSelector(IPlasmaCash.NotBetween.selector, b5, b1, b5));
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_BlockAfterTheExitBlock() public {
        _carolExits();
        // bob signs yet another spend of the parent, included after the exit: not a challengeBetween.
        Transaction memory late = _tx(slot, b1, mallory);
        uint256 b6 = _submitBlock(late);
        bytes memory sig = _sign(bobKey, late);
        bytes memory proof = _proof(b6, slot);
        _challengeBetweenExpectingRevert(late, sig, proof, b6, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        _challengeBetweenExitExpectingRevert(1, late, sig, proof, b6, abi.encodeWithSelector(IPlasmaCash.NotBetween.selector, b6, b1, b5));
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_BlockBeforeTheParentBlock() public {
        _carolExits();
        Transaction memory spend = _tx(slot, b1, dave);
        bytes memory sig = _sign(bobKey, spend);
        _challengeBetweenExpectingRevert(
            spend,
            sig,
            "",
            depositBlock,
            abi.encodeWithSelector(IPlasmaCash.NotBetween.selector, depositBlock, b1, b5)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_PrevBlockPointsElsewhere() public {
        _carolExits();
        // bob signed oddSpend and it is included at b4, between the parent and the exit, but it does not spend
        // the parent (its prevBlock is the deposit block).
        bytes memory sig = _sign(bobKey, oddSpend);
        bytes memory proof = _proof(b4, slot);
        _challengeBetweenExpectingRevert(oddSpend, sig, proof, b4, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        _challengeBetweenExitExpectingRevert(1, oddSpend, sig, proof, b4, abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b1, depositBlock));
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_SpendIsAGrandchild() public {
        _carolExits();
        bytes memory sig = _sign(daveKey, grandchild);
        bytes memory proof = _proof(b3, slot);
        _challengeBetweenExpectingRevert(grandchild, sig, proof, b3, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        _challengeBetweenExitExpectingRevert(1, grandchild, sig, proof, b3, abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b1, b2));
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_SpendNotIncluded() public {
        _carolExits();
        // A spend of the parent bob signed but that b3 does not hold (b3 holds the grandchild).
        Transaction memory spend = _tx(slot, b1, mallory);
        bytes memory sig = _sign(bobKey, spend);
        bytes memory proof = _proof(b3, slot);
        _challengeBetweenExpectingRevert(
            spend, sig, proof, b3, abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b3)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_BlockNotCommitted() public {
        _carolExits();
        // A deposit block between the parent and the exit holds no tree.
        bytes memory sig = _sign(bobKey, toDave);
        bytes memory proof = _proof(b2, slot);
        _challengeBetweenExpectingRevert(
            toDave,
            sig,
            proof,
            otherDepositBlock,
            abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, otherDepositBlock)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_NotSignedByParentOwner() public {
        _carolExits();
        bytes memory proof = _proof(b2, slot);
        bytes memory daveSig = _sign(daveKey, toDave);
        _challengeBetweenExpectingRevert(
            toDave, daveSig, proof, b2, abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, dave)
        );
        // Not the depositor either: the parent's owner is bob.
        bytes memory aliceSig = _sign(aliceKey, toDave);
        _challengeBetweenExpectingRevert(
            toDave, aliceSig, proof, b2, abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, alice)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeBetween_WrongDenomination() public {
        _carolExits();
        Transaction memory spend = Transaction({slot: slot, prevBlock: b1, denomination: 2 ether, newOwner: dave});
        bytes memory sig = _sign(bobKey, spend);
        bytes memory proof = _proof(b2, slot);
        _challengeBetweenExpectingRevert(
            spend,
            sig,
            proof,
            b2,
            abi.encodeWithSelector(IPlasmaCash.DenominationMismatch.selector, slot, 1 ether, 2 ether)
        );
        _assertUnchanged();
    }
}
