// Longer fault runs than the tap suite affords, through the same scenarios (test/faults/scenarios.ts):
//
//   npm run faults -- l1-outage [--seconds 60]     L1 unreachable a full minute (last 20 s black-holed)
//   npm run faults -- postgres [--seconds 20] [--cycles 3]
//
// For more SIGKILLs: FAULT_KILLS=100 npx tap test/faults/kill.test.ts. Prints the figures; exits 1 on a problem.
import { parseArgs } from 'node:util';
import type { Test } from 'tap';
import { l1OutageScenario, postgresRestartScenario } from '../test/faults/scenarios.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string' }, cycles: { type: 'string', default: '3' } } });
const scenario = positionals[0];
const teardowns: (() => unknown)[] = [];
// The scenarios take a tap Test only for its teardown.
const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) } as unknown as Test;
let report;
try {
  if (scenario === 'l1-outage') {
    const seconds = Number(values.seconds ?? 60);
    report = await l1OutageScenario(t, { outageMs: seconds * 1000, blackholeMs: Math.min(20_000, (seconds * 1000) / 3) });
  } else if (scenario === 'postgres') {
    report = await postgresRestartScenario(t, { cycles: Number(values.cycles), downMs: Number(values.seconds ?? 20) * 1000 });
  } else {
    console.error('usage: npm run faults -- l1-outage [--seconds 60] | postgres [--seconds 20] [--cycles 3]');
    process.exit(2);
  }
  console.log(JSON.stringify(report.figures, null, 2));
  console.log(report.problems.length === 0 ? 'no problem' : `PROBLEMS:\n  ${report.problems.join('\n  ')}`);
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
process.exit(report && report.problems.length === 0 ? 0 : 1);
