// The shipped artifacts (client/l1/artifacts/*.json), which `npm start` deploys without compiling, are what
// contracts/ compiles to: an ABI or code change without `npm run artifacts` fails here.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { SHIPPED_CONTRACTS, artifactFile, loadArtifact, type ContractName } from '../../../client/l1/artifacts.ts';
import { GENERATED_NOTE, buildContracts, forgeArtifact, withoutMetadata, type ShippedArtifact } from '../../../scripts/artifacts.ts';

// `npm test` runs the forge suite beside tap in its own out-npm-test/, so this builds contracts/out (src only)
// itself; forge's cache makes it a no-op when contracts/out is newer than the sources.
buildContracts();

for (const name of Object.keys(SHIPPED_CONTRACTS) as ContractName[]) {
  t.test(`the shipped ${name} is what contracts/${SHIPPED_CONTRACTS[name]} compiles to`, async (t) => {
    const shipped = JSON.parse(readFileSync(artifactFile(name), 'utf8')) as ShippedArtifact;
    const built = forgeArtifact(name);
    const stale = 'if not, it is stale: run `npm run artifacts`';
    t.equal(shipped._generated, GENERATED_NOTE, 'it says how it is made');
    t.equal(shipped.source, built.source);
    t.strictSame(shipped.abi, built.abi, `the ABI is the built one (${stale})`);
    t.ok(
      withoutMetadata(shipped.bytecode) === withoutMetadata(built.bytecode),
      `the bytecode is the built one, metadata hash aside (${stale})`,
    );
    t.strictSame(loadArtifact(name), { abi: shipped.abi, bytecode: shipped.bytecode }, 'loadArtifact reads the shipped file');
  });
}
