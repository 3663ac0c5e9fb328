// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Transaction} from "../Transaction.sol";

/// @title IPlasmaCash
/// @notice The root-chain contract of a Plasma Cash child chain: deposits mint coins, the operator commits
/// block roots, and the exit game of PROTOCOL.md §6 lets every honest owner take its coin back to L1.
/// @dev Every state change emits an event from which a client can follow the game without reading storage.
interface IPlasmaCash {
    // ---------------------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------------------

    enum AssetKind {
        ETH,
        ERC20,
        ERC721
    }

    /// @dev None = no such coin. A cancelled exit takes an Exiting coin back to Deposited.
    enum CoinState {
        None,
        Deposited,
        Exiting,
        Exited
    }

    enum ExitStatus {
        None,
        Live,
        Finalized,
        Cancelled
    }

    /// @dev Open until answered by a response; Settled once its bond was paid back after the exit ended.
    enum ChallengeStatus {
        None,
        Open,
        Answered,
        Settled
    }

    enum CancelReason {
        SpentAfterExit, // challengeAfter
        DoubleSpend, // challengeBetween
        UnansweredChallenge // finalizeExit with a challengeBefore still open
    }

    struct Coin {
        address depositor;
        uint48 depositBlock;
        AssetKind kind;
        CoinState state;
        bool withdrawn;
        uint24 exitCount; // exits ever started; the live or last exit has nonce == exitCount
        address token; // zero for ETH
        uint256 denomination; // wei, token amount, or 1 for an NFT
        uint256 tokenId; // ERC-721 only
    }

    struct Exit {
        address exitor;
        uint48 exitBlock;
        uint40 finalizableAt;
        ExitStatus status;
        address parentOwner; // zero for a deposit exit, which has no parent
        uint48 parentBlock; // zero for a deposit exit
        uint40 maturesAt; // start + EXIT_PERIOD: the earliest end of the exit, whatever extensions follow
        bytes32 firstChallenge; // oldest open challengeBefore, zero when none is open
        bytes32 lastChallenge; // newest open challengeBefore
    }

    struct Challenge {
        address challenger;
        uint48 claimBlock;
        ChallengeStatus status;
        uint40 openedAt;
        address claimOwner; // the owner the claim names: only it can have signed the answer
        bytes32 previous; // neighbours in the exit's list of open challenges, oldest first
        bytes32 next;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------------------

    /// @notice A coin was minted by a deposit; `blockNumber` is its deposit block.
    event Deposit(
        uint64 indexed slot,
        address indexed depositor,
        uint256 indexed blockNumber,
        AssetKind kind,
        address token,
        uint256 tokenId,
        uint256 denomination
    );

    /// @notice The operator committed child block `blockNumber`.
    event BlockSubmitted(uint256 indexed blockNumber, bytes32 root);

    /// @notice An exit started. A deposit exit has parentBlock 0 and exitBlock = the deposit block.
    event ExitStarted(
        uint64 indexed slot,
        uint256 indexed nonce,
        address indexed exitor,
        uint256 parentBlock,
        uint256 exitBlock,
        uint256 finalizableAt
    );

    /// @notice An exit was cancelled; `challenger` receives half the exit bond, the other half is burned.
    event ExitCancelled(uint64 indexed slot, uint256 indexed nonce, address indexed challenger, CancelReason reason);

    /// @notice An exit was finalized: the coin is Exited and belongs to `exitor` on L1.
    event ExitFinalized(uint64 indexed slot, uint256 indexed nonce, address indexed exitor);

    /// @notice A challengeBefore was opened; the exit cannot finalize before `finalizableAt`.
    event ChallengeOpened(
        uint64 indexed slot,
        uint256 indexed nonce,
        bytes32 indexed challengeId,
        address challenger,
        Transaction claim,
        uint256 claimBlock,
        uint256 finalizableAt
    );

    /// @notice A challengeBefore was answered with `response`, the direct child of its claim. `response.newOwner`
    /// may be an owner that the answer reveals: it has until `finalizableAt` to challenge in turn. The signature
    /// and inclusion proof are in the event so that owner can claim and exit with them, whatever the caller was
    /// (a contract relaying the answer leaves no calldata of ours to read).
    event ChallengeAnswered(
        uint64 indexed slot,
        uint256 indexed nonce,
        bytes32 indexed challengeId,
        Transaction response,
        uint256 responseBlock,
        uint256 finalizableAt,
        bytes signature,
        bytes proof
    );

    /// @notice A challenge left open when its exit ended had its bond paid back to its challenger.
    event ChallengeSettled(uint64 indexed slot, uint256 indexed nonce, bytes32 indexed challengeId, address challenger);

    /// @notice `amount` of bond was credited to `account`, to be taken with withdrawBonds().
    event BondCredited(address indexed account, uint256 amount);

    /// @notice `amount` of a slashed bond was burned: locked in this contract for good.
    event BondBurned(uint64 indexed slot, uint256 indexed nonce, uint256 amount);

    /// @notice `account` took `amount` of credited bonds.
    event BondsWithdrawn(address indexed account, uint256 amount);

    /// @notice The owner of an Exited coin took its asset.
    event CoinWithdrawn(uint64 indexed slot, address indexed owner);

    // ---------------------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------------------

    error ZeroValueDeposit();
    error SlotCollision(uint64 slot);
    error DepositBlocksExhausted(uint256 nextChildBlock);
    error TokenTransferMismatch(address token, uint256 expected, uint256 received);
    error NotAnErc20(address token);
    error NftAlreadyDeposited(address token, uint256 tokenId);
    error NftNotReceived(address token, uint256 tokenId);
    error NotOperator(address caller);
    error UnexpectedBlockNumber(uint256 given, uint256 expected);
    error ZeroRoot();
    error UnknownCoin(uint64 slot);
    error CoinNotDeposited(uint64 slot, CoinState state);
    error WrongBond(uint256 sent, uint256 required);
    error NotDepositor(address caller, address depositor);
    error SlotMismatch(uint64 expected, uint64 given);
    error DenominationMismatch(uint64 slot, uint256 expected, uint256 given);
    error ParentNotBeforeExiting(uint256 parentBlock, uint256 exitingBlock);
    error BeforeDeposit(uint256 blockNumber, uint256 depositBlock);
    error NotDepositTransaction(uint64 slot, uint256 depositBlock);
    error BlockNotCommitted(uint256 blockNumber);
    error NotIncluded(uint64 slot, uint256 blockNumber);
    error WrongSigner(address expected, address recovered);
    error WrongPrevBlock(uint256 expected, uint256 given);
    error NotNewOwner(address caller, address newOwner);
    error NoLiveExit(uint64 slot);
    error NotAfterExit(uint256 blockNumber, uint256 exitBlock);
    error NotBetween(uint256 blockNumber, uint256 parentBlock, uint256 exitBlock);
    error NotBeforeParent(uint256 blockNumber, uint256 parentBlock);
    error DepositExitHasNoParent(uint64 slot);
    error ChallengeExists(bytes32 challengeId);
    error ChallengeNotOpen(bytes32 challengeId, ChallengeStatus status);
    error ResponseOutOfRange(uint256 blockNumber, uint256 claimBlock, uint256 parentBlock);
    /// @notice finalizeExit is early; `readyAt` is when it can run (finalization or cancellation).
    error ExitNotMatured(uint64 slot, uint256 readyAt);
    error ExitStillLive(uint64 slot, uint256 nonce);
    error CoinNotExited(uint64 slot, CoinState state);
    error AlreadyWithdrawn(uint64 slot);
    error NotCoinOwner(address caller, address owner);
    error NoBonds(address caller);
    error EthTransferFailed(address to, uint256 amount);

    // ---------------------------------------------------------------------------------------------------------
    // Deposits
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Deposits the ETH sent as one coin owned by the caller.
    /// @return slot The new coin's id: uint64(bytes8(keccak256(abi.encode(depositor, depositNonce)))).
    function deposit() external payable returns (uint64 slot);

    /// @notice Deposits `amount` of `token` (approved beforehand) as one coin. Fee-on-transfer tokens revert.
    function depositERC20(address token, uint256 amount) external returns (uint64 slot);

    /// @notice Deposits NFT `tokenId` of `token` (approved beforehand) as one coin.
    function depositERC721(address token, uint256 tokenId) external returns (uint64 slot);

    /// @notice `safeTransferFrom` of an NFT to this contract deposits it as a coin owned by `from`.
    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4);

    // ---------------------------------------------------------------------------------------------------------
    // Child blocks
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Commits `root` as child block `blockNumber`, which must be exactly nextChildBlock(): a retried
    /// submission can neither commit twice nor overwrite. Operator only. Empty blocks use DefaultHashes.EMPTY_ROOT.
    function submitBlock(bytes32 root, uint256 blockNumber) external;

    // ---------------------------------------------------------------------------------------------------------
    // The exit game
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The depositor exits its coin straight from the deposit, with EXIT_BOND. Only challengeAfter applies.
    function startDepositExit(uint64 slot) external payable;

    /// @notice Exits with the coin's last two transactions, with EXIT_BOND: `exiting` (included at
    /// `exitingBlock`, signed by `parent.newOwner`, naming the caller) spends `parent` (included at `parentBlock`,
    /// or the deposit transaction with an empty proof when `parentBlock` is the deposit block).
    function startExit(
        Transaction calldata parent,
        bytes calldata parentProof,
        uint256 parentBlock,
        Transaction calldata exiting,
        bytes calldata exitingSig,
        bytes calldata exitingProof,
        uint256 exitingBlock
    ) external payable;

    /// @notice Cancels the live exit with a spend of the exited transaction: included after the exit block,
    /// signed by the exitor, `prevBlock` = the exit block.
    function challengeAfter(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external;

    /// @notice Cancels the live exit with a double spend of its parent: included strictly between the parent
    /// and exit blocks, signed by the parent's owner, `prevBlock` = the parent block.
    function challengeBetween(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external;

    /// @notice With CHALLENGE_BOND, claims that `claim.newOwner` (the owner after `claim`, included at
    /// `blockNumber` before the parent block, or the deposit transaction) never spent the coin. Pushes the
    /// exit's finalization to at least now + RESPONSE_PERIOD. Its id is transactionDigest(claim).
    function challengeBefore(Transaction calldata claim, bytes calldata proof, uint256 blockNumber) external payable;

    /// @notice Answers challenge `challengeId` of the live exit with the direct child of its claim; the
    /// challenger's bond goes to the exitor. Pushes finalization to at least now + RESPONSE_PERIOD.
    function respondChallengeBefore(
        bytes32 challengeId,
        Transaction calldata response,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) external;

    /// @notice Ends the live exit. With no challengeBefore open: Exited for the exitor, from finalizableAt on
    /// (start + EXIT_PERIOD, pushed by every challengeBefore and response). With one open: cancelled, the bond
    /// slashed to the oldest open challenger, as soon as the exit period is over and that challenge has stood
    /// unanswered for a full RESPONSE_PERIOD: extensions won by answering other challenges cannot delay it.
    function finalizeExit(uint64 slot) external;

    /// @notice Pays the bond back to the challenger of a challenge left open when its exit was cancelled.
    /// @dev The oldest open challenge is settled by finalizeExit itself; this keeps finalizeExit O(1).
    function settleChallenge(uint64 slot, uint256 nonce, bytes32 challengeId) external;

    /// @notice The owner of an Exited coin takes its asset, once.
    function withdraw(uint64 slot) external;

    /// @notice Pays the caller every bond credited to it.
    function withdrawBonds() external;

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The number the next child block must have.
    function nextChildBlock() external view returns (uint256);

    /// @notice The block number the next deposit gets.
    function nextDepositBlock() external view returns (uint256);

    /// @notice The root of child block `blockNumber`, zero when not committed (and for every deposit block).
    function childBlockRoot(uint256 blockNumber) external view returns (bytes32);

    /// @notice The EIP-712 digest of `tx_`: what its owner signs and what the block's tree holds at its slot.
    function transactionDigest(Transaction calldata tx_) external view returns (bytes32);

    function getCoin(uint64 slot) external view returns (Coin memory);

    function getExit(uint64 slot, uint256 nonce) external view returns (Exit memory);

    function getChallenge(uint64 slot, uint256 nonce, bytes32 challengeId) external view returns (Challenge memory);

    /// @notice Bonds credited to `account` and not yet withdrawn.
    function bondBalance(address account) external view returns (uint256);

    /// @notice The total of slashed bonds burned so far (held by this contract for good).
    function burnedBonds() external view returns (uint256);
}
