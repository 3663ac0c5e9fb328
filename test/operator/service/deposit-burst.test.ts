// Deposits stay open (PROTOCOL.md §2, §6): a burst of 2,500 deposits against the real contract and the real
// operator, with no transfer at all, all succeed. The contract takes at most 999 deposits between two child
// blocks; the operator's block interval and deposit wait are far longer than the burst, so only the half-mark
// rule (an empty block as soon as 500 numbers are used, the follower waking the block loop) keeps it open.
import t from 'tap';
import { EMPTY_ROOT, parseCoinHistoryResponseJson, verifyCoinHistory, type Address, type Hash } from '../../../client/protocol/index.ts';
import { childBlockRoot, nextChildBlock, plasmaCashInterface } from '../../../client/l1/contract.ts';
import { operatorConfig } from '../../../operator/config.ts';
import { createLog } from '../../../operator/log.ts';
import { startOperator } from '../../../operator/service.ts';
import { createTestDatabase } from '../db/helpers.ts';
import { mineInBackground, startTestChain } from '../../support/anvil.ts';

const DEPOSITS = 2500;
/** Deposits sent and not yet answered by the node at any time. */
const WINDOW = 16;
/**
 * Deposits per second, at most (BURST_RATE overrides): 2,500 in 10 s, fifty times what Ethereum mainnet could
 * include (a 30M-gas block every 12 s holds about 400). The operator must close each interval before the other
 * 499 numbers are used, i.e. within 2 s of the half mark here: the follower's poll, the pass and the commit.
 */
const RATE = Number(process.env['BURST_RATE'] ?? 250);

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Runs `work` over `items` with at most `width` at once; resolves with the results in order. */
async function pooled<I, R>(items: readonly I[], width: number, work: (item: I, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  }));
  return results;
}

t.test('a burst of 2,500 deposits with no transfer: none reverts', async (t) => {
  const chain = await startTestChain(t);
  const databaseUrl = await createTestDatabase(t, 'deposit_burst');
  const errors: string[] = [];
  const operator = await startOperator(
    operatorConfig({
      'l1-rpc': chain.rpcUrl, contract: chain.address, 'operator-key': chain.operatorKey, 'database-url': databaseUrl,
      port: 0, confirmations: 0, 'block-interval-ms': 600_000, 'deposit-wait-ms': 3_600_000, 'l1-poll-interval-ms': 50,
    }),
    { log: createLog({ level: 'error', write: (line) => void errors.push(line) }) },
  );
  t.teardown(() => operator.stop());

  // Every deposit signed up front with its own nonce, then sent without waiting for receipts.
  const depositor = chain.users[0]!;
  const iface = plasmaCashInterface();
  const data = iface.encodeFunctionData('deposit', []);
  const first = await chain.provider.getTransactionCount(depositor.address, 'pending');
  const signed = await Promise.all(Array.from({ length: DEPOSITS }, (_, k) => depositor.signTransaction({
    type: 2, chainId: 31337n, nonce: first + k, to: chain.address, data, value: 1n,
    gasLimit: 300_000n, maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n,
  })));

  // Interval mining (an L1 block every 50 ms, each with whatever the pool holds), as on a real chain (with
  // automine, deposits that reached anvil out of nonce order were left unmined at the end of the burst).
  await mineInBackground(t, chain, 50);
  const started = Date.now();
  const hashes = await pooled(signed, WINDOW, async (raw, k) => {
    const at = started + (k * 1000) / RATE;
    if (Date.now() < at) await new Promise((resolve) => setTimeout(resolve, at - Date.now()));
    return chain.rpc.request<Hash>('eth_sendRawTransaction', [raw]);
  });
  const sent = Date.now();
  type Receipt = { status: string; logs: { topics: string[]; data: string }[] };
  const receiptOf = (hash: Hash) => until(`receipt of ${hash}`, () => chain.rpc.request<Receipt | null>('eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined));
  await receiptOf(hashes[hashes.length - 1]!);
  const mined = Date.now();
  const receipts = await pooled(hashes, 32, receiptOf);
  const reverted = receipts.filter((receipt) => receipt.status !== '0x1').length;
  t.equal(reverted, 0, `all ${DEPOSITS} deposits succeeded (${reverted} reverted)`);

  const deposits = receipts.flatMap((receipt) => receipt.logs.map((log) => iface.parseLog(log)).filter((log) => log?.name === 'Deposit'));
  t.equal(deposits.length, DEPOSITS, 'one Deposit event each');
  const numbers = deposits.map((log) => log!.args.getValue('blockNumber') as bigint);
  const fullest = numbers.reduce((most, block) => (block % 1000n > most ? block % 1000n : most), 0n);
  t.ok(fullest < 999n, `the fullest interval used ${fullest} of its 999 deposit numbers`);

  // Every child block the burst caused is empty, committed, and stored like any other.
  const next = await nextChildBlock(chain.rpc, chain.address);
  await until('every child block confirmed in the operator database', async () => {
    const [row] = await operator.store.sql<{ n: number }[]>`select count(*)::int as n from blocks where status = 'confirmed'`;
    return row!.n === Number(next / 1000n) - 1;
  });
  const blocks = await operator.store.sql<{ number: string; tx_count: number; root: Buffer }[]>`select number, tx_count, root from blocks order by number`;
  t.ok(blocks.length >= 4, `${blocks.length} child blocks for ${DEPOSITS} deposits`);
  t.ok(blocks.every((block) => block.tx_count === 0 && `0x${block.root.toString('hex')}` === EMPTY_ROOT), 'all of them empty (root default[64])');
  t.comment(
    `${DEPOSITS} deposits sent in ${sent - started} ms, all mined ${mined - started} ms after the first; ` +
    `${blocks.length} empty child blocks (${blocks.map((block) => block.number).join(', ')}); fullest interval ${fullest} deposits`,
  );

  t.same(errors, [], 'the operator logged no error');

  // The operator serves each coin's history across the empty blocks (an exclusion entry for each), and it
  // verifies against the roots on L1 alone.
  const roots = new Map<bigint, Hash>();
  for (const block of blocks) roots.set(BigInt(block.number), await childBlockRoot(chain.rpc, chain.address, BigInt(block.number)));
  for (const index of [0, DEPOSITS / 2, DEPOSITS - 1]) {
    const slot = deposits[index]!.args.getValue('slot') as bigint;
    const history = parseCoinHistoryResponseJson(await (await fetch(`${operator.url}/v1/coins/${slot}/history`)).json());
    const later = blocks.map((block) => BigInt(block.number)).filter((block) => block > numbers[index]!);
    t.same(history.entries.map((entry) => [entry.block, entry.kind]), later.map((block) => [block, 'exclusion']), `coin ${index}: an exclusion entry per later block`);
    const state = verifyCoinHistory({
      deposit: { slot, ...history.deposit },
      entries: history.entries,
      roots: (block) => roots.get(block),
      committedChildBlocks: { to: next - 1000n },
      domain: chain.domain,
      expectedOwner: depositor.address.toLowerCase() as Address,
    });
    t.ok(state.coveredThrough >= next - 1000n && state.owner === depositor.address.toLowerCase(), `coin ${index}: its history verifies through the last block`);
  }
});
