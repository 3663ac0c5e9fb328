// Runs every test suite (Foundry, then tap) and prints one closing line `N passed, N failed` that sums both.
// CI reads that line; the exit code is non-zero when any test failed or a suite could not run.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const bin = path.join(root, 'node_modules', '.bin');
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };

/** Runs a command, echoing its output live, and resolves with everything it printed and its exit code. */
function run(command, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk;
        process.stdout.write(chunk);
      });
    }
    child.on('error', (error) => resolve({ output: output + String(error), code: 127 }));
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

const steps = [];
// A type error is a failure, but a clean type-check is not a test of its own.
console.log('== typecheck (tsc --noEmit)');
// explorer/ is its own project (the DOM lib, for the page's sources only).
for (const project of ['.', 'explorer']) {
  const typecheck = await run('tsc', ['--noEmit', '-p', project], root);
  steps.push({ passed: 0, failed: typecheck.code === 0 ? 0 : 1 });
}

console.log('== forge test (contracts/)');
steps.push(countForge(await run('forge', ['test'], path.join(root, 'contracts'))));

console.log('== tap (test/)');
steps.push(countTap(await run('tap', ['--reporter=tap'], root)));

const passed = steps.reduce((sum, s) => sum + s.passed, 0);
const failed = steps.reduce((sum, s) => sum + s.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
