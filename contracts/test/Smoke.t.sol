// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

contract SmokeTest is PlasmaCashTestBase {
    function test_FullLifecycle() public {
        uint64 slot = _depositEth(alice, 1 ether);
        uint256 d = _depositBlock(slot);
        Transaction memory toBob = _tx(slot, d, bob);
        uint256 b1 = _submitBlock(toBob);
        Transaction memory toCarol = _tx(slot, b1, carol);
        uint256 b2 = _submitBlock(toCarol);
        // bob signs toCarol; carol exits with parent toBob
        _startExit(carol, toBob, b1, toCarol, bobKey, b2);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        uint256 before = carol.balance;
        vm.prank(carol);
        plasma.withdraw(slot);
        assertEq(carol.balance - before, 1 ether);
        vm.prank(carol);
        plasma.withdrawBonds();
        assertEq(carol.balance - before, 1.1 ether);
    }
}
