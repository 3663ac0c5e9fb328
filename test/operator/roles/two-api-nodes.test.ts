// Two api nodes behind no proxy, each on its own port, and one producer, all on one real Postgres and anvil: a
// wallet pointed at either node sees the same coin. alice deposits and sends through node 1; bob, pointed at node
// 2, receives the coin from the operator's history (verified against L1) and owns it; alice's second wallet,
// pointed at node 2, sees the coin as sent. The producer's own port answers only /v1/status and /metrics.
import t from 'tap';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { parseEther } from 'ethers';
import { PlasmaWallet } from '../../../client/wallet/wallet.ts';
import { startOperator, type RunningOperator } from '../../../operator/service.ts';
import { createLog } from '../../../operator/log.ts';
import { startTestChain, testOperatorConfig } from '../../support/anvil.ts';
import { createTestDatabase } from '../db/helpers.ts';
import type { Address } from '../../../client/protocol/index.ts';

t.test('a wallet pointed at either api node sees the same coin', async (t) => {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'two_api');
  const quiet = { log: createLog({ level: 'warn', write: () => undefined }) };
  const start = async (role: string): Promise<RunningOperator> => {
    const operator = await startOperator(testOperatorConfig(chain, databaseUrl, { role }), quiet);
    t.teardown(() => operator.stop());
    return operator;
  };
  const producer = await start('producer');
  const [one, two] = [await start('api'), await start('api')];
  t.not(one!.url, two!.url, 'the api nodes listen on ports of their own');
  t.equal(producer.producerState()?.active, true, 'the producer is active');
  t.equal(one!.producerState(), undefined, 'an api node runs no producer');

  const dir = await mkdtemp(path.join(tmpdir(), 'plasma-two-api-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const wallet = async (user: number, name: string, operator: RunningOperator): Promise<PlasmaWallet> => {
    const opened = await PlasmaWallet.open({ rpcUrl: chain.rpcUrl, contract: chain.address, operatorUrl: operator.url, privateKey: chain.users[user]!.privateKey as `0x${string}`, dataDir: path.join(dir, name) });
    t.teardown(() => opened.close());
    return opened;
  };
  const alice = await wallet(0, 'alice-1', one!);
  const bob = await wallet(1, 'bob-2', two!);
  const bobAddress = chain.users[1]!.address.toLowerCase() as Address;

  const slot = await alice.depositEth(parseEther('1'));
  await alice.waitForCoin(slot);
  await alice.send(slot, bobAddress); // through node 1: accepted there, built by the producer, committed on L1
  const received = await bob.receive(slot); // through node 2: the history, verified against L1's roots
  t.equal(received.slot, slot, 'bob, on node 2, received the coin alice sent through node 1');
  const bobs = await bob.coins();
  t.equal(bobs.find((coin) => coin.slot === slot)?.status, 'owned', 'bob owns it');

  const [fromOne, fromTwo] = await Promise.all([one!, two!].map(async (node) => (await fetch(`${node.url}/v1/coins/${slot}`)).json()));
  t.same(fromTwo, fromOne, 'both api nodes answer the same coin');

  const status = (await (await fetch(`${two!.url}/v1/status`)).json()) as { lastCommittedBlock: string; operator: { role: string; active: null; election: { epoch: string } } };
  t.equal(status.operator.role, 'api', 'node 2 reports its role');
  t.equal(status.operator.election.epoch, producer.producerState()!.epoch!.toString(), 'node 2 names the producer\'s election epoch, read from Postgres');
  const committed = await Promise.all([one!, two!, producer].map(async (node) => ((await (await fetch(`${node.url}/v1/status`)).json()) as { lastCommittedBlock: string }).lastCommittedBlock));
  t.ok(BigInt(committed[1]!) >= 1000n, `node 2 knows what the producer committed (block ${committed[1]})`);
  t.same(new Set(committed).size, 1, 'all three processes report the same last committed block');
  const producerStatus = (await (await fetch(`${producer.url}/v1/status`)).json()) as { operator: { role: string; active: boolean } };
  t.same([producerStatus.operator.role, producerStatus.operator.active], ['producer', true], 'the producer reports itself active');
  const metrics = await (await fetch(`${producer.url}/metrics`)).text();
  t.match(metrics, /plasma_producer_active 1/, '/metrics: plasma_producer_active 1 on the producer');
  const refused = await fetch(`${producer.url}/v1/coins/${slot}`);
  t.equal(refused.status, 404, 'the producer serves no API route');
  t.equal(((await refused.json()) as { error: { code: string } }).error.code, 'not_served');
});
