// The watcher's checkpoint phase (client/watcher/checkpoints.ts) over a fake L1 answering the checkpoint module's
// views and a fake operator serving leaves: the calls it sends, with their arguments, for a right leaf, a leaf
// naming a transaction in a block where the coin did not move, a withheld leaf, and a final leaf against an
// inconsistent live exit.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDigest, transactionDigest, ZERO_HASH, type Address, type CheckpointLeafObject, type CheckpointRecord, type InclusionEntry } from '../../../client/protocol/index.ts';
import { checkpointGameInterface } from '../../../client/l1/checkpoint-game.ts';
import { StateFile } from '../../../client/wallet/state-file.ts';
import { emptyState, exitKey, type WalletState } from '../../../client/wallet/state.ts';
import { WatcherContext } from '../../../client/watcher/context.ts';
import { watchCheckpoints } from '../../../client/watcher/checkpoints.ts';
import type { PlasmaWallet } from '../../../client/wallet/wallet.ts';
import { addressOf, DOMAIN } from '../protocol/fixtures/helpers.ts';
import { carol, chainLeaf, checkpoint, type LeafSpec, deposit, entries, erin, LAST, mallory, roots, SLOT, spend } from '../protocol/fixtures/checkpoint-world.ts';

const CONTRACT = '0x00000000000000000000000000000000000c0ffe' as Address;
const NOW = 1_000_000n;
const BOND = 10n ** 17n;
type World = Map<bigint, { record: CheckpointRecord; object: CheckpointLeafObject | undefined }>;

function fakeRpc(world: World, logs: readonly { topics: string[]; data: string }[] = []) {
  const iface = checkpointGameInterface();
  return {
    async request<T>(method: string, params: unknown[]): Promise<T> {
      if (method === 'eth_getLogs') return logs.map((log) => ({ ...log, address: CONTRACT, blockNumber: '0x1', transactionHash: `0x${'cd'.repeat(32)}`, logIndex: '0x0', removed: false })) as T;
      const call = iface.parseTransaction({ data: (params[0] as { data: string }).data })!;
      const k = call.args.length > 0 ? (call.args[0] as bigint) : -1n;
      const record = world.get(k)?.record;
      const answer = (values: unknown[]) => iface.encodeFunctionResult(call.name, values) as T;
      if (method !== 'eth_call') throw new Error(method);
      if (call.name === 'checkpointCount') return answer([BigInt(world.size)]);
      if (call.name === 'getCheckpoint') return answer([[record!.root, record!.block, NOW - 10n, NOW + 1000n]]);
      if (call.name === 'leafStatus') return answer([['pending', 'final', 'void'].indexOf(record!.leafStatus), record!.leafStatus === 'final' ? NOW - 1n : NOW + 2000n]);
      throw new Error(`unexpected ${call.name}`);
    },
  };
}

async function watch(t: Test, world: World, setup: (state: WalletState) => void = () => undefined, withBase = false, logs: readonly { topics: string[]; data: string }[] = []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'checkpoint-watch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const me = addressOf(erin);
  const stateFile = new StateFile<WalletState>(path.join(dir, 'state.json'), () => emptyState(me, CONTRACT, DOMAIN.chainId, 0n));
  const chain = [...entries.values()].filter((entry): entry is InclusionEntry => entry.kind === 'inclusion');
  await stateFile.update((state) => {
    state.coins[SLOT.toString()] = { slot: SLOT, deposit, asset: { kind: 'eth', token: `0x${'0'.repeat(40)}`, tokenId: 0n }, chain, coveredThrough: LAST, role: 'owner' };
    if (withBase) {
      // Received with a package from checkpoint 0 (at 7000, naming 6000): the chain after it only.
      const leaf = world.get(0n)!.object!;
      const base = chainLeaf(6000n) as Exclude<LeafSpec, 'zero'>;
      state.coins[SLOT.toString()]!.chain = chain.filter((entry) => entry.block > 7000n);
      state.coins[SLOT.toString()]!.base = { checkpoint: 0n, block: 7000n, txBlock: 6000n, txDigest: transactionDigest(base.tx, DOMAIN), leaf: leaf.leaf, leafProof: leaf.leafProof, transaction: base.tx, signature: base.signature, proof: base.proof };
    }
    setup(state);
  });
  const sent: { method: string; args: readonly unknown[]; value: bigint }[] = [];
  const wallet = {
    address: me,
    domain: DOMAIN,
    stateFile,
    roots: { get: (block: bigint) => roots.get(block) },
    l1: { rpc: fakeRpc(world, logs), address: CONTRACT, parameters: async () => ({ exitPeriod: 604800n, responsePeriod: 86400n, exitBond: BOND, challengeBond: BOND }) },
    operator: {
      coinCheckpoint: async (_slot: bigint, k: bigint) => world.get(k)?.object,
      proof: async (_slot: bigint, block: bigint) => entries.get(block),
    },
    sendL1: async (method: string, args: readonly unknown[], value = 0n) => {
      sent.push({ method, args, value });
      return { hash: `0x${'ab'.repeat(32)}`, l1Block: 1n, logs: [] };
    },
  } as unknown as PlasmaWallet;
  const ctx = new WatcherContext({ wallet });
  await watchCheckpoints(ctx, { number: 100n, timestamp: NOW });
  return { sent, ctx };
}

/** The honest checkpoints: k=0 at 7000 naming 6000 (final), k=1 at 10000 naming 9000 (pending). */
function world(): World {
  return new Map([
    [0n, checkpoint(0n, 7000n, chainLeaf(6000n), 'final')],
    [1n, checkpoint(1n, 10000n, chainLeaf(9000n))],
  ]);
}

t.test('right leaves: nothing sent', async (t) => {
  const { sent } = await watch(t, world());
  t.same(sent, []);
});

t.test('a leaf naming a transaction in a block where the coin did not move: challengeLeafNotIncluded with the exclusion proof', async (t) => {
  const w = world();
  const forged = spend(6000n, mallory, carol).tx;
  w.set(1n, checkpoint(1n, 10000n, { txBlock: 8000n, tx: forged, signature: signDigest(transactionDigest(forged, DOMAIN), carol), proof: entries.get(8000n)!.proof }));
  const { sent } = await watch(t, w);
  t.equal(sent.length, 1);
  t.equal(sent[0]!.method, 'challengeLeafNotIncluded');
  t.match(sent[0]!.args[0], { k: 1n, slot: SLOT, txBlock: 8000n, txDigest: transactionDigest(forged, DOMAIN) });
  t.equal(sent[0]!.args[1], ZERO_HASH);
  t.equal(sent[0]!.args[2], entries.get(8000n)!.proof, 'the exclusion proof of block 8000, checked against its root');
});

t.test('a withheld leaf (none served, or one that does not verify): challengeLeafWithheld with the bond and the wallet\'s transaction', async (t) => {
  const w = world();
  w.set(1n, { record: w.get(1n)!.record, object: undefined });
  const { sent } = await watch(t, w);
  t.equal(sent.length, 1);
  t.equal(sent[0]!.method, 'challengeLeafWithheld');
  t.equal(sent[0]!.value, BOND);
  t.same(sent[0]!.args.slice(0, 2), [1n, SLOT]);
  t.equal(sent[0]!.args[4], 9000n);
  const bad = world();
  const item = bad.get(1n)!;
  bad.set(1n, { record: item.record, object: { ...item.object!, leafProof: checkpoint(7n, 10000n, chainLeaf(4000n)).object.leafProof } });
  t.equal((await watch(t, bad)).sent[0]?.method, 'challengeLeafWithheld');
});

t.test('a final leaf naming the chain cancels a former owner\'s live exit: enforceCheckpoint', async (t) => {
  const { sent } = await watch(t, world(), (state) => {
    state.exits[exitKey(SLOT, 1n)] = { slot: SLOT, nonce: 1n, exitor: addressOf(carol), parentBlock: 4000n, exitBlock: 6000n, status: 'live', finalizableAt: NOW + 100n };
    state.exits[exitKey(SLOT, 2n)] = { slot: SLOT, nonce: 2n, exitor: addressOf(mallory), parentBlock: 2003n, exitBlock: 5000n, status: 'live', finalizableAt: NOW + 100n };
  });
  // Carol's exit of 6000 is the checkpointed transaction itself (consistent; challengeAfter beats it, act.ts);
  // Mallory's second spend of the deposit at 5000 is not.
  t.same(sent.map((call) => [call.method, call.args[1]]), [['enforceCheckpoint', 2n]]);
  t.match(sent[0]!.args[0], { k: 0n, slot: SLOT, txBlock: 6000n });
});

t.test('the coin\'s own base cancels a former owner\'s exit from before it, with no operator (R12)', async (t) => {
  const w = world();
  const { sent } = await watch(
    t,
    w,
    (state) => {
      state.exits[exitKey(SLOT, 3n)] = { slot: SLOT, nonce: 3n, exitor: addressOf(mallory), parentBlock: 2003n, exitBlock: 4000n, status: 'live', finalizableAt: NOW + 100n };
    },
    true,
  );
  // The base (k=0) enforces once from the wallet's own copy; the final leaf served for k=0 is the same call and is not sent twice.
  t.same(sent.map((call) => [call.method, call.args[1]]), [['enforceCheckpoint', 3n]]);
  t.match(sent[0]!.args[0], { k: 0n, slot: SLOT, txBlock: 6000n });
});

t.test('an invalid-history challenge of an owned coin\'s leaf is answered with the claim\'s child from the chain', async (t) => {
  const iface = checkpointGameInterface();
  const claim = chainLeaf(9000n) as Exclude<LeafSpec, 'zero'>; // Carol → Dave, spent by Dave → Erin at 11000
  const id = `0x${'5a'.repeat(32)}`;
  const event = iface.getEvent('LeafChallengeOpened')!;
  const log = iface.encodeEventLog(event, [1n, SLOT, id, 2, addressOf(mallory), { slot: SLOT, prevBlock: claim.tx.prevBlock, denomination: claim.tx.denomination, newOwner: claim.tx.newOwner }, 9000n, NOW + 30n]);
  const w = world();
  w.set(1n, checkpoint(1n, 12000n, chainLeaf(11000n)));
  const { sent } = await watch(t, w, undefined, false, [log]);
  t.same(sent.map((call) => call.method), ['answerLeafHistory']);
  t.same(sent[0]!.args.slice(0, 3), [1n, SLOT, id]);
  t.equal(sent[0]!.args[6], 11000n, 'the child at 11000');
  t.equal(sent[0]!.args[4], (entries.get(11000n) as InclusionEntry).signature);
});

t.test('a LeafRevealed naming this wallet is kept as a revealed transfer', async (t) => {
  const iface = checkpointGameInterface();
  const hidden = spend(11000n, erin, erin).tx; // a transfer to erin the operator withheld, shown by an answer
  const event = iface.getEvent('LeafRevealed')!;
  const log = iface.encodeEventLog(event, [1n, SLOT, `0x${'5b'.repeat(32)}`, 1, { slot: SLOT, prevBlock: 11000n, denomination: hidden.denomination, newOwner: hidden.newOwner }, 13000n, `0x${'11'.repeat(65)}`, '0x0000000000000000', NOW + 60n]);
  const { ctx } = await watch(t, world(), undefined, false, [log]);
  const revealed = (await ctx.wallet.stateFile.read()).revealed;
  t.match(Object.values(revealed), [{ slot: SLOT, block: 13000n, transaction: { newOwner: addressOf(erin), prevBlock: 11000n } }]);
});
