// The checkpoint schedule against a real PlasmaCash on anvil (RESPONSE_PERIOD 30 s, EXIT_PERIOD 60 s) and the
// operator's database: a checkpoint at the newest confirmed block once enough child blocks passed, none while the
// previous submission's CheckpointSubmitted is unseen or younger than RESPONSE_PERIOD on L1, the follower's
// CheckpointSubmitted makes it submitted as k. The committer is a stand-in that records the call (the shipped
// contract has no checkpoint module yet); a real submitCheckpoint that L1 would refuse is never signed.
import t from 'tap';
import { checkpointGameInterface } from '../../../client/l1/checkpoint-game.ts';
import type { StoredCall } from '../../../operator/block/committer.ts';
import { CheckpointBuilder } from '../../../operator/checkpoint/builder.ts';
import { checkpointCall, defaultCheckpointEveryBlocks, startCheckpointScheduler } from '../../../operator/checkpoint/scheduler.ts';
import { checkpointById } from '../../../operator/db/checkpoints.ts';
import { createLog } from '../../../operator/log.ts';
import { startTestChain } from '../../support/anvil.ts';
import { createTestStore } from '../db/helpers.ts';
import { TestChain } from './fixture.ts';
import type { Address, Hash } from '../../../client/protocol/index.ts';

t.test('default spacing: the child blocks in one RESPONSE_PERIOD at the block interval, at least 1', async (t) => {
  t.equal(defaultCheckpointEveryBlocks(86_400n, 1000), 86_400);
  t.equal(defaultCheckpointEveryBlocks(30n, 100), 300);
  t.equal(defaultCheckpointEveryBlocks(1n, 5000), 1);
});

t.test('schedule: built at the newest confirmed block, submitted once RESPONSE_PERIOD passed since the last on L1', async (t) => {
  const chain = await startTestChain(t);
  const store = await createTestStore(t, 'checkpoint_scheduler');
  const db = new TestChain(store);
  const builder = new CheckpointBuilder({ store, domain: chain.domain });
  const calls: StoredCall[] = [];
  const committer = {
    async commitCall(call: StoredCall): Promise<void> {
      calls.push(call);
      await call.save('confirmed');
    },
  };
  const scheduler = startCheckpointScheduler({
    store, builder, committer, rpc: chain.rpc, contract: chain.address, operator: chain.operator.address.toLowerCase() as Address,
    everyBlocks: 2, confirmations: 1_000_000, l1StartBlock: 0n, pollMs: 3_600_000, log: createLog({ level: 'error' }),
  });
  t.teardown(() => scheduler.stop());

  t.equal(await scheduler.round(), 'not_due', 'no child block yet');
  await db.deposit(10);
  await db.block(db.pick(3));
  t.equal(await scheduler.round(), 'not_due', 'one child block is fewer than --checkpoint-every-blocks 2');
  const n1 = await db.block(db.pick(3));
  t.equal(await scheduler.round(), 'submitted', 'two child blocks: built and submitted');
  t.equal(calls.length, 1);
  const decoded = checkpointGameInterface().decodeFunctionData('submitCheckpoint', calls[0]!.data);
  const first = await checkpointById(store.sql, 1);
  t.same([BigInt(decoded[0]), (decoded[1] as string).toLowerCase()], [n1, first!.root], 'submitCheckpoint(N, root) of the newest confirmed block');
  t.equal(first!.status, 'submitted');

  await db.block(db.pick(2));
  await db.block(db.pick(2));
  t.equal(await scheduler.round(), 'waiting_for_follower', 'the last submission is not followed yet: nothing new');
  const now = BigInt((await chain.rpc.request<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false])).timestamp);
  await db.apply([{ name: 'CheckpointSubmitted', l1Block: 1n, logIndex: 0, transactionHash: `0x${'22'.repeat(32)}` as Hash, k: 0n, childBlock: n1, root: first!.root, periodEnd: now + 60n }]);
  t.equal((await checkpointById(store.sql, 1))!.k, 0n, 'CheckpointSubmitted makes it k = 0');
  t.equal(await scheduler.round(), 'too_soon', 'RESPONSE_PERIOD has not passed on L1');
  await chain.increaseTime(31n);
  await chain.mine(1);
  t.equal(await scheduler.round(), 'submitted', 'RESPONSE_PERIOD later: the next one');
  const second = await checkpointById(store.sql, 2);
  t.equal(second!.block, n1 + 2000n);
  t.ok(second!.changed > 0 && second!.changed <= 4, `incremental: ${second!.changed} leaves changed`);

  // A real submitCheckpoint that L1 would refuse (this contract has no checkpoint module) is never signed.
  await store.sql`update checkpoints set status = 'built' where id = 2`;
  const call = checkpointCall({ store, rpc: chain.rpc, contract: chain.address, operator: chain.operator.address.toLowerCase() as Address, l1StartBlock: 0n }, second!);
  await t.rejects(call.checkReady!(), { code: 'checkpoint_refused' });
  t.equal(await call.onL1(), false, 'no CheckpointSubmitted on L1 for it');
});
