// An L1 write that stays pending is sent again with the same nonce and higher fees, and whichever version is mined
// is the answer; a nonce taken by another transaction is reported instead of waited on forever. Against anvil
// with automine off and the test mining blocks, through a node that loses the first version it is sent.
import t from 'tap';
import { parseEther, type Wallet } from 'ethers';
import { PlasmaCashL1 } from '../../../client/l1/plasma-cash.ts';
import { NonceTakenError, sendUntilMined } from '../../../client/l1/send-until-mined.ts';
import { replacementFees, worthReplacing } from '../../../client/l1/fees.ts';
import { LosingNode } from '../../support/losing-node.ts';
import { mineInBackground, startTestChain } from '../../support/anvil.ts';
import { until } from '../../support/system.ts';

t.test('replacement fees: 12.5 % more, rounded up, and never less than the chain asks for now', async (t) => {
  t.same(replacementFees({ maxFeePerGas: 800n, maxPriorityFeePerGas: 8n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }), { maxFeePerGas: 900n, maxPriorityFeePerGas: 9n });
  t.same(replacementFees({ maxFeePerGas: 801n, maxPriorityFeePerGas: 1n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }), { maxFeePerGas: 902n, maxPriorityFeePerGas: 2n }, 'rounded up, so a node\'s 10 % or 12.5 % rule holds');
  t.same(replacementFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, { maxFeePerGas: 5_000n, maxPriorityFeePerGas: 50n }), { maxFeePerGas: 5_000n, maxPriorityFeePerGas: 50n }, 'the chain\'s price when it rose more');
  t.same(replacementFees({ maxFeePerGas: 10n, maxPriorityFeePerGas: 10n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 400n }), { maxFeePerGas: 400n, maxPriorityFeePerGas: 400n }, 'the max fee covers the tip');
});

t.test('a deposit whose first version the node loses is sent again with higher fees and mined once', async (t) => {
  const chain = await startTestChain(t);
  await mineInBackground(t, chain, 100);
  const node = new LosingNode(chain.rpcUrl);
  const lines: string[] = [];
  const l1 = new PlasmaCashL1(node, chain.address, { replaceAfterMs: 500, pollMs: 50, log: (line) => void lines.push(line) });
  const sent = await l1.send(chain.users[0] as Wallet, 'deposit', [], parseEther('1'));

  const [first, second] = node.sent;
  t.equal(node.sent.length, 2, 'two versions went out');
  t.equal(sent.hash, second!.hash, 'the second is the one mined');
  t.equal(await chain.rpc.request('eth_getTransactionReceipt', [first!.hash]), null, 'the lost one never was');
  t.equal(second!.nonce, first!.nonce, 'same nonce');
  t.ok(second!.maxFeePerGas! > first!.maxFeePerGas! && second!.maxPriorityFeePerGas! > first!.maxPriorityFeePerGas!, 'higher fees');
  t.match(sent.logs, [{ name: 'Deposit', denomination: parseEther('1') }], 'the receipt\'s events are the replacement\'s');
  const deposits = (await l1.events(0n, await chain.rpc.blockNumber())).filter((event) => event.name === 'Deposit');
  t.equal(deposits.length, 1, 'one deposit on L1');
  t.match(lines, [/still pending after 500 ms: replaced by 0x/], 'the replacement is logged');
});

t.test('when an older version is mined after all, its receipt is the answer', async (t) => {
  const chain = await startTestChain(t);
  const node = new LosingNode(chain.rpcUrl, () => true); // every version held back until the test delivers one
  const l1 = new PlasmaCashL1(node, chain.address, { replaceAfterMs: 200, pollMs: 20 });
  const sending = l1.send(chain.users[0] as Wallet, 'deposit', [], parseEther('1'));
  await until('a replacement sent', async () => new Set(node.sent.map((tx) => tx.hash)).size >= 2);
  const first = node.sent[0]!;
  await node.deliver(first.hash!); // automine: mined now
  const sent = await sending;
  t.equal(sent.hash, first.hash, 'the first version\'s receipt');
  t.match(sent.logs, [{ name: 'Deposit' }]);
});

t.test('replacement is worth it only while the chain asks more than the pending version offers', async (t) => {
  const chain = { maxFeePerGas: 100n, maxPriorityFeePerGas: 2n };
  t.ok(worthReplacing({ maxFeePerGas: 100n, maxPriorityFeePerGas: 2n }, chain), 'at the chain\'s price');
  t.ok(worthReplacing({ maxFeePerGas: 199n, maxPriorityFeePerGas: 2n }, chain), 'under twice its max fee');
  t.notOk(worthReplacing({ maxFeePerGas: 200n, maxPriorityFeePerGas: 2n }, chain), 'twice its max fee and its tip: price is not the problem');
  t.ok(worthReplacing({ maxFeePerGas: 1_000n, maxPriorityFeePerGas: 1n }, chain), 'a tip under the chain\'s');
  let fees = { maxFeePerGas: 100n, maxPriorityFeePerGas: 2n };
  let replacements = 0;
  while (worthReplacing(fees, chain)) {
    fees = replacementFees(fees, chain);
    replacements++;
  }
  t.equal(replacements, 6, 'a version stuck for reasons other than price is replaced a bounded number of times');
  t.ok(fees.maxFeePerGas <= (225n * chain.maxFeePerGas) / 100n + 1n, `and ends at ${fees.maxFeePerGas} wei, at most 2.25 times the chain's price`);
});

t.test('a nonce taken by another transaction of the account ends the wait with NonceTakenError', async (t) => {
  const chain = await startTestChain(t);
  const user = chain.users[1] as Wallet;
  await chain.rpc.request('evm_setAutomine', [false]);
  const node = new LosingNode(chain.rpcUrl);
  const sending = sendUntilMined(user, node, { to: chain.users[2]!.address, data: '0x', value: 1n, gasLimit: 30_000n }, { replaceAfterMs: 60_000, pollMs: 50 });
  await until('the first version sent (and lost)', async () => node.sent.length === 1);
  // Another process with the same key sends something else with that nonce, and it is mined.
  const other = await user.signTransaction({ type: 2, chainId: 31337n, nonce: node.sent[0]!.nonce, to: chain.users[3]!.address, value: 2n, gasLimit: 30_000n, maxFeePerGas: node.sent[0]!.maxFeePerGas, maxPriorityFeePerGas: node.sent[0]!.maxPriorityFeePerGas });
  await chain.rpc.request('eth_sendRawTransaction', [other]);
  await chain.mine(1);
  await t.rejects(sending, NonceTakenError);
  t.equal(node.sent.length, 1, 'no replacement was tried for a nonce already used');
});
