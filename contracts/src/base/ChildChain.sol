// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IPlasmaCash} from "../interfaces/IPlasmaCash.sol";
import {Transaction} from "../Transaction.sol";
import {ExitCore} from "./ExitCore.sol";

/// @title ChildChain
/// @notice The coins and the blocks: minting coins in deposit blocks (§1, §2), committing child block roots,
/// and the checks that a transaction is in a coin's history (§3, §4). The exit game builds on these.
abstract contract ChildChain is IPlasmaCash, ExitCore {
    constructor() {
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

    // ---------------------------------------------------------------------------------------------------------
    // Transactions in a coin's history
    // ---------------------------------------------------------------------------------------------------------

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

    /// @notice The EIP-712 domain separator (name "PlasmaCash", version "1", this chain, this contract).
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }
}
