// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "./utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../src/Transaction.sol";

/// @notice A thief whose exit rests on a history the operator forged opens challengeBefore against its own
/// exit with claims it can answer, and answers them at once: each answer pushes finalizableAt by a response
/// period and the challenge bond comes back to it as the exitor, so the extensions cost it only gas. The honest
/// owner's unanswerable challenge must still cancel the exit once the exit period is over and that challenge has
/// stood unanswered for a response period. (Found in review; before the fix the coin stayed locked for ever.)
contract PlasmaCash_SelfExtension_Test is PlasmaCashTestBase {
    address internal m2;
    uint256 internal m2Key;
    address internal m3;
    uint256 internal m3Key;

    uint64 internal slot;
    uint256 internal depositBlock;
    uint256[7] internal blocks; // blocks[i] holds txs[i] (i ≥ 1)
    Transaction[7] internal txs; // txs[0] is the deposit transaction
    Transaction internal exiting;
    uint256 internal exitingBlock;

    function setUp() public override {
        super.setUp();
        (m2, m2Key) = makeAddrAndKey("m2");
        (m3, m3Key) = makeAddrAndKey("m3");
        vm.deal(m3, 100 ether);

        // Honest: alice deposits, alice -> carol -> dave -> bob. bob holds the coin.
        slot = _depositEth(alice, 1 ether);
        depositBlock = _depositBlock(slot);
        txs[0] = _depositTx(slot);
        txs[1] = _tx(slot, depositBlock, carol);
        blocks[1] = _submitBlock(txs[1]);
        txs[2] = _tx(slot, blocks[1], dave);
        blocks[2] = _submitBlock(txs[2]);
        txs[3] = _tx(slot, blocks[2], bob);
        blocks[3] = _submitBlock(txs[3]);
        // Forged by the operator: bob -> mallory (bob never signed), then the thief's own keys move it on.
        txs[4] = _tx(slot, blocks[3], mallory);
        blocks[4] = _submitBlock(txs[4]);
        txs[5] = _tx(slot, blocks[4], m2);
        blocks[5] = _submitBlock(txs[5]);
        txs[6] = _tx(slot, blocks[5], m3);
        blocks[6] = _submitBlock(txs[6]);
        exiting = _tx(slot, blocks[6], m3);
        exitingBlock = _submitBlock(exiting);
        _startExit(m3, txs[6], blocks[6], exiting, m3Key, exitingBlock);
    }

    /// @dev mallory challenges the thief's exit with claim i; m3, the exitor, answers with txs[i + 1].
    function _selfExtend(uint256 i, uint256 signerKey) internal {
        uint256 claimBlock = i == 0 ? depositBlock : blocks[i];
        bytes32 id = _challengeBefore(mallory, txs[i], claimBlock);
        _respond(m3, id, txs[i + 1], signerKey, blocks[i + 1]);
    }

    function _exit() internal view returns (IPlasmaCash.Exit memory exit_) {
        (, exit_) = _currentExit(slot);
    }

    function test_Attack_SelfAnsweredChallengesCannotDelayCancellation() public {
        uint256 start = vm.getBlockTimestamp();
        bytes32 bobsChallenge = _challengeBefore(bob, txs[3], blocks[3]);

        // The thief extends again and again, each time just before the deadline.
        uint256[5] memory claims = [uint256(0), 1, 2, 4, 5];
        uint256[5] memory signers = [aliceKey, carolKey, daveKey, malloryKey, m2Key];
        for (uint256 k = 0; k < 2; k++) {
            vm.warp(_exit().finalizableAt - 1);
            _selfExtend(claims[k], signers[k]);
        }
        assertGt(_exit().finalizableAt, start + EXIT_PERIOD, "the extensions did push finalizableAt");

        // Yet the exit is cancelled at start + EXIT_PERIOD: bob's challenge has stood for longer than a response period.
        vm.warp(start + EXIT_PERIOD);
        uint256 bobBefore = plasma.bondBalance(bob);
        plasma.finalizeExit(slot);

        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Deposited));
        assertEq(uint8(_exit().status), uint8(IPlasmaCash.ExitStatus.Cancelled));
        assertEq(plasma.bondBalance(bob) - bobBefore, EXIT_BOND / 2 + CHALLENGE_BOND, "slash and own bond to bob");
        (uint256 nonce,) = _currentExit(slot);
        assertEq(uint8(plasma.getChallenge(slot, nonce, bobsChallenge).status), uint8(IPlasmaCash.ChallengeStatus.Settled));

        // bob exits with his own history and nobody can stop him.
        _startExit(bob, txs[2], blocks[2], txs[3], daveKey, blocks[3]);
        _warpPastExitPeriod();
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Exited));
        vm.prank(bob);
        plasma.withdraw(slot);
    }

    function test_RevertWhen_FinalizeExit_OldestOpenChallengeYoungerThanResponsePeriod() public {
        uint256 start = vm.getBlockTimestamp();
        // bob challenges late, after the exit period is nearly over: the exitor still gets its full response period.
        vm.warp(start + EXIT_PERIOD - 1 hours);
        uint256 openedAt = vm.getBlockTimestamp();
        _challengeBefore(bob, txs[3], blocks[3]);

        vm.warp(openedAt + RESPONSE_PERIOD - 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, openedAt + RESPONSE_PERIOD));
        plasma.finalizeExit(slot);

        vm.warp(openedAt + RESPONSE_PERIOD);
        plasma.finalizeExit(slot);
        assertEq(uint8(plasma.getCoin(slot).state), uint8(IPlasmaCash.CoinState.Deposited));
    }

    function test_RevertWhen_FinalizeExit_CancellationBeforeExitPeriod() public {
        uint256 start = vm.getBlockTimestamp();
        _challengeBefore(bob, txs[3], blocks[3]);
        // A day later the challenge is a response period old, but the exit period is not over.
        vm.warp(start + RESPONSE_PERIOD + 1);
        vm.expectRevert(abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, start + EXIT_PERIOD));
        plasma.finalizeExit(slot);
    }

    /// @dev Success still waits for every extension: a response that reveals an owner gives it a response period.
    function test_RevertWhen_FinalizeExit_SuccessBeforeExtension() public {
        uint256 start = vm.getBlockTimestamp();
        vm.warp(start + EXIT_PERIOD - 1);
        _selfExtend(0, aliceKey);
        vm.warp(start + EXIT_PERIOD);
        vm.expectRevert(
            abi.encodeWithSelector(IPlasmaCash.ExitNotMatured.selector, slot, start + EXIT_PERIOD - 1 + RESPONSE_PERIOD)
        );
        plasma.finalizeExit(slot);
    }
}
