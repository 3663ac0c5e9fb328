// Shared fixtures for the HTTP tests: coins inserted straight into Postgres (the L1 follower is built
// elsewhere), signed transfer JSON, and the app on an ephemeral port.
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import {
  signedTransactionToJson,
  signDigest,
  transactionDigestBytes,
  type Address,
  type Hex,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { slotToDb } from '../../../operator/db/codec.ts';
import type { Store } from '../../../operator/db/store.ts';
import { createApp, type AppOptions, type OperatorApp } from '../../../operator/http/app.ts';
import { addressOf, DOMAIN, privateKey } from '../../client/protocol/fixtures/helpers.ts';

export { DOMAIN };
export const KEYS = Array.from({ length: 4 }, (_, i) => privateKey(i));
export const OWNERS = KEYS.map(addressOf);
export const DEPOSIT_BLOCK = 1n;
export const DENOMINATION = 10n ** 18n;

export interface CoinFixture {
  readonly slot: bigint;
  readonly owner: Address;
  readonly denomination?: bigint;
  readonly depositBlock?: bigint;
  readonly lastBlock?: bigint;
  readonly state?: 'deposited' | 'exiting' | 'exited' | 'reorged_out';
}

/** Inserts coins in one statement (the depositor is the owner, the asset is ETH). */
export async function insertCoins(store: Store, coins: readonly CoinFixture[]): Promise<void> {
  for (let start = 0; start < coins.length; start += 10_000) {
    const chunk = coins.slice(start, start + 10_000);
    await store.sql`
      insert into coins (slot, kind, token, denomination, depositor, deposit_block, owner, last_block, state)
      select r.slot, 'eth', ${Buffer.alloc(20)}, r.denomination, decode(r.owner, 'hex'), r.deposit_block, decode(r.owner, 'hex'), r.last_block, r.state
      from unnest(
        ${chunk.map((coin) => slotToDb(coin.slot))}::int8[],
        ${chunk.map((coin) => (coin.denomination ?? DENOMINATION).toString())}::numeric[],
        ${chunk.map((coin) => coin.owner.slice(2))}::text[],
        ${chunk.map((coin) => (coin.depositBlock ?? DEPOSIT_BLOCK).toString())}::int8[],
        ${chunk.map((coin) => (coin.lastBlock ?? coin.depositBlock ?? DEPOSIT_BLOCK).toString())}::int8[],
        ${chunk.map((coin) => coin.state ?? 'deposited')}::text[]
      ) as r (slot, denomination, owner, deposit_block, last_block, state)`;
  }
}

export function signed(tx: Transaction, key: Hex): { transaction: Transaction; signature: Hex } {
  return { transaction: tx, signature: signDigest(transactionDigestBytes(tx, DOMAIN), key) };
}

/** The §9 JSON of a transfer signed with `key`. */
export function transferJson(tx: Transaction, key: Hex) {
  const { signature } = signed(tx, key);
  return signedTransactionToJson(tx, signature);
}

export interface Server extends OperatorApp {
  readonly url: string;
}

export async function startServer(t: Test, options: Omit<AppOptions, 'domain'> & { domain?: AppOptions['domain'] }): Promise<Server> {
  const operator = createApp({ domain: DOMAIN, log: () => {}, ...options });
  const server = operator.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { ...operator, url: `http://127.0.0.1:${port}` };
}

export async function post(url: string, body: unknown, raw = false): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

// `any` in test helpers only: responses are asserted field by field with tap's t.match/t.same.
export async function get(url: string): Promise<{ status: number; json: any }> {
  const response = await fetch(url);
  return { status: response.status, json: await response.json() };
}
