// The binary package over HTTP (docs/PROTOCOL.md §9.5) from the operator's real app on real Postgres, with a
// real checkpoint built by the operator's CheckpointBuilder: for `?since=checkpoint` (with a base, without one)
// and the plain history (whole, and cut short with `next`), the octet-stream answer decodes to exactly what the
// client's JSON parser reads from the JSON answer, and is smaller. The client's OperatorApi asks for the binary
// form and reads JSON from a server that answers JSON (a proxy that drops Accept); a truncated binary body is a
// clear bad_response.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import {
  decodePackage,
  parseCheckpointHistoryResponseJson,
  parseCoinHistoryResponseJson,
  type Hash,
} from '../../../client/protocol/index.ts';
import { OperatorApi, OperatorApiError } from '../../../client/operator-api.ts';
import { CheckpointBuilder } from '../../../operator/checkpoint/builder.ts';
import { startByzantineProxy } from '../../support/byzantine-proxy.ts';
import { createTestStore } from '../db/helpers.ts';
import { TestChain } from '../checkpoint/fixture.ts';
import { DOMAIN, startServer } from './fixture.ts';

const OCTET = 'application/octet-stream';

async function both(url: string): Promise<{ json: unknown; jsonBytes: number; binary: Uint8Array; type: string | null; vary: string | null }> {
  const [jsonResponse, binaryResponse] = await Promise.all([fetch(url), fetch(url, { headers: { accept: OCTET } })]);
  const text = await jsonResponse.text();
  return {
    json: JSON.parse(text),
    jsonBytes: Buffer.byteLength(text),
    binary: new Uint8Array(await binaryResponse.arrayBuffer()),
    type: binaryResponse.headers.get('content-type'),
    vary: binaryResponse.headers.get('vary'),
  };
}

t.test('the binary answer is the JSON answer, in both forms, from the real operator', async (t) => {
  const store = await createTestStore(t, 'http_package_binary');
  const chain = new TestChain(store);
  const builder = new CheckpointBuilder({ store, domain: DOMAIN });
  const [moved] = await chain.deposit(6);
  await chain.block([moved!]);
  const n0 = await chain.block([]);
  const c0 = await builder.build(n0);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const submitted = (k: bigint, childBlock: bigint, root: Hash, periodEnd: bigint) =>
    chain.apply([{ name: 'CheckpointSubmitted', l1Block: 1n, logIndex: 0, transactionHash: `0x${'22'.repeat(32)}` as Hash, k, childBlock, root, periodEnd }]);
  await submitted(0n, n0, c0.root, now - 10n); // final: the moved coin's base
  const [late] = await chain.deposit(1);
  for (let i = 0; i < 3; i++) await chain.block([moved!]);
  const n1 = await chain.block([]);
  const c1 = await builder.build(n1);
  await submitted(1n, n1, c1.root, now + 3600n); // pending
  await chain.block([moved!]);
  const { url } = await startServer(t, { store });

  const since = await both(`${url}/v1/coins/${moved}/history?since=checkpoint`);
  t.equal(since.type, OCTET, 'Accept: application/octet-stream is answered in binary');
  t.match(since.vary, /accept/i, 'Vary: Accept');
  const parsed = parseCheckpointHistoryResponseJson(since.json);
  t.ok(parsed.checkpoint !== null && parsed.pending.length === 1 && parsed.entries.length === 5, 'a package with a base, a pending leaf and 5 entries');
  t.same(decodePackage(since.binary), parsed, '?since=checkpoint with a base: decoded binary == parsed JSON');
  t.ok(since.binary.length < since.jsonBytes * 0.6, `smaller: ${since.binary.length} bytes binary, ${since.jsonBytes} JSON`);

  const fresh = await both(`${url}/v1/coins/${late}/history?since=checkpoint`);
  t.equal(parseCheckpointHistoryResponseJson(fresh.json).checkpoint, null);
  t.same(decodePackage(fresh.binary), parseCheckpointHistoryResponseJson(fresh.json), '?since=checkpoint without a base');

  const plain = await both(`${url}/v1/coins/${moved}/history`);
  t.notOk('pending' in decodePackage(plain.binary), 'the plain history decodes to the plain form');
  t.same(decodePackage(plain.binary), parseCoinHistoryResponseJson(plain.json), 'the plain history');
  const cut = await both(`${url}/v1/coins/${moved}/history?limit=2`);
  const cutParsed = parseCoinHistoryResponseJson(cut.json);
  t.ok(cutParsed.next !== undefined && cutParsed.entries.length === 2, 'cut short with next');
  t.same(decodePackage(cut.binary), cutParsed, 'a history cut short: next carried');

  for (const accept of [undefined, '*/*', 'application/json', `application/json, ${OCTET};q=0.5`]) {
    const response = await fetch(`${url}/v1/coins/${moved}/history`, accept === undefined ? {} : { headers: { accept } });
    t.match(response.headers.get('content-type'), /^application\/json/, `Accept ${accept ?? '(none)'}: JSON`);
    await response.arrayBuffer();
  }
  const missing = await fetch(`${url}/v1/coins/999/history?since=checkpoint`, { headers: { accept: OCTET } });
  t.equal(missing.status, 404);
  t.match(await missing.json(), { error: { code: 'unknown_coin' } }, 'errors stay JSON');

  // The client: binary from the operator, JSON through a proxy that drops Accept, the same values.
  const direct = new OperatorApi(url);
  const proxy = await startByzantineProxy(t, url, DOMAIN);
  const viaJson = new OperatorApi(proxy.url);
  const proxied = await fetch(`${proxy.url}/v1/coins/${moved}/history`, { headers: { accept: OCTET } });
  t.match(proxied.headers.get('content-type'), /^application\/json/, 'the proxy answers JSON even to Accept: octet-stream');
  await proxied.arrayBuffer();
  const fromBinary = await direct.historySinceCheckpoint(moved!);
  t.same(fromBinary, parsed, 'OperatorApi.historySinceCheckpoint reads the binary answer');
  t.same(await viaJson.historySinceCheckpoint(moved!), parsed, 'and falls back to JSON when the server answers JSON');
  t.same(await direct.history(moved!), await viaJson.history(moved!), 'OperatorApi.history: the same either way');
  t.same((await direct.history(moved!)).entries, parseCoinHistoryResponseJson(plain.json).entries);
});

t.test('a truncated binary body from the server is a clear bad_response', async (t) => {
  const cutBody = new Uint8Array([0x50, 0x43, 0x50, 0x4b, 1, 0, 0, 0, 0, 0, 0]);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': OCTET });
    res.end(cutBody);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const api = new OperatorApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const error = await api.history(5n).then(() => undefined, (caught: unknown) => caught);
  t.ok(error instanceof OperatorApiError && error.serverCode === 'bad_response', String(error));
  t.match((error as Error).message, /binary package that cannot be read: binary package at byte 8: slot needs 8 more bytes, but the body ends after 3/);
});
