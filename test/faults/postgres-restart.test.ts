// Postgres stopped (crash, then clean) and started again under load on a private cluster (never the shared
// server): the operator keeps running, answers 503 database_unavailable meanwhile, accepts again within seconds
// of Postgres being back, and loses no accepted transfer.
import t from 'tap';
import { postgresBin, postgresRestartScenario } from './scenarios.ts';

const bin = postgresBin();
t.test('Postgres restarted twice under load: recovered without a human, nothing lost', { skip: bin === undefined ? 'no PostgreSQL server binaries (initdb, pg_ctl) on this machine' : false }, async (t) => {
  const report = await postgresRestartScenario(t, { cycles: 2, downMs: 3000 });
  t.same(report.problems, [], 'no problem');
  t.comment(JSON.stringify(report.figures));
});
