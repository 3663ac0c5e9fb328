// GET / and /assets/*: the explorer page, served from explorer/dist beside the unchanged API; /v1/status names
// the L1 node the page verifies against by default, without the credentials a URL may carry.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXPLORER_DIST } from '../../../operator/http/explorer.ts';
import { createTestStore } from '../db/helpers.ts';
import { DOMAIN, get, startServer } from './fixture.ts';

const store = await createTestStore(t, 'http_explorer');
const server = await startServer(t, { store, chain: { l1Rpc: 'http://user:secret@127.0.0.1:8545/', l1StartBlock: 17n } });

t.test('the page and its assets, with a content security policy', async (t) => {
  const page = await fetch(`${server.url}/`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  t.equal(page.headers.get('x-content-type-options'), 'nosniff');
  t.equal(await page.text(), await readFile(path.join(EXPLORER_DIST, 'index.html'), 'utf8'), 'index.html as built');
  for (const [asset, type] of [['explorer.js', /^text\/javascript/], ['explorer.css', /^text\/css/]] as const) {
    const response = await fetch(`${server.url}/assets/${asset}`);
    t.equal(response.status, 200, asset);
    t.match(response.headers.get('content-type'), type, `${asset} content type`);
    t.equal((await response.arrayBuffer()).byteLength, (await readFile(path.join(EXPLORER_DIST, 'assets', asset))).length, `${asset} as built`);
  }
  const missing = await get(`${server.url}/assets/nothing.js`);
  t.equal(missing.status, 404);
  t.equal(missing.json.error.code, 'not_found');
  t.equal((await get(`${server.url}/assets/..%2F..%2Fpackage.json`)).status, 404, 'no path out of the bundle');
});

t.test('/v1/status names the chain and the L1 node, without credentials', async (t) => {
  const status = await get(`${server.url}/v1/status`);
  t.same(status.json.chain, { chainId: DOMAIN.chainId.toString(), contract: DOMAIN.verifyingContract.toLowerCase(), l1Rpc: 'http://127.0.0.1:8545/', l1StartBlock: '17' });
});
