// The block loop's scheduling: a pass per interval, at once for a full block, never a hot retry loop.
import t from 'tap';
import { ANVIL_KEYS } from '../../../devnet/anvil.ts';
import { BlockCommitter } from '../../../operator/block/committer.ts';
import { startBlockLoop } from '../../../operator/block/loop.ts';
import { JsonRpc } from '../../../client/l1/rpc.ts';
import { createLog } from '../../../operator/log.ts';
import { createTestStore } from '../db/helpers.ts';
import { freePort } from '../../support/anvil.ts';

t.test('a failing pass waits the interval before the next one, even with a full block waiting', async (t) => {
  const store = await createTestStore(t, 'loop_retry');
  // an L1 node that refuses every connection: each pass fails at once, in reconcile
  const rpc = new JsonRpc(`http://127.0.0.1:${await freePort()}`);
  const committer = new BlockCommitter({ rpc, store, contract: `0x${'11'.repeat(20)}`, operatorKey: ANVIL_KEYS[0], confirmations: 0, log: () => {} });
  const failures: string[] = [];
  const log = createLog({ level: 'error', write: (line) => void failures.push(line) });
  const loop = startBlockLoop({ config: { blockSize: 2, blockIntervalMs: 200 }, store, committer, log });
  t.teardown(() => loop.stop(1000));
  loop.noteAccepted(5); // more than a block's worth: without the rule, every failed pass would start the next at once
  await new Promise((resolve) => setTimeout(resolve, 1100));
  t.ok(failures.length >= 2 && failures.length <= 8, `${failures.length} failed passes in 1.1 s at a 200 ms interval`);
  t.match(JSON.parse(failures[0]!), { level: 'error', msg: /retrying on the next interval/ });
});
