// `npm start`'s path: the operator on its embedded Postgres takes a deposit and commits a transfer to L1.
import t from 'tap';
import { parseEther } from 'ethers';
import { operatorConfig } from '../../../operator/config.ts';
import { createLog } from '../../../operator/log.ts';
import { startOperator } from '../../../operator/service.ts';
import { PlasmaWallet } from '../../../client/wallet/wallet.ts';
import { startTestChain } from '../../support/anvil.ts';

t.test('the operator on the embedded Postgres commits transfers', async (t) => {
  const chain = await startTestChain(t);
  const dir = t.testdir();
  const operator = await startOperator(
    operatorConfig({ 'l1-rpc': chain.rpcUrl, contract: chain.address, 'operator-key': chain.operatorKey, 'data-dir': `${dir}/postgres`, port: 0, confirmations: 0, 'block-interval-ms': 100, 'l1-poll-interval-ms': 50 }),
    { log: createLog({ level: 'warn', write: () => undefined }) },
  );
  t.teardown(() => operator.stop());
  const open = (index: number) => PlasmaWallet.open({ rpcUrl: chain.rpcUrl, contract: chain.address, operatorUrl: operator.url, privateKey: chain.users[index]!.privateKey, dataDir: `${dir}/wallet${index}` });
  const [alice, bob] = [await open(0), await open(1)];
  t.teardown(() => { alice.close(); bob.close(); });
  const slot = await alice.depositEth(parseEther('1'));
  await alice.waitForCoin(slot);
  const pkg = await alice.send(slot, bob.address);
  t.equal((await bob.receive(pkg)).role, 'owner', 'the transfer is in a committed block and its history verifies');
});
