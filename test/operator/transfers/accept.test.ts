import t from 'tap';
import { bytesToHex, transactionDigestBytes, type Transaction } from '../../../client/protocol/index.ts';
import { slotToDb } from '../../../operator/db/codec.ts';
import { insertAccepted, pendingCount, type AcceptedRow } from '../../../operator/db/transfers.ts';
import { acceptTransfers } from '../../../operator/transfers/accept.ts';
import { PARALLEL_RECOVERY_THRESHOLD } from '../../../operator/transfers/recover-workers.ts';
import { createTestStore } from '../db/helpers.ts';
import { DENOMINATION, DEPOSIT_BLOCK, DOMAIN, insertCoins, KEYS, OWNERS, signed } from '../http/fixture.ts';

const store = await createTestStore(t, 'accept');
await insertCoins(store, [1n, 2n, 3n, 4n, 5n].map((slot) => ({ slot, owner: OWNERS[0]! })));

function row(tx: Transaction, signer = OWNERS[0]!): AcceptedRow {
  const { signature } = signed(tx, KEYS[0]!);
  return { ...tx, signature, digest: bytesToHex(transactionDigestBytes(tx, DOMAIN)), signer };
}
const spend = (slot: bigint, fields: Partial<Transaction> = {}): Transaction => ({
  slot,
  prevBlock: DEPOSIT_BLOCK,
  denomination: DENOMINATION,
  newOwner: OWNERS[1]!,
  ...fields,
});

t.test('insertAccepted re-checks the coin at insert time: a row stale since it was checked does not go in', async (t) => {
  await store.sql`update coins set state = 'exiting' where slot = ${slotToDb(2n)}::int8`;
  await store.sql`update coins set last_block = 1000 where slot = ${slotToDb(3n)}::int8`;
  await store.sql`update coins set owner = ${Buffer.from(OWNERS[3]!.slice(2), 'hex')} where slot = ${slotToDb(4n)}::int8`;
  const inserted = await insertAccepted(store.sql, [row(spend(1n)), row(spend(2n)), row(spend(3n)), row(spend(4n)), row(spend(99n))]);
  t.same([...inserted], [1n], 'only the coin that is still as it was checked');
  const again = await insertAccepted(store.sql, [row(spend(1n, { newOwner: OWNERS[2]! }))]);
  t.equal(again.size, 0, 'a second pending spend of a slot is refused by the primary key');
  t.equal(await pendingCount(store.sql), 1);
});

t.test('concurrent batches for one slot accept exactly one, the others are already_pending', async (t) => {
  // slot 5 is free; several batches race for it and for each other's slots
  const batches = Array.from({ length: 8 }, (_, i) => [signed(spend(5n, { newOwner: OWNERS[i % 4]! }), KEYS[0]!)]);
  const results = (await Promise.all(batches.map((items) => acceptTransfers(store, DOMAIN, items)))).flat();
  t.equal(results.filter((result) => result.status === 'accepted').length, 1, 'exactly one accepted');
  t.match(results.filter((result) => result.status === 'rejected'), Array(7).fill({ error: { code: 'already_pending' } }));
});

t.test('acceptTransfers on an empty-of-valid batch touches nothing', async (t) => {
  const before = await pendingCount(store.sql);
  const results = await acceptTransfers(store, DOMAIN, [signed(spend(2n), KEYS[0]!), signed(spend(77n), KEYS[0]!)]);
  t.match(results, [{ error: { code: 'coin_exiting' } }, { error: { code: 'unknown_coin' } }]);
  t.equal(await pendingCount(store.sql), before);
});

t.test('a large batch is recovered on the worker pool with the same verdicts, in order', async (t) => {
  const slots = Array.from({ length: 3 * PARALLEL_RECOVERY_THRESHOLD }, (_, i) => 1000n + BigInt(i));
  await insertCoins(store, slots.map((slot) => ({ slot, owner: OWNERS[0]! })));
  const items = slots.map((slot) => signed(spend(slot), KEYS[0]!));
  items[3] = signed(spend(slots[3]!), KEYS[2]!); // signed by someone else
  const high = items[7]!.signature;
  items[7] = { ...items[7]!, signature: `${high.slice(0, 130)}1d` as typeof high }; // v = 29
  items[9] = items[8]!; // the same spend twice in one batch
  const results = await acceptTransfers(store, DOMAIN, items);
  t.match(results[3], { status: 'rejected', error: { code: 'not_owner' } });
  t.match(results[7], { status: 'rejected', error: { code: 'invalid_signature', message: /^invalid_signature_v: / } });
  t.match(results[9], { status: 'rejected', error: { code: 'already_pending' } });
  const accepted = results.filter((result) => result.status === 'accepted');
  t.equal(accepted.length, items.length - 3, 'every other transfer accepted');
  t.same(
    results.map((result, i) => (result.status === 'accepted' ? result.digest : i)),
    items.map((item, i) => ([3, 7, 9].includes(i) ? i : bytesToHex(transactionDigestBytes(item.transaction, DOMAIN)))),
    'answers in item order, each with its own digest',
  );
});
