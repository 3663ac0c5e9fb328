// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title TestTree
/// @notice A depth-64 sparse Merkle tree built in Solidity for tests: the root of a block and the canonical
/// proof (§3) of any slot, present (inclusion) or absent (exclusion). Independent of the contract's verifier
/// and of the TypeScript builder, so the three can be checked against each other.
library TestTree {
    uint256 internal constant DEPTH = 64;

    function defaults() internal pure returns (bytes32[65] memory table) {
        for (uint256 d = 0; d < DEPTH; d++) {
            table[d + 1] = keccak256(abi.encodePacked(table[d], table[d]));
        }
    }

    /// @notice The root of the tree holding `leaves[i]` at `slots[i]`, and the proof of leaf `target`.
    /// @dev Builds level by level on arrays sorted by index: 64 × n hashes, fine for a few thousand leaves.
    function rootAndProof(uint64[] memory slots, bytes32[] memory leaves, uint64 target)
        internal
        pure
        returns (bytes32 treeRoot, bytes memory proof)
    {
        require(slots.length == leaves.length, "TestTree: length mismatch");
        bytes32[65] memory empty = defaults();
        (uint256[] memory index, bytes32[] memory hash) = _sorted(slots, leaves);
        uint256 count = index.length;
        uint64 bitmap;
        bytes memory siblings;

        for (uint256 d = 0; d < DEPTH; d++) {
            uint256 siblingIndex = (uint256(target) >> d) ^ 1;
            for (uint256 i = 0; i < count; i++) {
                if (index[i] == siblingIndex) {
                    if (hash[i] != empty[d]) {
                        bitmap |= uint64(1 << d); // d < 64
                        siblings = bytes.concat(siblings, hash[i]);
                    }
                    break;
                }
            }
            uint256 next = 0;
            for (uint256 i = 0; i < count; i++) {
                uint256 parent = index[i] >> 1;
                bytes32 node;
                if (index[i] & 1 == 0) {
                    if (i + 1 < count && index[i + 1] >> 1 == parent) {
                        node = keccak256(abi.encodePacked(hash[i], hash[i + 1]));
                        i++;
                    } else {
                        node = keccak256(abi.encodePacked(hash[i], empty[d]));
                    }
                } else {
                    node = keccak256(abi.encodePacked(empty[d], hash[i]));
                }
                index[next] = parent;
                hash[next] = node;
                next++;
            }
            count = next;
        }
        treeRoot = count == 0 ? empty[DEPTH] : hash[0];
        proof = bytes.concat(bytes8(bitmap), siblings);
    }

    function root(uint64[] memory slots, bytes32[] memory leaves) internal pure returns (bytes32 r) {
        (r,) = rootAndProof(slots, leaves, 0);
    }

    /// @dev Copies and sorts by slot (insertion sort: test trees are small or built once).
    function _sorted(uint64[] memory slots, bytes32[] memory leaves)
        private
        pure
        returns (uint256[] memory index, bytes32[] memory hash)
    {
        uint256 n = slots.length;
        index = new uint256[](n);
        hash = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            uint256 s = slots[i];
            bytes32 h = leaves[i];
            uint256 j = i;
            while (j > 0 && index[j - 1] > s) {
                index[j] = index[j - 1];
                hash[j] = hash[j - 1];
                j--;
            }
            require(j == 0 || index[j - 1] != s, "TestTree: duplicate slot");
            index[j] = s;
            hash[j] = h;
        }
    }
}
