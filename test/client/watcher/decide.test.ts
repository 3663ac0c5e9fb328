// The watcher's decision rules (client/watcher/decide.ts), one case per rule and per boundary. These are pure:
// the end-to-end tests in watcher.test.ts show the same decisions winning on L1.
import t from 'tap';
import { depositTransaction, type Transaction } from '../../../client/protocol/index.ts';
import { decideChallenge, decideResponse } from '../../../client/watcher/decide.ts';
import type { RevealedTransfer } from '../../../client/wallet/state.ts';
import { addr, ALICE, BOB, CAROL, coin, DAVE, DEPOSIT, link, SLOT } from './fixtures/coins.ts';

const MALLORY = DAVE;
const DOMAIN = { chainId: 31337n, verifyingContract: addr(0xc0ffe) };

t.test('no challenge of its own exit, nor of an exit by the rightful owner', async (t) => {
  t.match(decideChallenge(CAROL, { exitor: CAROL, parentBlock: 1000n, exitBlock: 3000n }, coin()), { kind: 'none', reason: /own/ });
  t.match(decideChallenge(BOB, { exitor: CAROL, parentBlock: 1000n, exitBlock: 3000n }, coin()), { kind: 'none', reason: /owns the coin/ }, 'a former owner leaves the new owner\'s exit alone');
  t.match(decideChallenge(BOB, { exitor: ALICE, parentBlock: 0n, exitBlock: DEPOSIT }, coin([])), { kind: 'none' }, 'a deposit exit of an unmoved coin is the depositor\'s right');
});

t.test('challengeAfter: the exited transaction was spent later', async (t) => {
  const depositExit = decideChallenge(CAROL, { exitor: ALICE, parentBlock: 0n, exitBlock: DEPOSIT }, coin());
  t.match(depositExit, { kind: 'challengeAfter', spend: { block: 1000n } }, 'a deposit exit after the depositor spent the coin');
  const formerOwner = decideChallenge(CAROL, { exitor: BOB, parentBlock: DEPOSIT, exitBlock: 1000n }, coin());
  t.match(formerOwner, { kind: 'challengeAfter', spend: { block: 3000n, transaction: { newOwner: CAROL } } }, 'bob exits the transfer he later spent');
  t.match(decideChallenge(ALICE, { exitor: BOB, parentBlock: DEPOSIT, exitBlock: 1000n }, { ...coin(), role: 'former' }), { kind: 'challengeAfter' }, 'any holder of the chain may challenge');
});

t.test('challengeBetween: the parent was spent before the exit block', async (t) => {
  // A double spend of alice's deposit, included at 2000 (carol's wallet saw it as invalid and froze).
  const decision = decideChallenge(CAROL, { exitor: MALLORY, parentBlock: DEPOSIT, exitBlock: 2000n }, coin());
  t.match(decision, { kind: 'challengeBetween', spend: { block: 1000n, transaction: { newOwner: BOB } } });
  t.match(decideChallenge(CAROL, { exitor: MALLORY, parentBlock: 1000n, exitBlock: 4000n }, coin()), { kind: 'challengeBetween', spend: { block: 3000n } }, 'a double spend of bob\'s transfer');
  const bobsCoin = coin([link(1000n, DEPOSIT, BOB)], 1000n);
  t.match(decideChallenge(BOB, { exitor: MALLORY, parentBlock: 1000n, exitBlock: 2000n }, bobsCoin), { kind: 'none' }, 'with no later spend in the chain there is nothing between: an exit spending bob\'s transfer carries bob\'s own signature');
});

t.test('challengeBefore: the owner claims its own unspent transfer when the exit builds on a later block', async (t) => {
  const decision = decideChallenge(CAROL, { exitor: MALLORY, parentBlock: 4000n, exitBlock: 6000n }, coin());
  t.match(decision, { kind: 'challengeBefore', claim: { block: 3000n, proof: '0x0000000000000bb8', transaction: { newOwner: CAROL } } });
  const depositClaim = decideChallenge(ALICE, { exitor: MALLORY, parentBlock: 1000n, exitBlock: 2000n }, coin([], 3000n));
  t.match(depositClaim, { kind: 'challengeBefore', claim: { block: DEPOSIT, proof: '0x' } }, 'an unmoved coin is claimed with its deposit and an empty proof');
  t.same(depositClaim.kind === 'challengeBefore' && depositClaim.claim.transaction, depositTransaction({ slot: SLOT, denomination: 5n, owner: ALICE }));
  t.match(decideChallenge(BOB, { exitor: MALLORY, parentBlock: 4000n, exitBlock: 6000n }, { ...coin(), role: 'former' }), { kind: 'none' }, 'a former owner cannot claim a coin it spent');
  t.match(decideChallenge(CAROL, { exitor: MALLORY, parentBlock: 3000n, exitBlock: 6000n }, coin()), { kind: 'none' }, 'an exit from carol\'s own transaction needs her signature: nothing to claim');
});

t.test('a transfer revealed by a response on L1 is claimed by the owner it names', async (t) => {
  const toBob: Transaction = { slot: SLOT, prevBlock: DEPOSIT, denomination: 5n, newOwner: BOB };
  const revealed: RevealedTransfer = { slot: SLOT, block: 1000n, transaction: toBob, signature: '0x11', proof: '0x22' };
  const exit = { exitor: MALLORY, parentBlock: 2000n, exitBlock: 3000n };
  t.match(decideChallenge(BOB, exit, undefined, [revealed]), { kind: 'challengeBefore', claim: { block: 1000n, proof: '0x22', transaction: toBob } }, 'bob never saw the coin but claims it');
  t.match(decideChallenge(CAROL, exit, undefined, [revealed]), { kind: 'none' }, 'only the named owner');
  t.match(decideChallenge(BOB, { ...exit, parentBlock: 1000n }, undefined, [revealed]), { kind: 'none' }, 'a claim must be before the parent block');
  t.match(decideChallenge(BOB, exit, coin([link(1000n, DEPOSIT, BOB), link(1500n, 1000n, CAROL)], 2500n), [revealed]), { kind: 'none' }, 'a transfer bob verified and spent is no claim');
});

t.test('decideResponse: the direct child of the claim, no later than the parent block', async (t) => {
  const depositClaim = depositTransaction({ slot: SLOT, denomination: 5n, owner: ALICE });
  t.match(decideResponse(coin(), depositClaim, DEPOSIT, 1000n, DOMAIN), { block: 1000n, transaction: { newOwner: BOB } });
  t.match(decideResponse(coin(), coin().chain[0]!.transaction, 1000n, 3000n, DOMAIN), { block: 3000n });
  t.equal(decideResponse(coin(), coin().chain[0]!.transaction, 1000n, 2000n, DOMAIN), undefined, 'a child after the parent block does not answer');
  t.equal(decideResponse(coin(), coin().chain[1]!.transaction, 3000n, 5000n, DOMAIN), undefined, 'the last transaction has no child');
  const other: Transaction = { ...coin().chain[0]!.transaction, newOwner: MALLORY };
  t.equal(decideResponse(coin(), other, 1000n, 3000n, DOMAIN), undefined, 'a claim that is not the chain\'s transaction at that block');
  t.equal(decideResponse(coin(), depositClaim, 999n, 3000n, DOMAIN), undefined, 'a claim at another block');
});

// Review finding 4: once L1 proved the wallet no longer owns the coin (its own exit cancelled by its landed spend, or its
// claim answered with its own signature), the chain still ends with a transaction naming the wallet, and
// decideChallenge ignores `lost`/`role`: every later exit of the coin by the rightful chain gets a new
// challengeBefore that is answered with the wallet's own signature, and each one costs a CHALLENGE_BOND.
t.test('a coin the watcher gave up is never claimed again with challengeBefore', async (t) => {
  // alice's spend to bob landed in a withheld block 1000; her frozen deposit exit (nonce 1) was cancelled by
  // bob's challengeAfter: she gave up. bob pays carol at 2000 and carol exits (nonce 2).
  const gaveUp = coin([], 1000n, { role: 'former', lost: { nonce: 1n, reason: 'SpentAfterExit' }, frozen: { block: 1000n, code: 'proof_withheld', reason: 'withheld', at: 0 } });
  t.equal(decideChallenge(ALICE, { exitor: CAROL, parentBlock: 1000n, exitBlock: 2000n }, gaveUp).kind, 'none', 'carol\'s exit is built on alice\'s own landed spend');
  // alice's claim (her tip, a transfer to her at 1000) was answered with her own spend at 3000; dave now exits from 5000.
  const answered = coin([link(1000n, DEPOSIT, ALICE)], 2000n, { role: 'former', lost: { nonce: 1n, reason: 'answered with this wallet\'s own transfer at block 3000' } });
  t.equal(decideChallenge(ALICE, { exitor: DAVE, parentBlock: 5000n, exitBlock: 6000n }, answered).kind, 'none', 'the same claim would be answered again by the same spend');
});

// Review finding 5: the watcher decides with whatever chain it has even when it could not verify the blocks the exit
// builds on (the proof is missing, still within the grace period) and a spend of the tip is in flight: the
// likeliest story is that the exit is the receiver's, built on that spend, and the claim loses its bond. Waiting
// until the proof arrives or the grace period freezes the coin costs nothing against a 7-day exit period.
t.test('no challengeBefore while the exit builds on blocks the wallet has not verified yet and a spend is in flight', async (t) => {
  const sending = coin([], DEPOSIT, {
    inFlight: { transaction: { slot: SLOT, prevBlock: DEPOSIT, denomination: 5n, newOwner: BOB }, signature: '0x11', digest: `0x${'22'.repeat(32)}`, submittedAt: 0 },
    missingSince: { block: 1000n, at: Date.now() },
  });
  t.not(decideChallenge(ALICE, { exitor: CAROL, parentBlock: 1000n, exitBlock: 2000n }, sending).kind, 'challengeBefore', 'wait for block 1000 (or the freeze) first');
});
