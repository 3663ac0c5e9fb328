// "Builds a block on an interval or when a size is reached": with an interval far longer than the test, a full
// block's worth of accepted transfers is built and committed at once; fewer wait for the interval (the quiet
// window, which would build them sooner, is set as long as the interval here).
import t from 'tap';
import { parseEther, type LogDescription } from 'ethers';
import { signedTransactionToJson, signTransaction, type Address, type Transaction } from '../../../client/protocol/index.ts';
import { nextChildBlock } from '../../../client/l1/contract.ts';
import { operatorConfig } from '../../../operator/config.ts';
import { createLog } from '../../../operator/log.ts';
import { startOperator } from '../../../operator/service.ts';
import { createTestDatabase } from '../db/helpers.ts';
import { startTestChain } from '../../support/anvil.ts';
import { until } from '../../support/system.ts';

t.test('a full block is built at once; a partial one waits for the interval', async (t) => {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'block_size');
  const operator = await startOperator(
    operatorConfig({
      'l1-rpc': chain.rpcUrl, contract: chain.address, 'operator-key': chain.operatorKey, 'database-url': databaseUrl,
      port: 0, confirmations: 0, 'block-interval-ms': 600_000, 'block-quiet-ms': 600_000, 'block-size': 2, 'l1-poll-interval-ms': 50,
    }),
    { log: createLog({ level: 'warn', write: () => undefined }) },
  );
  t.teardown(() => operator.stop());
  const [alice, bob] = chain.users as [typeof chain.users[0], typeof chain.users[0]];

  const slots: bigint[] = [];
  for (let i = 0; i < 3; i++) {
    const receipt = await (await chain.contract(alice).getFunction('deposit')({ value: parseEther('1') })).wait();
    const deposit = receipt!.logs.map((l: { topics: string[]; data: string }) => chain.contract().interface.parseLog(l)).find((p: LogDescription | null) => p?.name === 'Deposit');
    slots.push(deposit!.args.getValue('slot') as bigint);
  }
  await until('the coins at the operator', async () => (await fetch(`${operator.url}/v1/coins/${slots[2]}`)).status === 200);
  const submit = async (slot: bigint): Promise<void> => {
    const coin = (await (await fetch(`${operator.url}/v1/coins/${slot}`)).json()) as { depositBlock: string };
    const tx: Transaction = { slot, prevBlock: BigInt(coin.depositBlock), denomination: parseEther('1'), newOwner: bob.address.toLowerCase() as Address };
    const signature = await signTransaction(tx, chain.domain, alice.privateKey as `0x${string}`);
    const response = await fetch(`${operator.url}/v1/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signedTransactionToJson(tx, signature)) });
    t.match(await response.json(), { results: [{ status: 'accepted' }] });
  };

  await submit(slots[0]!);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.equal(await nextChildBlock(chain.rpc, chain.address), 1000n, 'one transfer of a block of two waits for the (10-minute) interval');
  const started = Date.now();
  await submit(slots[1]!);
  await until('block 1000 on L1', async () => (await nextChildBlock(chain.rpc, chain.address)) === 2000n, 10_000);
  t.ok(Date.now() - started < 10_000, `the full block was committed ${Date.now() - started} ms after its second transfer`);
  const [block] = await operator.store.sql<{ tx_count: number }[]>`select tx_count from blocks where number = 1000`;
  t.equal(block!.tx_count, 2);
  await submit(slots[2]!);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.equal(await nextChildBlock(chain.rpc, chain.address), 2000n, 'the next partial block waits again');

  // /metrics tells where block time goes and what is waiting
  const metrics = await (await fetch(`${operator.url}/metrics`)).text();
  for (const phase of ['claim', 'persist', 'commit']) t.match(metrics, new RegExp(`plasma_block_phase_seconds_count\\{phase="${phase}"\\} 1\\b`), `one ${phase} timed`);
  t.match(metrics, /plasma_block_transfers_total 2\b/);
  t.match(metrics, /plasma_pending_transfers 1\b/, 'the third transfer waits');
  t.match(metrics, /plasma_last_committed_block 1000\b/);
});
