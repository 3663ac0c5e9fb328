// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {PlasmaCash} from "../../src/PlasmaCash.sol";
import {IPlasmaCash} from "../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../src/Transaction.sol";
import {DefaultHashes} from "../../src/libraries/DefaultHashes.sol";
import {TestTree} from "./TestTree.sol";
import {MockERC20, MockERC721} from "./Mocks.sol";

/// @notice Shared setup for the PlasmaCash tests: a deployed contract with the protocol's default parameters,
/// named actors with keys, and a child chain the operator builds here, block by block, with real trees.
abstract contract PlasmaCashTestBase is Test {
    uint256 internal constant EXIT_PERIOD = 7 days;
    uint256 internal constant RESPONSE_PERIOD = 1 days;
    uint256 internal constant EXIT_BOND = 0.1 ether;
    uint256 internal constant CHALLENGE_BOND = 0.1 ether;
    uint256 internal constant INTERVAL = 1000;

    PlasmaCash internal plasma;
    MockERC20 internal token;
    MockERC721 internal nft;

    address internal operator;
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal carol;
    uint256 internal carolKey;
    address internal dave;
    uint256 internal daveKey;
    address internal mallory;
    uint256 internal malloryKey;

    /// @dev What each committed child block holds, so that any proof can be produced later.
    mapping(uint256 blockNumber => uint64[] slots) internal blockSlots;
    mapping(uint256 blockNumber => bytes32[] leaves) internal blockLeaves;

    /// @dev Deploys PlasmaCash from its compiled artifact. `new PlasmaCash` would embed the contract's creation
    /// code (with the CheckpointGame module's) in every test contract, and solc (via IR) would optimise each copy
    /// again: a full build took over ten minutes. The deployed code is the same.
    function _deployPlasma(
        address operator_,
        uint256 exitPeriod,
        uint256 responsePeriod,
        uint256 exitBond,
        uint256 challengeBond
    ) internal returns (PlasmaCash) {
        return PlasmaCash(
            payable(
                deployCode(
                    "PlasmaCash.sol:PlasmaCash", abi.encode(operator_, exitPeriod, responsePeriod, exitBond, challengeBond)
                )
            )
        );
    }

    function setUp() public virtual {
        operator = makeAddr("operator");
        (alice, aliceKey) = makeAddrAndKey("alice");
        (bob, bobKey) = makeAddrAndKey("bob");
        (carol, carolKey) = makeAddrAndKey("carol");
        (dave, daveKey) = makeAddrAndKey("dave");
        (mallory, malloryKey) = makeAddrAndKey("mallory");
        plasma = _deployPlasma(operator, EXIT_PERIOD, RESPONSE_PERIOD, EXIT_BOND, CHALLENGE_BOND);
        token = new MockERC20();
        nft = new MockERC721();
        address[5] memory actors = [alice, bob, carol, dave, mallory];
        for (uint256 i = 0; i < actors.length; i++) {
            vm.deal(actors[i], 100 ether);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Coins
    // ---------------------------------------------------------------------------------------------------------

    function _depositEth(address owner, uint256 amount) internal returns (uint64 slot) {
        vm.prank(owner);
        slot = plasma.deposit{value: amount}();
    }

    function _depositErc20(address owner, uint256 amount) internal returns (uint64 slot) {
        token.mint(owner, amount);
        vm.startPrank(owner);
        token.approve(address(plasma), amount);
        slot = plasma.depositERC20(address(token), amount);
        vm.stopPrank();
    }

    function _depositErc721(address owner, uint256 tokenId) internal returns (uint64 slot) {
        nft.mint(owner, tokenId);
        vm.startPrank(owner);
        nft.approve(address(plasma), tokenId);
        slot = plasma.depositERC721(address(nft), tokenId);
        vm.stopPrank();
    }

    function _depositBlock(uint64 slot) internal view returns (uint256) {
        return plasma.getCoin(slot).depositBlock;
    }

    function _denomination(uint64 slot) internal view returns (uint256) {
        return plasma.getCoin(slot).denomination;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transactions
    // ---------------------------------------------------------------------------------------------------------

    function _tx(uint64 slot, uint256 prevBlock, address newOwner) internal view returns (Transaction memory) {
        return Transaction({slot: slot, prevBlock: prevBlock, denomination: _denomination(slot), newOwner: newOwner});
    }

    function _depositTx(uint64 slot) internal view returns (Transaction memory) {
        IPlasmaCash.Coin memory coin = plasma.getCoin(slot);
        return Transaction({slot: slot, prevBlock: 0, denomination: coin.denomination, newOwner: coin.depositor});
    }

    function _digest(Transaction memory tx_) internal view returns (bytes32) {
        return plasma.transactionDigest(tx_);
    }

    /// @dev A canonical (low-s) 65-byte r‖s‖v signature, as wallets produce.
    function _sign(uint256 key, Transaction memory tx_) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _digest(tx_));
        return abi.encodePacked(r, s, v);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Child blocks
    // ---------------------------------------------------------------------------------------------------------

    /// @dev Commits the next child block holding exactly these transactions (one per slot).
    function _submitBlock(Transaction[] memory txs) internal returns (uint256 blockNumber) {
        blockNumber = plasma.nextChildBlock();
        for (uint256 i = 0; i < txs.length; i++) {
            blockSlots[blockNumber].push(txs[i].slot);
            blockLeaves[blockNumber].push(_digest(txs[i]));
        }
        bytes32 root = TestTree.root(blockSlots[blockNumber], blockLeaves[blockNumber]);
        vm.prank(operator);
        plasma.submitBlock(root, blockNumber);
    }

    function _submitBlock(Transaction memory tx_) internal returns (uint256) {
        Transaction[] memory txs = new Transaction[](1);
        txs[0] = tx_;
        return _submitBlock(txs);
    }

    function _submitEmptyBlock() internal returns (uint256 blockNumber) {
        return _submitBlock(new Transaction[](0));
    }

    /// @dev Commits a block with arbitrary leaves (e.g. a digest nobody signed, or `count` other coins' leaves).
    function _submitLeaves(uint64[] memory slots, bytes32[] memory leaves) internal returns (uint256 blockNumber) {
        blockNumber = plasma.nextChildBlock();
        for (uint256 i = 0; i < slots.length; i++) {
            blockSlots[blockNumber].push(slots[i]);
            blockLeaves[blockNumber].push(leaves[i]);
        }
        bytes32 root = TestTree.root(slots, leaves);
        vm.prank(operator);
        plasma.submitBlock(root, blockNumber);
    }

    /// @dev The canonical proof of `slot` in committed block `blockNumber` (inclusion or exclusion).
    function _proof(uint256 blockNumber, uint64 slot) internal view returns (bytes memory proof) {
        (, proof) = TestTree.rootAndProof(blockSlots[blockNumber], blockLeaves[blockNumber], slot);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The exit game
    // ---------------------------------------------------------------------------------------------------------

    /// @dev `exiting` (included at `exitingBlock`, signed with `signerKey`) spends `parent` at `parentBlock`;
    /// the parent is the deposit transaction when `parentBlock` is the coin's deposit block.
    function _startExit(
        address exitor,
        Transaction memory parent,
        uint256 parentBlock,
        Transaction memory exiting,
        uint256 signerKey,
        uint256 exitingBlock
    ) internal {
        bytes memory parentProof = parentBlock == _depositBlock(parent.slot) ? bytes("") : _proof(parentBlock, parent.slot);
        bytes memory sig = _sign(signerKey, exiting);
        bytes memory exitingProof = _proof(exitingBlock, exiting.slot);
        vm.prank(exitor);
        plasma.startExit{value: EXIT_BOND}(parent, parentProof, parentBlock, exiting, sig, exitingProof, exitingBlock);
    }

    function _startDepositExit(address depositor, uint64 slot) internal {
        vm.prank(depositor);
        plasma.startDepositExit{value: EXIT_BOND}(slot);
    }

    function _challengeAfter(address challenger, Transaction memory spend, uint256 signerKey, uint256 blockNumber)
        internal
    {
        bytes memory sig = _sign(signerKey, spend);
        bytes memory proof = _proof(blockNumber, spend.slot);
        vm.prank(challenger);
        plasma.challengeAfter(spend, sig, proof, blockNumber);
    }

    function _challengeBetween(address challenger, Transaction memory spend, uint256 signerKey, uint256 blockNumber)
        internal
    {
        bytes memory sig = _sign(signerKey, spend);
        bytes memory proof = _proof(blockNumber, spend.slot);
        vm.prank(challenger);
        plasma.challengeBetween(spend, sig, proof, blockNumber);
    }

    function _challengeBefore(address challenger, Transaction memory claim, uint256 blockNumber)
        internal
        returns (bytes32 challengeId)
    {
        bytes memory proof = blockNumber == _depositBlock(claim.slot) ? bytes("") : _proof(blockNumber, claim.slot);
        vm.prank(challenger);
        plasma.challengeBefore{value: CHALLENGE_BOND}(claim, proof, blockNumber);
        return _digest(claim);
    }

    function _respond(
        address responder,
        bytes32 challengeId,
        Transaction memory response,
        uint256 signerKey,
        uint256 blockNumber
    ) internal {
        bytes memory sig = _sign(signerKey, response);
        bytes memory proof = _proof(blockNumber, response.slot);
        vm.prank(responder);
        plasma.respondChallengeBefore(challengeId, response, sig, proof, blockNumber);
    }

    /// @dev The newest exit of the coin (nonce = exitCount; 0 and an empty exit when none ever started).
    function _currentExit(uint64 slot) internal view returns (uint256 nonce, IPlasmaCash.Exit memory exit_) {
        nonce = plasma.getCoin(slot).exitCount;
        exit_ = plasma.getExit(slot, nonce);
    }

    /// @dev The coin's current exit has `nonce` and `status`, and the coin is in `coinState`.
    function _assertExitState(
        uint64 slot,
        uint256 nonce,
        IPlasmaCash.ExitStatus status,
        IPlasmaCash.CoinState coinState
    ) internal view {
        (uint256 current, IPlasmaCash.Exit memory exit_) = _currentExit(slot);
        assertEq(current, nonce, "exit nonce");
        assertEq(uint8(exit_.status), uint8(status), "exit status");
        assertEq(uint8(plasma.getCoin(slot).state), uint8(coinState), "coin state");
    }

    function _warpPastExitPeriod() internal {
        vm.warp(vm.getBlockTimestamp() + EXIT_PERIOD + 1);
    }
}
