// Mutation check of the contract's rules: for every one-line `revert Error(...);` in the chosen sources, build the contracts
// with that one revert removed and run the Foundry suites against them. A rule whose removal no test notices is
// printed as SURVIVED. A tool for reviews, not part of `npm test`.
//
//   node scripts/mutation-check.mjs [src/base/ExitGame.sol ...] [--mutants hand-mutants.json]
//
// --mutants adds hand-written mutants: a JSON array of {"file", "line", "from", "to"} (optional "name"); each
// replaces `from` by `to` on that line (1-based) of that source, and is run like a removed revert.
//
// Suites: the exit-game suites (`base`) for exit-game sources, the checkpoint suites (`checkpoints`: PROTOCOL.md §10,
// test/{Leaf*,*Checkpoint*,CheckpointHooks}.t.sol and test/review/) for checkpoint sources (src/checkpoints/,
// CheckpointGame.sol, CheckpointCore.sol, Checkpoint.sol), both when both kinds are mutated; test/mutants/ always.
// `--suites base,checkpoints` (or `all`, or test names such as EnforceCheckpoint,review/CheckpointReview) chooses
// them by hand, e.g. for mutants of ExitGame's checkpoint hooks (settledThrough), which only the checkpoint
// suites reach:
//
//   node scripts/mutation-check.mjs src/checkpoints/CheckpointExits.sol
//   node scripts/mutation-check.mjs --suites checkpoints --mutants exitgame-hooks.json
//
// The suites are compiled with FOUNDRY_SPARSE_MODE (only the chosen test files get bytecode). Each killed mutant is
// printed with the tests that failed on it (a mutant killed only by a new test shows which). The unmutated
// contracts must pass every test; --ignore-baseline-failures instead leaves the tests failing on them out of every
// verdict (they are printed).
//
// Speed: the suites deploy PlasmaCash with `new`, so every test contract embeds its creation code, and solc (via
// IR) optimises that copy again in each of them: a mutated source used to mean recompiling all the suites, minutes
// per mutant. Here the suites are compiled once, in a copy of contracts/ where each `new <contract of src/>(...)`
// (and each "<File>.sol:<Contract>" artifact name given to deployCode/getCode) deploys the creation code of a
// second copy holding only src/: a mutant recompiles that copy (the contract alone, seconds) and reruns the
// compiled suites against the fresh artifact. A source whose code the suites compile in themselves (a library
// they call, a contract they inherit) is instead mutated in the suites' copy too (the old, slow way).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const handIndex = args.indexOf('--mutants');
const handFile = handIndex >= 0 ? args.splice(handIndex, 2)[1] : undefined;
const ignoreIndex = args.indexOf('--ignore-baseline-failures');
const ignoreBaselineFailures = ignoreIndex >= 0 && args.splice(ignoreIndex, 1).length > 0;
const suitesIndex = args.indexOf('--suites');
const suitesArg = suitesIndex >= 0 ? args.splice(suitesIndex, 2)[1] : undefined;
const handMutants = handFile ? JSON.parse(readFileSync(handFile, 'utf8')) : [];
const files = args.length
  ? args
  : handMutants.length
    ? []
    : ['src/base/ExitGame.sol', 'src/base/ExitCore.sol', 'src/base/ChildChain.sol', 'src/PlasmaCash.sol'].filter((file) =>
        existsSync(path.join(root, 'contracts', file)),
      );
const forge = path.join(root, 'node_modules', '.bin', 'forge');
// The unit, attack and mutant-killing suites. Not Gas (gas figures move with any change), not the invariants, not
// StorageLayout or Vectors (layout and encodings, no rules).
const BASE_SUITES = [
  'Deposit', 'SubmitBlock', 'StartDepositExit', 'StartExit', 'ChallengeAfter', 'ChallengeBetween', 'ChallengeBefore',
  'RespondChallengeBefore', 'FinalizeExit', 'SettleChallenge', 'SettleExit', 'NamedChallenges', 'ConcurrentExits',
  'Constructor', 'Withdraw', 'WithdrawBonds', 'Attacks', 'SelfExtension', 'Smoke',
];
// The checkpoint suites (PROTOCOL.md §10): stage d (the leaf game) and stage e (CheckpointExits and ExitGame's hooks).
const CHECKPOINT_SUITES = [
  'SubmitCheckpoint', 'LeafWithheld', 'LeafHistory', 'LeafSettle', 'LeafVoidNow', 'ApplyCheckpoint',
  'EnforceCheckpoint', 'RespondWithCheckpoint', 'StartCheckpointExit', 'StartExitFromCheckpoint', 'CheckpointHooks',
  'CheckpointExitsRules', 'review/CheckpointReview',
];
const isCheckpointSource = (file) =>
  /^src\/(checkpoints\/|CheckpointGame\.sol$|base\/CheckpointCore\.sol$|Checkpoint\.sol$|interfaces\/ICheckpoints\.sol$)/.test(
    file.replace(/^contracts\//, ''),
  );
const mutatedFiles = [...files, ...handMutants.map((m) => m.file)];
const suiteGroups = suitesArg
  ? suitesArg.split(',')
  : [
      ...(mutatedFiles.some((file) => !isCheckpointSource(file)) ? ['base'] : []),
      ...(mutatedFiles.some(isCheckpointSource) ? ['checkpoints'] : []),
    ];
const SUITE_NAMES = [
  ...new Set(
    suiteGroups.flatMap((group) =>
      group === 'all'
        ? [...BASE_SUITES, ...CHECKPOINT_SUITES]
        : group === 'base'
          ? BASE_SUITES
          : group === 'checkpoints'
            ? CHECKPOINT_SUITES
            : [group],
    ),
  ),
].filter((name) => existsSync(path.join(root, 'contracts', 'test', `${name}.t.sol`)));
const SUITES = `test/{${[...SUITE_NAMES, 'mutants/*'].join(',')}}.t.sol`;
const isSuite = (relative) =>
  SUITE_NAMES.some((name) => relative === `test/${name}.t.sol`) || /^test\/mutants\/[^/]+\.t\.sol$/.test(relative);
// Sparse mode: only the chosen suites are compiled to bytecode (the others, and src/, to ABIs only).
const env = { ...process.env, FOUNDRY_FUZZ_RUNS: '64', FOUNDRY_SPARSE_MODE: 'true' };
console.log(`suites: ${SUITE_NAMES.join(', ')}, mutants/*`);

const work = mkdtempSync(path.join(tmpdir(), 'plasma-mutants-'));
symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'));
const noBuildOutput = (source) => !/\/(out|cache|snapshots)(\/|$)/.test(source);
// The suites' copy.
const contracts = path.join(work, 'contracts');
cpSync(path.join(root, 'contracts'), contracts, { recursive: true, filter: noBuildOutput });
// The copy holding only src/, where mutants are built.
const mutant = path.join(work, 'mutant');
mkdirSync(mutant);
cpSync(path.join(root, 'contracts', 'src'), path.join(mutant, 'src'), { recursive: true });
cpSync(path.join(root, 'contracts', 'solc-js.cjs'), path.join(mutant, 'solc-js.cjs'));
writeFileSync(
  path.join(mutant, 'foundry.toml'),
  readFileSync(path.join(root, 'contracts', 'foundry.toml'), 'utf8').replace(/^\[lint\]$/m, '[lint]\nlint_on_build = false'),
);
const mutantOut = path.join(mutant, 'out');

// ---------------------------------------------------------------------------------------------------------------
// Which contracts src/ defines, and which of its files the suites compile into themselves.
// ---------------------------------------------------------------------------------------------------------------

const solFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return solFiles(full);
    return entry.name.endsWith('.sol') ? [full] : [];
  });
const stripComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
const srcDir = path.join(contracts, 'src');
const definitions = new Map(); // name -> { file, kind }
for (const file of solFiles(srcDir)) {
  const text = stripComments(readFileSync(file, 'utf8'));
  for (const m of text.matchAll(/^\s*(abstract\s+)?(contract|library|interface)\s+(\w+)/gm)) {
    definitions.set(m[3], { file, kind: m[1] ? 'abstract' : m[2] });
  }
}
const importsOf = (file) =>
  [...stripComments(readFileSync(file, 'utf8')).matchAll(/^\s*import\s+([^;]*?)["']([^"']+)["']\s*(?:as\s+\w+\s*)?;/gm)].map(
    (m) => {
      const target = m[2].startsWith('.') ? path.resolve(path.dirname(file), m[2]) : path.join(contracts, m[2]);
      const named = /^\{([^}]*)\}\s*from\s*$/.exec(m[1].trim());
      const symbols = named ? named[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]) : undefined;
      return { target, symbols };
    },
  );
const inSrc = (file) => file.startsWith(srcDir + path.sep);
const withDependencies = (file, into) => {
  if (into.has(file) || !existsSync(file) || !inSrc(file)) return;
  into.add(file);
  for (const { target } of importsOf(file)) withDependencies(target, into);
};

const testFiles = solFiles(path.join(contracts, 'test'));
// The suites run and the test files they import: only their code can hold a source's code.
const compiledTests = new Set();
const addTest = (file) => {
  if (compiledTests.has(file) || !existsSync(file) || inSrc(file) || !file.startsWith(contracts + path.sep)) return;
  compiledTests.add(file);
  for (const { target } of importsOf(file)) addTest(target);
};
for (const file of testFiles) if (isSuite(path.relative(contracts, file).split(path.sep).join('/'))) addTest(file);
const testTexts = new Map([...compiledTests].map((file) => [file, stripComments(readFileSync(file, 'utf8'))]));
const allTests = [...testTexts.values()].join('\n');
const compiledIntoTests = new Set();
for (const file of compiledTests) {
  for (const { target, symbols } of importsOf(file)) {
    if (!inSrc(target)) continue;
    if (!symbols) {
      withDependencies(target, compiledIntoTests); // a plain import: everything it brings, conservatively
      continue;
    }
    for (const symbol of symbols) {
      const definition = definitions.get(symbol);
      if (!definition || definition.kind === 'interface') continue;
      const deployedOnly =
        definition.kind === 'contract' &&
        !new RegExp(`\\bis\\b[^{;]*\\b${symbol}\\b`).test(allTests) &&
        !new RegExp(`\\btype\\(\\s*${symbol}\\s*\\)`).test(allTests) &&
        !new RegExp(`\\bnew\\s+${symbol}\\s*\\{`).test(allTests);
      if (!deployedOnly) withDependencies(definition.file, compiledIntoTests);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The suites' copy deploys the mutant copy's artifacts.
// ---------------------------------------------------------------------------------------------------------------

const artifactOf = (name) => path.join(mutantOut, path.basename(definitions.get(name).file), `${name}.json`);
const deployer = path.join(contracts, 'test', 'mutation-check', 'MutantTarget.sol');
mkdirSync(path.dirname(deployer), { recursive: true });
writeFileSync(
  deployer,
  `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "forge-std/Vm.sol";

/// @dev Written by scripts/mutation-check.mjs: \`new C(args)\` with C's creation code read from the mutant build.
library MutantTarget {
    Vm private constant VM = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function deploy(string memory artifact, bytes memory args) internal returns (address deployed) {
        bytes memory code = bytes.concat(VM.getCode(artifact), args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
            if iszero(deployed) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
    }
}
`,
);
const concrete = [...definitions].filter(([, d]) => d.kind === 'contract').map(([name]) => name);
let rewritten = 0;
for (const file of testFiles) {
  const original = readFileSync(file, 'utf8');
  let text = original;
  for (const name of concrete) {
    const newExpression = new RegExp(`\\bnew\\s+${name}\\s*\\(`, 'g');
    let m;
    while ((m = newExpression.exec(text))) {
      let depth = 1;
      let end = m.index + m[0].length;
      for (; depth > 0; end++) {
        if (text[end] === '(') depth++;
        else if (text[end] === ')') depth--;
      }
      const callArgs = text.slice(m.index + m[0].length, end - 1);
      const replacement = `${name}(payable(MutantTarget.deploy(${JSON.stringify(artifactOf(name))}, abi.encode(${callArgs}))))`;
      text = text.slice(0, m.index) + replacement + text.slice(end);
      newExpression.lastIndex = m.index + replacement.length;
      rewritten++;
    }
    text = text.replace(new RegExp(`"[\\w./-]*\\.sol:${name}"`, 'g'), () => (rewritten++, JSON.stringify(artifactOf(name))));
  }
  if (text === original) continue;
  let relative = path.relative(path.dirname(file), deployer);
  if (!relative.startsWith('.')) relative = './' + relative;
  text = text.replace(/^(pragma solidity[^;]*;)$/m, `$1\nimport {MutantTarget} from "${relative}";`);
  writeFileSync(file, text);
}
const toml = path.join(contracts, 'foundry.toml');
const permission = `{ access = "read", path = ${JSON.stringify(mutantOut)} }`;
const config = readFileSync(toml, 'utf8');
writeFileSync(
  toml,
  /^fs_permissions = \[/m.test(config)
    ? config.replace(/^fs_permissions = \[/m, `fs_permissions = [${permission}, `)
    : config.replace(/^\[profile\.default\]$/m, `[profile.default]\nfs_permissions = [${permission}]`),
);

// ---------------------------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------------------------

const buildMutant = () => spawnSync(forge, ['build'], { cwd: mutant, encoding: 'utf8', env });
const runSuites = () => spawnSync(forge, ['test', '--match-path', SUITES], { cwd: contracts, encoding: 'utf8', env });
const seconds = (start) => ((Date.now() - start) / 1000).toFixed(0);

// The tests that failed in a run, as "<file>:<test>", from forge's "Ran N tests for <file>:<contract>" and
// "Encountered N failing tests in <file>:<contract>" blocks.
const failingTests = (stdout) => {
  const failing = new Set();
  let file = '';
  for (const line of stdout.split('\n')) {
    const header = /^(?:Encountered \d+ failing tests? in|Ran \d+ tests? for) ([^:\s]+)/.exec(line);
    if (header) file = path.basename(header[1], '.t.sol');
    const fail = /^\[FAIL.*\]\s+(\w+)\([^)]*\)\s+\(/.exec(line.trim());
    if (fail && file) failing.add(`${file}:${fail[1]}`);
  }
  return failing;
};

// The unmutated contracts must pass, or every mutant would look killed; this run also compiles the suites once.
let start = Date.now();
const baseBuild = buildMutant();
const baseline = baseBuild.status === 0 ? runSuites() : baseBuild;
const baseSummary = /(\d+) tests passed, (\d+) failed/.exec(baseline.stdout);
const baseFailing = baseSummary ? failingTests(baseline.stdout) : new Set();
if (!baseSummary || (Number(baseSummary[2]) !== 0 && !(ignoreBaselineFailures && baseFailing.size > 0))) {
  console.error(baseline.stdout.slice(-4000), baseline.stderr.slice(-4000));
  console.error('The unmutated contracts fail the suites: no mutation check.');
  rmSync(work, { recursive: true, force: true });
  process.exit(2);
}
if (baseFailing.size) console.log(`IGNORED (fail on the unmutated contracts): ${[...baseFailing].join(', ')}`);
console.log(
  `baseline: ${baseSummary[1]} tests pass (${rewritten} deployments redirected to the mutant build; ` +
    `first build ${seconds(start)}s)`,
);

const mutants = [];
for (const file of files) {
  const lines = readFileSync(path.join(contracts, file), 'utf8').split('\n');
  lines.forEach((line, index) => {
    const match = /revert ([\w.]+)\(.*\);/.exec(line);
    if (match) mutants.push({ file, line: index + 1, from: match[0], to: '{}', name: match[1] });
  });
}
mutants.push(...handMutants.map((m) => ({ ...m, name: m.name ?? `${m.from} -> ${m.to}` })));

const results = [];
const timings = [];
for (const m of mutants) {
  const sources = [path.join(mutant, m.file)];
  if (compiledIntoTests.has(path.join(contracts, m.file))) sources.push(path.join(contracts, m.file));
  const original = readFileSync(sources[0], 'utf8');
  const lines = original.split('\n');
  if (!lines[m.line - 1]?.includes(m.from)) throw new Error(`${m.file}:${m.line} does not contain ${m.from}`);
  lines[m.line - 1] = lines[m.line - 1].replace(m.from, m.to);
  for (const source of sources) writeFileSync(source, lines.join('\n'));
  start = Date.now();
  const build = buildMutant();
  const run = build.status === 0 ? runSuites() : build;
  for (const source of sources) writeFileSync(source, original);
  timings.push(Date.now() - start);
  const summary = /(\d+) tests passed, (\d+) failed/.exec(run.stdout);
  const failing = summary ? [...failingTests(run.stdout)].filter((test) => !baseFailing.has(test)) : [];
  const killed = summary ? failing.length > 0 || (Number(summary[2]) > 0 && baseFailing.size === 0) : run.status !== 0;
  const verdict = killed ? `killed (${summary ? Math.max(failing.length, 1) : 'compile'} failing)` : 'SURVIVED';
  results.push({ rule: `${m.file}:${m.line} ${m.name}`, verdict });
  const mode = sources.length > 1 ? ', suites recompiled' : '';
  console.log(`${verdict.padEnd(22)} ${m.file}:${m.line} ${m.name} (${seconds(start)}s${mode})`);
  if (failing.length) {
    const shown = failing.slice(0, 8).join(', ');
    console.log(`${''.padEnd(22)}   by ${shown}${failing.length > 8 ? `, +${failing.length - 8} more` : ''}`);
  }
}
rmSync(work, { recursive: true, force: true });
const survived = results.filter((r) => r.verdict === 'SURVIVED');
const average = timings.length ? (timings.reduce((a, b) => a + b, 0) / timings.length / 1000).toFixed(0) : 0;
console.log(`${results.length - survived.length} of ${results.length} mutants caught by the tests (${average}s each)`);
process.exit(survived.length === 0 ? 0 : 1);
