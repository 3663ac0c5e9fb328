// The watcher's plan for all live exits of one coin (client/watcher/decide.ts planCoin, PROTOCOL.md §6, §7), and
// the wallet-state rules it relies on (spends in flight, live exits in exit-block order). Pure: the end-to-end
// cases against the contract are in concurrent-exits.test.ts.
import t from 'tap';
import { depositTransaction, transactionDigest, type Transaction } from '../../../client/protocol/index.ts';
import { planCoin, type LiveExit } from '../../../client/watcher/decide.ts';
import { deliver, emptyState, extendChain, liveExitsOf, spendsInFlight, trackedExit, type RevealedTransfer, type SignedSpend } from '../../../client/wallet/state.ts';
import { addr, ALICE, BOB, CAROL, coin, DAVE, DEPOSIT, link, SLOT } from './fixtures/coins.ts';

const MALLORY = DAVE;
const DOMAIN = { chainId: 31337n, verifyingContract: addr(0xc0ffe) };
const CALM = { now: 0n, responsePeriod: 100n, mustLeave: false };
const LEAVE = { ...CALM, mustLeave: true };
const far = 1_000_000n;
const exitOf = (nonce: bigint, exitor: typeof ALICE, parentBlock: bigint, exitBlock: bigint): LiveExit => ({ nonce, exitor, parentBlock, exitBlock, finalizableAt: far });

function spend(tx: Transaction, extra: Partial<SignedSpend> = {}): SignedSpend {
  return { transaction: tx, signature: `0x${'11'.repeat(65)}`, digest: transactionDigest(tx, DOMAIN), submittedAt: 0, ...extra };
}

// carol owns the coin since block 3000 (alice → bob at 1000, bob → carol at 3000), verified through 5000.
const forged = exitOf(1n, MALLORY, 6000n, 7000n); // built on a forged spend after carol's receipt

t.test('a live exit with a higher exit block than ours: the holder who stays cancels it with challengeBefore', async (t) => {
  const plan = planCoin(CAROL, coin(), [forged], [], CALM);
  t.match(plan.moves, [{ nonce: 1n, kind: 'challengeBefore', claim: { block: 3000n, transaction: { newOwner: CAROL } } }]);
  t.equal(plan.exit, undefined, 'no exit: the coin stays');
});

t.test('a coin that must leave exits at once beside a live exit with a higher exit block, and does not claim against it', async (t) => {
  const frozen = coin(undefined, undefined, { frozen: { block: 6000n, code: 'not_signed_by_owner', reason: 'forged', at: 0 } });
  const plan = planCoin(CAROL, frozen, [forged], [], LEAVE);
  t.match(plan.exit, { reason: /must leave/ }, 'exits beside it: never waits for the other exit to end');
  t.match(plan.moves, [{ nonce: 1n, kind: 'none', reason: /waits behind/ }]);
  t.match(planCoin(CAROL, frozen, [], [], LEAVE).exit, { reason: /must leave/ }, 'and with no exit live at all');
  t.equal(planCoin(CAROL, frozen, [forged, exitOf(2n, CAROL, 1000n, 3000n)], [], LEAVE).exit, undefined, 'not twice: its own exit is live');
});

t.test('with its own exit live, the holder leaves a later exit to wait behind it', async (t) => {
  const plan = planCoin(CAROL, coin(), [exitOf(2n, CAROL, 1000n, 3000n), forged], [], CALM);
  t.match(plan.moves, [{ nonce: 1n, kind: 'none' }]);
  t.equal(plan.exit, undefined);
});

t.test('a live exit with a lower exit block than ours is a former owner\'s: challenged whatever else holds', async (t) => {
  const bobs = exitOf(3n, BOB, DEPOSIT, 1000n);
  const frozen = coin(undefined, undefined, { frozen: { block: 6000n, code: 'not_signed_by_owner', reason: 'forged', at: 0 } });
  const plan = planCoin(CAROL, frozen, [forged, bobs], [], LEAVE);
  t.match(plan.moves, [{ nonce: 3n, kind: 'challengeAfter', spend: { block: 3000n } }, { nonce: 1n, kind: 'none' }], 'in exit-block order');
  t.ok(plan.exit, 'and the coin still exits beside them');
  t.match(planCoin(CAROL, coin(), [bobs], [], CALM).moves, [{ nonce: 3n, kind: 'challengeAfter' }], 'a holder who stays too');
  const doubleSpend = exitOf(4n, MALLORY, 1000n, 4000n); // bob's transfer spent again, after carol's receipt
  t.match(planCoin(CAROL, frozen, [doubleSpend], [], LEAVE).moves, [{ nonce: 4n, kind: 'challengeBetween', spend: { block: 3000n } }], 'a double spend with a higher exit block is still cancelled at once');
});

t.test('a sender whose spend is in flight claims its receipt against every live exit and exits beside them', async (t) => {
  const toDave: Transaction = { slot: SLOT, prevBlock: 3000n, denomination: 5n, newOwner: DAVE };
  const sending = coin(undefined, 5000n, {
    inFlight: spend(toDave),
    frozen: { block: 6000n, code: 'proof_withheld', reason: 'withheld', at: 0 },
    missingSince: { block: 6000n, at: 0 },
  });
  const second = exitOf(2n, MALLORY, 8000n, 9000n);
  const plan = planCoin(CAROL, sending, [forged, second], [], LEAVE);
  t.match(plan.moves, [
    { nonce: 1n, kind: 'challengeBefore', claim: { block: 3000n, transaction: { newOwner: CAROL } } },
    { nonce: 2n, kind: 'challengeBefore', claim: { block: 3000n } },
  ], 'every live exit gets the claim of its receipt: an answer can only reveal its receiver');
  t.ok(plan.exit, 'and it exits beside them');

  // Not frozen, proofs merely late: it waits to verify the blocks the exit builds on (its own spend may have
  // landed there), unless the exit's deadline is within a response period.
  const late = coin(undefined, 5000n, { inFlight: spend(toDave), missingSince: { block: 6000n, at: Date.now() } });
  const waiting = planCoin(CAROL, late, [forged], [], CALM);
  t.match(waiting.moves, [{ nonce: 1n, kind: 'none', reason: /waiting/ }]);
  t.equal(waiting.exit, undefined);
  const urgent = planCoin(CAROL, late, [{ ...forged, finalizableAt: 50n }], [], CALM);
  t.match(urgent.moves, [{ kind: 'challengeBefore' }]);
  t.ok(urgent.exit, 'near the deadline it claims and exits');
});

t.test('a transfer the operator refused counts as a spend in flight: claim and exit beside, even unfrozen', async (t) => {
  const toDave: Transaction = { slot: SLOT, prevBlock: 3000n, denomination: 5n, newOwner: DAVE };
  const refused = coin(undefined, 5000n, { undelivered: [spend(toDave, { refused: { code: 'coin_exiting', at: 0 } })] });
  const plan = planCoin(CAROL, refused, [{ ...forged, parentBlock: 5000n }], [], CALM);
  t.match(plan.moves, [{ nonce: 1n, kind: 'challengeBefore', claim: { block: 3000n } }]);
  t.match(plan.exit, { reason: /in flight/ });
  t.equal(planCoin(CAROL, coin(), [{ ...forged, parentBlock: 5000n }], [], CALM).exit, undefined, 'without it, the holder only claims');
});

t.test('a sender whose landed spend its receiver may not know claims its receipt against exits built after it', async (t) => {
  // carol paid dave at 6000 (seen landed, package never handed over); mallory forges on after dave.
  const toDave: Transaction = { slot: SLOT, prevBlock: 3000n, denomination: 5n, newOwner: DAVE };
  const sent = coin([link(1000n, DEPOSIT, BOB), link(3000n, 1000n, CAROL), link(6000n, 3000n, DAVE)], 6000n, { role: 'former', undelivered: [spend(toDave, { landedAt: 6000n })] });
  const thief = exitOf(1n, MALLORY, 7000n, 8000n);
  const plan = planCoin(CAROL, sent, [thief], [], CALM);
  t.match(plan.moves, [{ nonce: 1n, kind: 'challengeBefore', claim: { block: 3000n, transaction: { newOwner: CAROL } } }]);
  t.equal(plan.exit, undefined, 'no exit of its own: it knows it spent the coin');
  t.match(planCoin(CAROL, sent, [exitOf(2n, MALLORY, 6000n, 7000n)], [], CALM).moves, [{ kind: 'none' }], 'an exit the receiver signed (built on the spend) shows the receiver has it');
  t.match(planCoin(CAROL, sent, [exitOf(2n, DAVE, 3000n, 6000n)], [], CALM).moves, [{ kind: 'none' }], 'nor the receiver\'s own exit');
  t.match(planCoin(CAROL, { ...sent, undelivered: [] }, [thief], [], CALM).moves, [{ kind: 'none' }], 'delivered: nothing to claim');
});

t.test('a transfer revealed on L1: its owner exits it beside the live exits, claims it, and cancels its sender\'s exit', async (t) => {
  const toBob: Transaction = { slot: SLOT, prevBlock: DEPOSIT, denomination: 5n, newOwner: BOB };
  const revealed: RevealedTransfer = { slot: SLOT, block: 1000n, transaction: toBob, signature: '0x11', proof: '0x22' };
  const thief = exitOf(1n, MALLORY, 2000n, 3000n);
  const alices = exitOf(2n, ALICE, 0n, DEPOSIT);
  const plan = planCoin(BOB, undefined, [thief, alices], [revealed], CALM);
  t.match(plan.exitRevealed, { transfer: { block: 1000n } });
  t.match(plan.moves, [
    { nonce: 2n, kind: 'challengeAfter', spend: { block: 1000n, transaction: toBob, proof: '0x22' } },
    { nonce: 1n, kind: 'challengeBefore', claim: { block: 1000n, transaction: toBob } },
  ], 'the sender\'s exit spent by the revealed transfer, and the thief\'s built after it');
  t.equal(planCoin(BOB, undefined, [thief, exitOf(3n, BOB, DEPOSIT, 1000n)], [revealed], CALM).exitRevealed, undefined, 'not twice');
  t.equal(planCoin(CAROL, undefined, [thief], [revealed], CALM).exitRevealed, undefined, 'only the owner it names');
  t.equal(planCoin(BOB, undefined, [], [revealed], CALM).exitRevealed, undefined, 'with no exit live the coin is adopted instead');
  const doubleSpend = exitOf(4n, MALLORY, DEPOSIT, 2000n);
  t.match(planCoin(BOB, undefined, [doubleSpend], [revealed], CALM).moves, [{ kind: 'challengeBetween', spend: { block: 1000n } }], 'a second spend of its parent, later');
});

t.test('spends in flight: refused and landed-undelivered spends live until they can never be valid or are delivered', async (t) => {
  const toDave: Transaction = { slot: SLOT, prevBlock: 3000n, denomination: 5n, newOwner: DAVE };
  const toBob: Transaction = { ...toDave, newOwner: BOB };
  const held = coin(undefined, 5000n, { inFlight: spend(toBob), undelivered: [spend(toDave, { refused: { code: 'x', at: 0 } })] });
  t.equal(spendsInFlight(held).length, 2);
  // toBob lands at 6000: the refused toDave can never be valid; toBob stays until its package is handed over.
  const entry = { ...link(6000n, 3000n, BOB), transaction: toBob };
  t.ok(extendChain(held, [entry], 6000n, CAROL, DOMAIN), 'the spend in flight settled');
  t.equal(held.inFlight, undefined);
  t.match(held.undelivered, [{ transaction: { newOwner: BOB }, landedAt: 6000n }]);
  t.equal(held.role, 'former');
  t.ok(deliver(held, transactionDigest(toBob, DOMAIN)), 'delivered (package handed over, or revealed on L1)');
  t.equal(held.undelivered, undefined);

  // A refused spend that the operator includes after all is kept as landed: its receiver was never told.
  const refused = coin(undefined, 5000n, { undelivered: [spend(toDave, { refused: { code: 'x', at: 0 } })] });
  extendChain(refused, [{ ...link(7000n, 3000n, DAVE), transaction: toDave }], 7000n, CAROL, DOMAIN);
  t.match(refused.undelivered, [{ landedAt: 7000n, refused: { code: 'x' } }]);
});

t.test('liveExitsOf: every live exit of the coin, in exit-block order', async (t) => {
  const state = emptyState(CAROL, addr(1), 1n, 0n);
  state.exits['42:1'] = trackedExit(SLOT, 1n, { exitor: MALLORY, parentBlock: 6000n, exitBlock: 7000n, finalizableAt: 1n });
  state.exits['42:2'] = trackedExit(SLOT, 2n, { exitor: CAROL, parentBlock: 1000n, exitBlock: 3000n, finalizableAt: 1n });
  state.exits['42:3'] = trackedExit(SLOT, 3n, { exitor: BOB, parentBlock: DEPOSIT, exitBlock: 1000n, finalizableAt: 1n, status: 'cancelled' });
  state.exits['43:1'] = trackedExit(43n, 1n, { exitor: BOB, parentBlock: 0n, exitBlock: 5n, finalizableAt: 1n });
  t.same(liveExitsOf(state, SLOT).map((exit) => exit.nonce), [2n, 1n]);
  t.same(depositTransaction({ slot: SLOT, denomination: 5n, owner: ALICE }).newOwner, ALICE);
});
