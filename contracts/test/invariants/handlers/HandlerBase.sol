// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {PlasmaCash} from "../../../src/PlasmaCash.sol";
import {IPlasmaCash} from "../../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../../src/Transaction.sol";
import {Ghost, Entry} from "./Ghost.sol";

/// @notice What every handler needs: the contract, the shared ghost state, signing with the actors' keys,
/// proofs, and picking a coin that fits an action (scanning from a fuzzed index, so few calls are wasted).
abstract contract HandlerBase is CommonBase, StdUtils {
    PlasmaCash internal immutable plasma;
    Ghost internal immutable ghost;
    uint256 internal immutable EXIT_BOND;
    uint256 internal immutable CHALLENGE_BOND;
    uint256 internal immutable RESPONSE_PERIOD;

    constructor(Ghost ghost_) {
        ghost = ghost_;
        plasma = ghost_.plasma();
        EXIT_BOND = plasma.EXIT_BOND();
        CHALLENGE_BOND = plasma.CHALLENGE_BOND();
        RESPONSE_PERIOD = plasma.RESPONSE_PERIOD();
    }

    /// @dev The first coin, scanning from index `seed`, for which `ok` holds.
    function _pick(uint256 seed, function(uint64) internal view returns (bool) ok)
        internal
        view
        returns (bool found, uint64 slot)
    {
        uint256 n = ghost.coinCount();
        if (n == 0) return (false, 0);
        uint256 start = seed % n;
        for (uint256 i = 0; i < n; i++) {
            slot = ghost.slotAt((start + i) % n);
            if (ok(slot)) return (true, slot);
        }
        return (false, 0);
    }

    function _state(uint64 slot) internal view returns (IPlasmaCash.CoinState) {
        return plasma.getCoin(slot).state;
    }

    /// @dev The exit finalizeExit acts on (the live exit with the lowest exit block; the winner once Exited; the
    /// newest exit otherwise), and whether it is live.
    function _currentExit(uint64 slot) internal view returns (bool live, uint256 nonce, IPlasmaCash.Exit memory exit_) {
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        nonce = coin.headExit != 0 ? coin.headExit : coin.exitCount;
        exit_ = plasma.getExit(slot, nonce);
        live = exit_.status == IPlasmaCash.ExitStatus.Live;
    }

    function _hasLiveExit(uint64 slot) internal view returns (bool live) {
        (live,,) = _currentExit(slot);
    }

    function _sign(address signer, Transaction memory tx_) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ghost.keyOf(signer), plasma.transactionDigest(tx_));
        return abi.encodePacked(r, s, v);
    }

    /// @dev The proof that goes with a transaction of the coin's history at `blockNumber`: none for the
    /// deposit transaction, the child block's proof otherwise.
    function _historyProof(uint64 slot, uint256 blockNumber) internal view returns (bytes memory) {
        if (blockNumber == plasma.getCoin(slot).depositBlock) return "";
        return ghost.proof(blockNumber, slot);
    }

    function _fund(address account, uint256 amount) internal {
        vm.deal(account, account.balance + amount);
    }

    /// @dev An answer to a challengeBefore whose claim sits at `claimBlock`: the honest entry that spends it, at a
    /// block no later than `parentBlock`. Every honest transfer is public, so anyone can answer with it.
    function _answer(uint64 slot, uint256 claimBlock, uint256 parentBlock)
        internal
        view
        returns (bool found, Entry memory response)
    {
        uint256 n = ghost.historyLength(slot);
        for (uint256 i = 1; i < n; i++) {
            response = ghost.entry(slot, i);
            if (response.tx_.prevBlock == claimBlock && response.blockNumber <= parentBlock) return (true, response);
        }
    }

    /// @dev Mallory's cheating exit of `kind`: 0 of a state she already spent (the deposit exit when it is her
    /// deposit), 1 of her double spend, 2 of a forged history (the forged transfer to her as parent, her spend of
    /// it as exiting). It may revert (another exit is live): that is her loss, not a failure.
    function _malloryExit(uint64 slot, uint256 kind, uint256 seed) internal returns (bool started) {
        address mallory = ghost.mallory();
        Entry memory parent;
        Entry memory exiting;
        _fund(mallory, EXIT_BOND);
        if (kind == 0) {
            uint256 index = _staleIndex(slot, seed);
            exiting = ghost.entry(slot, index);
            if (index == 0) {
                vm.prank(mallory);
                try plasma.startDepositExit{value: EXIT_BOND}(slot) {
                    _recordMaliciousExit(slot, "cheat.exit.spentDeposit");
                    return true;
                } catch {
                    return false;
                }
            }
            parent = ghost.entry(slot, index - 1);
        } else if (kind == 1) {
            parent = ghost.entry(slot, ghost.doubleSpendParent(slot));
            exiting = ghost.doubleSpend(slot);
        } else {
            parent = ghost.forged(slot);
            exiting = ghost.selfSpend(slot);
        }
        bytes memory parentProof = _historyProof(slot, parent.blockNumber);
        bytes memory exitingProof = ghost.proof(exiting.blockNumber, slot);
        vm.prank(mallory);
        try plasma.startExit{value: EXIT_BOND}(
            parent.tx_, parentProof, parent.blockNumber, exiting.tx_, exiting.sig, exitingProof, exiting.blockNumber
        ) {
            _recordMaliciousExit(
                slot, kind == 0 ? "cheat.exit.spent" : kind == 1 ? "cheat.exit.doubleSpend" : "cheat.exit.forged"
            );
            return true;
        } catch {
            return false;
        }
    }

    /// @dev One of the honest entries that made mallory the owner and that she then spent.
    function _staleIndex(uint64 slot, uint256 seed) internal view returns (uint256) {
        uint256 n = ghost.historyLength(slot);
        address mallory = ghost.mallory();
        for (uint256 i = 0; i + 1 < n; i++) {
            uint256 index = (seed % (n - 1) + i) % (n - 1);
            if (ghost.entry(slot, index).tx_.newOwner == mallory) return index;
        }
        revert("no stale state of mallory");
    }

    function _recordMaliciousExit(uint64 slot, string memory what) internal {
        ghost.recordExit(slot, plasma.getCoin(slot).exitCount, false, EXIT_BOND);
        ghost.count(what);
    }
}
