// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Signatures} from "../src/libraries/Signatures.sol";

/// @dev The library reads the signature from calldata, as PlasmaCash does: call it through an external function.
contract SignaturesHarness {
    function recover(bytes32 digest, bytes calldata signature) external pure returns (address) {
        return Signatures.recover(digest, signature);
    }
}

contract Signatures_Recover_Test is Test {
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    bytes32 internal constant DIGEST = keccak256("a transaction digest");

    SignaturesHarness internal harness;
    address internal signer;
    uint256 internal signerKey;

    function setUp() public {
        harness = new SignaturesHarness();
        (signer, signerKey) = makeAddrAndKey("signer");
    }

    function _sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function test_Signatures_RecoversSigner() public view {
        assertEq(harness.recover(DIGEST, _sig(signerKey, DIGEST)), signer);
    }

    function test_Signatures_OtherDigestRecoversOtherAddress() public view {
        bytes memory sig = _sig(signerKey, DIGEST);
        assertTrue(harness.recover(keccak256("another digest"), sig) != signer);
    }

    function testFuzz_Signatures_RecoversSigner(uint256 key, bytes32 digest) public view {
        key = bound(key, 1, N - 1);
        assertEq(harness.recover(digest, _sig(key, digest)), vm.addr(key));
    }

    function test_RevertWhen_Signatures_Length64() public {
        // The 64-byte compact form (EIP-2098) is a second encoding of the same signature: refused.
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerKey, DIGEST);
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, 64));
        harness.recover(DIGEST, abi.encodePacked(r, vs));
    }

    function test_RevertWhen_Signatures_Length66() public {
        bytes memory sig = bytes.concat(_sig(signerKey, DIGEST), bytes1(0));
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, 66));
        harness.recover(DIGEST, sig);
    }

    function test_RevertWhen_Signatures_Empty() public {
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, 0));
        harness.recover(DIGEST, "");
    }

    function testFuzz_RevertWhen_Signatures_WrongLength(uint256 length) public {
        length = bound(length, 0, 200);
        vm.assume(length != 65);
        bytes memory sig = new bytes(length);
        bytes memory valid = _sig(signerKey, DIGEST);
        for (uint256 i = 0; i < length && i < 65; i++) {
            sig[i] = valid[i];
        }
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureLength.selector, length));
        harness.recover(DIGEST, sig);
    }

    function test_RevertWhen_Signatures_HighS() public {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerKey, DIGEST);
        bytes32 highS = bytes32(N - uint256(s));
        uint8 flipped = v == 27 ? 28 : 27;
        // The malleated copy is a valid signature by the same key for the EVM's ecrecover.
        assertEq(ecrecover(DIGEST, flipped, r, highS), signer);
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureS.selector, highS));
        harness.recover(DIGEST, abi.encodePacked(r, highS, flipped));
    }

    function testFuzz_RevertWhen_Signatures_HighS(uint256 key, bytes32 digest) public {
        key = bound(key, 1, N - 1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        bytes32 highS = bytes32(N - uint256(s));
        assertGt(uint256(highS), HALF_N);
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureS.selector, highS));
        harness.recover(digest, abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27)));
    }

    function test_RevertWhen_Signatures_SJustAboveHalfOrder() public {
        (, bytes32 r,) = vm.sign(signerKey, DIGEST);
        bytes32 s = bytes32(HALF_N + 1);
        vm.expectRevert(abi.encodeWithSelector(Signatures.InvalidSignatureS.selector, s));
        harness.recover(DIGEST, abi.encodePacked(r, s, uint8(27)));
    }

    function test_RevertWhen_Signatures_VZeroOrOne() public {
        // Some wallets emit v as 0/1: not the canonical 27/28 of §4.
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerKey, DIGEST);
        vm.expectRevert(Signatures.InvalidSignature.selector);
        harness.recover(DIGEST, abi.encodePacked(r, s, v - 27));
    }

    function testFuzz_RevertWhen_Signatures_VNot27Or28(uint8 badV) public {
        vm.assume(badV != 27 && badV != 28);
        (, bytes32 r, bytes32 s) = vm.sign(signerKey, DIGEST);
        vm.expectRevert(Signatures.InvalidSignature.selector);
        harness.recover(DIGEST, abi.encodePacked(r, s, badV));
    }

    function test_RevertWhen_Signatures_RZero() public {
        (uint8 v,, bytes32 s) = vm.sign(signerKey, DIGEST);
        vm.expectRevert(Signatures.InvalidSignature.selector);
        harness.recover(DIGEST, abi.encodePacked(bytes32(0), s, v));
    }

    function test_RevertWhen_Signatures_SZero() public {
        (uint8 v, bytes32 r,) = vm.sign(signerKey, DIGEST);
        vm.expectRevert(Signatures.InvalidSignature.selector);
        harness.recover(DIGEST, abi.encodePacked(r, bytes32(0), v));
    }

    function test_RevertWhen_Signatures_AllZero() public {
        vm.expectRevert(Signatures.InvalidSignature.selector);
        harness.recover(DIGEST, new bytes(65));
    }
}
