// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./PlasmaCashTestBase.sol";
import {TestTree} from "./TestTree.sol";
import {Transaction} from "../../src/Transaction.sol";
import {ICheckpoints} from "../../src/interfaces/ICheckpoints.sol";
import {LeafRef, LeafStatus, VoidReason} from "../../src/Checkpoint.sol";

/// @notice Checkpoint tests: alice deposits (slot), sends to bob at b1; checkpoint 0 of b1 names (b1, toBob).
abstract contract CheckpointTestBase is PlasmaCashTestBase {
    ICheckpoints internal cp;
    uint64 internal slot;
    uint256 internal b1;
    Transaction internal toBob;
    bytes32 internal cpRoot;

    mapping(uint256 k => uint64[] slots) internal cpSlots;
    mapping(uint256 k => bytes32[] leaves) internal cpLeaves;

    function setUp() public virtual override {
        super.setUp();
        cp = ICheckpoints(address(plasma));
        slot = _depositEth(alice, 1 ether);
        toBob = _tx(slot, _depositBlock(slot), bob);
        b1 = _submitBlock(toBob);
    }

    function _leafValue(uint256 txBlock, bytes32 txDigest) internal pure returns (bytes32) {
        return keccak256(abi.encode(txBlock, txDigest));
    }

    /// @dev Submits checkpoint k (the next) of child block `n` with one leaf for `slot`: (txBlock, txDigest).
    function _submitCheckpoint(uint256 n, uint256 txBlock, bytes32 txDigest) internal returns (uint256 k) {
        return _submitCheckpointFor(slot, n, txBlock, txDigest);
    }

    function _submitCheckpointFor(uint64 s, uint256 n, uint256 txBlock, bytes32 txDigest)
        internal
        returns (uint256 k)
    {
        k = cp.checkpointCount();
        cpSlots[k].push(s);
        cpLeaves[k].push(_leafValue(txBlock, txDigest));
        bytes32 root = TestTree.root(cpSlots[k], cpLeaves[k]);
        vm.prank(operator);
        cp.submitCheckpoint(n, root);
    }

    function _leafRef(uint256 k, uint256 txBlock, bytes32 txDigest) internal view returns (LeafRef memory ref) {
        return _leafRefFor(slot, k, txBlock, txDigest);
    }

    function _leafRefFor(uint64 s, uint256 k, uint256 txBlock, bytes32 txDigest)
        internal
        view
        returns (LeafRef memory ref)
    {
        (, bytes memory proof) = TestTree.rootAndProof(cpSlots[k], cpLeaves[k], s);
        ref = LeafRef({k: k, slot: s, txBlock: txBlock, txDigest: txDigest, proof: proof});
    }

    function _assertVoid(uint256 k, uint64 s, VoidReason reason) internal view {
        (LeafStatus status,) = cp.leafStatus(k, s);
        assertEq(uint8(status), uint8(LeafStatus.Void), "void");
        assertTrue(cp.getLeafState(k, s).voided, "recorded");
        assertEq(uint8(cp.getLeafState(k, s).reason), uint8(reason), "reason");
    }

    function _withheldId(uint256 claimBlock, bytes32 claimDigest) internal pure returns (bytes32) {
        return keccak256(abi.encode(uint8(1), claimBlock, claimDigest));
    }
}
