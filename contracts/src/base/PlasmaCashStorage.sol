// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {Checkpoint, LeafState, LeafChallenge, CoinBase} from "../Checkpoint.sol";

/// @title PlasmaCashStorage
/// @notice Every state variable of PlasmaCash, in one place and one order, so that a module executed by
/// delegatecall on PlasmaCash's storage (it inherits this contract first, as PlasmaCash does) sees the same slots.
/// @dev Layout (slot: variable): 0-1 EIP712's name/version fallbacks, 2 _counters, 3 _childBlockRoots, 4 _coins,
/// 5 _exits, 6 _challenges, 7 _bondBalances, 8 _exitBlocks, 9 _nftHeld, 10 _cpCounters, 11 _checkpoints, 12 _leaves, 13 _leafChallenges, 14 _revealed, 15 _bases. New variables are appended only;
/// test/StorageLayout.t.sol pins the slots. No functions, no immutables (those are per contract).
abstract contract PlasmaCashStorage is EIP712 {
    /// @dev Packed in one word: every deposit and every submitBlock touches the counters. Block numbers are
    /// uint48 everywhere (2.8e11 child blocks), so every block number stored elsewhere fits without a check.
    /// The burned bond total shares the word because the word is never zero: the first burn is no fresh slot.
    struct BlockCounters {
        uint48 nextChildBlock;
        uint48 nextDepositBlock;
        uint64 depositNonce;
        uint96 burnedBonds; // 7.9e28 wei at most: more ether than exists
    }

    /// @dev A coin's stage as stored: CoinState plus Withdrawn (an Exited coin whose asset was paid out). Keeping
    /// "withdrawn" in word 0's state byte makes withdraw update a non-zero word (word 1 is all zero for ETH).
    enum CoinStage {
        None,
        Deposited,
        Exiting,
        Exited,
        Withdrawn
    }

    /// @dev A coin as stored (getCoin returns it as IPlasmaCash.Coin: state Exited and withdrawn for Withdrawn).
    /// Word 0 is written by every exit; word 1 (token, kind) stays zero for ETH.
    struct CoinRecord {
        address depositor;
        uint40 depositBlock; // deposit blocks are < 2^40 (a billion child blocks)
        CoinStage stage;
        uint24 exitCount;
        uint24 headExit;
        address token;
        IPlasmaCash.AssetKind kind;
        uint256 denomination;
        uint256 tokenId;
    }

    /// @dev The record of one exit block of a coin, one storage word: `nonce` is the exit that holds or held it
    /// (0: the block is free), `nextExit`/`previousExit` its neighbours in the coin's list of live exits ordered
    /// by exit block (meaningful only while that exit is live, or for the winner). The block is dead when its
    /// exit is Cancelled and the record still names it: an exit cancelled by an unanswered challenge frees its
    /// block (finalizeExit deletes the record), one cancelled by challengeAfter or challengeBetween leaves it, so
    /// a cancellation that kills a block writes nothing here. Keeping the links in the word every startExit writes
    /// anyway makes an insertion beside a live exit cost updates of non-zero words only.
    struct ExitBlock {
        uint24 nonce;
        uint24 nextExit;
        uint24 previousExit;
        // The child block up to which a final checkpoint settled this exit's coin history (PROTOCOL.md §10,
        // docs/CHECKPOINTS.md R3/R4): challengeAfter/Between evidence at or below it is refused. Written by the
        // checkpoint calls that start or bind an exit; zero for an exit no checkpoint bound.
        uint48 settledThrough;
    }

    BlockCounters internal _counters;
    mapping(uint256 blockNumber => bytes32 root) internal _childBlockRoots;
    mapping(uint64 slot => CoinRecord) internal _coins;
    mapping(uint64 slot => mapping(uint256 nonce => IPlasmaCash.Exit)) internal _exits;
    mapping(uint64 slot => mapping(uint256 nonce => mapping(bytes32 challengeId => IPlasmaCash.Challenge))) internal
        _challenges;
    mapping(address account => uint256 amount) internal _bondBalances;
    mapping(uint64 slot => mapping(uint256 exitBlock => ExitBlock)) internal _exitBlocks;

    /// @dev An NFT held for a coin that is not yet withdrawn: a token can back at most one live coin.
    mapping(address token => mapping(uint256 tokenId => bool held)) internal _nftHeld;

    // Checkpoints (PROTOCOL.md §10, docs/CHECKPOINTS.md §3): written only by the CheckpointGame module.

    /// @dev One word, touched by every submitCheckpoint.
    struct CheckpointCounters {
        uint32 count;
        uint48 lastChildBlock;
        uint40 lastSubmittedAt;
    }

    CheckpointCounters internal _cpCounters;
    mapping(uint256 k => Checkpoint) internal _checkpoints;
    mapping(uint256 k => mapping(uint64 slot => LeafState)) internal _leaves;
    mapping(uint256 k => mapping(uint64 slot => mapping(bytes32 challengeId => LeafChallenge))) internal
        _leafChallenges;
    /// @dev Claims an answer revealed on leaf (k, slot): claimKey = keccak256(abi.encode(claimBlock, claimDigest)).
    /// After the period only a revealed claim may open an invalid-history challenge (PROTOCOL.md §10).
    mapping(uint256 k => mapping(uint64 slot => mapping(bytes32 claimKey => bool))) internal _revealed;
    /// @dev Each coin's base: the newest final, non-void leaf applied to it (docs/CHECKPOINTS.md §4).
    mapping(uint64 slot => CoinBase) internal _bases;

    constructor() EIP712("PlasmaCash", "1") {}
}
