// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {TestTree} from "./utils/TestTree.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {DefaultHashes} from "../src/libraries/DefaultHashes.sol";

contract PlasmaCash_SubmitBlock_Test is PlasmaCashTestBase {
    bytes32 internal constant ROOT = keccak256("root");

    function _submit(bytes32 root, uint256 blockNumber) internal {
        vm.prank(operator);
        plasma.submitBlock(root, blockNumber);
    }

    function test_SubmitBlock_CommitsRoot() public {
        assertEq(plasma.nextChildBlock(), 1000);
        _submit(ROOT, 1000);
        assertEq(plasma.childBlockRoot(1000), ROOT);
        assertEq(plasma.nextChildBlock(), 2000);
        assertEq(plasma.nextDepositBlock(), 1001);
    }

    function test_SubmitBlock_EmitsBlockSubmitted() public {
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.BlockSubmitted(1000, ROOT);
        _submit(ROOT, 1000);
    }

    function test_SubmitBlock_Sequence() public {
        for (uint256 i = 1; i <= 5; i++) {
            bytes32 root = keccak256(abi.encode(i));
            _submit(root, i * INTERVAL);
            assertEq(plasma.nextChildBlock(), (i + 1) * INTERVAL);
        }
        for (uint256 i = 1; i <= 5; i++) {
            assertEq(plasma.childBlockRoot(i * INTERVAL), keccak256(abi.encode(i)));
        }
        assertEq(plasma.childBlockRoot(6 * INTERVAL), bytes32(0));
    }

    function test_SubmitBlock_EmptyBlockRoot() public {
        assertEq(DefaultHashes.EMPTY_ROOT, TestTree.defaults()[64]);
        _submit(DefaultHashes.EMPTY_ROOT, 1000);
        assertEq(plasma.childBlockRoot(1000), DefaultHashes.EMPTY_ROOT);
    }

    function test_SubmitBlock_ResetsDepositNumbers() public {
        _depositEth(alice, 1 ether);
        _depositEth(alice, 1 ether);
        assertEq(plasma.nextDepositBlock(), 3);
        _submit(ROOT, 1000);
        assertEq(plasma.nextDepositBlock(), 1001);
        uint64 slot = _depositEth(bob, 1 ether);
        assertEq(_depositBlock(slot), 1001);
        // An interval without deposits still resets.
        _submit(ROOT, 2000);
        _submit(ROOT, 3000);
        assertEq(plasma.nextDepositBlock(), 3001);
        slot = _depositEth(bob, 1 ether);
        assertEq(_depositBlock(slot), 3001);
    }

    function test_SubmitBlock_DepositsDoNotMoveChildNumber() public {
        _depositEth(alice, 1 ether);
        _depositEth(bob, 1 ether);
        assertEq(plasma.nextChildBlock(), 1000);
        _submit(ROOT, 1000);
        assertEq(plasma.childBlockRoot(1), bytes32(0));
        assertEq(plasma.childBlockRoot(2), bytes32(0));
    }

    function test_RevertWhen_SubmitBlock_NotOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotOperator.selector, mallory));
        vm.prank(mallory);
        plasma.submitBlock(ROOT, 1000);
        assertEq(plasma.childBlockRoot(1000), bytes32(0));
        assertEq(plasma.nextChildBlock(), 1000);
    }

    function testFuzz_RevertWhen_SubmitBlock_NotOperator(address caller) public {
        vm.assume(caller != operator);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotOperator.selector, caller));
        vm.prank(caller);
        plasma.submitBlock(ROOT, 1000);
    }

    function test_RevertWhen_SubmitBlock_OverwritesCommittedBlock() public {
        _submit(ROOT, 1000);
        bytes32 forged = keccak256("forged");
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, 1000, 2000));
        vm.prank(operator);
        plasma.submitBlock(forged, 1000);
        assertEq(plasma.childBlockRoot(1000), ROOT);
    }

    function test_RevertWhen_SubmitBlock_RetriedSubmission() public {
        _submit(ROOT, 1000);
        // The same call sent again (a retry after a timeout) must not commit a second block.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, 1000, 2000));
        vm.prank(operator);
        plasma.submitBlock(ROOT, 1000);
        assertEq(plasma.nextChildBlock(), 2000);
        assertEq(plasma.childBlockRoot(2000), bytes32(0));
    }

    function test_RevertWhen_SubmitBlock_SkipsNumber() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, 2000, 1000));
        vm.prank(operator);
        plasma.submitBlock(ROOT, 2000);
        assertEq(plasma.childBlockRoot(2000), bytes32(0));
    }

    function test_RevertWhen_SubmitBlock_LandsOnDepositNumber() public {
        _depositEth(alice, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, 1, 1000));
        vm.prank(operator);
        plasma.submitBlock(ROOT, 1);
        _submit(ROOT, 1000);
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 depositBlock = _depositBlock(slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, depositBlock, 2000));
        vm.prank(operator);
        plasma.submitBlock(ROOT, depositBlock);
        assertEq(plasma.childBlockRoot(depositBlock), bytes32(0));
    }

    function test_RevertWhen_SubmitBlock_BlockZero() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, 0, 1000));
        vm.prank(operator);
        plasma.submitBlock(ROOT, 0);
    }

    function testFuzz_RevertWhen_SubmitBlock_NotNextNumber(uint256 blockNumber) public {
        _submit(ROOT, 1000);
        vm.assume(blockNumber != 2000);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnexpectedBlockNumber.selector, blockNumber, 2000));
        vm.prank(operator);
        plasma.submitBlock(ROOT, blockNumber);
    }

    function test_RevertWhen_SubmitBlock_ZeroRoot() public {
        vm.expectRevert(IPlasmaCash.ZeroRoot.selector);
        vm.prank(operator);
        plasma.submitBlock(bytes32(0), 1000);
        assertEq(plasma.nextChildBlock(), 1000);
    }
}
