import t from 'tap';
import {
  CoinHistoryVerifier,
  HistoryError,
  hexToBytes,
  bytesToHex,
  signDigest,
  SparseMerkleTree,
  transactionDigest,
  verifyCoinHistory,
  type Address,
  type CoinDeposit,
  type Hash,
  type Hex,
  type HistoryEntry,
  type Transaction,
  type VerifyCoinHistoryInput,
} from '../../../client/protocol/index.ts';
import { addressOf, DOMAIN, privateKey, randomLeaf, rng } from './fixtures/helpers.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const [alice, bob, carol, mallory] = [1, 2, 3, 4].map(privateKey) as [Hex, Hex, Hex, Hex];
const SLOT = 0xdeadbeef12345678n;
const deposit: CoinDeposit = { slot: SLOT, block: 2003n, owner: addressOf(alice), denomination: 5n * 10n ** 17n };
const CHILD_BLOCKS = Array.from({ length: 8 }, (_, i) => BigInt(3000 + 1000 * i)); // 3000 … 10000

/** A spend of the coin placed in a block: what the operator put at SLOT (it may be invalid on purpose). */
interface Spend {
  readonly tx: Transaction;
  readonly signer: Hex;
  readonly signature?: Hex;
}

const spend = (prevBlock: bigint, to: Hex, signer: Hex, changes: Partial<Transaction> = {}): Spend => ({
  tx: { slot: SLOT, prevBlock, denomination: deposit.denomination, newOwner: addressOf(to), ...changes },
  signer,
});

/** Alice → Bob at 4000, Bob → Carol at 6000, Carol → Alice at 9000; other blocks exclude the coin. */
const honest = new Map<bigint, Spend>([
  [4000n, spend(2003n, bob, alice)],
  [6000n, spend(4000n, carol, bob)],
  [9000n, spend(6000n, alice, carol)],
]);

/** Builds each block's tree (the coin's spend plus unrelated coins) and the history the operator would serve. */
function chain(spends: ReadonlyMap<bigint, Spend>, blocks: readonly bigint[] = CHILD_BLOCKS) {
  const random = rng(Number(blocks.length) + spends.size);
  const roots = new Map<bigint, Hash>();
  const entries: HistoryEntry[] = [];
  for (const block of blocks) {
    const leaves = Array.from({ length: 20 }, () => ({ slot: random.uint64(), leaf: randomLeaf(random) }));
    leaves.push({ slot: SLOT ^ 1n, leaf: randomLeaf(random) }); // a neighbour, so the coin's proof is not trivial
    const item = spends.get(block);
    const digest = item ? transactionDigest(item.tx, DOMAIN) : undefined;
    if (digest) leaves.push({ slot: SLOT, leaf: digest });
    const tree = SparseMerkleTree.build(leaves);
    roots.set(block, tree.root);
    if (item && digest) {
      entries.push({ block, kind: 'inclusion', transaction: item.tx, signature: item.signature ?? signDigest(digest, item.signer), proof: tree.proof(SLOT) });
    } else {
      entries.push({ block, kind: 'exclusion', proof: tree.proof(SLOT) });
    }
  }
  return { roots, entries };
}

function input(spends: ReadonlyMap<bigint, Spend>, changes: Partial<VerifyCoinHistoryInput> = {}): VerifyCoinHistoryInput {
  const { roots, entries } = chain(spends);
  return { deposit, entries, roots: (block) => roots.get(block), committedChildBlocks: CHILD_BLOCKS, domain: DOMAIN, ...changes };
}

function rejection(run: () => unknown): { code: string; block: bigint | undefined } {
  try {
    run();
  } catch (error) {
    if (error instanceof HistoryError) return { code: error.code, block: error.block };
    return { code: `not a HistoryError: ${String(error)}`, block: undefined };
  }
  return { code: 'accepted', block: undefined };
}

const withSpend = (block: bigint, item: Spend) => new Map([...honest, [block, item]]);

t.test('a valid multi-owner history passes and names the final owner', async (t) => {
  const state = verifyCoinHistory(input(honest, { expectedOwner: addressOf(alice) }));
  t.equal(state.owner, addressOf(alice));
  t.equal(state.lastBlock, 9000n);
  t.same(state.lastTransaction, honest.get(9000n)!.tx);
  t.equal(state.lastSignature, signDigest(transactionDigest(honest.get(9000n)!.tx, DOMAIN), carol));
  t.equal(state.coveredThrough, 10000n);
});

t.test('committed child blocks may be given as a range', async (t) => {
  const state = verifyCoinHistory(input(honest, { committedChildBlocks: { from: 1000n, to: 10000n } }));
  t.equal(state.owner, addressOf(alice));
  t.equal(verifyCoinHistory(input(honest, { committedChildBlocks: { to: 10000n } })).lastBlock, 9000n);
});

t.test('a coin that never moved belongs to its depositor, with no signature', async (t) => {
  const state = verifyCoinHistory(input(new Map(), { expectedOwner: deposit.owner }));
  t.equal(state.owner, deposit.owner);
  t.equal(state.lastBlock, deposit.block);
  t.same(state.lastTransaction, { slot: SLOT, prevBlock: 0n, denomination: deposit.denomination, newOwner: deposit.owner });
  t.notOk('lastSignature' in state);
  const none = verifyCoinHistory({ ...input(new Map()), entries: [], committedChildBlocks: [1000n, 2000n] });
  t.equal(none.coveredThrough, deposit.block, 'no child block after the deposit: empty history');
});

t.test('the incremental verifier applies entries one by one and keeps its state on failure', async (t) => {
  const { roots, entries } = chain(honest);
  const verifier = new CoinHistoryVerifier({ deposit, roots: (block) => roots.get(block), domain: DOMAIN });
  t.equal(verifier.nextBlock, 3000n);
  for (const entry of entries.slice(0, 2)) verifier.apply(entry);
  t.equal(verifier.state.owner, addressOf(bob));
  t.equal(verifier.nextBlock, 5000n);
  const before = verifier.state;
  t.throws(() => verifier.apply(entries[3]!), { code: 'missing_block' });
  t.throws(() => verifier.apply(entries[1]!), { code: 'duplicate_block' });
  t.equal(verifier.state, before, 'failed entries change nothing');
  for (const entry of entries.slice(2)) verifier.apply(entry);
  t.equal(verifier.state.owner, addressOf(alice));
});

t.test('missing block in the middle → missing_block at that block', async (t) => {
  const good = input(honest);
  const entries = good.entries.filter((entry) => entry.block !== 5000n);
  t.same(rejection(() => verifyCoinHistory({ ...good, entries })), { code: 'missing_block', block: 5000n });
});

t.test('history stopping before the last committed block → missing_block', async (t) => {
  const good = input(honest);
  t.same(rejection(() => verifyCoinHistory({ ...good, entries: good.entries.slice(0, -1) })), { code: 'missing_block', block: 10000n });
  t.same(rejection(() => verifyCoinHistory({ ...good, entries: [] })), { code: 'missing_block', block: 3000n });
});

t.test('duplicate block → duplicate_block', async (t) => {
  const good = input(honest);
  const entries = [...good.entries.slice(0, 3), good.entries[2]!, ...good.entries.slice(3)];
  t.same(rejection(() => verifyCoinHistory({ ...good, entries })), { code: 'duplicate_block', block: 5000n });
});

t.test('extra block beyond the committed ones or a non-child block → unexpected_block', async (t) => {
  const good = input(honest);
  const extra = { ...good.entries[7]!, block: 11000n };
  t.same(rejection(() => verifyCoinHistory({ ...good, entries: [...good.entries, extra] })), { code: 'unexpected_block', block: 11000n });
  const depositBlock = { ...good.entries[0]!, block: 3001n };
  t.equal(rejection(() => verifyCoinHistory({ ...good, entries: [depositBlock, ...good.entries.slice(1)] })).code, 'unexpected_block');
});

t.test('a block with no root on L1 → unknown_root', async (t) => {
  const good = input(honest);
  t.same(rejection(() => verifyCoinHistory({ ...good, roots: (block) => (block === 7000n ? undefined : good.roots(block)) })), { code: 'unknown_root', block: 7000n });
});

t.test('wrong root on L1 → invalid_proof', async (t) => {
  const good = input(honest);
  const wrong = hexToBytes(good.roots(6000n) as Hash);
  wrong[0]! ^= 1;
  t.same(rejection(() => verifyCoinHistory({ ...good, roots: (block) => (block === 6000n ? bytesToHex(wrong) : good.roots(block)) })), { code: 'invalid_proof', block: 6000n });
});

t.test('exclusion claimed where the coin moved, or a malformed proof → invalid_proof', async (t) => {
  const good = input(honest);
  const hidden = good.entries.map((entry) => (entry.block === 6000n ? { block: 6000n, kind: 'exclusion' as const, proof: entry.proof } : entry));
  t.same(rejection(() => verifyCoinHistory({ ...good, entries: hidden })), { code: 'invalid_proof', block: 6000n });
  const truncated = good.entries.map((entry) => (entry.block === 4000n ? { ...entry, proof: entry.proof.slice(0, -2) as Hex } : entry));
  t.same(rejection(() => verifyCoinHistory({ ...good, entries: truncated })), { code: 'invalid_proof', block: 4000n });
});

t.test('forged signature (signed by someone else than the owner) → not_signed_by_owner', async (t) => {
  const forged = withSpend(6000n, spend(4000n, mallory, mallory));
  t.same(rejection(() => verifyCoinHistory(input(forged))), { code: 'not_signed_by_owner', block: 6000n });
});

t.test('double spend (the same parent spent twice) → double_spend', async (t) => {
  // Alice already gave the coin to Bob at 4000; a second spend by Alice from the deposit at 5000.
  const doubleSpend = withSpend(5000n, spend(2003n, mallory, alice));
  t.same(rejection(() => verifyCoinHistory(input(doubleSpend))), { code: 'double_spend', block: 5000n });
});

t.test('wrong denomination → wrong_denomination', async (t) => {
  const bad = withSpend(6000n, spend(4000n, carol, bob, { denomination: deposit.denomination + 1n }));
  t.same(rejection(() => verifyCoinHistory(input(bad))), { code: 'wrong_denomination', block: 6000n });
});

t.test('a transaction of another slot at the coin\'s leaf → wrong_slot', async (t) => {
  const bad = withSpend(6000n, spend(4000n, carol, bob, { slot: SLOT + 1n }));
  t.same(rejection(() => verifyCoinHistory(input(bad))), { code: 'wrong_slot', block: 6000n });
});

t.test('prevBlock naming a block outside the chain → broken_chain', async (t) => {
  const bad = withSpend(6000n, spend(5000n, carol, bob));
  t.same(rejection(() => verifyCoinHistory(input(bad))), { code: 'broken_chain', block: 6000n });
  const future = withSpend(6000n, spend(7000n, carol, bob));
  t.same(rejection(() => verifyCoinHistory(input(future))), { code: 'broken_chain', block: 6000n });
});

t.test('high-s signature (malleated twin of the owner\'s) → bad_signature', async (t) => {
  const item = honest.get(6000n)!;
  const good = hexToBytes(signDigest(transactionDigest(item.tx, DOMAIN), bob));
  const s = BigInt(bytesToHex(good.subarray(32, 64)));
  const twin = new Uint8Array(65);
  twin.set(good.subarray(0, 32));
  twin.set(hexToBytes(`0x${(N - s).toString(16).padStart(64, '0')}`), 32);
  twin[64] = good[64] === 27 ? 28 : 27;
  const bad = withSpend(6000n, { ...item, signature: bytesToHex(twin) });
  const result = rejection(() => verifyCoinHistory(input(bad)));
  t.same(result, { code: 'bad_signature', block: 6000n });
});

t.test('malformed signature (bad v) → bad_signature', async (t) => {
  const item = honest.get(4000n)!;
  const signature = hexToBytes(signDigest(transactionDigest(item.tx, DOMAIN), alice));
  signature[64] = 1;
  t.same(rejection(() => verifyCoinHistory(input(withSpend(4000n, { ...item, signature: bytesToHex(signature) })))), { code: 'bad_signature', block: 4000n });
});

t.test('final owner other than the expected receiver → wrong_owner', async (t) => {
  t.same(rejection(() => verifyCoinHistory(input(honest, { expectedOwner: addressOf(carol) }))), { code: 'wrong_owner', block: 9000n });
  const upper = ('0x' + addressOf(alice).slice(2).toUpperCase()) as Address;
  t.equal(verifyCoinHistory(input(honest, { expectedOwner: upper })).owner, addressOf(alice), 'address case does not matter');
});

t.test('a checksummed depositor address is the same owner as its lowercase form', async (t) => {
  const upper = ('0x' + deposit.owner.slice(2).toUpperCase()) as Address;
  const state = verifyCoinHistory(input(honest, { deposit: { ...deposit, owner: upper } }));
  t.equal(state.owner, addressOf(alice));
});

t.test('errors name the rule that failed', async (t) => {
  t.throws(() => verifyCoinHistory(input(withSpend(6000n, spend(5000n, carol, bob)))), {
    name: 'HistoryError',
    rule: /prevBlock must name the block of the previous valid transaction \(4000\)/,
  });
});
