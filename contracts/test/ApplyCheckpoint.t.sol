// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointExitsToCarolTestBase} from "./utils/CheckpointExitsTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus} from "../src/Checkpoint.sol";

/// @notice applyCheckpoint (call 12): a final, non-void leaf of an existing coin that has not exited becomes the
/// coin's base when it is newer than the base and does not conflict with it (R10, R11).
/// @dev alice deposits at D, → bob at b1 (toBob), → carol at b2 (toCarol).
contract PlasmaCash_ApplyCheckpoint_Test is CheckpointExitsToCarolTestBase {
    function test_ApplyCheckpoint_BecomesBase() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        (uint256 k0,,,) = cp.coinBase(slot);
        assertEq(k0, 0);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.CheckpointApplied(slot, leaf.k, b1, b1, _digest(toBob));
        vm.prank(carol);
        cp.applyCheckpoint(leaf);
        _assertBase(slot, leaf);
    }

    function test_ApplyCheckpoint_NewerLeafReplacesBase() public {
        LeafRef memory older = _finalLeaf(b1, b1, _digest(toBob));
        cp.applyCheckpoint(older);
        LeafRef memory newer = _finalLeaf(b2, b2, _digest(toCarol));
        cp.applyCheckpoint(newer);
        _assertBase(slot, newer);
    }

    /// @dev A leaf that names the same transaction at a later N agrees with the base: it replaces it.
    function test_ApplyCheckpoint_SameTransactionLaterN() public {
        LeafRef memory older = _finalLeaf(b1, b1, _digest(toBob));
        cp.applyCheckpoint(older);
        uint256 b3 = _submitEmptyBlock();
        LeafRef memory newer = _finalLeaf(b3, b1, _digest(toBob));
        cp.applyCheckpoint(newer);
        _assertBase(slot, newer);
    }

    function test_ApplyCheckpoint_DepositLeaf() public {
        uint64 other = _depositEth(carol, 1 ether);
        uint256 n = _submitEmptyBlock();
        LeafRef memory leaf = _finalLeafFor(other, n, _depositBlock(other), _digest(_depositTx(other)));
        cp.applyCheckpoint(leaf);
        _assertBase(other, leaf);
    }

    function test_RevertWhen_ApplyCheckpoint_NotNewer() public {
        LeafRef memory older = _finalLeaf(b1, b1, _digest(toBob));
        LeafRef memory newer = _finalLeaf(b2, b2, _digest(toCarol));
        cp.applyCheckpoint(newer);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.BaseNotNewer.selector, b2, b1));
        cp.applyCheckpoint(older);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.BaseNotNewer.selector, b2, b2));
        cp.applyCheckpoint(newer);
    }

    /// @dev R10 after review F1: of two conflicting final leaves the newer wins. A receiver takes the newest final
    /// leaf as its base; an older conflicting one applied first by a former owner must not block it.
    function test_ApplyCheckpoint_NewerConflictingLeafReplacesBase() public {
        LeafRef memory base = _finalLeaf(b1, b1, _digest(toBob));
        cp.applyCheckpoint(base);
        // At a later N, a leaf naming a transaction before the base's (B2 < B1).
        LeafRef memory stale = _finalLeaf(b2, _depositBlock(slot), _digest(_depositTx(slot)));
        cp.applyCheckpoint(stale);
        (uint256 k,, uint256 txBlock,) = cp.coinBase(slot);
        assertEq(k, stale.k, "the newer leaf is the base");
        assertEq(txBlock, _depositBlock(slot));
        // B2 <= N1 with another digest, newer still.
        Transaction memory other = _tx(slot, _depositBlock(slot), mallory);
        LeafRef memory forged = _finalLeaf(_submitEmptyBlock(), b1, _digest(other));
        cp.applyCheckpoint(forged);
        (k,,,) = cp.coinBase(slot);
        assertEq(k, forged.k, "the newest leaf is the base");
    }

    function test_RevertWhen_ApplyCheckpoint_LeafPending() public {
        LeafRef memory leaf = _pendingLeaf(b1, b1, _digest(toBob));
        uint256 periodEnd = cp.getCheckpoint(leaf.k).periodEnd;
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotFinal.selector, leaf.k, slot, LeafStatus.Pending, periodEnd)
        );
        cp.applyCheckpoint(leaf);
    }

    function test_RevertWhen_ApplyCheckpoint_LeafVoid() public {
        LeafRef memory leaf = _pendingLeaf(b1, b2, _digest(toCarol)); // txBlock after N
        cp.challengeLeafNotIncluded(leaf, bytes32(0), "");
        _makeFinal(leaf);
        uint256 periodEnd = cp.getCheckpoint(leaf.k).periodEnd;
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotFinal.selector, leaf.k, slot, LeafStatus.Void, periodEnd)
        );
        cp.applyCheckpoint(leaf);
    }

    function test_RevertWhen_ApplyCheckpoint_LeafNotProved() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        leaf.txDigest = _digest(toCarol);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotProved.selector, leaf.k, slot));
        cp.applyCheckpoint(leaf);
    }

    /// @dev R11 (attack): a leaf the operator planted for a predictable slot before its deposit, final because the
    /// slot was empty, is not the coin's: ignored.
    function test_Attack_LeafPlantedBeforeDepositIsIgnored() public {
        uint64 late = _depositEth(dave, 1 ether);
        uint256 n = _submitEmptyBlock();
        LeafRef memory planted = _finalLeafFor(late, n, b1, _digest(_tx(late, 0, mallory)));
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotOfCoin.selector, late, b1, _depositBlock(late), n)
        );
        cp.applyCheckpoint(planted);
    }

    function test_RevertWhen_ApplyCheckpoint_TxBlockNeitherCommittedNorDeposit() public {
        uint256 odd = _depositBlock(slot) + 1;
        LeafRef memory leaf = _finalLeaf(b1, odd, _digest(toBob));
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotOfCoin.selector, slot, odd, _depositBlock(slot), b1));
        cp.applyCheckpoint(leaf);
    }

    function test_RevertWhen_ApplyCheckpoint_CoinExited() public {
        LeafRef memory leaf = _pendingLeaf(b2, b2, _digest(toCarol));
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _makeFinal(leaf);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotDeposited.selector, slot, IPlasmaCash.CoinState.Exited)
        );
        cp.applyCheckpoint(leaf);
    }

    function test_RevertWhen_ApplyCheckpoint_CalledOnTheModule() public {
        LeafRef memory leaf = _finalLeaf(b1, b1, _digest(toBob));
        ICheckpoints module = ICheckpoints(plasma.CHECKPOINTS());
        vm.expectRevert(ICheckpoints.NotDelegated.selector);
        module.applyCheckpoint(leaf);
    }
}
