// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPlasmaCash} from "../../../src/interfaces/IPlasmaCash.sol";
import {Ghost, Entry, ChallengeRef} from "./Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice The challengers. The watcher acts for the honest owners (§7): it judges every live exit against the
/// coin's honest history, cancels a bad one with the right challenge (challengeAfter for a spent coin,
/// challengeBetween for a double spend, challengeBefore for a forged history) and answers every challengeBefore
/// of an honest exit. The griefer opens challengeBefores with any honest transaction below an exit's parent,
/// answerable or not. Anyone settles the challenges left open when an exit ends. Time passes only here, and
/// the watcher looks at every exit before it does: the liveness assumption of §7.
contract ChallengerHandler is HandlerBase {
    enum Verdict {
        Honest, // the honest owner exits its latest transaction
        Spent, // an older state: the next honest transaction spends it (challengeAfter)
        DoubleSpend, // the parent's owner spent the parent earlier (challengeBetween)
        InvalidHistory, // the parent is not in the honest history (challengeBefore)
        Unknown
    }

    constructor(Ghost ghost_) HandlerBase(ghost_) {}

    // ---------------------------------------------------------------------------------------------------------
    // Fuzzed actions
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The watcher challenges a bad live exit; half of the time the griefer has opened a challengeBefore
    /// of it first, so that the exit ends with that challenge still open (to be settled, or answered by mallory).
    function challenge(uint256 coinSeed) external {
        (bool found, uint64 slot) = _pick(coinSeed / 2, _badExitToChallenge);
        if (!found) return;
        if (coinSeed % 2 == 1) _grief(slot, coinSeed / 2);
        _challenge(slot);
    }

    /// @notice The watcher answers the open challenges of an honest live exit.
    function respond(uint256 coinSeed) external {
        (bool found, uint64 slot) = _pick(coinSeed, _honestExitChallenged);
        if (found) _respondAll(slot);
    }

    /// @notice The griefer opens a challengeBefore against any live exit with a parent, claiming one of the honest
    /// transactions below the parent block.
    function grief(uint256 coinSeed, uint256 claimSeed) external {
        (bool found, uint64 slot) = _pick(coinSeed, _griefable);
        if (found) _grief(slot, claimSeed);
    }

    function _grief(uint64 slot, uint256 claimSeed) internal {
        (bool live, uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        if (!live || exit_.parentBlock == 0) return;
        uint256 below;
        uint256 n = ghost.historyLength(slot);
        while (below < n && ghost.entry(slot, below).blockNumber < exit_.parentBlock) below++;
        if (below == 0) return; // the parent is the deposit: nothing lies below it
        // A claim nobody holds open against this exit yet, if there is one.
        Entry memory claim;
        for (uint256 i = 0; i < below; i++) {
            claim = ghost.entry(slot, (claimSeed % below + i) % below);
            bytes32 id = plasma.transactionDigest(claim.tx_);
            if (plasma.getChallenge(slot, nonce, id).status == IPlasmaCash.ChallengeStatus.None) break;
        }
        bytes memory proof = _historyProof(slot, claim.blockNumber);
        address griefer = ghost.griefer();
        _fund(griefer, CHALLENGE_BOND);
        vm.prank(griefer);
        try plasma.challengeBeforeExit{value: CHALLENGE_BOND}(nonce, claim.tx_, proof, claim.blockNumber) {
            ghost.recordChallenge(slot, nonce, plasma.transactionDigest(claim.tx_), griefer, CHALLENGE_BOND);
            ghost.count("grief.challengeBefore");
        } catch {}
    }

    /// @notice Settles a challenge left open when its exit ended (its challenger gets its bond back); when none
    /// is left, a challenger withdraws its bonds.
    function settle(uint256 seed) external {
        // Anyone settles a live exit that an Exited coin's winner outlived (half its bond to the winner).
        uint256 coins = ghost.coinCount();
        for (uint256 i = 0; i < coins; i++) {
            uint64 slot = ghost.slotAt((seed % (coins == 0 ? 1 : coins) + i) % coins);
            IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
            if (coin.state != IPlasmaCash.CoinState.Exited) continue;
            for (uint256 nonce = 1; nonce <= coin.exitCount; nonce++) {
                if (plasma.getExit(slot, nonce).status != IPlasmaCash.ExitStatus.Live) continue;
                try plasma.settleExit(slot, nonce) {
                    ghost.count("settleExit");
                } catch (bytes memory reason) {
                    ghost.fail("settleExit of a loser", reason);
                }
                return;
            }
        }
        uint256 n = ghost.challengeCount();
        for (uint256 i = 0; i < n; i++) {
            ChallengeRef memory ref = ghost.challengeAt((seed % n + i) % n);
            if (_settleable(ref)) return _settle(ref);
        }
        withdrawBonds(seed);
    }

    /// @notice The watcher looks at every exit, then time passes.
    function warp(uint256 seconds_) external {
        sweep();
        vm.warp(vm.getBlockTimestamp() + _bound(seconds_, 1 hours, 8 days));
    }

    function withdrawBonds(uint256 seed) public {
        address account = seed % 2 == 0 ? ghost.watcher() : ghost.griefer();
        uint256 amount = plasma.bondBalance(account);
        if (amount == 0) return;
        uint256 before = account.balance;
        vm.prank(account);
        try plasma.withdrawBonds() {
            ghost.recordBondsWithdrawn(amount);
            if (account.balance != before + amount) ghost.fail("withdrawBonds paid a wrong amount", "");
        } catch (bytes memory reason) {
            ghost.fail("withdrawBonds by a challenger", reason);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The watcher's round (also called at the end of a run, not fuzzed on its own)
    // ---------------------------------------------------------------------------------------------------------

    function sweep() public {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            // Several exits may be live: the watcher works from the lowest exit block up (a bad one cancelled at
            // once hands the head to the next).
            for (uint256 round = 0; round < 4 && _hasLiveExit(slot); round++) {
                if (_badExitToChallenge(slot)) _challenge(slot);
                else if (_honestExitChallenged(slot)) _respondAll(slot);
                else break;
            }
        }
    }

    function settleAll() external {
        // The live exits an Exited coin's winner outlived first (settleExit), then the challenges left open.
        uint256 coins = ghost.coinCount();
        for (uint256 i = 0; i < coins; i++) {
            uint64 slot = ghost.slotAt(i);
            IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
            if (coin.state != IPlasmaCash.CoinState.Exited) continue;
            for (uint256 nonce = 1; nonce <= coin.exitCount; nonce++) {
                if (plasma.getExit(slot, nonce).status != IPlasmaCash.ExitStatus.Live) continue;
                try plasma.settleExit(slot, nonce) {
                    ghost.count("settleExit");
                } catch (bytes memory reason) {
                    ghost.fail("settleExit of a loser", reason);
                }
            }
        }
        uint256 n = ghost.challengeCount();
        for (uint256 i = 0; i < n; i++) {
            ChallengeRef memory ref = ghost.challengeAt(i);
            if (_settleable(ref)) _settle(ref);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Judging an exit against the honest history
    // ---------------------------------------------------------------------------------------------------------

    /// @notice What the watcher makes of the coin's live exit, and the honest entry it challenges with: the
    /// spent state (Spent), the parent that was spent twice (DoubleSpend), or the newest honest entry below the
    /// parent block (InvalidHistory).
    function judge(uint64 slot) public view returns (Verdict, uint256 index) {
        (,, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        uint256 k = ghost.historyLength(slot) - 1;
        Entry memory last = ghost.entry(slot, k);
        if (exit_.exitBlock == last.blockNumber) {
            return (exit_.exitor == last.tx_.newOwner ? Verdict.Honest : Verdict.Unknown, k);
        }
        for (uint256 j = 0; j < k; j++) {
            if (ghost.entry(slot, j).blockNumber == exit_.exitBlock) return (Verdict.Spent, j);
        }
        if (exit_.parentBlock == 0) return (Verdict.Unknown, 0);
        for (uint256 j = 0; j < k; j++) {
            if (
                ghost.entry(slot, j).blockNumber == exit_.parentBlock
                    && ghost.entry(slot, j + 1).blockNumber < exit_.exitBlock
            ) return (Verdict.DoubleSpend, j);
        }
        for (uint256 j = k + 1; j > 0; j--) {
            if (ghost.entry(slot, j - 1).blockNumber < exit_.parentBlock) return (Verdict.InvalidHistory, j - 1);
        }
        return (Verdict.Unknown, 0);
    }

    function _challenge(uint64 slot) internal {
        (, uint256 nonce,) = _currentExit(slot);
        (Verdict verdict, uint256 index) = judge(slot);
        address watcher = ghost.watcher();
        if (verdict == Verdict.Spent || verdict == Verdict.DoubleSpend) {
            Entry memory spend = ghost.entry(slot, index + 1);
            bytes memory proof = ghost.proof(spend.blockNumber, slot);
            vm.prank(watcher);
            if (verdict == Verdict.Spent) {
                try plasma.challengeAfter(spend.tx_, spend.sig, proof, spend.blockNumber) {
                    ghost.count("challengeAfter");
                } catch (bytes memory reason) {
                    ghost.fail("challengeAfter of a spent coin's exit", reason);
                }
            } else {
                try plasma.challengeBetweenExit(nonce, spend.tx_, spend.sig, proof, spend.blockNumber) {
                    ghost.count("challengeBetween");
                } catch (bytes memory reason) {
                    ghost.fail("challengeBetween of a double spend's exit", reason);
                }
            }
        } else if (verdict == Verdict.InvalidHistory) {
            Entry memory claim = ghost.entry(slot, index);
            bytes32 id = plasma.transactionDigest(claim.tx_);
            // Someone (the griefer) may already hold this very claim open: the exit fails all the same.
            if (plasma.getChallenge(slot, nonce, id).status != IPlasmaCash.ChallengeStatus.None) return;
            bytes memory proof = _historyProof(slot, claim.blockNumber);
            _fund(watcher, CHALLENGE_BOND);
            vm.prank(watcher);
            try plasma.challengeBeforeExit{value: CHALLENGE_BOND}(nonce, claim.tx_, proof, claim.blockNumber) {
                ghost.recordChallenge(slot, nonce, id, watcher, CHALLENGE_BOND);
                ghost.count("challengeBefore");
            } catch (bytes memory reason) {
                ghost.fail("challengeBefore of a forged history's exit", reason);
            }
        } else if (verdict == Verdict.Unknown) {
            ghost.fail("the watcher cannot judge an exit", abi.encode(slot, nonce));
        }
    }

    function _respondAll(uint64 slot) internal {
        (, uint256 nonce, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        ChallengeRef[] memory refs = ghost.challengesOf(slot, nonce);
        for (uint256 i = 0; i < refs.length; i++) {
            IPlasmaCash.Challenge memory open = plasma.getChallenge(slot, nonce, refs[i].id);
            if (open.status != IPlasmaCash.ChallengeStatus.Open) continue;
            (bool answerable, Entry memory response) = _answer(slot, open.claimBlock, exit_.parentBlock);
            if (!answerable) {
                ghost.fail("a challenge of an honest exit has no answer", abi.encode(slot, nonce, refs[i].id));
                continue;
            }
            bytes memory proof = ghost.proof(response.blockNumber, slot);
            vm.prank(ghost.watcher());
            try plasma.respondChallengeBeforeExit(nonce, refs[i].id, response.tx_, response.sig, proof, response.blockNumber) {
                ghost.count("respond");
            } catch (bytes memory reason) {
                ghost.fail("respondChallengeBefore for an honest exit", reason);
            }
        }
    }

    function _settle(ChallengeRef memory ref) internal {
        uint256 before = plasma.bondBalance(ref.challenger);
        try plasma.settleChallenge(ref.slot, ref.nonce, ref.id) {
            ghost.count("settle");
            if (plasma.bondBalance(ref.challenger) != before + CHALLENGE_BOND) {
                ghost.fail("settleChallenge credited a wrong amount", abi.encode(ref.slot, ref.nonce, ref.id));
            }
        } catch (bytes memory reason) {
            ghost.fail("settleChallenge of an open challenge of an ended exit", reason);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Which coin fits which action
    // ---------------------------------------------------------------------------------------------------------

    function _badExitToChallenge(uint64 slot) internal view returns (bool) {
        if (!_hasLiveExit(slot)) return false;
        (Verdict verdict, uint256 index) = judge(slot);
        if (verdict == Verdict.Honest) return false;
        if (verdict != Verdict.InvalidHistory) return true;
        (, uint256 nonce,) = _currentExit(slot);
        bytes32 id = plasma.transactionDigest(ghost.entry(slot, index).tx_);
        return plasma.getChallenge(slot, nonce, id).status == IPlasmaCash.ChallengeStatus.None;
    }

    function _honestExitChallenged(uint64 slot) internal view returns (bool) {
        if (!_hasLiveExit(slot)) return false;
        (Verdict verdict,) = judge(slot);
        if (verdict != Verdict.Honest) return false;
        (, uint256 nonce,) = _currentExit(slot);
        ChallengeRef[] memory refs = ghost.challengesOf(slot, nonce);
        for (uint256 i = 0; i < refs.length; i++) {
            if (plasma.getChallenge(slot, nonce, refs[i].id).status == IPlasmaCash.ChallengeStatus.Open) return true;
        }
        return false;
    }

    function _griefable(uint64 slot) internal view returns (bool) {
        (bool live,, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        return live && exit_.parentBlock != 0;
    }

    function _settleable(ChallengeRef memory ref) internal view returns (bool) {
        return plasma.getChallenge(ref.slot, ref.nonce, ref.id).status == IPlasmaCash.ChallengeStatus.Open
            && plasma.getExit(ref.slot, ref.nonce).status != IPlasmaCash.ExitStatus.Live;
    }
}
