// Runs every test suite (type-check, then Foundry and tap side by side) and prints one closing line
// `N passed, N failed` that sums both. CI reads that line; the exit code is non-zero when any test failed or a
// suite could not run.
//
// The Foundry suite (a long solc-js compile on a fresh clone) runs at a low CPU priority (nice 10) while the tap
// suite runs: it takes the CPU the tap suite leaves idle, so the tap suite's timing assertions see the machine
// as they would alone. Its output is held back and printed as one block after the tap suite's. It builds into
// contracts/out-npm-test and cache-npm-test: the tap suite's artifacts test builds contracts/src into
// contracts/out at the same time, and two forge processes must not share one out/ and cache/.
// NPM_TEST_SEQUENTIAL=1 runs Foundry first, then tap, both printed live (as before).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = path.join(root, 'node_modules', '.bin');
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
const sequential = ['1', 'true'].includes(process.env.NPM_TEST_SEQUENTIAL ?? '');

/**
 * Runs a command and resolves with everything it printed and its exit code. `live`: echo its output as it comes;
 * otherwise it is only returned. `nice`: start it under `nice -n 10` (as is when there is no nice command).
 */
function run(command, args, cwd, { live = true, nice = false } = {}) {
  return new Promise((resolve) => {
    const [file, argv] = nice ? ['nice', ['-n', '10', command, ...args]] : [command, args];
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk;
        if (live) process.stdout.write(chunk);
      });
    }
    child.on('error', (error) => {
      if (nice && error.code === 'ENOENT' && output === '') resolve(run(command, args, cwd, { live, nice: false }));
      else resolve({ output: output + String(error), code: 127 });
    });
    child.on('close', (code) => resolve({ output, code: code ?? 1 }));
  });
}

/** forge prints `Ran N test suites …: P tests passed, F failed, S skipped (T total tests)`. */
function countForge({ output, code }) {
  const match = /(\d+) tests passed, (\d+) failed, (\d+) skipped/.exec(output);
  if (!match) return { passed: 0, failed: 1 }; // it did not get as far as running tests
  return { passed: Number(match[1]), failed: Number(match[2]) };
}

/** Counts the tests of the TAP stream: the points one level below each file (its `t.test` blocks). */
function countTap({ output, code }) {
  let passed = 0;
  let failed = 0;
  for (const line of output.split('\n')) {
    const point = /^ {4}(not ok|ok) \d+ - (.*)$/.exec(line);
    if (!point) continue;
    if (point[1] === 'ok') passed += 1;
    else failed += 1;
  }
  // A file that crashed before any test ran shows up only as a failed top-level point.
  const crashedFiles = output.split('\n').filter((line) => /^not ok \d+ - /.test(line)).length;
  if (failed === 0 && crashedFiles > 0) failed = crashedFiles;
  if (code !== 0 && failed === 0) failed = 1;
  return { passed, failed };
}

/** `forge test` in contracts/; its own build directories unless sequential (see the top of this file). */
function forgeTest(options) {
  const dirs = sequential ? [] : ['--out', 'out-npm-test', '--cache-path', 'cache-npm-test'];
  return run('forge', ['test', ...dirs], path.join(root, 'contracts'), options);
}

const seconds = (since) => `${Math.round((Date.now() - since) / 1000)} s`;

const steps = [];
// A type error is a failure, but a clean type-check is not a test of its own.
console.log('== typecheck (tsc --noEmit)');
// explorer/ is its own project (the DOM lib, for the page's sources only).
for (const project of ['.', 'explorer']) {
  const typecheck = await run('tsc', ['--noEmit', '-p', project], root);
  steps.push({ passed: 0, failed: typecheck.code === 0 ? 0 : 1 });
}

if (sequential) {
  console.log('== forge test (contracts/)');
  steps.push(countForge(await forgeTest()));
  console.log('== tap (test/)');
  steps.push(countTap(await run('tap', ['--reporter=tap'], root)));
} else {
  const started = Date.now();
  console.log('== forge test (contracts/): running beside tap at nice 10, its output follows the tap suite');
  let forgeDone = '';
  const forge = forgeTest({ live: false, nice: true }).then((result) => {
    forgeDone = seconds(started);
    return result;
  });
  console.log('== tap (test/)');
  const tap = await run('tap', ['--reporter=tap'], root);
  console.log(`== tap finished after ${seconds(started)}${forgeDone ? '' : '; waiting for forge test'}`);
  const forgeResult = await forge;
  console.log(`== forge test (contracts/), finished after ${forgeDone}:`);
  process.stdout.write(forgeResult.output.endsWith('\n') ? forgeResult.output : `${forgeResult.output}\n`);
  steps.push(countForge(forgeResult), countTap(tap));
}

const passed = steps.reduce((sum, s) => sum + s.passed, 0);
const failed = steps.reduce((sum, s) => sum + s.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
// Not process.exit(): it drops what is still queued for a busy stdout pipe (CI lost this closing line after the
// forge block) — the process ends once everything is written.
process.exitCode = failed === 0 ? 0 : 1;
