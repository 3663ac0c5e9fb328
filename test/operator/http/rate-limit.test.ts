// Per-client rate limit: a token bucket per remote address, 429 rate_limited with Retry-After, nothing run for a
// refused request; and the flags that set it.
import t from 'tap';
import { parseOperatorConfig } from '../../../operator/config.ts';
import { createTestStore } from '../db/helpers.ts';
import { get, insertCoins, OWNERS, post, startServer, transferJson, KEYS, DEPOSIT_BLOCK, DENOMINATION } from './fixture.ts';

t.test('past its bucket a client gets 429 rate_limited with Retry-After; a refused POST stores nothing; the bucket refills', async (t) => {
  const store = await createTestStore(t, 'rate_limit');
  let clock = 1_000_000;
  const server = await startServer(t, { store, rateLimit: { perSecond: 2, burst: 3, now: () => clock } });
  for (let i = 0; i < 3; i++) t.equal((await get(`${server.url}/v1/status`)).status, 200, `request ${i + 1} of the burst is served`);
  const refused = await fetch(`${server.url}/v1/status`);
  t.equal(refused.status, 429);
  t.equal(refused.headers.get('retry-after'), '1', 'Retry-After in whole seconds');
  t.match(await refused.json(), { error: { code: 'rate_limited', message: /at most 2 per second/ } });

  await insertCoins(store, [{ slot: 7n, owner: OWNERS[0]! }]);
  const tx = { slot: 7n, prevBlock: DEPOSIT_BLOCK, denomination: DENOMINATION, newOwner: OWNERS[1]! };
  const post429 = await post(`${server.url}/v1/transactions`, transferJson(tx, KEYS[0]!));
  t.match(post429, { status: 429, json: { error: { code: 'rate_limited' } } });
  const [pending] = await store.sql<{ n: number }[]>`select count(*)::int as n from pending_transactions`;
  t.equal(pending!.n, 0, 'a refused transfer is not accepted');

  clock += 500; // one token back
  t.match(await post(`${server.url}/v1/transactions`, transferJson(tx, KEYS[0]!)), { status: 200, json: { results: [{ status: 'accepted' }] } });
  t.equal((await get(`${server.url}/v1/status`)).status, 429, 'and only one');
  clock += 10_000;
  t.equal((await get(`${server.url}/v1/status`)).status, 200, 'an idle client is served again');
});

t.test('--rate-limit-per-second / PLASMA_RATE_LIMIT and --rate-limit-burst', async (t) => {
  const base = { PLASMA_L1_RPC: 'http://127.0.0.1:8545', PLASMA_CONTRACT: `0x${'cd'.repeat(20)}`, PLASMA_OPERATOR_KEY: `0x${'ab'.repeat(32)}` };
  t.match(parseOperatorConfig([], base), { rateLimit: { perSecond: 1000, burst: 2000 } }, 'generous by default');
  t.match(parseOperatorConfig([], { ...base, PLASMA_RATE_LIMIT: '50' }), { rateLimit: { perSecond: 50, burst: 100 } });
  t.match(parseOperatorConfig(['--rate-limit-per-second', '0'], base), { rateLimit: { perSecond: 0 } }, '0 turns it off');
  t.match(parseOperatorConfig(['--rate-limit-per-second', '10', '--rate-limit-burst', '1'], base), { rateLimit: { perSecond: 10, burst: 1 } });
  t.throws(() => parseOperatorConfig(['--rate-limit-per-second', 'many'], base), /--rate-limit-per-second must be an integer/);
});
