import t from 'tap';
import { transactionDigest, type Transaction } from '../../../client/protocol/index.ts';
import { slotToDb } from '../../../operator/db/codec.ts';
import { REJECTION_CODES } from '../../../operator/transfers/accept.ts';
import { createTestStore } from '../db/helpers.ts';
import { DENOMINATION, DEPOSIT_BLOCK, DOMAIN, insertCoins, KEYS, OWNERS, post, startServer, transferJson } from './fixture.ts';

const store = await createTestStore(t, 'http_tx');
const server = await startServer(t, { store, limits: { maxBatchItems: 5, maxBodyBytes: 16 * 1024 } });
const endpoint = `${server.url}/v1/transactions`;

let nextSlot = 1000n;
/** A fresh deposited coin of OWNERS[0] per call, so subtests never share a slot. */
async function coin(overrides: { state?: 'exiting' | 'exited' | 'reorged_out'; lastBlock?: bigint } = {}): Promise<bigint> {
  const slot = nextSlot++;
  await insertCoins(store, [{ slot, owner: OWNERS[0]!, ...overrides }]);
  return slot;
}
function spend(slot: bigint, fields: Partial<Transaction> = {}): Transaction {
  return { slot, prevBlock: DEPOSIT_BLOCK, denomination: DENOMINATION, newOwner: OWNERS[1]!, ...fields };
}
async function pendingSlots(): Promise<number> {
  const [row] = await store.sql<{ count: string }[]>`select count(*) as count from pending_transactions`;
  return Number(row!.count);
}

t.test('one valid transfer is accepted and durable before the answer', async (t) => {
  const slot = await coin();
  const tx = spend(slot);
  const { status, json } = await post(endpoint, transferJson(tx, KEYS[0]!));
  t.equal(status, 200);
  t.same(json, { results: [{ status: 'accepted', digest: transactionDigest(tx, DOMAIN) }] });
  const rows = await store.sql<{ digest: Buffer }[]>`select digest from pending_transactions where slot = ${slotToDb(slot)}::int8`;
  t.equal(rows.length, 1, 'in pending_transactions as soon as the response is read');
  t.equal(`0x${rows[0]!.digest.toString('hex')}`, transactionDigest(tx, DOMAIN));
});

const rejections: Array<[string, () => Promise<{ item: unknown }>]> = [
  ['unknown_coin', async () => ({ item: transferJson(spend(999_999_999n), KEYS[0]!) })],
  ['coin_exiting', async () => ({ item: transferJson(spend(await coin({ state: 'exiting' })), KEYS[0]!) })],
  ['coin_exited', async () => ({ item: transferJson(spend(await coin({ state: 'exited' })), KEYS[0]!) })],
  // a coin whose deposit a deep L1 reorg removed (operator/db/reorg.ts; the reorg itself: service/deep-reorg.test.ts)
  ['coin_reorged_out', async () => ({ item: transferJson(spend(await coin({ state: 'reorged_out' })), KEYS[0]!) })],
  ['wrong_prev_block', async () => ({ item: transferJson(spend(await coin(), { prevBlock: 2n }), KEYS[0]!) })],
  ['wrong_denomination', async () => ({ item: transferJson(spend(await coin(), { denomination: 5n }), KEYS[0]!) })],
  ['not_owner', async () => ({ item: transferJson(spend(await coin()), KEYS[2]!) })],
  [
    'invalid_signature',
    async () => {
      // high-s: s' = n − s with v flipped recovers the same key, but §4 allows low-s only
      const item = transferJson(spend(await coin()), KEYS[0]!);
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const s = BigInt(`0x${item.signature.slice(66, 130)}`);
      const v = item.signature.slice(130) === '1b' ? '1c' : '1b';
      return { item: { ...item, signature: `${item.signature.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${v}` } };
    },
  ],
  [
    'already_pending',
    async () => {
      const slot = await coin();
      const first = await post(endpoint, transferJson(spend(slot), KEYS[0]!));
      if (first.json.results[0].status !== 'accepted') throw new Error('setup: first transfer not accepted');
      return { item: transferJson(spend(slot, { newOwner: OWNERS[2]! }), KEYS[0]!) };
    },
  ],
];

t.test('every rejection code', async (t) => {
  t.same(rejections.map(([code]) => code).sort(), [...REJECTION_CODES].sort(), 'the list covers every code');
  for (const [code, setup] of rejections) {
    t.test(code, async (t) => {
      const { item } = await setup();
      const before = await pendingSlots();
      const { status, json } = await post(endpoint, item);
      t.equal(status, 200, 'a well-formed request is answered 200 even when its item is rejected');
      t.match(json, { results: [{ status: 'rejected', error: { code, message: String } }] });
      t.equal(Object.keys(json.results[0]).length, 2);
      t.equal(await pendingSlots(), before, 'nothing stored');
    });
  }
});

t.test('invalid_signature covers every SignatureError: r = 0, bad v', async (t) => {
  const slot = await coin();
  const item = transferJson(spend(slot), KEYS[0]!);
  const zeroR = { ...item, signature: `0x${'00'.repeat(32)}${item.signature.slice(66)}` };
  const badV = { ...item, signature: `${item.signature.slice(0, 130)}1d` };
  const { json } = await post(endpoint, [zeroR, badV]);
  t.match(json.results, [
    { status: 'rejected', error: { code: 'invalid_signature', message: /invalid_signature_r/ } },
    { status: 'rejected', error: { code: 'invalid_signature', message: /invalid_signature_v/ } },
  ]);
});

t.test('a batch with mixed results is answered item by item, in order; the first spend of a slot wins', async (t) => {
  const a = await coin();
  const b = await coin();
  const c = await coin({ state: 'exiting' });
  const batch = [
    transferJson(spend(a), KEYS[0]!),
    transferJson(spend(b), KEYS[3]!),
    transferJson(spend(c), KEYS[0]!),
    transferJson(spend(b), KEYS[0]!),
    transferJson(spend(a, { newOwner: OWNERS[3]! }), KEYS[0]!),
  ];
  const { status, json } = await post(endpoint, batch);
  t.equal(status, 200);
  t.match(json.results, [
    { status: 'accepted', digest: transactionDigest(spend(a), DOMAIN) },
    { status: 'rejected', error: { code: 'not_owner' } },
    { status: 'rejected', error: { code: 'coin_exiting' } },
    { status: 'accepted', digest: transactionDigest(spend(b), DOMAIN) },
    { status: 'rejected', error: { code: 'already_pending' } },
  ]);
  t.equal(json.results.length, 5);
});

t.test('malformed requests answer 4xx with a code and store nothing', async (t) => {
  const slot = await coin();
  const good = transferJson(spend(slot), KEYS[0]!);
  const cases: Array<[string, unknown, number, string, boolean?]> = [
    ['invalid JSON', '{"slot":', 400, 'invalid_json', true],
    ['empty body', '', 400, 'invalid_json', true],
    ['slot as a JSON number', { ...good, slot: 1 }, 400, 'invalid_slot'],
    ['denomination with a leading zero', { ...good, denomination: `0${good.denomination}` }, 400, 'invalid_denomination'],
    ['signature not hex', { ...good, signature: `0x${'zz'.repeat(65)}` }, 400, 'invalid_signature'],
    ['signature of 64 bytes', { ...good, signature: good.signature.slice(0, 130) }, 400, 'invalid_signature'],
    ['bad newOwner', { ...good, newOwner: '0x1234' }, 400, 'invalid_new_owner'],
    ['a misspelt field', { ...good, prevblock: '1' }, 400, 'unknown_field'],
    ['a missing field', { slot: good.slot, prevBlock: good.prevBlock, denomination: good.denomination, signature: good.signature }, 400, 'missing_field'],
    ['an empty array', [], 400, 'invalid_object'],
    ['a bare string', '"hello"', 400, 'invalid_object', true],
    ['one bad item among good ones', [good, { ...good, slot: '-1' }], 400, 'invalid_slot'],
    ['an oversize batch', Array.from({ length: 6 }, () => good), 413, 'batch_too_large'],
    ['an oversize body', JSON.stringify([{ ...good, pad: 'x'.repeat(20_000) }]), 413, 'body_too_large', true],
  ];
  for (const [name, body, expected, code, raw] of cases) {
    const { status, json } = await post(endpoint, body, raw === true);
    t.equal(status, expected, `${name}: status`);
    t.match(json, { error: { code, message: String } }, `${name}: ${code}`);
  }
  const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(good) });
  t.equal(response.status, 415);
  t.equal(((await response.json()) as { error: { code: string } }).error.code, 'unsupported_media_type');
  t.equal((await store.sql`select 1 from pending_transactions where slot = ${slotToDb(slot)}::int8`).length, 0, 'nothing stored');
});

t.test('concurrent submissions for one slot accept exactly one', async (t) => {
  const slot = await coin();
  const attempts = OWNERS.flatMap((owner) => [owner, owner]).map((newOwner, i) =>
    // distinct transfers of the same coin, each in its own request, all in flight at once
    post(endpoint, i % 2 === 0 ? transferJson(spend(slot, { newOwner }), KEYS[0]!) : [transferJson(spend(slot, { newOwner }), KEYS[0]!)]),
  );
  const results = (await Promise.all(attempts)).map((response) => response.json.results[0]);
  const accepted = results.filter((result) => result.status === 'accepted');
  t.equal(accepted.length, 1, 'one accepted');
  t.ok(results.every((result) => result.status === 'accepted' || result.error.code === 'already_pending'), 'the others are already_pending');
  const rows = await store.sql<{ digest: Buffer }[]>`select digest from pending_transactions where slot = ${slotToDb(slot)}::int8`;
  t.same(rows.map((row) => `0x${row.digest.toString('hex')}`), [accepted[0].digest], 'the stored spend is the accepted one');
});

t.test('/metrics counts requests by route and status, and transfers by code', async (t) => {
  const response = await fetch(`${server.url}/metrics`);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /text\/plain/);
  const text = await response.text();
  t.match(text, /plasma_http_requests_total\{method="POST",route="\/v1\/transactions",status="200"\} \d+/);
  t.match(text, /plasma_http_requests_total\{method="POST",route="\/v1\/transactions",status="413"\} 2/);
  t.match(text, /plasma_http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/v1\/transactions",status="200"\} \d+/);
  t.match(text, /plasma_transfers_total\{result="accepted",code=""\} \d+/);
  for (const code of REJECTION_CODES) t.match(text, new RegExp(`plasma_transfers_total\\{result="rejected",code="${code}"\\} \\d+`), code);
});
