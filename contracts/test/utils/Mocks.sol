// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice A plain ERC-20 anyone can mint, for tests.
contract MockERC20 is ERC20("Mock Token", "MOCK") {
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice An ERC-20 that keeps 1% of every transfer: deposits of it must revert.
contract FeeOnTransferERC20 is ERC20("Fee Token", "FEE") {
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}

/// @notice A plain ERC-721 anyone can mint, for tests.
contract MockERC721 is ERC721("Mock NFT", "MNFT") {
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}

/// @notice An ERC-20 with an ERC-777-style hook: on its next transfer or transferFrom it first calls `hookTarget`
/// with `hookData` (once) and records the outcome, as a token that calls back into PlasmaCash would.
contract HookedERC20 is ERC20("Hooked Token", "HOOK") {
    address public hookTarget;
    bytes public hookData;
    bool public hookCalled;
    bool public hookSucceeded;
    bytes public hookReturnData;

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    function _update(address from, address to, uint256 value) internal override {
        address target = hookTarget;
        if (target != address(0) && from != address(0) && to != address(0)) {
            hookTarget = address(0);
            hookCalled = true;
            (hookSucceeded, hookReturnData) = target.call(hookData);
        }
        super._update(from, to, value);
    }
}
