/**
 * The local Postgres server's streaming replica, from the command line (the library is test/support/pg-replica.ts):
 *
 *   npx tsx scripts/pg-replica.ts check       says whether 127.0.0.1:5432 can serve a replica now (exit 1 if not)
 *   npx tsx scripts/pg-replica.ts configure   makes it able to (pg_hba replication rule + reload; wal_level and
 *                                             max_wal_senders with a restart, only when needed); .ci/run runs it
 *                                             before the tests, so the replica tests never skip in CI
 *   npx tsx scripts/pg-replica.ts start       starts a replica on a free port, prints its URL, and stops and deletes
 *                                             it on Ctrl-C / SIGTERM (for benchmarks and trying --database-read-url)
 *
 * TEST_POSTGRES_URL names another primary (default postgres://postgres@127.0.0.1:5432).
 */
import { configurePrimary, PRIMARY_URL, replicationProblem, startReplica } from '../test/support/pg-replica.ts';

const USAGE = 'usage: npx tsx scripts/pg-replica.ts check | configure | start';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'check': {
      const problem = await replicationProblem();
      console.log(problem === undefined ? `${PRIMARY_URL} can serve a streaming replica` : `${PRIMARY_URL} cannot serve a streaming replica: ${problem}`);
      return problem === undefined ? 0 : 1;
    }
    case 'configure': {
      const changed = await configurePrimary({ restart: true });
      console.log(changed.length === 0 ? 'the primary already serves replicas: nothing changed' : `changed: ${changed.join('; ')}`);
      const problem = await replicationProblem();
      if (problem !== undefined) {
        console.error(`still cannot serve a replica: ${problem}`);
        return 1;
      }
      return 0;
    }
    case 'start': {
      const started = Date.now();
      const replica = await startReplica();
      console.log(`replica streaming from ${PRIMARY_URL} on postgres://postgres@127.0.0.1:${replica.port}/<database> (${Date.now() - started} ms); Ctrl-C stops and deletes it`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await replica.stop();
      console.log('replica stopped and deleted');
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`pg-replica: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
