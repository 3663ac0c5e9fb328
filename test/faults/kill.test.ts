// The operator process killed with SIGKILL at random moments under a steady transfer load, KILLS times (default
// 20; FAULT_KILLS for more), some kills while it is still starting. After the last restart it drains, and then:
// every transfer it answered "accepted" is in a block committed on L1 (histories served by the operator, verified
// against L1's roots), every stored root is L1's, no number was submitted twice, nothing is left pending.
// Restart-to-ready time (spawn → /v1/status 200) is measured for every restart.
import t from 'tap';
import { prng } from '../support/http-fuzz.ts';
import { freePort, startTestChain } from '../support/anvil.ts';
import { createTestDatabase } from '../operator/db/helpers.ts';
import { Store } from '../../operator/db/store.ts';
import { checkDurable, checkEndState, deposit, percentile, sleep, spawnOperator, TransferLoad, waitReady, type OperatorProcess } from './support.ts';

const KILLS = Number(process.env['FAULT_KILLS'] ?? 20);
const SEED = Number(process.env['FAULT_SEED'] ?? 4242);

t.test(`SIGKILL ${KILLS} times under load: no accepted transfer lost, no double commit, L1 = Postgres, quick restarts`, async (t) => {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'fault_kill');
  const port = await freePort();
  const coins = [];
  for (let i = 0; i < 24; i++) coins.push({ ...(await deposit(chain, chain.users[i % 3]!)), owner: i % 3 });
  const options = { l1Rpc: chain.rpcUrl, contract: chain.address, operatorKey: chain.operatorKey, databaseUrl, port };
  let operator: OperatorProcess = spawnOperator(options);
  t.teardown(() => void operator.child.kill('SIGKILL'));
  await waitReady(operator.url, operator.startedAt);

  const load = new TransferLoad({ url: operator.url, domain: chain.domain, users: chain.users.slice(0, 3), coins });
  load.start();
  const random = prng(SEED);
  const store = Store.connect(databaseUrl, { max: 1 });
  t.teardown(() => store.close());
  let durableChecks = 0;
  const readyMs: number[] = [];
  let killedStarting = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    // One kill in four lands while the process is still starting (migrations, L1 checks, listening).
    const early = random() < 0.25;
    if (early) {
      await sleep(200 + random() * 900);
      if (operator.child.exitCode === null) killedStarting++;
    } else {
      await waitReady(operator.url, operator.startedAt);
      await sleep(300 + random() * 1700);
    }
    operator.child.kill('SIGKILL');
    t.equal(await operator.exited, null, `kill ${kill}: killed by the signal`);
    operator = spawnOperator(options);
    readyMs.push(await waitReady(operator.url, operator.startedAt, 30_000, () => operator.child.exitCode === null));
    const durable = await checkDurable({ sql: store.sql, rpc: chain.rpc, contract: chain.address, load });
    if (durable.length > 0) t.same(durable, [], `after restart ${kill}: every accepted transfer durable, confirmed roots on L1`);
    else durableChecks++;
  }
  t.equal(durableChecks, KILLS, 'after every restart: every transfer accepted so far is pending or in a block, every confirmed root is on L1');

  // Drain: let the load finish its in-flight transfers, then stop it and let the operator commit everything.
  await sleep(1000);
  await load.stop();
  const deadline = Date.now() + 60_000;
  while (!load.settled() || (await pendingOrUnconfirmed(operator.url)) > 0) {
    if (Date.now() > deadline) break;
    await load.refresh();
    await sleep(100);
  }
  const end = await checkEndState({ url: operator.url, rpc: chain.rpc, contract: chain.address, domain: chain.domain, sql: store.sql, load });
  t.same(end.problems, [], 'end state: nothing lost, nothing twice, L1 = Postgres');
  const figures = load.figures();
  t.ok(figures.accepted > 50, `the load kept going (${figures.accepted} accepted)`);
  t.ok(percentile(readyMs, 100) < 15_000, 'every restart served within 15 s');
  t.notOk(/"level":"error".*L1RootConflict|FATAL/.test(operator.stderr()), 'no fatal error after the last restart');
  t.comment(
    `kills ${KILLS} (${killedStarting} during startup); accepted ${figures.accepted} transfers, sent ${figures.sent}, ` +
      `${figures.failedRequests} requests unanswered; ${end.blocks} blocks with ${end.transfersInBlocks} transfers on L1; ` +
      `restart→ready ms p50 ${percentile(readyMs, 50)} p99 ${percentile(readyMs, 99)} max ${percentile(readyMs, 100)}`,
  );
  operator.child.kill('SIGTERM');
  t.equal(await operator.exited, 0, 'the last one stops cleanly on SIGTERM');
});

async function pendingOrUnconfirmed(url: string): Promise<number> {
  try {
    const status = (await (await fetch(`${url}/v1/status`)).json()) as { pendingCount: number | null; lastCommittedBlock: string | null };
    const latest = await fetch(`${url}/v1/blocks/${BigInt(status.lastCommittedBlock ?? '0') + 1000n}`);
    await latest.arrayBuffer();
    return (status.pendingCount ?? 1) + (latest.status === 200 ? 1 : 0);
  } catch {
    return 1;
  }
}
