// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPlasmaCash} from "../../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../../src/Transaction.sol";
import {MockERC20, MockERC721} from "../../utils/Mocks.sol";
import {Ghost, Entry} from "./Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice The depositor: mints coins of every kind (ETH, ERC-20, ERC-721 by depositERC721 and by
/// safeTransferFrom) for any of the owners, who then hold them in the ghost's honest history.
contract DepositorHandler is HandlerBase {
    /// @dev Enough coins for every path, few enough that the invariants stay cheap to check after each call.
    uint256 public constant MAX_COINS = 8;

    uint256 internal _nextTokenId = 1;

    constructor(Ghost ghost_) HandlerBase(ghost_) {}

    function depositEth(uint256 actorSeed, uint256 amount) external {
        if (ghost.coinCount() >= MAX_COINS) return;
        address depositor = ghost.ownerAt(actorSeed);
        amount = _bound(amount, 1, 10 ether);
        _fund(depositor, amount);
        vm.prank(depositor);
        uint64 slot = plasma.deposit{value: amount}();
        _record(slot, depositor, IPlasmaCash.AssetKind.ETH, amount, 0);
    }

    /// @notice An ERC-20 deposit, an ERC-721 deposit by depositERC721, or one by safeTransferFrom.
    function depositToken(uint256 actorSeed, uint256 amount, uint256 kindSeed) external {
        if (ghost.coinCount() >= MAX_COINS) return;
        address depositor = ghost.ownerAt(actorSeed);
        uint256 kind = kindSeed % 3;
        if (kind == 0) _depositErc20(depositor, _bound(amount, 1, 1e24));
        else if (kind == 1) _depositErc721(depositor);
        else _safeTransferErc721(depositor);
    }

    function _depositErc20(address depositor, uint256 amount) internal {
        MockERC20 token = ghost.token();
        token.mint(depositor, amount);
        vm.prank(depositor);
        token.approve(address(plasma), amount);
        vm.prank(depositor);
        uint64 slot = plasma.depositERC20(address(token), amount);
        _record(slot, depositor, IPlasmaCash.AssetKind.ERC20, amount, 0);
    }

    function _depositErc721(address depositor) internal {
        uint256 tokenId = _nextTokenId++;
        MockERC721 nft = ghost.nft();
        nft.mint(depositor, tokenId);
        vm.prank(depositor);
        nft.approve(address(plasma), tokenId);
        vm.prank(depositor);
        uint64 slot = plasma.depositERC721(address(nft), tokenId);
        _record(slot, depositor, IPlasmaCash.AssetKind.ERC721, 1, tokenId);
    }

    /// @dev The receiver hook mints the coin; its slot follows from the depositor and the deposit nonce.
    function _safeTransferErc721(address depositor) internal {
        uint256 tokenId = _nextTokenId++;
        MockERC721 nft = ghost.nft();
        nft.mint(depositor, tokenId);
        uint64 slot = uint64(bytes8(keccak256(abi.encode(depositor, plasma.depositNonce()))));
        vm.prank(depositor);
        nft.safeTransferFrom(depositor, address(plasma), tokenId);
        _record(slot, depositor, IPlasmaCash.AssetKind.ERC721, 1, tokenId);
    }

    function _record(uint64 slot, address depositor, IPlasmaCash.AssetKind kind, uint256 denomination, uint256 tokenId)
        internal
    {
        Entry memory deposit = Entry({
            blockNumber: plasma.getCoin(slot).depositBlock,
            tx_: Transaction({slot: slot, prevBlock: 0, denomination: denomination, newOwner: depositor}),
            sig: ""
        });
        ghost.addCoin(slot, kind, denomination, tokenId, deposit);
        ghost.count("deposit");
    }
}
