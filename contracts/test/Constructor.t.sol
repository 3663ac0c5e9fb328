// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {PlasmaCash} from "../src/PlasmaCash.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";

/// @notice The constructor refuses parameters under which the exit game does not work (PROTOCOL.md §6).
contract PlasmaCash_Constructor_Test is Test {
    address internal operator = makeAddr("operator");

    function test_Constructor_SetsParameters() public {
        PlasmaCash plasma = new PlasmaCash(operator, 7 days, 1 days, 2, 1);
        assertEq(plasma.OPERATOR(), operator);
        assertEq(plasma.EXIT_PERIOD(), 7 days);
        assertEq(plasma.RESPONSE_PERIOD(), 1 days);
        assertEq(plasma.EXIT_BOND(), 2);
        assertEq(plasma.CHALLENGE_BOND(), 1);
    }

    function test_Constructor_ResponsePeriodMayEqualExitPeriod() public {
        PlasmaCash plasma = new PlasmaCash(operator, 1 days, 1 days, 0.1 ether, 0.1 ether);
        assertEq(plasma.RESPONSE_PERIOD(), plasma.EXIT_PERIOD());
    }

    function test_RevertWhen_Constructor_OperatorZero() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotOperator.selector, address(0)));
        new PlasmaCash(address(0), 7 days, 1 days, 0.1 ether, 0.1 ether);
    }

    function test_RevertWhen_Constructor_ExitBondZero() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.InvalidExitBond.selector, 0));
        new PlasmaCash(operator, 7 days, 1 days, 0, 0.1 ether);
    }

    function test_RevertWhen_Constructor_ExitBondOne() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.InvalidExitBond.selector, 1));
        new PlasmaCash(operator, 7 days, 1 days, 1, 0.1 ether);
    }

    function test_RevertWhen_Constructor_ExitBondOdd() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.InvalidExitBond.selector, 0.1 ether + 1));
        new PlasmaCash(operator, 7 days, 1 days, 0.1 ether + 1, 0.1 ether);
    }

    function test_RevertWhen_Constructor_ChallengeBondZero() public {
        vm.expectRevert(IPlasmaCash.InvalidChallengeBond.selector);
        new PlasmaCash(operator, 7 days, 1 days, 0.1 ether, 0);
    }

    function test_RevertWhen_Constructor_ResponsePeriodZero() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.InvalidPeriods.selector, 7 days, 0));
        new PlasmaCash(operator, 7 days, 0, 0.1 ether, 0.1 ether);
    }

    function test_RevertWhen_Constructor_ResponsePeriodLongerThanExitPeriod() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.InvalidPeriods.selector, 1 days, 1 days + 1));
        new PlasmaCash(operator, 1 days, 1 days + 1, 0.1 ether, 0.1 ether);
    }

    function test_Constructor_ExitPeriodMayBeTenYears() public {
        PlasmaCash plasma = new PlasmaCash(operator, 10 * 365 days, 1 days, 0.1 ether, 0.1 ether);
        assertEq(plasma.EXIT_PERIOD(), plasma.MAX_EXIT_PERIOD());
        // The longest period still opens exits: finalizableAt fits its uint40 (no SafeCast revert).
        address depositor = makeAddr("depositor");
        vm.deal(depositor, 1 ether);
        vm.startPrank(depositor);
        uint64 slot = plasma.deposit{value: 1}();
        plasma.startDepositExit{value: 0.1 ether}(slot);
        vm.stopPrank();
        assertEq(plasma.getExit(slot, 1).finalizableAt, vm.getBlockTimestamp() + 10 * 365 days);
    }

    /// @dev Near 2^40 seconds, now + EXIT_PERIOD would overflow finalizableAt's uint40 in every _openExit.
    function test_RevertWhen_Constructor_ExitPeriodLongerThanTenYears() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.InvalidPeriods.selector, 10 * 365 days + 1, 1 days));
        new PlasmaCash(operator, 10 * 365 days + 1, 1 days, 0.1 ether, 0.1 ether);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.InvalidPeriods.selector, uint256(1) << 40, 1 days));
        new PlasmaCash(operator, uint256(1) << 40, 1 days, 0.1 ether, 0.1 ether);
    }
}
