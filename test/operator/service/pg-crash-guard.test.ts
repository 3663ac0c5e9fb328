// The guard against postgres.js's crash on a write to a connection that just closed (porsager/postgres#1066):
// in a child process (the guard is process-wide), that exact exception thrown from a setImmediate is logged and
// the process lives on; any other uncaught exception still ends it with code 1.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isPostgresNullSocketWrite } from '../../../operator/pg-crash-guard.ts';

const GUARD = fileURLToPath(new URL('../../../operator/pg-crash-guard.ts', import.meta.url));
const LOG = fileURLToPath(new URL('../../../operator/log.ts', import.meta.url));
const DRIVER_STACK = `TypeError: Cannot read properties of null (reading 'write')
    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)
    at process.processImmediate (node:internal/timers:483:21)`;

function child(thrown: string): { status: number | null; stderr: string; stdout: string } {
  const script = `
    import { register } from 'tsx/esm/api';
    register();
    const { guardPostgresNullSocketWrite } = await import(${JSON.stringify(GUARD)});
    const { createLog } = await import(${JSON.stringify(LOG)});
    guardPostgresNullSocketWrite(createLog({ level: 'info' }));
    setImmediate(() => { ${thrown} });
    setTimeout(() => { console.log('alive'); }, 200);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 30_000 });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

t.test('matches only the driver bug', async (t) => {
  const driver = Object.assign(new TypeError("Cannot read properties of null (reading 'write')"), { stack: DRIVER_STACK });
  t.ok(isPostgresNullSocketWrite(driver));
  t.notOk(isPostgresNullSocketWrite(Object.assign(new TypeError("Cannot read properties of null (reading 'write')"), { stack: 'TypeError: …\n    at ours (file:///app/operator/x.ts:1:1)' })), 'the same message from our own code is not it');
  t.notOk(isPostgresNullSocketWrite(new Error("Cannot read properties of null (reading 'write')")));
  t.notOk(isPostgresNullSocketWrite('x'));
});

t.test('the driver bug is survived; anything else still ends the process with code 1', async (t) => {
  const survived = child(`throw Object.assign(new TypeError("Cannot read properties of null (reading 'write')"), { stack: ${JSON.stringify(DRIVER_STACK)} });`);
  t.equal(survived.status, 0, survived.stderr);
  t.match(survived.stdout, /alive/);
  t.match(survived.stderr, /"level":"warn","msg":"postgres\.js wrote to a connection that had just closed/);

  const fatal = child(`throw new RangeError('something else');`);
  t.equal(fatal.status, 1, 'exit code 1, as without the guard');
  t.notMatch(fatal.stdout, /alive/);
  t.match(fatal.stderr, /"level":"error","msg":"uncaught exception","error":"something else"/);
});
