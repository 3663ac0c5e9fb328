/**
 * The explorer's figure (issue 11): the time to verify and render, in the browser, a coin with 10,000 child
 * blocks of history (goal ≤ 3 s). `npm run bench:explorer -- [--blocks 10000] [--every 100] [--runs 3]`.
 *
 * Real anvil with PlasmaCash: one deposit, then `--blocks` child blocks submitted by the operator key (each a real
 * tree of a few other coins' leaves, the coin's transfer in every `--every`-th, alternating two owners). The page is
 * the committed explorer/dist, served by operator/http/explorer.ts beside a stub of the three API routes the coin
 * view reads (status, coin, history: the history is precomputed, as serving it is bench/operator.ts's figure).
 * Debian's Chromium opens #/coin/<slot>; the figure is the page's own measure, from its first L1 read to the
 * verdict drawn (roots by eth_call from anvil, history fetched and parsed, client/protocol's verifyCoinHistory,
 * the DOM), taken after the browser painted. Each run is a fresh page load.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import Koa from 'koa';
import { Interface, JsonRpcProvider, NonceManager, Wallet, type InterfaceAbi } from 'ethers';
import { chromium } from 'playwright-core';
import { ANVIL_KEYS, startAnvil } from '../devnet/anvil.ts';
import { loadArtifact } from '../client/l1/artifacts.ts';
import { deployPlasmaCash } from '../client/l1/deploy.ts';
import { JsonRpc } from '../client/l1/rpc.ts';
import {
  coinHistoryResponseToJson,
  signTransaction,
  SparseMerkleTree,
  transactionDigestBytes,
  type Address,
  type Hex,
  type HistoryEntry,
  type Transaction,
  type TransactionDomain,
} from '../client/protocol/index.ts';
import { explorerRoutes, loadExplorerFiles } from '../operator/http/explorer.ts';
import { CHROMIUM } from '../test/support/browser.ts';

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '10000' }, every: { type: 'string', default: '100' }, runs: { type: 'string', default: '3' }, fillers: { type: 'string', default: '8' } } });
const BLOCKS = Number(values.blocks);
const EVERY = Number(values.every);
const RUNS = Number(values.runs);
const FILLERS = Number(values.fillers);
const INTERVAL = 1000n;
const log = (line: string) => process.stderr.write(`${line}\n`);

const anvil = await startAnvil({ port: 0, blockTimeSeconds: 0 });
const cleanup: (() => Promise<unknown> | void)[] = [() => anvil.stop()];
try {
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
  cleanup.push(() => provider.destroy());
  const rpc = new JsonRpc(anvil.rpcUrl);
  const operator = new Wallet(ANVIL_KEYS[0], provider);
  const [alice, bob] = [new Wallet(ANVIL_KEYS[1], provider), new Wallet(ANVIL_KEYS[2], provider)];
  const contract = (await deployPlasmaCash(new NonceManager(operator) as never, {
    operator: operator.address,
    exitPeriodSeconds: 604_800n,
    responsePeriodSeconds: 86_400n,
    exitBondWei: 10n ** 17n,
    challengeBondWei: 10n ** 17n,
  })).toLowerCase() as Address;
  const iface = new Interface(loadArtifact('PlasmaCash').abi as InterfaceAbi);
  const domain: TransactionDomain = { chainId: 31337n, verifyingContract: contract };

  // One ETH coin for alice.
  const denomination = 10n ** 18n;
  const receipt = await (await alice.sendTransaction({ to: contract, data: iface.encodeFunctionData('deposit', []), value: denomination })).wait();
  const depositLog = receipt!.logs.map((l) => iface.parseLog(l)).find((parsed) => parsed?.name === 'Deposit')!;
  const slot = BigInt(depositLog.args.getValue('slot'));
  const depositBlock = BigInt(depositLog.args.getValue('blockNumber'));
  log(`deposit: coin ${slot} in deposit block ${depositBlock}`);

  // The child blocks: trees, the coin's entries, and the roots to commit.
  let started = performance.now();
  const owners = [alice, bob];
  const entries: HistoryEntry[] = [];
  const roots: Hex[] = [];
  let prevBlock = depositBlock;
  let holder = 0;
  let seed = 0x9e3779b97f4a7c15n;
  const randomSlot = () => {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
    return seed;
  };
  for (let k = 1; k <= BLOCKS; k++) {
    const block = BigInt(k) * INTERVAL;
    const leaves = Array.from({ length: FILLERS }, () => ({ slot: randomSlot(), leaf: transactionDigestBytes({ slot: 1n, prevBlock: block, denomination: 1n, newOwner: alice.address.toLowerCase() as Address }, domain) }));
    let transfer: { tx: Transaction; signature: Hex } | undefined;
    if (k % EVERY === 0) {
      const tx: Transaction = { slot, prevBlock, denomination, newOwner: owners[1 - holder]!.address.toLowerCase() as Address };
      transfer = { tx, signature: await signTransaction(tx, domain, owners[holder]!.privateKey as Hex) };
      leaves.push({ slot, leaf: transactionDigestBytes(tx, domain) });
    }
    const unique = [...new Map(leaves.filter((l) => transfer !== undefined || l.slot !== slot).map((l) => [l.slot, l])).values()];
    const tree = SparseMerkleTree.build(unique);
    roots.push(tree.root);
    const proof = tree.proof(slot);
    if (transfer === undefined) entries.push({ block, kind: 'exclusion', proof });
    else {
      entries.push({ block, kind: 'inclusion', transaction: transfer.tx, signature: transfer.signature, proof });
      prevBlock = block;
      holder = 1 - holder;
    }
  }
  log(`built ${BLOCKS} trees in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // Commit them: signed with explicit nonces, sent in JSON-RPC batches with automine off, then mined.
  started = performance.now();
  await rpc.request('evm_setAutomine', [false]);
  const feeData = await provider.getFeeData();
  let nonce = await provider.getTransactionCount(operator.address);
  const raw: string[] = [];
  for (let k = 1; k <= BLOCKS; k++) {
    raw.push(await operator.signTransaction({
      to: contract,
      data: iface.encodeFunctionData('submitBlock', [roots[k - 1]!, BigInt(k) * INTERVAL]),
      nonce: nonce++,
      gasLimit: 120_000n,
      maxFeePerGas: feeData.maxFeePerGas! * 4n,
      maxPriorityFeePerGas: feeData.maxPriorityFeePerGas ?? 1n,
      chainId: 31337n,
      type: 2,
    }));
  }
  for (let i = 0; i < raw.length; i += 500) {
    const response = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(raw.slice(i, i + 500).map((tx, j) => ({ jsonrpc: '2.0', id: i + j, method: 'eth_sendRawTransaction', params: [tx] }))) });
    const answers = (await response.json()) as { error?: { message: string } }[];
    const failed = answers.find((a) => a.error !== undefined);
    if (failed) throw new Error(`eth_sendRawTransaction: ${failed.error!.message}`);
  }
  const nextChild = async () => BigInt(iface.decodeFunctionResult('nextChildBlock', await rpc.request<string>('eth_call', [{ to: contract, data: iface.encodeFunctionData('nextChildBlock', []) }, 'latest']))[0]);
  while ((await nextChild()) <= BigInt(BLOCKS) * INTERVAL) await rpc.request('anvil_mine', ['0x10']);
  await rpc.request('evm_setAutomine', [true]);
  log(`committed ${BLOCKS} child blocks on anvil in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  // The page, beside a stub of the routes the coin view reads.
  const last = BigInt(BLOCKS) * INTERVAL;
  const historyJson = JSON.stringify(coinHistoryResponseToJson({ slot, deposit: { block: depositBlock, owner: alice.address.toLowerCase() as Address, denomination }, lastCommittedBlock: last, entries }));
  const finalOwner = owners[holder]!.address.toLowerCase();
  const app = new Koa();
  app.use(async (ctx, next) => {
    if (ctx.path === '/v1/status') ctx.body = { healthy: true, lastCommittedBlock: last.toString(), pendingCount: 0, postgres: { healthy: true }, l1: null, chain: { chainId: '31337', contract, l1Rpc: anvil.rpcUrl, l1StartBlock: '0' } };
    else if (ctx.path === `/v1/coins/${slot}`) ctx.body = { slot: slot.toString(), owner: finalOwner, denomination: denomination.toString(), kind: 'eth', token: `0x${'0'.repeat(40)}`, tokenId: '0', depositor: alice.address.toLowerCase(), depositBlock: depositBlock.toString(), lastBlock: prevBlock.toString(), state: 'deposited' };
    else if (ctx.path === `/v1/coins/${slot}/history`) {
      ctx.type = 'application/json';
      ctx.body = historyJson;
    } else await next();
  });
  app.use(explorerRoutes(loadExplorerFiles()).routes());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  log(`history JSON: ${(historyJson.length / 1024 / 1024).toFixed(2)} MiB, ${entries.length} entries (${entries.filter((e) => e.kind === 'inclusion').length} transfers)`);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  cleanup.push(() => browser.close());
  type Figure = { ok: boolean; totalMs: number; renderMs: number; l1Ms: number; historyMs: number; verifyMs: number; entries: number; loadMs: number };
  const figures: Figure[] = [];
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const navigated = performance.now();
    await page.goto(`${url}/#/coin/${slot}`);
    await page.locator('#verification:not([data-verification="pending"])').waitFor({ timeout: 120_000 });
    await page.waitForFunction('window.__explorerVerification !== undefined');
    const loadMs = performance.now() - navigated;
    const figure = (await page.evaluate('window.__explorerVerification')) as Omit<Figure, 'loadMs'>;
    if (!figure.ok) throw new Error(`the page did not verify: ${await page.locator('#verification').innerText()}`);
    figures.push({ ...figure, loadMs });
    log(`run ${run + 1}: verified and rendered in ${figure.totalMs.toFixed(0)} ms (L1 ${figure.l1Ms.toFixed(0)}, history ${figure.historyMs.toFixed(0)}, verify ${figure.verifyMs.toFixed(0)}, render ${figure.renderMs.toFixed(0)}); navigation to verdict ${loadMs.toFixed(0)} ms`);
    await page.close();
  }
  const median = (pick: (f: Figure) => number) => [...figures].map(pick).sort((a, b) => a - b)[Math.floor(figures.length / 2)]!;
  const total = median((f) => f.totalMs);
  console.log(
    `explorer: coin with ${BLOCKS} blocks of history (${BLOCKS / EVERY} transfers), verified and rendered in the browser: median ${total.toFixed(0)} ms of ${RUNS} (L1 roots ${median((f) => f.l1Ms).toFixed(0)}, history ${median((f) => f.historyMs).toFixed(0)}, verify ${median((f) => f.verifyMs).toFixed(0)}, render ${median((f) => f.renderMs).toFixed(0)}); navigation to verdict ${median((f) => f.loadMs).toFixed(0)} ms; goal ≤ 3000 ms: ${total <= 3000 ? 'PASS' : 'MISS'}`,
  );
} finally {
  for (const step of cleanup.reverse()) await step();
}
