// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";
import {PlasmaCash} from "../src/PlasmaCash.sol";
import {CheckpointGame} from "../src/CheckpointGame.sol";

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

contract PlasmaCash_Deploy_Test is PlasmaCashTestBase {
    /// @dev EIP-170: a runtime larger than 24,576 bytes cannot be deployed on Ethereum (forge's test EVM allows it).
    function test_Deploy_FitsCodeSizeLimit() public view {
        assertLe(address(plasma).code.length, 24_576);
    }

    /// @dev The CheckpointGame module deployed by the constructor fits too, and so does PlasmaCash's initcode
    /// (which carries the module's) under EIP-3860's 49,152 bytes.
    function test_Deploy_ModuleAndInitcodeFitLimits() public view {
        address module = PlasmaCashModule(address(plasma)).CHECKPOINTS();
        assertGt(module.code.length, 0);
        assertLe(module.code.length, 24_576);
        assertLe(type(PlasmaCash).creationCode.length + 5 * 32, 49_152);
    }

    function test_Deploy_ModuleRecordsParameters() public view {
        CheckpointGame module = CheckpointGame(PlasmaCashModule(address(plasma)).CHECKPOINTS());
        assertEq(module.OPERATOR(), operator);
        assertEq(module.EXIT_PERIOD(), EXIT_PERIOD);
        assertEq(module.RESPONSE_PERIOD(), RESPONSE_PERIOD);
        assertEq(module.EXIT_BOND(), EXIT_BOND);
        assertEq(module.CHALLENGE_BOND(), CHALLENGE_BOND);
        assertEq(module.SELF(), address(module));
    }

    function test_Deploy_RecordsParameters() public view {
        assertEq(plasma.OPERATOR(), operator);
        assertEq(plasma.EXIT_PERIOD(), EXIT_PERIOD);
        assertEq(plasma.RESPONSE_PERIOD(), RESPONSE_PERIOD);
        assertEq(plasma.EXIT_BOND(), EXIT_BOND);
        assertEq(plasma.CHALLENGE_BOND(), CHALLENGE_BOND);
        assertEq(plasma.nextChildBlock(), 1000);
        assertEq(plasma.nextDepositBlock(), 1);
    }

    function test_RevertWhen_Deploy_ZeroOperator() public {
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.NotOperator.selector, address(0)));
        new PlasmaCash(address(0), EXIT_PERIOD, RESPONSE_PERIOD, EXIT_BOND, CHALLENGE_BOND);
    }
}

interface PlasmaCashModule {
    function CHECKPOINTS() external view returns (address);
}
