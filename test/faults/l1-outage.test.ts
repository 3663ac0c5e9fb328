// L1 unreachable under load (refused, then black-holed) for FAULT_L1_OUTAGE_MS (default 8 s; scripts/faults.ts
// runs the full minute through the same code): transfers keep being accepted, /v1/status says 503 promptly,
// nothing reaches L1 meanwhile, and once L1 is back everything is committed, each block once.
import t from 'tap';
import { l1OutageScenario } from './scenarios.ts';

const OUTAGE_MS = Number(process.env['FAULT_L1_OUTAGE_MS'] ?? 8000);

t.test(`L1 unreachable for ${OUTAGE_MS / 1000} s under load: accepting goes on, then everything is committed once`, async (t) => {
  const report = await l1OutageScenario(t, { outageMs: OUTAGE_MS, blackholeMs: Math.min(4000, OUTAGE_MS / 2) });
  t.same(report.problems, [], 'no problem');
  t.ok(Number(report.figures['acceptedDuringOutage']) > 0, 'transfers accepted during the outage');
  t.ok(Number(report.figures['statusWorstMs']) < 5000, '/v1/status answers promptly even with L1 black-holed');
  t.comment(JSON.stringify(report.figures));
});
