// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {Transaction} from "../Transaction.sol";
import {TransactionLib} from "../libraries/TransactionLib.sol";
import {SparseMerkle} from "../libraries/SparseMerkle.sol";
import {Signatures} from "../libraries/Signatures.sol";

/// @title ChildChain
/// @notice The coins and the blocks: minting coins in deposit blocks (§1, §2), committing child block roots,
/// and the checks that a transaction is in a coin's history (§3, §4). The exit game builds on these.
abstract contract ChildChain is IPlasmaCash, EIP712 {
    uint48 public constant CHILD_BLOCK_INTERVAL = 1000;

    address public immutable OPERATOR;

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
        AssetKind kind;
        uint256 denomination;
        uint256 tokenId;
    }

    BlockCounters internal _counters;
    mapping(uint256 blockNumber => bytes32 root) internal _childBlockRoots;
    mapping(uint64 slot => CoinRecord) internal _coins;

    constructor(address operator) EIP712("PlasmaCash", "1") {
        OPERATOR = operator;
        _counters = BlockCounters({
            nextChildBlock: CHILD_BLOCK_INTERVAL,
            nextDepositBlock: 1,
            depositNonce: 0,
            burnedBonds: 0
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Blocks
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function submitBlock(bytes32 root, uint256 blockNumber) external {
        if (msg.sender != OPERATOR) revert NotOperator(msg.sender);
        BlockCounters memory counters = _counters;
        if (blockNumber != counters.nextChildBlock) revert UnexpectedBlockNumber(blockNumber, counters.nextChildBlock);
        // A zero root would read as "not committed"; an empty block commits DefaultHashes.EMPTY_ROOT.
        if (root == bytes32(0)) revert ZeroRoot();

        _childBlockRoots[blockNumber] = root;
        _counters = BlockCounters({
            nextChildBlock: counters.nextChildBlock + CHILD_BLOCK_INTERVAL,
            nextDepositBlock: counters.nextChildBlock + 1,
            depositNonce: counters.depositNonce,
            burnedBonds: counters.burnedBonds
        });
        emit BlockSubmitted(blockNumber, root);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Coins
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Mints a coin in the next deposit block. The slot is derived from the depositor and the global
    /// deposit nonce, so nobody can choose it; a collision (2^-64 per pair) reverts rather than overwrite.
    function _mintCoin(address depositor, AssetKind kind, address token, uint256 tokenId, uint256 denomination)
        internal
        returns (uint64 slot)
    {
        if (denomination == 0) revert ZeroValueDeposit();
        BlockCounters memory counters = _counters;
        // Deposit blocks fill the gap between two child blocks; the 1000th deposit of an interval has no number.
        if (counters.nextDepositBlock == counters.nextChildBlock) revert DepositBlocksExhausted(counters.nextChildBlock);

        slot = uint64(bytes8(keccak256(abi.encode(depositor, uint256(counters.depositNonce)))));
        CoinRecord storage coin = _coins[slot];
        if (coin.stage != CoinStage.None) revert SlotCollision(slot);

        uint48 depositBlock = counters.nextDepositBlock;
        coin.depositor = depositor;
        // A coin's word 0 also holds its exit state; the deposit block is kept in 40 bits to make room.
        coin.depositBlock = SafeCast.toUint40(depositBlock);
        coin.stage = CoinStage.Deposited;
        // Word 1 (token, kind) stays zero for ETH, the kind whose value is zero.
        if (token != address(0)) {
            coin.token = token;
            coin.kind = kind;
        }
        coin.denomination = denomination;
        if (tokenId != 0) coin.tokenId = tokenId;

        _counters = BlockCounters({
            nextChildBlock: counters.nextChildBlock,
            nextDepositBlock: counters.nextDepositBlock + 1,
            depositNonce: counters.depositNonce + 1,
            burnedBonds: counters.burnedBonds
        });
        emit Deposit(slot, depositor, depositBlock, kind, token, tokenId, denomination);
    }

    /// @dev The coin, which must exist.
    function _existingCoin(uint64 slot) internal view returns (CoinRecord storage coin) {
        coin = _coins[slot];
        if (coin.stage == CoinStage.None) revert UnknownCoin(slot);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transactions in a coin's history
    // ---------------------------------------------------------------------------------------------------------

    function _digest(Transaction calldata tx_) internal view returns (bytes32) {
        return _hashTypedDataV4(TransactionLib.structHash(tx_));
    }

    /// @dev Reverts unless `tx_` is a transfer of `coin` (its slot and denomination) included in committed
    /// child block `blockNumber`. Returns its digest.
    function _requireIncluded(
        CoinRecord storage coin,
        uint64 slot,
        Transaction calldata tx_,
        bytes calldata proof,
        uint256 blockNumber
    ) internal view returns (bytes32 digest) {
        _requireOfCoin(coin, slot, tx_);
        bytes32 root = _childBlockRoots[blockNumber];
        if (root == bytes32(0)) revert BlockNotCommitted(blockNumber);
        digest = _digest(tx_);
        if (SparseMerkle.computeRoot(digest, slot, proof) != root) revert NotIncluded(slot, blockNumber);
    }

    /// @dev Reverts unless `tx_` is in `coin`'s history at `blockNumber`: the deposit transaction (empty proof)
    /// when `blockNumber` is the deposit block, otherwise included in a child block after the deposit. A
    /// transaction the operator put in a block before the coin existed is in no honest history. Returns its digest.
    function _requireInHistory(
        CoinRecord storage coin,
        uint64 slot,
        Transaction calldata tx_,
        bytes calldata proof,
        uint256 blockNumber
    ) internal view returns (bytes32 digest) {
        uint256 depositBlock = coin.depositBlock;
        if (blockNumber == depositBlock) {
            if (proof.length != 0 || !TransactionLib.isDepositOf(tx_, slot, coin.denomination, coin.depositor)) {
                revert NotDepositTransaction(slot, depositBlock);
            }
            return _digest(tx_);
        }
        if (blockNumber < depositBlock) revert BeforeDeposit(blockNumber, depositBlock);
        return _requireIncluded(coin, slot, tx_, proof, blockNumber);
    }

    /// @dev Reverts unless `tx_` moves coin `slot` with the coin's denomination.
    function _requireOfCoin(CoinRecord storage coin, uint64 slot, Transaction calldata tx_) internal view {
        if (tx_.slot != slot) revert SlotMismatch(slot, tx_.slot);
        uint256 denomination = coin.denomination;
        if (tx_.denomination != denomination) revert DenominationMismatch(slot, denomination, tx_.denomination);
    }

    /// @dev Reverts unless `signature` over `digest` is `expected`'s.
    function _requireSignedBy(bytes32 digest, bytes calldata signature, address expected) internal pure {
        address signer = Signatures.recover(digest, signature);
        if (signer != expected) revert WrongSigner(expected, signer);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function nextChildBlock() external view returns (uint256) {
        return _counters.nextChildBlock;
    }

    /// @inheritdoc IPlasmaCash
    function nextDepositBlock() external view returns (uint256) {
        return _counters.nextDepositBlock;
    }

    /// @notice Deposits made so far: the nonce the next deposit's slot is derived from.
    function depositNonce() external view returns (uint256) {
        return _counters.depositNonce;
    }

    /// @inheritdoc IPlasmaCash
    function childBlockRoot(uint256 blockNumber) external view returns (bytes32) {
        return _childBlockRoots[blockNumber];
    }

    /// @inheritdoc IPlasmaCash
    function transactionDigest(Transaction calldata tx_) external view returns (bytes32) {
        return _digest(tx_);
    }

    /// @inheritdoc IPlasmaCash
    function getCoin(uint64 slot) external view returns (Coin memory view_) {
        CoinRecord storage coin = _coins[slot];
        CoinStage stage = coin.stage;
        view_.depositor = coin.depositor;
        view_.depositBlock = coin.depositBlock;
        view_.state = _publicState(stage);
        view_.exitCount = coin.exitCount;
        view_.headExit = coin.headExit;
        view_.token = coin.token;
        view_.kind = coin.kind;
        view_.withdrawn = stage == CoinStage.Withdrawn;
        view_.denomination = coin.denomination;
        view_.tokenId = coin.tokenId;
    }

    /// @dev The CoinState a stage shows: a Withdrawn coin is Exited.
    function _publicState(CoinStage stage) internal pure returns (CoinState) {
        return stage == CoinStage.Withdrawn ? CoinState.Exited : CoinState(uint8(stage));
    }

    /// @notice The EIP-712 domain separator (name "PlasmaCash", version "1", this chain, this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}
