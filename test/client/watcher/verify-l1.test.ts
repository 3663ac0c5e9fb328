// --verify-l1: a watcher that checks what its RPC node says against storage proofs is not fooled by a node
// that lies about committed roots, where a trusting watcher would freeze and exit a healthy coin.
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEther } from 'ethers';
import { PlasmaWallet } from '../../../client/wallet/wallet.ts';
import { provenL1State } from '../../../client/watcher/verify-l1.ts';
import { plasmaCashInterface } from '../../../client/l1/contract.ts';
import { startSystem } from '../../support/system.ts';

/** A JSON-RPC proxy that says every committed root is 0xeeee…: in BlockSubmitted logs and in childBlockRoot calls. */
async function lyingRpc(t: Test, upstream: string): Promise<string> {
  const topic = plasmaCashInterface().getEvent('BlockSubmitted')!.topicHash;
  const childBlockRoot = plasmaCashInterface().getFunction('childBlockRoot')!.selector;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString()) as { method: string; params?: [{ data?: string }] };
    const answer = (await (await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })).json()) as { result?: unknown };
    if (request.method === 'eth_getLogs' && Array.isArray(answer.result)) {
      for (const log of answer.result as { topics: string[]; data: string }[]) {
        if (log.topics[0] === topic) log.data = `0x${'ee'.repeat(32)}`;
      }
    }
    if (request.method === 'eth_call' && request.params?.[0].data?.startsWith(childBlockRoot) === true) answer.result = `0x${'ee'.repeat(32)}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('honest node: the verifying watcher follows blocks like the trusting one', async (t) => {
  const system = await startSystem(t, 'verify_l1');
  const alice = await system.wallet(0);
  const bob = await system.wallet(1);
  const slot = await alice.depositEth(parseEther('1'));
  await alice.waitForCoin(slot);
  await alice.send(slot, bob.address);
  await bob.receive(slot);
  const watcher = system.watcher(bob, { verifyL1: provenL1State(bob.l1.rpc, bob.l1.address) });
  await bob.send(slot, alice.address); // a block that moves the coin on, verified through proofs
  await alice.receive(slot);
  await watcher.tick();
  t.equal((await watcher.status()).lastError, undefined);
  t.equal((await bob.coins())[0]!.status, 'sent');
});

t.test('a node lying about roots: the trusting watcher is fooled into freezing, the verifying one refuses to act', async (t) => {
  const system = await startSystem(t, 'verify_l1_lie');
  const alice = await system.wallet(0);
  const slot = await alice.depositEth(parseEther('1'));
  await alice.waitForCoin(slot);
  const other = await system.wallet(1);
  const spare = await other.depositEth(parseEther('0.1'));
  await other.waitForCoin(spare);
  await other.send(spare, (await system.wallet(2)).address); // one committed block after alice's deposit

  const rpcUrl = await lyingRpc(t, system.chain.rpcUrl);
  const open = (dir: string) => PlasmaWallet.open({ rpcUrl, contract: system.chain.address, operatorUrl: system.operator.url, privateKey: (system.chain.users[0] as { privateKey: string }).privateKey, dataDir: `${system.dataDir}/${dir}` });
  const trusting = await open('trusting');
  const verifying = await open('verifying');
  t.teardown(() => { trusting.close(); verifying.close(); });
  for (const wallet of [trusting, verifying]) {
    // Both know alice's coin (the state a wallet would have from its deposit).
    const known = (await alice.stateFile.read()).coins;
    await wallet.stateFile.update((s) => void (s.coins = structuredClone(known)));
  }
  const fooled = system.watcher(trusting, { exitFrozenCoins: false });
  await fooled.tick();
  t.match((await trusting.coins())[0], { status: 'frozen', frozen: /invalid_proof/ }, 'a wrong root makes an honest proof look invalid');

  const careful = system.watcher(verifying, { exitFrozenCoins: false, verifyL1: provenL1State(verifying.l1.rpc, verifying.l1.address) });
  await t.rejects(careful.tick(), /root proven by eth_getProof/);
  t.equal((await verifying.coins())[0]!.status, 'owned', 'the coin is not frozen on a lie');
  t.notOk(careful.lines.some((l) => l['action'] === 'freeze'));
});
