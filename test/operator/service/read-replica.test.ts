// --database-read-url with a real streaming replica of the local Postgres (test/support/pg-replica.ts), the real
// contract on anvil and the real operator, driven over HTTP: histories served from the replica verify against L1
// with the client's verifier, a history never names a committed block the replica has not replayed (replay paused
// to make the replica lag on purpose), acceptance reads the primary, /v1/status and /metrics report the lag, and a
// bad read URL is a clear startup error.
import t from 'tap';
import { parseEther, type LogDescription } from 'ethers';
import {
  parseCoinHistoryResponseJson,
  signedTransactionToJson,
  signTransaction,
  verifyCoinHistory,
  type Address,
  type Hash,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { childBlockRoot } from '../../../client/l1/contract.ts';
import { ConfigError, parseOperatorConfig } from '../../../operator/config.ts';
import { createLog } from '../../../operator/log.ts';
import { startOperator, StartupError, type RunningOperator } from '../../../operator/service.ts';
import { latestCommittedBlock } from '../../../operator/db/transfers.ts';
import postgres, { type Sql } from 'postgres';
import { ReadSnapshot } from '../../../operator/db/snapshot.ts';
import { Store } from '../../../operator/db/store.ts';
import { createTestDatabase } from '../db/helpers.ts';
import { startTestChain, testOperatorConfig, type TestChain } from '../../support/anvil.ts';
import { sharedReplica } from '../../support/shared-replica.ts';
import { until } from '../../support/system.ts';

const quiet = { log: createLog({ level: 'error', write: () => undefined }) };

t.test('--database-read-url is checked with the other flags', async (t) => {
  const base = { PLASMA_L1_RPC: 'http://127.0.0.1:8545', PLASMA_CONTRACT: `0x${'cd'.repeat(20)}`, PLASMA_OPERATOR_KEY: `0x${'11'.repeat(32)}` };
  t.throws(() => parseOperatorConfig(['--database-url', 'postgres://h/db', '--database-read-url', 'http://replica/db'], base), {
    name: 'ConfigError',
    message: /--database-read-url must be a postgres:\/\/ or postgresql:\/\/ URL of a streaming replica/,
  });
  t.throws(() => parseOperatorConfig(['--database-read-url', 'postgres://replica/db'], base), {
    message: /pass the primary's --database-url too/,
  });
  const config = parseOperatorConfig([], { ...base, DATABASE_URL: 'postgres://h/db', DATABASE_READ_URL: 'postgres://u:secret@replica/db' });
  t.not(config, 'help');
  if (config !== 'help') t.equal(config.databaseReadUrl, 'postgres://u:secret@replica/db', 'DATABASE_READ_URL is read');
  t.ok(ConfigError);
});

async function deposit(chain: TestChain, user: number): Promise<{ slot: bigint; block: bigint }> {
  const receipt = await (await chain.contract(chain.users[user]!).getFunction('deposit')({ value: parseEther('1') })).wait();
  const log = receipt!.logs.map((l: { topics: string[]; data: string }) => chain.contract().interface.parseLog(l)).find((p: LogDescription | null) => p?.name === 'Deposit');
  return { slot: log!.args.getValue('slot') as bigint, block: log!.args.getValue('blockNumber') as bigint };
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const replica = await sharedReplica();
const skip = 'skip' in replica ? replica.skip : false;

t.test('one ReadSnapshot sees one state of the replica while it replays, on both its connections', { skip }, async (t) => {
  if ('skip' in replica) return;
  const primaryUrl = await createTestDatabase(t, 'read_snapshot');
  const primary = postgres(primaryUrl, { max: 1, onnotice: () => {} });
  t.teardown(() => primary.end());
  await primary`create table probe (n int4)`;
  await primary`insert into probe values (1)`;
  await replica.caughtUp();
  const reads = Store.connect(replica.url(new URL(primaryUrl).pathname.slice(1)), { max: 4 });
  t.teardown(() => reads.close());
  const count = async (sql: Sql): Promise<number> => (await sql<{ n: number }[]>`select count(*)::int4 as n from probe`)[0]!.n;

  const snapshot = await ReadSnapshot.open(reads.sql);
  t.equal(await count(snapshot.sql), 1);
  await primary`insert into probe values (2)`;
  await replica.caughtUp();
  t.equal(await count(reads.sql), 2, 'the replica has replayed the new row');
  t.equal(await count(snapshot.sql), 1, 'the snapshot still sees the state it started with');
  t.equal(await count(await snapshot.second()), 1, 'and so does its second connection');
  await snapshot.close();
  await snapshot.close(); // idempotent: a streamed answer closes it on end and on close
  t.equal(await count(reads.sql), 2);
});

t.test('snapshots held by slow readers leave connections for everything else', async (t) => {
  const store = Store.connect(await createTestDatabase(t, 'snapshot_cap'), { max: 4 });
  t.teardown(() => store.close());
  // A pool of 4 keeps 2 spare: one snapshot (two connections) at a time.
  const held = await ReadSnapshot.open(store.sql);
  await held.second();
  let opened = false;
  const waiting = ReadSnapshot.open(store.sql).then((snapshot) => {
    opened = true;
    return snapshot;
  });
  t.same(await store.sql`select 1 as one`, [{ one: 1 }], 'a plain query (transfer acceptance) still gets a connection');
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.notOk(opened, 'a second snapshot waits while the first is held');
  await held.close();
  const next = await waiting;
  t.ok(opened, 'and opens once the first closes');
  t.same(await next.sql`select 2 as two`, [{ two: 2 }]);
  await next.close();
});

t.test('an operator reading from a streaming replica', { skip }, async (t) => {
  if ('skip' in replica) return;
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'read_replica');
  const database = new URL(databaseUrl).pathname.slice(1);
  const readUrl = replica.url(database);

  await t.test('a bad read URL is a clear startup error', async (t) => {
    // Nothing listens on port 1.
    await t.rejects(startOperator(testOperatorConfig(chain, databaseUrl, { 'database-read-url': 'postgres://postgres@127.0.0.1:1/x' }), quiet), {
      name: 'StartupError',
      message: /^cannot read from the replica at postgres:\/\/postgres@127\.0\.0\.1:1\/x: cannot reach it: .*; fix --database-read-url, or unset it to read from the primary$/,
    });
    // The replica, but another database than the primary's.
    await t.rejects(startOperator(testOperatorConfig(chain, databaseUrl, { 'database-read-url': replica.url('postgres') }), quiet), {
      message: new RegExp(`it names database "postgres", the primary "${database}"; use the same database name in both URLs`),
    });
    t.ok(StartupError);
  });

  const operator: RunningOperator = await startOperator(testOperatorConfig(chain, databaseUrl, { 'database-read-url': readUrl }), quiet);
  t.teardown(() => operator.stop());

  const [alice, bob, carol] = [chain.users[0]!, chain.users[1]!, chain.users[2]!];
  const lower = (address: string) => address.toLowerCase() as Address;
  const send = async (tx: Transaction, key: string): Promise<{ results: { status: string }[] }> => {
    const signature = await signTransaction(tx, chain.domain, key as `0x${string}`);
    const response = await fetch(`${operator.url}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedTransactionToJson(tx, signature)),
    });
    return (await response.json()) as { results: { status: string }[] };
  };
  const primaryLast = async (): Promise<bigint> => (await latestCommittedBlock(operator.store.sql))?.number ?? 0n;
  /** The history the operator serves, verified by the client's verifier against the roots on L1. */
  const verifiedHistory = async (slot: bigint, expectedOwner: Address) => {
    const response = await getJson(`${operator.url}/v1/coins/${slot}/history`);
    t.equal(response.status, 200);
    const history = parseCoinHistoryResponseJson(response.body);
    const roots = new Map<bigint, Hash>();
    for (let n = 1000n; n <= history.lastCommittedBlock; n += 1000n) roots.set(n, await childBlockRoot(chain.rpc, chain.address, n));
    const state = verifyCoinHistory({
      deposit: { slot, ...history.deposit },
      entries: history.entries,
      roots: (block) => roots.get(block),
      committedChildBlocks: { to: history.lastCommittedBlock },
      domain: chain.domain,
      expectedOwner,
    });
    return { history, state };
  };

  t.test('histories from the replica verify against L1; acceptance reads the primary', async (t) => {
    const coin = await deposit(chain, 0);
    await until('the deposit on the replica', async () => ((await fetch(`${operator.url}/v1/coins/${coin.slot}`)).ok ? true : undefined));
    const first: Transaction = { slot: coin.slot, prevBlock: coin.block, denomination: parseEther('1'), newOwner: lower(bob.address) };
    t.match(await send(first, alice.privateKey), { results: [{ status: 'accepted' }] });
    await until('block 1000 confirmed on the primary', async () => ((await primaryLast()) >= 1000n ? true : undefined));
    await replica.caughtUp();
    const { history, state } = await verifiedHistory(coin.slot, lower(bob.address));
    t.equal(history.lastCommittedBlock, 1000n);
    t.equal(state.lastBlock, 1000n, 'the transfer is in the verified history');

    // The replica stops applying WAL: from here on it lags the primary as a slow replica would.
    await replica.pauseReplay();
    t.teardown(() => replica.resumeReplay().catch(() => undefined));
    const second: Transaction = { slot: coin.slot, prevBlock: 1000n, denomination: parseEther('1'), newOwner: lower(carol.address) };
    t.match(await send(second, bob.privateKey), { results: [{ status: 'accepted' }] });
    await until('block 2000 confirmed on the primary', async () => ((await primaryLast()) >= 2000n ? true : undefined));
    // Acceptance decides on the primary: a spend naming block 2000, which the replica does not have, is accepted.
    const third: Transaction = { slot: coin.slot, prevBlock: 2000n, denomination: parseEther('1'), newOwner: lower(alice.address) };
    t.match(await send(third, carol.privateKey), { results: [{ status: 'accepted' }] }, 'a spend of the block only the primary has is accepted');
    await until('block 3000 confirmed on the primary', async () => ((await primaryLast()) >= 3000n ? true : undefined));

    const lagging = await verifiedHistory(coin.slot, lower(bob.address));
    t.equal(lagging.history.lastCommittedBlock, 1000n, 'right after the commits, the history names only blocks the replica has replayed');
    t.equal(lagging.state.lastBlock, 1000n);
    t.equal((await getJson(`${operator.url}/v1/coins/${coin.slot}/proofs/2000`)).status, 404, 'no proof of a block the replica lacks');
    t.equal((await getJson(`${operator.url}/v1/blocks/2000`)).status, 404, 'nor the block itself');
    t.match(await getJson(`${operator.url}/v1/owners/${lower(bob.address)}/coins`), { body: { coins: [{ slot: coin.slot.toString() }] } }, 'owners read the replica: bob still holds it there');

    const status = await getJson(`${operator.url}/v1/status`);
    t.match(status.body, { healthy: true, lastCommittedBlock: '3000', readReplica: { healthy: true, lastCommittedBlock: '1000', inRecovery: true } });
    const readReplica = status.body['readReplica'] as { lagBytes: number; lagSeconds: number };
    t.ok(readReplica.lagBytes > 0, `lag in bytes while replay is paused: ${readReplica.lagBytes}`);
    t.ok(readReplica.lagSeconds > 0, `lag in seconds while replay is paused: ${readReplica.lagSeconds}`);
    const metrics = await (await fetch(`${operator.url}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    t.ok(gauge('plasma_read_replica_lag_bytes') > 0, 'the lag gauge in bytes');
    t.ok(gauge('plasma_read_replica_lag_seconds') > 0, 'the lag gauge in seconds');

    await replica.resumeReplay();
    await replica.caughtUp();
    const caught = await verifiedHistory(coin.slot, lower(alice.address));
    t.equal(caught.history.lastCommittedBlock, 3000n, 'once replayed, the history reaches the new blocks');
    t.equal(caught.state.lastBlock, 3000n);
    const after = await getJson(`${operator.url}/v1/status`);
    t.match(after.body, { readReplica: { healthy: true, lastCommittedBlock: '3000' } });
  });
});
