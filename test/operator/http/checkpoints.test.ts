// The checkpoint routes (§9, docs/CHECKPOINTS.md §6) over real Postgres: checkpoint objects by k, a slot's leaf
// object (moved coin, deposit-only coin, zero leaf) whose leafProof verifies under the checkpoint's root and whose
// transaction's inclusion proof verifies under its block's root, the coin's base, history?since=checkpoint, and
// errors. Without an L1 node the statuses come from time, and the header says so.
import t from 'tap';
import {
  checkpointLeaf,
  parseCheckpointHistoryResponseJson,
  parseCheckpointLeafObjectJson,
  parseCheckpointObjectJson,
  SparseMerkleTree,
  transactionDigest,
  verifyProof,
  ZERO_HASH,
  type Hash,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { CheckpointBuilder } from '../../../operator/checkpoint/builder.ts';
import { createTestStore } from '../db/helpers.ts';
import { TestChain } from '../checkpoint/fixture.ts';
import { DOMAIN, get, startServer } from './fixture.ts';

const txOf = (json: any): Transaction => ({ slot: BigInt(json.slot), prevBlock: BigInt(json.prevBlock), denomination: BigInt(json.denomination), newOwner: json.newOwner });

t.test('checkpoint objects, leaf objects, the base and history?since=checkpoint', async (t) => {
  const store = await createTestStore(t, 'http_checkpoints');
  const chain = new TestChain(store);
  const builder = new CheckpointBuilder({ store, domain: DOMAIN });
  const [moved, still] = await chain.deposit(6);
  await chain.block([moved!]);
  const n0 = await chain.block([]);
  const c0 = await builder.build(n0);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const submitted = (k: bigint, childBlock: bigint, root: Hash, periodEnd: bigint) =>
    chain.apply([{ name: 'CheckpointSubmitted', l1Block: 1n, logIndex: 0, transactionHash: `0x${'22'.repeat(32)}` as Hash, k, childBlock, root, periodEnd }]);
  await submitted(0n, n0, c0.root, now - 10n); // its period is over: final
  const [late] = await chain.deposit(1);
  await chain.block([moved!]);
  const n1 = await chain.block([]);
  const c1 = await builder.build(n1);
  await submitted(1n, n1, c1.root, now + 3600n); // pending
  const { url } = await startServer(t, { store });

  const latest = await get(`${url}/v1/checkpoints/latest`);
  t.same(latest.json, { id: '1', block: n1.toString(), root: c1.root, submittedAt: (now + 3600n).toString(), finalAt: (now + 3600n).toString(), status: 'pending' }, 'latest (no L1 node: submittedAt unknown, periodEnd given)');
  t.match((await get(`${url}/v1/checkpoints/0`)).json, { id: '0', block: n0.toString(), root: c0.root, status: 'final' });
  t.doesNotThrow(() => parseCheckpointObjectJson(latest.json), "the client's parser (client/protocol wire.ts) takes the checkpoint object");
  t.match(await get(`${url}/v1/checkpoints/7`), { status: 404, json: { error: { code: 'unknown_checkpoint' } } });
  t.match(await get(`${url}/v1/checkpoints/x`), { status: 400, json: { error: { code: 'invalid_block' } } });

  // a coin that moved: its transaction in block 1000, proved there, and the leaf proved under the root
  const response = await fetch(`${url}/v1/checkpoints/0/coins/${moved}`);
  t.equal(response.headers.get('x-checkpoint-status-source'), 'time', 'the status is from time, and the response says so');
  const leaf: any = await response.json();
  t.match(leaf, { checkpoint: '0', block: n0.toString(), slot: moved!.toString(), txBlock: '1000', status: 'final' });
  const tx = txOf(leaf.transaction);
  const digest = transactionDigest(tx, DOMAIN);
  t.equal(leaf.leaf, `0x${Buffer.from(checkpointLeaf(1000n, digest)).toString('hex')}`);
  t.ok(verifyProof(c0.root, moved!, leaf.leaf, leaf.leafProof), 'leafProof verifies under the checkpoint root');
  const block1000 = chain.coins.get(moved!)!.txs[0]!;
  const blockTree = SparseMerkleTree.build([{ slot: moved!, leaf: block1000.digest }]);
  t.ok(verifyProof(blockTree.root, moved!, digest, leaf.proof), "the checkpointed transaction's inclusion proof verifies under block 1000's root");
  t.match(leaf.signature, /^0x[0-9a-f]{130}$/);
  t.doesNotThrow(() => parseCheckpointLeafObjectJson(leaf), "the client's parser takes the leaf object");

  // a coin that never moved: the deposit transaction, no signature or proof
  const deposit: any = (await get(`${url}/v1/checkpoints/0/coins/${still}`)).json;
  t.match(deposit, { txBlock: chain.coins.get(still!)!.depositBlock.toString(), signature: null, proof: null });
  t.equal(deposit.transaction.prevBlock, '0');
  t.ok(verifyProof(c0.root, still!, checkpointLeaf(BigInt(deposit.txBlock), transactionDigest(txOf(deposit.transaction), DOMAIN)), deposit.leafProof));

  // a slot with no coin at N: the zero leaf with its exclusion proof
  for (const slot of [late!, 12345n]) {
    const zero: any = (await get(`${url}/v1/checkpoints/0/coins/${slot}`)).json;
    t.match(zero, { leaf: ZERO_HASH, txBlock: null, transaction: null, signature: null, proof: null });
    t.ok(verifyProof(c0.root, slot, ZERO_HASH, zero.leafProof), `slot ${slot}: exclusion proof`);
    t.doesNotThrow(() => parseCheckpointLeafObjectJson(zero), "the client's parser takes the zero leaf");
  }

  // the base: the newest final leaf; a coin deposited after it has none
  t.match((await get(`${url}/v1/coins/${moved}/checkpoint`)).json, { checkpoint: '0', txBlock: '1000' });
  t.match(await get(`${url}/v1/coins/${late}/checkpoint`), { status: 404, json: { error: { code: 'no_checkpoint' } } });
  t.match(await get(`${url}/v1/coins/999/checkpoint`), { status: 404, json: { error: { code: 'unknown_coin' } } });

  // a package: the base, the pending leaves after it, the entries after the base's N
  const pkg: any = (await get(`${url}/v1/coins/${moved}/history?since=checkpoint`)).json;
  t.match(pkg.checkpoint, { checkpoint: '0', block: n0.toString() });
  t.same(pkg.pending.map((item: any) => [item.checkpoint, item.txBlock, item.status]), [['1', (n0 + 1000n).toString(), 'pending']]);
  t.same(pkg.entries.map((entry: any) => entry.block), [(n0 + 1000n).toString(), n1.toString()], 'entries start after the base');
  t.doesNotThrow(() => parseCheckpointHistoryResponseJson(pkg), "the client's parser takes the package");
  const fresh: any = (await get(`${url}/v1/coins/${late}/history?since=checkpoint`)).json;
  t.equal(fresh.checkpoint, null, 'no base: from the deposit');
  t.equal(fresh.pending.length, 1);
  t.doesNotThrow(() => parseCheckpointHistoryResponseJson(fresh));
  t.doesNotThrow(() => parseCheckpointLeafObjectJson(deposit), "the client's parser takes the deposit leaf");
  t.match(await get(`${url}/v1/coins/${moved}/history?since=yesterday`), { status: 400, json: { error: { code: 'invalid_since' } } });
  const plain: any = (await get(`${url}/v1/coins/${moved}/history`)).json;
  t.notOk('checkpoint' in plain, 'the plain history is unchanged');
});
