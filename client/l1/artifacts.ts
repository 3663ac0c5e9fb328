// Compiled contract artifacts (ABI and bytecode) from the Foundry project, built on first use.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONTRACTS_DIR = path.join(REPO_ROOT, 'contracts');
const FORGE = path.join(REPO_ROOT, 'node_modules', '.bin', 'forge');

export interface Artifact {
  readonly abi: readonly unknown[];
  readonly bytecode: `0x${string}`;
}

function artifactPath(sourceFile: string, contractName: string): string {
  return path.join(CONTRACTS_DIR, 'out', sourceFile, `${contractName}.json`);
}

/** Runs `forge build` in contracts/ (about 20-40 s the first time), telling the user why it waits. */
export function buildContracts(log: (line: string) => void = console.error): void {
  log('compiling the contracts with forge (first run only, about 30 s)…');
  try {
    execFileSync(FORGE, ['build'], { cwd: CONTRACTS_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(`forge build failed in ${CONTRACTS_DIR}: ${stderr.trim()}\nRun \`npm install\` first.`);
  }
}

/** Loads `contractName` compiled from `sourceFile` (e.g. "PlasmaCash.sol"), building the project if needed. */
export function loadArtifact(sourceFile: string, contractName: string): Artifact {
  const file = artifactPath(sourceFile, contractName);
  if (!existsSync(file)) buildContracts();
  if (!existsSync(file)) throw new Error(`no artifact for ${contractName} at ${file} after forge build`);
  const json = JSON.parse(readFileSync(file, 'utf8')) as { abi: unknown[]; bytecode: { object: string } };
  return { abi: json.abi, bytecode: json.bytecode.object as `0x${string}` };
}
