// wallet receive / exit with checkpoint packages (issue 14, stage 2), over a fake L1 that answers the checkpoint
// module's views (docs/CHECKPOINTS.md §2) and a fake operator: the package is verified against what L1 says, the
// base is kept, and the coin's exit call is the one §7 rule 4 names.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkpointHistoryResponseToJson,
  coinHistoryResponseToJson,
  depositTransaction,
  transactionDigest,
  type Address,
  type CheckpointHistoryResponse,
  type CheckpointLeafObject,
  type CheckpointRecord,
  type LeafStatusName,
} from '../../../client/protocol/index.ts';
import { checkpointGameInterface } from '../../../client/l1/checkpoint-game.ts';
import { receive } from '../../../client/wallet/receive.ts';
import { exitCall } from '../../../client/wallet/exit.ts';
import { chainLastBlock, chainOwner, emptyState, type WalletState } from '../../../client/wallet/state.ts';
import { resumeChain, type WalletContext } from '../../../client/wallet/context.ts';
import { StateFile } from '../../../client/wallet/state-file.ts';
import { addressOf, DOMAIN } from '../protocol/fixtures/helpers.ts';
import { CHILD_BLOCKS, chainLeaf, checkpoint, deposit, entries, erin, honestWorld, LAST, roots, SLOT } from '../protocol/fixtures/checkpoint-world.ts';

const CONTRACT = '0x00000000000000000000000000000000000c0ffe' as Address;
type World = Map<bigint, { record: CheckpointRecord; object: CheckpointLeafObject }>;

/** eth_call answers of the checkpoint views from `world` (by k), as PlasmaCash would give them. */
function fakeRpc(world: World, count: bigint) {
  const iface = checkpointGameInterface();
  return {
    calls: [] as string[],
    async request<T>(method: string, params: unknown[]): Promise<T> {
      if (method !== 'eth_call') throw new Error(`unexpected ${method}`);
      const call = iface.parseTransaction({ data: (params[0] as { data: string }).data })!;
      this.calls.push(call.name);
      const k = call.args.length > 0 ? (call.args[0] as bigint) : -1n;
      const record = world.get(k)?.record;
      const answer = (values: unknown[]) => iface.encodeFunctionResult(call.name, values) as T;
      switch (call.name) {
        case 'checkpointCount':
          return answer([count]);
        case 'getCheckpoint':
          return answer([[record?.root ?? `0x${'0'.repeat(64)}`, record?.block ?? 0n, 0n, 0n]]);
        case 'leafStatus':
          return answer([['pending', 'final', 'void'].indexOf(record?.leafStatus ?? 'pending'), 0n]);
        default:
          throw new Error(`unexpected call ${call.name}`);
      }
    },
  };
}

function packageOf(world: World, base: bigint | null, pending: readonly bigint[]): CheckpointHistoryResponse {
  const from = base === null ? 0n : world.get(base)!.record.block;
  return {
    slot: SLOT,
    deposit: { block: deposit.block, owner: deposit.owner, denomination: deposit.denomination },
    lastCommittedBlock: LAST,
    entries: [...entries.values()].filter((entry) => entry.block > from),
    checkpoint: base === null ? null : world.get(base)!.object,
    pending: pending.map((k) => world.get(k)!.object),
  };
}

/** `operatorLeaves`: the operator serves the coin's leaf of any checkpoint (`/v1/checkpoints/:k/coins/:slot`); off, it withholds them. */
function context(t: Test, world: World, count: bigint, served?: CheckpointHistoryResponse, operatorLeaves = false) {
  const dir = mkdtempSync(path.join(tmpdir(), 'checkpoint-receive-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const me = addressOf(erin);
  const rpc = fakeRpc(world, count);
  const sent: { method: string; args: readonly unknown[] }[] = [];
  const ctx = {
    address: me,
    domain: DOMAIN,
    log: () => undefined,
    stateFile: new StateFile<WalletState>(path.join(dir, 'state.json'), () => emptyState(me, CONTRACT, DOMAIN.chainId, 0n)),
    roots: { sync: async () => undefined, lastBlock: () => LAST, get: (block: bigint) => roots.get(block), blocks: () => CHILD_BLOCKS },
    l1: {
      sent,
      send: async (_signer: unknown, method: string, args: readonly unknown[]) => {
        sent.push({ method, args });
        return { hash: `0x${'ab'.repeat(32)}`, l1Block: 501n, logs: [] };
      },
      rpc,
      address: CONTRACT,
      head: async () => ({ number: 500n, timestamp: 1n }),
      coin: async () => ({ depositor: deposit.owner, depositBlock: deposit.block, kind: 'eth', state: 'deposited', withdrawn: false, exitCount: 0n, headExit: 0n, token: `0x${'0'.repeat(40)}`, denomination: deposit.denomination, tokenId: 0n }),
    },
    operator: {
      historySinceCheckpoint: async () => served,
      history: async () => { throw new Error('the package reaches the last block: no history request'); },
      coinCheckpoint: async (_slot: bigint, k: bigint) => (operatorLeaves ? world.get(k)?.object : undefined),
    },
  } as unknown as WalletContext;
  return { ctx, rpc, sent };
}

t.test('a package starting at a final checkpoint is accepted and its base kept', async (t) => {
  const world = honestWorld();
  const { ctx, rpc } = context(t, world, 4n);
  const coin = await receive(ctx, checkpointHistoryResponseToJson(packageOf(world, 1n, [2n, 3n])));
  t.equal(coin.base?.checkpoint, 1n);
  t.equal(coin.base?.txBlock, 6000n);
  t.same(coin.chain.map((entry) => entry.block), [9000n, 11000n], 'only the transactions after N are in the chain');
  t.equal(coin.coveredThrough, LAST);
  t.equal(chainOwner(coin), addressOf(erin));
  t.ok(rpc.calls.includes('leafStatus') && rpc.calls.includes('checkpointCount'), 'L1 was asked');
  const stored = (await ctx.stateFile.read()).coins[SLOT.toString()]!;
  t.same(stored.base, coin.base, 'the base survives the state file');
  t.same(resumeChain(stored).map((entry) => entry.block), [6000n, 9000n, 11000n], 'a verifier resumes from the base transaction');
});

t.test('receive by slot asks the operator for ?since=checkpoint', async (t) => {
  const world = honestWorld();
  const { ctx } = context(t, world, 4n, packageOf(world, 1n, [2n, 3n]));
  const coin = await receive(ctx, SLOT);
  t.equal(coin.base?.checkpoint, 1n);
});

t.test('a checkpoint pending on L1 that the package leaves out is refused', async (t) => {
  const world = honestWorld();
  const { ctx } = context(t, world, 4n);
  await t.rejects(receive(ctx, checkpointHistoryResponseToJson(packageOf(world, 1n, [2n]))), { code: 'pending_leaf_missing', checkpoint: 3n });
  t.same((await ctx.stateFile.read()).coins, {}, 'nothing stored');
});

t.test('a checkpoint submitted after the package was served: its leaf is asked of the operator and verified', async (t) => {
  const world = honestWorld();
  const { ctx } = context(t, world, 4n, undefined, true);
  const coin = await receive(ctx, checkpointHistoryResponseToJson(packageOf(world, 1n, [2n])));
  t.equal(coin.base?.checkpoint, 1n);
  // A late leaf the operator serves wrong is refused like one in the package.
  const bad = honestWorld();
  bad.set(3n, { ...bad.get(3n)!, object: { ...bad.get(3n)!.object, leaf: `0x${'77'.repeat(32)}` } });
  const { ctx: ctx2 } = context(t, bad, 4n, undefined, true);
  await t.rejects(receive(ctx2, checkpointHistoryResponseToJson(packageOf(bad, 1n, [2n]))), { code: 'leaf_mismatch', checkpoint: 3n });
});

t.test('a base that L1 does not hold final is refused', async (t) => {
  const world = honestWorld();
  const base = world.get(1n)!;
  world.set(1n, { ...base, record: { ...base.record, leafStatus: 'pending' as LeafStatusName } });
  const { ctx } = context(t, world, 4n);
  await t.rejects(receive(ctx, checkpointHistoryResponseToJson(packageOf(world, 1n, [2n, 3n]))), { code: 'checkpoint_not_final' });
});

t.test('a whole history still works (an operator without checkpoints)', async (t) => {
  const world = honestWorld();
  const { ctx } = context(t, world, 4n);
  const full = packageOf(world, null, []);
  const coin = await receive(ctx, coinHistoryResponseToJson(full));
  t.equal(coin.base, undefined);
  t.same(coin.chain.map((entry) => entry.block), [4000n, 6000n, 9000n, 11000n]);
});

t.test('exits of a coin with a base: §7 rule 4', async (t) => {
  const world = honestWorld();
  const { ctx } = context(t, world, 4n);
  const coin = await receive(ctx, checkpointHistoryResponseToJson(packageOf(world, 1n, [2n, 3n])));
  t.equal(exitCall(coin).method, 'startExit', 'two transactions after the base: an ordinary exit');
  const one = { ...coin, chain: coin.chain.slice(0, 1) };
  const call = exitCall(one);
  t.equal(call.method, 'startExitFromCheckpoint', 'one transaction after the base: the base is its parent');
  t.match(call.args[0], { k: 1n, slot: SLOT, txBlock: 6000n, txDigest: coin.base!.txDigest, proof: coin.base!.leafProof });
  t.equal(call.args[5], 9000n);
  const none = { ...coin, chain: [] };
  t.equal(exitCall(none).method, 'startCheckpointExit', 'the base transaction itself');
  t.equal(chainLastBlock(none), 6000n);
  // A deposit leaf (B = the deposit block): the exits are bound to it as well (R3: a plain startExit from the
  // deposit would be open to a hidden spend inside (B, N]).
  const depositTx = depositTransaction(coin.deposit);
  const depositBase = { ...coin.base!, txBlock: deposit.block, txDigest: transactionDigest(depositTx, DOMAIN), transaction: depositTx, signature: null, proof: null };
  const { ctx: ctx2 } = context(t, world, 4n);
  const whole = await receive(ctx2, coinHistoryResponseToJson(packageOf(world, null, [])));
  const first = whole.chain[0]!;
  t.equal(first.transaction.prevBlock, deposit.block, 'the fixture\'s first transaction spends the deposit');
  const fromDeposit = exitCall({ ...whole, base: depositBase, chain: [first] });
  t.equal(fromDeposit.method, 'startExitFromCheckpoint', 'one transaction after a deposit leaf: bound to the leaf, not a plain startExit');
  t.match(fromDeposit.args[0], { k: 1n, slot: SLOT, txBlock: deposit.block });
  t.match(fromDeposit.args[1], { slot: SLOT, prevBlock: 0n, newOwner: deposit.owner });
  t.equal(fromDeposit.args[5], first.block);
  const depositOnly = exitCall({ ...whole, base: depositBase, chain: [] });
  t.equal(depositOnly.method, 'startCheckpointExit', 'no transaction after a deposit leaf: the deposit transaction with its leaf');
  t.match(depositOnly.args[1], { slot: SLOT, prevBlock: 0n, newOwner: deposit.owner });
  t.equal(whole.base, undefined);
  t.equal(exitCall({ ...whole, chain: [] }).method, 'startDepositExit', 'no base, no transaction: the deposit exit');
  t.equal(exitCall({ ...whole, chain: [first] }).method, 'startExit', 'no base: startExit from the deposit');
});

t.test('a pending leaf the package shows stale is voided with challengeLeafSpent, and the coin refused this time', async (t) => {
  const world = honestWorld();
  world.set(2n, checkpoint(2n, 10000n, chainLeaf(6000n))); // names Bob → Carol, which Carol spent at 9000 ≤ 10000
  const { ctx, sent } = context(t, world, 4n);
  await t.rejects(receive(ctx, checkpointHistoryResponseToJson(packageOf(world, 1n, [2n, 3n]))), { code: 'pending_leaf_stale', checkpoint: 2n, spendBlock: 9000n });
  t.equal(sent.length, 1);
  t.equal(sent[0]!.method, 'challengeLeafSpent');
  t.match(sent[0]!.args[0], { k: 2n, slot: SLOT, txBlock: 6000n });
  t.equal(sent[0]!.args[5], 9000n, 'the spend of the package at 9000');
  t.same((await ctx.stateFile.read()).coins, {}, 'nothing stored');
});
