// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommonBase} from "forge-std/Base.sol";
import {PlasmaCash} from "../../../src/PlasmaCash.sol";
import {IPlasmaCash} from "../../../src/interfaces/IPlasmaCash.sol";
import {Transaction} from "../../../src/Transaction.sol";
import {TestTree} from "../../utils/TestTree.sol";
import {MockERC20, MockERC721} from "../../utils/Mocks.sol";

/// @notice One transaction of a coin at a block: an honest history entry, a pending transfer, or a malicious
/// inclusion. `sig` is empty for the deposit transaction and for a transfer nobody signed.
struct Entry {
    uint256 blockNumber;
    Transaction tx_;
    bytes sig;
}

/// @notice A challengeBefore that some handler opened, by exit.
struct ChallengeRef {
    uint64 slot;
    uint256 nonce;
    bytes32 id;
    address challenger;
}

/// @title Ghost
/// @notice The state the handlers share and the invariants read: the actors and their keys, every committed
/// child block's leaves (so any proof can be rebuilt with TestTree), and each coin's model: its honest history
/// (deposit, then every valid transfer, with signatures), a pending transfer, the malicious transactions the
/// operator slipped into blocks, the exits the handlers started and the challenges they opened, and payouts.
/// @dev The honest owner of a coin is the newOwner of the last entry of its honest history. A malicious
/// inclusion freezes the honest history: per PROTOCOL.md §5 no receiver accepts the coin any more, so its honest
/// owner's only move is to exit.
contract Ghost is CommonBase {
    PlasmaCash public immutable plasma;
    MockERC20 public immutable token;
    MockERC721 public immutable nft;
    address public immutable operator;
    address public immutable mallory;
    address public immutable watcher;
    address public immutable griefer;

    address[] internal _owners;
    mapping(address account => uint256 key) public keyOf;

    // ---- blocks ----
    uint256 public childBlockCount;
    mapping(uint256 blockNumber => uint64[] slots) internal _blockSlots;
    mapping(uint256 blockNumber => bytes32[] leaves) internal _blockLeaves;

    // ---- coins ----
    uint64[] internal _slots;
    mapping(uint64 slot => IPlasmaCash.AssetKind) public kindOf;
    mapping(uint64 slot => uint256) public denominationOf;
    mapping(uint64 slot => uint256) public tokenIdOf;
    mapping(uint64 slot => Entry[]) internal _history;
    mapping(uint64 slot => Entry) internal _pending;
    mapping(uint64 slot => bool) public hasPending;
    mapping(uint64 slot => bool) public frozen;
    /// @dev A transfer of the coin to mallory that its owner never signed.
    mapping(uint64 slot => Entry) internal _forged;
    /// @dev Mallory spending the forged transfer to herself (she signs it): the exiting half of a forged exit.
    mapping(uint64 slot => Entry) internal _selfSpend;
    /// @dev Mallory spending again, to herself, a coin she had already spent in the honest history.
    mapping(uint64 slot => Entry) internal _doubleSpend;
    mapping(uint64 slot => uint256 index) public doubleSpendParent;

    // ---- exits, challenges, payouts ----
    mapping(uint64 slot => mapping(uint256 nonce => bool)) public honestExit;
    mapping(uint64 slot => mapping(uint256 nonce => bool)) public maliciousExit;
    ChallengeRef[] internal _challenges;
    mapping(uint64 slot => mapping(uint256 nonce => uint256[] indices)) internal _challengesOfExit;
    mapping(uint64 slot => uint256) public withdrawals;
    mapping(uint64 slot => address) public paidTo;
    uint256 public bondsPosted;
    uint256 public bondsPaidOut;

    // ---- honest actions that reverted (must stay empty) and coverage counters ----
    string[] internal _failures;
    mapping(bytes32 what => uint256) internal _counts;

    constructor(
        PlasmaCash plasma_,
        MockERC20 token_,
        MockERC721 nft_,
        address operator_,
        address[] memory owners_,
        uint256[] memory keys,
        address mallory_,
        address watcher_,
        address griefer_
    ) {
        plasma = plasma_;
        token = token_;
        nft = nft_;
        operator = operator_;
        mallory = mallory_;
        watcher = watcher_;
        griefer = griefer_;
        for (uint256 i = 0; i < owners_.length; i++) {
            _owners.push(owners_[i]);
            keyOf[owners_[i]] = keys[i];
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Actors
    // ---------------------------------------------------------------------------------------------------------

    function ownerCount() external view returns (uint256) {
        return _owners.length;
    }

    function ownerAt(uint256 seed) external view returns (address) {
        return _owners[seed % _owners.length];
    }

    /// @notice Every account that can hold a bond balance: the coin owners (exitors) and the two challengers.
    function bondAccounts() external view returns (address[] memory accounts) {
        accounts = new address[](_owners.length + 2);
        for (uint256 i = 0; i < _owners.length; i++) {
            accounts[i] = _owners[i];
        }
        accounts[_owners.length] = watcher;
        accounts[_owners.length + 1] = griefer;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Blocks
    // ---------------------------------------------------------------------------------------------------------

    function recordBlock(uint256 blockNumber, uint64[] memory slots, bytes32[] memory leaves) external {
        childBlockCount++;
        _blockSlots[blockNumber] = slots;
        _blockLeaves[blockNumber] = leaves;
    }

    /// @notice The canonical proof of `slot` in committed child block `blockNumber`.
    function proof(uint256 blockNumber, uint64 slot) external view returns (bytes memory proof_) {
        (, proof_) = TestTree.rootAndProof(_blockSlots[blockNumber], _blockLeaves[blockNumber], slot);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Coins
    // ---------------------------------------------------------------------------------------------------------

    function addCoin(uint64 slot, IPlasmaCash.AssetKind kind, uint256 denomination, uint256 tokenId, Entry memory deposit)
        external
    {
        _slots.push(slot);
        kindOf[slot] = kind;
        denominationOf[slot] = denomination;
        tokenIdOf[slot] = tokenId;
        _history[slot].push(deposit);
    }

    function coinCount() external view returns (uint256) {
        return _slots.length;
    }

    function slotAt(uint256 index) external view returns (uint64) {
        return _slots[index];
    }

    function historyLength(uint64 slot) external view returns (uint256) {
        return _history[slot].length;
    }

    function entry(uint64 slot, uint256 index) external view returns (Entry memory) {
        return _history[slot][index];
    }

    function lastEntry(uint64 slot) external view returns (Entry memory) {
        return _history[slot][_history[slot].length - 1];
    }

    /// @notice The owner the honest history ends with.
    function honestOwner(uint64 slot) external view returns (address) {
        return _history[slot][_history[slot].length - 1].tx_.newOwner;
    }

    function appendEntry(uint64 slot, Entry memory entry_) external {
        _history[slot].push(entry_);
    }

    function pending(uint64 slot) external view returns (Entry memory) {
        return _pending[slot];
    }

    function setPending(uint64 slot, Transaction memory tx_, bytes memory sig) external {
        _pending[slot] = Entry({blockNumber: 0, tx_: tx_, sig: sig});
        hasPending[slot] = true;
    }

    function clearPending(uint64 slot) external {
        delete _pending[slot];
        hasPending[slot] = false;
    }

    function forged(uint64 slot) external view returns (Entry memory) {
        return _forged[slot];
    }

    function selfSpend(uint64 slot) external view returns (Entry memory) {
        return _selfSpend[slot];
    }

    function doubleSpend(uint64 slot) external view returns (Entry memory) {
        return _doubleSpend[slot];
    }

    /// @notice Records a malicious inclusion of kind 0 (forged), 1 (self-spend of the forged one) or 2 (double
    /// spend of honest entry `parentIndex`), and freezes the honest history.
    function recordMalicious(uint64 slot, uint256 kind, Entry memory entry_, uint256 parentIndex) external {
        if (kind == 0) _forged[slot] = entry_;
        else if (kind == 1) _selfSpend[slot] = entry_;
        else {
            _doubleSpend[slot] = entry_;
            doubleSpendParent[slot] = parentIndex;
        }
        frozen[slot] = true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Exits, challenges, payouts
    // ---------------------------------------------------------------------------------------------------------

    function recordExit(uint64 slot, uint256 nonce, bool honest, uint256 bond) external {
        if (honest) honestExit[slot][nonce] = true;
        else maliciousExit[slot][nonce] = true;
        bondsPosted += bond;
    }

    function recordChallenge(uint64 slot, uint256 nonce, bytes32 id, address challenger, uint256 bond) external {
        _challengesOfExit[slot][nonce].push(_challenges.length);
        _challenges.push(ChallengeRef({slot: slot, nonce: nonce, id: id, challenger: challenger}));
        bondsPosted += bond;
    }

    function challengeCount() external view returns (uint256) {
        return _challenges.length;
    }

    function challengeAt(uint256 index) external view returns (ChallengeRef memory) {
        return _challenges[index];
    }

    /// @notice The challengeBefores opened against exit (slot, nonce), oldest first.
    function challengesOf(uint64 slot, uint256 nonce) external view returns (ChallengeRef[] memory refs) {
        uint256[] storage indices = _challengesOfExit[slot][nonce];
        refs = new ChallengeRef[](indices.length);
        for (uint256 i = 0; i < indices.length; i++) {
            refs[i] = _challenges[indices[i]];
        }
    }

    function recordWithdrawal(uint64 slot, address to) external {
        withdrawals[slot]++;
        paidTo[slot] = to;
    }

    function recordBondsWithdrawn(uint256 amount) external {
        bondsPaidOut += amount;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Failures and coverage
    // ---------------------------------------------------------------------------------------------------------

    /// @notice An action that the protocol promises to an honest party reverted, or paid the wrong amount.
    function fail(string memory what, bytes memory reason) external {
        _failures.push(string.concat(what, ": ", vm.toString(reason)));
    }

    function failureCount() external view returns (uint256) {
        return _failures.length;
    }

    function failureAt(uint256 index) external view returns (string memory) {
        return _failures[index];
    }

    function count(string memory what) external {
        _counts[keccak256(bytes(what))]++;
    }

    function counted(string memory what) external view returns (uint256) {
        return _counts[keccak256(bytes(what))];
    }
}
