import t from 'tap';
import { BlockCommitter, L1RootConflictError } from '../../../operator/block/committer.ts';
import { childBlockRoot, nextChildBlock, plasmaCashInterface } from '../../../operator/chain/contract.ts';
import type { Store } from '../../../operator/db/store.ts';
import type { Hash } from '../../../client/protocol/index.ts';
import { createTestStore } from '../db/helpers.ts';
import { startTestChain, type TestChain } from '../../support/anvil.ts';

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
    if (stage === 'broadcast-pending') setTimeout(() => void chain.mine(1), 100); // the tx waits in the pool
    t.same(await resuming, [number], `${stage}: resumes the unfinished block`);
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

t.test('a different root on L1 for the number stops the committer without overwriting', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_conflict');
  await store.insertBlock({ number: 1000n, root: rootOf(1), transactions: [] });
  await (await chain.contract().getFunction('submitBlock')(rootOf(9), 1000n)).wait();
  await t.rejects(committer(chain, store).resume(), L1RootConflictError);
  t.equal(await status(store, 1000n), 'persisted');
  t.equal(await childBlockRoot(chain.rpc, chain.address, 1000n), rootOf(9));
});

t.test('confirmation waits for the configured depth', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'commit_depth');
  await store.insertBlock({ number: 1000n, root: rootOf(3), transactions: [] });
  let done = false;
  const committing = committer(chain, store, 3).commit(1000n).then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(done, false, 'not confirmed at depth 0');
  t.equal(await status(store, 1000n), 'broadcast');
  await chain.mine(2);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(done, false, 'not confirmed at depth 2');
  await chain.mine(1);
  await committing;
  t.equal(await status(store, 1000n), 'confirmed');
});
