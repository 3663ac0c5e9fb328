// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";
import {SparseMerkle} from "../src/libraries/SparseMerkle.sol";
import {Signatures} from "../src/libraries/Signatures.sol";

contract PlasmaCash_StartExit_Test is PlasmaCashTestBase {
    /// @dev The seven arguments of startExit, built before any vm.expectRevert (building them calls the contract).
    struct ExitArgs {
        Transaction parent;
        bytes parentProof;
        uint256 parentBlock;
        Transaction exiting;
        bytes sig;
        bytes exitingProof;
        uint256 exitingBlock;
    }

    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    uint64 internal other; // mallory's own coin
    uint64 internal slot; // alice's coin, the one exited in most tests
    uint256 internal d; // its deposit block

    function setUp() public override {
        super.setUp();
        other = _depositEth(mallory, 1 ether);
        slot = _depositEth(alice, 1 ether);
        d = _depositBlock(slot);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    /// @dev alice → bob at b1, bob → carol at b2.
    function _transfers() internal returns (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) {
        toBob = _tx(slot, d, bob);
        b1 = _submitBlock(toBob);
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
    }

    function _args(
        Transaction memory parent,
        uint256 parentBlock,
        Transaction memory exiting,
        uint256 signerKey,
        uint256 exitingBlock
    ) internal view returns (ExitArgs memory a) {
        a.parent = parent;
        a.parentBlock = parentBlock;
        bool depositParent = parentBlock == _depositBlock(exiting.slot) || parentBlock == _depositBlock(parent.slot);
        a.parentProof = depositParent ? bytes("") : _proof(parentBlock, parent.slot);
        a.exiting = exiting;
        a.sig = _sign(signerKey, exiting);
        a.exitingProof = _proof(exitingBlock, exiting.slot);
        a.exitingBlock = exitingBlock;
    }

    function _exit(address caller, uint256 bond, ExitArgs memory a) internal {
        vm.prank(caller);
        plasma.startExit{value: bond}(
            a.parent, a.parentProof, a.parentBlock, a.exiting, a.sig, a.exitingProof, a.exitingBlock
        );
    }

    function _exit(address caller, ExitArgs memory a) internal {
        _exit(caller, EXIT_BOND, a);
    }

    function _assertExit(
        uint64 slot_,
        uint256 nonce_,
        address exitor,
        uint256 parentBlock,
        address parentOwner,
        uint256 exitBlock,
        uint256 startedAt
    ) internal view {
        (uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot_);
        assertEq(nonce, nonce_, "nonce");
        assertEq(exit_.exitor, exitor, "exitor");
        assertEq(exit_.exitBlock, exitBlock, "exitBlock");
        assertEq(exit_.parentBlock, parentBlock, "parentBlock");
        assertEq(exit_.parentOwner, parentOwner, "parentOwner");
        assertEq(exit_.finalizableAt, startedAt + EXIT_PERIOD, "finalizableAt");
        assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Live), "status");
        assertEq(exit_.firstChallenge, bytes32(0), "firstChallenge");
        assertEq(exit_.lastChallenge, bytes32(0), "lastChallenge");
        IPlasmaCash.Exit memory stored = plasma.getExit(slot_, nonce_);
        assertEq(stored.exitor, exitor, "getExit exitor");
        assertEq(stored.exitBlock, exitBlock, "getExit exitBlock");
        assertEq(stored.parentBlock, parentBlock, "getExit parentBlock");
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot_);
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Exiting), "coin state");
        assertEq(coin.exitCount, nonce_, "exitCount");
    }

    function _assertNoExit() internal view {
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Deposited), "coin state");
        assertEq(coin.exitCount, 0, "exitCount");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Happy paths
    // ---------------------------------------------------------------------------------------------------------

    function test_StartExit_ParentIsDeposit() public {
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        uint256 held = address(plasma).balance;
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _assertExit(slot, 1, bob, d, alice, b1, vm.getBlockTimestamp());
        assertEq(address(plasma).balance, held + EXIT_BOND);
    }

    function test_StartExit_ParentIsTransfer() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _assertExit(slot, 1, carol, b1, bob, b2, vm.getBlockTimestamp());
    }

    function test_StartExit_EmitsExitStarted() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitStarted(slot, 1, carol, b1, b2, vm.getBlockTimestamp() + EXIT_PERIOD);
        _exit(carol, a);
    }

    function test_StartExit_EmptyBlocksBetweenParentAndExiting() public {
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        _submitEmptyBlock();
        _submitEmptyBlock();
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b4 = _submitBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b4);
        _assertExit(slot, 1, carol, b1, bob, b4, vm.getBlockTimestamp());
    }

    function test_StartExit_BlocksWithOtherCoins() public {
        // Non-trivial proofs: every block also moves other coins.
        uint64 c1 = _depositEth(carol, 1 ether);
        uint64 c2 = _depositEth(dave, 1 ether);
        Transaction[] memory txs = new Transaction[](3);
        txs[0] = _tx(c1, _depositBlock(c1), dave);
        txs[1] = _tx(slot, d, bob);
        txs[2] = _tx(c2, _depositBlock(c2), carol);
        uint256 b1 = _submitBlock(txs);
        txs[0] = _tx(c1, b1, carol);
        txs[1] = _tx(slot, b1, carol);
        txs[2] = _tx(other, _depositBlock(other), bob);
        uint256 b2 = _submitBlock(txs);
        assertGt(_proof(b1, slot).length, 8);
        _startExit(carol, _tx(slot, d, bob), b1, _tx(slot, b1, carol), bobKey, b2);
        _assertExit(slot, 1, carol, b1, bob, b2, vm.getBlockTimestamp());
    }

    function test_StartExit_Erc20Coin() public {
        uint64 coin = _depositErc20(bob, 250e18);
        Transaction memory toCarol = _tx(coin, _depositBlock(coin), carol);
        uint256 b1 = _submitBlock(toCarol);
        Transaction memory toDave = _tx(coin, b1, dave);
        uint256 b2 = _submitBlock(toDave);
        _startExit(dave, toCarol, b1, toDave, carolKey, b2);
        _assertExit(coin, 1, dave, b1, carol, b2, vm.getBlockTimestamp());
    }

    function test_StartExit_Erc721Coin() public {
        uint64 coin = _depositErc721(bob, 5);
        assertEq(_denomination(coin), 1);
        Transaction memory toCarol = _tx(coin, _depositBlock(coin), carol);
        uint256 b1 = _submitBlock(toCarol);
        _startExit(carol, _depositTx(coin), _depositBlock(coin), toCarol, bobKey, b1);
        _assertExit(coin, 1, carol, _depositBlock(coin), bob, b1, vm.getBlockTimestamp());
    }

    function test_StartExit_AgainAfterCancelledExit() public {
        // bob exits a coin he already sent to carol; carol cancels it, then exits herself with nonce 2.
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _challengeAfter(carol, toCarol, bobKey, b2);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _assertExit(slot, 2, carol, b1, bob, b2, vm.getBlockTimestamp());
        assertEq(uint8(plasma.getExit(slot, 1).status), uint8(IPlasmaCash.ExitStatus.Cancelled));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Bond and coin state
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_StartExit_BondTooLow() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, EXIT_BOND - 1, EXIT_BOND));
        _exit(carol, EXIT_BOND - 1, a);
        _assertNoExit();
    }

    function test_RevertWhen_StartExit_BondTooHigh() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, EXIT_BOND + 1, EXIT_BOND));
        _exit(carol, EXIT_BOND + 1, a);
        _assertNoExit();
    }

    function test_RevertWhen_StartExit_NoBond() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, 0, EXIT_BOND));
        _exit(carol, 0, a);
    }

    function test_RevertWhen_StartExit_UnknownCoin() public {
        uint64 unknown = slot ^ 1;
        Transaction memory parent =
            Transaction({slot: unknown, prevBlock: 0, denomination: 1 ether, newOwner: mallory});
        Transaction memory exiting =
            Transaction({slot: unknown, prevBlock: 1000, denomination: 1 ether, newOwner: mallory});
        uint256 b1 = _submitBlock(parent);
        uint256 b2 = _submitBlock(exiting);
        ExitArgs memory a = _args(parent, b1, exiting, malloryKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnknownCoin.selector, unknown));
        _exit(mallory, a);
    }

    function test_StartExit_BesideALiveExitWithALowerExitBlock() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.ExitStarted(slot, 2, carol, b1, b2, vm.getBlockTimestamp() + EXIT_PERIOD);
        _exit(carol, a);
        // Ordered by exit block: bob's (b1) first, carol's (b2) after it.
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Exiting));
        assertEq(coin.headExit, 1, "head = lowest exit block");
        assertEq(plasma.getExit(slot, 1).nextExit, 2);
        assertEq(plasma.getExit(slot, 1).previousExit, 0);
        assertEq(plasma.getExit(slot, 2).previousExit, 1);
        assertEq(plasma.getExit(slot, 2).nextExit, 0);
        assertEq(plasma.liveExitAt(slot, b1), 1);
        assertEq(plasma.liveExitAt(slot, b2), 2);
    }

    function test_StartExit_BeforeALiveExitWithAHigherExitBlock() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _startDepositExit(alice, slot);
        // Started last, alice's deposit exit has the lowest exit block: it heads the list.
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertEq(coin.headExit, 3);
        assertEq(plasma.getExit(slot, 3).nextExit, 2);
        assertEq(plasma.getExit(slot, 2).previousExit, 3);
        assertEq(plasma.getExit(slot, 2).nextExit, 1);
        assertEq(plasma.getExit(slot, 1).previousExit, 2);
        assertEq(plasma.getExit(slot, 1).nextExit, 0);
    }

    function test_RevertWhen_StartExit_ExitBlockTaken() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockTaken.selector, slot, b2, 1));
        _exit(carol, a);
        assertEq(plasma.getCoin(slot).exitCount, 1);
    }

    function test_RevertWhen_StartExit_ExitBlockDead() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        // bob exits his receipt although he spent it: carol's transfer cancels it and kills block b1.
        _startExit(bob, _depositTx(slot), d, toBob, aliceKey, b1);
        _challengeAfter(carol, toCarol, bobKey, b2);
        assertTrue(plasma.isExitBlockDead(slot, b1));
        ExitArgs memory a = _args(_depositTx(slot), d, toBob, aliceKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitBlockDead.selector, slot, b1));
        _exit(bob, a);
        // carol, the owner, still exits.
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        assertEq(plasma.getCoin(slot).headExit, 2);
    }

    function test_RevertWhen_StartExit_CoinExited() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotDeposited.selector, slot, IPlasmaCash.CoinState.Exited)
        );
        _exit(carol, a);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Block order, prevBlock, caller
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_StartExit_ParentBlockEqualsExitingBlock() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol,) = _transfers();
        toCarol.prevBlock = b1;
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ParentNotBeforeExiting.selector, b1, b1));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_ParentBlockAfterExitingBlock() public {
        // Arguments swapped: the later transaction as parent of the earlier one.
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        toBob.prevBlock = b2;
        ExitArgs memory a = _args(toCarol, b2, toBob, carolKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ParentNotBeforeExiting.selector, b2, b1));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_WrongPrevBlock() public {
        // bob's transfer to carol names the deposit block, not bob's block, as the one it spends.
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, d, carol);
        uint256 b2 = _submitBlock(toCarol);
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b1, d));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_CallerIsNotNewOwner() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotNewOwner.selector, mallory, carol));
        _exit(mallory, a);
        _assertNoExit();
    }

    function test_RevertWhen_StartExit_PreviousOwnerExitsForNewOwner() public {
        // The exit would be carol's coin, but bob (who signed it away) cannot start it, even to carol's benefit.
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotNewOwner.selector, bob, carol));
        _exit(bob, a);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The parent
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_StartExit_ParentNotIncluded() public {
        // mallory claims a parent alice → mallory at b1 that the block does not hold.
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory fakeParent = _tx(slot, d, mallory);
        Transaction memory exiting = _tx(slot, b1, mallory);
        uint256 b2 = _submitBlock(exiting);
        ExitArgs memory a = _args(fakeParent, b1, exiting, malloryKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        _exit(mallory, a);
    }

    function test_RevertWhen_StartExit_ParentProofOfAnotherSlot() public {
        uint64 c1 = _depositEth(carol, 1 ether);
        Transaction[] memory txs = new Transaction[](2);
        txs[0] = _tx(slot, d, bob);
        txs[1] = _tx(c1, _depositBlock(c1), dave);
        uint256 b1 = _submitBlock(txs);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        ExitArgs memory a = _args(txs[0], b1, toCarol, bobKey, b2);
        a.parentProof = _proof(b1, c1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_ParentProofTampered() public {
        uint64 c1 = _depositEth(carol, 1 ether);
        Transaction[] memory txs = new Transaction[](2);
        txs[0] = _tx(slot, d, bob);
        txs[1] = _tx(c1, _depositBlock(c1), dave);
        uint256 b1 = _submitBlock(txs);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        ExitArgs memory a = _args(txs[0], b1, toCarol, bobKey, b2);
        assertGt(a.parentProof.length, 8);
        a.parentProof[a.parentProof.length - 1] ^= bytes1(0x01);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_ParentProofMalformed() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        uint256 length = a.parentProof.length;
        a.parentProof = bytes.concat(a.parentProof, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length + 32, length));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_ParentBlockNotCommitted() public {
        // A block number between child blocks that is not this coin's deposit block has no root.
        Transaction memory exiting = _tx(slot, 1500, carol);
        _submitEmptyBlock();
        uint256 b2 = _submitBlock(exiting);
        ExitArgs memory a = _args(_tx(slot, d, bob), 1500, exiting, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, 1500));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_ParentAtAnotherCoinsDepositBlock() public {
        // bob's deposit block is a deposit block, but not this coin's: it holds no transaction of this coin.
        uint64 bobs = _depositEth(bob, 1 ether);
        uint256 bobsBlock = _depositBlock(bobs);
        Transaction memory fakeParent = _tx(slot, 0, bob);
        Transaction memory exiting = _tx(slot, bobsBlock, bob);
        uint256 b1 = _submitBlock(exiting);
        ExitArgs memory a = _args(fakeParent, bobsBlock, exiting, bobKey, b1);
        a.parentProof = "";
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, bobsBlock));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_ForgedDepositOwner() public {
        // mallory claims the deposit was hers; the colluding operator includes her "spend" of it.
        Transaction memory forgedDeposit = _tx(slot, 0, mallory);
        Transaction memory exiting = _tx(slot, d, mallory);
        uint256 b1 = _submitBlock(exiting);
        ExitArgs memory a = _args(forgedDeposit, d, exiting, malloryKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        _exit(mallory, a);
        _assertNoExit();
    }

    function test_RevertWhen_StartExit_DepositParentWrongDenomination() public {
        Transaction memory parent = _depositTx(slot);
        parent.denomination = 2 ether;
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        ExitArgs memory a = _args(parent, d, toBob, aliceKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_DepositParentNonZeroPrevBlock() public {
        Transaction memory parent = _depositTx(slot);
        parent.prevBlock = 1;
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        ExitArgs memory a = _args(parent, d, toBob, aliceKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_DepositParentOfAnotherSlot() public {
        // mallory's own deposit transaction, claimed at alice's deposit block as the parent of alice's coin.
        Transaction memory parent = _depositTx(other);
        Transaction memory exiting = _tx(slot, d, mallory);
        uint256 b1 = _submitBlock(exiting);
        ExitArgs memory a = _args(parent, d, exiting, malloryKey, b1);
        a.parentProof = "";
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        _exit(mallory, a);
    }

    function test_RevertWhen_StartExit_DepositParentWithProof() public {
        // The deposit transaction is checked against the record only: a proof with it is malformed.
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        ExitArgs memory a = _args(_depositTx(slot), d, toBob, aliceKey, b1);
        a.parentProof = abi.encodePacked(bytes8(0));
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositTransaction.selector, slot, d));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_ParentBeforeDeposit() public {
        // Slots are predictable: a colluding operator includes a "transfer" of alice's next coin before it
        // exists, then a spend of it; once alice deposits, mallory tries to exit it.
        uint64 predicted = uint64(bytes8(keccak256(abi.encode(alice, plasma.depositNonce()))));
        Transaction memory pre = Transaction({slot: predicted, prevBlock: 0, denomination: 5 ether, newOwner: mallory});
        uint256 b1 = _submitBlock(pre);
        assertEq(_depositEth(alice, 5 ether), predicted);
        uint256 deposited = _depositBlock(predicted);
        assertGt(deposited, b1);
        Transaction memory exiting =
            Transaction({slot: predicted, prevBlock: b1, denomination: 5 ether, newOwner: mallory});
        uint256 b2 = _submitBlock(exiting);
        ExitArgs memory a = _args(pre, b1, exiting, malloryKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BeforeDeposit.selector, b1, deposited));
        _exit(mallory, a);
        assertEq(uint8(plasma.getCoin(predicted).state), uint8(IPlasmaCash.CoinState.Deposited));
    }

    function test_RevertWhen_StartExit_ParentOfAnotherSlot() public {
        // An exit names one slot (exiting's) but takes its parent from another coin: mallory's own coin moved
        // to herself. The colluding operator puts that parent's digest at alice's slot, so the proof verifies
        // and only the slot check stops the exit.
        Transaction memory toSelf = _tx(other, _depositBlock(other), mallory);
        uint64[] memory slots = new uint64[](1);
        bytes32[] memory leaves = new bytes32[](1);
        slots[0] = slot;
        leaves[0] = _digest(toSelf);
        uint256 b1 = _submitLeaves(slots, leaves);
        Transaction memory exiting = _tx(slot, b1, mallory);
        uint256 b2 = _submitBlock(exiting);
        ExitArgs memory a = _args(toSelf, b1, exiting, malloryKey, b2);
        a.parentProof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SlotMismatch.selector, slot, other));
        _exit(mallory, a);
        _assertNoExit();
    }

    function test_RevertWhen_StartExit_ParentWrongDenomination() public {
        // The operator included a parent with another denomination: it is no transfer of this coin.
        Transaction memory toBob = _tx(slot, d, bob);
        toBob.denomination = 0.5 ether;
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.DenominationMismatch.selector, slot, 1 ether, 0.5 ether));
        _exit(carol, a);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The exiting transaction
    // ---------------------------------------------------------------------------------------------------------

    function test_RevertWhen_StartExit_ExitingNotIncluded() public {
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitEmptyBlock();
        ExitArgs memory a = _args(_depositTx(slot), d, toBob, aliceKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b1));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_ExitingProofFromAnotherBlock() public {
        // toBob is in b1, not in b2 (which moves another coin): b1's valid proof does not show it in b2.
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        uint64 c1 = _depositEth(dave, 1 ether);
        uint256 b2 = _submitBlock(_tx(c1, _depositBlock(c1), carol));
        ExitArgs memory a = _args(_depositTx(slot), d, toBob, aliceKey, b2);
        a.exitingProof = _proof(b1, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotIncluded.selector, slot, b2));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_ExitingBlockNotCommitted() public {
        Transaction memory toBob = _tx(slot, d, bob);
        ExitArgs memory a = _args(_depositTx(slot), d, toBob, aliceKey, 1000);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, 1000));
        _exit(bob, a);
    }

    function test_RevertWhen_StartExit_ExitingSignedByStranger() public {
        // The colluding operator includes mallory's "transfer" of alice's coin to mallory.
        Transaction memory toMallory = _tx(slot, d, mallory);
        uint256 b1 = _submitBlock(toMallory);
        ExitArgs memory a = _args(_depositTx(slot), d, toMallory, malloryKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, alice, mallory));
        _exit(mallory, a);
        _assertNoExit();
    }

    function test_RevertWhen_StartExit_ExitingSignedByEarlierOwner() public {
        // alice, who no longer owns the coin at b1, signs bob's coin away to carol.
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, aliceKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, alice));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_ExitingWrongDenomination() public {
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        toCarol.denomination = 2 ether;
        uint256 b2 = _submitBlock(toCarol);
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.DenominationMismatch.selector, slot, 1 ether, 2 ether));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_SignatureTooShort() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        bytes memory sig = a.sig;
        assembly {
            mstore(sig, 64)
        }
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, 64));
        _exit(carol, a);
    }

    function test_RevertWhen_StartExit_MalleatedSignature() public {
        (Transaction memory toBob, uint256 b1, Transaction memory toCarol, uint256 b2) = _transfers();
        ExitArgs memory a = _args(toBob, b1, toCarol, bobKey, b2);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(bobKey, _digest(toCarol));
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        a.sig = abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureS.selector, highS));
        _exit(carol, a);
    }

    function testFuzz_RevertWhen_StartExit_WrongBond(uint256 bond) public {
        bond = bound(bond, 0, 10 ether);
        vm.assume(bond != EXIT_BOND);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        ExitArgs memory a = _args(_depositTx(slot), d, toBob, aliceKey, b1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongBond.selector, bond, EXIT_BOND));
        _exit(bob, bond, a);
    }
}
