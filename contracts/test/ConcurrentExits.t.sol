// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";
import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice Several live exits of one coin, ordered by exit block (PROTOCOL.md §6, issue 13): the attacks the
/// review found (re-exit and squatting after a cancellation, a thief keeping its exit alive, an operator stacking
/// forged exits) and the honest owner who exits beside them and wins by its lower exit block.
/// @dev The coin: alice deposits (d), gives it to bob (b1), who gives it to carol (b2): carol is the owner. The
/// operator then forges a transfer of it to mallory (b3, nobody signed it) and mallory moves it to herself (b4).
contract PlasmaCash_ConcurrentExits_Test is PlasmaCashTestBase {
    uint256 internal constant HALF = EXIT_BOND / 2;

    uint64 internal slot;
    uint256 internal d;
    Transaction internal toBob;
    uint256 internal b1;
    Transaction internal toCarol;
    uint256 internal b2;
    Transaction internal forged;
    uint256 internal b3;
    Transaction internal malloryExiting;
    uint256 internal b4;

    function setUp() public override {
        super.setUp();
        slot = _depositEth(alice, 1 ether);
        d = _depositBlock(slot);
        toBob = _tx(slot, d, bob);
        b1 = _submitBlock(toBob);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        forged = _tx(slot, b2, mallory);
        b3 = _submitBlock(forged);
        malloryExiting = _tx(slot, b3, mallory);
        b4 = _submitBlock(malloryExiting);
    }

    function _carolExits() internal {
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
    }

    function _malloryExits() internal {
        _startExit(mallory, forged, b3, malloryExiting, malloryKey, b4);
    }

    function _status(uint256 nonce) internal view returns (IPlasmaCash.ExitStatus) {
        return plasma.getExit(slot, nonce).status;
    }

    function _finalizableAt(uint256 nonce) internal view returns (uint256) {
        return plasma.getExit(slot, nonce).finalizableAt;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Re-exit and squatting after a cancellation
    // ---------------------------------------------------------------------------------------------------------

    /// @dev v1: after a cancellation the coin was open to whoever called startExit first, so a former owner could
    /// back-run every cancellation. Now the spent state's exit block is dead for good.
    function test_Attack_ReExitOfSpentStateAfterCancellationIsRefused() public {
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _challengeAfter(carol, toCarol, bobKey, b2);
        assertTrue(plasma.isExitBlockDead(slot, b1));

        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _proof(b1, slot);
        Transaction memory deposit = _depositTx(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockDead.selector, slot, b1));
        vm.prank(bob);
        plasma.startExit{value: EXIT_BOND}(deposit, "", d, toBob, sig, proof, b1);
        // Nor does alice re-exit her spent deposit once its exit died.
        _startDepositExit(alice, slot);
        _challengeAfter(carol, toBob, aliceKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockDead.selector, slot, d));
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND}(slot);

        _carolExits();
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(plasma.getCoin(slot).headExit, 3);
        vm.prank(carol);
        plasma.withdraw(slot);
        assertEq(carol.balance, 100 ether - EXIT_BOND + 1 ether);
    }

    /// @dev A thief squats the coin right after a cancellation with a forged exit; the owner exits beside it and
    /// wins: its exit block is lower, so finalizeExit reaches it first.
    function test_Attack_SquatterAfterCancellation_OwnerExitsBesideAndWins() public {
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _challengeAfter(carol, toCarol, bobKey, b2);
        _malloryExits(); // back-runs the cancellation
        assertEq(plasma.getCoin(slot).headExit, 2);

        _carolExits(); // beside the squatter, not after it
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertEq(coin.headExit, 3, "carol's exit block b2 < mallory's b4");
        assertEq(plasma.getExit(slot, 3).nextExit, 2);

        vm.warp(uint256(_finalizableAt(3)));
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitFinalized(slot, 3, carol);
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Exited));

        // mallory's exit is settled against the winner: half to carol, half burned.
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BondCredited(carol, HALF);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 2, carol, IPlasmaCash.CancelReason.OutlivedByWinner);
        plasma.settleExit(slot, 2);
        assertEq(plasma.bondBalance(carol), HALF + EXIT_BOND + HALF, "challenge reward, own bond, mallory's half");

        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotCoinOwner.selector, mallory, carol));
        plasma.withdraw(slot);
        vm.prank(carol);
        plasma.withdraw(slot);
    }

    /// @dev v1: a thief kept its forged exit alive by answering challenges it opened against itself, and
    /// nobody else could exit meanwhile. Now the owner exits beside it and wins.
    function test_Attack_ThiefKeepsExitAliveWithSelfChallenge_OwnerExitsBesideAndWins() public {
        _malloryExits();
        // mallory opens a claim against her own exit and answers it, again and again, to push finalizableAt.
        bytes32 id = _challengeBefore(mallory, _depositTx(slot), d);
        _respond(mallory, id, toBob, aliceKey, b1);
        vm.warp(vm.getBlockTimestamp() + 3 days);
        bytes32 id2 = _challengeBefore(mallory, toBob, b1);
        assertEq(uint8(plasma.getChallenge(slot, 1, id2).status), uint8(IPlasmaCash.ChallengeStatus.Open));

        _carolExits();
        assertEq(plasma.getCoin(slot).headExit, 2, "the owner heads the list");
        vm.warp(uint256(_finalizableAt(2)));
        plasma.finalizeExit(slot);
        assertEq(uint8(_status(2)), uint8(IPlasmaCash.ExitStatus.Finalized));
        assertEq(uint8(_status(1)), uint8(IPlasmaCash.ExitStatus.Live));

        // Her live exit and her open challenge are both settled afterwards.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitStillLive.selector, slot, 1));
        plasma.settleChallenge(slot, 1, id2);
        plasma.settleExit(slot, 1);
        plasma.settleChallenge(slot, 1, id2);
        vm.prank(carol);
        plasma.withdraw(slot);
        assertEq(plasma.burnedBonds(), EXIT_BOND - HALF);
    }

    /// @dev The thief's exit started first and matures first, but finalizeExit acts on the lowest exit block.
    function test_Attack_HonestExitStartedLaterWithLowerExitBlockWins() public {
        _malloryExits();
        vm.warp(vm.getBlockTimestamp() + 5 days);
        _carolExits();
        vm.warp(uint256(_finalizableAt(1)));
        // mallory's exit has matured, but carol's heads the list and has not.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, _finalizableAt(2)));
        plasma.finalizeExit(slot);
        vm.warp(uint256(_finalizableAt(2)));
        plasma.finalizeExit(slot);
        assertEq(plasma.getCoin(slot).headExit, 2);
        assertEq(uint8(_status(2)), uint8(IPlasmaCash.ExitStatus.Finalized));
        // A loser cannot finalize afterwards: finalizeExit has nothing live to act on.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoLiveExit.selector, slot));
        plasma.finalizeExit(slot);
    }

    /// @dev A lower exit that is cancelled hands the head to the next one, which then finalizes on its own clock.
    function test_FinalizeExit_NextExitHeadsTheListAfterTheLowestIsCancelled() public {
        _carolExits();
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        assertEq(plasma.getCoin(slot).headExit, 2);
        _challengeAfter(carol, toCarol, bobKey, b2);
        assertEq(plasma.getCoin(slot).headExit, 1);
        assertEq(plasma.getExit(slot, 1).previousExit, 0);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Exiting));
        vm.warp(uint256(_finalizableAt(1)));
        plasma.finalizeExit(slot);
        assertEq(uint8(_status(1)), uint8(IPlasmaCash.ExitStatus.Finalized));
    }

    // ---------------------------------------------------------------------------------------------------------
    // A withheld spend revealed by challengeAfter
    // ---------------------------------------------------------------------------------------------------------

    /// @dev carol paid dave (b5) but the operator withheld the block's proof from dave; carol, not knowing whether
    /// dave has it, exits; the operator cancels her exit with her own spend. SpendRevealed carries the spend, its
    /// signature, proof and block: dave exits with those (and the history carol handed him with the coin).
    function test_Attack_WithheldSpendRevealedByChallengeAfter_OwnerExitsFromTheEvent() public {
        Transaction memory toDave = _tx(slot, b2, dave);
        uint256 b5 = _submitBlock(toDave);
        _carolExits();

        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b5, slot);
        vm.recordLogs();
        vm.prank(operator);
        plasma.challengeAfter(toDave, sig, proof, b5);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        bytes32 topic = keccak256("SpendRevealed(uint64,uint256,(uint64,uint256,uint256,address),uint256,bytes,bytes)");
        Transaction memory spend;
        uint256 blockNumber;
        bytes memory signature;
        bytes memory spendProof;
        bool found;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] != topic) continue;
            assertEq(uint256(logs[i].topics[1]), slot, "slot topic");
            assertEq(uint256(logs[i].topics[2]), 1, "nonce topic");
            (spend, blockNumber, signature, spendProof) = abi.decode(logs[i].data, (Transaction, uint256, bytes, bytes));
            found = true;
        }
        assertTrue(found, "SpendRevealed logged");
        assertEq(spend.newOwner, dave);

        // dave exits from the event's data: the spend is his exiting transaction, its prevBlock the parent block.
        bytes memory parentProof = _proof(spend.prevBlock, slot);
        vm.prank(dave);
        plasma.startExit{value: EXIT_BOND}(toCarol, parentProof, spend.prevBlock, spend, signature, spendProof, blockNumber);
        vm.warp(uint256(_finalizableAt(2)));
        plasma.finalizeExit(slot);
        vm.prank(dave);
        plasma.withdraw(slot);
        assertEq(dave.balance, 100 ether - EXIT_BOND + 1 ether);
    }

    function test_ChallengeAfter_EmitsSpendRevealedBeforeExitCancelled() public {
        Transaction memory toDave = _tx(slot, b2, dave);
        uint256 b5 = _submitBlock(toDave);
        _carolExits();
        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b5, slot);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.SpendRevealed(slot, 1, toDave, b5, sig, proof);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 1, dave, IPlasmaCash.CancelReason.SpentAfterExit);
        vm.prank(dave);
        plasma.challengeAfter(toDave, sig, proof, b5);
    }

    function test_ChallengeBetween_EmitsSpendRevealedBeforeExitCancelled() public {
        // bob double-spends his receipt: to carol (b2) and to erin (b5); erin's exit is cancelled with b2.
        address erin = makeAddr("erin");
        vm.deal(erin, 1 ether);
        Transaction memory toErin = _tx(slot, b1, erin);
        uint256 b5 = _submitBlock(toErin);
        _startExit(erin, toBob, b1, toErin, bobKey, b5);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.SpendRevealed(slot, 1, toCarol, b2, sig, proof);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitCancelled(slot, 1, carol, IPlasmaCash.CancelReason.DoubleSpend);
        vm.prank(carol);
        plasma.challengeBetween(toCarol, sig, proof, b2);
        assertTrue(plasma.isExitBlockDead(slot, b5));
    }

    // ---------------------------------------------------------------------------------------------------------
    // An operator stacking forged exits
    // ---------------------------------------------------------------------------------------------------------

    /// @dev mallory's forged parent (b3) is spent to herself in `count` blocks after it; each is an exit of its own.
    function _stackForgedExits(uint256 count) internal {
        for (uint256 i = 0; i < count; i++) {
            Transaction memory t = _tx(slot, b3, mallory);
            uint256 bk = _submitBlock(t);
            _startExit(mallory, forged, b3, t, malloryKey, bk);
        }
    }

    function _honestStartExitGas() internal returns (uint256 used) {
        bytes memory parentProof = _proof(b1, slot);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        // Cold, as at the start of a transaction, whatever the test touched before.
        vm.cool(address(plasma));
        vm.prank(carol);
        plasma.startExit{value: EXIT_BOND}(toBob, parentProof, b1, toCarol, sig, proof, b2);
        // The callee frame's gas (its gasleft at entry minus at return): a gasleft delta taken here would also
        // count this test's own memory expansion, which grows with the trees built for the stacked exits.
        used = vm.lastCallGas().gasTotalUsed;
    }

    function test_Attack_OperatorStacksForgedExits_HonestStartExitGasStaysFlat() public {
        uint256 state = vm.snapshotState();
        _stackForgedExits(1);
        uint256 withOne = _honestStartExitGas();
        vm.revertToState(state);
        _stackForgedExits(40);
        uint256 withForty = _honestStartExitGas();
        // The insertion walks from the low end: the honest exit stops at the head, whatever is stacked above.
        assertApproxEqAbs(withForty, withOne, 200, "honest startExit gas grows with forged exits");
        assertEq(plasma.getCoin(slot).headExit, 41);

        // The forged exits wait behind the honest one, and each is settled in O(1) once it wins.
        vm.warp(uint256(_finalizableAt(41)));
        plasma.finalizeExit(slot);
        for (uint256 nonce = 1; nonce <= 40; nonce++) {
            plasma.settleExit(slot, nonce);
        }
        assertEq(plasma.bondBalance(carol), EXIT_BOND + 40 * HALF);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Deadlines are inclusive
    // ---------------------------------------------------------------------------------------------------------

    function test_ChallengeAndFinalizeExit_InTheSameBlockAtTheDeadline_OrderDecides() public {
        Transaction memory toDave = _tx(slot, b2, dave);
        uint256 b5 = _submitBlock(toDave);
        _carolExits();
        uint256 deadline = _finalizableAt(1);
        vm.warp(deadline);
        uint256 state = vm.snapshotState();

        // The challenge first: accepted at exactly finalizableAt; finalizeExit then finds nothing live.
        _challengeAfter(dave, toDave, carolKey, b5);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoLiveExit.selector, slot));
        plasma.finalizeExit(slot);

        // finalizeExit first: accepted at exactly finalizableAt; the challenge then comes too late.
        vm.revertToState(state);
        plasma.finalizeExit(slot);
        bytes memory sig = _sign(carolKey, toDave);
        bytes memory proof = _proof(b5, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NoFittingExit.selector, slot));
        vm.prank(dave);
        plasma.challengeAfter(toDave, sig, proof, b5);
    }

    function test_ChallengeBeforeAtTheDeadline_ExtendsBeforeFinalizeExitInTheSameBlock() public {
        _malloryExits();
        uint256 deadline = _finalizableAt(1);
        vm.warp(deadline);
        uint256 state = vm.snapshotState();
        _challengeBefore(carol, toCarol, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, deadline + RESPONSE_PERIOD));
        plasma.finalizeExit(slot);

        vm.revertToState(state);
        plasma.finalizeExit(slot);
        assertEq(uint8(_status(1)), uint8(IPlasmaCash.ExitStatus.Finalized));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Signatures are bound to the chain
    // ---------------------------------------------------------------------------------------------------------

    function test_Attack_SignatureReplayedUnderAnotherChainId() public {
        // bob signs a transfer to carol on this chain (for the next child block's parent, so it can be committed).
        uint256 bParent = plasma.nextChildBlock();
        Transaction memory toCarolAgain = _tx(slot, bParent, carol);
        bytes memory sigHere = _sign(bobKey, toCarolAgain);

        // The same contract under another chain id: the operator commits both transactions under its domain and
        // offers bob's signature from the first chain.
        vm.chainId(block.chainid + 1);
        assertEq(_submitBlock(toBob), bParent);
        uint256 bExit = _submitBlock(toCarolAgain);
        bytes memory parentProof = _proof(bParent, slot);
        bytes memory proof = _proof(bExit, slot);
        vm.expectPartialRevert(IPlasmaCash.WrongSigner.selector);
        vm.prank(carol);
        plasma.startExit{value: EXIT_BOND}(toBob, parentProof, bParent, toCarolAgain, sigHere, proof, bExit);

        // Signed under this chain's domain, the same transaction is accepted: the refusal was the domain's.
        bytes memory sigThere = _sign(bobKey, toCarolAgain);
        assertTrue(keccak256(sigThere) != keccak256(sigHere));
        vm.prank(carol);
        plasma.startExit{value: EXIT_BOND}(toBob, parentProof, bParent, toCarolAgain, sigThere, proof, bExit);
        assertEq(plasma.liveExitAt(slot, bExit), 1);
    }
}
