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

    /// @notice The asset a coin holds.
    enum AssetKind {
        ETH,
        ERC20,
        ERC721
    }

    /// @notice The life of a coin. None: no such coin. Deposited: no exit is live. Exiting: at least one exit is
    /// live (it returns to Deposited when the last live exit is cancelled). Exited: an exit won (final).
    enum CoinState {
        None,
        Deposited,
        Exiting,
        Exited
    }

    /// @notice The life of an exit: Live until it is Finalized (it won the coin) or Cancelled.
    enum ExitStatus {
        None,
        Live,
        Finalized,
        Cancelled
    }

    /// @notice Open until answered by a response; Settled once its bond was paid back after the exit ended.
    enum ChallengeStatus {
        None,
        Open,
        Answered,
        Settled
    }

    /// @notice Why an exit was cancelled. SpentAfterExit and DoubleSpend kill its exit block for good.
    enum CancelReason {
        SpentAfterExit, // challengeAfter
        DoubleSpend, // challengeBetween
        UnansweredChallenge, // finalizeExit with a challengeBefore still open
        OutlivedByWinner, // settleExit: another exit of the coin finalized
        InconsistentWithCheckpoint // enforceCheckpoint: a final checkpoint leaf contradicts the exit (§10)
    }

    /// @notice A coin, as getCoin returns it. Stored as ChildChain.CoinRecord (same order and packing, less
    /// `withdrawn`, which is kept as a fifth stage in word 0's state byte, so that withdraw updates a word that is
    /// already non-zero).
    struct Coin {
        address depositor;
        uint40 depositBlock; // deposit blocks are < 2^40 (a billion child blocks)
        CoinState state;
        uint24 exitCount; // exits ever started; nonces run 1..exitCount (2^24 exits: 1.7 million ETH of bonds)
        uint24 headExit; // Exiting: the live exit with the lowest exit block; Exited: the winner; else 0
        address token; // zero for ETH
        AssetKind kind;
        bool withdrawn; // stored as state byte 4 (ChildChain.CoinStage.Withdrawn)
        uint256 denomination; // wei, token amount, or 1 for an NFT
        uint256 tokenId; // ERC-721 only
    }

    /// @notice An exit (slot, nonce). nextExit and previousExit are its neighbours in the coin's list of live
    /// exits ordered by exit block (0 = none); they are kept in the exit block's record (see ExitGame).
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
        uint24 nextExit;
        uint24 previousExit;
    }

    /// @notice A challengeBefore of one exit, keyed by its id (the claim's digest).
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
    /// @param slot The coin.
    /// @param depositor The depositor, the coin's first owner.
    /// @param blockNumber The block number.
    /// @param kind The asset kind.
    /// @param token The token contract (zero for ETH).
    /// @param tokenId The NFT's token id (zero otherwise).
    /// @param denomination The coin's value: wei, token amount, or 1 for an NFT.
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
    /// @param blockNumber The block number.
    /// @param root The block's sparse Merkle root.
    event BlockSubmitted(uint256 indexed blockNumber, bytes32 root);

    /// @notice A challengeAfter or challengeBetween cancelled exit (slot, nonce) with `spend`, included at
    /// `blockNumber` with `proof` and signed with `signature`. Emitted right before its ExitCancelled, so that the
    /// owner the spend names (spend.newOwner) can exit with it from this event alone, whoever sent the challenge.
    /// @param slot The coin.
    /// @param nonce The cancelled exit.
    /// @param spend The transaction that cancelled it.
    /// @param blockNumber The child block that includes `spend`.
    /// @param signature The 65-byte signature of `spend`.
    /// @param proof The inclusion proof of `spend` in `blockNumber`.
    event SpendRevealed(
        uint64 indexed slot, uint256 indexed nonce, Transaction spend, uint256 blockNumber, bytes signature, bytes proof
    );

    /// @notice An exit started. A deposit exit has parentBlock 0 and exitBlock = the deposit block.
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    /// @param exitor The exitor.
    /// @param parentBlock The parent's block (0 for a deposit exit).
    /// @param exitBlock The exit block.
    /// @param finalizableAt The earliest time finalizeExit can finalize it.
    event ExitStarted(
        uint64 indexed slot,
        uint256 indexed nonce,
        address indexed exitor,
        uint256 parentBlock,
        uint256 exitBlock,
        uint256 finalizableAt
    );

    /// @notice An exit was cancelled; `challenger` receives half the exit bond, the other half is burned.
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    /// @param challenger Who receives the slashed half (the challenger, or the winner for OutlivedByWinner).
    /// @param reason Why it was cancelled.
    event ExitCancelled(uint64 indexed slot, uint256 indexed nonce, address indexed challenger, CancelReason reason);

    /// @notice An exit was finalized: the coin is Exited and belongs to `exitor` on L1.
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    /// @param exitor The exitor.
    event ExitFinalized(uint64 indexed slot, uint256 indexed nonce, address indexed exitor);

    /// @notice A challengeBefore was opened; the exit cannot finalize before `finalizableAt`.
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    /// @param challengeId The challenge (its claim's digest).
    /// @param challenger Who receives the slashed half (the challenger, or the winner for OutlivedByWinner).
    /// @param claim The claimed-unspent transaction.
    /// @param claimBlock The claim's block.
    /// @param finalizableAt The earliest time finalizeExit can finalize it.
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
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    /// @param challengeId The challenge (its claim's digest).
    /// @param response The answer, the claim's direct child.
    /// @param responseBlock The answer's block.
    /// @param finalizableAt The earliest time finalizeExit can finalize it.
    /// @param signature The answer's 65-byte signature.
    /// @param proof The answer's inclusion proof.
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
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    /// @param challengeId The challenge (its claim's digest).
    /// @param challenger Who receives the slashed half (the challenger, or the winner for OutlivedByWinner).
    event ChallengeSettled(uint64 indexed slot, uint256 indexed nonce, bytes32 indexed challengeId, address challenger);

    /// @notice `amount` of bond was credited to `account`, to be taken with withdrawBonds().
    /// @param account The account.
    /// @param amount The amount in wei.
    event BondCredited(address indexed account, uint256 amount);

    /// @notice `amount` of a slashed bond was burned: locked in this contract for good.
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    /// @param amount The amount in wei.
    event BondBurned(uint64 indexed slot, uint256 indexed nonce, uint256 amount);

    /// @notice `account` took `amount` of credited bonds.
    /// @param account The account.
    /// @param amount The amount in wei.
    event BondsWithdrawn(address indexed account, uint256 amount);

    /// @notice The owner of an Exited coin took its asset.
    /// @param slot The coin.
    /// @param owner The owner paid.
    event CoinWithdrawn(uint64 indexed slot, address indexed owner);

    // ---------------------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------------------

    /// @notice A deposit of zero value.
    error ZeroValueDeposit();
    /// @notice The derived slot is already a coin's.
    /// @param slot The coin.
    error SlotCollision(uint64 slot);
    /// @notice The interval before child block `nextChildBlock` has no deposit number left (999 used).
    /// @param nextChildBlock The next child block number.
    error DepositBlocksExhausted(uint256 nextChildBlock);
    /// @notice The contract received `received` of `token`, not the `expected` amount (fee-on-transfer).
    /// @param token The token contract.
    /// @param expected What the rule requires.
    /// @param received What the contract received.
    error TokenTransferMismatch(address token, uint256 expected, uint256 received);
    /// @notice `token` is an ERC-721 (ERC-165), refused as ERC-20.
    /// @param token The token contract.
    error NotAnErc20(address token);
    /// @notice NFT `tokenId` of `token` already backs a live coin.
    /// @param token The token contract.
    /// @param tokenId The NFT's token id.
    error NftAlreadyDeposited(address token, uint256 tokenId);
    /// @notice The contract does not hold NFT `tokenId` of `token`.
    /// @param token The token contract.
    /// @param tokenId The NFT's token id.
    error NftNotReceived(address token, uint256 tokenId);
    /// @notice `caller` is not the operator (or the constructor got the zero operator).
    /// @param caller msg.sender.
    error NotOperator(address caller);
    /// @notice submitBlock got `given`, the next child block is `expected`.
    /// @param given What was given.
    /// @param expected What the rule requires.
    error UnexpectedBlockNumber(uint256 given, uint256 expected);
    /// @notice submitBlock got a zero root.
    error ZeroRoot();
    /// @notice No coin has `slot`.
    /// @param slot The coin.
    error UnknownCoin(uint64 slot);
    /// @notice The coin `slot` is in `state`, which takes no exit (Exited).
    /// @param slot The coin.
    /// @param state The coin's state.
    error CoinNotDeposited(uint64 slot, CoinState state);
    /// @notice `sent` wei were sent, the bond is exactly `required`.
    /// @param sent msg.value.
    /// @param required The bond.
    error WrongBond(uint256 sent, uint256 required);
    /// @notice `caller` is not the coin's `depositor`.
    /// @param caller msg.sender.
    /// @param depositor The coin's depositor.
    error NotDepositor(address caller, address depositor);
    /// @notice A transaction of slot `given` where `expected` was required.
    /// @param expected What the rule requires.
    /// @param given What was given.
    error SlotMismatch(uint64 expected, uint64 given);
    /// @notice A transaction of coin `slot` with denomination `given`, not the coin's `expected`.
    /// @param slot The coin.
    /// @param expected What the rule requires.
    /// @param given What was given.
    error DenominationMismatch(uint64 slot, uint256 expected, uint256 given);
    /// @notice The parent block `parentBlock` is not before the exiting block `exitingBlock`.
    /// @param parentBlock The exit's parent block.
    /// @param exitingBlock The exiting transaction's block.
    error ParentNotBeforeExiting(uint256 parentBlock, uint256 exitingBlock);
    /// @notice Block `blockNumber` is before the coin's deposit block `depositBlock`.
    /// @param blockNumber The block of the transaction given.
    /// @param depositBlock The coin's deposit block.
    error BeforeDeposit(uint256 blockNumber, uint256 depositBlock);
    /// @notice At the deposit block `depositBlock` of `slot`, only the deposit transaction (empty proof) is accepted.
    /// @param slot The coin.
    /// @param depositBlock The coin's deposit block.
    error NotDepositTransaction(uint64 slot, uint256 depositBlock);
    /// @notice Child block `blockNumber` is not committed.
    /// @param blockNumber The block of the transaction given.
    error BlockNotCommitted(uint256 blockNumber);
    /// @notice The transaction is not at leaf `slot` of block `blockNumber`.
    /// @param slot The coin.
    /// @param blockNumber The block of the transaction given.
    error NotIncluded(uint64 slot, uint256 blockNumber);
    /// @notice The signature is `recovered`'s, not `expected`'s.
    /// @param expected What the rule requires.
    /// @param recovered The signer recovered.
    error WrongSigner(address expected, address recovered);
    /// @notice The transaction's prevBlock is `given`, the rule requires `expected`.
    /// @param expected What the rule requires.
    /// @param given What was given.
    error WrongPrevBlock(uint256 expected, uint256 given);
    /// @notice `caller` is not the exiting transaction's `newOwner`.
    /// @param caller msg.sender.
    /// @param newOwner The transaction's new owner.
    error NotNewOwner(address caller, address newOwner);
    /// @notice finalizeExit: the coin `slot` is not Exiting.
    /// @param slot The coin.
    error NoLiveExit(uint64 slot);
    /// @notice The spend at `blockNumber` is not after the exit block `exitBlock`.
    /// @param blockNumber The block of the transaction given.
    /// @param exitBlock The exit block.
    error NotAfterExit(uint256 blockNumber, uint256 exitBlock);
    /// @notice The spend at `blockNumber` is not strictly between `parentBlock` and `exitBlock`.
    /// @param blockNumber The block of the transaction given.
    /// @param parentBlock The exit's parent block.
    /// @param exitBlock The exit block.
    error NotBetween(uint256 blockNumber, uint256 parentBlock, uint256 exitBlock);
    /// @notice The claim at `blockNumber` is not before the exit's parent block `parentBlock`.
    /// @param blockNumber The block of the transaction given.
    /// @param parentBlock The exit's parent block.
    error NotBeforeParent(uint256 blockNumber, uint256 parentBlock);
    /// @notice The exit of `slot` is a deposit exit: only challengeAfter applies.
    /// @param slot The coin.
    error DepositExitHasNoParent(uint64 slot);
    /// @notice The exit already has challenge `challengeId`.
    /// @param challengeId The challenge (its claim's digest).
    error ChallengeExists(bytes32 challengeId);
    /// @notice Challenge `challengeId` is `status`, not Open.
    /// @param challengeId The challenge (its claim's digest).
    /// @param status The challenge's status.
    error ChallengeNotOpen(bytes32 challengeId, ChallengeStatus status);
    /// @notice The response at `blockNumber` is not in (claimBlock, parentBlock].
    /// @param blockNumber The block of the transaction given.
    /// @param claimBlock The claim's block.
    /// @param parentBlock The exit's parent block.
    error ResponseOutOfRange(uint256 blockNumber, uint256 claimBlock, uint256 parentBlock);
    /// @notice finalizeExit is early; `readyAt` is when it can run (finalization or cancellation).
    /// @param slot The coin.
    /// @param readyAt When finalizeExit can run.
    error ExitNotMatured(uint64 slot, uint256 readyAt);
    /// @notice Exit (slot, nonce) is still live: its challenges settle once it ended.
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    error ExitStillLive(uint64 slot, uint256 nonce);
    /// @notice The coin `slot` is `state`, not Exited.
    /// @param slot The coin.
    /// @param state The coin's state.
    error CoinNotExited(uint64 slot, CoinState state);
    /// @notice The coin `slot` was withdrawn.
    /// @param slot The coin.
    error AlreadyWithdrawn(uint64 slot);
    /// @notice `caller` is not the winner `owner` of the coin.
    /// @param caller msg.sender.
    /// @param owner The winner's exitor.
    error NotCoinOwner(address caller, address owner);
    /// @notice `caller` has no bonds credited.
    /// @param caller msg.sender.
    error NoBonds(address caller);
    /// @notice Sending `amount` wei to `to` failed.
    /// @param to The recipient.
    /// @param amount The amount in wei.
    error EthTransferFailed(address to, uint256 amount);
    /// @notice A live exit of `slot` already has exit block `exitBlock`: it is exit `nonce`.
    /// @param slot The coin.
    /// @param exitBlock The exit block.
    /// @param nonce The exit (its number among the coin's exits).
    error ExitBlockTaken(uint64 slot, uint256 exitBlock, uint256 nonce);
    /// @notice An exit of `slot` with exit block `exitBlock` was cancelled by challengeAfter or challengeBetween:
    /// that state is spent, and no one exits it again.
    /// @param slot The coin.
    /// @param exitBlock The exit block.
    error ExitBlockDead(uint64 slot, uint256 exitBlock);
    /// @notice No live exit of `slot` fits the evidence (§6's targeting of the unnamed forms).
    /// @param slot The coin.
    error NoFittingExit(uint64 slot);
    /// @notice Exit (slot, nonce) is not live, or is a loser of an Exited coin (no challenge or answer reaches
    /// those: settleExit alone cancels them, half the bond to the winner).
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    error ExitNotLive(uint64 slot, uint256 nonce);
    /// @notice settleExit: exit (slot, nonce) is not a live exit of a coin another exit of which won.
    /// @param slot The coin.
    /// @param nonce The exit (its number among the coin's exits).
    error NotLosingExit(uint64 slot, uint256 nonce);
    /// @notice challengeAfter, challengeBetween: the evidence's block is at or below the child block up to which
    /// a final checkpoint settled the exit's coin history (its binding, PROTOCOL.md §10); respondChallengeBefore:
    /// a claim at or below it is answered only by a child after it.
    /// @param blockNumber The evidence's (or response's) block.
    /// @param settledThrough The exit's binding.
    error SettledByCheckpoint(uint256 blockNumber, uint256 settledThrough);
    /// @notice Constructor: EXIT_BOND must be at least 2 wei and even (it is split in two halves).
    /// @param exitBond The EXIT_BOND given.
    error InvalidExitBond(uint256 exitBond);
    /// @notice Constructor: CHALLENGE_BOND must not be zero.
    error InvalidChallengeBond();
    /// @notice Constructor: RESPONSE_PERIOD must be neither zero nor longer than EXIT_PERIOD, and EXIT_PERIOD at
    /// most MAX_EXIT_PERIOD (ten years: now + EXIT_PERIOD must fit every exit's uint40 finalizableAt).
    /// @param exitPeriod The EXIT_PERIOD given.
    /// @param responsePeriod The RESPONSE_PERIOD given.
    error InvalidPeriods(uint256 exitPeriod, uint256 responsePeriod);

    // ---------------------------------------------------------------------------------------------------------
    // Deposits
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Deposits the ETH sent as one coin owned by the caller.
    /// @return slot The new coin's id: uint64(bytes8(keccak256(abi.encode(depositor, depositNonce)))).
    function deposit() external payable returns (uint64 slot);

    /// @notice Deposits `amount` of `token` (approved beforehand) as one coin. Fee-on-transfer tokens revert;
    /// rebasing tokens are not supported.
    /// @param token The ERC-20 token (not an ERC-721).
    /// @param amount The amount, the coin's denomination.
    /// @return slot The new coin's id.
    function depositERC20(address token, uint256 amount) external returns (uint64 slot);

    /// @notice Deposits NFT `tokenId` of `token` (approved beforehand) as one coin.
    /// @param token The ERC-721 token.
    /// @param tokenId The NFT.
    /// @return slot The new coin's id.
    function depositERC721(address token, uint256 tokenId) external returns (uint64 slot);

    /// @notice `safeTransferFrom` of an NFT to this contract deposits it as a coin owned by `from`.
    /// @param operator The token's caller (ignored).
    /// @param from The NFT's previous owner: the depositor.
    /// @param tokenId The NFT.
    /// @param data Ignored.
    /// @return The ERC-721 receiver selector.
    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4);

    // ---------------------------------------------------------------------------------------------------------
    // Child blocks
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Commits `root` as child block `blockNumber`, which must be exactly nextChildBlock(): a retried
    /// submission can neither commit twice nor overwrite. Operator only. Empty blocks use DefaultHashes.EMPTY_ROOT.
    /// @param root The block's sparse Merkle root (not zero).
    /// @param blockNumber The block's number.
    function submitBlock(bytes32 root, uint256 blockNumber) external;

    // ---------------------------------------------------------------------------------------------------------
    // The exit game
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The depositor exits its coin straight from the deposit, with EXIT_BOND (exact). Exit block = the
    /// deposit block, no parent: only challengeAfter applies. Allowed while the coin is Deposited or Exiting.
    /// @param slot The coin.
    function startDepositExit(uint64 slot) external payable;

    /// @notice Exits with the coin's last two transactions, with EXIT_BOND (exact): `exiting` (included at
    /// `exitingBlock`, signed by `parent.newOwner`, naming the caller) spends `parent` (included at `parentBlock`,
    /// or the deposit transaction with an empty proof when `parentBlock` is the deposit block). Allowed while the
    /// coin is Deposited or Exiting: the exit joins the coin's live exits, ordered by exit block (inserted from
    /// the lowest, so exits stacked above it never make this call costlier). The insertion walks past the live
    /// exits with a LOWER exit block only (about 5,500 gas each): for an honest owner those are former owners'
    /// exits (each cancellable by challengeAfter at a profit), so the walk is bounded by the coin's history and
    /// every exit in it cost its starter a bond; a watcher may cancel them first. Refused when a live exit has
    /// the same exit block (ExitBlockTaken) or that block is dead (ExitBlockDead).
    /// @param parent The transaction `exiting` spends.
    /// @param parentProof Inclusion proof of `parent` at `parentBlock` (empty for the deposit transaction).
    /// @param parentBlock The block of `parent`; must equal exiting.prevBlock.
    /// @param exiting The transaction that gives the coin to the caller.
    /// @param exitingSig The 65-byte signature of `exiting` by parent.newOwner.
    /// @param exitingProof Inclusion proof of `exiting` at `exitingBlock`.
    /// @param exitingBlock The block of `exiting`: the exit block.
    function startExit(
        Transaction calldata parent,
        bytes calldata parentProof,
        uint256 parentBlock,
        Transaction calldata exiting,
        bytes calldata exitingSig,
        bytes calldata exitingProof,
        uint256 exitingBlock
    ) external payable;

    /// @notice Cancels the live exit whose exit block is spend.prevBlock with a spend of the exited transaction:
    /// included after the exit block, signed by the exitor. The exit block is dead from then on. Half the exit
    /// bond goes to the caller, half is burned. Accepted until the exit ends (deadlines are inclusive) while the
    /// coin is Exiting: the losers of an Exited coin are settled by settleExit only (NoFittingExit). O(1).
    /// @param spend The spend of the exited transaction.
    /// @param sig The 65-byte signature of `spend` by the exitor.
    /// @param proof Inclusion proof of `spend` at `blockNumber`.
    /// @param blockNumber The child block that includes `spend`.
    function challengeAfter(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external;

    /// @notice Cancels, with a double spend of its parent, the first live exit (lowest exit block first) whose
    /// parent block is spend.prevBlock and whose exit block is after `blockNumber`: the spend is included strictly
    /// between the parent and exit blocks and signed by the parent's owner. The exit block is dead from then on.
    /// Only exits of a coin still Exiting. Walks the live list from its head: about 9,000 gas per live exit
    /// passed (an operator can stack forged exits at one bond each), so clients use challengeBetweenExit.
    /// @param spend The other spend of the exit's parent.
    /// @param sig The 65-byte signature of `spend` by the parent's owner.
    /// @param proof Inclusion proof of `spend` at `blockNumber`.
    /// @param blockNumber The child block that includes `spend`.
    function challengeBetween(Transaction calldata spend, bytes calldata sig, bytes calldata proof, uint256 blockNumber)
        external;

    /// @notice challengeBetween against the named exit (spend.slot, nonce) only: O(1), the form clients use.
    /// The exit must be live and its coin Exiting (ExitNotLive otherwise).
    /// @param nonce The exit challenged.
    /// @param spend The other spend of the exit's parent.
    /// @param sig The 65-byte signature of `spend` by the parent's owner.
    /// @param proof Inclusion proof of `spend` at `blockNumber`.
    /// @param blockNumber The child block that includes `spend`.
    function challengeBetweenExit(
        uint256 nonce,
        Transaction calldata spend,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) external;

    /// @notice With CHALLENGE_BOND (exact), claims that `claim.newOwner` (the owner after `claim`, included at
    /// `blockNumber`, or the deposit transaction) never spent the coin, against the first live exit (lowest exit
    /// block first) that has a parent after `blockNumber` and does not hold this claim yet: one claim reaches
    /// every exit it fits, one call each. Pushes that exit's finalization to at least now + RESPONSE_PERIOD.
    /// Accepted until the exit ends (at its finalizableAt too: deadlines are inclusive), on a coin still Exiting.
    /// Walks the live list from its head: about 9,000 gas per live exit passed (with one claim sent to n exits
    /// this way, 1 + 2 + ... + n), so clients use challengeBeforeExit.
    /// @param claim The transaction claimed unspent; the challenge's id is transactionDigest(claim).
    /// @param proof Inclusion proof of `claim` at `blockNumber` (empty for the deposit transaction).
    /// @param blockNumber The block of `claim`.
    function challengeBefore(Transaction calldata claim, bytes calldata proof, uint256 blockNumber) external payable;

    /// @notice challengeBefore against the named exit (claim.slot, nonce) only: O(1), the form clients use.
    /// The exit must be live and its coin Exiting (ExitNotLive otherwise).
    /// @param nonce The exit challenged.
    /// @param claim The transaction claimed unspent.
    /// @param proof Inclusion proof of `claim` at `blockNumber` (empty for the deposit transaction).
    /// @param blockNumber The block of `claim`.
    function challengeBeforeExit(uint256 nonce, Transaction calldata claim, bytes calldata proof, uint256 blockNumber)
        external
        payable;

    /// @notice Answers challenge `challengeId` of the first live exit (lowest exit block first) that holds it
    /// open, with the direct child of its claim: included after the claim's block and no later than the exit's
    /// parent block, signed by claim.newOwner, prevBlock = the claim's block. The challenger's bond goes to the
    /// exitor. Pushes finalization to at least now + RESPONSE_PERIOD. Accepted until the exit ends (inclusive),
    /// on a coin still Exiting. Answers the LOWEST exit holding the challenge; walks the live list from its head
    /// (about 9,000 gas per live exit passed), so clients use respondChallengeBeforeExit.
    /// @param challengeId The challenge answered (the claim's digest).
    /// @param response The direct child of the claim.
    /// @param sig The 65-byte signature of `response` by the claim's new owner.
    /// @param proof Inclusion proof of `response` at `blockNumber`.
    /// @param blockNumber The child block that includes `response`.
    function respondChallengeBefore(
        bytes32 challengeId,
        Transaction calldata response,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) external;

    /// @notice respondChallengeBefore for the named exit (response.slot, nonce) only: O(1), the form clients use.
    /// The exit must be live and its coin Exiting (ExitNotLive otherwise).
    /// @param nonce The exit whose challenge is answered.
    /// @param challengeId The challenge answered (the claim's digest).
    /// @param response The direct child of the claim.
    /// @param sig The 65-byte signature of `response` by the claim's new owner.
    /// @param proof Inclusion proof of `response` at `blockNumber`.
    /// @param blockNumber The child block that includes `response`.
    function respondChallengeBeforeExit(
        uint256 nonce,
        bytes32 challengeId,
        Transaction calldata response,
        bytes calldata sig,
        bytes calldata proof,
        uint256 blockNumber
    ) external;

    /// @notice Ends the coin's live exit with the lowest exit block (coin.headExit). With no challengeBefore
    /// open: from finalizableAt on (start + EXIT_PERIOD, pushed by every challengeBefore and response), the coin is
    /// Exited for its exitor, its bond is credited back, and every other live exit of the coin is left to
    /// settleExit. With one open: cancelled, the bond slashed to the oldest open challenger, as soon as the exit
    /// period is over and that challenge has stood unanswered for a full RESPONSE_PERIOD (extensions won by
    /// answering other challenges cannot delay it); the next live exit becomes the head. Deadlines are inclusive:
    /// at exactly the deadline, this call and a challenge or answer are all accepted and their order in the block
    /// decides. O(1) however many exits and challenges there are.
    /// @param slot The coin.
    function finalizeExit(uint64 slot) external;

    /// @notice Cancels exit (slot, nonce), a live exit of a coin that another exit won (reason OutlivedByWinner):
    /// half its bond is credited to the winner's exitor, half is burned. Anyone may call it; O(1). It is the only
    /// way such an exit ends: no challenge or answer reaches the losers of an Exited coin. Also after withdraw.
    /// @param slot The coin, Exited.
    /// @param nonce A live exit of it other than the winner.
    function settleExit(uint64 slot, uint256 nonce) external;

    /// @notice Pays the bond back to the challenger of a challenge left open when its exit ended.
    /// @dev The oldest open challenge of an exit cancelled by finalizeExit is settled there; this keeps it O(1).
    /// @param slot The coin.
    /// @param nonce The exit, no longer live.
    /// @param challengeId The challenge still open.
    function settleChallenge(uint64 slot, uint256 nonce, bytes32 challengeId) external;

    /// @notice The owner of an Exited coin (the winning exit's exitor) takes its asset, once.
    /// @param slot The coin.
    function withdraw(uint64 slot) external;

    /// @notice Pays the caller every bond credited to it.
    function withdrawBonds() external;

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The number the next child block must have.
    /// @return The next child block number.
    function nextChildBlock() external view returns (uint256);

    /// @notice The block number the next deposit gets.
    /// @return The next deposit block number.
    function nextDepositBlock() external view returns (uint256);

    /// @notice The root of child block `blockNumber`, zero when not committed (and for every deposit block).
    /// @param blockNumber The block.
    /// @return The root.
    function childBlockRoot(uint256 blockNumber) external view returns (bytes32);

    /// @notice The EIP-712 digest of `tx_`: what its owner signs and what the block's tree holds at its slot.
    /// @param tx_ The transaction.
    /// @return The digest.
    function transactionDigest(Transaction calldata tx_) external view returns (bytes32);

    /// @notice The coin `slot` (state None when there is none).
    /// @param slot The coin.
    /// @return The coin's record.
    function getCoin(uint64 slot) external view returns (Coin memory);

    /// @notice Exit (slot, nonce), with its neighbours in the live list (zero when not in it).
    /// @param slot The coin.
    /// @param nonce The exit, 1..coin.exitCount.
    /// @return The exit's record.
    function getExit(uint64 slot, uint256 nonce) external view returns (Exit memory);

    /// @notice Challenge `challengeId` of exit (slot, nonce).
    /// @param slot The coin.
    /// @param nonce The exit.
    /// @param challengeId The claim's digest.
    /// @return The challenge's record.
    function getChallenge(uint64 slot, uint256 nonce, bytes32 challengeId) external view returns (Challenge memory);

    /// @notice Whether exit block `exitBlock` of `slot` is dead: its record names a Cancelled exit, i.e. an exit
    /// of it was cancelled by challengeAfter or challengeBetween (no exit of it is accepted again), or, on an
    /// Exited coin, by settleExit (no exit of an Exited coin is accepted anyway). An exit cancelled by an
    /// unanswered challengeBefore frees its block (false).
    /// @param slot The coin.
    /// @param exitBlock The exit block.
    /// @return True when dead.
    function isExitBlockDead(uint64 slot, uint256 exitBlock) external view returns (bool);

    /// @notice The live exit of `slot` with exit block `exitBlock`.
    /// @param slot The coin.
    /// @param exitBlock The exit block.
    /// @return nonce Its nonce, 0 if none is live.
    function liveExitAt(uint64 slot, uint256 exitBlock) external view returns (uint256 nonce);

    /// @notice Bonds credited to `account` and not yet withdrawn.
    /// @param account The account.
    /// @return The amount in wei.
    function bondBalance(address account) external view returns (uint256);

    /// @notice The total of slashed bonds burned so far (held by this contract for good).
    /// @return The amount in wei.
    function burnedBonds() external view returns (uint256);
}
