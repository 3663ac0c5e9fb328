// The block loop's scheduling, on a fake clock: a pass per interval, at once for a full block or for deposits at
// the half mark, never a hot retry loop; and the deposit rule (block/deposits.ts): a child block, empty if nothing
// is pending, at the half mark and once per wait while a deposit waits, and none when no deposit waits.
import t, { type Test } from 'tap';
import { ANVIL_KEYS } from '../../../devnet/anvil.ts';
import { EMPTY_ROOT } from '../../../client/protocol/index.ts';
import { BlockCommitter } from '../../../operator/block/committer.ts';
import { DEPOSIT_HALF_MARK, depositBlockDue } from '../../../operator/block/deposits.ts';
import { startBlockLoop, type BlockLoop, type BlockLoopDeps } from '../../../operator/block/loop.ts';
import { JsonRpc } from '../../../client/l1/rpc.ts';
import { hexOf, slotToDb } from '../../../operator/db/codec.ts';
import type { Store } from '../../../operator/db/store.ts';
import { createLog } from '../../../operator/log.ts';
import { createTestStore } from '../db/helpers.ts';
import { freePort } from '../../support/anvil.ts';
import { FakeClock } from '../../support/fake-clock.ts';

/** Fires the timers due in the next `ms` and waits for the pass they start (and its block) to finish. */
async function runPass(loop: BlockLoop, clock: FakeClock, ms: number): Promise<void> {
  const pending = clock.pending();
  if (!pending.some((delay) => delay <= ms)) throw new Error(`no pass falls due within ${ms} ms (timers in ${pending.join(', ')} ms)`);
  const done = loop.nextPass();
  clock.advance(ms);
  await done;
}

/** A loop on `store` whose blocks are "committed" by marking them confirmed (no L1). */
function startLoop(t: Test, store: Store, clock: FakeClock, config: BlockLoopDeps['config']): BlockLoop {
  const committer = {
    reconcile: async () => [],
    resume: async () => [],
    commit: async (number: bigint) => store.setBlockStatus(number, 'confirmed'),
  };
  const loop = startBlockLoop({ config, store, committer, log: createLog({ level: 'error', write: () => undefined }), timers: clock });
  t.teardown(() => loop.stop(1000));
  return loop;
}

/** Deposits as the L1 follower records them, numbered `blocks`. */
async function addDeposits(store: Store, blocks: readonly bigint[]): Promise<void> {
  for (const block of blocks) {
    await store.sql`
      insert into deposits (block, slot, depositor, kind, token, denomination, l1_tx_hash, l1_block, confirmed)
      values (${block.toString()}::int8, ${slotToDb(block)}::int8, ${Buffer.alloc(20, 1)}, 'eth', ${Buffer.alloc(20)}, 1, ${Buffer.alloc(32, 2)}, 1, true)`;
  }
}

const range = (from: bigint, to: bigint): bigint[] => Array.from({ length: Number(to - from + 1n) }, (_, k) => from + BigInt(k));

async function blocks(store: Store): Promise<{ number: bigint; txCount: number; root: string; status: string }[]> {
  const rows = await store.sql<{ number: string; tx_count: number; root: Buffer; status: string }[]>`select number, tx_count, root, status from blocks order by number`;
  return rows.map((row) => ({ number: BigInt(row.number), txCount: row.tx_count, root: hexOf(row.root), status: row.status }));
}

t.test('a failing pass waits the interval before the next one, even with a full block waiting', async (t) => {
  const store = await createTestStore(t, 'loop_retry');
  // an L1 node that refuses every connection: each pass fails at once, in reconcile
  const rpc = new JsonRpc(`http://127.0.0.1:${await freePort()}`);
  const committer = new BlockCommitter({ rpc, store, contract: `0x${'11'.repeat(20)}`, operatorKey: ANVIL_KEYS[0], confirmations: 0, log: () => {} });
  const failures: string[] = [];
  const log = createLog({ level: 'error', write: (line) => void failures.push(line) });
  const clock = new FakeClock();
  const loop = startBlockLoop({ config: { blockSize: 2, blockIntervalMs: 200 }, store, committer, log, timers: clock });
  t.teardown(() => loop.stop(1000));

  await runPass(loop, clock, 0);
  t.equal(failures.length, 1, 'the first pass failed');
  t.match(JSON.parse(failures[0]!), { level: 'error', msg: /retrying on the next interval/ });
  t.same(clock.pending(), [200], 'the next pass is an interval away');
  loop.noteAccepted(5); // more than a block's worth: without the rule, the failed pass would be followed at once
  t.same(clock.pending(), [200], 'a full block does not bring the pass after a failure forward');
  clock.advance(199);
  t.equal(failures.length, 1, 'no pass before the interval');
  await runPass(loop, clock, 1);
  t.equal(failures.length, 2, 'the second pass, an interval after the first');
  t.same(clock.pending(), [200]);
});

t.test('a full block of accepted transfers starts the next pass at once', async (t) => {
  const store = await createTestStore(t, 'loop_full');
  const clock = new FakeClock();
  const loop = startLoop(t, store, clock, { blockSize: 3, blockIntervalMs: 1000 });
  await runPass(loop, clock, 0);
  t.same(clock.pending(), [1000]);
  loop.noteAccepted(2);
  t.same(clock.pending(), [1000], 'two of three: the pass waits for the interval');
  loop.noteAccepted(1);
  t.same(clock.pending(), [0], 'a full block: the pass starts now');
});

t.test('the deposit rule, as a function of the interval', async (t) => {
  t.equal(DEPOSIT_HALF_MARK, 500n);
  t.equal(depositBlockDue({ lastChild: 0n, lastDeposit: 0n }), undefined, 'no deposit');
  t.equal(depositBlockDue({ lastChild: 3000n, lastDeposit: 2999n }), undefined, 'every deposit before the last claimed block');
  t.equal(depositBlockDue({ lastChild: 3000n, lastDeposit: 3001n }), 'waiting');
  t.equal(depositBlockDue({ lastChild: 3000n, lastDeposit: 3499n }), 'waiting', '499 numbers used');
  t.equal(depositBlockDue({ lastChild: 3000n, lastDeposit: 3500n }), 'half', '500 numbers used');
  t.equal(depositBlockDue({ lastChild: 0n, lastDeposit: 999n }), 'half');
});

t.test('half of the deposit numbers used: an empty block at once, woken by the follower', async (t) => {
  const real = await createTestStore(t, 'loop_half');
  let afterClaim: (() => void) | undefined;
  const store = new Proxy(real, {
    get(target, property) {
      if (property === 'claimBlock') {
        return async (...args: Parameters<Store['claimBlock']>) => {
          const claimed = await target.claimBlock(...args);
          afterClaim?.();
          return claimed;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const clock = new FakeClock();
  // a long wait: only the half mark can call for these blocks
  const loop = startLoop(t, store, clock, { blockSize: 100, blockIntervalMs: 1000, depositWaitMs: 3_600_000 });
  await runPass(loop, clock, 0);
  t.same(await blocks(store), [], 'no deposit, no block');

  await addDeposits(store, range(1n, 499n));
  loop.noteDeposit(499n);
  t.same(clock.pending(), [1000], '499 deposits: no hurry');
  await runPass(loop, clock, 1000);
  t.same(await blocks(store), [], '499 deposits waiting, less than the wait: no block');

  // The follower notes the 500th deposit as soon as it reads it, before it is stored.
  loop.noteDeposit(500n);
  t.same(clock.pending(), [0], 'the 500th deposit starts the pass now');
  await runPass(loop, clock, 0);
  t.same(await blocks(store), [{ number: 1000n, txCount: 0, root: EMPTY_ROOT, status: 'confirmed' }], 'an empty block closes the interval');
  await addDeposits(store, [500n]);
  t.same(clock.pending(), [1000], 'then back to the interval');

  // The follower's note arrives while a pass runs, after the pass has decided (here: as it claims): the next
  // pass starts as soon as this one ends.
  afterClaim = () => loop.noteDeposit(1500n);
  await runPass(loop, clock, 1000);
  afterClaim = undefined;
  t.same(clock.pending(), [0], 'a note during a pass: the next one at once');
  await addDeposits(store, range(1001n, 1500n));
  await runPass(loop, clock, 0);
  t.same((await blocks(store)).map((block) => block.number), [1000n, 2000n], 'the next interval closed at its half mark');

  // The pass reads the deposits itself: the half mark calls for a block even without the follower's note.
  await addDeposits(store, range(2001n, 2600n));
  await runPass(loop, clock, 1000);
  t.same((await blocks(store)).map((block) => block.number), [1000n, 2000n, 3000n], 'the third interval at its half mark');
  await runPass(loop, clock, 1000);
  t.equal((await blocks(store)).length, 3, 'deposits before the last block call for nothing more');
});

t.test('a waiting deposit gets a block once per interval', async (t) => {
  const store = await createTestStore(t, 'loop_wait');
  const clock = new FakeClock();
  const loop = startLoop(t, store, clock, { blockSize: 100, blockIntervalMs: 100 });
  await runPass(loop, clock, 0);
  await addDeposits(store, [1n]);
  loop.noteDeposit(1n);
  t.same(clock.pending(), [100], 'one deposit does not hurry the pass');
  await runPass(loop, clock, 100);
  t.same(await blocks(store), [{ number: 1000n, txCount: 0, root: EMPTY_ROOT, status: 'confirmed' }], 'an empty block on the next pass');
  await addDeposits(store, [1001n]);
  await runPass(loop, clock, 100);
  t.same((await blocks(store)).map((block) => block.number), [1000n, 2000n], 'and again one interval later');
});

t.test('with a longer wait, a waiting deposit gets its block once the wait since the last block is over', async (t) => {
  const store = await createTestStore(t, 'loop_wait_long');
  const clock = new FakeClock();
  const loop = startLoop(t, store, clock, { blockSize: 100, blockIntervalMs: 100, depositWaitMs: 1000 });
  await runPass(loop, clock, 0);
  await addDeposits(store, [1n]);
  for (let k = 1; k <= 9; k++) await runPass(loop, clock, 100);
  t.same(await blocks(store), [], 'passes up to 900 ms after the start claim nothing');
  await runPass(loop, clock, 100);
  t.same((await blocks(store)).map((block) => block.number), [1000n], '1000 ms: the block');
});

t.test('no deposit waiting, nothing pending: no empty block', async (t) => {
  const store = await createTestStore(t, 'loop_idle');
  const clock = new FakeClock();
  const loop = startLoop(t, store, clock, { blockSize: 100, blockIntervalMs: 100 });
  for (let k = 0; k < 10; k++) await runPass(loop, clock, k === 0 ? 0 : 100);
  t.same(await blocks(store), [], 'no deposit at all');
  await addDeposits(store, [1n, 2n]);
  await runPass(loop, clock, 100);
  t.equal((await blocks(store)).length, 1, 'the deposits\' block');
  for (let k = 0; k < 10; k++) await runPass(loop, clock, 100);
  t.equal((await blocks(store)).length, 1, 'the deposits are before it: no further block');
});
