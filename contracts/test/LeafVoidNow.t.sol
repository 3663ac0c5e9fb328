// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CheckpointTestBase} from "./utils/CheckpointTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {ICheckpoints} from "../src/interfaces/ICheckpoints.sol";
import {Transaction} from "../src/Transaction.sol";
import {LeafRef, LeafStatus, VoidReason} from "../src/Checkpoint.sol";

/// @notice challengeLeafNotIncluded: every condition of PROTOCOL.md §10 "not included" voids a pending leaf.
contract PlasmaCash_ChallengeLeafNotIncluded_Test is CheckpointTestBase {
    function _void(uint256 txBlock, bytes32 digest, bytes32 actualLeaf, bytes memory actualProof) internal {
        uint256 k = _submitCheckpoint(b1, txBlock, digest);
        LeafRef memory leaf = _leafRef(k, txBlock, digest);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafVoided(k, slot, VoidReason.NotIncluded, actualLeaf);
        vm.prank(carol);
        cp.challengeLeafNotIncluded(leaf, actualLeaf, actualProof);
        _assertVoid(k, slot, VoidReason.NotIncluded);
    }

    function test_ChallengeLeafNotIncluded_TxBlockAfterN() public {
        _void(b1 + INTERVAL, _digest(toBob), bytes32(0), "");
    }

    function test_ChallengeLeafNotIncluded_BeforeDeposit() public {
        _void(0, _digest(toBob), bytes32(0), "");
    }

    function test_ChallengeLeafNotIncluded_NeitherCommittedNorDeposit() public {
        _void(_depositBlock(slot) + 1, _digest(toBob), bytes32(0), "");
    }

    function test_ChallengeLeafNotIncluded_DepositBlockWithOtherDigest() public {
        _void(_depositBlock(slot), _digest(toBob), bytes32(0), "");
    }

    function test_ChallengeLeafNotIncluded_BlockHoldsAnotherLeaf() public {
        Transaction memory fake = _tx(slot, _depositBlock(slot), mallory);
        _void(b1, _digest(fake), _digest(toBob), _proof(b1, slot));
    }

    /// @dev R7: a coin deposited after N has no leaf at N: any non-zero leaf of it is void.
    function test_ChallengeLeafNotIncluded_CoinDepositedAfterN() public {
        uint64 late = _depositEth(carol, 1 ether);
        uint256 k = _submitCheckpointFor(late, b1, _depositBlock(late), _digest(_depositTx(late)));
        LeafRef memory leaf = _leafRefFor(late, k, _depositBlock(late), _digest(_depositTx(late)));
        vm.prank(carol);
        cp.challengeLeafNotIncluded(leaf, bytes32(0), "");
        _assertVoid(k, late, VoidReason.NotIncluded);
    }

    function test_ChallengeLeafNotIncluded_NoSuchCoin() public {
        uint64 none = slot ^ 1;
        uint256 k = _submitCheckpointFor(none, b1, b1, _digest(toBob));
        LeafRef memory leaf = _leafRefFor(none, k, b1, _digest(toBob));
        cp.challengeLeafNotIncluded(leaf, bytes32(0), "");
        _assertVoid(k, none, VoidReason.NotIncluded);
    }

    function test_RevertWhen_ChallengeLeafNotIncluded_HonestLeaf() public {
        uint256 k = _submitCheckpoint(b1, b1, _digest(toBob));
        LeafRef memory leaf = _leafRef(k, b1, _digest(toBob));
        bytes memory proof = _proof(b1, slot);
        bytes32 actual = _digest(toBob);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafIsIncluded.selector, k, slot));
        cp.challengeLeafNotIncluded(leaf, actual, proof);
        // A false claim of another leaf in the block does not verify either.
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafIsIncluded.selector, k, slot));
        cp.challengeLeafNotIncluded(leaf, keccak256("other"), proof);
    }

    function test_RevertWhen_ChallengeLeafNotIncluded_HonestDepositLeaf() public {
        uint256 depositBlock = _depositBlock(slot);
        bytes32 d = _digest(_depositTx(slot));
        uint256 k = _submitCheckpoint(b1, depositBlock, d);
        LeafRef memory leaf = _leafRef(k, depositBlock, d);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafIsIncluded.selector, k, slot));
        cp.challengeLeafNotIncluded(leaf, bytes32(0), "");
    }

    /// @dev R1: once final, a leaf is never voided.
    function test_RevertWhen_ChallengeLeafNotIncluded_LeafFinal() public {
        uint256 k = _submitCheckpoint(b1, 0, _digest(toBob));
        LeafRef memory leaf = _leafRef(k, 0, _digest(toBob));
        vm.warp(cp.getCheckpoint(k).periodEnd);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotPending.selector, k, slot, LeafStatus.Final));
        cp.challengeLeafNotIncluded(leaf, bytes32(0), "");
    }

    function test_RevertWhen_ChallengeLeafNotIncluded_LeafNotProved() public {
        uint256 k = _submitCheckpoint(b1, 0, _digest(toBob));
        LeafRef memory leaf = _leafRef(k, 1, _digest(toBob));
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotProved.selector, k, slot));
        cp.challengeLeafNotIncluded(leaf, bytes32(0), "");
    }
}

/// @notice challengeLeafConflict: k0 at N1 = b1 names (b1, toBob) and is final; k1 at N2 = b2 (bob -> carol at
/// b2) is pending.
contract PlasmaCash_ChallengeLeafConflict_Test is CheckpointTestBase {
    uint256 internal b2;
    Transaction internal toCarol;
    LeafRef internal finalLeaf;

    function setUp() public override {
        super.setUp();
        uint256 k0 = _submitCheckpoint(b1, b1, _digest(toBob));
        finalLeaf = _leafRef(k0, b1, _digest(toBob));
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        vm.warp(cp.getCheckpoint(k0).periodEnd);
    }

    function _conflict(uint256 txBlock, bytes32 digest) internal returns (uint256 k) {
        k = _submitCheckpoint(b2, txBlock, digest);
        LeafRef memory leaf = _leafRef(k, txBlock, digest);
        cp.challengeLeafConflict(leaf, finalLeaf);
    }

    /// @dev B2 < B1: the later leaf goes back in time.
    function test_ChallengeLeafConflict_LaterLeafBeforeEarlier() public {
        uint256 k = _conflict(_depositBlock(slot), _digest(_depositTx(slot)));
        _assertVoid(k, slot, VoidReason.Conflict);
    }

    /// @dev B2 <= N1 and (B1, D1) != (B2, D2): both speak of the history up to N1 and disagree.
    function test_ChallengeLeafConflict_DisagreeUpToN1() public {
        Transaction memory fake = _tx(slot, _depositBlock(slot), mallory);
        uint256 k = _conflict(b1, _digest(fake));
        _assertVoid(k, slot, VoidReason.Conflict);
    }

    function test_RevertWhen_ChallengeLeafConflict_Agree() public {
        uint256 k = _submitCheckpoint(b2, b2, _digest(toCarol));
        LeafRef memory leaf = _leafRef(k, b2, _digest(toCarol));
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.NoConflict.selector, k, 0));
        cp.challengeLeafConflict(leaf, finalLeaf);
    }

    function test_RevertWhen_ChallengeLeafConflict_OtherNotFinal() public {
        uint256 k = _submitCheckpoint(b2, b2, _digest(toCarol));
        uint256 b3 = _submitEmptyBlock();
        vm.warp(vm.getBlockTimestamp() + RESPONSE_PERIOD);
        uint256 k2 = _submitCheckpoint(b3, b1, _digest(toBob));
        LeafRef memory pendingOther = _leafRef(k, b2, _digest(toCarol));
        LeafRef memory leaf = _leafRef(k2, b1, _digest(toBob));
        uint256 finalAt = cp.getCheckpoint(k).periodEnd;
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotFinal.selector, k, slot, LeafStatus.Pending, finalAt)
        );
        cp.challengeLeafConflict(leaf, pendingOther);
    }

    /// @dev R11: a final leaf planted before the deposit is not the coin's and voids nothing.
    function test_RevertWhen_ChallengeLeafConflict_OtherNotOfCoin() public {
        uint64 late = _depositEth(carol, 1 ether); // deposited after b1
        uint256 b3 = _submitEmptyBlock();
        uint256 kPlanted = _submitCheckpointFor(late, b3, b1, keccak256("planted"));
        vm.warp(cp.getCheckpoint(kPlanted).periodEnd);
        LeafRef memory planted = _leafRefFor(late, kPlanted, b1, keccak256("planted"));
        uint256 b4 = _submitEmptyBlock();
        bytes32 d = _digest(_depositTx(late));
        uint256 k = _submitCheckpointFor(late, b4, _depositBlock(late), d);
        LeafRef memory honest = _leafRefFor(late, k, _depositBlock(late), d);
        vm.expectRevert(
            abi.encodeWithSelector(ICheckpoints.LeafNotOfCoin.selector, late, b1, _depositBlock(late), b3)
        );
        cp.challengeLeafConflict(honest, planted);
    }
}

/// @notice challengeLeafSpent: checkpoint of N = b2 names bob's (b1, toBob), but bob spent it to carol at b2.
contract PlasmaCash_ChallengeLeafSpent_Test is CheckpointTestBase {
    uint256 internal b2;
    Transaction internal toCarol;
    uint256 internal k;
    LeafRef internal leaf;

    function setUp() public override {
        super.setUp();
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        k = _submitCheckpoint(b2, b1, _digest(toBob));
        leaf = _leafRef(k, b1, _digest(toBob));
    }

    function test_ChallengeLeafSpent_StaleLeafVoided() public {
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafVoided(k, slot, VoidReason.Spent, _digest(toCarol));
        vm.prank(carol);
        cp.challengeLeafSpent(leaf, toBob, toCarol, sig, proof, b2);
        _assertVoid(k, slot, VoidReason.Spent);
    }

    function test_RevertWhen_ChallengeLeafSpent_SpendAfterN() public {
        Transaction memory toDave = _tx(slot, b1, dave);
        uint256 b3 = _submitBlock(toDave);
        bytes memory sig = _sign(bobKey, toDave);
        bytes memory proof = _proof(b3, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.SpendOutOfRange.selector, b3, b1, b2));
        cp.challengeLeafSpent(leaf, toBob, toDave, sig, proof, b3);
    }

    function test_RevertWhen_ChallengeLeafSpent_NotSignedByTheOwner() public {
        bytes memory sig = _sign(malloryKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongSigner.selector, bob, mallory));
        cp.challengeLeafSpent(leaf, toBob, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_ChallengeLeafSpent_CheckpointedDigestMismatch() public {
        bytes memory sig = _sign(bobKey, toCarol);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.DigestMismatch.selector, _digest(toBob), _digest(toCarol)));
        cp.challengeLeafSpent(leaf, toCarol, toCarol, sig, proof, b2);
    }

    function test_RevertWhen_ChallengeLeafSpent_NotASpendOfB() public {
        Transaction memory other = _tx(slot, b2, dave);
        bytes memory sig = _sign(bobKey, other);
        bytes memory proof = _proof(b2, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.WrongPrevBlock.selector, b1, b2));
        cp.challengeLeafSpent(leaf, toBob, other, sig, proof, b2);
    }
}

/// @notice challengeLeafSpentByExit: the exit game's record of a spend of B before N (R1).
contract PlasmaCash_ChallengeLeafSpentByExit_Test is CheckpointTestBase {
    uint256 internal b2;
    Transaction internal toCarol;

    function setUp() public override {
        super.setUp();
        toCarol = _tx(slot, b1, carol);
        b2 = _submitBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2); // nonce 1: parent b1, exit b2
    }

    function test_ChallengeLeafSpentByExit_StaleLeafVoided() public {
        uint256 k = _submitCheckpoint(b2, b1, _digest(toBob));
        LeafRef memory leaf = _leafRef(k, b1, _digest(toBob));
        vm.expectEmit(address(plasma));
        emit ICheckpoints.LeafVoided(k, slot, VoidReason.SpentByExit, bytes32(uint256(1)));
        cp.challengeLeafSpentByExit(leaf, 1);
        _assertVoid(k, slot, VoidReason.SpentByExit);
    }

    function test_RevertWhen_ChallengeLeafSpentByExit_ExitAfterN() public {
        uint256 k = _submitCheckpoint(b1, b1, _digest(toBob));
        LeafRef memory leaf = _leafRef(k, b1, _digest(toBob));
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.NotASpend.selector, slot, 1));
        cp.challengeLeafSpentByExit(leaf, 1);
    }

    function test_RevertWhen_ChallengeLeafSpentByExit_NoSuchExit() public {
        uint256 k = _submitCheckpoint(b2, b1, _digest(toBob));
        LeafRef memory leaf = _leafRef(k, b1, _digest(toBob));
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.NotASpend.selector, slot, 2));
        cp.challengeLeafSpentByExit(leaf, 2);
    }

    /// @dev R1: a final leaf stays final whatever the exit game records later.
    function test_RevertWhen_ChallengeLeafSpentByExit_LeafFinal() public {
        uint256 k = _submitCheckpoint(b2, b1, _digest(toBob));
        LeafRef memory leaf = _leafRef(k, b1, _digest(toBob));
        vm.warp(cp.getCheckpoint(k).periodEnd);
        vm.expectRevert(abi.encodeWithSelector(ICheckpoints.LeafNotPending.selector, k, slot, LeafStatus.Final));
        cp.challengeLeafSpentByExit(leaf, 1);
    }
}
