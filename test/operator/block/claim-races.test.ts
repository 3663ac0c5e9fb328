// Review of the two-step block write (claim, then persist): races between a claim and whatever runs between
// its select and its move. A claim is made to pause after its select (pausingSql) while the race is played out.
import t, { type Test } from 'tap';
import type { Sql } from 'postgres';
import { verifyProof } from '../../../client/protocol/index.ts';
import { claimNextBlock } from '../../../operator/block/builder.ts';
import { claimBlock } from '../../../operator/db/block-writes.ts';
import { slotToDb } from '../../../operator/db/codec.ts';
import type { Store } from '../../../operator/db/store.ts';
import { insertAccepted } from '../../../operator/db/transfers.ts';
import { createTestStore } from '../db/helpers.ts';

const OWNER_A = `0x${'11'.repeat(20)}` as const;
const OWNER_B = `0x${'22'.repeat(20)}` as const;
const OWNER_C = `0x${'33'.repeat(20)}` as const;
const D1 = `0x${'d1'.repeat(32)}` as const;
const D2 = `0x${'d2'.repeat(32)}` as const;

/** A Sql whose sql.begin transaction pauses before its second query (the claim's nextNumber) until released. */
function pausingSql(sql: Sql, paused: () => void, gate: Promise<void>): Sql {
  return {
    begin: (fn: (tx: unknown) => unknown) =>
      sql.begin((tx) => {
        let n = 0;
        const wrapped = (strings: TemplateStringsArray, ...values: unknown[]) => {
          n += 1;
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const run = () => (tx as any)(strings, ...values);
          if (n !== 2) return run();
          return (async () => {
            paused();
            await gate;
            return run();
          })();
        };
        return fn(wrapped) as Promise<unknown>;
      }),
  } as unknown as Sql;
}

async function coinWithPendingSpend(store: Store, slot: bigint): Promise<void> {
  await store.sql`
    insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block)
    values (${slotToDb(slot)}::int8, 'eth', ${Buffer.alloc(20)}, 1, ${Buffer.from(OWNER_A.slice(2), 'hex')}, 1, ${Buffer.from(OWNER_A.slice(2), 'hex')}, 1)`;
  // T1: A → B naming the deposit block (signature bytes are irrelevant to the storage race)
  await insertAccepted(store.sql, [{ slot, prevBlock: 1n, denomination: 1n, newOwner: OWNER_B, signature: `0x${'aa'.repeat(65)}`, digest: D1, signer: OWNER_A }]);
}

/** A claim by a builder whose transaction stops after its select until `release()`; `paused` once it has. */
function pausedBuilder(store: Store) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let onPaused!: () => void;
  const paused = new Promise<void>((resolve) => (onPaused = resolve));
  const builder = { claimBlock: (options: { maxTransactions: number }, cb: never) => claimBlock(pausingSql(store.sql, onPaused, gate), options, cb), persistBlock: store.persistBlock.bind(store) } as unknown as Store;
  return { claiming: claimNextBlock(builder, { maxTransactions: 10 }), paused, release };
}

/** A coin at `slot` with a pending spend T1, and a claim that has chosen T1 and is paused there. */
async function claimPausedAfterChoosing(t: Test, label: string, slot: bigint) {
  const store = await createTestStore(t, label);
  await coinWithPendingSpend(store, slot);
  const builder = pausedBuilder(store);
  await builder.paused;
  return { store, builder };
}

// Finding 1 (HIGH): with the claim's select unlocked, a second builder could take T1 first and the coin's next
// spend T2 could be accepted into the slot; the first builder's move (by slot) then stored T2 under a root built
// from T1's digest. The select locks its rows: the second builder waits, and then finds nothing to take.
t.test('two builders on one database: the second waits for the rows the first chose, and never stores a spend under another\'s leaf', async (t) => {
  const slot = 7n;
  const { store, builder: first } = await claimPausedAfterChoosing(t, 'reviewclaim', slot);

  let secondDone = false;
  const second = claimNextBlock(store, { maxTransactions: 10 }).finally(() => (secondDone = true));
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.notOk(secondDone, 'the second builder waits for the first one\'s rows');
  first.release();
  const claimed = await first.claiming;
  t.equal(claimed?.number, 1000n);
  t.equal(await second, undefined, 'then finds nothing left to claim');
  const built = await claimed!.persist();
  const [stored] = await store.sql<{ digest: Buffer }[]>`select digest from transactions where block = 1000`;
  const [proof] = await store.sql<{ proof: Buffer }[]>`select proof from proofs where block = 1000`;
  t.ok(verifyProof(built.root, slot, stored!.digest, proof!.proof), 'the stored transaction is the leaf its root was built from');
  const [blocks] = await store.sql<{ n: number }[]>`select count(*)::int as n from blocks`;
  t.equal(blocks!.n, 1, 'one block');
  // T2 (B → C naming block 1000) is accepted now, and goes in the next block
  t.same([...(await insertAccepted(store.sql, [{ slot, prevBlock: 1000n, denomination: 1n, newOwner: OWNER_C, signature: `0x${'bb'.repeat(65)}`, digest: D2, signer: OWNER_B }]))], [slot]);
  t.match(await (await claimNextBlock(store, { maxTransactions: 10 }))!.persist(), { number: 2000n, txCount: 1 });
});

// Finding 2 (LOW): the claim's move did not re-check the coin's state, so a coin whose exit the follower recorded
// between the select and the move still had its spend included (§4: an exiting coin takes no transfer).
t.test('a coin that starts exiting while a block is claimed takes no transfer: the claim rolls back and the next one leaves it out', async (t) => {
  const slot = 9n;
  const { store, builder } = await claimPausedAfterChoosing(t, 'reviewclaim_exit', slot);
  await store.sql`update coins set state = 'exiting' where slot = ${slotToDb(slot)}::int8`; // as the follower does on ExitStarted
  builder.release();
  await t.rejects(builder.claiming, /started exiting while the block was claimed/);
  const [left] = await store.sql<{ blocks: number; pending: number; members: number }[]>`
    select (select count(*)::int from blocks) as blocks, (select count(*)::int from pending_transactions) as pending,
           (select count(*)::int from transactions) as members`;
  t.same(left, { blocks: 0, pending: 1, members: 0 }, 'nothing claimed, the transfer still pending');
  t.equal(await claimNextBlock(store, { maxTransactions: 10 }), undefined, 'the next claim leaves the exiting coin out');
});
