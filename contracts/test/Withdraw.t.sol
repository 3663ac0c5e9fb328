// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {PlasmaCash} from "../src/PlasmaCash.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";
import {HookedERC20} from "./utils/Mocks.sol";

/// @dev A coin owner that is a contract: it can refuse ETH, or try to re-enter the contract while being paid.
contract WithdrawActor {
    PlasmaCash internal immutable plasma;
    bool public acceptEth = true;
    uint8 public reenterMode; // 0: none, 1: withdraw(reenterSlot), 2: withdrawBonds()
    uint64 public reenterSlot;
    bool public reentered;
    bytes public reentryError;

    constructor(PlasmaCash plasma_) {
        plasma = plasma_;
    }

    receive() external payable {
        if (!acceptEth) revert("rejects ETH");
        if (reenterMode != 0 && !reentered) {
            reentered = true;
            if (reenterMode == 1) {
                try plasma.withdraw(reenterSlot) {}
                catch (bytes memory e) {
                    reentryError = e;
                }
            } else {
                try plasma.withdrawBonds() {}
                catch (bytes memory e) {
                    reentryError = e;
                }
            }
        }
    }

    function setAcceptEth(bool accept) external {
        acceptEth = accept;
    }

    function setReenter(uint8 mode, uint64 slot) external {
        reenterMode = mode;
        reenterSlot = slot;
    }

    function deposit() external payable returns (uint64) {
        return plasma.deposit{value: msg.value}();
    }

    function startDepositExit(uint64 slot) external payable {
        plasma.startDepositExit{value: msg.value}(slot);
    }

    function withdraw(uint64 slot) external {
        plasma.withdraw(slot);
    }
}

contract PlasmaCash_Withdraw_Test is PlasmaCashTestBase {
    function _exitDeposit(address owner, uint64 slot) internal {
        _startDepositExit(owner, slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
    }

    function _actorWithExitedCoin(uint256 amount) internal returns (WithdrawActor actor, uint64 slot) {
        actor = new WithdrawActor(plasma);
        slot = actor.deposit{value: amount}();
        actor.startDepositExit{value: EXIT_BOND}(slot);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
    }

    function test_Withdraw_Eth() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _exitDeposit(alice, slot);
        uint256 before = alice.balance;
        vm.prank(alice);
        plasma.withdraw(slot);
        assertEq(alice.balance - before, 1 ether);
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        assertTrue(coin.withdrawn);
        assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Exited));
        // What stays is the exit bond, credited to alice and not yet pulled.
        assertEq(address(plasma).balance, EXIT_BOND);
        assertEq(plasma.bondBalance(alice), EXIT_BOND);
    }

    function test_Withdraw_EmitsCoinWithdrawn() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _exitDeposit(alice, slot);
        vm.expectEmit(address(plasma));
        emit IPlasmaCash.CoinWithdrawn(slot, alice);
        vm.prank(alice);
        plasma.withdraw(slot);
    }

    function test_Withdraw_Erc20() public {
        uint64 slot = _depositErc20(alice, 300e18);
        _depositErc20(bob, 50e18); // another coin of the same token stays
        _exitDeposit(alice, slot);
        vm.prank(alice);
        plasma.withdraw(slot);
        assertEq(token.balanceOf(alice), 300e18);
        assertEq(token.balanceOf(address(plasma)), 50e18);
        assertTrue(plasma.getCoin(slot).withdrawn);
    }

    function test_Withdraw_Erc721() public {
        uint64 slot = _depositErc721(alice, 21);
        _exitDeposit(alice, slot);
        vm.prank(alice);
        plasma.withdraw(slot);
        assertEq(nft.ownerOf(21), alice);
        assertTrue(plasma.getCoin(slot).withdrawn);
    }

    function test_Withdraw_Erc721CanBeDepositedAgain() public {
        uint64 slot = _depositErc721(alice, 21);
        _exitDeposit(alice, slot);
        vm.prank(alice);
        plasma.withdraw(slot);
        // The NFT is no longer held for a live coin: it can back a new one.
        vm.startPrank(alice);
        nft.approve(address(plasma), 21);
        uint64 again = plasma.depositERC721(address(nft), 21);
        vm.stopPrank();
        assertTrue(again != slot);
        assertEq(plasma.getCoin(again).tokenId, 21);
        assertEq(nft.ownerOf(21), address(plasma));
    }

    function test_Withdraw_ByExitorOfTransferredCoin() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        // The depositor is not the owner any more.
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotCoinOwner.selector, alice, carol));
        vm.prank(alice);
        plasma.withdraw(slot);

        uint256 before = carol.balance;
        vm.prank(carol);
        plasma.withdraw(slot);
        assertEq(carol.balance - before, 1 ether);
    }

    function test_RevertWhen_Withdraw_Twice() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _depositEth(bob, 1 ether); // ETH another withdrawal could steal
        _exitDeposit(alice, slot);
        vm.prank(alice);
        plasma.withdraw(slot);
        uint256 before = alice.balance;
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.AlreadyWithdrawn.selector, slot));
        vm.prank(alice);
        plasma.withdraw(slot);
        assertEq(alice.balance, before);
        assertEq(address(plasma).balance, 1 ether + EXIT_BOND);
    }

    function test_RevertWhen_Withdraw_CoinDeposited() public {
        uint64 slot = _depositEth(alice, 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotExited.selector, slot, IPlasmaCash.CoinState.Deposited)
        );
        vm.prank(alice);
        plasma.withdraw(slot);
    }

    function test_RevertWhen_Withdraw_CoinExiting() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _startDepositExit(alice, slot);
        // Matured but not finalized: still Exiting.
        _warpPastExitPeriod();
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotExited.selector, slot, IPlasmaCash.CoinState.Exiting)
        );
        vm.prank(alice);
        plasma.withdraw(slot);
    }

    function test_RevertWhen_Withdraw_ExitCancelled() public {
        uint64 slot = _depositEth(alice, 1 ether);
        Transaction memory toBob = _tx(slot, _depositBlock(slot), bob);
        uint256 b1 = _submitBlock(toBob);
        _startDepositExit(alice, slot);
        _challengeAfter(bob, toBob, aliceKey, b1);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.CoinNotExited.selector, slot, IPlasmaCash.CoinState.Deposited)
        );
        vm.prank(alice);
        plasma.withdraw(slot);
    }

    function test_RevertWhen_Withdraw_UnknownCoin() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.UnknownCoin.selector, uint64(1234)));
        vm.prank(alice);
        plasma.withdraw(1234);
    }

    function test_RevertWhen_Withdraw_NotCoinOwner() public {
        uint64 slot = _depositEth(alice, 1 ether);
        _exitDeposit(alice, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotCoinOwner.selector, mallory, alice));
        vm.prank(mallory);
        plasma.withdraw(slot);
        assertFalse(plasma.getCoin(slot).withdrawn);
    }

    function testFuzz_RevertWhen_Withdraw_NotCoinOwner(address caller) public {
        vm.assume(caller != alice);
        uint64 slot = _depositEth(alice, 1 ether);
        _exitDeposit(alice, slot);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotCoinOwner.selector, caller, alice));
        vm.prank(caller);
        plasma.withdraw(slot);
    }

    function test_RevertWhen_Withdraw_RecipientRejectsEth() public {
        (WithdrawActor actor, uint64 slot) = _actorWithExitedCoin(1 ether);
        actor.setAcceptEth(false);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.EthTransferFailed.selector, address(actor), 1 ether));
        actor.withdraw(slot);
        // Nothing changed: the owner can take the coin once it accepts ETH.
        assertFalse(plasma.getCoin(slot).withdrawn);
        actor.setAcceptEth(true);
        actor.withdraw(slot);
        assertEq(address(actor).balance, 1 ether);
        assertTrue(plasma.getCoin(slot).withdrawn);
    }

    function test_Withdraw_ReentrantRecipientPaidOnce() public {
        _depositEth(bob, 5 ether); // ETH a second payout could take
        (WithdrawActor actor, uint64 slot) = _actorWithExitedCoin(1 ether);
        actor.setReenter(1, slot);
        actor.withdraw(slot);
        assertTrue(actor.reentered());
        assertEq(bytes4(actor.reentryError()), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        assertEq(address(actor).balance, 1 ether);
        assertEq(address(plasma).balance, 5 ether + EXIT_BOND);
    }

    function test_Withdraw_ReentryIntoWithdrawBondsBlocked() public {
        (WithdrawActor actor, uint64 slot) = _actorWithExitedCoin(1 ether);
        actor.setReenter(2, slot);
        actor.withdraw(slot);
        assertEq(bytes4(actor.reentryError()), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        assertEq(address(actor).balance, 1 ether);
        assertEq(plasma.bondBalance(address(actor)), EXIT_BOND);
    }
}

/// @notice A token that calls back into PlasmaCash on transfer (ERC-777 style) cannot re-enter deposit or withdraw.
contract PlasmaCash_Reentrancy_Test is PlasmaCashTestBase {
    HookedERC20 internal hooked;

    function setUp() public override {
        super.setUp();
        hooked = new HookedERC20();
    }

    function _assertReentryRefused() internal view {
        assertTrue(hooked.hookCalled(), "hook ran");
        assertFalse(hooked.hookSucceeded(), "re-entry succeeded");
        assertEq(bytes4(hooked.hookReturnData()), ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
    }

    function test_DepositERC20_ReentryFromTokenHookIsRefused() public {
        hooked.mint(alice, 10);
        vm.prank(alice);
        hooked.approve(address(plasma), 10);
        hooked.setHook(address(plasma), abi.encodeCall(plasma.depositERC20, (address(hooked), 5)));
        vm.prank(alice);
        uint64 slot = plasma.depositERC20(address(hooked), 5);
        _assertReentryRefused();
        assertEq(plasma.depositNonce(), 1, "one coin");
        assertEq(plasma.getCoin(slot).denomination, 5);
        assertEq(hooked.balanceOf(address(plasma)), 5);
    }

    function test_Withdraw_ReentryFromTokenHookIsRefused() public {
        hooked.mint(alice, 10);
        vm.startPrank(alice);
        hooked.approve(address(plasma), 10);
        uint64 slot = plasma.depositERC20(address(hooked), 10);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
        vm.stopPrank();
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);

        hooked.setHook(address(plasma), abi.encodeCall(plasma.withdraw, (slot)));
        vm.prank(alice);
        plasma.withdraw(slot);
        _assertReentryRefused();
        assertEq(hooked.balanceOf(alice), 10, "paid once");
        assertEq(hooked.balanceOf(address(plasma)), 0);
    }
}
