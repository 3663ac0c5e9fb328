// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {FeeOnTransferERC20} from "./utils/Mocks.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";

/// @dev A "token" that calls the deposit hook for an NFT it never transfers, reporting a chosen owner.
contract FakeNftHook {
    address public owner;

    function setOwner(address owner_) external {
        owner = owner_;
    }

    function ownerOf(uint256) external view returns (address) {
        return owner;
    }

    function poke(IPlasmaCash plasma, address from, uint256 tokenId) external returns (bytes4) {
        return IERC721Receiver(address(plasma)).onERC721Received(address(this), from, tokenId, "");
    }
}

/// @dev Deposits shared by the three asset kinds: slot formula, numbering of deposit blocks, collisions.
abstract contract DepositTestBase is PlasmaCashTestBase {
    function _slotFor(address depositor, uint256 nonce) internal pure returns (uint64) {
        return uint64(bytes8(keccak256(abi.encode(depositor, nonce))));
    }

    function _assertCoin(
        uint64 slot,
        address depositor,
        uint256 depositBlock,
        IPlasmaCash.AssetKind kind,
        address token_,
        uint256 tokenId,
        uint256 denomination
    ) internal view {
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertEq(coin.depositor, depositor, "depositor");
        assertEq(coin.depositBlock, depositBlock, "depositBlock");
        assertEq(uint8(coin.kind), uint8(kind), "kind");
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Deposited), "state");
        assertFalse(coin.withdrawn, "withdrawn");
        assertEq(coin.exitCount, 0, "exitCount");
        assertEq(coin.token, token_, "token");
        assertEq(coin.denomination, denomination, "denomination");
        assertEq(coin.tokenId, tokenId, "tokenId");
    }
}

contract PlasmaCash_Deposit_Test is DepositTestBase {
    function test_Deposit_SlotFollowsFormula() public {
        uint64 expected = _slotFor(alice, 0);
        uint64 slot = _depositEth(alice, 1 ether);
        assertEq(slot, expected);
        // The nonce counts every deposit, whoever makes it.
        assertEq(_depositEth(bob, 1 ether), _slotFor(bob, 1));
        assertEq(_depositEth(alice, 1 ether), _slotFor(alice, 2));
        assertEq(plasma.depositNonce(), 3);
    }

    function test_Deposit_RecordsCoin() public {
        uint64 slot = _depositEth(alice, 1.5 ether);
        _assertCoin(slot, alice, 1, IPlasmaCash.AssetKind.ETH, address(0), 0, 1.5 ether);
        assertEq(address(plasma).balance, 1.5 ether);
        assertEq(alice.balance, 100 ether - 1.5 ether);
    }

    function test_Deposit_EmitsDeposit() public {
        uint64 slot = _slotFor(alice, 0);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.Deposit(slot, alice, 1, IPlasmaCash.AssetKind.ETH, address(0), 0, 2 ether);
        _depositEth(alice, 2 ether);
    }

    function test_Deposit_OneWeiIsEnough() public {
        uint64 slot = _depositEth(alice, 1);
        assertEq(plasma.getCoin(slot).denomination, 1);
    }

    function test_Deposit_NumbersDepositBlocksConsecutively() public {
        for (uint256 i = 1; i <= 5; i++) {
            assertEq(plasma.nextDepositBlock(), i);
            uint64 slot = _depositEth(alice, 1 ether);
            assertEq(_depositBlock(slot), i);
        }
        assertEq(plasma.nextDepositBlock(), 6);
        // A deposit block is no child block: no root.
        assertEq(plasma.childBlockRoot(1), bytes32(0));
    }

    function test_Deposit_NumbersAfterChildBlock() public {
        _depositEth(alice, 1 ether);
        _submitEmptyBlock();
        uint64 slot = _depositEth(alice, 1 ether);
        assertEq(_depositBlock(slot), 1001);
        slot = _depositEth(bob, 1 ether);
        assertEq(_depositBlock(slot), 1002);
        _submitEmptyBlock();
        slot = _depositEth(bob, 1 ether);
        assertEq(_depositBlock(slot), 2001);
    }

    function test_Deposit_DepositBlocksExhaustedAt1000th() public {
        for (uint256 i = 1; i <= 999; i++) {
            vm.prank(alice);
            plasma.deposit{value: 1}();
        }
        assertEq(plasma.nextDepositBlock(), 1000);
        assertEq(_depositBlock(_slotFor(alice, 998)), 999);

        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.DepositBlocksExhausted.selector, 1000));
        vm.prank(alice);
        plasma.deposit{value: 1}();

        // The next child block opens a new interval of deposit numbers.
        _submitEmptyBlock();
        uint64 slot = _depositEth(alice, 1);
        assertEq(_depositBlock(slot), 1001);
        assertEq(slot, _slotFor(alice, 999));
    }

    function test_RevertWhen_Deposit_ZeroValue() public {
        vm.expectRevert(IPlasmaCash.ZeroValueDeposit.selector);
        vm.prank(alice);
        plasma.deposit{value: 0}();
        assertEq(plasma.depositNonce(), 0);
    }

    function test_RevertWhen_Deposit_SlotCollision() public {
        // Collisions happen with probability 2^-64 per pair: forge one by writing a coin at the slot the next
        // deposit will get. The coin mapping's storage base is found from a real coin, not assumed.
        uint64 existing = _depositEth(alice, 1 ether);
        uint64 next = _slotFor(bob, 1);
        uint256 base = type(uint256).max;
        for (uint256 b = 0; b < 32; b++) {
            bytes32 word = vm.load(address(plasma), keccak256(abi.encode(uint256(existing), b)));
            if (address(uint160(uint256(word))) == alice) {
                base = b;
                break;
            }
        }
        assertTrue(base != type(uint256).max, "coin mapping not found");
        bytes32 firstWord = vm.load(address(plasma), keccak256(abi.encode(uint256(existing), base)));
        vm.store(address(plasma), keccak256(abi.encode(uint256(next), base)), firstWord);
        assertEq(uint8(plasma.getCoin(next).state), uint8(IPlasmaCash.CoinState.Deposited));

        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.SlotCollision.selector, next));
        vm.prank(bob);
        plasma.deposit{value: 1 ether}();
    }

    function test_RevertWhen_Deposit_PlainEthTransfer() public {
        vm.prank(alice);
        (bool ok,) = address(plasma).call{value: 1 ether}("");
        assertFalse(ok, "receive accepted ETH");
        vm.prank(alice);
        (ok,) = address(plasma).call{value: 1 ether}(hex"deadbeef");
        assertFalse(ok, "fallback accepted ETH");
        assertEq(address(plasma).balance, 0);
        assertEq(plasma.depositNonce(), 0);
    }

    function testFuzz_Deposit_SlotAndBlock(address depositor, uint256 amount, uint256 priorDeposits) public {
        vm.assume(depositor != address(0) && depositor.code.length == 0);
        assumeNotPrecompile(depositor);
        assumeNotForgeAddress(depositor);
        amount = bound(amount, 1, 1e30);
        priorDeposits = bound(priorDeposits, 0, 20);
        for (uint256 i = 0; i < priorDeposits; i++) {
            _depositEth(carol, 1);
        }
        vm.deal(depositor, amount);
        uint64 slot = _depositEth(depositor, amount);
        assertEq(slot, _slotFor(depositor, priorDeposits));
        _assertCoin(slot, depositor, priorDeposits + 1, IPlasmaCash.AssetKind.ETH, address(0), 0, amount);
    }
}

contract PlasmaCash_DepositERC20_Test is DepositTestBase {
    function test_DepositERC20_RecordsCoin() public {
        uint64 slot = _depositErc20(alice, 500e18);
        assertEq(slot, _slotFor(alice, 0));
        _assertCoin(slot, alice, 1, IPlasmaCash.AssetKind.ERC20, address(token), 0, 500e18);
        assertEq(token.balanceOf(address(plasma)), 500e18);
        assertEq(token.balanceOf(alice), 0);
    }

    function test_DepositERC20_EmitsDeposit() public {
        token.mint(alice, 7e18);
        vm.startPrank(alice);
        token.approve(address(plasma), 7e18);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.Deposit(_slotFor(alice, 0), alice, 1, IPlasmaCash.AssetKind.ERC20, address(token), 0, 7e18);
        plasma.depositERC20(address(token), 7e18);
        vm.stopPrank();
    }

    function test_DepositERC20_SharesNumberingWithOtherKinds() public {
        _depositEth(alice, 1 ether);
        uint64 slot = _depositErc20(bob, 1e18);
        assertEq(_depositBlock(slot), 2);
        assertEq(slot, _slotFor(bob, 1));
    }

    function test_RevertWhen_DepositERC20_ZeroAmount() public {
        vm.expectRevert(IPlasmaCash.ZeroValueDeposit.selector);
        vm.prank(alice);
        plasma.depositERC20(address(token), 0);
    }

    function test_RevertWhen_DepositERC20_FeeOnTransfer() public {
        FeeOnTransferERC20 fee = new FeeOnTransferERC20();
        fee.mint(alice, 100e18);
        vm.startPrank(alice);
        fee.approve(address(plasma), 100e18);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.TokenTransferMismatch.selector, address(fee), 100e18, 99e18)
        );
        plasma.depositERC20(address(fee), 100e18);
        vm.stopPrank();
        assertEq(fee.balanceOf(alice), 100e18);
        assertEq(plasma.depositNonce(), 0);
    }

    function test_RevertWhen_DepositERC20_NotApproved() public {
        token.mint(alice, 1e18);
        vm.prank(alice);
        vm.expectRevert(); // the token's own allowance error
        plasma.depositERC20(address(token), 1e18);
        assertEq(plasma.depositNonce(), 0);
    }

    function testFuzz_DepositERC20_Amount(uint256 amount) public {
        amount = bound(amount, 1, type(uint128).max);
        uint64 slot = _depositErc20(bob, amount);
        _assertCoin(slot, bob, 1, IPlasmaCash.AssetKind.ERC20, address(token), 0, amount);
        assertEq(token.balanceOf(address(plasma)), amount);
    }
}

contract PlasmaCash_DepositERC721_Test is DepositTestBase {
    function test_DepositERC721_RecordsCoin() public {
        uint64 slot = _depositErc721(alice, 42);
        assertEq(slot, _slotFor(alice, 0));
        _assertCoin(slot, alice, 1, IPlasmaCash.AssetKind.ERC721, address(nft), 42, 1);
        assertEq(nft.ownerOf(42), address(plasma));
        // Exactly one coin: the plain transferFrom does not also run the receiver hook.
        assertEq(plasma.depositNonce(), 1);
    }

    function test_DepositERC721_TokenIdZero() public {
        uint64 slot = _depositErc721(alice, 0);
        _assertCoin(slot, alice, 1, IPlasmaCash.AssetKind.ERC721, address(nft), 0, 1);
    }

    function test_DepositERC721_EmitsDeposit() public {
        nft.mint(alice, 7);
        vm.startPrank(alice);
        nft.approve(address(plasma), 7);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.Deposit(_slotFor(alice, 0), alice, 1, IPlasmaCash.AssetKind.ERC721, address(nft), 7, 1);
        plasma.depositERC721(address(nft), 7);
        vm.stopPrank();
    }

    function test_RevertWhen_DepositERC721_StrangerDepositsApprovedNft() public {
        nft.mint(alice, 7);
        vm.prank(alice);
        nft.approve(address(plasma), 7);
        // mallory front-runs alice's deposit: the transfer is from mallory, who does not own the token.
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721IncorrectOwner.selector, mallory, 7, alice));
        vm.prank(mallory);
        plasma.depositERC721(address(nft), 7);
        assertEq(nft.ownerOf(7), alice);
    }

    function test_RevertWhen_DepositERC721_NotApproved() public {
        nft.mint(alice, 7);
        vm.expectRevert(abi.encodeWithSelector(IERC721Errors.ERC721InsufficientApproval.selector, address(plasma), 7));
        vm.prank(alice);
        plasma.depositERC721(address(nft), 7);
    }
}

contract PlasmaCash_OnERC721Received_Test is DepositTestBase {
    function test_OnERC721Received_SafeTransferDeposits() public {
        nft.mint(alice, 9);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.Deposit(_slotFor(alice, 0), alice, 1, IPlasmaCash.AssetKind.ERC721, address(nft), 9, 1);
        vm.prank(alice);
        nft.safeTransferFrom(alice, address(plasma), 9);
        _assertCoin(_slotFor(alice, 0), alice, 1, IPlasmaCash.AssetKind.ERC721, address(nft), 9, 1);
        assertEq(nft.ownerOf(9), address(plasma));
        assertEq(plasma.depositNonce(), 1);
    }

    function test_OnERC721Received_DepositorIsFromNotOperator() public {
        nft.mint(alice, 9);
        vm.prank(alice);
        nft.setApprovalForAll(bob, true);
        vm.prank(bob);
        nft.safeTransferFrom(alice, address(plasma), 9, "data");
        assertEq(plasma.getCoin(_slotFor(alice, 0)).depositor, alice);
        assertEq(uint8(plasma.getCoin(_slotFor(bob, 0)).state), uint8(IPlasmaCash.CoinState.None));
    }

    function test_OnERC721Received_ReturnsSelectorWhenNftHeld() public {
        // The hook is what the token calls after a transfer: it mints the coin and answers the selector.
        nft.mint(address(plasma), 3);
        vm.prank(address(nft));
        bytes4 answer = plasma.onERC721Received(alice, alice, 3, "");
        assertEq(answer, IERC721Receiver.onERC721Received.selector);
        _assertCoin(_slotFor(alice, 0), alice, 1, IPlasmaCash.AssetKind.ERC721, address(nft), 3, 1);
    }

    function test_RevertWhen_OnERC721Received_NftNotReceived() public {
        // The real token contract calls the hook for an NFT alice still holds: no coin for nothing.
        nft.mint(alice, 5);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NftNotReceived.selector, address(nft), 5));
        vm.prank(address(nft));
        plasma.onERC721Received(alice, alice, 5, "");
        assertEq(plasma.depositNonce(), 0);
    }

    function test_RevertWhen_OnERC721Received_ContractCallsHookWithoutTransfer() public {
        FakeNftHook fake = new FakeNftHook();
        fake.setOwner(mallory);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NftNotReceived.selector, address(fake), 1));
        fake.poke(IPlasmaCash(address(plasma)), mallory, 1);
        assertEq(plasma.depositNonce(), 0);
    }

    function test_RevertWhen_OnERC721Received_NftAlreadyDeposited() public {
        _depositErc721(alice, 11);
        // A second hook call for the held token (a re-run of the hook, or a hook after depositERC721).
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NftAlreadyDeposited.selector, address(nft), 11));
        vm.prank(address(nft));
        plasma.onERC721Received(mallory, mallory, 11, "");
        assertEq(plasma.depositNonce(), 1);
    }

    function test_RevertWhen_OnERC721Received_SecondHookAfterSafeTransfer() public {
        nft.mint(alice, 12);
        vm.prank(alice);
        nft.safeTransferFrom(alice, address(plasma), 12);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NftAlreadyDeposited.selector, address(nft), 12));
        vm.prank(address(nft));
        plasma.onERC721Received(alice, alice, 12, "");
    }

    function test_RevertWhen_OnERC721Received_FromZero() public {
        // A mint straight to the contract has no depositor.
        nft.mint(address(plasma), 13);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotDepositor.selector, address(0), address(0)));
        vm.prank(address(nft));
        plasma.onERC721Received(address(this), address(0), 13, "");
    }
}

contract PlasmaCash_DepositERC20_WrongKind_Test is PlasmaCashTestBase {
    /// @dev ERC-721 shares transferFrom/balanceOf with ERC-20; without the ERC-165 check this NFT would be locked.
    function test_RevertWhen_DepositERC20_TokenIsAnNft() public {
        nft.mint(alice, 1);
        vm.startPrank(alice);
        nft.approve(address(plasma), 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotAnErc20.selector, address(nft)));
        plasma.depositERC20(address(nft), 1);
        vm.stopPrank();
        assertEq(nft.ownerOf(1), alice);
    }
}
