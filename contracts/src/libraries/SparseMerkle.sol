// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DefaultHashes} from "./DefaultHashes.sol";

/// @title SparseMerkle
/// @notice Verification of the depth-64 sparse Merkle proofs of PROTOCOL.md §3.
/// @dev Proof = 8-byte big-endian bitmap, then the non-default siblings in order of increasing height.
/// Bit d of the bitmap is set iff the sibling at height d is present in the proof; a clear bit means the
/// sibling is default[d]. Bit d of the slot says whether the node at height d is a right child.
library SparseMerkle {
    uint256 internal constant DEPTH = 64;
    uint256 internal constant BITMAP_LENGTH = 8;
    uint256 internal constant MAX_PROOF_LENGTH = BITMAP_LENGTH + 32 * DEPTH; // 2,056 bytes

    /// @notice The proof is not exactly 8 + 32 × popcount(bitmap) bytes long.
    error InvalidProofLength(uint256 length, uint256 expected);

    /// @notice The root of the tree in which leaf `slot` holds `leaf`, given the siblings in `proof`.
    /// @dev Reverts on a malformed proof; a well-formed proof of the wrong leaf just yields another root.
    function computeRoot(bytes32 leaf, uint64 slot, bytes calldata proof) internal pure returns (bytes32 node) {
        uint256 length = proof.length;
        if (length < BITMAP_LENGTH) revert InvalidProofLength(length, BITMAP_LENGTH);
        uint256 bitmap = uint64(bytes8(proof[:BITMAP_LENGTH]));
        uint256 expected = BITMAP_LENGTH + 32 * popcount64(bitmap);
        if (length != expected) revert InvalidProofLength(length, expected);

        uint256 cursor;
        assembly ("memory-safe") {
            cursor := add(proof.offset, BITMAP_LENGTH)
        }
        return _hashUp(leaf, slot, bitmap, cursor);
    }

    /// @dev Hashes `node` up the 64 levels, taking a sibling from calldata at `cursor` where `bitmap` has a bit
    /// and default[height] where it has none. The default hashes are 64 PUSH32 literals (2 KB of code): this
    /// function must exist once in the contract, not once per caller. The Yul inliner never inlines a recursive
    /// function, so it calls itself on a branch that is never taken (the bitmap has 64 bits); the check costs a
    /// few gas and saves ~2.3 KB of runtime code per proof-checking call site.
    function _hashUp(bytes32 leaf, uint64 slot, uint256 bitmap, uint256 cursor) private pure returns (bytes32 node) {
        if (bitmap >> DEPTH != 0) return _hashUp(leaf, slot, uint64(bitmap), cursor);
        node = leaf;
        // The default hashes go in the 64 words past the free memory pointer, used as scratch and not allocated
        // (memory-safe: nothing allocates before the loop ends), so a second proof in the same call reuses them
        // and pays no second 2 KB of memory expansion.
        uint256 table;
        assembly ("memory-safe") {
            table := mload(0x40)
        }
        DefaultHashes.writeTable(table);
        assembly ("memory-safe") {
            // One level per step, four steps per iteration (fewer loop jumps): the default sibling comes from the
            // table unless the bitmap has the level's bit; the node goes right (offset 0x20) when the slot's bit
            // is set. Bitmap and slot are consumed from their low bits.
            let end := add(table, 0x800)
            for { let p := table } lt(p, end) { p := add(p, 0x80) } {
                let sibling := mload(p)
                if and(bitmap, 1) {
                    sibling := calldataload(cursor)
                    cursor := add(cursor, 0x20)
                }
                let right := shl(5, and(slot, 1))
                mstore(right, node)
                mstore(xor(right, 0x20), sibling)
                node := keccak256(0x00, 0x40)

                sibling := mload(add(p, 0x20))
                if and(bitmap, 2) {
                    sibling := calldataload(cursor)
                    cursor := add(cursor, 0x20)
                }
                right := shl(4, and(slot, 2))
                mstore(right, node)
                mstore(xor(right, 0x20), sibling)
                node := keccak256(0x00, 0x40)

                sibling := mload(add(p, 0x40))
                if and(bitmap, 4) {
                    sibling := calldataload(cursor)
                    cursor := add(cursor, 0x20)
                }
                right := shl(3, and(slot, 4))
                mstore(right, node)
                mstore(xor(right, 0x20), sibling)
                node := keccak256(0x00, 0x40)

                sibling := mload(add(p, 0x60))
                if and(bitmap, 8) {
                    sibling := calldataload(cursor)
                    cursor := add(cursor, 0x20)
                }
                right := shl(2, and(slot, 8))
                mstore(right, node)
                mstore(xor(right, 0x20), sibling)
                node := keccak256(0x00, 0x40)

                bitmap := shr(4, bitmap)
                slot := shr(4, slot)
            }
        }
    }

    /// @notice Whether `proof` shows that leaf `slot` holds `leaf` in the tree with root `root`.
    function verify(bytes32 root, bytes32 leaf, uint64 slot, bytes calldata proof) internal pure returns (bool) {
        return computeRoot(leaf, slot, proof) == root;
    }

    /// @notice The number of set bits of a 64-bit value (SWAR, branch-free).
    function popcount64(uint256 x) internal pure returns (uint256 count) {
        unchecked {
            x = x - ((x >> 1) & 0x5555555555555555);
            x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f;
            count = ((x * 0x0101010101010101) >> 56) & 0xff;
        }
    }
}
