// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PlasmaCashTestBase} from "../utils/PlasmaCashTestBase.sol";
import {IPlasmaCash} from "../../src/interfaces/IPlasmaCash.sol";
import {Ghost, ChallengeRef} from "./handlers/Ghost.sol";
import {DepositorHandler} from "./handlers/DepositorHandler.sol";
import {OwnerHandler} from "./handlers/OwnerHandler.sol";
import {OperatorHandler} from "./handlers/OperatorHandler.sol";
import {ChallengerHandler} from "./handlers/ChallengerHandler.sol";

/// @notice The invariant suite: four actors (depositor, owners with a cheating mallory among them, an operator
/// that sometimes slips malicious transactions into its blocks, challengers with the honest owners' watcher)
/// drive the contract; after every call the properties of PROPERTIES.md must hold, and at the end of every run
/// every honest owner must get its coin out.
contract PlasmaCash_Invariants_Test is PlasmaCashTestBase {
    Ghost internal ghost;
    DepositorHandler internal depositorHandler;
    OwnerHandler internal ownerHandler;
    OperatorHandler internal operatorHandler;
    ChallengerHandler internal challengerHandler;

    function setUp() public override {
        super.setUp();
        address[] memory owners = new address[](4);
        uint256[] memory keys = new uint256[](4);
        (owners[0], owners[1], owners[2], owners[3]) = (alice, bob, carol, mallory);
        (keys[0], keys[1], keys[2], keys[3]) = (aliceKey, bobKey, carolKey, malloryKey);
        ghost = new Ghost(plasma, token, nft, operator, owners, keys, mallory, makeAddr("watcher"), makeAddr("griefer"));

        depositorHandler = new DepositorHandler(ghost);
        ownerHandler = new OwnerHandler(ghost);
        operatorHandler = new OperatorHandler(ghost);
        challengerHandler = new ChallengerHandler(ghost);

        bytes4[] memory selectors = new bytes4[](2);
        selectors[0] = DepositorHandler.depositEth.selector;
        selectors[1] = DepositorHandler.depositToken.selector;
        _target(address(depositorHandler), selectors);

        selectors = new bytes4[](5);
        selectors[0] = OwnerHandler.transfer.selector;
        selectors[1] = OwnerHandler.startExit.selector;
        selectors[2] = OwnerHandler.finalizeExit.selector;
        selectors[3] = OwnerHandler.withdraw.selector;
        selectors[4] = OwnerHandler.cheat.selector;
        _target(address(ownerHandler), selectors);

        selectors = new bytes4[](2);
        selectors[0] = OperatorHandler.submitBlock.selector;
        selectors[1] = OperatorHandler.submitMaliciousBlock.selector;
        _target(address(operatorHandler), selectors);

        selectors = new bytes4[](5);
        selectors[0] = ChallengerHandler.challenge.selector;
        selectors[1] = ChallengerHandler.respond.selector;
        selectors[2] = ChallengerHandler.grief.selector;
        selectors[3] = ChallengerHandler.settle.selector;
        selectors[4] = ChallengerHandler.warp.selector;
        _target(address(challengerHandler), selectors);
    }

    function _target(address handler, bytes4[] memory selectors) internal {
        targetContract(handler);
        targetSelector(FuzzSelector({addr: handler, selectors: selectors}));
    }

    // ---------------------------------------------------------------------------------------------------------
    // (a) ETH
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The ETH the contract holds is exactly the ETH of coins not yet withdrawn plus every bond not yet
    /// paid out: live exit bonds, open challenge bonds, credited bond balances and burned halves.
    function invariant_EthHeldEqualsDepositsAndBondsOwed() public view {
        uint256 owed = _ethOfCoinsNotWithdrawn() + _bondsOwed() + plasma.burnedBonds();
        assertEq(address(plasma).balance, owed, "ETH held != ETH coins not withdrawn + bonds not paid out");
    }

    /// @notice Every bond posted is, at any time, in exactly one place: held for a live exit or an open
    /// challenge, credited to someone, burned, or paid out.
    function invariant_BondsAreConserved() public view {
        assertEq(
            ghost.bondsPosted(),
            _bondsOwed() + plasma.burnedBonds() + ghost.bondsPaidOut(),
            "bonds posted != held + credited + burned + paid out"
        );
    }

    /// @notice Half of the bond of every cancelled exit is burned, and nothing else is.
    function invariant_BurnedIsHalfOfEachCancelledExitBond() public view {
        uint256 cancelled;
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            uint256 exits = plasma.getCoin(slot).exitCount;
            for (uint256 nonce = 1; nonce <= exits; nonce++) {
                if (plasma.getExit(slot, nonce).status == IPlasmaCash.ExitStatus.Cancelled) cancelled++;
            }
        }
        assertEq(plasma.burnedBonds(), cancelled * (EXIT_BOND - EXIT_BOND / 2), "burned != half of cancelled bonds");
    }

    // ---------------------------------------------------------------------------------------------------------
    // (b) Tokens
    // ---------------------------------------------------------------------------------------------------------

    /// @notice The contract's ERC-20 balance is exactly the sum of the ERC-20 coins not yet withdrawn.
    function invariant_Erc20HeldEqualsCoinsNotWithdrawn() public view {
        uint256 owed;
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            if (ghost.kindOf(slot) == IPlasmaCash.AssetKind.ERC20 && ghost.withdrawals(slot) == 0) {
                owed += ghost.denominationOf(slot);
            }
        }
        assertEq(token.balanceOf(address(plasma)), owed, "ERC-20 held != ERC-20 coins not withdrawn");
    }

    /// @notice Every NFT coin not yet withdrawn has its token held by the contract, every withdrawn one by the
    /// owner who withdrew it, and the contract holds no other NFT.
    function invariant_NftOfEveryCoinNotWithdrawnIsHeld() public view {
        uint256 held;
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            if (ghost.kindOf(slot) != IPlasmaCash.AssetKind.ERC721) continue;
            uint256 tokenId = ghost.tokenIdOf(slot);
            if (ghost.withdrawals(slot) == 0) {
                assertEq(nft.ownerOf(tokenId), address(plasma), "NFT of a coin not withdrawn is not held");
                held++;
            } else {
                assertEq(nft.ownerOf(tokenId), ghost.paidTo(slot), "NFT of a withdrawn coin is not its owner's");
            }
        }
        assertEq(nft.balanceOf(address(plasma)), held, "NFTs held != NFT coins not withdrawn");
    }

    // ---------------------------------------------------------------------------------------------------------
    // (c) (d) Exits and withdrawals
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Several exits of a coin may be live, in one list ordered by exit block: at most one live exit per
    /// exit block, every live exit in the list and nothing else, the coin EXITING iff the list is non-empty, and
    /// EXITED for at most one exit, which had the lowest exit block of the live exits and no challenge open.
    function invariant_LiveExitsOrderedByExitBlock() public view {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
            uint256 live;
            uint256 finalized;
            for (uint256 nonce = 1; nonce <= coin.exitCount; nonce++) {
                IPlasmaCash.Exit memory exit_ = plasma.getExit(slot, nonce);
                if (exit_.status == IPlasmaCash.ExitStatus.Live) {
                    live++;
                    assertEq(plasma.liveExitAt(slot, exit_.exitBlock), nonce, "one live exit per exit block");
                }
                if (exit_.status == IPlasmaCash.ExitStatus.Finalized) finalized++;
            }
            assertLe(finalized, 1, "EXITED for two exits");
            assertEq(coin.state == IPlasmaCash.CoinState.Exited, finalized == 1, "EXITED iff an exit finalized");
            if (coin.state == IPlasmaCash.CoinState.Exited) {
                IPlasmaCash.Exit memory winner = plasma.getExit(slot, coin.headExit);
                assertEq(uint8(winner.status), uint8(IPlasmaCash.ExitStatus.Finalized), "headExit is the winner");
                assertEq(winner.firstChallenge, bytes32(0), "the winner had a challenge open");
                // Every exit still live (not yet settled) has a higher exit block than the winner.
                for (uint256 nonce = 1; nonce <= coin.exitCount; nonce++) {
                    IPlasmaCash.Exit memory other = plasma.getExit(slot, nonce);
                    if (other.status == IPlasmaCash.ExitStatus.Live) {
                        assertGt(other.exitBlock, winner.exitBlock, "a live exit below the winner");
                    }
                }
                continue;
            }
            assertEq(coin.state == IPlasmaCash.CoinState.Exiting, live != 0, "coin EXITING iff an exit is live");
            // Walk the list from its head: strictly increasing exit blocks, consistent links, every live exit.
            uint256 walked;
            uint256 previous;
            uint256 lastBlock;
            for (uint256 nonce = coin.headExit; nonce != 0; nonce = plasma.getExit(slot, nonce).nextExit) {
                IPlasmaCash.Exit memory exit_ = plasma.getExit(slot, nonce);
                assertEq(uint8(exit_.status), uint8(IPlasmaCash.ExitStatus.Live), "a non-live exit in the list");
                assertEq(exit_.previousExit, previous, "previousExit");
                if (walked != 0) assertGt(exit_.exitBlock, lastBlock, "list not ordered by exit block");
                lastBlock = exit_.exitBlock;
                previous = nonce;
                walked++;
                assertLe(walked, live, "the list is longer than the live exits");
            }
            assertEq(walked, live, "a live exit missing from the list");
        }
    }

    /// @notice A coin is withdrawn at most once, only once EXITED, and the contract's flag says so.
    function invariant_CoinWithdrawnAtMostOnce() public view {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
            uint256 withdrawals = ghost.withdrawals(slot);
            assertLe(withdrawals, 1, "a coin withdrawn twice");
            assertEq(coin.withdrawn, withdrawals == 1, "withdrawn flag != withdrawals");
            if (coin.withdrawn) assertEq(uint8(coin.state), uint8(IPlasmaCash.CoinState.Exited), "withdrawn, not EXITED");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // (e) Honest owners
    // ---------------------------------------------------------------------------------------------------------

    /// @notice An honest owner's coin is never withdrawn by anyone else: every EXITED coin was exited by the owner
    /// its honest history ends with, and every withdrawal paid that owner.
    function invariant_HonestOwnerIsTheOnlyOneToWithdraw() public view {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            address owner = ghost.honestOwner(slot);
            IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
            if (coin.state == IPlasmaCash.CoinState.Exited) {
                IPlasmaCash.Exit memory exit_ = plasma.getExit(slot, coin.headExit);
                assertEq(exit_.exitor, owner, "a coin EXITED for someone other than its honest owner");
            }
            if (ghost.withdrawals(slot) != 0) assertEq(ghost.paidTo(slot), owner, "a coin paid to someone else");
        }
    }

    /// @notice With the watcher online, an honest owner's exit is never cancelled and a cheating exit never
    /// finalizes.
    function invariant_ExitGameOutcomes() public view {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            uint256 exits = plasma.getCoin(slot).exitCount;
            for (uint256 nonce = 1; nonce <= exits; nonce++) {
                IPlasmaCash.ExitStatus status = plasma.getExit(slot, nonce).status;
                if (ghost.honestExit(slot, nonce)) {
                    assertTrue(status != IPlasmaCash.ExitStatus.Cancelled, "an honest exit was cancelled");
                } else {
                    assertTrue(ghost.maliciousExit(slot, nonce), "an exit no handler started");
                    assertTrue(status != IPlasmaCash.ExitStatus.Finalized, "a cheating exit finalized");
                }
            }
        }
    }

    /// @notice Every action the protocol promises an honest party succeeds (and pays the right amount): exits
    /// from the latest transaction, each watcher challenge, each answer, finalization once matured, withdrawals,
    /// settlements, block submissions.
    function invariant_HonestActionsNeverRevert() public view {
        if (ghost.failureCount() != 0) assertTrue(false, ghost.failureAt(0));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Bookkeeping the contract exposes
    // ---------------------------------------------------------------------------------------------------------

    /// @notice A live exit's list of open challenges starts with its oldest open challengeBefore and ends with
    /// its newest (so finalizeExit pays the oldest open challenger), and is empty when none is open.
    function invariant_OpenChallengeListOfLiveExits() public view {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            uint256 exits = plasma.getCoin(slot).exitCount;
            for (uint256 nonce = 1; nonce <= exits; nonce++) {
                IPlasmaCash.Exit memory exit_ = plasma.getExit(slot, nonce);
                if (exit_.status != IPlasmaCash.ExitStatus.Live) continue;
                ChallengeRef[] memory refs = ghost.challengesOf(slot, nonce);
                bytes32 first;
                bytes32 last;
                for (uint256 j = 0; j < refs.length; j++) {
                    if (plasma.getChallenge(slot, nonce, refs[j].id).status != IPlasmaCash.ChallengeStatus.Open) {
                        continue;
                    }
                    if (first == bytes32(0)) first = refs[j].id;
                    last = refs[j].id;
                }
                assertEq(exit_.firstChallenge, first, "firstChallenge != oldest open challenge");
                assertEq(exit_.lastChallenge, last, "lastChallenge != newest open challenge");
            }
        }
    }

    /// @notice Child blocks are numbered 1000, 2000, … with none skipped or overwritten.
    function invariant_ChildBlocksAreConsecutive() public view {
        assertEq(plasma.nextChildBlock(), INTERVAL * (ghost.childBlockCount() + 1), "nextChildBlock");
    }

    // ---------------------------------------------------------------------------------------------------------
    // The end of every run: everyone takes their due out
    // ---------------------------------------------------------------------------------------------------------

    /// @notice Liveness, checked once per run: the operator includes the last transfers, the watcher stays online,
    /// every honest owner exits, time passes, exits finalize, challenges are settled and everyone withdraws. Then
    /// every coin has been paid to its honest owner, and the contract holds only the burned halves of bonds.
    function afterInvariant() public {
        operatorHandler.submitBlock(1);
        for (uint256 round = 0; round < 3; round++) {
            challengerHandler.sweep();
            ownerHandler.exitAll();
            challengerHandler.warp(8 days);
            ownerHandler.finalizeAll();
        }
        challengerHandler.settleAll();
        ownerHandler.withdrawAll();
        challengerHandler.withdrawBonds(0);
        challengerHandler.withdrawBonds(1);

        invariant_HonestActionsNeverRevert();
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            assertEq(ghost.withdrawals(slot), 1, "an honest owner could not get its coin out");
            assertEq(ghost.paidTo(slot), ghost.honestOwner(slot), "a coin paid to someone else");
        }
        assertEq(address(plasma).balance, plasma.burnedBonds(), "ETH left beyond the burned bonds");
        assertEq(token.balanceOf(address(plasma)), 0, "ERC-20 left");
        assertEq(nft.balanceOf(address(plasma)), 0, "NFT left");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sums
    // ---------------------------------------------------------------------------------------------------------

    function _ethOfCoinsNotWithdrawn() internal view returns (uint256 owed) {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            if (ghost.kindOf(slot) == IPlasmaCash.AssetKind.ETH && ghost.withdrawals(slot) == 0) {
                owed += ghost.denominationOf(slot);
            }
        }
    }

    /// @dev The bonds of every live exit (all of a coin's concurrent exits, until settleExit or a challenge ends
    /// them) + open challenge bonds + every credited bond balance.
    function _bondsOwed() internal view returns (uint256 owed) {
        uint256 n = ghost.coinCount();
        for (uint256 i = 0; i < n; i++) {
            uint64 slot = ghost.slotAt(i);
            uint256 exits = plasma.getCoin(slot).exitCount;
            for (uint256 nonce = 1; nonce <= exits; nonce++) {
                if (plasma.getExit(slot, nonce).status == IPlasmaCash.ExitStatus.Live) owed += EXIT_BOND;
            }
        }
        n = ghost.challengeCount();
        for (uint256 i = 0; i < n; i++) {
            ChallengeRef memory ref = ghost.challengeAt(i);
            if (plasma.getChallenge(ref.slot, ref.nonce, ref.id).status == IPlasmaCash.ChallengeStatus.Open) {
                owed += CHALLENGE_BOND;
            }
        }
        address[] memory accounts = ghost.bondAccounts();
        for (uint256 i = 0; i < accounts.length; i++) {
            owed += plasma.bondBalance(accounts[i]);
        }
    }
}
