// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice The devnet's demo ERC-20: anyone may mint, so a newcomer can try ERC-20 coins at once.
contract DemoERC20 is ERC20("Demo Dollar", "DEMO") {
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice The devnet's demo ERC-721: anyone may mint any unused id.
contract DemoERC721 is ERC721("Demo Collectible", "DNFT") {
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}
