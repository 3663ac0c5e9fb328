// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A leaf of checkpoint k, as presented: keccak256(abi.encode(txBlock, txDigest)) at index `slot`, proved
/// by `proof` (§3 format) under checkpoint k's root. A zero leaf is never presented as a LeafRef.
struct LeafRef {
    uint256 k;
    uint64 slot;
    uint256 txBlock;
    bytes32 txDigest;
    bytes proof;
}

/// @notice A checkpoint as stored: its root (word 0); its child block N, submission time and the end of its
/// period (submittedAt + EXIT_PERIOD), in word 1.
struct Checkpoint {
    bytes32 root;
    uint48 childBlock;
    uint40 submittedAt;
    uint40 periodEnd;
}

/// @notice What the contract knows of the leaf of one slot in one checkpoint (one word).
struct LeafState {
    uint40 lastReveal; // the last answer to a challenge of this leaf
    uint40 latestOpenedAt; // the newest challenge's opening time
    uint24 openCount; // challenges open now
    bool voided; // recorded void (a settled challenge or an immediate challenge)
    VoidReason reason;
}

/// @notice A challenge of a leaf, identified by (k, slot, challengeId), challengeId =
/// keccak256(abi.encode(uint8 kind, uint256 claimBlock, bytes32 claimDigest)).
struct LeafChallenge {
    address challenger;
    uint48 claimBlock;
    LeafChallengeKind kind;
    LeafChallengeStatus status;
    uint40 openedAt;
    address claimOwner;
    // The challenged leaf's txBlock (InvalidHistory only; zero for Withheld): an answer's child is included at or
    // before it. Appended in word 1 beside claimOwner, which every opening writes anyway.
    uint48 leafTxBlock;
}

/// @notice A coin's base: the newest final, non-void leaf applied to it (word 0: k, N, txBlock; word 1: digest).
/// `checkpointBlock == 0` means no base.
struct CoinBase {
    uint32 k;
    uint48 checkpointBlock;
    uint48 txBlock;
    bytes32 txDigest;
}

enum LeafStatus {
    Pending,
    Final,
    Void
}

enum LeafChallengeKind {
    None,
    Withheld,
    InvalidHistory
}

enum LeafChallengeStatus {
    None,
    Open,
    Answered,
    Settled
}

enum VoidReason {
    Unanswered,
    NotIncluded,
    Conflict,
    Spent,
    SpentByExit
}
