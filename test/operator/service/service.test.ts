// The whole operator as a program: startOperator against anvil and the real Postgres, driven over HTTP only.
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
import { buildBlock, claimNextBlock } from '../../../operator/block/builder.ts';
import { childBlockRoot, nextChildBlock } from '../../../client/l1/contract.ts';
import { Store } from '../../../operator/db/store.ts';
import { acceptTransfers } from '../../../operator/transfers/accept.ts';
import { operatorConfig } from '../../../operator/config.ts';
import { createLog } from '../../../operator/log.ts';
import { startOperator } from '../../../operator/service.ts';
import { createTestDatabase } from '../db/helpers.ts';
import { startTestChain, testOperatorConfig, type TestChain } from '../../support/anvil.ts';

async function deposit(chain: TestChain, user: number): Promise<{ slot: bigint; block: bigint }> {
  const receipt = await (await chain.contract(chain.users[user]!).getFunction('deposit')({ value: parseEther('1') })).wait();
  const log = receipt!.logs.map((l: { topics: string[]; data: string }) => chain.contract().interface.parseLog(l)).find((p: LogDescription | null) => p?.name === 'Deposit');
  return { slot: log!.args.getValue('slot') as bigint, block: log!.args.getValue('blockNumber') as bigint };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

t.test('startOperator: deposit → coin over HTTP → signed transfer → committed on L1 → history verifies; clean stop; restart resumes without a double commit', async (t) => {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'service');
  const lines: string[] = [];
  const config = testOperatorConfig(chain, databaseUrl);
  const log = createLog({ level: 'debug', write: (line) => void lines.push(line) });
  let operator = await startOperator(config, { log });
  t.teardown(() => operator.stop());
  t.match(operator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.notOk(lines.join('').includes(chain.operatorKey.slice(2)), 'the operator key is never logged');
  for (const line of lines) t.match(JSON.parse(line), { time: String, level: String, msg: String });

  const [alice, bob, carol] = chain.users as [typeof chain.users[0], typeof chain.users[0], typeof chain.users[0]];
  const coin = await deposit(chain, 0);
  const seen = await until('the coin at the operator', async () => {
    const answer = await getJson(`${operator.url}/v1/coins/${coin.slot}`);
    return answer.status === 200 ? answer.body : undefined;
  });
  t.match(seen, { owner: alice.address.toLowerCase(), state: 'deposited', depositBlock: coin.block.toString() });

  const send = async (tx: Transaction, key: string): Promise<unknown> => {
    const signature = await signTransaction(tx, chain.domain, key as `0x${string}`);
    const response = await fetch(`${operator.url}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedTransactionToJson(tx, signature)),
    });
    t.equal(response.status, 200);
    return response.json();
  };
  const first: Transaction = { slot: coin.slot, prevBlock: coin.block, denomination: parseEther('1'), newOwner: bob.address.toLowerCase() as Address };
  t.match(await send(first, alice.privateKey), { results: [{ status: 'accepted' }] });
  const started = Date.now();
  await until('block 1000 on L1', async () => ((await nextChildBlock(chain.rpc, chain.address)) === 2000n ? true : undefined));
  t.comment(`the transfer was committed on L1 ${Date.now() - started} ms after it was accepted (block interval 100 ms)`);
  await until('block 1000 confirmed', async () => {
    const block = await getJson(`${operator.url}/v1/blocks/1000`);
    return block.body['status'] === 'confirmed' ? true : undefined;
  });

  const verifyHistory = async (expectedOwner: Address, to: bigint): Promise<bigint> => {
    const response = await getJson(`${operator.url}/v1/coins/${coin.slot}/history`);
    t.equal(response.status, 200);
    const history = parseCoinHistoryResponseJson(response.body);
    const roots = new Map<bigint, Hash>();
    for (let n = 1000n; n <= to; n += 1000n) roots.set(n, await childBlockRoot(chain.rpc, chain.address, n));
    const state = verifyCoinHistory({
      deposit: { slot: coin.slot, ...history.deposit },
      entries: history.entries,
      roots: (block) => roots.get(block),
      committedChildBlocks: { to },
      domain: chain.domain,
      expectedOwner,
    });
    return state.lastBlock;
  };
  t.equal(await verifyHistory(bob.address.toLowerCase() as Address, 1000n), 1000n, 'the history verifies against L1 roots alone');
  const status = await getJson(`${operator.url}/v1/status`);
  t.match(status, { status: 200, body: { healthy: true, lastCommittedBlock: '1000', l1: { healthy: true } } });

  await operator.stop();
  await operator.stop(); // idempotent
  await t.rejects(fetch(`${operator.url}/v1/status`), 'HTTP is closed after stop()');

  // As if the process died right after building block 2000: persisted, never signed. The next start commits it once.
  const second: Transaction = { slot: coin.slot, prevBlock: 1000n, denomination: parseEther('1'), newOwner: carol.address.toLowerCase() as Address };
  const offline = Store.connect(databaseUrl, { max: 1 });
  t.match(await acceptTransfers(offline, chain.domain, [{ transaction: second, signature: await signTransaction(second, chain.domain, bob.privateKey as `0x${string}`) }]), [{ status: 'accepted' }]);
  t.match(await buildBlock(offline, { maxTransactions: 10 }), { number: 2000n, txCount: 1 });
  await offline.close();
  t.equal(await nextChildBlock(chain.rpc, chain.address), 2000n);

  lines.length = 0;
  operator = await startOperator(config, { log });
  await operator.nextPass();
  t.equal(await nextChildBlock(chain.rpc, chain.address), 3000n, 'the restart committed the persisted block');
  t.equal((await getJson(`${operator.url}/v1/blocks/2000`)).body['status'], 'confirmed');
  await operator.nextPass();
  await operator.nextPass();
  t.equal(await nextChildBlock(chain.rpc, chain.address), 3000n, 'and nothing twice');
  const [count] = await operator.store.sql<{ n: number }[]>`select count(*)::int as n from blocks`;
  t.equal(count?.n, 2, 'two blocks stored, two on L1');
  t.equal(await verifyHistory(carol.address.toLowerCase() as Address, 2000n), 2000n);
  t.notOk(lines.some((line) => JSON.parse(line).level === 'error'), 'no errors logged');

  // As if the process died between claiming block 3000 and writing its tree: 'built', no root. The next start
  // persists it from its stored leaves and commits it once.
  await operator.stop();
  const third: Transaction = { slot: coin.slot, prevBlock: 2000n, denomination: parseEther('1'), newOwner: alice.address.toLowerCase() as Address };
  const again = Store.connect(databaseUrl, { max: 1 });
  t.match(await acceptTransfers(again, chain.domain, [{ transaction: third, signature: await signTransaction(third, chain.domain, carol.privateKey as `0x${string}`) }]), [{ status: 'accepted' }]);
  t.match(await claimNextBlock(again, { maxTransactions: 10 }), { number: 3000n, txCount: 1 });
  const [built] = await again.sql<{ status: string; root: Buffer | null }[]>`select status, root from blocks where number = 3000`;
  t.same(built, { status: 'built', root: null });
  await again.close();

  lines.length = 0;
  operator = await startOperator(config, { log });
  await operator.nextPass();
  t.equal(await nextChildBlock(chain.rpc, chain.address), 4000n, 'the restart persisted and committed the built block');
  t.equal((await getJson(`${operator.url}/v1/blocks/3000`)).body['status'], 'confirmed');
  t.equal(await verifyHistory(alice.address.toLowerCase() as Address, 3000n), 3000n, 'its history verifies against the L1 root');
  t.notOk(lines.some((line) => JSON.parse(line).level === 'error'), 'no errors logged');
});

t.test('startOperator fails with a clear message when L1 is unreachable, and leaves nothing running', async (t) => {
  const config = operatorConfig({
    'l1-rpc': 'http://127.0.0.1:9',
    contract: `0x${'11'.repeat(20)}`,
    'operator-key': `0x${'01'.repeat(32)}`,
    'database-url': 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await t.rejects(startOperator(config, { log: createLog({ write: () => {} }) }), {
    name: 'StartupError',
    message: /^cannot reach the L1 RPC at http:\/\/127\.0\.0\.1:9: .*; start anvil or pass --l1-rpc$/,
  });
});

t.test('startOperator fails clearly when no contract is at the address', async (t) => {
  const chain = await startTestChain(t);
  const config = operatorConfig({
    'l1-rpc': chain.rpcUrl,
    contract: `0x${'11'.repeat(20)}`,
    'operator-key': chain.operatorKey,
    'database-url': 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await t.rejects(startOperator(config, { log: createLog({ write: () => {} }) }), { message: /no contract at 0x1111.*plasma deploy/ });
});

t.test('startOperator refuses a key that is not the contract operator, naming both addresses', async (t) => {
  const chain = await startTestChain(t);
  const strangerKey = `0x${'02'.repeat(32)}`;
  const config = operatorConfig({
    'l1-rpc': chain.rpcUrl,
    contract: chain.address,
    'operator-key': strangerKey,
    'database-url': 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  await t.rejects(startOperator(config, { log: createLog({ write: () => {} }) }), {
    name: 'StartupError',
    message: /^the operator key is for 0x[0-9a-fA-F]{40}, but PlasmaCash at .* accepts blocks only from 0x[0-9a-fA-F]{40}; pass that account's key$/,
  });
});
