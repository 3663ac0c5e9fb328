// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Signatures
/// @notice Recovery of the 65-byte r‖s‖v transaction signatures of PROTOCOL.md §4, low-s only.
library Signatures {
    uint256 internal constant SIGNATURE_LENGTH = 65;

    /// @notice A signature must be exactly 65 bytes (r ‖ s ‖ v).
    error InvalidSignatureLength(uint256 length);
    /// @notice s is in the upper half of the curve order: a malleated copy of a valid signature.
    error InvalidSignatureS(bytes32 s);
    /// @notice ecrecover found no signer (bad v, or r/s not on the curve).
    error InvalidSignature();

    /// @notice The address that signed `digest`; reverts unless `signature` is a canonical 65-byte signature.
    function recover(bytes32 digest, bytes calldata signature) internal pure returns (address signer) {
        if (signature.length != SIGNATURE_LENGTH) revert InvalidSignatureLength(signature.length);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        (address recovered, ECDSA.RecoverError error_, bytes32 errorArg) = ECDSA.tryRecover(digest, v, r, s);
        if (error_ == ECDSA.RecoverError.InvalidSignatureS) revert InvalidSignatureS(errorArg);
        if (error_ != ECDSA.RecoverError.NoError) revert InvalidSignature();
        return recovered;
    }
}
