// The explorer page in a real browser (Debian's Chromium driven by playwright-core) against the real stack:
// anvil with PlasmaCash, the operator on real Postgres serving the page. It loads without a console error, shows
// a transfer made through the API without a reload, says a coin's history is verified against L1, draws its
// charts, and through a byzantine proxy that alters one proof names the failing block and never says verified.
// Checkpoints (the operator submits one after every child block, as fast as RESPONSE_PERIOD allows): listed on
// the chain view, the coin's leaf verified in the browser against the root on L1, and shown failed when the proxy
// alters its leaf proof.
import t from 'tap';
import { Wallet } from 'ethers';
import { signedTransactionToJson, signTransaction, type Hex, type Transaction } from '../../client/protocol/index.ts';
import { launchChromium, watchedPage } from '../support/browser.ts';
import { startByzantineProxy } from '../support/byzantine-proxy.ts';
import { depositAndWait, includedAt, lower, startSystem, until } from '../support/system.ts';

t.setTimeout(240_000);
const system = await startSystem(t, 'explorer_browser', undefined, { 'checkpoint-every-blocks': 1 });
const browser = await launchChromium(t);
const alice = await system.wallet(0);
const bob = lower((system.chain.users[1] as Wallet).address);
const { slot, deposit } = await depositAndWait(alice, 10n ** 17n);
const { page, errors } = await watchedPage(browser);

/** Marks the page if it ever shows "verified", however briefly (a MutationObserver from the first byte on). */
const NEVER_VERIFIED = `
  window.__everVerified = false;
  new MutationObserver(() => {
    if (document.querySelector('[data-verification="verified"]') || /Verified against L1/.test(document.body?.innerText ?? '')) window.__everVerified = true;
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
`;

interface Canvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

t.test('the chain view loads with no console error and its four charts draw', async (t) => {
  await page.goto(`${system.operator.url}/`);
  await page.getByRole('heading', { name: 'The chain' }).waitFor();
  await page.getByText('Read from L1 at').waitFor({ timeout: 15_000 });
  // Two scrapes make the first point, a third the first line: wait for the figures' text, then a little more.
  await page.locator('.figures').getByText('transfers/s').waitFor({ timeout: 15_000 });
  await page.waitForTimeout(2500);
  const drawn = await page.$$eval('.chart canvas', (canvases) =>
    // The callback runs in the page; typed by hand, as this project's TypeScript has no DOM lib.
    (canvases as unknown as Canvas[]).map((canvas) => {
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      let line = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 0) painted++;
        // The "last committed block" series' stroke, #0969da.
        if (Math.abs(data[i]! - 9) < 30 && Math.abs(data[i + 1]! - 105) < 30 && Math.abs(data[i + 2]! - 218) < 30 && data[i + 3]! > 128) line++;
      }
      return { painted, line };
    }),
  );
  t.equal(drawn.length, 4, 'four charts');
  for (const [i, chart] of drawn.entries()) t.ok(chart.painted > 0, `chart ${i + 1} has painted pixels (${chart.painted})`);
  t.ok(drawn[3]!.line > 20, `the last-committed-block chart draws its line (${drawn[3]!.line} pixels of its colour)`);
  t.same(errors, [], 'no console error or uncaught exception');
});

let transferBlock = 0n;
t.test('a transfer made through the API appears on the open page without a reload', async (t) => {
  await page.evaluate(() => ((globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true));
  const tx: Transaction = { slot, prevBlock: deposit, denomination: 10n ** 17n, newOwner: bob };
  const signature = await signTransaction(tx, system.chain.domain, (system.chain.users[0] as Wallet).privateKey as Hex);
  const response = await fetch(`${system.operator.url}/v1/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signedTransactionToJson(tx, signature)) });
  t.equal(response.status, 200, 'the operator accepted the transfer');
  transferBlock = await includedAt(system, slot, bob, deposit);
  const row = page.locator('tr', { has: page.locator(`a[href="#/block/${transferBlock}"]`) });
  await row.waitFor({ timeout: 15_000 });
  t.equal(await row.locator('[data-tx-count]').getAttribute('data-tx-count'), '1', `block ${transferBlock} is listed with its one transfer`);
  await page.locator(`a[href="#/block/${transferBlock}"]`).first().click();
  await page.locator(`main a[href="#/coin/${slot}"]`).waitFor();
  t.ok(await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument === true), 'the same document: no reload');
  t.same(errors, [], 'no console error');
});

t.test("the coin's whole history is verified in the browser against L1", async (t) => {
  await page.locator(`main a[href="#/coin/${slot}"]`).first().click();
  const banner = page.locator('#verification');
  await page.locator('#verification:not([data-verification="pending"])').waitFor({ timeout: 30_000 });
  t.equal(await banner.getAttribute('data-verification'), 'verified', await banner.innerText());
  const text = await banner.innerText();
  t.match(text, `Verified against L1 at ${system.chain.rpcUrl}`, 'names the L1 node it checked against');
  t.match(text, bob, 'and the owner the history proves: bob');
  t.equal(await page.inputValue('#rpc'), system.chain.rpcUrl, "the default node is the operator's, shown");
  t.ok(await page.getByText('✔ verified').count() >= 2, 'entries marked verified');
  t.same(errors, [], 'no console error');
});

t.test('through a byzantine proxy that alters one proof, the page names the failing block and never says verified', async (t) => {
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  proxy.tamperProof(slot, transferBlock);
  const liar = await watchedPage(browser);
  await liar.page.addInitScript(NEVER_VERIFIED);
  await liar.page.goto(`${proxy.url}/#/coin/${slot}`);
  const banner = liar.page.locator('#verification');
  await liar.page.locator('#verification:not([data-verification="pending"])').waitFor({ timeout: 30_000 });
  t.equal(await banner.getAttribute('data-verification'), 'failed');
  t.equal(await banner.getAttribute('data-failed-block'), transferBlock.toString(), 'the altered block is named');
  const text = await banner.innerText();
  t.match(text, `block ${transferBlock} failed (invalid_proof)`);
  t.match(text, 'does not match the root committed on L1', 'and why');
  t.equal(await liar.page.locator(`[data-failed-entry="${transferBlock}"]`).count(), 1, 'the entry is marked in the history');
  // The coin keeps being watched: let a few more polls pass, then check it never said verified at any point.
  await liar.page.waitForTimeout(3000);
  t.equal(await liar.page.evaluate(() => (globalThis as unknown as { __everVerified: boolean }).__everVerified), false, 'never "verified", not even for a moment');
  t.notMatch(await liar.page.locator('body').innerText(), /Verified against L1/);
  t.same(liar.errors, [], 'no console error');
  await liar.page.close(); // its polls would keep the proxy's connections busy past the proxy's teardown
});

/** The checkpoint that covers the coin's transfer to bob (its leaf names that transfer), once L1 has it. */
let covering = -1n;
t.test("checkpoints: listed on the chain view, and the coin's leaf verified in the browser against L1", async (t) => {
  covering = await until(
    `a checkpoint at or after block ${transferBlock}`,
    async () => {
      const response = await fetch(`${system.operator.url}/v1/checkpoints/latest`);
      const body = (await response.json()) as { id?: string; block?: string };
      return response.ok && BigInt(body.block!) >= transferBlock ? BigInt(body.id!) : undefined;
    },
    90_000,
    500,
  );
  await page.goto(`${system.operator.url}/#/`);
  await page.locator(`[data-checkpoint-id="${covering}"]`).waitFor({ timeout: 15_000 });
  t.pass(`checkpoint ${covering} is listed on the chain view`);
  await page.goto(`${system.operator.url}/#/coin/${slot}`);
  const check = page.locator(`[data-leaf-check][data-checkpoint="${covering}"]`);
  await check.waitFor({ timeout: 30_000 });
  t.equal(await check.getAttribute('data-leaf-check'), 'verified', await check.innerText());
  const row = page.locator('tr', { has: check });
  t.match(await row.innerText(), `the transfer in block ${transferBlock} to`, 'the leaf names the transfer to bob');
  t.same(errors, [], 'no console error');
});

t.test('through a byzantine proxy that alters the leaf proof, the leaf is shown failed and never verified', async (t) => {
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  proxy.tamperLeafProof(slot, covering);
  const liar = await watchedPage(browser);
  await liar.page.addInitScript(`
    window.__leafEverVerified = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-leaf-check="verified"][data-checkpoint="${covering}"]')) window.__leafEverVerified = true;
    }).observe(document, { subtree: true, childList: true, attributes: true });
  `);
  await liar.page.goto(`${proxy.url}/#/coin/${slot}`);
  const check = liar.page.locator(`[data-leaf-check][data-checkpoint="${covering}"]`);
  await check.waitFor({ timeout: 30_000 });
  t.equal(await check.getAttribute('data-leaf-check'), 'failed');
  t.match(await check.innerText(), /invalid_leaf_proof: .*the leaf proof does not match checkpoint \d+'s root on L1/, 'and why');
  await liar.page.waitForTimeout(3500); // a few more polls
  t.equal(await liar.page.evaluate(() => (globalThis as unknown as { __leafEverVerified: boolean }).__leafEverVerified), false, 'never "verified", not even for a moment');
  t.same(liar.errors, [], 'no console error');
  await liar.page.close();
});
