/**
 * One streaming replica per test file run (pg-replica.ts), started on first use and stopped when the file's tests
 * end. When the local server cannot be made to serve a replica (no pg_hba rights, wal_level minimal), the caller
 * gets the reason to skip with; under CI (`CI` set) that is a failure instead, as .ci/run configures the server
 * (scripts/pg-replica.ts configure) before the tests, so replica tests never skip there.
 */
import tap from 'tap';
import { configurePrimary, replicationProblem, startReplica, type Replica } from './pg-replica.ts';

let shared: Promise<Replica | { readonly skip: string }> | undefined;

async function start(): Promise<Replica | { readonly skip: string }> {
  if ((await replicationProblem()) !== undefined) {
    try {
      await configurePrimary();
    } catch (error) {
      const why = `the local Postgres cannot serve a streaming replica: ${error instanceof Error ? error.message : String(error)}`;
      if (process.env['CI']) throw new Error(`${why} (.ci/run should have configured it with scripts/pg-replica.ts configure)`);
      return { skip: why };
    }
  }
  const replica = await startReplica();
  tap.teardown(() => replica.stop());
  return replica;
}

export function sharedReplica(): Promise<Replica | { readonly skip: string }> {
  shared ??= start();
  return shared;
}
