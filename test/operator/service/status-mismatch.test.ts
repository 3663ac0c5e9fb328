// When L1 holds a block the operator's database does not (its key was used elsewhere, or the database was
// restored from an old backup), the follower stops and GET /v1/status says so with 503 and l1_mismatch.
import t from 'tap';
import { createLog } from '../../../operator/log.ts';
import { startOperator } from '../../../operator/service.ts';
import { createTestDatabase } from '../db/helpers.ts';
import { startTestChain, testOperatorConfig } from '../../support/anvil.ts';
import { until } from '../../support/system.ts';

t.test('a follower stopped by a mismatch turns /v1/status unhealthy with the reason', async (t) => {
  const chain = await startTestChain(t);
  const operator = await startOperator(testOperatorConfig(chain, await createTestDatabase(t, 'status_mismatch')), { log: createLog({ level: 'error', write: () => undefined }) });
  t.teardown(() => operator.stop());
  const healthy = await fetch(`${operator.url}/v1/status`);
  t.equal(healthy.status, 200);

  await (await chain.contract().getFunction('submitBlock')(`0x${'22'.repeat(32)}`, 1000n)).wait();
  const body = await until('the status to report the mismatch', async () => {
    const response = await fetch(`${operator.url}/v1/status`);
    return response.status === 503 ? ((await response.json()) as { healthy: boolean; l1: Record<string, unknown> }) : undefined;
  });
  t.match(body, { healthy: false, l1: { healthy: false, error: 'l1_mismatch', message: /block 1000 root 0x2222.* on L1, nothing stored/ } });
});
