// Mutation check of the contract's rules: for every `revert Error(...)` in the chosen sources, build a copy of
// contracts/ with that one revert removed and run the Foundry suite. A rule whose removal no test notices is
// printed as SURVIVED. Slow (one compile and test run per rule): a tool for reviews, not part of `npm test`.
//
//   node scripts/mutation-check.mjs [src/base/ExitGame.sol ...]
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['src/base/ExitGame.sol', 'src/base/ChildChain.sol', 'src/PlasmaCash.sol'];
const forge = path.join(root, 'node_modules', '.bin', 'forge');
const UNIT_SUITES =
  'test/{Deposit,SubmitBlock,StartDepositExit,StartExit,ChallengeAfter,ChallengeBetween,ChallengeBefore,' +
  'RespondChallengeBefore,FinalizeExit,SettleChallenge,SettleExit,NamedChallenges,ConcurrentExits,Constructor,' +
  'Withdraw,WithdrawBonds,Attacks,SelfExtension,Smoke}.t.sol';

const work = mkdtempSync(path.join(tmpdir(), 'plasma-mutants-'));
symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'));
const contracts = path.join(work, 'contracts');
cpSync(path.join(root, 'contracts'), contracts, {
  recursive: true,
  filter: (source) => !/\/(out|cache|snapshots)(\/|$)/.test(source),
});

const results = [];
for (const file of files) {
  const original = readFileSync(path.join(contracts, file), 'utf8');
  const lines = original.split('\n');
  lines.forEach((line, index) => {
    const match = /revert (\w+)\(.*\);/.exec(line);
    if (!match) return;
    const mutated = [...lines];
    mutated[index] = line.replace(/revert \w+\(.*\);/, '{}');
    writeFileSync(path.join(contracts, file), mutated.join('\n'));
    // Only the unit and attack suites: forge then compiles just those, which keeps one mutant to about a minute.
    const run = spawnSync(forge, ['test', '--match-path', UNIT_SUITES], {
      cwd: contracts,
      encoding: 'utf8',
      env: { ...process.env, FOUNDRY_FUZZ_RUNS: '64' },
    });
    const summary = /(\d+) tests passed, (\d+) failed/.exec(run.stdout);
    const killed = summary ? Number(summary[2]) > 0 : run.status !== 0;
    const verdict = killed ? `killed (${summary ? summary[2] : 'compile'} failing)` : 'SURVIVED';
    results.push({ rule: `${file}:${index + 1} ${match[1]}`, verdict });
    console.log(`${verdict.padEnd(22)} ${file}:${index + 1} ${match[1]}`);
  });
  writeFileSync(path.join(contracts, file), original);
}
rmSync(work, { recursive: true, force: true });
const survived = results.filter((r) => r.verdict === 'SURVIVED');
console.log(`${results.length - survived.length} of ${results.length} removed rules caught by the tests`);
process.exit(survived.length === 0 ? 0 : 1);
