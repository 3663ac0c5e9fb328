// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice A Plasma Cash transfer (PROTOCOL.md §4): moves the whole coin `slot` to `newOwner`.
/// @dev `prevBlock` is the block of the transaction it spends (the coin's deposit block for the first
/// transfer). The deposit itself is the virtual `Transaction(slot, 0, denomination, depositor)`.
struct Transaction {
    uint64 slot;
    uint256 prevBlock;
    uint256 denomination;
    address newOwner;
}
