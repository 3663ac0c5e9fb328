// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {PlasmaCash} from "../src/PlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";
import {DefaultHashes} from "../src/libraries/DefaultHashes.sol";
import {SparseMerkle} from "../src/libraries/SparseMerkle.sol";
import {Signatures} from "../src/libraries/Signatures.sol";
import {TransactionLib} from "../src/libraries/TransactionLib.sol";
import {TestTree} from "./utils/TestTree.sol";

/// @dev The libraries take calldata: an external call gives them exactly the bytes of the vector.
contract VectorsHarness {
    function computeRoot(bytes32 leaf, uint64 slot, bytes calldata proof) external pure returns (bytes32) {
        return SparseMerkle.computeRoot(leaf, slot, proof);
    }

    function recover(bytes32 digest, bytes calldata signature) external pure returns (address) {
        return Signatures.recover(digest, signature);
    }
}

/// @notice Checks the vectors written by the TypeScript protocol library (scripts/generate-vectors.ts) byte for
/// byte: the default hashes, every proof through the contract's verifier and through TestTree, the EIP-712
/// domain, type hash and digests of the deployed contract, and every signature through the contract's recovery.
/// @dev smt.json lists each case's root and proofs but not its leaves; the leaves are rebuilt here from the
/// generator's documented derivation (keccak256 of "plasma-cash/vectors/<label>"), and the rebuilt set is
/// checked against the file (leaf count, every inclusion leaf, every exclusion leaf zero) before it is used.
contract PlasmaCash_Vectors_Test is Test {
    string internal constant SMT_PATH = "./test/vectors/smt.json";
    string internal constant TX_PATH = "./test/vectors/transactions.json";
    uint64 internal constant MAX_SLOT = type(uint64).max;

    VectorsHarness internal harness;
    string internal smt;
    string internal txs;

    function setUp() public {
        harness = new VectorsHarness();
        smt = vm.readFile(SMT_PATH);
        txs = vm.readFile(TX_PATH);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sparse Merkle tree (smt.json)
    // ---------------------------------------------------------------------------------------------------------

    function test_Vectors_DefaultHashes() public view {
        bytes32[] memory defaults = vm.parseJsonBytes32Array(smt, ".defaults");
        assertEq(defaults.length, 65, "defaults: 65 entries, default[0..64]");

        bytes32[64] memory table;
        uint256 pointer;
        assembly ("memory-safe") {
            pointer := table
        }
        DefaultHashes.writeTable(pointer);
        bytes32[65] memory rebuilt = TestTree.defaults();
        for (uint256 d = 0; d < 64; d++) {
            assertEq(defaults[d], table[d], string.concat("DefaultHashes default[", vm.toString(d), "]"));
            assertEq(defaults[d], rebuilt[d], string.concat("TestTree default[", vm.toString(d), "]"));
        }
        assertEq(defaults[64], DefaultHashes.EMPTY_ROOT, "DefaultHashes.EMPTY_ROOT is default[64]");
        assertEq(defaults[64], rebuilt[64], "TestTree default[64]");
    }

    function test_Vectors_CaseCount() public view {
        uint256 count = vm.parseJsonUint(smt, ".caseCount");
        assertEq(count, 8, "the cases this suite knows how to rebuild");
        assertFalse(vm.keyExistsJson(smt, string.concat(".cases[", vm.toString(count), "]")), "caseCount");
        for (uint256 i = 0; i < count; i++) {
            string memory prefix = string.concat(".cases[", vm.toString(i), "]");
            uint256 proofs = vm.parseJsonUint(smt, string.concat(prefix, ".proofCount"));
            assertGt(proofs, 0, "every case has proofs");
            assertFalse(vm.keyExistsJson(smt, string.concat(prefix, ".proofs[", vm.toString(proofs), "]")), "proofCount");
        }
    }

    function test_Vectors_Smt_EmptyTree() public view {
        _checkCase(0);
    }

    function test_Vectors_Smt_SingleLeafAtZero() public view {
        _checkCase(1);
    }

    function test_Vectors_Smt_SingleLeafAtMax() public view {
        _checkCase(2);
    }

    function test_Vectors_Smt_AdjacentPair() public view {
        _checkCase(3);
    }

    function test_Vectors_Smt_ZeroAndMax() public view {
        _checkCase(4);
    }

    function test_Vectors_Smt_256Consecutive() public view {
        _checkCase(5);
    }

    /// @dev 40 proofs of a 1,000-leaf tree, each rebuilt by TestTree (~6 × 10^7 gas): split in four to stay
    /// well within the per-test gas limit (2^30).
    function test_Vectors_Smt_1000Random_Proofs0To9() public view {
        _checkCase(6, 0, 10);
    }

    function test_Vectors_Smt_1000Random_Proofs10To19() public view {
        _checkCase(6, 10, 20);
    }

    function test_Vectors_Smt_1000Random_Proofs20To29() public view {
        _checkCase(6, 20, 30);
    }

    function test_Vectors_Smt_1000Random_Proofs30To39() public view {
        _checkCase(6, 30, 40);
    }

    function test_Vectors_Smt_1000Random_ProofCount() public view {
        assertEq(vm.parseJsonUint(smt, ".cases[6].proofCount"), 40, "the four tests above cover every proof");
    }

    function test_Vectors_Smt_MaximalBitmap() public view {
        _checkCase(7);
    }

    /// @dev Every proof of case `index`: the contract's verifier yields the case root from (leaf, slot, proof),
    /// and TestTree, given the case's leaves, yields the same root and exactly the same proof bytes.
    function _checkCase(uint256 index) internal view {
        _checkCase(index, 0, vm.parseJsonUint(smt, string.concat(".cases[", vm.toString(index), "].proofCount")));
    }

    /// @dev Proofs [from, to) of case `index`.
    function _checkCase(uint256 index, uint256 from, uint256 to) internal view {
        string memory prefix = string.concat(".cases[", vm.toString(index), "]");
        string memory name = vm.parseJsonString(smt, string.concat(prefix, ".name"));
        bytes32 root = vm.parseJsonBytes32(smt, string.concat(prefix, ".root"));
        (uint64[] memory slots, bytes32[] memory leaves) = _caseLeaves(name);
        assertEq(vm.parseJsonUint(smt, string.concat(prefix, ".leafCount")), slots.length, string.concat(name, ": leafCount"));
        assertLe(to, vm.parseJsonUint(smt, string.concat(prefix, ".proofCount")), "proof range");
        for (uint256 p = from; p < to; p++) {
            _checkProof(string.concat(prefix, ".proofs[", vm.toString(p), "]"), name, root, slots, leaves);
        }
    }

    function _checkProof(
        string memory at,
        string memory name,
        bytes32 root,
        uint64[] memory slots,
        bytes32[] memory leaves
    ) internal view {
        // TestTree allocates megabytes for a large tree and memory is never freed: hand it back after each
        // proof, or the quadratic memory cost of 40 rebuilds runs out of gas.
        uint256 freeMemory;
        assembly ("memory-safe") {
            freeMemory := mload(0x40)
        }
        uint64 slot = _toUint64(vm.parseUint(vm.parseJsonString(smt, string.concat(at, ".slot"))));
        bytes32 leaf = vm.parseJsonBytes32(smt, string.concat(at, ".leaf"));
        bytes memory proof = vm.parseJsonBytes(smt, string.concat(at, ".proof"));
        string memory label = string.concat(name, " slot ", vm.toString(slot));

        assertEq(leaf, _leafOf(slots, leaves, slot), string.concat(label, ": leaf (zero iff absent)"));
        assertEq(harness.computeRoot(leaf, slot, proof), root, string.concat(label, ": SparseMerkle.computeRoot"));
        (bytes32 treeRoot, bytes memory treeProof) = TestTree.rootAndProof(slots, leaves, slot);
        assertEq(treeRoot, root, string.concat(label, ": TestTree root"));
        assertEq(treeProof, proof, string.concat(label, ": TestTree proof bytes"));
        assembly ("memory-safe") {
            mstore(0x40, freeMemory)
        }
    }

    /// @dev The leaves of a named case, rebuilt as scripts/generate-vectors.ts derives them.
    function _caseLeaves(string memory name) internal pure returns (uint64[] memory slots, bytes32[] memory leaves) {
        bytes32 id = keccak256(bytes(name));
        if (id == keccak256("empty tree")) {
            slots = new uint64[](0);
        } else if (id == keccak256("single leaf at slot 0")) {
            slots = new uint64[](1);
        } else if (id == keccak256("single leaf at slot 2^64-1")) {
            slots = new uint64[](1);
            slots[0] = MAX_SLOT;
        } else if (id == keccak256("two adjacent slots 2k and 2k+1")) {
            uint64 pair = _derivedUint64("adjacent") & ~uint64(1);
            slots = new uint64[](2);
            slots[0] = pair;
            slots[1] = pair + 1;
        } else if (id == keccak256("slots 0 and 2^64-1")) {
            slots = new uint64[](2);
            slots[1] = MAX_SLOT;
        } else if (id == keccak256("256 consecutive slots 0..255")) {
            slots = new uint64[](256);
            for (uint256 i = 0; i < 256; i++) {
                slots[i] = uint64(i);
            }
        } else if (id == keccak256("1000 pseudo-random slots")) {
            // The generator de-duplicates; 1000 keccak-derived 64-bit values do not collide (checked by
            // leafCount == 1000 and by TestTree, which rejects a duplicate slot).
            slots = new uint64[](1000);
            for (uint256 i = 0; i < 1000; i++) {
                slots[i] = _derivedUint64(string.concat("random-slot/", vm.toString(i)));
            }
        } else if (id == keccak256("maximal bitmap: every sibling of one slot is non-default")) {
            uint64 center = _derivedUint64("max-bitmap-center");
            slots = new uint64[](65);
            slots[0] = center;
            for (uint256 d = 0; d < 64; d++) {
                slots[d + 1] = center ^ uint64(1 << d);
            }
        } else {
            revert(string.concat("unknown vector case: ", name));
        }
        leaves = new bytes32[](slots.length);
        for (uint256 i = 0; i < slots.length; i++) {
            leaves[i] = _derivedBytes(string.concat("leaf/", name, "/", vm.toString(uint256(slots[i]))));
        }
        // TestTree sorts by insertion: quadratic on random input, linear on sorted input. The order of the
        // leaves does not change the tree.
        _sortBySlot(slots, leaves);
    }

    /// @dev Sorts both arrays by slot (quicksort, Hoare partition).
    function _sortBySlot(uint64[] memory slots, bytes32[] memory leaves) internal pure {
        if (slots.length > 1) _quickSort(slots, leaves, 0, slots.length - 1);
    }

    function _quickSort(uint64[] memory slots, bytes32[] memory leaves, uint256 lo, uint256 hi) private pure {
        uint64 pivot = slots[(lo + hi) / 2];
        uint256 i = lo;
        uint256 j = hi;
        while (true) {
            while (slots[i] < pivot) i++;
            while (slots[j] > pivot) j--;
            if (i >= j) break;
            (slots[i], slots[j]) = (slots[j], slots[i]);
            (leaves[i], leaves[j]) = (leaves[j], leaves[i]);
            i++;
            j--;
        }
        if (lo < j) _quickSort(slots, leaves, lo, j);
        if (j + 1 < hi) _quickSort(slots, leaves, j + 1, hi);
    }

    function _leafOf(uint64[] memory slots, bytes32[] memory leaves, uint64 slot) internal pure returns (bytes32) {
        for (uint256 i = 0; i < slots.length; i++) {
            if (slots[i] == slot) return leaves[i];
        }
        return bytes32(0);
    }

    function _derivedBytes(string memory label) internal pure returns (bytes32) {
        return keccak256(bytes(string.concat("plasma-cash/vectors/", label)));
    }

    function _derivedUint64(string memory label) internal pure returns (uint64) {
        return uint64(bytes8(_derivedBytes(label)));
    }

    function _toUint64(uint256 value) internal pure returns (uint64) {
        require(value <= MAX_SLOT, "slot above 2^64-1");
        return uint64(value);
    }

    // ---------------------------------------------------------------------------------------------------------
    // EIP-712 transactions (transactions.json)
    // ---------------------------------------------------------------------------------------------------------

    function test_Vectors_Typehash() public view {
        bytes32 typehash = vm.parseJsonBytes32(txs, ".typehash");
        assertEq(TransactionLib.TYPEHASH, typehash, "TransactionLib.TYPEHASH");
        assertEq(
            typehash,
            keccak256("Transaction(uint64 slot,uint256 prevBlock,uint256 denomination,address newOwner)"),
            "PROTOCOL.md 4 type string"
        );
    }

    function test_Vectors_DomainSeparatorAndDigests() public {
        PlasmaCash plasma = _deployAtVectorAddress();
        assertEq(plasma.domainSeparator(), vm.parseJsonBytes32(txs, ".domainSeparator"), "domainSeparator()");

        uint256 count = _transactionCount();
        for (uint256 i = 0; i < count; i++) {
            (Transaction memory tx_, bytes32 digest,,) = _vectorTransaction(i);
            assertEq(plasma.transactionDigest(tx_), digest, string.concat("transactionDigest of vector ", vm.toString(i)));
        }
    }

    function test_Vectors_Signatures() public view {
        uint256 count = _transactionCount();
        for (uint256 i = 0; i < count; i++) {
            (, bytes32 digest, address signer, bytes memory signature) = _vectorTransaction(i);
            assertEq(signature.length, 65, "r || s || v");
            assertEq(harness.recover(digest, signature), signer, string.concat("Signatures.recover of vector ", vm.toString(i)));
        }
    }

    /// @dev The contract at the file's verifyingContract on the file's chain, so its domain is the vectors' one.
    function _deployAtVectorAddress() internal returns (PlasmaCash plasma) {
        vm.chainId(vm.parseUint(vm.parseJsonString(txs, ".chainId")));
        address at = vm.parseJsonAddress(txs, ".verifyingContract");
        deployCodeTo(
            "PlasmaCash.sol:PlasmaCash",
            abi.encode(makeAddr("operator"), uint256(7 days), uint256(1 days), uint256(0.1 ether), uint256(0.1 ether)),
            at
        );
        plasma = PlasmaCash(payable(at));
    }

    function _transactionCount() internal view returns (uint256 count) {
        count = vm.parseJsonUint(txs, ".count");
        assertGt(count, 0, "transactions.json has transactions");
        assertFalse(vm.keyExistsJson(txs, string.concat(".transactions[", vm.toString(count), "]")), "count");
    }

    function _vectorTransaction(uint256 i)
        internal
        view
        returns (Transaction memory tx_, bytes32 digest, address signer, bytes memory signature)
    {
        string memory at = string.concat(".transactions[", vm.toString(i), "]");
        tx_.slot = _toUint64(vm.parseUint(vm.parseJsonString(txs, string.concat(at, ".slot"))));
        tx_.prevBlock = vm.parseUint(vm.parseJsonString(txs, string.concat(at, ".prevBlock")));
        tx_.denomination = vm.parseUint(vm.parseJsonString(txs, string.concat(at, ".denomination")));
        tx_.newOwner = vm.parseJsonAddress(txs, string.concat(at, ".newOwner"));
        digest = vm.parseJsonBytes32(txs, string.concat(at, ".digest"));
        signer = vm.parseJsonAddress(txs, string.concat(at, ".signer"));
        signature = vm.parseJsonBytes(txs, string.concat(at, ".signature"));
    }
}
