// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointTestBase} from "./utils/CheckpointTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {CheckpointGame} from "../src/CheckpointGame.sol";
import {Checkpoint} from "../src/Checkpoint.sol";

/// @notice submitCheckpoint (PROTOCOL.md §10 "Submitting"), through PlasmaCash's fallback.
contract PlasmaCash_SubmitCheckpoint_Test is CheckpointTestBase {
    function test_SubmitCheckpoint_RecordsIt() public {
        vm.expectEmit(address(plasma));
        emit ICheckpoints.CheckpointSubmitted(0, b1, keccak256("root"), vm.getBlockTimestamp() + EXIT_PERIOD);
        vm.prank(operator);
        cp.submitCheckpoint(b1, keccak256("root"));
        assertEq(cp.checkpointCount(), 1);
        Checkpoint memory c = cp.getCheckpoint(0);
        assertEq(c.root, keccak256("root"));
        assertEq(c.childBlock, b1);
        assertEq(c.submittedAt, vm.getBlockTimestamp());
        assertEq(c.periodEnd, vm.getBlockTimestamp() + EXIT_PERIOD);
    }

    function test_SubmitCheckpoint_NextAfterResponsePeriod() public {
        vm.prank(operator);
        cp.submitCheckpoint(b1, keccak256("a"));
        uint256 b2 = _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD); // inclusive
        vm.prank(operator);
        cp.submitCheckpoint(b2, keccak256("b"));
        assertEq(cp.checkpointCount(), 2);
        assertEq(cp.getCheckpoint(1).childBlock, b2);
    }

    function test_RevertWhen_SubmitCheckpoint_NotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotOperator.selector, alice));
        vm.prank(alice);
        cp.submitCheckpoint(b1, keccak256("root"));
    }

    function test_RevertWhen_SubmitCheckpoint_ZeroRoot() public {
        vm.expectRevert(IPlasmaCash.ZeroRoot.selector);
        vm.prank(operator);
        cp.submitCheckpoint(b1, bytes32(0));
    }

    function test_RevertWhen_SubmitCheckpoint_BlockNotCommitted() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, b1 + INTERVAL));
        vm.prank(operator);
        cp.submitCheckpoint(b1 + INTERVAL, keccak256("root"));
    }

    function test_RevertWhen_SubmitCheckpoint_DepositBlock() public {
        uint256 depositBlock = _depositBlock(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.BlockNotCommitted.selector, depositBlock));
        vm.prank(operator);
        cp.submitCheckpoint(depositBlock, keccak256("root"));
    }

    function test_RevertWhen_SubmitCheckpoint_BlockNotAfterPrevious() public {
        vm.prank(operator);
        cp.submitCheckpoint(b1, keccak256("a"));
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.CheckpointBlockNotAfter.selector, b1, b1));
        vm.prank(operator);
        cp.submitCheckpoint(b1, keccak256("b"));
    }

    function test_RevertWhen_SubmitCheckpoint_TooSoon() public {
        vm.prank(operator);
        cp.submitCheckpoint(b1, keccak256("a"));
        uint256 b2 = _submitEmptyBlock();
        uint256 readyAt = vm.getBlockTimestamp() + RESPONSE_PERIOD;
        vm.warp(readyAt - 1);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.CheckpointTooSoon.selector, readyAt));
        vm.prank(operator);
        cp.submitCheckpoint(b2, keccak256("b"));
    }

    /// @dev The module refuses calls made to its own address: it only ever runs on PlasmaCash's storage.
    function test_RevertWhen_Module_CalledDirectly() public {
        address module = PlasmaCashCheckpoints(address(plasma)).CHECKPOINTS();
        vm.expectRevert(ICheckpoints.NotDelegated.selector);
        vm.prank(operator);
        CheckpointGame(module).submitCheckpoint(b1, keccak256("root"));
    }

    /// @dev Plain ether reaches the module through the fallback and reverts there (no receive).
    function test_RevertWhen_PlainEtherSent() public {
        vm.prank(alice);
        (bool ok,) = address(plasma).call{value: 1}("");
        assertFalse(ok);
    }
}

interface PlasmaCashCheckpoints {
    function CHECKPOINTS() external view returns (address);
}
