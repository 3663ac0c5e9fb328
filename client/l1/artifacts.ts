/**
 * The compiled contracts the project deploys (ABI and creation bytecode), shipped in client/l1/artifacts/ so
 * that nothing compiles at run time: `npm start` deploys them as they are. They are generated files:
 * `npm run artifacts` (scripts/artifacts.ts) rebuilds them from `forge build`, and
 * test/client/l1/artifacts.test.ts fails while one differs from what contracts/ compiles to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Each shipped contract and its source file under contracts/. */
export const SHIPPED_CONTRACTS = {
  PlasmaCash: 'src/PlasmaCash.sol',
  DemoERC20: 'script/DemoTokens.sol',
  DemoERC721: 'script/DemoTokens.sol',
} as const;

export type ContractName = keyof typeof SHIPPED_CONTRACTS;

export interface Artifact {
  readonly abi: readonly unknown[];
  readonly bytecode: `0x${string}`;
}

/** The shipped artifact file of `name`. */
export function artifactFile(name: ContractName): string {
  return path.join(REPO_ROOT, 'client', 'l1', 'artifacts', `${name}.json`);
}

const loaded = new Map<ContractName, Artifact>();

/** The shipped ABI and creation bytecode of `name` (read once per process). */
export function loadArtifact(name: ContractName): Artifact {
  let artifact = loaded.get(name);
  if (artifact === undefined) {
    const json = JSON.parse(readFileSync(artifactFile(name), 'utf8')) as Artifact;
    artifact = { abi: json.abi, bytecode: json.bytecode };
    loaded.set(name, artifact);
  }
  return artifact;
}
