/**
 * `npm run screenshots`: regenerates docs/screenshots/*.png, one per view of the explorer, from a real stack
 * (anvil + PlasmaCash + the operator on the Postgres server at 127.0.0.1:5432, as the tests run it) with a
 * little activity: deposits, transfers through the wallet, an exit, and the coin view through the byzantine
 * test proxy altering one proof. Needs Debian's Chromium (apt-get install -y chromium).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { Wallet } from 'ethers';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM } from '../test/support/browser.ts';
import { startByzantineProxy } from '../test/support/byzantine-proxy.ts';
import { depositAndWait, lower, startSystem } from '../test/support/system.ts';

const OUT = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'docs', 'screenshots');
const teardown: (() => unknown)[] = [];
// The test support's harnesses only need somewhere to register their teardown.
const t = { teardown: (step: () => unknown) => void teardown.push(step) } as unknown as Test;
const log = (line: string) => process.stderr.write(`${line}\n`);

try {
  await mkdir(OUT, { recursive: true });
  const system = await startSystem(t, 'screenshots');
  const [alice, bob, carol] = [await system.wallet(0), await system.wallet(1), await system.wallet(2)];
  const address = (i: number) => lower((system.chain.users[i] as Wallet).address);
  const { slot } = await depositAndWait(alice, 10n ** 18n);
  const second = await depositAndWait(bob, 5n * 10n ** 17n);
  await depositAndWait(carol, 2n * 10n ** 17n);
  log(`coins ${slot}, ${second.slot}`);
  await bob.receive(await alice.send(slot, address(1)));
  await carol.receive(await bob.send(slot, address(2)));
  await carol.send(slot, address(0));
  await bob.exit(second.slot);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  teardown.push(() => browser.close());
  const shoot = async (name: string, url: string, ready: (page: Page) => Promise<unknown>, viewport = { width: 1280, height: 900 }) => {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    await page.goto(url);
    await ready(page);
    await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
    await page.close();
    log(`docs/screenshots/${name}.png`);
  };
  const verdict = (page: Page) => page.locator('#verification:not([data-verification="pending"])').waitFor({ timeout: 60_000 });
  // The charts need a few scrapes: transfers keep coming meanwhile, so the lines move.
  const chain = async (page: Page) => {
    for (let i = 0; i < 3; i++) {
      const owner = [alice, bob, carol][i % 3]!;
      const coin = await depositAndWait(owner, 10n ** 16n);
      await owner.send(coin.slot, address((i + 1) % 3));
    }
    await page.getByText('Read from L1 at').waitFor();
    await page.waitForTimeout(2000);
  };
  const lastBlock = (await (await fetch(`${system.operator.url}/v1/coins/${slot}`)).json()) as { lastBlock: string };

  await shoot('chain', `${system.operator.url}/`, chain);
  await shoot('block', `${system.operator.url}/#/block/${lastBlock.lastBlock}`, (page) => page.locator('table').first().waitFor());
  await shoot('coin-verified', `${system.operator.url}/#/coin/${slot}`, verdict);
  await shoot('owner', `${system.operator.url}/#/owner/${address(1)}`, (page) => page.locator('table').first().waitFor());
  const proxy = await startByzantineProxy(t, system.operator.url, system.chain.domain);
  proxy.tamperProof(slot, BigInt(lastBlock.lastBlock));
  await shoot('coin-failed', `${proxy.url}/#/coin/${slot}`, verdict);
  const phone = { width: 390, height: 844 };
  await shoot('phone-chain', `${system.operator.url}/`, async (page) => {
    await page.getByText('Read from L1 at').waitFor();
    await page.locator('.figures').getByText('transfers/s').waitFor();
    await page.waitForTimeout(2500); // a line needs two points after the first
  }, phone);
  await shoot('phone-coin', `${system.operator.url}/#/coin/${slot}`, verdict, phone);
} finally {
  for (const step of teardown.reverse()) await step();
}
