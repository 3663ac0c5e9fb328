// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {TestTree} from "./utils/TestTree.sol";
import {PlasmaCash} from "../src/PlasmaCash.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";
import {SparseMerkle} from "../src/libraries/SparseMerkle.sol";
import {Signatures} from "../src/libraries/Signatures.sol";

/// @notice The attacks of issue 5, each played to the end on L1: who holds the coin, who gets each bond, what
/// is burned, who can withdraw. Every attacker loses; every honest owner keeps its coin.
/// @dev All actors start with 100 ether and gas costs nothing in tests, so ETH balances are exact.
contract PlasmaCash_Attacks_Test is PlasmaCashTestBase {
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant HALF = EXIT_BOND / 2;
    uint256 internal constant BURNED = EXIT_BOND - EXIT_BOND / 2;

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    function _coinState(uint64 slot) internal view returns (uint8) {
        return uint8(plasma.getCoin(slot).state);
    }

    function _exitStatus(uint64 slot) internal view returns (uint8) {
        (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        return uint8(exit_.status);
    }

    function _finalizeWhenMatured(uint64 slot) internal {
        (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        if (vm.getBlockTimestamp() < exit_.finalizableAt) vm.warp(exit_.finalizableAt);
        plasma.finalizeExit(slot);
    }

    /// @dev `who` takes the coin and every bond credited to it; returns the ETH received.
    function _cashOut(address who, uint64 slot) internal returns (uint256) {
        uint256 before = who.balance;
        vm.prank(who);
        plasma.withdraw(slot);
        _withdrawBonds(who);
        return who.balance - before;
    }

    function _withdrawBonds(address who) internal returns (uint256) {
        uint256 before = who.balance;
        if (plasma.bondBalance(who) != 0) {
            vm.prank(who);
            plasma.withdrawBonds();
        }
        return who.balance - before;
    }

    function _expectNotCoinOwner(address who, address owner, uint64 slot) internal {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotCoinOwner.selector, who, owner));
        vm.prank(who);
        plasma.withdraw(slot);
    }

    // ---------------------------------------------------------------------------------------------------------
    // A stranger exits someone else's deposit
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_StrangerStartsDepositExitOfAnotherDeposit() public {
        uint64 slot = _depositEth(alice, 1 ether);

        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositor.selector, mallory, alice));
        vm.prank(mallory);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(plasma.getCoin(slot).exitCount, 0, "no exit opened");
        assertEq(mallory.balance, 100 ether, "bond refused");

        _startDepositExit(alice, slot);
        _finalizeWhenMatured(slot);
        _expectNotCoinOwner(mallory, alice, slot);
        assertEq(_cashOut(alice, slot), 1 ether + EXIT_BOND);
        assertEq(alice.balance, 100 ether);
    }

    function test_Attack_StrangerExitsDepositWithForgedParent() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        // A colluding operator includes mallory's own "spend" of alice's deposit.
        Transaction memory steal = _tx(slot, d, mallory);
        uint256 b1 = _submitBlock(steal);
        bytes memory sig = _sign(malloryKey, steal);
        bytes memory proof = _proof(b1, slot);

        // A deposit transaction naming mallory as the depositor is not the coin's deposit.
        Transaction memory fakeDeposit = Transaction({slot: slot, prevBlock: 0, denomination: 1 ether, newOwner: mallory});
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        vm.prank(mallory);
        plasma.startExit{value: EXIT_BOND}(fakeDeposit, "", d, steal, sig, proof, b1);

        // Nor is the real deposit with a "proof" attached.
        Transaction memory realDeposit = _depositTx(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        vm.prank(mallory);
        plasma.startExit{value: EXIT_BOND}(realDeposit, abi.encodePacked(bytes8(0)), d, steal, sig, proof, b1);

        // The real deposit: the spend must be alice's.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, alice, mallory));
        vm.prank(mallory);
        plasma.startExit{value: EXIT_BOND}(realDeposit, "", d, steal, sig, proof, b1);

        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(mallory.balance, 100 ether);

        // alice exits; mallory's unsigned "spend" cannot cancel it either.
        _startDepositExit(alice, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, alice, mallory));
        vm.prank(mallory);
        plasma.challengeAfter(steal, sig, proof, b1);
        _finalizeWhenMatured(slot);
        assertEq(_cashOut(alice, slot), 1 ether + EXIT_BOND);
        assertEq(plasma.bondBalance(mallory), 0);
        assertEq(plasma.burnedBonds(), 0);
    }

    function test_Attack_StrangerExitsDepositThroughOperatorForgedTransfer() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        // The operator includes a transfer of alice's deposit that alice never signed: a parent needs no
        // signature, so mallory's exit starts.
        Transaction memory forged = _tx(slot, d, mallory);
        uint256 b1 = _submitBlock(forged);
        Transaction memory exiting = _tx(slot, b1, mallory);
        uint256 b2 = _submitBlock(exiting);
        _startExit(mallory, forged, b1, exiting, malloryKey, b2);

        // alice: "I never spent my deposit". The only answer would be a spend signed by alice.
        bytes32 id = _challengeBefore(alice, _depositTx(slot), d);
        bytes memory sig = _sign(malloryKey, forged);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, alice, mallory));
        vm.prank(mallory);
        plasma.respondChallengeBefore(id, forged, sig, proof, b1);

        _finalizeWhenMatured(slot);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(plasma.bondBalance(alice), CHALLENGE_BOND + HALF);
        assertEq(plasma.bondBalance(mallory), 0);
        assertEq(plasma.burnedBonds(), BURNED);

        _startDepositExit(alice, slot);
        _finalizeWhenMatured(slot);
        _expectNotCoinOwner(mallory, alice, slot);
        _cashOut(alice, slot);
        assertEq(alice.balance, 100 ether + HALF, "alice keeps her coin and earns the slash");
        assertEq(mallory.balance, 100 ether - EXIT_BOND, "the thief loses its bond");
    }

    // ---------------------------------------------------------------------------------------------------------
    // An exit names a slot other than its transactions'
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_ExitNamesAnotherSlot() public {
        uint64 coinA = _depositEth(alice, 1 ether); // the target
        uint64 coinB = _depositEth(bob, 1 ether); // bob pays mallory with it
        uint256 dB = _depositBlock(coinB);
        Transaction memory bToMallory = _tx(coinB, dB, mallory);
        // The colluding operator also writes that transfer's digest at coin A's leaf.
        uint64[] memory slots = new uint64[](2);
        slots[0] = coinB;
        slots[1] = coinA;
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = _digest(bToMallory);
        leaves[1] = leaves[0];
        uint256 b1 = _submitLeaves(slots, leaves);
        // mallory "spends" coin A from there to herself.
        Transaction memory aSteal = _tx(coinA, b1, mallory);
        uint256 b2 = _submitBlock(aSteal);
        bytes memory sig = _sign(malloryKey, aSteal);
        bytes memory parentProofAtA = _proof(b1, coinA);
        bytes memory exitingProof = _proof(b2, coinA);

        // Her ownership of coin B is no parent for coin A.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SlotMismatch.selector, coinA, coinB));
        vm.prank(mallory);
        plasma.startExit{value: EXIT_BOND}(bToMallory, parentProofAtA, b1, aSteal, sig, exitingProof, b2);

        // The exiting transaction relabelled as coin B's is not in any block.
        Transaction memory relabelled =
            Transaction({slot: coinB, prevBlock: b1, denomination: 1 ether, newOwner: mallory});
        bytes memory relabelledSig = _sign(malloryKey, relabelled);
        bytes memory proofB = _proof(b1, coinB);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, coinB, b2));
        vm.prank(mallory);
        plasma.startExit{value: EXIT_BOND}(bToMallory, proofB, b1, relabelled, relabelledSig, exitingProof, b2);

        assertEq(_coinState(coinA), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(_coinState(coinB), uint8(IPlasmaCash.CoinState.Deposited));

        // Each coin still goes to its true owner: alice's to alice, bob's payment to mallory.
        _startDepositExit(alice, coinA);
        _startExit(mallory, _depositTx(coinB), dB, bToMallory, bobKey, b1);
        _finalizeWhenMatured(coinA);
        _finalizeWhenMatured(coinB);
        assertEq(_cashOut(alice, coinA), 1 ether + EXIT_BOND);
        assertEq(_cashOut(mallory, coinB), 1 ether + EXIT_BOND);
        assertEq(alice.balance, 100 ether);
        assertEq(mallory.balance, 101 ether, "mallory gets only what bob paid her");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Exit of a spent coin, exit of a double spend, exit with a forged history
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_ExitOfSpentCoin() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);

        // alice sold the coin to bob, then exits it from her deposit anyway.
        _startDepositExit(alice, slot);
        _challengeAfter(bob, toBob, aliceKey, b1);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(plasma.bondBalance(bob), HALF);
        assertEq(plasma.bondBalance(alice), 0);
        assertEq(plasma.burnedBonds(), BURNED);

        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _finalizeWhenMatured(slot);
        _expectNotCoinOwner(alice, bob, slot);
        assertEq(_cashOut(bob, slot), 1 ether + EXIT_BOND + HALF);
        assertEq(alice.balance, 100 ether - 1 ether - EXIT_BOND, "alice paid the coin and lost her bond");
        assertEq(bob.balance, 100 ether + 1 ether + HALF);
    }

    function test_Attack_ExitOfDoubleSpend() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        // alice signs the deposit away a second time and the operator includes it.
        Transaction memory doubleSpend = _tx(slot, d, mallory);
        uint256 b2 = _submitBlock(doubleSpend);
        _startExit(mallory, _depositTx(slot), d, doubleSpend, aliceKey, b2);

        _challengeBetween(bob, toBob, aliceKey, b1);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(plasma.bondBalance(bob), HALF);
        assertEq(plasma.burnedBonds(), BURNED);

        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _finalizeWhenMatured(slot);
        _expectNotCoinOwner(mallory, bob, slot);
        assertEq(_cashOut(bob, slot), 1 ether + EXIT_BOND + HALF);
        assertEq(mallory.balance, 100 ether - EXIT_BOND);
    }

    function test_Attack_ExitWithForgedHistory() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        // The operator includes a transfer bob never signed; mallory exits from it.
        Transaction memory forged = _tx(slot, b1, mallory);
        uint256 b2 = _submitBlock(forged);
        Transaction memory exiting = _tx(slot, b2, mallory);
        uint256 b3 = _submitBlock(exiting);
        _startExit(mallory, forged, b2, exiting, malloryKey, b3);

        bytes32 id = _challengeBefore(bob, toBob, b1);
        // mallory's only candidate answer is the forged transfer, and bob never signed it.
        bytes memory sig = _sign(malloryKey, forged);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, mallory));
        vm.prank(mallory);
        plasma.respondChallengeBefore(id, forged, sig, proof, b2);

        _finalizeWhenMatured(slot);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND + HALF);
        assertEq(plasma.burnedBonds(), BURNED);

        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _finalizeWhenMatured(slot);
        _expectNotCoinOwner(mallory, bob, slot);
        _cashOut(bob, slot);
        assertEq(bob.balance, 100 ether + 1 ether + HALF);
        assertEq(mallory.balance, 100 ether - EXIT_BOND);
    }

    function test_Attack_OperatorPreIncludesTransactionForPredictableSlot() public {
        // Slots are predictable: keccak(depositor, nonce). The operator includes a transfer of alice's next
        // coin to mallory before the coin exists, then mallory's spend of it after the deposit.
        uint64 future = uint64(bytes8(keccak256(abi.encode(alice, plasma.depositNonce()))));
        Transaction memory pre = Transaction({slot: future, prevBlock: 0, denomination: 1 ether, newOwner: mallory});
        uint256 bPre = _submitBlock(pre);
        uint64 slot = _depositEth(alice, 1 ether);
        assertEq(slot, future, "the slot was predicted");
        uint256 d = _depositBlock(slot);
        Transaction memory preSpend = Transaction({slot: slot, prevBlock: bPre, denomination: 1 ether, newOwner: mallory});
        uint256 bSpend = _submitBlock(preSpend);
        bytes memory preProof = _proof(bPre, slot);
        bytes memory spendSig = _sign(malloryKey, preSpend);
        bytes memory spendProof = _proof(bSpend, slot);

        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BeforeDeposit.selector, bPre, d));
        vm.prank(mallory);
        plasma.startExit{value: EXIT_BOND}(pre, preProof, bPre, preSpend, spendSig, spendProof, bSpend);

        // alice pays bob honestly; bob exits from the deposit.
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b3 = _submitBlock(toBob);
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b3);

        // The pre-included transaction is no claim against bob's exit, and mallory's spend of it is no double spend.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BeforeDeposit.selector, bPre, d));
        vm.prank(mallory);
        plasma.challengeBefore{value: CHALLENGE_BOND}(pre, preProof, bPre);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(mallory);
        plasma.challengeBetween(preSpend, spendSig, spendProof, bSpend);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, d, bPre));
        vm.prank(mallory);
        plasma.challengeBetweenExit(1, preSpend, spendSig, spendProof, bSpend);

        _finalizeWhenMatured(slot);
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(_cashOut(bob, slot), 1 ether + EXIT_BOND);
        assertEq(mallory.balance, 100 ether, "every attempt reverted, nothing kept");
        assertEq(plasma.bondBalance(mallory), 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Challenges and responses with a transaction that is not a direct spend
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_ChallengesWithReplayedOrGrandchildSpends() public {
        // alice → bob → alice → bob → alice: both have old signatures with other prevBlocks.
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory t1 = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(t1);
        Transaction memory t2 = _tx(slot, b1, alice);
        uint256 b2 = _submitBlock(t2);
        Transaction memory t3 = _tx(slot, b2, bob);
        uint256 b3 = _submitBlock(t3);
        uint256 bReplay = _submitBlock(t2); // the operator replays bob's old spend between parent and exit
        Transaction memory t4 = _tx(slot, b3, alice);
        uint256 b5 = _submitBlock(t4);
        _startExit(alice, t3, b3, t4, bobKey, b5);
        // ...and alice's old spends after her exit block.
        uint256 b6 = _submitBlock(t1);
        uint256 b7 = _submitBlock(t3);

        // challengeAfter with alice's real signatures, but on spends of other blocks.
        bytes memory sig1 = _sign(aliceKey, t1);
        bytes memory proof6 = _proof(b6, slot);
        // t1 spends the deposit block, t3 spends b2: no live exit has either as its exit block.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(mallory);
        plasma.challengeAfter(t1, sig1, proof6, b6);
        bytes memory sig3 = _sign(aliceKey, t3);
        bytes memory proof7 = _proof(b7, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(mallory);
        plasma.challengeAfter(t3, sig3, proof7, b7);
        // challengeBetween with bob's real signature on a spend of another block.
        bytes memory sig2 = _sign(bobKey, t2);
        bytes memory proofReplay = _proof(bReplay, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(mallory);
        plasma.challengeBetween(t2, sig2, proofReplay, bReplay);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b3, b1));
        vm.prank(mallory);
        plasma.challengeBetweenExit(1, t2, sig2, proofReplay, bReplay);

        // A frivolous challengeBefore on t1: its answer is its direct child t2, not the grandchild t3.
        bytes32 id = _challengeBefore(mallory, t1, b1);
        bytes memory proof3 = _proof(b3, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b1, b2));
        vm.prank(alice);
        plasma.respondChallengeBefore(id, t3, sig3, proof3, b3);
        _respond(alice, id, t2, bobKey, b2);

        _finalizeWhenMatured(slot);
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(plasma.bondBalance(alice), EXIT_BOND + CHALLENGE_BOND);
        assertEq(plasma.bondBalance(mallory), 0);
        assertEq(plasma.burnedBonds(), 0);
        assertEq(_cashOut(alice, slot), 1 ether + EXIT_BOND + CHALLENGE_BOND);
        assertEq(mallory.balance, 100 ether - CHALLENGE_BOND);
    }

    function test_Attack_ThiefAnswersWithReplayedSpend() public {
        // alice → bob (b1) → alice (b2) → bob (b3): bob is the owner and signed one spend before (t2, prev b1).
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory t1 = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(t1);
        Transaction memory t2 = _tx(slot, b1, alice);
        uint256 b2 = _submitBlock(t2);
        Transaction memory t3 = _tx(slot, b2, bob);
        uint256 b3 = _submitBlock(t3);
        // The operator replays t2, forges a transfer from it to mallory, and mallory exits.
        uint256 b4 = _submitBlock(t2);
        Transaction memory forged = _tx(slot, b4, mallory);
        uint256 b5 = _submitBlock(forged);
        Transaction memory exiting = _tx(slot, b5, mallory);
        uint256 b6 = _submitBlock(exiting);
        _startExit(mallory, forged, b5, exiting, malloryKey, b6);

        bytes32 id = _challengeBefore(bob, t3, b3);
        // The replayed t2 is in range, included and signed by bob: only its prevBlock gives it away.
        bytes memory sig2 = _sign(bobKey, t2);
        bytes memory proof4 = _proof(b4, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b3, b1));
        vm.prank(mallory);
        plasma.respondChallengeBefore(id, t2, sig2, proof4, b4);
        // The forged child of the replay is no direct spend either.
        bytes memory sigF = _sign(malloryKey, forged);
        bytes memory proof5 = _proof(b5, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b3, b4));
        vm.prank(mallory);
        plasma.respondChallengeBefore(id, forged, sigF, proof5, b5);

        _finalizeWhenMatured(slot);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND + HALF);

        _startExit(bob, t2, b2, t3, aliceKey, b3);
        _finalizeWhenMatured(slot);
        _expectNotCoinOwner(mallory, bob, slot);
        _cashOut(bob, slot);
        assertEq(bob.balance, 101 ether + HALF);
        assertEq(mallory.balance, 100 ether - EXIT_BOND);
        assertEq(plasma.burnedBonds(), BURNED);
    }

    // ---------------------------------------------------------------------------------------------------------
    // A challengeBefore with a forged deposit
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_ChallengeBeforeWithForgedDeposit() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        uint64 other = _depositEth(dave, 1 ether);
        uint256 otherD = _depositBlock(other);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);

        // mallory claims the coin was deposited to her, or for another amount, or "proves" a deposit.
        Transaction[] memory forgedDeposits = new Transaction[](4);
        forgedDeposits[0] = Transaction({slot: slot, prevBlock: 0, denomination: 1 ether, newOwner: mallory});
        forgedDeposits[1] = Transaction({slot: slot, prevBlock: 0, denomination: 0.5 ether, newOwner: alice});
        forgedDeposits[2] = Transaction({slot: slot, prevBlock: d, denomination: 1 ether, newOwner: alice});
        forgedDeposits[3] = Transaction({slot: slot, prevBlock: 0, denomination: 1 ether, newOwner: alice});
        bytes[] memory proofs = new bytes[](4);
        proofs[3] = abi.encodePacked(bytes8(0)); // the real deposit, with a "proof" attached
        for (uint256 i = 0; i < 4; i++) {
            vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
            vm.prank(mallory);
            plasma.challengeBefore{value: CHALLENGE_BOND}(forgedDeposits[i], proofs[i], d);
        }
        // Another coin's deposit block is no deposit of this coin.
        Transaction memory deposit = _depositTx(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, otherD));
        vm.prank(mallory);
        plasma.challengeBefore{value: CHALLENGE_BOND}(deposit, "", otherD);
        assertEq(mallory.balance, 100 ether, "every forged claim refused with its bond");
        (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        assertEq(exit_.firstChallenge, bytes32(0));

        // The real deposit claim is accepted, and carol answers it.
        bytes32 id = _challengeBefore(mallory, deposit, d);
        _respond(carol, id, toBob, aliceKey, b1);
        _finalizeWhenMatured(slot);
        assertEq(_cashOut(carol, slot), 1 ether + EXIT_BOND + CHALLENGE_BOND);
        assertEq(mallory.balance, 100 ether - CHALLENGE_BOND);
    }

    // ---------------------------------------------------------------------------------------------------------
    // A challenge that outlives its exit
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_ChallengeOutlivesItsExit() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        Transaction memory toDave = _tx(slot, b2, dave);
        uint256 b3 = _submitBlock(toDave);

        // Exit #1: carol exits a coin she already gave dave; a griefer challenges it; dave cancels it.
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        bytes32 id = _challengeBefore(mallory, _depositTx(slot), d);
        _challengeAfter(dave, toDave, carolKey, b3);
        assertEq(uint8(plasma.getChallenge(slot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Open));

        // Exit #2: dave's. The old challenge is not in it...
        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        (uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        assertEq(nonce, 2);
        assertEq(exit_.firstChallenge, bytes32(0), "exit #2 starts with no challenge");
        // ...cannot be answered in it (dave cannot collect mallory's bond)...
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(dave);
        plasma.respondChallengeBefore(id, toBob, sig, proof, b1);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ChallengeNotOpen.selector, id, IPlasmaCash.ChallengeStatus.None)
        );
        vm.prank(dave);
        plasma.respondChallengeBeforeExit(2, id, toBob, sig, proof, b1);
        // ...and does not block it.
        _finalizeWhenMatured(slot);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Finalized));
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Exited));

        // Its challenger settles it against exit #1.
        plasma.settleChallenge(slot, 1, id);
        assertEq(_withdrawBonds(mallory), CHALLENGE_BOND);
        assertEq(mallory.balance, 100 ether);
        assertEq(_cashOut(dave, slot), 1 ether + EXIT_BOND + HALF);
        assertEq(carol.balance, 100 ether - EXIT_BOND);
    }

    // ---------------------------------------------------------------------------------------------------------
    // An exitor who cancels or front-runs its own exit
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_ExitorCannotCancelItsOwnExit() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        Transaction memory toDave = _tx(slot, b2, dave);
        uint256 b3 = _submitBlock(toDave);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        bytes memory parentProof = _proof(b1, slot);
        bytes memory exitingSig = _sign(bobKey, toCarol);
        bytes memory exitingProof = _proof(b2, slot);

        // carol sees dave coming and wants her bond back. There is no cancel function...
        vm.startPrank(carol);
        (bool ok,) = address(plasma).call(abi.encodeWithSignature("cancelExit(uint64)", slot));
        assertFalse(ok, "cancelExit(uint64)");
        (ok,) = address(plasma).call(abi.encodeWithSignature("cancelExit(uint64,uint256)", slot, 1));
        assertFalse(ok, "cancelExit(uint64,uint256)");
        (ok,) = address(plasma).call(abi.encodeWithSignature("withdrawExitBond(uint64)", slot));
        assertFalse(ok, "withdrawExitBond(uint64)");
        // ...finalizing early, restarting, settling or withdrawing all revert.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, exit_.finalizableAt));
        plasma.finalizeExit(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockTaken.selector, slot, b2, 1));
        plasma.startExit{value: EXIT_BOND}(toBob, parentProof, b1, toCarol, exitingSig, exitingProof, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitStillLive.selector, slot, 1));
        plasma.settleChallenge(slot, 1, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoBonds.selector, carol));
        plasma.withdrawBonds();
        vm.stopPrank();

        _challengeAfter(dave, toDave, carolKey, b3);
        assertEq(plasma.bondBalance(carol), 0);
        assertEq(plasma.bondBalance(dave), HALF);
        assertEq(carol.balance, 100 ether - EXIT_BOND, "carol loses her whole bond");
    }

    function test_Attack_ExitorFrontRunsChallengeAfterOfItsOwnExit() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        Transaction memory toDave = _tx(slot, b2, dave);
        uint256 b3 = _submitBlock(toDave);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);

        // dave's challengeAfter is in the mempool; carol front-runs it with the same spend to get the reward.
        _challengeAfter(carol, toDave, carolKey, b3);
        assertEq(plasma.bondBalance(carol), HALF, "she gets back only the challenger's half");
        assertEq(plasma.burnedBonds(), BURNED, "the other half is burned");

        uint256 daveBefore = dave.balance;
        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b3, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(dave);
        plasma.challengeAfter(toDave, sig, proof, b3);
        assertEq(dave.balance, daveBefore, "the honest challenger loses nothing");

        _startExit(dave, toCarol, b2, toDave, carolKey, b3);
        _finalizeWhenMatured(slot);
        assertEq(_cashOut(dave, slot), 1 ether + EXIT_BOND);
        _withdrawBonds(carol);
        assertEq(carol.balance, 100 ether - HALF, "front-running still costs half the bond");
        assertEq(dave.balance, 101 ether);
    }

    function test_Attack_ExitorFrontRunsChallengeBeforeOfItsOwnExit() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory forged = _tx(slot, b1, mallory);
        uint256 b2 = _submitBlock(forged);
        Transaction memory exiting = _tx(slot, b2, mallory);
        uint256 b3 = _submitBlock(exiting);
        _startExit(mallory, forged, b2, exiting, malloryKey, b3);

        // bob's challenge is in the mempool; mallory opens the same claim first, to be the one paid.
        bytes32 id = _challengeBefore(mallory, toBob, b1);
        uint256 bobBefore = bob.balance;
        Transaction memory claim = toBob;
        bytes memory proof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(bob);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ChallengeExists.selector, id));
        vm.prank(bob);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(1, claim, proof, b1);
        assertEq(bob.balance, bobBefore, "bob's bond is refused, not taken");

        // Her own claim is as unanswerable as bob's: the exit is cancelled all the same.
        _finalizeWhenMatured(slot);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(plasma.bondBalance(mallory), CHALLENGE_BOND + HALF);
        assertEq(plasma.burnedBonds(), BURNED);

        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _finalizeWhenMatured(slot);
        assertEq(_cashOut(bob, slot), 1 ether + EXIT_BOND);
        _withdrawBonds(mallory);
        assertEq(mallory.balance, 100 ether - HALF, "the thief still loses half its bond");
    }

    // ---------------------------------------------------------------------------------------------------------
    // A last-moment response that reveals a withheld transfer
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_LastMomentResponseRevealsWithheldTransfer() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        // alice sells the coin to bob; the operator includes the transfer but withholds block b1 from bob.
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        // Then it forges bob → mallory, and mallory exits.
        Transaction memory forged = _tx(slot, b1, mallory);
        uint256 b2 = _submitBlock(forged);
        Transaction memory exiting = _tx(slot, b2, mallory);
        uint256 b3 = _submitBlock(exiting);
        _startExit(mallory, forged, b2, exiting, malloryKey, b3);
        (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        uint256 deadline = exit_.finalizableAt;

        // carol, a watcher who cannot see b1's contents, challenges with the deposit.
        bytes32 idDeposit = _challengeBefore(carol, _depositTx(slot), d);

        // One second before maturity mallory answers with the withheld transfer, revealing bob as an owner.
        vm.warp(deadline - 1);
        uint256 extended = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        Transaction memory response = toBob;
        bytes memory sig = _sign(aliceKey, response);
        bytes memory proof = _proof(b1, slot);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ChallengeAnswered(slot, 1, idDeposit, response, b1, extended, sig, proof);
        vm.prank(mallory);
        plasma.respondChallengeBefore(idDeposit, response, sig, proof, b1);

        // The old deadline no longer lets her finalize: bob has a full response period.
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, extended));
        plasma.finalizeExit(slot);

        // bob learns of his coin from the event and challenges at the last second of the extension.
        vm.warp(extended - 1);
        bytes32 idBob = _challengeBefore(bob, toBob, b1);
        bytes memory forgedSig = _sign(malloryKey, forged);
        bytes memory forgedProof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, mallory));
        vm.prank(mallory);
        plasma.respondChallengeBefore(idBob, forged, forgedSig, forgedProof, b2);

        _finalizeWhenMatured(slot);
        assertEq(_exitStatus(slot), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Deposited), "bob's coin is safe");
        assertEq(plasma.bondBalance(bob), CHALLENGE_BOND + HALF, "bob's challenge is the oldest open one");

        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _finalizeWhenMatured(slot);
        _expectNotCoinOwner(mallory, bob, slot);
        _cashOut(bob, slot);
        _withdrawBonds(mallory);
        assertEq(bob.balance, 101 ether + HALF, "the revealed owner wins the coin and the slash");
        assertEq(carol.balance, 100 ether - CHALLENGE_BOND, "the answered challenge's bond went to the exitor");
        assertEq(mallory.balance, 100 ether - EXIT_BOND + CHALLENGE_BOND, "the thief loses its exit bond");
        assertEq(plasma.burnedBonds(), BURNED);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Griefing with many challenges
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_GrieferOpensManyFrivolousChallenges() public {
        uint256 hops = 8;
        address[] memory owners = new address[](hops + 1);
        uint256[] memory keys = new uint256[](hops + 1);
        owners[0] = alice;
        keys[0] = aliceKey;
        for (uint256 i = 1; i <= hops; i++) {
            (owners[i], keys[i]) = makeAddrAndKey(string.concat("owner", vm.toString(i)));
        }
        uint64 slot = _depositEth(alice, 1 ether);
        Transaction[] memory txs = new Transaction[](hops + 1);
        uint256[] memory blocks = new uint256[](hops + 1);
        txs[0] = _depositTx(slot);
        blocks[0] = _depositBlock(slot);
        for (uint256 i = 1; i <= hops; i++) {
            txs[i] = _tx(slot, blocks[i - 1], owners[i]);
            blocks[i] = _submitBlock(txs[i]);
            if (i % 3 == 0) _submitEmptyBlock();
        }
        address exitor = owners[hops];
        vm.deal(exitor, 1 ether);
        _startExit(exitor, txs[hops - 1], blocks[hops - 1], txs[hops], keys[hops - 1], blocks[hops]);

        // mallory opens one challenge per transaction before the parent, each at the last second; the exitor
        // answers each at once with the direct child.
        uint256 claims = hops - 1;
        for (uint256 i = 0; i < claims; i++) {
            (, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
            vm.warp(uint256(exit_.finalizableAt) - 1);
            bytes32 id = _challengeBefore(mallory, txs[i], blocks[i]);
            _respond(exitor, id, txs[i + 1], keys[i], blocks[i + 1]);
            (, exit_) = _currentExit(slot);
            assertEq(exit_.finalizableAt, vm.getBlockTimestamp() + RESPONSE_PERIOD);
            assertEq(exit_.firstChallenge, bytes32(0));
        }

        (, IPlasmaCash.Exit memory last) = _currentExit(slot);
        vm.warp(uint256(last.finalizableAt) - 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, last.finalizableAt));
        plasma.finalizeExit(slot);
        vm.warp(last.finalizableAt);
        plasma.finalizeExit(slot);

        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Exited));
        assertEq(plasma.bondBalance(exitor), EXIT_BOND + claims * CHALLENGE_BOND);
        assertEq(_cashOut(exitor, slot), 1 ether + EXIT_BOND + claims * CHALLENGE_BOND);
        assertEq(exitor.balance, 2 ether + claims * CHALLENGE_BOND, "the exitor collected every griefing bond");
        assertEq(mallory.balance, 100 ether - claims * CHALLENGE_BOND);
        assertEq(plasma.burnedBonds(), 0);
    }

    function test_Attack_ManyOpenChallengesStillCancelInConstantGas() public {
        // Warm-up: one cancelled exit, so that both measured calls find burnedBonds already written.
        uint64 c0 = _depositEth(alice, 1 ether);
        Transaction memory spent = _tx(c0, _depositBlock(c0), bob);
        uint256 w = _submitBlock(spent);
        _startDepositExit(alice, c0);
        _challengeAfter(bob, spent, aliceKey, w);

        // Two thieves' exits, over histories the colluding operator stuffed with claims nobody can answer.
        uint64 c1 = _depositEth(alice, 1 ether);
        uint64 c2 = _depositEth(carol, 1 ether);
        uint256 n = 50;
        Transaction memory claim1 =
            Transaction({slot: c1, prevBlock: _depositBlock(c1), denomination: 1 ether, newOwner: address(0xC1A1)});
        Transaction[] memory claims2 = new Transaction[](n);
        uint256[] memory claimBlocks = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            claims2[i] = Transaction({
                slot: c2,
                prevBlock: _depositBlock(c2),
                denomination: 1 ether,
                newOwner: address(uint160(0xC1A1000 + i))
            });
            Transaction[] memory txs = new Transaction[](i == 0 ? 2 : 1);
            txs[0] = claims2[i];
            if (i == 0) txs[1] = claim1;
            claimBlocks[i] = _submitBlock(txs);
        }
        Transaction[] memory parents = new Transaction[](2);
        parents[0] = _tx(c1, claimBlocks[0], mallory);
        parents[1] = _tx(c2, claimBlocks[n - 1], mallory);
        uint256 pB = _submitBlock(parents);
        Transaction[] memory exits = new Transaction[](2);
        exits[0] = _tx(c1, pB, mallory);
        exits[1] = _tx(c2, pB, mallory);
        uint256 eB = _submitBlock(exits);
        _startExit(mallory, parents[0], pB, exits[0], malloryKey, eB);
        _startExit(mallory, parents[1], pB, exits[1], malloryKey, eB);

        address single = address(0xA11CE0);
        vm.deal(single, 1 ether);
        _challengeBefore(single, claim1, claimBlocks[0]);
        address[] memory challengers = new address[](n);
        bytes32[] memory ids = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            challengers[i] = address(uint160(0xB0B000 + i));
            vm.deal(challengers[i], 1 ether);
            ids[i] = _challengeBefore(challengers[i], claims2[i], claimBlocks[i]);
        }

        _warpPastExitPeriod();
        uint256 g = gasleft();
        plasma.finalizeExit(c1);
        uint256 gasOne = g - gasleft();
        g = gasleft();
        plasma.finalizeExit(c2);
        uint256 gasFifty = g - gasleft();
        // An implementation that walked the list would spend tens of thousands of gas per extra challenge.
        assertApproxEqAbs(gasFifty, gasOne, 2_000, "finalizeExit is O(1) in the number of open challenges");
        assertLt(gasFifty, 150_000);

        assertEq(_exitStatus(c1), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(_exitStatus(c2), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(plasma.bondBalance(single), CHALLENGE_BOND + HALF);
        assertEq(plasma.bondBalance(challengers[0]), CHALLENGE_BOND + HALF, "the oldest open challenger wins");
        for (uint256 i = 1; i < n; i++) {
            assertEq(plasma.bondBalance(challengers[i]), 0);
            plasma.settleChallenge(c2, 1, ids[i]);
            assertEq(plasma.bondBalance(challengers[i]), CHALLENGE_BOND);
        }
        assertEq(plasma.burnedBonds(), 3 * BURNED);
        assertEq(plasma.bondBalance(mallory), 0);
        // Every wei is accounted for: 3 deposits, bob's warm-up reward, 51 challenge bonds, 2 halves, the burn.
        assertEq(address(plasma).balance, 3 ether + HALF + 51 * CHALLENGE_BOND + 2 * HALF + 3 * BURNED);
        assertEq(mallory.balance, 100 ether - 2 * EXIT_BOND);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The operator overwriting or skipping block numbers
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_OperatorOverwritesOrSkipsBlockNumbers() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        bytes32 honestRoot = plasma.childBlockRoot(b1);

        // A rewritten b1 in which alice's coin goes to mallory instead.
        Transaction memory toMallory = _tx(slot, d, mallory);
        uint64[] memory slots = new uint64[](1);
        slots[0] = slot;
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = _digest(toMallory);
        (bytes32 evilRoot, bytes memory evilProof) = TestTree.rootAndProof(slots, leaves, slot);
        uint256 next = plasma.nextChildBlock();

        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, b1, next));
        plasma.submitBlock(evilRoot, b1); // overwrite
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, next + INTERVAL, next));
        plasma.submitBlock(evilRoot, next + INTERVAL); // skip
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, d, next));
        plasma.submitBlock(evilRoot, d); // land on a deposit block
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, b1 + 1, next));
        plasma.submitBlock(evilRoot, b1 + 1); // land on the next deposit number
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotOperator.selector, mallory));
        vm.prank(mallory);
        plasma.submitBlock(evilRoot, next);

        assertEq(plasma.childBlockRoot(b1), honestRoot, "b1 unchanged");
        assertEq(plasma.childBlockRoot(d), bytes32(0), "no root on a deposit block");
        assertEq(plasma.nextChildBlock(), next, "no block skipped");

        // mallory's proof against the rewritten root proves nothing.
        bytes memory sig = _sign(aliceKey, toMallory);
        Transaction memory deposit = _depositTx(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        vm.prank(mallory);
        plasma.startExit{value: EXIT_BOND}(deposit, "", d, toMallory, sig, evilProof, b1);

        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _finalizeWhenMatured(slot);
        assertEq(_cashOut(bob, slot), 1 ether + EXIT_BOND);
        assertEq(mallory.balance, 100 ether);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Malformed proofs and signatures of every shape
    // ---------------------------------------------------------------------------------------------------------

    uint64 internal mSlot;
    uint256 internal mD;
    uint256 internal mB1;
    uint256 internal mB2;
    uint256 internal mB3;
    uint256 internal mB4;
    uint256 internal mB5;
    Transaction internal mT1; // alice → bob
    Transaction internal mT2; // bob → carol
    Transaction internal mT3x; // carol → mallory (a double spend of mT2)
    Transaction internal mT3; // carol → dave (dave's exiting transaction)
    Transaction internal mT4; // dave → alice (spends dave's exit)
    uint64[3] internal neighbours;
    PlasmaCash internal foreign;

    /// @dev alice's coin travels alice → bob (mB1) → carol (mB2) → {mallory (mB3), dave (mB4)} → alice (mB5), in
    /// blocks that also move three other coins, so that its proofs carry siblings.
    function _buildMalformedFixture() internal {
        mSlot = _depositEth(alice, 1 ether);
        mD = _depositBlock(mSlot);
        for (uint256 k = 0; k < 3; k++) {
            neighbours[k] = _depositEth(bob, 1 ether);
        }
        mT1 = _tx(mSlot, mD, bob);
        mB1 = _submitWithNeighbours(mT1);
        mT2 = _tx(mSlot, mB1, carol);
        mB2 = _submitWithNeighbours(mT2);
        mT3x = _tx(mSlot, mB2, mallory);
        mB3 = _submitWithNeighbours(mT3x);
        mT3 = _tx(mSlot, mB2, dave);
        mB4 = _submitWithNeighbours(mT3);
        mT4 = _tx(mSlot, mB4, alice);
        mB5 = _submitWithNeighbours(mT4);
        // The same contract deployed elsewhere: its EIP-712 domain differs.
        foreign = _deployPlasma(operator, EXIT_PERIOD, RESPONSE_PERIOD, EXIT_BOND, CHALLENGE_BOND);
    }

    function _submitWithNeighbours(Transaction memory t) internal returns (uint256) {
        uint256 next = plasma.nextChildBlock();
        Transaction[] memory txs = new Transaction[](4);
        txs[0] = t;
        for (uint256 k = 0; k < 3; k++) {
            txs[k + 1] = Transaction({slot: neighbours[k], prevBlock: next, denomination: 1 ether, newOwner: bob});
        }
        return _submitBlock(txs);
    }

    function _daveExits() internal {
        _startExit(dave, mT2, mB2, mT3, carolKey, mB4);
    }

    function _slice(bytes memory data, uint256 start, uint256 end) internal pure returns (bytes memory out) {
        out = new bytes(end - start);
        for (uint256 i = start; i < end; i++) {
            out[i - start] = data[i];
        }
    }

    function _lengthError(uint256 length, uint256 expected) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length, expected);
    }

    /// @dev Clears the lowest set bit of the bitmap and sets its lowest clear bit: same popcount, other heights.
    function _moveOneBit(uint64 bitmap) internal pure returns (uint64) {
        uint64 lowestSet = bitmap & (~bitmap + 1);
        uint64 lowestClear = ~bitmap & (bitmap + 1);
        return (bitmap & ~lowestSet) | lowestClear;
    }

    /// @dev Every malformed shape of `valid` (the proof of `slot` at `blockNumber`) with the error it must raise.
    function _proofShapes(bytes memory valid, bytes memory otherBlockProof, uint64 slot, uint256 blockNumber)
        internal
        pure
        returns (bytes[] memory proofs, bytes[] memory errs)
    {
        uint256 len = valid.length;
        require(len >= 40, "fixture: the proof needs a sibling");
        bytes memory siblings = _slice(valid, 8, len);
        bytes memory notIncluded = abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, blockNumber);
        uint256 maxLength = 8 + 32 * 64;
        proofs = new bytes[](14);
        errs = new bytes[](14);
        // Wrong lengths.
        proofs[0] = "";
        errs[0] = _lengthError(0, 8);
        proofs[1] = _slice(valid, 0, 7);
        errs[1] = _lengthError(7, 8);
        proofs[2] = _slice(valid, 0, len - 1);
        errs[2] = _lengthError(len - 1, len);
        proofs[3] = bytes.concat(valid, hex"00");
        errs[3] = _lengthError(len + 1, len);
        proofs[4] = bytes.concat(valid, bytes32(0));
        errs[4] = _lengthError(len + 32, len);
        proofs[5] = _slice(valid, 0, len - 32);
        errs[5] = _lengthError(len - 32, len);
        proofs[6] = bytes.concat(bytes8(type(uint64).max), siblings);
        errs[6] = _lengthError(len, maxLength);
        proofs[7] = bytes.concat(bytes8(0), siblings);
        errs[7] = _lengthError(len, 8);
        proofs[8] = bytes.concat(bytes8(type(uint64).max), new bytes(32 * 65));
        errs[8] = _lengthError(8 + 32 * 65, maxLength);
        // Well-formed but wrong.
        bytes memory flipped = bytes.concat(valid);
        flipped[len - 1] = flipped[len - 1] ^ bytes1(0x01);
        proofs[9] = flipped;
        errs[9] = notIncluded;
        proofs[10] = bytes.concat(bytes8(_moveOneBit(uint64(bytes8(valid)))), siblings);
        errs[10] = notIncluded;
        proofs[11] = abi.encodePacked(bytes8(0));
        errs[11] = notIncluded;
        proofs[12] = bytes.concat(bytes8(type(uint64).max), new bytes(32 * 64));
        errs[12] = notIncluded;
        proofs[13] = otherBlockProof;
        errs[13] = notIncluded;
    }

    /// @dev Every malformed or misdirected signature of `tx_` by `key` with the error it must raise.
    function _sigShapes(uint256 key, Transaction memory tx_, address expected)
        internal
        view
        returns (bytes[] memory sigs, bytes[] memory errs)
    {
        bytes32 digest = _digest(tx_);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        bytes memory invalid = abi.encodeWithSelector(Signatures.InvalidSignature.selector);
        sigs = new bytes[](12);
        errs = new bytes[](12);
        sigs[0] = "";
        errs[0] = abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, 0);
        sigs[1] = abi.encodePacked(r, bytes32(uint256(s) | (uint256(v - 27) << 255))); // EIP-2098 compact
        errs[1] = abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, 64);
        sigs[2] = abi.encodePacked(r, s, v, uint8(0));
        errs[2] = abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, 66);
        bytes32 highS = bytes32(SECP256K1_N - uint256(s)); // the malleated twin of a valid signature
        sigs[3] = abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27));
        errs[3] = abi.encodeWithSelector(Signatures.InvalidSignatureS.selector, highS);
        sigs[4] = abi.encodePacked(r, s, uint8(0));
        errs[4] = invalid;
        sigs[5] = abi.encodePacked(r, s, uint8(1));
        errs[5] = invalid;
        sigs[6] = abi.encodePacked(r, s, uint8(29));
        errs[6] = invalid;
        sigs[7] = abi.encodePacked(bytes32(0), s, v);
        errs[7] = invalid;
        sigs[8] = abi.encodePacked(r, bytes32(0), v);
        errs[8] = invalid;
        // Valid signatures, but not the owner's signature of this transaction in this contract.
        sigs[9] = _sign(malloryKey, tx_);
        errs[9] = abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, expected, mallory);
        Transaction memory altered = Transaction(tx_.slot, tx_.prevBlock + 1, tx_.denomination, tx_.newOwner);
        (uint8 v2, bytes32 r2, bytes32 s2) = vm.sign(key, _digest(altered));
        sigs[10] = abi.encodePacked(r2, s2, v2);
        errs[10] = abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, expected, ecrecover(digest, v2, r2, s2));
        (uint8 v3, bytes32 r3, bytes32 s3) = vm.sign(key, foreign.transactionDigest(tx_));
        sigs[11] = abi.encodePacked(r3, s3, v3);
        errs[11] = abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, expected, ecrecover(digest, v3, r3, s3));
    }

    function test_Attack_MalformedProofsAndSignatures_StartExit() public {
        _buildMalformedFixture();
        Transaction memory parent = mT2;
        Transaction memory exiting = mT3;
        bytes memory parentProof = _proof(mB2, mSlot);
        bytes memory exitingProof = _proof(mB4, mSlot);
        bytes memory sig = _sign(carolKey, exiting);
        uint256 contractBalance = address(plasma).balance;

        (bytes[] memory proofs, bytes[] memory errs) = _proofShapes(parentProof, _proof(mB1, mSlot), mSlot, mB2);
        for (uint256 i = 0; i < proofs.length; i++) {
            vm.expectRevert(errs[i]);
            vm.prank(dave);
            plasma.startExit{value: EXIT_BOND}(parent, proofs[i], mB2, exiting, sig, exitingProof, mB4);
        }
        (proofs, errs) = _proofShapes(exitingProof, _proof(mB5, mSlot), mSlot, mB4);
        for (uint256 i = 0; i < proofs.length; i++) {
            vm.expectRevert(errs[i]);
            vm.prank(dave);
            plasma.startExit{value: EXIT_BOND}(parent, parentProof, mB2, exiting, sig, proofs[i], mB4);
        }
        (bytes[] memory sigs, bytes[] memory sigErrs) = _sigShapes(carolKey, exiting, carol);
        for (uint256 i = 0; i < sigs.length; i++) {
            vm.expectRevert(sigErrs[i]);
            vm.prank(dave);
            plasma.startExit{value: EXIT_BOND}(parent, parentProof, mB2, exiting, sigs[i], exitingProof, mB4);
        }

        // Nothing changed; the well-formed call then goes through.
        assertEq(_coinState(mSlot), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(plasma.getCoin(mSlot).exitCount, 0);
        assertEq(address(plasma).balance, contractBalance);
        assertEq(dave.balance, 100 ether);
        vm.prank(dave);
        plasma.startExit{value: EXIT_BOND}(parent, parentProof, mB2, exiting, sig, exitingProof, mB4);
        assertEq(_coinState(mSlot), uint8(IPlasmaCash.CoinState.Exiting));
    }

    function test_Attack_MalformedProofsAndSignatures_ChallengeAfter() public {
        _buildMalformedFixture();
        _daveExits();
        Transaction memory spend = mT4;
        bytes memory proof = _proof(mB5, mSlot);
        bytes memory sig = _sign(daveKey, spend);

        (bytes[] memory proofs, bytes[] memory errs) = _proofShapes(proof, _proof(mB4, mSlot), mSlot, mB5);
        for (uint256 i = 0; i < proofs.length; i++) {
            vm.expectRevert(errs[i]);
            vm.prank(mallory);
            plasma.challengeAfter(spend, sig, proofs[i], mB5);
        }
        (bytes[] memory sigs, bytes[] memory sigErrs) = _sigShapes(daveKey, spend, dave);
        for (uint256 i = 0; i < sigs.length; i++) {
            vm.expectRevert(sigErrs[i]);
            vm.prank(mallory);
            plasma.challengeAfter(spend, sigs[i], proof, mB5);
        }

        assertEq(_exitStatus(mSlot), uint8(IPlasmaCash.ExitStatus.Live));
        assertEq(plasma.bondBalance(mallory), 0);
        assertEq(plasma.burnedBonds(), 0);
        vm.prank(mallory);
        plasma.challengeAfter(spend, sig, proof, mB5);
        assertEq(_exitStatus(mSlot), uint8(IPlasmaCash.ExitStatus.Cancelled));
    }

    function test_Attack_MalformedProofsAndSignatures_ChallengeBetween() public {
        _buildMalformedFixture();
        _daveExits();
        Transaction memory spend = mT3x;
        bytes memory proof = _proof(mB3, mSlot);
        bytes memory sig = _sign(carolKey, spend);

        (bytes[] memory proofs, bytes[] memory errs) = _proofShapes(proof, _proof(mB2, mSlot), mSlot, mB3);
        for (uint256 i = 0; i < proofs.length; i++) {
            vm.expectRevert(errs[i]);
            vm.prank(mallory);
            plasma.challengeBetween(spend, sig, proofs[i], mB3);
        }
        (bytes[] memory sigs, bytes[] memory sigErrs) = _sigShapes(carolKey, spend, carol);
        for (uint256 i = 0; i < sigs.length; i++) {
            vm.expectRevert(sigErrs[i]);
            vm.prank(mallory);
            plasma.challengeBetween(spend, sigs[i], proof, mB3);
        }

        assertEq(_exitStatus(mSlot), uint8(IPlasmaCash.ExitStatus.Live));
        assertEq(plasma.bondBalance(mallory), 0);
        vm.prank(mallory);
        plasma.challengeBetween(spend, sig, proof, mB3);
        assertEq(_exitStatus(mSlot), uint8(IPlasmaCash.ExitStatus.Cancelled));
    }

    function test_Attack_MalformedProofs_ChallengeBefore() public {
        _buildMalformedFixture();
        _daveExits();
        Transaction memory claim = mT1;
        bytes memory proof = _proof(mB1, mSlot);
        uint256 contractBalance = address(plasma).balance;

        (bytes[] memory proofs, bytes[] memory errs) = _proofShapes(proof, _proof(mB3, mSlot), mSlot, mB1);
        for (uint256 i = 0; i < proofs.length; i++) {
            vm.expectRevert(errs[i]);
            vm.prank(mallory);
            plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proofs[i], mB1);
        }

        (, IPlasmaCash.Exit memory exit_) = _currentExit(mSlot);
        assertEq(exit_.firstChallenge, bytes32(0));
        assertEq(address(plasma).balance, contractBalance, "no bond kept");
        assertEq(mallory.balance, 100 ether);
        vm.prank(mallory);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, mB1);
        (, exit_) = _currentExit(mSlot);
        assertEq(exit_.firstChallenge, _digest(claim));
    }

    function test_Attack_MalformedProofsAndSignatures_RespondChallengeBefore() public {
        _buildMalformedFixture();
        _daveExits();
        bytes32 id = _challengeBefore(mallory, mT1, mB1);
        Transaction memory response = mT2;
        bytes memory proof = _proof(mB2, mSlot);
        bytes memory sig = _sign(bobKey, response);

        (bytes[] memory proofs, bytes[] memory errs) = _proofShapes(proof, _proof(mB1, mSlot), mSlot, mB2);
        for (uint256 i = 0; i < proofs.length; i++) {
            vm.expectRevert(errs[i]);
            vm.prank(dave);
            plasma.respondChallengeBefore(id, response, sig, proofs[i], mB2);
        }
        (bytes[] memory sigs, bytes[] memory sigErrs) = _sigShapes(bobKey, response, bob);
        for (uint256 i = 0; i < sigs.length; i++) {
            vm.expectRevert(sigErrs[i]);
            vm.prank(dave);
            plasma.respondChallengeBefore(id, response, sigs[i], proof, mB2);
        }

        assertEq(uint8(plasma.getChallenge(mSlot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Open));
        assertEq(plasma.bondBalance(dave), 0);
        vm.prank(dave);
        plasma.respondChallengeBefore(id, response, sig, proof, mB2);
        assertEq(uint8(plasma.getChallenge(mSlot, 1, id).status), uint8(IPlasmaCash.ChallengeStatus.Answered));
        assertEq(plasma.bondBalance(dave), CHALLENGE_BOND);
    }

    // ---------------------------------------------------------------------------------------------------------
    // A multi-hop honest history
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_MultiHopHistoryBeatsEveryEarlierOwner() public {
        (address erin,) = makeAddrAndKey("erin");
        vm.deal(erin, 100 ether);
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory t1 = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(t1);
        _submitEmptyBlock();
        Transaction memory t2 = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(t2);
        _submitEmptyBlock();
        _submitEmptyBlock();
        Transaction memory t3 = _tx(slot, b2, dave);
        uint256 b3 = _submitBlock(t3);
        _submitEmptyBlock();
        Transaction memory t4 = _tx(slot, b3, erin);
        uint256 b4 = _submitBlock(t4);
        _submitEmptyBlock();

        // Every earlier owner tries to exit with its stale transaction; erin beats each with its direct spend.
        _startDepositExit(alice, slot);
        _challengeAfter(erin, t1, aliceKey, b1);
        _startExit(bob, _depositTx(slot), d, t1, aliceKey, b1);
        _challengeAfter(erin, t2, bobKey, b2);
        _startExit(carol, t1, b1, t2, bobKey, b2);
        _challengeAfter(erin, t3, carolKey, b3);
        _startExit(dave, t2, b2, t3, carolKey, b3);
        _challengeAfter(erin, t4, daveKey, b4);
        assertEq(plasma.bondBalance(erin), 4 * HALF);

        // An earlier owner cannot even challenge erin's honest exit with the history.
        _startExit(erin, t3, b3, t4, daveKey, b4);
        bytes32 id = _challengeBefore(carol, t2, b2);
        _respond(erin, id, t3, carolKey, b3);
        _finalizeWhenMatured(slot);

        (uint256 nonce,) = _currentExit(slot);
        assertEq(nonce, 5);
        assertEq(_coinState(slot), uint8(IPlasmaCash.CoinState.Exited));
        _expectNotCoinOwner(dave, erin, slot);
        _expectNotCoinOwner(alice, erin, slot);
        assertEq(_cashOut(erin, slot), 1 ether + EXIT_BOND + CHALLENGE_BOND + 4 * HALF);
        assertEq(erin.balance, 101 ether + CHALLENGE_BOND + 4 * HALF);
        assertEq(alice.balance, 99 ether - EXIT_BOND);
        assertEq(bob.balance, 100 ether - EXIT_BOND);
        assertEq(carol.balance, 100 ether - EXIT_BOND - CHALLENGE_BOND);
        assertEq(dave.balance, 100 ether - EXIT_BOND);
        assertEq(plasma.burnedBonds(), 4 * BURNED);
        assertEq(address(plasma).balance, 4 * BURNED, "only the burned halves stay");
    }
}
