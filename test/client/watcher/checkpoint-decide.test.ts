// The watcher's checkpoint rules (docs/CHECKPOINTS.md §7 Watch), pure: each wrong leaf of an owned coin gets the
// call that voids it; a right one, a final one or one past its deadline gets nothing.
import t from 'tap';
import { depositTransaction, transactionDigest, type CheckpointBase, type Hash, type Hex, type Transaction } from '../../../client/protocol/index.ts';
import { decideCheckpointResponse, decideEnforce, decideLeaf, decideLeafChallenge, type CheckpointFacts, type ServedLeaf } from '../../../client/watcher/decide.ts';
import { DOMAIN } from '../protocol/fixtures/helpers.ts';
import { BOB, CAROL, coin, DAVE, DEPOSIT, SLOT, addr } from './fixtures/coins.ts';

const MALLORY = addr(0xee);
const digest = (tx: Transaction) => transactionDigest(tx, DOMAIN);
const at = (k: bigint, block: bigint, extra: Partial<CheckpointFacts> = {}): CheckpointFacts => ({ k, block, periodEnd: 1000n, status: 'pending', finalAt: 2000n, ...extra });
const NOW = 500n;
const leafOf = (txBlock: bigint, transaction: Transaction): ServedLeaf => ({ txBlock, transaction, leafProof: '0x0000000000000000' as Hex });
const forged = (prevBlock: bigint, newOwner = MALLORY): Transaction => ({ slot: SLOT, prevBlock, denomination: 5n, newOwner });

// Carol's coin: alice → bob at 1000, bob → carol at 3000, verified through 5000.
const carols = coin();
const receipt = carols.chain[1]!;

t.test('the right leaf, a final one, or one past finalAt: nothing', async (t) => {
  t.equal(decideLeaf(carols, at(1n, 4000n), leafOf(3000n, receipt.transaction), [], NOW, DOMAIN).kind, 'none');
  t.equal(decideLeaf(carols, at(1n, 2000n), leafOf(1000n, carols.chain[0]!.transaction), [], NOW, DOMAIN).kind, 'none', 'the chain\'s last transaction at or before N');
  t.equal(decideLeaf(carols, at(1n, 4000n, { status: 'final' }), leafOf(2000n, forged(1000n)), [], NOW, DOMAIN).kind, 'none');
  t.equal(decideLeaf(carols, at(1n, 4000n, { status: 'void' }), undefined, [], NOW, DOMAIN).kind, 'none');
  t.equal(decideLeaf(carols, at(1n, 4000n), leafOf(2000n, forged(1000n)), [], 2000n, DOMAIN).kind, 'none', 'finalAt reached');
});

t.test('a missing leaf → withheld, with the wallet\'s transaction at or before N; not after the period', async (t) => {
  for (const leaf of [undefined, { leafProof: '0x0000000000000000' as Hex }]) {
    const decision = decideLeaf(carols, at(1n, 4000n), leaf, [], NOW, DOMAIN);
    t.equal(decision.kind, 'challengeLeafWithheld');
    if (decision.kind === 'challengeLeafWithheld') t.same(decision.claim, { transaction: receipt.transaction, proof: receipt.proof, block: 3000n });
  }
  const deposit = decideLeaf(carols, at(1n, 900n), undefined, [], NOW, DOMAIN);
  t.match(deposit, { kind: 'challengeLeafWithheld', claim: { block: DEPOSIT, proof: '0x', transaction: depositTransaction(carols.deposit) } }, 'the deposit transaction before the first transfer');
  t.equal(decideLeaf(carols, at(1n, 4000n), undefined, [], 1000n, DOMAIN).kind, 'none', 'periodEnd passed: call 2 is too late');
  t.equal(decideLeaf(coin(undefined, 3000n), at(1n, 4000n), undefined, [], NOW, DOMAIN).kind, 'none', 'not verified through N yet');
});

t.test('a coin deposited after N: zero is right, anything else is not included', async (t) => {
  t.equal(decideLeaf(carols, at(1n, 5n), { leafProof: '0x0000000000000000' as Hex }, [], NOW, DOMAIN).kind, 'none');
  t.equal(decideLeaf(carols, at(1n, 5n), leafOf(3n, forged(0n)), [], NOW, DOMAIN).kind, 'challengeLeafNotIncluded');
});

t.test('txBlock after N, before the deposit, or a wrong deposit transaction → not included', async (t) => {
  t.equal(decideLeaf(carols, at(1n, 2000n), leafOf(3000n, receipt.transaction), [], NOW, DOMAIN).kind, 'challengeLeafNotIncluded');
  t.equal(decideLeaf(carols, at(1n, 2000n), leafOf(5n, forged(0n)), [], NOW, DOMAIN).kind, 'challengeLeafNotIncluded');
  t.equal(decideLeaf(carols, at(1n, 900n), leafOf(DEPOSIT, { ...depositTransaction(carols.deposit), newOwner: MALLORY }), [], NOW, DOMAIN).kind, 'challengeLeafNotIncluded');
});

t.test('a stale leaf (its transaction spent again at or before N) → spent, with the chain\'s spend', async (t) => {
  const decision = decideLeaf(carols, at(1n, 4000n), leafOf(1000n, carols.chain[0]!.transaction), [], NOW, DOMAIN);
  t.match(decision, { kind: 'challengeLeafSpent', checkpointed: carols.chain[0]!.transaction, spend: { block: 3000n } });
});

t.test('another transaction in a block of the chain → not included, with the chain\'s leaf and proof there', async (t) => {
  const decision = decideLeaf(carols, at(1n, 4000n), leafOf(3000n, forged(1000n)), [], NOW, DOMAIN);
  t.match(decision, { kind: 'challengeLeafNotIncluded', actual: { leaf: digest(receipt.transaction), proof: receipt.proof } });
});

t.test('a transaction in a block where the coin did not move → not included by exclusion proof (call 8 as fallback)', async (t) => {
  const decision = decideLeaf(carols, at(1n, 5000n), leafOf(4000n, forged(3000n)), [], NOW, DOMAIN);
  t.match(decision, { kind: 'challengeLeafNotIncluded', exclusionAt: 4000n, fallback: { block: 3000n } });
  const early = decideLeaf(carols, at(1n, 5000n), leafOf(2000n, forged(1000n)), [], NOW, DOMAIN);
  t.match(early, { kind: 'challengeLeafNotIncluded', exclusionAt: 2000n });
  t.notOk('fallback' in early && early.fallback !== undefined, 'no claim before block 2000 that the answer could not meet');
});

t.test('a leaf before the wallet\'s base conflicts with it → conflict', async (t) => {
  const baseTx = carols.chain[0]!;
  const base: CheckpointBase = {
    checkpoint: 1n, block: 2000n, txBlock: 1000n, txDigest: digest(baseTx.transaction), leaf: `0x${'22'.repeat(32)}` as Hash,
    leafProof: '0x0000000000000000' as Hex, transaction: baseTx.transaction, signature: baseTx.signature, proof: baseTx.proof,
  };
  const based = coin([receipt], 5000n, { base });
  t.equal(decideLeaf(based, at(2n, 4000n), leafOf(3000n, receipt.transaction), [], NOW, DOMAIN).kind, 'none');
  t.equal(decideLeaf(based, at(2n, 4000n), leafOf(DEPOSIT, depositTransaction(based.deposit)), [], NOW, DOMAIN).kind, 'challengeLeafConflict');
  t.equal(decideLeaf(based, at(2n, 4000n), leafOf(1000n, baseTx.transaction), [], NOW, DOMAIN).kind, 'challengeLeafSpent', 'the base itself, spent at 3000 ≤ N');
  t.equal(decideLeaf(based, at(0n, 1500n), leafOf(DEPOSIT, forged(0n)), [], NOW, DOMAIN).kind, 'none', 'older than the base: the base settles it');
  // challengeBefore answered by the base (call 14): claims at or before its N other than the base transaction.
  t.same(decideCheckpointResponse(based, digest(forged(0n)), DEPOSIT)?.k, 1n);
  t.equal(decideCheckpointResponse(based, digest(baseTx.transaction), 1000n), undefined, 'the base claim: only its child answers');
  t.equal(decideCheckpointResponse(based, digest(receipt.transaction), 3000n), undefined, 'after N: the chain answers');
  t.equal(decideCheckpointResponse(carols, digest(forged(0n)), DEPOSIT), undefined, 'no base');
});

t.test('an exit records a spend of the named transaction within (B, N] → spent by exit', async (t) => {
  // Carol verified through 3500 only; the leaf names her receipt; someone exits a spend of it at 4000.
  const behind = coin(undefined, 3500n);
  const exits = [{ nonce: 3n, exitor: MALLORY, parentBlock: 3000n, exitBlock: 4000n }];
  t.match(decideLeaf(behind, at(1n, 5000n), leafOf(3000n, receipt.transaction), exits, NOW, DOMAIN), { kind: 'challengeLeafSpentByExit', nonce: 3n });
  t.equal(decideLeaf(behind, at(1n, 5000n), leafOf(3000n, receipt.transaction), [], NOW, DOMAIN).kind, 'none', 'without it: nothing known against the leaf');
});

t.test('a sender with a spend in flight claims its receipt against a leaf naming anything else', async (t) => {
  const spend = { transaction: { slot: SLOT, prevBlock: 3000n, denomination: 5n, newOwner: DAVE }, signature: `0x${'33'.repeat(65)}` as Hex, digest: `0x${'44'.repeat(32)}` as Hash, submittedAt: 1 };
  const sender = coin(undefined, 5000n, { inFlight: spend });
  const decision = decideLeaf(sender, at(1n, 7000n), leafOf(6000n, forged(3000n)), [], NOW, DOMAIN);
  t.match(decision, { kind: 'challengeLeafHistory', claim: { block: 3000n, transaction: receipt.transaction } });
  t.equal(decideLeaf(sender, at(1n, 7000n), leafOf(3000n, receipt.transaction), [], NOW, DOMAIN).kind, 'none', 'a leaf naming its receipt: the wallet holds no proof of its spend');
  t.equal(decideLeaf(sender, at(1n, 7000n), leafOf(6000n, forged(3000n)), [], 1000n, DOMAIN).kind, 'none', 'after the period: call 8 is too late');
  // Naming a block before its receipt that it verified as empty: the exclusion proof voids it, verified through N or not.
  t.match(decideLeaf(sender, at(1n, 7000n), leafOf(2000n, forged(1000n)), [], NOW, DOMAIN), { kind: 'challengeLeafNotIncluded', exclusionAt: 2000n });
});

t.test('a final leaf naming the chain: applied, and inconsistent live exits enforced', async (t) => {
  const leaf = { k: 2n, block: 4000n, txBlock: 3000n, txDigest: digest(receipt.transaction) };
  const exits = [
    { nonce: 1n, exitor: BOB, parentBlock: DEPOSIT, exitBlock: 1000n }, // a former owner's: inconsistent
    { nonce: 2n, exitor: DAVE, parentBlock: 3000n, exitBlock: 5000n }, // built on the checkpointed tx after N: consistent
    { nonce: 3n, exitor: MALLORY, parentBlock: 1000n, exitBlock: 2000n, settledThrough: 4000n }, // bound already
    { nonce: 4n, exitor: CAROL, parentBlock: 1000n, exitBlock: 3000n }, // this wallet's own (e == B anyway)
    { nonce: 5n, exitor: MALLORY, parentBlock: 1000n, exitBlock: 3500n }, // a second spend of 1000: inconsistent
  ];
  const decision = decideEnforce(CAROL, carols, leaf, exits, DOMAIN);
  t.equal(decision.apply, true);
  t.same(decision.enforce, [1n, 5n]);
  const wrong = decideEnforce(CAROL, carols, { ...leaf, txBlock: 2000n }, exits, DOMAIN);
  t.same({ apply: wrong.apply, enforce: wrong.enforce }, { apply: false, enforce: [] }, 'a final leaf that is not the wallet\'s chain is never used');
});

t.test('an invalid-history challenge of an owned coin: answered with the claim\'s child, or dismissed by the base', async (t) => {
  const bobs = carols.chain[0]!; // alice → bob at 1000, spent by bob → carol at 3000
  const challenge = { k: 2n, block: 4000n, challengeId: `0x${'77'.repeat(32)}` as Hash, kind: 'invalidHistory' as const, claim: bobs.transaction, claimBlock: 1000n };
  t.match(decideLeafChallenge(carols, challenge, DOMAIN), { kind: 'answerLeafHistory', child: { block: 3000n } });
  t.equal(decideLeafChallenge(carols, { ...challenge, block: 2000n }, DOMAIN).kind, 'none', 'the child is after N: not an answer');
  t.equal(decideLeafChallenge(carols, { ...challenge, claim: receipt.transaction, claimBlock: 3000n }, DOMAIN).kind, 'none', 'carol\'s receipt was never spent');
  t.equal(decideLeafChallenge(carols, { ...challenge, kind: 'withheld' }, DOMAIN).kind, 'none', 'withheld: the operator answers');
  const base: CheckpointBase = {
    checkpoint: 1n, block: 2000n, txBlock: 1000n, txDigest: digest(bobs.transaction), leaf: `0x${'22'.repeat(32)}` as Hash,
    leafProof: '0x0000000000000000' as Hex, transaction: bobs.transaction, signature: bobs.signature, proof: bobs.proof,
  };
  const based = coin([receipt], 5000n, { base });
  const before = { ...challenge, claim: depositTransaction(based.deposit), claimBlock: DEPOSIT };
  t.equal(decideLeafChallenge(based, before, DOMAIN).kind, 'dismissLeafHistory', 'a claim before the base: dismissed');
  t.match(decideLeafChallenge(based, challenge, DOMAIN), { kind: 'answerLeafHistory', child: { block: 3000n } }, 'the base claim itself: its child answers');
});
