// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointTestBase} from "./CheckpointTestBase.sol";
import {IPlasmaCash} from "../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../src/Transaction.sol";
import {LeafRef} from "../../src/Checkpoint.sol";

/// @notice Helpers for the tests of a final leaf's effects on the exit game (calls 12-16): final leaves, the two
/// exits that start from a leaf, and the exit's binding. The chain of CheckpointTestBase: alice deposits `slot` at
/// block D and sends it to bob at b1 (`toBob`).
abstract contract CheckpointExitsTestBase is CheckpointTestBase {
    /// @dev Submits the next checkpoint (waiting RESPONSE_PERIOD after the previous one when needed) of child
    /// block `n` naming (txBlock, digest) for `s`; the leaf is pending.
    function _pendingLeafFor(uint64 s, uint256 n, uint256 txBlock, bytes32 digest)
        internal
        returns (LeafRef memory leaf)
    {
        uint256 count = cp.checkpointCount();
        if (count != 0) _warpTo(uint256(cp.getCheckpoint(count - 1).submittedAt) + RESPONSE_PERIOD);
        uint256 k = _submitCheckpointFor(s, n, txBlock, digest);
        leaf = _leafRefFor(s, k, txBlock, digest);
    }

    function _pendingLeaf(uint256 n, uint256 txBlock, bytes32 digest) internal returns (LeafRef memory) {
        return _pendingLeafFor(slot, n, txBlock, digest);
    }

    /// @dev As _pendingLeaf, then waits until the leaf is final (its period ended, nothing challenged).
    function _finalLeaf(uint256 n, uint256 txBlock, bytes32 digest) internal returns (LeafRef memory leaf) {
        leaf = _pendingLeaf(n, txBlock, digest);
        _makeFinal(leaf);
    }

    function _finalLeafFor(uint64 s, uint256 n, uint256 txBlock, bytes32 digest)
        internal
        returns (LeafRef memory leaf)
    {
        leaf = _pendingLeafFor(s, n, txBlock, digest);
        _makeFinal(leaf);
    }

    function _makeFinal(LeafRef memory leaf) internal {
        _warpTo(cp.getCheckpoint(leaf.k).periodEnd);
    }

    function _warpTo(uint256 t) internal {
        if (t > vm.getBlockTimestamp()) vm.warp(t);
    }

    function _n(LeafRef memory leaf) internal view returns (uint256) {
        return cp.getCheckpoint(leaf.k).childBlock;
    }

    /// @dev `exitor` exits `exiting` (included at `exitingBlock`, signed with `signerKey`) whose parent the leaf
    /// proves. Returns the exit's nonce.
    function _exitFromCheckpoint(
        address exitor,
        LeafRef memory leaf,
        Transaction memory parent,
        Transaction memory exiting,
        uint256 signerKey,
        uint256 exitingBlock
    ) internal returns (uint256 nonce) {
        bytes memory sig = _sign(signerKey, exiting);
        bytes memory proof = _proof(exitingBlock, exiting.slot);
        vm.prank(exitor);
        cp.startExitFromCheckpoint{value: EXIT_BOND}(leaf, parent, exiting, sig, proof, exitingBlock);
        return plasma.getCoin(exiting.slot).exitCount;
    }

    function _checkpointExit(address owner, LeafRef memory leaf, Transaction memory checkpointed)
        internal
        returns (uint256 nonce)
    {
        vm.prank(owner);
        cp.startCheckpointExit{value: EXIT_BOND}(leaf, checkpointed);
        return plasma.getCoin(leaf.slot).exitCount;
    }

    function _assertBase(uint64 s, LeafRef memory leaf) internal view {
        (uint256 k, uint256 checkpointBlock, uint256 txBlock, bytes32 txDigest) = cp.coinBase(s);
        assertEq(k, leaf.k, "base k");
        assertEq(checkpointBlock, _n(leaf), "base N");
        assertEq(txBlock, leaf.txBlock, "base txBlock");
        assertEq(txDigest, leaf.txDigest, "base txDigest");
    }

    function _assertExitStatus(uint64 s, uint256 nonce, IPlasmaCash.ExitStatus status) internal view {
        assertEq(uint8(plasma.getExit(s, nonce).status), uint8(status), "exit status");
    }

    function _signedProofOf(uint256 key, Transaction memory t, uint256 blockNumber)
        internal
        view
        returns (bytes memory sig, bytes memory proof)
    {
        sig = _sign(key, t);
        proof = _proof(blockNumber, t.slot);
    }
}

/// @notice The chain of CheckpointExitsTestBase carried one block further: bob sends `slot` to carol at b2
/// (`toCarol`).
abstract contract CheckpointExitsToCarolTestBase is CheckpointExitsTestBase {
    uint256 internal b2;
    Transaction internal toCarol;

    function setUp() public virtual override {
        super.setUp();
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
    }
}

/// @notice The chain of CheckpointExitsToCarolTestBase carried one block further: carol sends `slot` to dave at b3
/// (`toDave`). `depositBlock` is the coin's deposit block D.
abstract contract CheckpointExitsToDaveTestBase is CheckpointExitsToCarolTestBase {
    uint256 internal depositBlock;
    uint256 internal b3;
    Transaction internal toDave;

    function setUp() public virtual override {
        super.setUp();
        depositBlock = _depositBlock(slot);
        toDave = _tx(slot, b2, dave);
        b3 = _submitBlock(toDave);
    }

    /// @dev carol challenges exit `nonce` of `slot` with challengeBefore, naming `claim` at `claimBlock`; returns
    /// the claim's digest.
    function _carolChallengesBefore(uint256 nonce, Transaction memory claim, uint256 claimBlock) internal returns (bytes32) {
        bytes memory proof = claimBlock == depositBlock ? bytes("") : _proof(claimBlock, slot);
        vm.prank(carol);
        plasma.challengeBeforeExit{value: CHALLENGE_BOND}(nonce, claim, proof, claimBlock);
        return _digest(claim);
    }
}
