// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {Transaction} from "../src/Transaction.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {LeafRef} from "../src/Checkpoint.sol";
import {TestTree} from "./utils/TestTree.sol";

/// @notice Gas of every external function of PlasmaCash, written to snapshots/PlasmaCash_Gas_Test.json by
/// `vm.snapshotGasLastCall` and checked in CI (FORGE_SNAPSHOT_CHECK). See GAS.md for the table and targets.
/// @dev Each measured call is made as the first thing a transaction would do: `vm.cool` marks the contracts it
/// touches (PlasmaCash, the token) and their storage cold, and the caller, warm in a real transaction as its
/// sender, is touched first. A snapshot is the callee's execution gas: intrinsic 21,000 and calldata are not in
/// it (GAS.md). Proofs are realistic: the transactions sit in child blocks with 1,000 other coins' leaves at
/// pseudo-random slots, so each proof carries ~10 siblings. Building such a tree with TestTree takes ~10^8 gas,
/// so it runs in its own call frame (see `submitBusyBlock`), where its megabytes of memory are freed on return.
contract PlasmaCash_Gas_Test is PlasmaCashTestBase {
    uint256 internal constant OTHER_COINS = 1000;

    mapping(uint256 blockNumber => mapping(uint64 slot => bytes proof)) internal _proofCache;

    // ---------------------------------------------------------------------------------------------------------
    // Deposits
    // ---------------------------------------------------------------------------------------------------------

    function test_Deposit_Eth_gas() public {
        _depositEth(bob, 1 ether); // steady state: the contract already holds coins
        _beforeCall(alice);
        vm.prank(alice);
        plasma.deposit{value: 1 ether}();
        vm.snapshotGasLastCall("deposit (ETH)");
    }

    function test_Deposit_Erc20_gas() public {
        _depositErc20(bob, 500e18); // steady state: the contract already holds the token
        token.mint(alice, 1000e18);
        vm.prank(alice);
        token.approve(address(plasma), 1000e18);
        _beforeCall(alice);
        vm.cool(address(token));
        vm.prank(alice);
        plasma.depositERC20(address(token), 1000e18);
        vm.snapshotGasLastCall("depositERC20");
    }

    function test_Deposit_Erc721_gas() public {
        _depositErc721(bob, 1);
        nft.mint(alice, 2);
        vm.prank(alice);
        nft.approve(address(plasma), 2);
        _beforeCall(alice);
        vm.cool(address(nft));
        vm.prank(alice);
        plasma.depositERC721(address(nft), 2);
        vm.snapshotGasLastCall("depositERC721");
    }

    /// @dev The measured call is the token's safeTransferFrom, which runs the contract's onERC721Received.
    function test_Deposit_Erc721SafeTransfer_gas() public {
        _depositErc721(bob, 1);
        nft.mint(alice, 2);
        _beforeCall(alice);
        vm.cool(address(nft));
        vm.prank(alice);
        nft.safeTransferFrom(alice, address(plasma), 2);
        vm.snapshotGasLastCall("deposit (ERC-721 safeTransferFrom)");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Blocks
    // ---------------------------------------------------------------------------------------------------------

    function test_SubmitBlock_gas() public {
        _depositEth(alice, 1 ether);
        _submitEmptyBlock(); // steady state: not the first child block
        uint256 blockNumber = plasma.nextChildBlock();
        bytes32 root = keccak256("the root of a block of 1,000 transactions");
        _beforeCall(operator);
        vm.prank(operator);
        plasma.submitBlock(root, blockNumber);
        vm.snapshotGasLastCall("submitBlock");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Exits
    // ---------------------------------------------------------------------------------------------------------

    function test_StartDepositExit_gas() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _beforeCall(alice);
        vm.prank(alice);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
        vm.snapshotGasLastCall("startDepositExit");
    }

    /// @dev bob exits alice's transfer to him: the parent is the deposit (no proof), one proof of ~10 siblings.
    function test_StartExit_ParentDeposit_gas() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBusyBlock(toBob);
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _busyProof(b1, slot);
        Transaction memory deposit = _depositTx(slot);

        _beforeCall(bob);
        vm.prank(bob);
        plasma.startExit{value: EXIT_BOND}(deposit, "", d, toBob, sig, proof, b1);
        vm.snapshotGasLastCall("startExit (parent a deposit)");
    }

    /// @dev carol exits bob's transfer to her; its parent is alice's transfer to bob: two proofs of ~10 siblings.
    function test_StartExit_ParentTransfer_gas() public {
        uint64 slot = _depositEth(alice, 1 ether);
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBusyBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBusyBlock(toCarol);
        bytes memory parentProof = _busyProof(b1, slot);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory exitingProof = _busyProof(b2, slot);

        _beforeCall(carol);
        vm.prank(carol);
        plasma.startExit{value: EXIT_BOND}(toBob, parentProof, b1, toCarol, sig, exitingProof, b2);
        vm.snapshotGasLastCall("startExit (parent a transfer)");
    }

    /// @dev As startExit (parent a transfer), with a forged exit of the coin already live at a higher exit block:
    /// carol's exit is inserted in front of it (the live list's head), updating its exit block's record.
    function test_StartExit_BesideALiveExit_gas() public {
        uint64 slot = _depositEth(alice, 1 ether);
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBusyBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBusyBlock(toCarol);
        Transaction memory forged = _tx(slot, b2, mallory);
        uint256 b3 = _submitBlock(forged);
        Transaction memory spend = _tx(slot, b3, mallory);
        uint256 b4 = _submitBlock(spend);
        _startExit(mallory, forged, b3, spend, malloryKey, b4);
        bytes memory parentProof = _busyProof(b1, slot);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory exitingProof = _busyProof(b2, slot);

        _beforeCall(carol);
        vm.prank(carol);
        plasma.startExit{value: EXIT_BOND}(toBob, parentProof, b1, toCarol, sig, exitingProof, b2);
        vm.snapshotGasLastCall("startExit (beside a live exit)");
        assertEq(plasma.getCoin(slot).headExit, 2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Challenges
    // ---------------------------------------------------------------------------------------------------------

    /// @dev alice exits her deposit after giving the coin to bob; bob cancels it with her transfer. Steady
    /// state: an earlier exit was slashed, so the burned-bond total is already non-zero.
    function test_ChallengeAfter_gas() public {
        _slashOnce();
        _challengeAfter("challengeAfter");
    }

    /// @dev The same as the very first slash of the contract's life: the burned-bond total goes from zero.
    function test_ChallengeAfter_FirstSlash_gas() public {
        _challengeAfter("challengeAfter (first slash ever)");
    }

    function _challengeAfter(string memory name) internal {
        uint64 slot = _depositEth(alice, 1 ether);
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBusyBlock(toBob);
        _startDepositExit(alice, slot);
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _busyProof(b1, slot);

        _beforeCall(bob);
        vm.prank(bob);
        plasma.challengeAfter(toBob, sig, proof, b1);
        vm.snapshotGasLastCall(name);
    }

    /// @dev alice gives the coin to bob, then signs it to mallory too; mallory exits the second spend and bob
    /// cancels the exit with the first. Steady state, as for challengeAfter.
    function test_ChallengeBetween_gas() public {
        _slashOnce();
        _challengeBetween("challengeBetween");
    }

    function test_ChallengeBetween_FirstSlash_gas() public {
        _challengeBetween("challengeBetween (first slash ever)");
    }

    function _challengeBetween(string memory name) internal {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBusyBlock(toBob);
        Transaction memory toMallory = _tx(slot, d, mallory);
        uint256 b2 = _submitBlock(toMallory);
        _startExit(mallory, _depositTx(slot), d, toMallory, aliceKey, b2);
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _busyProof(b1, slot);

        _beforeCall(bob);
        vm.prank(bob);
        plasma.challengeBetween(toBob, sig, proof, b1);
        vm.snapshotGasLastCall(name);
    }

    /// @dev The operator forges bob's coin over to mallory, who exits it; bob claims his transfer from alice,
    /// which nobody can answer.
    function test_ChallengeBefore_gas() public {
        (uint64 slot, uint256 b1, Transaction memory toBob) = _forgedExit(true);
        bytes memory proof = _busyProof(b1, slot);

        _beforeCall(bob);
        vm.prank(bob);
        plasma.challengeBefore{value: CHALLENGE_BOND}(toBob, proof, b1);
        vm.snapshotGasLastCall("challengeBefore");
    }

    /// @dev carol exits her coin (alice → bob → carol); dave claims alice's deposit; carol answers with
    /// alice's transfer to bob.
    function test_RespondChallengeBefore_gas() public {
        (uint64 slot, uint256 b1, Transaction memory toBob) = _honestExit(true);
        bytes32 challengeId = _challengeBefore(dave, _depositTx(slot), _depositBlock(slot));
        bytes memory sig = _sign(aliceKey, toBob);
        bytes memory proof = _busyProof(b1, slot);

        _beforeCall(carol);
        vm.prank(carol);
        plasma.respondChallengeBefore(challengeId, toBob, sig, proof, b1);
        vm.snapshotGasLastCall("respondChallengeBefore");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ending exits
    // ---------------------------------------------------------------------------------------------------------

    function test_FinalizeExit_Finalized_gas() public {
        (uint64 slot,,) = _honestExit(false);
        _warpPastExitPeriod();

        _beforeCall(carol);
        vm.prank(carol);
        plasma.finalizeExit(slot);
        vm.snapshotGasLastCall("finalizeExit (finalized)");
    }

    /// @dev mallory's forged exit with bob's challenge still open at the end: cancelled, bob paid. Steady state.
    function test_FinalizeExit_Cancelled_gas() public {
        _slashOnce();
        (uint64 slot, uint256 b1, Transaction memory toBob) = _forgedExit(false);
        _challengeBefore(bob, toBob, b1);
        _warpPastExitPeriod();

        _beforeCall(bob);
        vm.prank(bob);
        plasma.finalizeExit(slot);
        vm.snapshotGasLastCall("finalizeExit (cancelled)");
    }

    /// @dev Two challengers held mallory's forged exit; the second settles after the first took the slash.
    function test_SettleChallenge_gas() public {
        (uint64 slot, uint256 b1, Transaction memory toBob) = _forgedExit(false);
        _challengeBefore(bob, toBob, b1);
        bytes32 second = _challengeBefore(dave, _depositTx(slot), _depositBlock(slot));
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        (uint256 nonce,) = _currentExit(slot);

        _beforeCall(dave);
        vm.prank(dave);
        plasma.settleChallenge(slot, nonce, second);
        vm.snapshotGasLastCall("settleChallenge");
    }

    /// @dev bob's honest exit (exit block b1) won beside mallory's forged one (b3); anyone settles the loser.
    function test_SettleExit_gas() public {
        _slashOnce();
        (uint64 slot, uint256 b1, Transaction memory toBob) = _forgedExit(false);
        _startExit(bob, _depositTx(slot), _depositBlock(slot), toBob, aliceKey, b1);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        _beforeCall(dave);
        vm.prank(dave);
        plasma.settleExit(slot, 1);
        vm.snapshotGasLastCall("settleExit");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Payouts
    // ---------------------------------------------------------------------------------------------------------

    function test_Withdraw_Eth_gas() public {
        uint64 slot = _exitedDeposit(_depositEth(alice, 1 ether));
        _beforeCall(alice);
        vm.prank(alice);
        plasma.withdraw(slot);
        vm.snapshotGasLastCall("withdraw (ETH)");
    }

    function test_Withdraw_Erc20_gas() public {
        _depositErc20(bob, 500e18); // the token balance left behind stays non-zero, as it would in use
        uint64 slot = _exitedDeposit(_depositErc20(alice, 1000e18));
        token.mint(alice, 1); // alice's token balance is non-zero before, as a holder's usually is
        _beforeCall(alice);
        vm.cool(address(token));
        vm.prank(alice);
        plasma.withdraw(slot);
        vm.snapshotGasLastCall("withdraw (ERC-20)");
    }

    function test_Withdraw_Erc721_gas() public {
        _depositErc721(bob, 1);
        uint64 slot = _exitedDeposit(_depositErc721(alice, 2));
        _beforeCall(alice);
        vm.cool(address(nft));
        vm.prank(alice);
        plasma.withdraw(slot);
        vm.snapshotGasLastCall("withdraw (ERC-721)");
    }

    function test_WithdrawBonds_gas() public {
        _exitedDeposit(_depositEth(alice, 1 ether));
        _beforeCall(alice);
        vm.prank(alice);
        plasma.withdrawBonds();
        vm.snapshotGasLastCall("withdrawBonds");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Scenarios
    // ---------------------------------------------------------------------------------------------------------

    /// @dev alice → bob (at b1, in a busy block when `busy`) → carol (at b2); carol's exit is live.
    function _honestExit(bool busy) internal returns (uint64 slot, uint256 b1, Transaction memory toBob) {
        slot = _depositEth(alice, 1 ether);
        toBob = _tx(slot, _depositBlock(slot), bob);
        b1 = busy ? _submitBusyBlock(toBob) : _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        bytes memory parentProof = busy ? _busyProof(b1, slot) : _proof(b1, slot);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory exitingProof = _proof(b2, slot);
        vm.prank(carol);
        plasma.startExit{value: EXIT_BOND}(toBob, parentProof, b1, toCarol, sig, exitingProof, b2);
    }

    /// @dev alice → bob (at b1, in a busy block when `busy`); the operator forges bob → mallory (unsigned) and
    /// includes mallory → mallory; mallory's exit of it is live.
    function _forgedExit(bool busy) internal returns (uint64 slot, uint256 b1, Transaction memory toBob) {
        slot = _depositEth(alice, 1 ether);
        toBob = _tx(slot, _depositBlock(slot), bob);
        b1 = busy ? _submitBusyBlock(toBob) : _submitBlock(toBob);
        Transaction memory forged = _tx(slot, b1, mallory);
        uint256 b2 = _submitBlock(forged);
        Transaction memory spend = _tx(slot, b2, mallory);
        uint256 b3 = _submitBlock(spend);
        _startExit(mallory, forged, b2, spend, malloryKey, b3);
    }

    /// @dev dave exits his deposit after giving it to carol, who cancels the exit: the contract has slashed once.
    function _slashOnce() internal {
        uint64 slot = _depositEth(dave, 1 ether);
        Transaction memory toCarol = _tx(slot, _depositBlock(slot), carol);
        uint256 blockNumber = _submitBlock(toCarol);
        _startDepositExit(dave, slot);
        _challengeAfter(carol, toCarol, daveKey, blockNumber);
        assertGt(plasma.burnedBonds(), 0);
    }

    /// @dev The depositor's exit of `slot`, finalized: the coin is EXITED and the bond credited.
    function _exitedDeposit(uint64 slot) internal returns (uint64) {
        address depositor = plasma.getCoin(slot).depositor;
        _startDepositExit(depositor, slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        return slot;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Measuring
    // ---------------------------------------------------------------------------------------------------------

    /// @dev The state of a fresh transaction from `sender`: the contract and its storage cold, the sender warm.
    // ---------------------------------------------------------------------------------------------------------
    // Checkpoints (through PlasmaCash's fallback into the CheckpointGame module)
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Steady state: not the first checkpoint (the counters word is non-zero).
    function test_SubmitCheckpoint_gas() public {
        _depositEth(alice, 1 ether);
        uint256 first = _submitEmptyBlock();
        vm.prank(operator);
        ICheckpoints(address(plasma)).submitCheckpoint(first, keccak256("checkpoint 0"));
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 n = _submitEmptyBlock();
        _beforeCall(operator);
        vm.prank(operator);
        ICheckpoints(address(plasma)).submitCheckpoint(n, keccak256("checkpoint 1"));
        vm.snapshotGasLastCall("submitCheckpoint");
    }

    function test_ChallengeLeafWithheld_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1,) = _checkpointOfBusyCoin();
        bytes memory proof = _busyProof(b1, slot);
        _beforeCall(bob);
        vm.prank(bob);
        ICheckpoints(address(plasma)).challengeLeafWithheld{value: CHALLENGE_BOND}(0, slot, toBob, proof, b1);
        vm.snapshotGasLastCall("challengeLeafWithheld");
    }

    /// @dev The answer proves the leaf in a checkpoint of 1,001 coins and the transaction in a busy block.
    function test_AnswerLeafWithheld_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        bytes memory proof = _busyProof(b1, slot);
        vm.prank(bob);
        ICheckpoints(address(plasma)).challengeLeafWithheld{value: CHALLENGE_BOND}(0, slot, toBob, proof, b1);
        bytes32 id = keccak256(abi.encode(uint8(1), b1, _digest(toBob)));
        LeafRef memory leaf = LeafRef({k: 0, slot: slot, txBlock: b1, txDigest: _digest(toBob), proof: leafProof});
        bytes memory sig = _sign(aliceKey, toBob);
        _beforeCall(operator);
        vm.prank(operator);
        ICheckpoints(address(plasma)).answerLeafWithheld(leaf, id, toBob, sig, proof);
        vm.snapshotGasLastCall("answerLeafWithheld");
    }

    /// @dev mallory claims bob never spent toBob (b1) against the honest leaf (b3, toDave).
    function test_ChallengeLeafHistory_gas() public {
        BusyHistory memory h = _historyOfBusyCoin();
        bytes memory proof = _busyProof(h.b1, h.slot);
        _beforeCall(mallory);
        vm.prank(mallory);
        ICheckpoints(address(plasma)).challengeLeafHistory{value: CHALLENGE_BOND}(h.leaf, h.toBob, proof, h.b1);
        vm.snapshotGasLastCall("challengeLeafHistory");
    }

    /// @dev The answer: bob's spend toCarol (b2, below the leaf's block, so it is marked revealed), busy proof.
    function test_AnswerLeafHistory_gas() public {
        BusyHistory memory h = _historyOfBusyCoin();
        bytes memory claimProof = _busyProof(h.b1, h.slot);
        vm.prank(mallory);
        ICheckpoints(address(plasma)).challengeLeafHistory{value: CHALLENGE_BOND}(h.leaf, h.toBob, claimProof, h.b1);
        bytes32 id = keccak256(abi.encode(uint8(2), h.b1, _digest(h.toBob)));
        bytes memory sig = _sign(bobKey, h.toCarol);
        bytes memory proof = _busyProof(h.b2, h.slot);
        _beforeCall(operator);
        vm.prank(operator);
        ICheckpoints(address(plasma)).answerLeafHistory(0, h.slot, id, h.toCarol, sig, proof, h.b2);
        vm.snapshotGasLastCall("answerLeafHistory");
    }

    /// @dev The coin's base (checkpoint 0's leaf) settles mallory's claim of the deposit against checkpoint 1.
    function test_DismissLeafHistory_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBusyBlock(toCarol);
        (bytes32 root, bytes memory leafProof1) = this.checkpointTree(slot, keccak256(abi.encode(b2, _digest(toCarol))));
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        vm.prank(operator);
        ICheckpoints(address(plasma)).submitCheckpoint(b2, root);
        LeafRef memory leaf1 = LeafRef({k: 1, slot: slot, txBlock: b2, txDigest: _digest(toCarol), proof: leafProof1});
        Transaction memory depositTx = _depositTx(slot);
        uint256 periodEnd0 = ICheckpoints(address(plasma)).getCheckpoint(0).periodEnd;
        vm.warp(periodEnd0 - 1); // a challenge before the base is applied (R5), still answerable once it is
        vm.prank(mallory);
        ICheckpoints(address(plasma)).challengeLeafHistory{value: CHALLENGE_BOND}(leaf1, depositTx, "", _depositBlock(slot));
        vm.warp(periodEnd0);
        _applyBase(LeafRef({k: 0, slot: slot, txBlock: b1, txDigest: _digest(toBob), proof: leafProof}));
        _beforeCall(bob);
        vm.prank(bob);
        ICheckpoints(address(plasma)).dismissLeafHistory(1, slot, _depositBlock(slot), _digest(depositTx));
        vm.snapshotGasLastCall("dismissLeafHistory");
    }

    /// @dev An unanswered challenge past due: the leaf is recorded void and the bond credited back.
    function test_SettleLeafChallenge_gas() public {
        BusyHistory memory h = _historyOfBusyCoin();
        bytes memory claimProof = _busyProof(h.b1, h.slot);
        vm.prank(bob);
        ICheckpoints(address(plasma)).challengeLeafHistory{value: CHALLENGE_BOND}(h.leaf, h.toBob, claimProof, h.b1);
        bytes32 id = keccak256(abi.encode(uint8(2), h.b1, _digest(h.toBob)));
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD + 1);
        _beforeCall(carol);
        vm.prank(carol);
        ICheckpoints(address(plasma)).settleLeafChallenge(0, h.slot, id);
        vm.snapshotGasLastCall("settleLeafChallenge");
    }

    struct BusyHistory {
        uint64 slot;
        Transaction toBob;
        Transaction toCarol;
        uint256 b1;
        uint256 b2;
        LeafRef leaf;
    }

    /// @dev alice -> bob (b1) -> carol (b2) -> dave (b3), each in a busy block; checkpoint 0 of b3 holds the leaf
    /// (b3, toDave) among 1,000 others.
    function _historyOfBusyCoin() internal returns (BusyHistory memory h) {
        _slashOnce(); // steady state: the burned-bond total is non-zero
        h.slot = _depositEth(alice, 1 ether);
        h.toBob = _tx(h.slot, _depositBlock(h.slot), bob);
        h.b1 = _submitBusyBlock(h.toBob);
        h.toCarol = _tx(h.slot, h.b1, carol);
        h.b2 = _submitBusyBlock(h.toCarol);
        Transaction memory toDave = _tx(h.slot, h.b2, dave);
        uint256 b3 = _submitBusyBlock(toDave);
        (bytes32 root, bytes memory leafProof) = this.checkpointTree(h.slot, keccak256(abi.encode(b3, _digest(toDave))));
        vm.prank(operator);
        ICheckpoints(address(plasma)).submitCheckpoint(b3, root);
        h.leaf = LeafRef({k: 0, slot: h.slot, txBlock: b3, txDigest: _digest(toDave), proof: leafProof});
    }

    /// @dev Applies final leaf `leaf` as its coin's base (applyCheckpoint).
    function _applyBase(LeafRef memory leaf) internal {
        ICheckpoints(address(plasma)).applyCheckpoint(leaf);
    }

    // ---------------------------------------------------------------------------------------------------------
    // A final leaf's effects on the exit game (calls 12-16; the leaf proved in a checkpoint of 1,001 coins)
    // ---------------------------------------------------------------------------------------------------------

    /// @dev The coin's first base: two fresh words.
    function test_ApplyCheckpoint_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        LeafRef memory leaf = _finalBusyLeaf(slot, toBob, b1, leafProof);
        _beforeCall(carol);
        vm.prank(carol);
        ICheckpoints(address(plasma)).applyCheckpoint(leaf);
        vm.snapshotGasLastCall("applyCheckpoint");
    }

    /// @dev alice's deposit exit of a coin she gave bob, cancelled with the final leaf naming bob's transaction
    /// (the coin's first base applied in the same call).
    function test_EnforceCheckpoint_Cancel_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        _startDepositExit(alice, slot);
        LeafRef memory leaf = _finalBusyLeaf(slot, toBob, b1, leafProof);
        _beforeCall(bob);
        vm.prank(bob);
        ICheckpoints(address(plasma)).enforceCheckpoint(leaf, 1);
        vm.snapshotGasLastCall("enforceCheckpoint (cancels an inconsistent exit)");
    }

    /// @dev carol's plain exit (parent bob's transaction, the leaf's) bound to the leaf; the base already applied.
    function test_EnforceCheckpoint_Bind_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBusyBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        LeafRef memory leaf = _finalBusyLeaf(slot, toBob, b1, leafProof);
        ICheckpoints(address(plasma)).applyCheckpoint(leaf);
        _beforeCall(carol);
        vm.prank(carol);
        ICheckpoints(address(plasma)).enforceCheckpoint(leaf, 1);
        vm.snapshotGasLastCall("enforceCheckpoint (binds a consistent exit)");
    }

    /// @dev carol's exit from the leaf; dave claims alice's deposit; carol answers with the leaf.
    function test_RespondChallengeBeforeWithCheckpoint_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBusyBlock(toCarol);
        LeafRef memory leaf = _finalBusyLeaf(slot, toBob, b1, leafProof);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _busyProof(b2, slot);
        vm.prank(carol);
        ICheckpoints(address(plasma)).startExitFromCheckpoint{value: EXIT_BOND}(leaf, toBob, toCarol, sig, proof, b2);
        bytes32 challengeId = _challengeBefore(dave, _depositTx(slot), _depositBlock(slot));
        _beforeCall(carol);
        vm.prank(carol);
        ICheckpoints(address(plasma)).respondChallengeBeforeWithCheckpoint(leaf, 1, challengeId);
        vm.snapshotGasLastCall("respondChallengeBeforeWithCheckpoint");
    }

    /// @dev bob exits the checkpointed transaction with the leaf alone (the coin's first base applied).
    function test_StartCheckpointExit_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        LeafRef memory leaf = _finalBusyLeaf(slot, toBob, b1, leafProof);
        _beforeCall(bob);
        vm.prank(bob);
        ICheckpoints(address(plasma)).startCheckpointExit{value: EXIT_BOND}(leaf, toBob);
        vm.snapshotGasLastCall("startCheckpointExit");
    }

    /// @dev carol exits bob's transfer to her (a busy block after N), its parent proved by the leaf (the coin's
    /// first base applied).
    function test_StartExitFromCheckpoint_gas() public {
        (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof) = _checkpointOfBusyCoin();
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBusyBlock(toCarol);
        LeafRef memory leaf = _finalBusyLeaf(slot, toBob, b1, leafProof);
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _busyProof(b2, slot);
        _beforeCall(carol);
        vm.prank(carol);
        ICheckpoints(address(plasma)).startExitFromCheckpoint{value: EXIT_BOND}(leaf, toBob, toCarol, sig, proof, b2);
        vm.snapshotGasLastCall("startExitFromCheckpoint");
    }

    /// @dev Checkpoint 0's leaf of `slot` (bob's transaction at b1), once final.
    function _finalBusyLeaf(uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof)
        internal
        returns (LeafRef memory leaf)
    {
        leaf = LeafRef({k: 0, slot: slot, txBlock: b1, txDigest: _digest(toBob), proof: leafProof});
        vm.warp(ICheckpoints(address(plasma)).getCheckpoint(0).periodEnd);
    }

    /// @dev alice -> bob in a busy block b1; checkpoint 0 of b1 holds bob's leaf among 1,000 others.
    function _checkpointOfBusyCoin()
        internal
        returns (uint64 slot, Transaction memory toBob, uint256 b1, bytes memory leafProof)
    {
        _slashOnce(); // steady state: the burned-bond total is non-zero
        slot = _depositEth(alice, 1 ether);
        toBob = _tx(slot, _depositBlock(slot), bob);
        b1 = _submitBusyBlock(toBob);
        bytes32 root;
        (root, leafProof) = this.checkpointTree(slot, keccak256(abi.encode(b1, _digest(toBob))));
        vm.prank(operator);
        ICheckpoints(address(plasma)).submitCheckpoint(b1, root);
    }

    /// @notice The root of a checkpoint holding `leaf` at `slot` and 1,000 other coins' leaves, and its proof.
    function checkpointTree(uint64 slot, bytes32 leaf) external pure returns (bytes32 root, bytes memory proof) {
        uint64[] memory slots = new uint64[](OTHER_COINS + 1);
        bytes32[] memory leaves = new bytes32[](OTHER_COINS + 1);
        for (uint256 i = 0; i < OTHER_COINS; i++) {
            slots[i] = uint64(bytes8(keccak256(abi.encode("gas/checkpoint-coin", i))));
            leaves[i] = keccak256(abi.encode("gas/checkpoint-leaf", i));
        }
        _sortBySlot(slots, leaves, 0, OTHER_COINS - 1);
        slots[OTHER_COINS] = slot;
        leaves[OTHER_COINS] = leaf;
        (root, proof) = TestTree.rootAndProof(slots, leaves, slot);
    }

    function _beforeCall(address sender) internal {
        vm.cool(address(plasma));
        vm.deal(sender, sender.balance + 1 ether); // reads (and so warms) the sender, and funds the bond
    }

    // ---------------------------------------------------------------------------------------------------------
    // Busy blocks
    // ---------------------------------------------------------------------------------------------------------

    function _submitBusyBlock(Transaction memory tx_) internal returns (uint256) {
        Transaction[] memory txs = new Transaction[](1);
        txs[0] = tx_;
        return this.submitBusyBlock(txs);
    }

    /// @notice Commits the next child block holding `txs` and 1,000 other coins' leaves at pseudo-random slots.
    /// @dev External (called by this contract only) so that TestTree's memory is freed when it returns.
    function submitBusyBlock(Transaction[] calldata txs) external returns (uint256 blockNumber) {
        require(msg.sender == address(this), "internal");
        blockNumber = plasma.nextChildBlock();
        uint64[] memory slots = new uint64[](OTHER_COINS + txs.length);
        bytes32[] memory leaves = new bytes32[](OTHER_COINS + txs.length);
        for (uint256 i = 0; i < OTHER_COINS; i++) {
            slots[i] = uint64(bytes8(keccak256(abi.encode("gas/other-coin", blockNumber, i))));
            leaves[i] = keccak256(abi.encode("gas/other-leaf", blockNumber, i));
        }
        // TestTree sorts by insertion: sorted input keeps that linear.
        _sortBySlot(slots, leaves, 0, OTHER_COINS - 1);
        for (uint256 i = 0; i < txs.length; i++) {
            slots[OTHER_COINS + i] = txs[i].slot;
            leaves[OTHER_COINS + i] = _digest(txs[i]);
        }
        _submitLeaves(slots, leaves);
    }

    /// @dev The proof of `slot` in busy block `blockNumber`, built once, in its own call frame.
    function _busyProof(uint256 blockNumber, uint64 slot) internal returns (bytes memory proof) {
        proof = _proofCache[blockNumber][slot];
        if (proof.length == 0) {
            proof = this.proofOf(blockNumber, slot);
            // 1,001 leaves at random slots: ~log2(1001) ≈ 10 non-default siblings on a path.
            assertGe(proof.length, 8 + 32 * 8, "a busy block's proof carries ~10 siblings");
            _proofCache[blockNumber][slot] = proof;
        }
    }

    function proofOf(uint256 blockNumber, uint64 slot) external view returns (bytes memory) {
        return _proof(blockNumber, slot);
    }

    function _sortBySlot(uint64[] memory slots, bytes32[] memory leaves, uint256 lo, uint256 hi) internal pure {
        uint64 pivot = slots[(lo + hi) / 2];
        uint256 i = lo;
        uint256 j = hi;
        while (true) {
            while (slots[i] < pivot) i++;
            while (slots[j] > pivot) j--;
            if (i >= j) break;
            (slots[i], slots[j]) = (slots[j], slots[i]);
            (leaves[i], leaves[j]) = (leaves[j], leaves[i]);
            i++;
            j--;
        }
        if (lo < j) _sortBySlot(slots, leaves, lo, j);
        if (j + 1 < hi) _sortBySlot(slots, leaves, j + 1, hi);
    }
}
