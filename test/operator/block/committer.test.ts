import t from 'tap';
import { BlockCommitter } from '../../../operator/block/committer.ts';
import { childBlockRoot, nextChildBlock, plasmaCashInterface } from '../../../client/l1/contract.ts';
import type { Store } from '../../../operator/db/store.ts';
import type { Hash } from '../../../client/protocol/index.ts';
import { createTestStore } from '../db/helpers.ts';
import { mineInBackground, startTestChain, type TestChain } from '../../support/anvil.ts';
import { LosingNode } from '../../support/losing-node.ts';
import { until } from '../../support/system.ts';
import { JsonRpc } from '../../../client/l1/rpc.ts';

const rootOf = (n: number): Hash => `0x${n.toString(16).padStart(2, '0').repeat(32)}`;

function committer(chain: TestChain, store: Store, confirmations = 0): BlockCommitter {
  return new BlockCommitter({ rpc: chain.rpc, store, contract: chain.address, operatorKey: chain.operatorKey, confirmations, pollIntervalMs: 20, log: () => {} });
}

async function status(store: Store, number: bigint): Promise<string> {
  const [row] = await store.sql`select status from blocks where number = ${number.toString()}::int8`;
  return row!['status'] as string;
}

async function submittedCount(chain: TestChain): Promise<number> {
  const topic = plasmaCashInterface().getEvent('BlockSubmitted')!.topicHash;
  const logs = await chain.rpc.request<unknown[]>('eth_getLogs', [{ address: chain.address, fromBlock: '0x0', toBlock: 'latest', topics: [topic] }]);
  return logs.length;
}

t.test('a persisted block goes to confirmed with its root on L1', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_basic');
  await store.insertBlock({ number: 1000n, root: rootOf(1), transactions: [] });
  await committer(chain, store).commit(1000n);
  t.equal(await status(store, 1000n), 'confirmed');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 1000n), rootOf(1));
  t.equal(await nextChildBlock(chain.rpc, chain.address), 2000n);
  const [row] = await store.sql`select raw_l1_tx, l1_tx_hash from blocks`;
  const receipt = await chain.rpc.request<{ status: string; gasUsed: string }>('eth_getTransactionReceipt', [`0x${(row!['l1_tx_hash'] as Buffer).toString('hex')}`]);
  t.equal(receipt.status, '0x1', 'the stored hash is the mined transaction');
  t.comment(`submitBlock gas used: ${BigInt(receipt.gasUsed)}`);
});

t.test('a committer that crashed after any stage is finished by a new one, committing exactly once', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_crash');
  const stages = ['persisted', 'signed', 'broadcast-pending', 'broadcast-mined', 'receipt-unmarked'] as const;
  let number = 1000n;
  for (const [i, stage] of stages.entries()) {
    await store.insertBlock({ number, root: rootOf(i + 1), transactions: [] });
    const crashed = committer(chain, store);
    if (stage !== 'persisted') await crashed.sign(number);
    if (stage === 'broadcast-pending') {
      await chain.rpc.request('evm_setAutomine', [false]);
      await crashed.broadcast(number);
      await chain.rpc.request('evm_setAutomine', [true]);
    } else if (stage === 'broadcast-mined' || stage === 'receipt-unmarked') {
      await crashed.broadcast(number);
    }
    if (stage === 'receipt-unmarked') await chain.mine(1);
    const expectedStatus = stage === 'persisted' ? 'persisted' : stage === 'signed' ? 'signed' : 'broadcast';
    t.equal(await status(store, number), expectedStatus, `${stage}: crashed at ${expectedStatus}`);
    const [before] = await store.sql`select l1_tx_hash from blocks where number = ${number.toString()}::int8`;

    const restarted = committer(chain, store);
    const resuming = restarted.resume();
    // The tx may wait in the pool: mine once a little later, and wait for that mining before going on, so it never
    // outlives the test (an anvil stopped under it fails the test in teardown).
    const mining = stage === 'broadcast-pending' ? new Promise((resolve) => setTimeout(resolve, 100)).then(() => chain.mine(1)) : undefined;
    t.same(await resuming, [number], `${stage}: resumes the unfinished block`);
    await mining;
    t.equal(await status(store, number), 'confirmed', `${stage}: confirmed`);
    t.equal(await childBlockRoot(chain.rpc, chain.address, number), rootOf(i + 1), `${stage}: root on L1`);
    t.equal(await nextChildBlock(chain.rpc, chain.address), number + 1000n, `${stage}: nextChildBlock advanced once`);
    t.equal(await submittedCount(chain), i + 1, `${stage}: one BlockSubmitted per block`);
    if (stage !== 'persisted') {
      const [after] = await store.sql`select l1_tx_hash from blocks where number = ${number.toString()}::int8`;
      t.same(after!['l1_tx_hash'], before!['l1_tx_hash'], `${stage}: the same stored transaction was re-broadcast`);
    }
    number += 1000n;
  }
  t.same(await committer(chain, store).resume(), [], 'nothing left after all confirmed');
});

t.test('a built block (no root yet) is never signed: commit refuses it and resume stops before it', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_built');
  await store.insertBlock({ number: 1000n, root: rootOf(1), transactions: [] });
  t.match(await store.claimBlock({ maxTransactions: 10, allowEmpty: true }), { number: 2000n }, 'block 2000 claimed, its tree not built');
  const c = committer(chain, store);
  await t.rejects(c.commit(2000n), /still being built/);
  t.same(await c.resume(), [1000n], 'resume commits what comes before the built block');
  t.equal(await nextChildBlock(chain.rpc, chain.address), 2000n, 'and nothing after it');
  t.equal(await status(store, 2000n), 'built');
  await store.persistBlock(2000n, rootOf(2), [], []);
  t.same(await c.resume(), [2000n], 'once persisted it is committed');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 2000n), rootOf(2));
});

t.test('a different root on L1 for the number stops the committer without overwriting', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_conflict');
  await store.insertBlock({ number: 1000n, root: rootOf(1), transactions: [] });
  await (await chain.contract().getFunction('submitBlock')(rootOf(9), 1000n)).wait();
  await t.rejects(committer(chain, store).resume(), { code: 'l1_root_conflict' });
  t.equal(await status(store, 1000n), 'persisted');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 1000n), rootOf(9));
});

t.test('confirmation waits for the configured depth', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_depth');
  await store.insertBlock({ number: 1000n, root: rootOf(3), transactions: [] });
  let done = false;
  const committing = committer(chain, store, 3).commit(1000n).then(() => (done = true));
  // Automine: once the stored transaction has a receipt it is mined at depth 0.
  await until('the submission mined', async () => {
    const [row] = await store.sql`select l1_tx_hash from blocks where number = 1000`;
    const hash = row?.['l1_tx_hash'] as Buffer | null | undefined;
    return hash != null && (await chain.rpc.request('eth_getTransactionReceipt', [`0x${hash.toString('hex')}`])) !== null;
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(done, false, 'not confirmed at depth 0');
  t.equal(await status(store, 1000n), 'broadcast');
  await chain.mine(2);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(done, false, 'not confirmed at depth 2');
  await chain.mine(1);
  await committing;
  t.equal(await status(store, 1000n), 'confirmed');
});

t.test('a confirmed block that a reorg drops from L1 is committed again, the gap before anything after it', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_reorg');
  const c = committer(chain, store);
  t.same(await c.reconcile(), [], 'nothing to reconcile on an empty database');

  // 1: the reorg drops block 1000 after it was confirmed; block 2000 is built on top before anyone notices.
  const beforeFirst = await chain.snapshot();
  await store.insertBlock({ number: 1000n, root: rootOf(1), transactions: [] });
  await c.commit(1000n);
  t.equal(await status(store, 1000n), 'confirmed');
  await chain.revert(beforeFirst);
  t.equal(await nextChildBlock(chain.rpc, chain.address), 1000n, 'the reorg dropped block 1000 from L1');
  await store.insertBlock({ number: 2000n, root: rootOf(2), transactions: [] });
  await t.rejects(c.commit(2000n), { code: 'block_gap' }, 'block 2000 is not signed while 1000 is missing on L1');
  t.equal(await status(store, 2000n), 'persisted', 'and nothing was signed for it');
  t.same(await c.reconcile(), [1000n], 'reconcile finds the dropped block');
  t.equal(await status(store, 1000n), 'broadcast', 'which goes back to broadcast with its stored bytes');
  t.same(await c.resume(), [1000n, 2000n], 'resume commits the gap first');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 1000n), rootOf(1));
  t.equal(await childBlockRoot(chain.rpc, chain.address, 2000n), rootOf(2));
  t.equal(await submittedCount(chain), 2, 'each block once on L1');

  // 2: the reorg drops block 3000 and a submission of 4000 was already sent: it reverts and spends the nonce that
  // 3000's stored transaction had, so 3000 must be signed again.
  const beforeThird = await chain.snapshot();
  await store.insertBlock({ number: 3000n, root: rootOf(3), transactions: [] });
  await c.commit(3000n);
  await chain.revert(beforeThird);
  await store.insertBlock({ number: 4000n, root: rootOf(4), transactions: [] });
  await c.sign(4000n); // as if signed just before the reorg was seen
  await c.broadcast(4000n);
  await t.rejects(c.awaitConfirmation(4000n), { code: 'block_gap' }, 'the reverted submission names the gap');
  t.equal(await status(store, 4000n), 'persisted', 'the reverted block will be signed again');
  const [old] = await store.sql`select l1_tx_hash from blocks where number = 3000`;
  t.same(await c.resume(), [3000n, 4000n]);
  const [renewed] = await store.sql`select l1_tx_hash from blocks where number = 3000`;
  t.notSame(renewed!['l1_tx_hash'], old!['l1_tx_hash'], 'block 3000 went out in a new transaction (its nonce was taken)');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 3000n), rootOf(3));
  t.equal(await childBlockRoot(chain.rpc, chain.address, 4000n), rootOf(4));
  t.equal(await nextChildBlock(chain.rpc, chain.address), 5000n);
  t.equal(await submittedCount(chain), 4, 'four blocks, each once');
  t.same(await c.reconcile(), []);
});

t.test('a submission reorged out while waiting for its depth is sent again at once', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_reorg_wait');
  await store.insertBlock({ number: 1000n, root: rootOf(5), transactions: [] });
  // Polling every 100 ms: the periodic rebroadcast (every 25 rounds) would come after 2.5 s.
  const lines: string[] = [];
  let receiptsSeen = 0;
  const rpc = new (class extends JsonRpc {
    override async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
      const result = await super.request<T>(method, params);
      if (method === 'eth_getTransactionReceipt' && result !== null) receiptsSeen++;
      return result;
    }
  })(chain.rpcUrl);
  const c = new BlockCommitter({ rpc, store, contract: chain.address, operatorKey: chain.operatorKey, confirmations: 2, pollIntervalMs: 100, log: (line) => void lines.push(line) });
  const beforeSign = await chain.snapshot();
  await c.sign(1000n);
  await c.broadcast(1000n); // automine: mined at once, then waiting for 2 blocks on top
  const committing = c.commit(1000n);
  const [row] = await store.sql`select l1_tx_hash from blocks where number = 1000`;
  const hash = `0x${(row!['l1_tx_hash'] as Buffer).toString('hex')}`;
  await until('the committer saw the receipt', async () => receiptsSeen > 0);
  await chain.revert(beforeSign);
  t.equal(await chain.rpc.request('eth_getTransactionReceipt', [hash]), null, 'the reorg took the submission out');
  await until('the submission mined again', async () => (await chain.rpc.request('eth_getTransactionReceipt', [hash])) !== null);
  t.ok(lines.some((line) => line.includes('was mined, then reorged out; sending it again')), 'sent again because it was reorged out (not by the 25-round rebroadcast)');
  await chain.mine(2);
  await committing;
  t.equal(await status(store, 1000n), 'confirmed');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 1000n), rootOf(5));
  t.equal(await submittedCount(chain), 1);
});

t.test('a submission that stays pending is replaced with the same nonce and higher fees, and the block confirmed once', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_replace');
  await store.insertBlock({ number: 1000n, root: rootOf(6), transactions: [] });
  await mineInBackground(t, chain, 100);
  const node = new LosingNode(chain.rpcUrl);
  const lines: string[] = [];
  const c = new BlockCommitter({ rpc: node, store, contract: chain.address, operatorKey: chain.operatorKey, confirmations: 0, pollIntervalMs: 20, replaceAfterMs: 300, log: (line) => void lines.push(line) });
  await c.commit(1000n);

  const versions = [...new Map(node.sent.map((tx) => [tx.hash, tx])).values()];
  t.equal(versions.length, 2, 'the lost version and its replacement');
  const [lost, replacement] = versions;
  t.equal(replacement!.nonce, lost!.nonce, 'same nonce');
  t.ok(replacement!.maxFeePerGas! > lost!.maxFeePerGas! && replacement!.maxPriorityFeePerGas! > lost!.maxPriorityFeePerGas!, 'higher fees');
  const [row] = await store.sql`select status, l1_tx_hash from blocks where number = 1000`;
  t.equal(row!['status'], 'confirmed');
  t.equal(`0x${(row!['l1_tx_hash'] as Buffer).toString('hex')}`, replacement!.hash, 'the replacement is what the database holds');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 1000n), rootOf(6));
  t.equal(await submittedCount(chain), 1);
  t.match(lines, [/signed/, /pending for 300 ms; replaced by 0x/, /confirmed on L1/]);
});
