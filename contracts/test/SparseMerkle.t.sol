// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {TestTree} from "./utils/TestTree.sol";
import {SparseMerkle} from "../src/libraries/SparseMerkle.sol";
import {DefaultHashes} from "../src/libraries/DefaultHashes.sol";

/// @dev The library reads its proof from calldata, as PlasmaCash does: call it through an external function.
contract SparseMerkleHarness {
    function computeRoot(bytes32 leaf, uint64 slot, bytes calldata proof) external pure returns (bytes32) {
        return SparseMerkle.computeRoot(leaf, slot, proof);
    }

    function verify(bytes32 root, bytes32 leaf, uint64 slot, bytes calldata proof) external pure returns (bool) {
        return SparseMerkle.verify(root, leaf, slot, proof);
    }

    function popcount64(uint256 x) external pure returns (uint256) {
        return SparseMerkle.popcount64(x);
    }

    function defaultTable() external pure returns (bytes32[64] memory table) {
        uint256 pointer;
        assembly {
            pointer := table
        }
        DefaultHashes.writeTable(pointer);
    }

    /// @dev computeRoot uses memory past the free pointer as scratch: allocated memory must survive it.
    function computeRootKeepsMemory(bytes32 leaf, uint64 slot, bytes calldata proof)
        external
        pure
        returns (bytes32 root, bool intact)
    {
        bytes memory before = abi.encode(leaf, slot, keccak256(proof));
        bytes32 fingerprint = keccak256(before);
        root = SparseMerkle.computeRoot(leaf, slot, proof);
        bytes memory afterwards = abi.encode(leaf, slot, keccak256(proof));
        intact = keccak256(before) == fingerprint && keccak256(afterwards) == fingerprint;
    }
}

contract SparseMerkle_ComputeRoot_Test is Test {
    SparseMerkleHarness internal harness;
    bytes32[65] internal defaults;

    function setUp() public {
        harness = new SparseMerkleHarness();
        defaults = TestTree.defaults();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    /// @dev `n` distinct slots in a random window of 2^bits slots (small windows give dense subtrees with many
    /// non-default siblings), each with a random non-zero leaf.
    function _leafSet(uint256 seed, uint256 n, uint256 bits)
        internal
        pure
        returns (uint64[] memory slots, bytes32[] memory leaves)
    {
        slots = new uint64[](n);
        leaves = new bytes32[](n);
        uint256 mask = bits >= 64 ? type(uint64).max : (uint256(1) << bits) - 1;
        uint256 base = uint64(uint256(keccak256(abi.encode(seed, "base")))) & ~mask;
        uint256 count;
        for (uint256 nonce = 0; count < n; nonce++) {
            uint64 s = uint64(base | (uint256(keccak256(abi.encode(seed, nonce))) & mask));
            if (_contains(slots, count, s)) continue;
            slots[count] = s;
            leaves[count] = keccak256(abi.encode(seed, "leaf", s));
            count++;
        }
    }

    function _contains(uint64[] memory slots, uint256 count, uint64 s) internal pure returns (bool) {
        for (uint256 i = 0; i < count; i++) {
            if (slots[i] == s) return true;
        }
        return false;
    }

    /// @dev A slot absent from `slots`, near `hint`.
    function _absent(uint64[] memory slots, uint64 hint) internal pure returns (uint64 s) {
        s = hint;
        while (_contains(slots, slots.length, s)) {
            unchecked {
                s++;
            }
        }
    }

    function _randomSet(uint256 seed, uint256 n, uint256 bits, uint256 minN)
        internal
        pure
        returns (uint64[] memory, bytes32[] memory)
    {
        n = bound(n, minN, 10);
        // A window must hold n distinct slots.
        bits = bound(bits, 4, 64);
        return _leafSet(seed, n, bits);
    }

    /// @dev The plain definition of §3, as a reference: fold the leaf up with siblings from the bitmap.
    function _naiveRoot(bytes32 leaf, uint64 slot, uint64 bitmap, bytes32[] memory siblings)
        internal
        view
        returns (bytes32 node)
    {
        node = leaf;
        uint256 k;
        for (uint256 h = 0; h < 64; h++) {
            bytes32 sibling = (bitmap >> h) & 1 == 1 ? siblings[k++] : defaults[h];
            node = (slot >> h) & 1 == 1
                ? keccak256(abi.encodePacked(sibling, node))
                : keccak256(abi.encodePacked(node, sibling));
        }
    }

    function _naivePopcount(uint64 x) internal pure returns (uint256 count) {
        for (uint256 i = 0; i < 64; i++) {
            if ((x >> i) & 1 == 1) count++;
        }
    }

    function _randomSiblings(uint256 seed, uint64 bitmap)
        internal
        pure
        returns (bytes32[] memory siblings, bytes memory proof)
    {
        uint256 count = _naivePopcount(bitmap);
        siblings = new bytes32[](count);
        proof = abi.encodePacked(bytes8(bitmap));
        for (uint256 i = 0; i < count; i++) {
            siblings[i] = keccak256(abi.encode(seed, i));
            proof = bytes.concat(proof, siblings[i]);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Proofs from TestTree
    // ---------------------------------------------------------------------------------------------------------

    function testFuzz_SparseMerkle_InclusionProofsVerify(uint256 seed, uint256 n, uint256 bits) public view {
        (uint64[] memory slots, bytes32[] memory leaves) = _randomSet(seed, n, bits, 1);
        bytes32 root = TestTree.root(slots, leaves);
        for (uint256 i = 0; i < slots.length; i++) {
            (bytes32 treeRoot, bytes memory proof) = TestTree.rootAndProof(slots, leaves, slots[i]);
            assertEq(treeRoot, root);
            assertEq(proof.length, 8 + 32 * _naivePopcount(uint64(bytes8(proof))), "canonical length");
            assertEq(harness.computeRoot(leaves[i], slots[i], proof), root);
            assertTrue(harness.verify(root, leaves[i], slots[i], proof));
        }
    }

    function testFuzz_SparseMerkle_ExclusionProofsVerify(uint256 seed, uint256 n, uint256 bits, uint64 hint)
        public
        view
    {
        (uint64[] memory slots, bytes32[] memory leaves) = _randomSet(seed, n, bits, 0);
        // Half the probes land inside the leaf set's window, where siblings are dense.
        if (hint & 1 == 0 && slots.length > 0) hint = slots[0] ^ uint64(hint & 0xff);
        uint64 probe = _absent(slots, hint);
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, probe);
        assertEq(harness.computeRoot(bytes32(0), probe, proof), root);
        assertTrue(harness.verify(root, bytes32(0), probe, proof));
        // The same proof does not show any other leaf there.
        assertFalse(harness.verify(root, keccak256(abi.encode(seed)), probe, proof));
    }

    function testFuzz_SparseMerkle_ExclusionProofOfPresentSlotFails(uint256 seed, uint256 n, uint256 bits, uint256 which)
        public
        view
    {
        (uint64[] memory slots, bytes32[] memory leaves) = _randomSet(seed, n, bits, 1);
        uint64 target = slots[bound(which, 0, slots.length - 1)];
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, target);
        assertFalse(harness.verify(root, bytes32(0), target, proof));
    }

    function testFuzz_SparseMerkle_FlippedSiblingBitChangesRoot(
        uint256 seed,
        uint256 n,
        uint256 bits,
        uint256 which,
        uint256 bit
    ) public view {
        (uint64[] memory slots, bytes32[] memory leaves) = _randomSet(seed, n, bits, 2);
        uint256 i = bound(which, 0, slots.length - 1);
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, slots[i]);
        assertGt(proof.length, 8, "two leaves give at least one sibling");
        bit = bound(bit, 0, (proof.length - 8) * 8 - 1);
        proof[8 + bit / 8] ^= bytes1(uint8(1 << (7 - bit % 8)));
        assertTrue(harness.computeRoot(leaves[i], slots[i], proof) != root);
    }

    function testFuzz_SparseMerkle_FlippedLeafBitChangesRoot(uint256 seed, uint256 n, uint256 bits, uint256 which, uint8 bit)
        public
        view
    {
        (uint64[] memory slots, bytes32[] memory leaves) = _randomSet(seed, n, bits, 1);
        uint256 i = bound(which, 0, slots.length - 1);
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, slots[i]);
        bytes32 flipped = leaves[i] ^ bytes32(uint256(1) << bit);
        assertTrue(harness.computeRoot(flipped, slots[i], proof) != root);
    }

    function testFuzz_SparseMerkle_FlippedSlotBitChangesRoot(uint256 seed, uint256 n, uint256 bits, uint256 which, uint8 bit)
        public
        view
    {
        (uint64[] memory slots, bytes32[] memory leaves) = _randomSet(seed, n, bits, 1);
        uint256 i = bound(which, 0, slots.length - 1);
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, slots[i]);
        uint64 other = slots[i] ^ uint64(1 << (bit % 64));
        assertTrue(harness.computeRoot(leaves[i], other, proof) != root);
    }

    function testFuzz_SparseMerkle_FlippedBitmapBitReverts(uint256 seed, uint256 n, uint256 bits, uint256 which, uint8 bit)
        public
    {
        (uint64[] memory slots, bytes32[] memory leaves) = _randomSet(seed, n, bits, 1);
        uint256 i = bound(which, 0, slots.length - 1);
        (, bytes memory proof) = TestTree.rootAndProof(slots, leaves, slots[i]);
        uint64 bitmap = uint64(bytes8(proof)) ^ uint64(1 << (bit % 64));
        for (uint256 k = 0; k < 8; k++) {
            proof[k] = bytes8(bitmap)[k];
        }
        uint256 expected = 8 + 32 * _naivePopcount(bitmap);
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, proof.length, expected));
        harness.computeRoot(leaves[i], slots[i], proof);
    }

    function testFuzz_SparseMerkle_MatchesNaiveFold(bytes32 leaf, uint64 slot, uint64 bitmap, uint256 seed)
        public
        view
    {
        (bytes32[] memory siblings, bytes memory proof) = _randomSiblings(seed, bitmap);
        assertEq(harness.computeRoot(leaf, slot, proof), _naiveRoot(leaf, slot, bitmap, siblings));
    }

    function test_SparseMerkle_FullProofAccepted() public view {
        uint64 bitmap = type(uint64).max;
        (bytes32[] memory siblings, bytes memory proof) = _randomSiblings(7, bitmap);
        assertEq(proof.length, SparseMerkle.MAX_PROOF_LENGTH);
        assertEq(proof.length, 2056);
        bytes32 leaf = keccak256("leaf");
        assertEq(harness.computeRoot(leaf, 0x0123456789abcdef, proof), _naiveRoot(leaf, 0x0123456789abcdef, bitmap, siblings));
    }

    function test_SparseMerkle_ComputeRootKeepsAllocatedMemory() public view {
        (uint64[] memory slots, bytes32[] memory leaves) = _leafSet(3, 6, 5);
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, slots[2]);
        (bytes32 computed, bool intact) = harness.computeRootKeepsMemory(leaves[2], slots[2], proof);
        assertEq(computed, root);
        assertTrue(intact);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Edge slots and empty trees
    // ---------------------------------------------------------------------------------------------------------

    function test_SparseMerkle_EdgeSlots() public view {
        uint64 max = type(uint64).max;
        uint64[] memory slots = new uint64[](4);
        bytes32[] memory leaves = new bytes32[](4);
        slots[0] = 0;
        slots[1] = 1;
        slots[2] = max - 1;
        slots[3] = max;
        for (uint256 i = 0; i < 4; i++) {
            leaves[i] = keccak256(abi.encode("edge", i));
        }
        bytes32 root = TestTree.root(slots, leaves);
        for (uint256 i = 0; i < 4; i++) {
            (, bytes memory proof) = TestTree.rootAndProof(slots, leaves, slots[i]);
            assertEq(harness.computeRoot(leaves[i], slots[i], proof), root);
        }
        uint64[3] memory absent = [uint64(2), max - 2, uint64(1) << 63];
        for (uint256 i = 0; i < 3; i++) {
            (, bytes memory proof) = TestTree.rootAndProof(slots, leaves, absent[i]);
            assertEq(harness.computeRoot(bytes32(0), absent[i], proof), root);
        }
    }

    function test_SparseMerkle_SingleLeafAtSlotZero() public view {
        uint64[] memory slots = new uint64[](1);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = keccak256("zero");
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, 0);
        // Every sibling is default: the proof is a zero bitmap alone, and the leaf is always a left child.
        assertEq(proof, abi.encodePacked(bytes8(0)));
        assertEq(harness.computeRoot(leaves[0], 0, proof), root);
        assertEq(root, _naiveRoot(leaves[0], 0, 0, new bytes32[](0)));
    }

    function test_SparseMerkle_SingleLeafAtMaxSlot() public view {
        uint64 max = type(uint64).max;
        uint64[] memory slots = new uint64[](1);
        bytes32[] memory leaves = new bytes32[](1);
        slots[0] = max;
        leaves[0] = keccak256("max");
        (bytes32 root, bytes memory proof) = TestTree.rootAndProof(slots, leaves, max);
        assertEq(proof, abi.encodePacked(bytes8(0)));
        assertEq(harness.computeRoot(leaves[0], max, proof), root);
        // The same leaf at slot 0 (always left) gives another root than at 2^64-1 (always right).
        assertTrue(harness.computeRoot(leaves[0], 0, proof) != root);
    }

    function testFuzz_SparseMerkle_EmptyTreeExclusion(uint64 slot) public view {
        assertEq(harness.computeRoot(bytes32(0), slot, abi.encodePacked(bytes8(0))), DefaultHashes.EMPTY_ROOT);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Proof length
    // ---------------------------------------------------------------------------------------------------------

    function _someProof() internal pure returns (bytes32 leaf, uint64 slot, bytes memory proof) {
        (uint64[] memory slots, bytes32[] memory leaves) = _leafSet(11, 8, 6);
        (, proof) = TestTree.rootAndProof(slots, leaves, slots[0]);
        assertGt(proof.length, 8 + 32);
        return (leaves[0], slots[0], proof);
    }

    function test_RevertWhen_SparseMerkle_ProofEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, 0, 8));
        harness.computeRoot(bytes32(0), 0, "");
    }

    function testFuzz_RevertWhen_SparseMerkle_ProofShorterThanBitmap(uint256 length) public {
        length = bound(length, 1, 7);
        bytes memory proof = new bytes(length);
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length, 8));
        harness.computeRoot(bytes32(0), 0, proof);
    }

    function test_RevertWhen_SparseMerkle_ProofOneByteShort() public {
        (bytes32 leaf, uint64 slot, bytes memory proof) = _someProof();
        uint256 length = proof.length;
        assembly {
            mstore(proof, sub(length, 1))
        }
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length - 1, length));
        harness.computeRoot(leaf, slot, proof);
    }

    function test_RevertWhen_SparseMerkle_ProofMissingSibling() public {
        (bytes32 leaf, uint64 slot, bytes memory proof) = _someProof();
        uint256 length = proof.length;
        assembly {
            mstore(proof, sub(length, 32))
        }
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length - 32, length));
        harness.computeRoot(leaf, slot, proof);
    }

    function test_RevertWhen_SparseMerkle_ProofOneByteLong() public {
        (bytes32 leaf, uint64 slot, bytes memory proof) = _someProof();
        uint256 length = proof.length;
        proof = bytes.concat(proof, bytes1(0));
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length + 1, length));
        harness.computeRoot(leaf, slot, proof);
    }

    function test_RevertWhen_SparseMerkle_ProofExtraSibling() public {
        (bytes32 leaf, uint64 slot, bytes memory proof) = _someProof();
        uint256 length = proof.length;
        proof = bytes.concat(proof, keccak256("extra"));
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length + 32, length));
        harness.computeRoot(leaf, slot, proof);
    }

    function test_RevertWhen_SparseMerkle_ProofLongerThanMax() public {
        (, bytes memory proof) = _randomSiblings(1, type(uint64).max);
        proof = bytes.concat(proof, keccak256("65th"));
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, 2056 + 32, 2056));
        harness.computeRoot(bytes32(0), 0, proof);
    }

    function test_RevertWhen_SparseMerkle_ZeroBitmapWithSibling() public {
        // A default sibling spelled out: not the canonical form, refused by length.
        bytes memory proof = bytes.concat(bytes8(0), defaults[0]);
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, 40, 8));
        harness.computeRoot(bytes32(0), 0, proof);
    }

    function testFuzz_RevertWhen_SparseMerkle_LengthMismatch(uint64 bitmap, uint256 length) public {
        uint256 expected = 8 + 32 * _naivePopcount(bitmap);
        length = bound(length, 8, 2100);
        vm.assume(length != expected);
        bytes memory proof = bytes.concat(bytes8(bitmap), new bytes(length - 8));
        vm.expectRevert(abi.encodeWithSelector(SparseMerkle.InvalidProofLength.selector, length, expected));
        harness.computeRoot(bytes32(0), 0, proof);
    }

    // ---------------------------------------------------------------------------------------------------------
    // popcount64 and the default hashes
    // ---------------------------------------------------------------------------------------------------------

    function testFuzz_SparseMerkle_Popcount64MatchesNaive(uint64 x) public view {
        assertEq(harness.popcount64(x), _naivePopcount(x));
    }

    function test_SparseMerkle_Popcount64Edges() public view {
        assertEq(harness.popcount64(0), 0);
        assertEq(harness.popcount64(type(uint64).max), 64);
        assertEq(harness.popcount64(1), 1);
        assertEq(harness.popcount64(uint256(1) << 63), 1);
        assertEq(harness.popcount64(0x5555555555555555), 32);
        assertEq(harness.popcount64(0xaaaaaaaaaaaaaaaa), 32);
        assertEq(harness.popcount64(0x8000000000000001), 2);
        assertEq(harness.popcount64(0x00ff00ff00ff00ff), 32);
    }

    function test_DefaultHashes_TableMatchesTestTree() public view {
        bytes32[64] memory table = harness.defaultTable();
        for (uint256 d = 0; d < 64; d++) {
            assertEq(table[d], defaults[d]);
        }
        assertEq(table[0], bytes32(0));
        assertEq(table[1], keccak256(abi.encodePacked(bytes32(0), bytes32(0))));
    }

    function test_DefaultHashes_EmptyRoot() public view {
        assertEq(DefaultHashes.EMPTY_ROOT, defaults[64]);
        assertEq(DefaultHashes.EMPTY_ROOT, keccak256(abi.encodePacked(defaults[63], defaults[63])));
        assertEq(TestTree.root(new uint64[](0), new bytes32[](0)), DefaultHashes.EMPTY_ROOT);
    }
}
