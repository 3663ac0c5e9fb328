import t from 'tap';
import {
  parseCoinHistoryResponseJson,
  parseHistoryEntryJson,
  SparseMerkleTree,
  transactionDigestBytes,
  verifyCoinHistory,
  type Hash,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { createTestStore } from '../db/helpers.ts';
import { DENOMINATION, DEPOSIT_BLOCK, DOMAIN, get, insertCoins, KEYS, OWNERS, post, signed, startServer, transferJson } from './fixture.ts';

const store = await createTestStore(t, 'http_coins');
const server = await startServer(t, { store, limits: { historyPageBlocks: 2 }, l1Status: async () => ({ head: 1234n, healthy: true }) });

// Coin A moves in blocks 1000 (through the HTTP API) and 3000; coin B never moves; other coins fill the blocks.
const A = 0x1234_5678_9abc_def0n;
const B = A + 1n;
const FILLERS = [A - 1n, A + 5n, 42n];
const roots = new Map<bigint, Hash>();

/** Builds a block from `txs` (signed by `keys`), stores it and marks it confirmed, as the block builder will. */
async function commit(number: bigint, txs: Transaction[], keys: `0x${string}`[]): Promise<void> {
  const digests = txs.map((tx) => transactionDigestBytes(tx, DOMAIN));
  const tree = SparseMerkleTree.build(txs.map((tx, i) => ({ slot: tx.slot, leaf: digests[i]! })));
  await store.insertBlock({
    number,
    root: tree.rootBytes,
    transactions: txs.map((tx, i) => ({ tx, signature: signed(tx, keys[i]!).signature, digest: digests[i]!, proof: tree.proofBytes(tx.slot) })),
  });
  await store.setBlockStatus(number, 'confirmed');
  roots.set(number, tree.root);
}

await insertCoins(store, [A, B, ...FILLERS].map((slot) => ({ slot, owner: OWNERS[0]! })));
const first: Transaction = { slot: A, prevBlock: DEPOSIT_BLOCK, denomination: DENOMINATION, newOwner: OWNERS[1]! };
const accepted = await post(`${server.url}/v1/transactions`, transferJson(first, KEYS[0]!));
if (accepted.json.results[0].status !== 'accepted') throw new Error('setup: transfer not accepted');
const filler = (slot: bigint, block: bigint): Transaction => ({ slot, prevBlock: block, denomination: DENOMINATION, newOwner: OWNERS[0]! });
await commit(1000n, [first, filler(FILLERS[0]!, DEPOSIT_BLOCK)], [KEYS[0]!, KEYS[0]!]);
await commit(2000n, [filler(FILLERS[1]!, DEPOSIT_BLOCK)], [KEYS[0]!]);
const second: Transaction = { slot: A, prevBlock: 1000n, denomination: DENOMINATION, newOwner: OWNERS[2]! };
await commit(3000n, [second, filler(FILLERS[2]!, DEPOSIT_BLOCK)], [KEYS[1]!, KEYS[0]!]);
await commit(4000n, [], []);
// block 5000 is persisted but not confirmed on L1: it is no part of any history yet
await store.insertBlock({ number: 5000n, root: SparseMerkleTree.build([]).rootBytes, transactions: [] });

function verify(slot: bigint, body: unknown, expectedOwner: `0x${string}`) {
  const history = parseCoinHistoryResponseJson(body);
  return verifyCoinHistory({
    deposit: { slot, ...history.deposit },
    entries: history.entries,
    roots: (block) => roots.get(block),
    committedChildBlocks: { to: history.lastCommittedBlock },
    domain: DOMAIN,
    expectedOwner,
  });
}

t.test('GET /v1/coins/:slot reflects the blocks', async (t) => {
  const { status, json } = await get(`${server.url}/v1/coins/${A}`);
  t.equal(status, 200);
  t.same(json, {
    slot: A.toString(),
    owner: OWNERS[2],
    denomination: DENOMINATION.toString(),
    kind: 'eth',
    token: `0x${'00'.repeat(20)}`,
    tokenId: '0',
    depositor: OWNERS[0],
    depositBlock: '1',
    lastBlock: '3000',
    state: 'deposited',
  });
});

t.test('history verifies with client/protocol, streamed over pages of 2 blocks', async (t) => {
  const { status, json } = await get(`${server.url}/v1/coins/${A}/history`);
  t.equal(status, 200);
  t.equal(json.lastCommittedBlock, '4000');
  t.same(json.entries.map((entry: { block: string; kind: string }) => `${entry.block}:${entry.kind}`), ['1000:inclusion', '2000:exclusion', '3000:inclusion', '4000:exclusion']);
  t.same(Object.keys(json), ['slot', 'deposit', 'lastCommittedBlock', 'entries'], 'exactly the §9 fields, no next');
  const state = verify(A, json, OWNERS[2]!);
  t.equal(state.lastBlock, 3000n);
  const untouched = await get(`${server.url}/v1/coins/${B}/history`);
  t.equal(verify(B, untouched.json, OWNERS[0]!).lastBlock, DEPOSIT_BLOCK, 'a coin that never moved: exclusions only');
});

t.test('history with from/to/limit continues through next', async (t) => {
  const page = await get(`${server.url}/v1/coins/${A}/history?from=2000&limit=1`);
  t.same(page.json.entries.map((entry: { block: string }) => entry.block), ['2000']);
  t.equal(page.json.next, '3000');
  const rest = await get(`${server.url}/v1/coins/${A}/history?from=${page.json.next}&to=9000`);
  t.same(rest.json.entries.map((entry: { block: string }) => entry.block), ['3000', '4000'], 'to is clamped to the last committed block');
  t.equal(rest.json.next, undefined);
  const whole = { ...page.json, entries: [] as unknown[], next: undefined };
  for (const block of ['1000', '2000', '3000', '4000']) whole.entries.push((await get(`${server.url}/v1/coins/${A}/proofs/${block}`)).json);
  delete whole.next;
  t.equal(verify(A, whole, OWNERS[2]!).lastBlock, 3000n, 'entries fetched one by one from /proofs verify too');
  t.same(parseHistoryEntryJson(whole.entries[2]), { block: 3000n, kind: 'inclusion', transaction: second, signature: signed(second, KEYS[1]!).signature, proof: (whole.entries[2] as { proof: `0x${string}` }).proof });
});

t.test('owners, blocks and status', async (t) => {
  const owned = await get(`${server.url}/v1/owners/${OWNERS[0]}/coins?limit=2`);
  t.equal(owned.status, 200);
  t.equal(owned.json.coins.length, 2);
  const rest = await get(`${server.url}/v1/owners/${OWNERS[0]}/coins?after=${owned.json.next}`);
  t.equal(owned.json.coins.length + rest.json.coins.length, 4, 'B and the three fillers');
  t.equal(rest.json.next, undefined);

  const latest = await get(`${server.url}/v1/blocks/latest`);
  t.match(latest.json, { number: '4000', root: roots.get(4000n), txCount: 0, status: 'confirmed' });
  t.match((await get(`${server.url}/v1/blocks/5000`)).json, { number: '5000', status: 'persisted' });
  const txs = await get(`${server.url}/v1/blocks/1000/transactions?limit=1`);
  t.equal(txs.json.transactions.length, 1);
  t.ok(txs.json.next);
  const more = await get(`${server.url}/v1/blocks/1000/transactions?after=${txs.json.next}`);
  const slots = [...txs.json.transactions, ...more.json.transactions].map((tx: { slot: string }) => tx.slot).sort();
  t.same(slots, [A.toString(), FILLERS[0]!.toString()].sort());

  const status = await get(`${server.url}/v1/status`);
  t.same(status.json, {
    healthy: true,
    lastCommittedBlock: '4000',
    pendingCount: 0,
    postgres: { healthy: true },
    l1: { healthy: true, head: '1234' },
    chain: { chainId: DOMAIN.chainId.toString(), contract: DOMAIN.verifyingContract.toLowerCase(), l1Rpc: null, l1StartBlock: '0' },
    readReplica: null,
    reorgs: { count: 0, last: null },
  });
});

t.test('404s and 400s', async (t) => {
  const cases: Array<[string, number, string]> = [
    ['/v1/coins/7', 404, 'unknown_coin'],
    ['/v1/coins/7/history', 404, 'unknown_coin'],
    ['/v1/coins/7/proofs/1000', 404, 'unknown_coin'],
    [`/v1/coins/${A}/proofs/5000`, 404, 'unknown_block'],
    [`/v1/coins/${A}/proofs/1500`, 404, 'unknown_block'],
    ['/v1/blocks/6000', 404, 'unknown_block'],
    ['/v1/blocks/6000/transactions', 404, 'unknown_block'],
    ['/v1/nothing', 404, 'not_found'],
    ['/v1/coins/18446744073709551616', 400, 'invalid_slot'],
    ['/v1/coins/0x10', 400, 'invalid_slot'],
    [`/v1/coins/${A}/history?from=abc`, 400, 'invalid_block'],
    [`/v1/coins/${A}/history?from=1&from=2`, 400, 'invalid_object'],
    ['/v1/blocks/-1', 400, 'invalid_block'],
    ['/v1/owners/0x12/coins', 400, 'invalid_address'],
  ];
  for (const [path, expected, code] of cases) {
    const { status, json } = await get(`${server.url}${path}`);
    t.equal(status, expected, `${path}: status`);
    t.match(json, { error: { code, message: String } }, `${path}: ${code}`);
  }
  const wrongMethod = await fetch(`${server.url}/v1/transactions`);
  t.equal(wrongMethod.status, 405);
  t.match(await wrongMethod.json(), { error: { code: 'method_not_allowed' } });
});

t.test('a failing dependency is a 500 that hides internals, or a 503 on /v1/status', async (t) => {
  const logged: unknown[] = [];
  const broken = await startServer(t, {
    store,
    log: (entry) => logged.push(entry),
    l1Status: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8545');
    },
  });
  const status = await get(`${broken.url}/v1/status`);
  t.equal(status.status, 503);
  t.match(status.json, { healthy: false, postgres: { healthy: true }, l1: { healthy: false, head: null, error: 'l1_unreachable' } });
  t.notMatch(JSON.stringify(status.json), /ECONNREFUSED/);

  const failing = await startServer(t, {
    store: { ...store, sql: (() => Promise.reject(new Error('secret: password authentication failed'))) as unknown as typeof store.sql } as typeof store,
    log: (entry) => logged.push(entry),
  });
  const response = await get(`${failing.url}/v1/coins/${A}`);
  t.equal(response.status, 500);
  t.same(response.json, { error: { code: 'internal_error', message: 'the operator failed to answer this request' } });
  t.match(logged, [{ level: 'warn' }, { level: 'error', path: `/v1/coins/${A}`, error: { message: /password/ } }], 'the cause is logged');
});
