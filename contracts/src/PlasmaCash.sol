// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {ERC165Checker} from "@openzeppelin/contracts/utils/introspection/ERC165Checker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ExitCore} from "./base/ExitCore.sol";
import {ExitGame} from "./base/ExitGame.sol";
import {IPlasmaCash} from "./interfaces/IPlasmaCash.sol";
import {CheckpointGame} from "./CheckpointGame.sol";

/// @title PlasmaCash
/// @notice The root-chain contract: takes assets in as coins, pays them out to the winners of the exit game.
/// @dev The rules live in ChildChain (coins, blocks, inclusion) and ExitGame (§6); this contract only moves
/// assets. Every payout is pulled by its recipient, after its state change (checks-effects-interactions).
contract PlasmaCash is ExitGame, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The CheckpointGame module deployed by the constructor (same parameters); reached through fallback.
    address public immutable CHECKPOINTS;

    constructor(address operator, uint256 exitPeriod, uint256 responsePeriod, uint256 exitBond, uint256 challengeBond)
        ExitCore(operator, exitPeriod, responsePeriod, exitBond, challengeBond)
    {
        if (operator == address(0)) revert NotOperator(address(0));
        CHECKPOINTS = address(new CheckpointGame(operator, exitPeriod, responsePeriod, exitBond, challengeBond));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Checkpoints (PROTOCOL.md §10)
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Every call this contract does not define (the ICheckpoints calls) runs in the CHECKPOINTS module
    /// by delegatecall, on this contract's storage; its result or revert is returned as is. There is no receive:
    /// plain ether reaches the module, which has no such call, and reverts.
    fallback() external payable {
        address module = CHECKPOINTS;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let success := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(success) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Deposits
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function deposit() external payable returns (uint64 slot) {
        return _mintCoin(msg.sender, AssetKind.ETH, address(0), 0, msg.value);
    }

    /// @inheritdoc IPlasmaCash
    function depositERC20(address token, uint256 amount) external nonReentrant returns (uint64 slot) {
        if (amount == 0) revert ZeroValueDeposit();
        // ERC-721 shares transferFrom and balanceOf with ERC-20: an NFT "deposited" here would be locked for good.
        if (ERC165Checker.supportsInterface(token, type(IERC721).interfaceId)) revert NotAnErc20(token);
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        // A coin's denomination must be exactly what the contract holds for it, or a later withdrawal fails.
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TokenTransferMismatch(token, amount, received);
        return _mintCoin(msg.sender, AssetKind.ERC20, token, 0, amount);
    }

    /// @inheritdoc IPlasmaCash
    function depositERC721(address token, uint256 tokenId) external nonReentrant returns (uint64 slot) {
        // transferFrom, not safeTransferFrom: the receiver hook would mint a second coin for the same NFT.
        IERC721(token).transferFrom(msg.sender, address(this), tokenId);
        return _mintNftCoin(msg.sender, token, tokenId);
    }

    /// @inheritdoc IPlasmaCash
    function onERC721Received(address, address from, uint256 tokenId, bytes calldata)
        external
        nonReentrant
        returns (bytes4)
    {
        // msg.sender is the token contract; the NFT has already been transferred when the hook runs.
        _mintNftCoin(from, msg.sender, tokenId);
        return IERC721Receiver.onERC721Received.selector;
    }

    /// @dev Mints the one coin of an NFT this contract now holds. A contract that merely calls the hook
    /// without transferring mints nothing.
    function _mintNftCoin(address depositor, address token, uint256 tokenId) internal returns (uint64 slot) {
        if (depositor == address(0)) revert NotDepositor(address(0), address(0));
        if (IERC721(token).ownerOf(tokenId) != address(this)) revert NftNotReceived(token, tokenId);
        if (_nftHeld[token][tokenId]) revert NftAlreadyDeposited(token, tokenId);
        _nftHeld[token][tokenId] = true;
        return _mintCoin(depositor, AssetKind.ERC721, token, tokenId, 1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Payouts
    // ---------------------------------------------------------------------------------------------------------

    /// @inheritdoc IPlasmaCash
    function withdraw(uint64 slot) external nonReentrant {
        CoinRecord storage coin = _existingCoin(slot);
        CoinStage stage = coin.stage;
        if (stage == CoinStage.Withdrawn) revert AlreadyWithdrawn(slot);
        if (stage != CoinStage.Exited) revert CoinNotExited(slot, _publicState(stage));
        // The winner: finalizeExit leaves headExit at the exit it finalized.
        address owner = _exits[slot][coin.headExit].exitor;
        if (msg.sender != owner) revert NotCoinOwner(msg.sender, owner);

        coin.stage = CoinStage.Withdrawn;
        emit CoinWithdrawn(slot, owner);

        AssetKind kind = coin.kind;
        if (kind == AssetKind.ETH) {
            _sendEth(owner, coin.denomination);
        } else if (kind == AssetKind.ERC20) {
            IERC20(coin.token).safeTransfer(owner, coin.denomination);
        } else {
            address token = coin.token;
            uint256 tokenId = coin.tokenId;
            delete _nftHeld[token][tokenId];
            IERC721(token).transferFrom(address(this), owner, tokenId);
        }
    }

    /// @inheritdoc IPlasmaCash
    function withdrawBonds() external nonReentrant {
        uint256 amount = _bondBalances[msg.sender];
        if (amount == 0) revert NoBonds(msg.sender);
        delete _bondBalances[msg.sender];
        emit BondsWithdrawn(msg.sender, amount);
        _sendEth(msg.sender, amount);
    }

    function _sendEth(address to, uint256 amount) internal {
        (bool success,) = to.call{value: amount}("");
        if (!success) revert EthTransferFailed(to, amount);
    }
}
