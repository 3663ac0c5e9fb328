// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice challengeAfter (§6, spent coin): a transaction included at a block > exit block, signed by the
/// exitor, with prevBlock == exit block, cancels the live exit at once; half the exit bond goes to the
/// challenger, half is burned. Accepted until finalizeExit has run.
/// @dev History: alice deposits 1 ether (block D) → bob at b1 → carol at b2 → dave at b3. Carol's exit
/// (parent toBob at b1, exiting toCarol at b2) is the exit of a coin she has already spent to dave.
contract PlasmaCash_ChallengeAfter_Test is PlasmaCashTestBase {
    uint64 internal slot;
    uint256 internal depositBlock;
    uint256 internal b1;
    uint256 internal b2;
    uint256 internal b3;
    Transaction internal toBob;
    Transaction internal toCarol;
    Transaction internal toDave;

    function setUp() public override {
        super.setUp();
        slot = _depositEth(alice, 1 ether);
        depositBlock = _depositBlock(slot);
        toBob = _tx(slot, depositBlock, bob);
        b1 = _submitBlock(toBob);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        toDave = _tx(slot, b2, dave);
        b3 = _submitBlock(toDave);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    function _carolExits() internal {
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
    }

    /// @dev Nothing moved: the exit is still live, no bond was credited or burned.
    function _assertUnchanged() internal view {
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Live, IPlasmaCash.CoinState.Exiting);
        assertEq(plasma.bondBalance(dave), 0, "challenger credited");
        assertEq(plasma.bondBalance(mallory), 0, "stranger credited");
        assertEq(plasma.burnedBonds(), 0, "burned");
        assertEq(address(plasma).balance, 1 ether + EXIT_BOND, "contract balance");
    }

    function _challengeAfterExpectingRevert(
        address challenger,
        Transaction memory spend,
        bytes memory sig,
        bytes memory proof,
        uint256 blockNumber,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        vm.prank(challenger);
        plasma.challengeAfter(spend, sig, proof, blockNumber);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Happy paths
    // ---------------------------------------------------------------------------------------------------------

    function test_ChallengeAfter_CancelsExitOfSpentCoin() public {
        _carolExits();
        Transaction memory spend = toDave;
        bytes memory sig = _sign(carolKey, spend);
        bytes memory proof = _proof(b3, slot);
        uint256 daveEthBefore = dave.balance;

        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(dave, EXIT_BOND / 2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondBurned(slot, 1, EXIT_BOND - EXIT_BOND / 2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 1, dave, IPlasmaCash.CancelReason.SpentAfterExit);
        vm.prank(dave);
        plasma.challengeAfter(spend, sig, proof, b3);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2, "challenger gets half the exit bond");
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2, "the other half is burned");
        assertEq(plasma.bondBalance(carol), 0, "exitor keeps nothing");
        // Pull payments: nothing left the contract, the challenge needed no bond.
        assertEq(dave.balance, daveEthBefore, "challenge is free");
        assertEq(address(plasma).balance, 1 ether + EXIT_BOND, "contract balance");
    }

    function test_ChallengeAfter_CancelsDepositExitOfSpentDeposit() public {
        // alice exits straight from her deposit although she gave the coin to bob at b1.
        _startDepositExit(alice, slot);
        _challengeAfter(bob, toBob, aliceKey, b1);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(bob), EXIT_BOND / 2);
        assertEq(plasma.bondBalance(alice), 0);
        assertEq(plasma.burnedBonds(), EXIT_BOND - EXIT_BOND / 2);
    }

    function test_ChallengeAfter_AnyWatcherCanChallengeAndIsPaid() public {
        // The spend is public data: a third party (not the new owner) may submit it and takes the reward.
        _carolExits();
        _challengeAfter(mallory, toDave, carolKey, b3);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(mallory), EXIT_BOND / 2);
        assertEq(plasma.bondBalance(dave), 0);
    }

    function test_ChallengeAfter_AcceptedAfterMaturityUntilFinalized() public {
        _carolExits();
        (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        vm.warp(uint256(exit_.finalizableAt) + 30 days);

        _challengeAfter(dave, toDave, carolKey, b3);

        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Cancelled, IPlasmaCash.CoinState.Deposited);
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2);
    }

    function test_ChallengeAfter_CancelledCoinExitsForItsRealOwner() public {
        _carolExits();
        _challengeAfter(dave, toDave, carolKey, b3);

        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        _assertExitState(slot, 2, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2 + EXIT_BOND);
        uint256 before = dave.balance;
        vm.prank(dave);
        plasma.withdraw(slot);
        assertEq(dave.balance - before, 1 ether);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reverts
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_ChallengeAfter_NoExit() public {
        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b3, slot);
        _challengeAfterExpectingRevert(
            dave, toDave, sig, proof, b3, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot)
        );
        assertEq(plasma.bondBalance(dave), 0);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Deposited));
    }

    function test_RevertWhen_ChallengeAfter_ExitAlreadyFinalized() public {
        // Nobody challenged in time: once finalizeExit has run, the spend comes too late.
        _carolExits();
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b3, slot);
        _challengeAfterExpectingRevert(
            dave, toDave, sig, proof, b3, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot)
        );
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Finalized, IPlasmaCash.CoinState.Exited);
        assertEq(plasma.bondBalance(dave), 0);
        assertEq(plasma.bondBalance(carol), EXIT_BOND);
    }

    function test_RevertWhen_ChallengeAfter_ExitAlreadyCancelled() public {
        _carolExits();
        _challengeAfter(dave, toDave, carolKey, b3);

        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b3, slot);
        _challengeAfterExpectingRevert(
            mallory, toDave, sig, proof, b3, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot)
        );
        assertEq(plasma.bondBalance(mallory), 0, "a cancelled exit pays once");
        assertEq(plasma.bondBalance(dave), EXIT_BOND / 2);
    }

    function test_RevertWhen_ChallengeAfter_BlockIsTheExitBlock() public {
        _carolExits();
        // The exiting transaction itself: included at the exit block, not after it.
        Transaction memory spend = _tx(slot, b2, dave);
        bytes memory sig = _sign(carolKey, spend);
        bytes memory proof = _proof(b2, slot);
        _challengeAfterExpectingRevert(
            dave, spend, sig, proof, b2, abi.encodeWithSelector(IPlasmaCash.NotAfterExit.selector, b2, b2)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeAfter_BlockBeforeTheExitBlock() public {
        _carolExits();
        // bob's spend to carol at b1 is signed (by bob) and included, but it is history, not a spend of the exit.
        Transaction memory spend = _tx(slot, b2, dave);
        bytes memory sig = _sign(carolKey, spend);
        bytes memory proof = _proof(b1, slot);
        _challengeAfterExpectingRevert(
            dave, spend, sig, proof, b1, abi.encodeWithSelector(IPlasmaCash.NotAfterExit.selector, b1, b2)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeAfter_PrevBlockIsNotTheExitBlock() public {
        _carolExits();
        // carol signed a transfer naming prevBlock b1 (not her exit block) and the operator included it after.
        Transaction memory odd = _tx(slot, b1, dave);
        uint256 b4 = _submitBlock(odd);
        bytes memory sig = _sign(carolKey, odd);
        bytes memory proof = _proof(b4, slot);
        _challengeAfterExpectingRevert(
            dave, odd, sig, proof, b4, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeAfter_SpendIsAGrandchild() public {
        _carolExits();
        // dave's onward transfer spends toDave, not the exiting transaction.
        Transaction memory grandchild = _tx(slot, b3, mallory);
        uint256 b4 = _submitBlock(grandchild);
        bytes memory sig = _sign(daveKey, grandchild);
        bytes memory proof = _proof(b4, slot);
        _challengeAfterExpectingRevert(
            mallory, grandchild, sig, proof, b4, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeAfter_SpendNotIncluded() public {
        _carolExits();
        // A spend carol signed (to mallory) that the block does not hold: b3 holds toDave.
        Transaction memory spend = _tx(slot, b2, mallory);
        bytes memory sig = _sign(carolKey, spend);
        bytes memory proof = _proof(b3, slot);
        _challengeAfterExpectingRevert(
            mallory, spend, sig, proof, b3, abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b3)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeAfter_BlockNotCommitted() public {
        _carolExits();
        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b3, slot);
        uint256 future = b3 + INTERVAL;
        _challengeAfterExpectingRevert(
            dave, toDave, sig, proof, future, abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, future)
        );
        // A deposit block after the exit block has no tree either.
        _depositEth(bob, 1 ether);
        uint256 depositNumber = b3 + 1;
        _challengeAfterExpectingRevert(
            dave,
            toDave,
            sig,
            proof,
            depositNumber,
            abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, depositNumber)
        );
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Live, IPlasmaCash.CoinState.Exiting);
        assertEq(plasma.bondBalance(dave), 0);
    }

    function test_RevertWhen_ChallengeAfter_NotSignedByExitor() public {
        _carolExits();
        bytes memory proof = _proof(b3, slot);
        // The included spend, but with a signature by the previous owner instead of the exitor.
        bytes memory bobSig = _sign(bobKey, toDave);
        _challengeAfterExpectingRevert(
            dave, toDave, bobSig, proof, b3, abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, carol, bob)
        );
        bytes memory daveSig = _sign(daveKey, toDave);
        _challengeAfterExpectingRevert(
            dave, toDave, daveSig, proof, b3, abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, carol, dave)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeAfter_WrongDenomination() public {
        _carolExits();
        Transaction memory spend = Transaction({slot: slot, prevBlock: b2, denomination: 0.5 ether, newOwner: dave});
        bytes memory sig = _sign(carolKey, spend);
        bytes memory proof = _proof(b3, slot);
        _challengeAfterExpectingRevert(
            dave,
            spend,
            sig,
            proof,
            b3,
            abi.encodeWithSelector(IPlasmaCash.DenominationMismatch.selector, slot, 1 ether, 0.5 ether)
        );
        _assertUnchanged();
    }

    function test_RevertWhen_ChallengeAfter_SpendOfAnotherCoin() public {
        _carolExits();
        // A real spend of another coin targets that coin's exit (there is none), never carol's.
        uint64 other = _depositEth(mallory, 1 ether);
        Transaction memory otherSpend = _tx(other, _depositBlock(other), carol);
        uint256 b4 = _submitBlock(otherSpend);
        bytes memory sig = _sign(malloryKey, otherSpend);
        bytes memory proof = _proof(b4, other);
        _challengeAfterExpectingRevert(
            mallory, otherSpend, sig, proof, b4, abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, other)
        );
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Live, IPlasmaCash.CoinState.Exiting);
    }

    function test_RevertWhen_ChallengeAfter_SpendSitsAtAnotherSlotsLeaf() public {
        _carolExits();
        // The operator puts carol's signed spend of this coin at another coin's leaf: it is not in this coin's
        // history, so it proves nothing about the exit.
        uint64 other = _depositEth(mallory, 1 ether);
        Transaction memory spend = _tx(slot, b2, mallory);
        uint64[] memory slots = new uint64[](1);
        slots[0] = other;
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = _digest(spend);
        uint256 b4 = _submitLeaves(slots, leaves);
        bytes memory sig = _sign(carolKey, spend);
        bytes memory proof = _proof(b4, other);
        _challengeAfterExpectingRevert(
            mallory, spend, sig, proof, b4, abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b4)
        );
        assertEq(plasma.bondBalance(mallory), 0);
        _assertExitState(slot, 1, IPlasmaCash.ExitStatus.Live, IPlasmaCash.CoinState.Exiting);
    }
}
