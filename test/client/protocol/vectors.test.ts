import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { recoverAddress, TypedDataEncoder } from 'ethers';
import { DEFAULT_HASHES_HEX, TRANSACTION_TYPES, verifyProof, type Hex } from '../../../client/protocol/index.ts';
import { buildSmtVectors, buildTransactionVectors, renderVectorFiles, VECTORS_DIR } from '../../../scripts/generate-vectors.ts';
import { naiveRoot } from './fixtures/helpers.ts';

t.test('committed vector files equal a fresh generation byte for byte', async (t) => {
  for (const [name, contents] of Object.entries(renderVectorFiles())) {
    t.equal(readFileSync(path.join(VECTORS_DIR, name), 'utf8'), contents, `${name} is up to date (run npx tsx scripts/generate-vectors.ts)`);
  }
});

t.test('SMT vectors: defaults, roots against the naive tree, every proof verifies', async (t) => {
  const vectors = buildSmtVectors();
  t.same(vectors.defaults, DEFAULT_HASHES_HEX);
  t.equal(vectors.caseCount, vectors.cases.length);
  for (const vector of vectors.cases) {
    t.equal(vector.proofCount, vector.proofs.length);
    const included = new Map(vector.proofs.filter((p) => BigInt(p.leaf) !== 0n).map((p) => [BigInt(p.slot), p.leaf as Hex]));
    if (included.size === vector.leafCount) t.equal(vector.root, naiveRoot(included), `${vector.name}: root`);
    const failures = vector.proofs.filter((p) => !verifyProof(vector.root, BigInt(p.slot), p.leaf, p.proof));
    t.equal(failures.length, 0, `${vector.name}: ${vector.proofs.length} proofs verify`);
  }
  t.ok(vectors.cases.some((c) => c.proofs.some((p) => p.proof.length === 2 + 2 * 2056)), 'a maximal 2,056-byte proof is present');
  t.ok(vectors.cases.some((c) => c.leafCount === 0), 'the empty tree is present');
});

t.test('transaction vectors agree with ethers (digest, domain separator, signer)', async (t) => {
  const vectors = buildTransactionVectors();
  const domain = { name: 'PlasmaCash', version: '1', chainId: BigInt(vectors.chainId), verifyingContract: vectors.verifyingContract };
  const types = { Transaction: TRANSACTION_TYPES.Transaction.map((field) => ({ ...field })) };
  t.equal(vectors.domainSeparator, TypedDataEncoder.hashDomain(domain));
  t.equal(vectors.count, vectors.transactions.length);
  for (const vector of vectors.transactions) {
    const value = { slot: BigInt(vector.slot), prevBlock: BigInt(vector.prevBlock), denomination: BigInt(vector.denomination), newOwner: vector.newOwner };
    t.equal(vector.digest, TypedDataEncoder.hash(domain, types, value));
    t.equal(recoverAddress(vector.digest, vector.signature).toLowerCase(), vector.signer);
  }
  t.ok(new Set(vectors.transactions.map((v) => v.signer)).size >= 3, 'several signers');
});
