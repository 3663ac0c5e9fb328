// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {PlasmaCash} from "../src/PlasmaCash.sol";
import {PlasmaCashStorage} from "../src/base/PlasmaCashStorage.sol";
import {CheckpointGame} from "../src/CheckpointGame.sol";

/// @dev The slot of every state variable, as seen by a contract: PlasmaCash itself.
contract PlasmaCashSlots is PlasmaCash {
    constructor() PlasmaCash(address(1), 7 days, 1 days, 2, 1) {}

    function slots() external pure returns (uint256[14] memory s) {
        uint256 a;
        uint256 b;
        uint256 c;
        uint256 d;
        uint256 e;
        uint256 f;
        uint256 g;
        uint256 h;
        uint256 i;
        uint256 j;
        uint256 k;
        uint256 l;
        uint256 m;
        uint256 n;
        assembly {
            a := _counters.slot
            b := _childBlockRoots.slot
            c := _coins.slot
            d := _exits.slot
            e := _challenges.slot
            f := _bondBalances.slot
            g := _exitBlocks.slot
            h := _nftHeld.slot
            i := _cpCounters.slot
            j := _checkpoints.slot
            k := _leaves.slot
            l := _leafChallenges.slot
            m := _revealed.slot
            n := _bases.slot
        }
        s = [a, b, c, d, e, f, g, h, i, j, k, l, m, n];
    }
}

/// @dev The same, as seen by anything that inherits PlasmaCashStorage first (a module run by delegatecall).
contract StorageOnlySlots is PlasmaCashStorage {
    function slots() external pure returns (uint256[14] memory s) {
        uint256 a;
        uint256 b;
        uint256 c;
        uint256 d;
        uint256 e;
        uint256 f;
        uint256 g;
        uint256 h;
        uint256 i;
        uint256 j;
        uint256 k;
        uint256 l;
        uint256 m;
        uint256 n;
        assembly {
            a := _counters.slot
            b := _childBlockRoots.slot
            c := _coins.slot
            d := _exits.slot
            e := _challenges.slot
            f := _bondBalances.slot
            g := _exitBlocks.slot
            h := _nftHeld.slot
            i := _cpCounters.slot
            j := _checkpoints.slot
            k := _leaves.slot
            l := _leafChallenges.slot
            m := _revealed.slot
            n := _bases.slot
        }
        s = [a, b, c, d, e, f, g, h, i, j, k, l, m, n];
    }
}

/// @dev The same, as seen by the CheckpointGame module that PlasmaCash's fallback runs by delegatecall.
contract CheckpointGameSlots is CheckpointGame {
    constructor() CheckpointGame(address(1), 7 days, 1 days, 2, 1) {}

    function slots() external pure returns (uint256[14] memory s) {
        uint256 a;
        uint256 b;
        uint256 c;
        uint256 d;
        uint256 e;
        uint256 f;
        uint256 g;
        uint256 h;
        uint256 i;
        uint256 j;
        uint256 k;
        uint256 l;
        uint256 m;
        uint256 n;
        assembly {
            a := _counters.slot
            b := _childBlockRoots.slot
            c := _coins.slot
            d := _exits.slot
            e := _challenges.slot
            f := _bondBalances.slot
            g := _exitBlocks.slot
            h := _nftHeld.slot
            i := _cpCounters.slot
            j := _checkpoints.slot
            k := _leaves.slot
            l := _leafChallenges.slot
            m := _revealed.slot
            n := _bases.slot
        }
        s = [a, b, c, d, e, f, g, h, i, j, k, l, m, n];
    }
}

/// @notice PlasmaCash's storage layout is PlasmaCashStorage's, and it is the one documented (PROTOCOL.md §8.7,
/// notes/v2-interface.md, client/l1/state-proof-layout.ts): slots 0-1 EIP712's fallbacks, then 2..15 (10-15 the
/// checkpoint variables); the CheckpointGame module sees the same.
contract PlasmaCash_StorageLayout_Test is Test {
    function test_StorageLayout_PlasmaCashEqualsPlasmaCashStorage() public {
        uint256[14] memory full = new PlasmaCashSlots().slots();
        uint256[14] memory base = new StorageOnlySlots().slots();
        for (uint256 i = 0; i < 14; i++) {
            assertEq(full[i], base[i], "slot differs");
        }
    }

    function test_StorageLayout_CheckpointGameEqualsPlasmaCash() public {
        uint256[14] memory full = new PlasmaCashSlots().slots();
        uint256[14] memory module = new CheckpointGameSlots().slots();
        for (uint256 i = 0; i < 14; i++) {
            assertEq(full[i], module[i], "slot differs");
        }
    }

    function test_StorageLayout_IsTheDocumentedOne() public {
        uint256[14] memory s = new StorageOnlySlots().slots();
        for (uint256 i = 0; i < 14; i++) {
            assertEq(s[i], i + 2, "documented slot");
        }
    }

    /// @dev The coin mapping really is at slot 4 of a deployed PlasmaCash: word 0 of a coin starts with its
    /// depositor and carries its state byte at offset 25.
    function test_StorageLayout_CoinAtSlotFour() public {
        PlasmaCash plasma = new PlasmaCash(address(1), 7 days, 1 days, 2, 1);
        address depositor = makeAddr("depositor");
        vm.deal(depositor, 1 ether);
        vm.prank(depositor);
        uint64 slot = plasma.deposit{value: 1}();
        uint256 word0 = uint256(vm.load(address(plasma), keccak256(abi.encode(slot, uint256(4)))));
        assertEq(address(uint160(word0)), depositor);
        assertEq((word0 >> 200) & 0xff, 1, "Deposited");
        assertEq(uint256(vm.load(address(plasma), bytes32(uint256(keccak256(abi.encode(slot, uint256(4)))) + 2))), 1);
    }
}
