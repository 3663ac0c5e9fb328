// The block loop's quiet trigger, on a fake clock: a block is built once acceptance has been quiet for
// blockQuietMs, not at the next interval tick; every acceptance pushes that pass back, but a steady stream (never
// quiet) is still cut into one block at the interval. Transfers go in through acceptTransfers, as the HTTP API
// takes them, and the loop is told as the API tells it (noteAccepted).
import t, { type Test } from 'tap';
import { signTransaction, type Transaction, type TransactionDomain } from '../../../client/protocol/index.ts';
import { startBlockLoop, type BlockLoop, type BlockLoopDeps } from '../../../operator/block/loop.ts';
import { slotToDb, toBuffer } from '../../../operator/db/codec.ts';
import type { Store } from '../../../operator/db/store.ts';
import { createLog } from '../../../operator/log.ts';
import { acceptTransfers } from '../../../operator/transfers/accept.ts';
import { createTestStore } from '../db/helpers.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const DOMAIN: TransactionDomain = { chainId: 31337n, verifyingContract: `0x${'cc'.repeat(20)}` };
const KEY = `0x${'01'.repeat(32)}` as const;
const OWNER = '0x1a642f0e3c3af545e7acbd38b07251b3990914f1'; // KEY's address
const INTERVAL = 1000;
const QUIET = 50;

/** A coin deposited in block 1, owned by KEY. */
async function addCoin(store: Store, slot: bigint): Promise<void> {
  await store.sql`
    insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block)
    values (${slotToDb(slot)}::int8, 'eth', ${Buffer.alloc(20)}, 1, ${toBuffer(OWNER)}, 1, ${toBuffer(OWNER)}, 1)`;
}

/** Accepts a transfer of `slot` as the API does, then tells the loop. */
async function accept(store: Store, loop: BlockLoop, slot: bigint): Promise<void> {
  const transaction: Transaction = { slot, prevBlock: 1n, denomination: 1n, newOwner: `0x${'22'.repeat(20)}` };
  const [result] = await acceptTransfers(store, DOMAIN, [{ transaction, signature: await signTransaction(transaction, DOMAIN, KEY) }]);
  if (result?.status !== 'accepted') throw new Error(`transfer of ${slot} not accepted: ${JSON.stringify(result)}`);
  loop.noteAccepted(1);
}

function startLoop(t: Test, store: Store, clock: FakeClock, config: BlockLoopDeps['config']): BlockLoop {
  const committer = { reconcile: async () => [], resume: async () => [], commit: async (number: bigint) => store.setBlockStatus(number, 'confirmed') };
  const loop = startBlockLoop({ config, store, committer, log: createLog({ level: 'error', write: () => undefined }), timers: clock });
  t.teardown(() => loop.stop(1000));
  return loop;
}

async function blockSizes(store: Store): Promise<number[]> {
  const rows = await store.sql<{ tx_count: number }[]>`select tx_count from blocks order by number`;
  return rows.map((row) => row.tx_count);
}

/** Fires what falls due in the next `ms` and waits for the pass it starts. */
async function passWithin(loop: BlockLoop, clock: FakeClock, ms: number): Promise<void> {
  if (!clock.pending().some((delay) => delay <= ms)) throw new Error(`no pass falls due within ${ms} ms (timers in ${clock.pending().join(', ')} ms)`);
  const done = loop.nextPass();
  clock.advance(ms);
  await done;
}

t.test('a lone transfer gets its block once acceptance is quiet, not at the interval', async (t) => {
  const store = await createTestStore(t, 'loop_quiet');
  const clock = new FakeClock();
  const loop = startLoop(t, store, clock, { blockSize: 100, blockIntervalMs: INTERVAL, blockQuietMs: QUIET });
  await passWithin(loop, clock, 0);
  t.same(clock.pending(), [INTERVAL], 'nothing accepted: the next pass an interval away');

  await addCoin(store, 7n);
  clock.advance(300);
  await accept(store, loop, 7n);
  t.same(clock.pending(), [QUIET], 'one acceptance: the pass moves to the end of the quiet window');
  clock.advance(QUIET - 1);
  t.same(await blockSizes(store), [], 'no block inside the window');
  await passWithin(loop, clock, 1);
  t.same(await blockSizes(store), [1], 'the block, 350 ms after the last pass instead of 1000');
  t.same(clock.pending(), [INTERVAL], 'then back to the interval: a quiet pass is not repeated');
  await passWithin(loop, clock, INTERVAL);
  t.same(await blockSizes(store), [1], 'nothing pending, nothing built');
});

t.test('a steady stream keeps pushing the pass back and is cut into one block at the interval', async (t) => {
  const store = await createTestStore(t, 'loop_stream');
  const clock = new FakeClock();
  const loop = startLoop(t, store, clock, { blockSize: 100, blockIntervalMs: INTERVAL, blockQuietMs: QUIET });
  await passWithin(loop, clock, 0);
  const gap = 40; // shorter than the quiet window: the stream is never quiet
  const slots = Array.from({ length: INTERVAL / gap }, (_, k) => BigInt(k + 1));
  for (const slot of slots) await addCoin(store, slot);

  for (const slot of slots) {
    await accept(store, loop, slot);
    const due = clock.pending()[0]!;
    t.equal(due, Math.min(QUIET, INTERVAL - clock.now()), `after the transfer at ${clock.now()} ms the pass is due in ${due} ms`);
    if (slot < BigInt(slots.length)) clock.advance(gap);
  }
  t.same(await blockSizes(store), [], `no block during ${clock.now()} ms of stream`);
  await passWithin(loop, clock, INTERVAL - clock.now());
  t.same(await blockSizes(store), [slots.length], 'one block of the whole stream, at the interval');
});

t.test('without a quiet window (blockQuietMs unset) acceptance waits for the interval, as before', async (t) => {
  const store = await createTestStore(t, 'loop_noquiet');
  const clock = new FakeClock();
  const loop = startLoop(t, store, clock, { blockSize: 100, blockIntervalMs: INTERVAL });
  await passWithin(loop, clock, 0);
  await addCoin(store, 7n);
  await accept(store, loop, 7n);
  t.same(clock.pending(), [INTERVAL]);
});
