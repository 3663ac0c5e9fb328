// L1 reorgs (evm_snapshot / evm_revert on anvil) around deposits and block submissions, against the running
// operator with confirmations 1:
// - a deposit reorged away before its confirmation depth never becomes a coin (no phantom coin), even while
//   the chain grows past it afterwards; the same depositor's next deposit does;
// - a child block that was committed and confirmed, then dropped by a reorg deeper than the depth, is submitted
//   again by the operator on its own (same root), a transfer that builds on it follows in the next block, and
//   L1 ends up with every block once, matching Postgres, with histories that verify against L1.
import t from 'tap';
import { parseEther } from 'ethers';
import {
  parseCoinHistoryResponseJson,
  signDigest,
  signedTransactionToJson,
  transactionDigestBytes,
  verifyCoinHistory,
  type Address,
  type Hash,
  type Transaction,
} from '../../client/protocol/index.ts';
import { childBlockRoot, nextChildBlock, plasmaCashInterface } from '../../client/l1/contract.ts';
import { operatorConfig } from '../../operator/config.ts';
import { createLog } from '../../operator/log.ts';
import { startOperator } from '../../operator/service.ts';
import { createTestDatabase } from '../operator/db/helpers.ts';
import { startTestChain } from '../support/anvil.ts';
import { until } from '../support/system.ts';
import { deposit, sleep } from './support.ts';

t.test('reorgs around deposits and block submissions (confirmations 1): no phantom coin, a dropped block is resubmitted', async (t) => {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'fault_reorg');
  const lines: string[] = [];
  const operator = await startOperator(
    operatorConfig({
      'l1-rpc': chain.rpcUrl,
      contract: chain.address,
      'operator-key': chain.operatorKey,
      'database-url': databaseUrl,
      port: 0,
      confirmations: 1,
      'block-interval-ms': 100,
      'deposit-wait-ms': 600_000, // block 1000 is the transfer's, not an empty one for the deposit
      'l1-poll-interval-ms': 50,
    }),
    { log: createLog({ level: 'info', write: (line) => void lines.push(line) }) },
  );
  t.teardown(() => operator.stop());
  const [alice, bob, carol] = chain.users as [typeof chain.users[0], typeof chain.users[0], typeof chain.users[0]];
  const coinStatus = async (slot: bigint) => (await fetch(`${operator.url}/v1/coins/${slot}`)).status;
  const cursor = async () => BigInt((await operator.store.sql<{ block: string }[]>`select block from l1_cursor`)[0]?.block ?? '-1');

  // 1. A deposit mined and reorged away at depth 0: the operator never sees it.
  const beforeDeposit = await chain.snapshot();
  const phantom = await deposit(chain, alice);
  const phantomHead = await chain.provider.getBlockNumber();
  await sleep(300); // several follower polls with the deposit at the head
  t.equal(await coinStatus(phantom.slot), 404, 'not a coin at depth 0');
  await chain.revert(beforeDeposit);
  await chain.mine(5);
  await until('the follower past the old deposit height', async () => (await cursor()) >= BigInt(phantomHead + 2));
  t.equal(await coinStatus(phantom.slot), 404, 'the reorged deposit never became a coin');
  const [coins] = await operator.store.sql<{ n: number }[]>`select count(*)::int as n from coins`;
  t.equal(coins!.n, 0, 'no coin row at all');

  // The depositor's next deposit (same nonce on L1, so the same slot) is real and shows up at depth 1.
  const real = await deposit(chain, alice);
  t.equal(real.slot, phantom.slot, 'the real deposit takes the slot the phantom had');
  await chain.mine(1);
  await until('the real coin', async () => (await coinStatus(real.slot)) === 200);

  // 2. Block 1000 committed and confirmed, then dropped by a reorg two blocks deep.
  const domain = chain.domain;
  const send = async (tx: Transaction, key: string) => {
    const body = JSON.stringify(signedTransactionToJson(tx, signDigest(transactionDigestBytes(tx, domain), key as `0x${string}`)));
    const response = await fetch(`${operator.url}/v1/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return ((await response.json()) as { results: { status: string }[] }).results[0]!.status;
  };
  const blockStatus = async (n: bigint) => {
    const response = await fetch(`${operator.url}/v1/blocks/${n}`);
    return response.status === 200 ? ((await response.json()) as { status: string }).status : String(response.status);
  };
  const beforeSubmit = await chain.snapshot();
  const first: Transaction = { slot: real.slot, prevBlock: real.block, denomination: parseEther('1'), newOwner: bob.address.toLowerCase() as Address };
  t.equal(await send(first, alice.privateKey), 'accepted');
  await until('block 1000 on L1', async () => (await nextChildBlock(chain.rpc, chain.address)) === 2000n);
  await chain.mine(1);
  // Confirmed by the committer itself (the follower may mark it confirmed first, while the committer still waits
  // on its receipt: a reorg then is handled by the committer re-sending its stored bytes, the older path).
  await until('block 1000 confirmed by the committer', async () => lines.some((line) => line.includes('"msg":"block committed","block":"1000"')));
  t.equal(await blockStatus(1000n), 'confirmed');
  const storedRoot = (await childBlockRoot(chain.rpc, chain.address, 1000n)).toLowerCase();
  await chain.revert(beforeSubmit);
  t.equal(await nextChildBlock(chain.rpc, chain.address), 1000n, 'the reorg dropped block 1000 from L1');

  // The operator notices on its own and sends block 1000 again; a transfer that spends from it is accepted
  // meanwhile and lands in block 2000.
  const second: Transaction = { slot: real.slot, prevBlock: 1000n, denomination: parseEther('1'), newOwner: carol.address.toLowerCase() as Address };
  t.equal(await send(second, bob.privateKey), 'accepted', 'a transfer building on the dropped block is still accepted');
  const noticed = Date.now();
  await until('block 1000 back on L1', async () => {
    await chain.mine(1); // confirmations 1: each resubmission needs a block on top
    return (await childBlockRoot(chain.rpc, chain.address, 1000n)).toLowerCase() === storedRoot ? true : undefined;
  });
  t.comment(`block 1000 back on L1 ${Date.now() - noticed} ms after the reorg`);
  await until('block 2000 confirmed', async () => {
    await chain.mine(1);
    return (await blockStatus(2000n)) === 'confirmed' && (await blockStatus(1000n)) === 'confirmed' ? true : undefined;
  });
  t.equal(await nextChildBlock(chain.rpc, chain.address), 3000n);

  const topic = plasmaCashInterface().getEvent('BlockSubmitted')!.topicHash;
  const logs = await chain.rpc.request<{ topics: string[] }[]>('eth_getLogs', [{ address: chain.address, fromBlock: '0x0', toBlock: 'latest', topics: [topic] }]);
  t.same(logs.map((log) => BigInt(log.topics[1]!)), [1000n, 2000n], 'each block once on the canonical chain');
  const blocks = await operator.store.sql<{ number: string; root: Buffer; status: string }[]>`select number, root, status from blocks order by number`;
  for (const block of blocks) {
    t.equal(`0x${block.root.toString('hex')}`, (await childBlockRoot(chain.rpc, chain.address, BigInt(block.number))).toLowerCase(), `block ${block.number}: Postgres = L1`);
    t.equal(block.status, 'confirmed');
  }
  const history = parseCoinHistoryResponseJson(await (await fetch(`${operator.url}/v1/coins/${real.slot}/history`)).json());
  const roots = new Map<bigint, Hash>();
  for (const n of [1000n, 2000n]) roots.set(n, await childBlockRoot(chain.rpc, chain.address, n));
  const state = verifyCoinHistory({
    deposit: { slot: real.slot, ...history.deposit },
    entries: history.entries,
    roots: (block) => roots.get(block),
    committedChildBlocks: { to: 2000n },
    domain,
    expectedOwner: carol.address.toLowerCase() as Address,
  });
  t.equal(state.lastBlock, 2000n, 'the coin history verifies against L1 after the reorg');
  t.ok(lines.some((line) => line.includes('confirmed in the database but not on L1')), 'the operator logged what it did');
  if (process.env['REORG_LOG']) for (const line of lines) t.comment(line);
});
