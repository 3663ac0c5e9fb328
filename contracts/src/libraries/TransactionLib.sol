// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Transaction} from "../Transaction.sol";

/// @title TransactionLib
/// @notice EIP-712 struct hashing of transactions and the deposit transaction of a coin (PROTOCOL.md §4).
library TransactionLib {
    bytes32 internal constant TYPEHASH =
        keccak256("Transaction(uint64 slot,uint256 prevBlock,uint256 denomination,address newOwner)");

    /// @notice hashStruct(tx) of EIP-712; the contract turns it into the signed digest with its domain.
    function structHash(Transaction calldata tx_) internal pure returns (bytes32) {
        return keccak256(abi.encode(TYPEHASH, tx_.slot, tx_.prevBlock, tx_.denomination, tx_.newOwner));
    }

    /// @notice Whether `tx_` is exactly the virtual deposit transaction `(slot, 0, denomination, depositor)`.
    function isDepositOf(Transaction calldata tx_, uint64 slot, uint256 denomination, address depositor)
        internal
        pure
        returns (bool)
    {
        return tx_.slot == slot && tx_.prevBlock == 0 && tx_.denomination == denomination
            && tx_.newOwner == depositor;
    }
}
