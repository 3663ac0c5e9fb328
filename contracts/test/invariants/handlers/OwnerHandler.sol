// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPlasmaCash} from "../../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../../src/Transaction.sol";
import {Ghost, Entry, ChallengeRef} from "./Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice The coin owners (alice, bob, carol and mallory): sign transfers for the operator's next block, exit
/// their coins from their latest transaction, finalize matured exits, withdraw exited coins and their bonds.
/// Mallory also cheats wherever her position allows: she exits coins she has already given away (a spent coin),
/// exits her double spends and her forged histories, answers challenges of those exits with public
/// transactions, and tries to withdraw coins that are not hers.
/// @dev The honest actions are promises of the protocol: when one reverts, the ghost records a failure.
contract OwnerHandler is HandlerBase {
    constructor(Ghost ghost_) HandlerBase(ghost_) {}

    // ---------------------------------------------------------------------------------------------------------
    // Honest owners
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The honest owners of one to four coins each sign a transfer of it to an owner; the operator
    /// includes them in its next block. (Several per call, so that coins build long histories.)
    function transfer(uint256 coinSeed, uint256 toSeed) external {
        uint256 transfers = 1 + toSeed % 4;
        for (uint256 t = 0; t < transfers; t++) {
            (bool found, uint64 slot) = _pick(coinSeed % 1024 + t * 7, _transferable);
            if (!found) return;
            Entry memory last = ghost.lastEntry(slot);
            Transaction memory tx_ = Transaction({
                slot: slot,
                prevBlock: last.blockNumber,
                denomination: last.tx_.denomination,
                newOwner: ghost.ownerAt(toSeed / 4 + t)
            });
            ghost.setPending(slot, tx_, _sign(last.tx_.newOwner, tx_));
            ghost.count("transfer.signed");
        }
    }

    /// @notice The honest owner exits from its latest transaction (a deposit exit when it is the depositor).
    /// Owners of frozen coins and of coins with some history go first, so that histories grow before exits.
    function startExit(uint256 coinSeed) external {
        (bool found, uint64 slot) = _pick(coinSeed / 4, coinSeed % 4 == 0 ? _exitable : _exitableSoon);
        if (found) _startHonestExit(slot);
    }

    function finalizeExit(uint256 coinSeed) external {
        (bool found, uint64 slot) = _pick(coinSeed, _matured);
        if (found) _finalize(slot);
    }

    /// @notice The winner of an exit withdraws the coin; when no coin waits, an owner withdraws its bonds.
    function withdraw(uint256 coinSeed) external {
        (bool found, uint64 slot) = _pick(coinSeed, _withdrawable);
        if (found) return _withdraw(slot);
        uint256 n = ghost.ownerCount();
        for (uint256 i = 0; i < n; i++) {
            address account = ghost.ownerAt(coinSeed % n + i);
            if (plasma.bondBalance(account) != 0) return _withdrawBonds(account);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Mallory
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Mallory cheats: a cheating exit, an answer to the challenges of her cheating exit, or the
    /// withdrawal of a coin that is not hers.
    /// (The first of the three, from a fuzzed start, that the state allows.)
    function cheat(uint256 coinSeed, uint256 kindSeed) external {
        for (uint256 i = 0; i < 3; i++) {
            uint256 action = (kindSeed % 3 + i) % 3;
            bool acted = action == 0
                ? _cheatExit(coinSeed, kindSeed / 3)
                : action == 1 ? _cheatRespond(coinSeed) : _cheatWithdraw(coinSeed);
            if (acted) return;
        }
    }

    /// @dev Mallory starts whichever cheating exit the coin allows (the rarer kinds first): of her double spend,
    /// of a forged history, or of a state she already spent. Each must be challenged away by the watcher.
    function _cheatExit(uint256 coinSeed, uint256 kindSeed) internal returns (bool found) {
        uint64 slot;
        (found, slot) = _pick(coinSeed, _cheatable);
        if (!found) return false;
        uint256 options = _cheatOptions(slot);
        if (options & 2 != 0) _malloryExit(slot, 1, kindSeed);
        else if (options & 4 != 0) _malloryExit(slot, 2, kindSeed);
        else _malloryExit(slot, 0, kindSeed);
    }

    /// @dev Mallory stalls her live cheating exit: she opens a challengeBefore against it herself with a claim
    /// that an honest transaction answers, then answers every answerable open challenge (hers and the
    /// griefer's): each answer pushes finalizableAt, and her own challenge bond comes back to her as the exitor.
    /// The watcher's unanswerable challenge must still cancel the exit a response period after it was opened.
    function _cheatRespond(uint256 coinSeed) internal returns (bool found) {
        uint64 slot;
        (found, slot) = _pick(coinSeed, _malloryExitWithParent);
        if (!found) return false;
        (, uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        address mallory = ghost.mallory();

        uint256 n = ghost.historyLength(slot);
        for (uint256 j = 0; j + 1 < n; j++) {
            Entry memory claim = ghost.entry(slot, j);
            if (ghost.entry(slot, j + 1).blockNumber > exit_.parentBlock) break;
            bytes32 id = plasma.transactionDigest(claim.tx_);
            if (plasma.getChallenge(slot, nonce, id).status != IPlasmaCash.ChallengeStatus.None) continue;
            bytes memory claimProof = _historyProof(slot, claim.blockNumber);
            _fund(mallory, CHALLENGE_BOND);
            vm.prank(mallory);
            try plasma.challengeBeforeExit{value: CHALLENGE_BOND}(nonce, claim.tx_, claimProof, claim.blockNumber) {
                ghost.recordChallenge(slot, nonce, id, mallory, CHALLENGE_BOND);
                ghost.count("cheat.selfChallenge");
            } catch {}
            break;
        }

        ChallengeRef[] memory refs = ghost.challengesOf(slot, nonce);
        for (uint256 i = 0; i < refs.length; i++) {
            IPlasmaCash.Challenge memory challenge = plasma.getChallenge(slot, nonce, refs[i].id);
            if (challenge.status != IPlasmaCash.ChallengeStatus.Open) continue;
            (bool answerable, Entry memory response) = _answer(slot, challenge.claimBlock, exit_.parentBlock);
            if (!answerable) continue;
            bytes memory proof = ghost.proof(response.blockNumber, slot);
            vm.prank(mallory);
            try plasma.respondChallengeBeforeExit(nonce, refs[i].id, response.tx_, response.sig, proof, response.blockNumber) {
                ghost.count("cheat.respond");
            } catch {}
        }
    }

    /// @dev Mallory tries to withdraw an exited coin whose exit she did not win: it must revert.
    function _cheatWithdraw(uint256 coinSeed) internal returns (bool found) {
        uint64 slot;
        (found, slot) = _pick(coinSeed, _notMalloryToWithdraw);
        if (!found) return false;
        address mallory = ghost.mallory();
        vm.prank(mallory);
        try plasma.withdraw(slot) {
            ghost.recordWithdrawal(slot, mallory);
        } catch {
            ghost.count("cheat.withdraw.refused");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The end of a run: every honest owner takes its coin out (called by the invariant test, not fuzzed)
    // ---------------------------------------------------------------------------------------------------------

    function exitAll() external {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            if (_exitable(slot)) _startHonestExit(slot);
        }
    }

    function finalizeAll() external {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            if (_matured(slot)) _finalize(slot);
        }
    }

    function withdrawAll() external {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            if (_withdrawable(slot)) _withdraw(slot);
        }
        address[] memory accounts = ghost.bondAccounts();
        for (uint256 i = 0; i < ghost.ownerCount(); i++) {
            if (plasma.bondBalance(accounts[i]) != 0) _withdrawBonds(accounts[i]);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Actions
    // ---------------------------------------------------------------------------------------------------------

    function _startHonestExit(uint64 slot) internal {
        uint256 k = ghost.historyLength(slot) - 1;
        Entry memory last = ghost.entry(slot, k);
        address owner = last.tx_.newOwner;
        _fund(owner, EXIT_BOND);
        if (k == 0) {
            vm.prank(owner);
            try plasma.startDepositExit{value: EXIT_BOND}(slot) {
                _recordHonestExit(slot);
            } catch (bytes memory reason) {
                ghost.fail("startDepositExit by the honest owner", reason);
            }
            return;
        }
        Entry memory parent = ghost.entry(slot, k - 1);
        bytes memory parentProof = _historyProof(slot, parent.blockNumber);
        bytes memory exitingProof = ghost.proof(last.blockNumber, slot);
        vm.prank(owner);
        try plasma.startExit{value: EXIT_BOND}(
            parent.tx_, parentProof, parent.blockNumber, last.tx_, last.sig, exitingProof, last.blockNumber
        ) {
            _recordHonestExit(slot);
        } catch (bytes memory reason) {
            ghost.fail("startExit by the honest owner", reason);
        }
    }

    function _finalize(uint64 slot) internal {
        (, uint256 nonce,) = _currentExit(slot);
        try plasma.finalizeExit(slot) {
            IPlasmaCash.Exit memory exit_ = plasma.getExit(slot, nonce);
            ghost.count(exit_.status == IPlasmaCash.ExitStatus.Finalized ? "exit.finalized" : "exit.cancelledAtFinalize");
        } catch (bytes memory reason) {
            ghost.fail("finalizeExit of a matured exit", reason);
        }
    }

    /// @dev The winner of the exit withdraws, and must receive exactly the coin's asset.
    function _withdraw(uint64 slot) internal {
        (,, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        address to = exit_.exitor;
        uint256 before = _assetBalance(slot, to);
        vm.prank(to);
        try plasma.withdraw(slot) {
            ghost.recordWithdrawal(slot, to);
            ghost.count("withdraw");
            if (_assetBalance(slot, to) != before + ghost.denominationOf(slot)) {
                ghost.fail("withdraw paid a wrong amount", abi.encode(slot));
            }
        } catch (bytes memory reason) {
            ghost.fail("withdraw by the exitor", reason);
        }
    }

    function _withdrawBonds(address account) internal {
        uint256 amount = plasma.bondBalance(account);
        uint256 before = account.balance;
        vm.prank(account);
        try plasma.withdrawBonds() {
            ghost.recordBondsWithdrawn(amount);
            ghost.count("withdrawBonds");
            if (account.balance != before + amount) ghost.fail("withdrawBonds paid a wrong amount", "");
        } catch (bytes memory reason) {
            ghost.fail("withdrawBonds", reason);
        }
    }

    function _recordHonestExit(uint64 slot) internal {
        ghost.recordExit(slot, plasma.getCoin(slot).exitCount, true, EXIT_BOND);
        ghost.count("exit.honest");
    }

    function _assetBalance(uint64 slot, address account) internal view returns (uint256) {
        IPlasmaCash.AssetKind kind = ghost.kindOf(slot);
        if (kind == IPlasmaCash.AssetKind.ETH) return account.balance;
        if (kind == IPlasmaCash.AssetKind.ERC20) return ghost.token().balanceOf(account);
        return ghost.nft().ownerOf(ghost.tokenIdOf(slot)) == account ? 1 : 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Which coin fits which action
    // ---------------------------------------------------------------------------------------------------------

    function _transferable(uint64 slot) internal view returns (bool) {
        return !ghost.frozen(slot) && !ghost.hasPending(slot) && _state(slot) == IPlasmaCash.CoinState.Deposited;
    }

    /// @dev An honest owner exits when nothing of its coin is in flight, beside any live exit (§6), once.
    function _exitable(uint64 slot) internal view returns (bool) {
        IPlasmaCash.CoinState state = _state(slot);
        if (ghost.hasPending(slot) || state == IPlasmaCash.CoinState.Exited) return false;
        uint256 exitBlock = ghost.entry(slot, ghost.historyLength(slot) - 1).blockNumber;
        return plasma.liveExitAt(slot, exitBlock) == 0;
    }

    function _exitableSoon(uint64 slot) internal view returns (bool) {
        return _exitable(slot) && (ghost.frozen(slot) || ghost.historyLength(slot) >= 3);
    }

    /// @dev finalizeExit can run: at finalizableAt, or, with a challengeBefore open, as soon as the oldest one
    /// has stood unanswered for a response period (and the exit period is over).
    function _matured(uint64 slot) internal view returns (bool) {
        (bool live, uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        if (!live) return false;
        uint256 now_ = vm.getBlockTimestamp();
        if (now_ >= exit_.finalizableAt) return true;
        if (exit_.firstChallenge == bytes32(0)) return false;
        uint256 cancellableAt = plasma.getChallenge(slot, nonce, exit_.firstChallenge).openedAt + RESPONSE_PERIOD;
        if (cancellableAt < exit_.maturesAt) cancellableAt = exit_.maturesAt;
        return now_ >= cancellableAt;
    }

    function _withdrawable(uint64 slot) internal view returns (bool) {
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        return coin.state == IPlasmaCash.CoinState.Exited && !coin.withdrawn;
    }

    function _notMalloryToWithdraw(uint64 slot) internal view returns (bool) {
        (,, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        return _withdrawable(slot) && exit_.exitor != ghost.mallory();
    }

    /// @dev mallory starts her exits before and beside the honest one (several may be live, §6).
    function _cheatable(uint64 slot) internal view returns (bool) {
        IPlasmaCash.CoinState state = _state(slot);
        return state != IPlasmaCash.CoinState.Exited && state != IPlasmaCash.CoinState.None && _cheatOptions(slot) != 0;
    }

    /// @dev Bit 0: mallory owned a state of the coin that she then spent; bit 1: her double spend is in a block;
    /// bit 2: a forged transfer to her and her spend of it are in blocks.
    function _cheatOptions(uint64 slot) internal view returns (uint256 options) {
        uint256 n = ghost.historyLength(slot);
        address mallory = ghost.mallory();
        for (uint256 i = 0; i + 1 < n; i++) {
            if (ghost.entry(slot, i).tx_.newOwner == mallory) {
                options |= 1;
                break;
            }
        }
        if (ghost.doubleSpend(slot).blockNumber != 0) options |= 2;
        if (ghost.selfSpend(slot).blockNumber != 0) options |= 4;
    }

    function _malloryExitWithParent(uint64 slot) internal view returns (bool) {
        (bool live, uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        return live && ghost.maliciousExit(slot, nonce) && exit_.parentBlock != 0;
    }
}
