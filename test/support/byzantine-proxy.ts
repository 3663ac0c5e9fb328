// The byzantine operator's voice: an HTTP proxy in front of the real operator that lies to the clients
// pointed at it (test-only; the shipped operator has no such code path). Each client can get its own proxy,
// so the operator can show bob what it hides from alice.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { parseSignedTransactionJson, recoverTransactionSignerOf, type Address, type TransactionDomain } from '../../client/protocol/index.ts';

export interface ByzantineProxy {
  readonly url: string;
  /** Serve no proof of any coin at `block` (404 unknown_block), nor that block in histories. */
  withholdBlock(block: bigint): void;
  /** Serve a proof of `slot` at `block` with one sibling byte flipped. */
  tamperProof(slot: bigint, block: bigint): void;
  /** Serve the leaf of `slot` in checkpoint `k` with one byte of its leafProof flipped, on every route that carries it. */
  tamperLeafProof(slot: bigint, k: bigint): void;
  /** Pretend coin `slot` was never deposited (404 unknown_coin everywhere). */
  hideCoin(slot: bigint): void;
  /** Refuse every transfer signed by `owner` (rejected: censored). */
  censor(owner: Address): void;
  /** Tell the truth again. */
  reset(): void;
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function flipProof(proof: string): string {
  if (proof.length <= 18) return `0x${'00'.repeat(7)}01${'ab'.repeat(32)}`; // claims a sibling at height 0
  const at = 18 + 2; // first sibling byte
  const byte = (parseInt(proof.slice(at, at + 2), 16) ^ 0xff).toString(16).padStart(2, '0');
  return proof.slice(0, at) + byte + proof.slice(at + 2);
}

export async function startByzantineProxy(t: Test, upstream: string, domain: TransactionDomain): Promise<ByzantineProxy> {
  const withheld = new Set<bigint>();
  const tampered = new Set<string>();
  const tamperedLeaves = new Set<string>();
  const hidden = new Set<bigint>();
  const censored = new Set<string>();

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const coin = url.pathname.match(/^\/v1\/coins\/(\d+)(\/.*)?$/);
      if (coin !== null && hidden.has(BigInt(coin[1]!))) {
        return send(res, 404, { error: { code: 'unknown_coin', message: `no deposited coin has slot ${coin[1]}` } });
      }
      const proof = url.pathname.match(/^\/v1\/coins\/(\d+)\/proofs\/(\d+)$/);
      if (proof !== null && withheld.has(BigInt(proof[2]!))) {
        return send(res, 404, { error: { code: 'unknown_block', message: `block ${proof[2]} is not a child block committed on L1` } });
      }
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      if (req.method === 'POST' && url.pathname === '/v1/transactions' && censored.size > 0) {
        const parsed: unknown = JSON.parse(body!.toString());
        const items = Array.isArray(parsed) ? parsed : [parsed];
        const signers = items.map((item) => {
          const { transaction, signature } = parseSignedTransactionJson(item);
          return recoverTransactionSignerOf(transaction, domain, signature);
        });
        if (signers.some((signer) => censored.has(signer))) {
          return send(res, 200, { results: items.map(() => ({ status: 'rejected', error: { code: 'coin_exiting', message: 'the coin is exiting' } })) });
        }
      }
      const upstreamResponse = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        ...(body === undefined ? {} : { body }),
      });
      let text = await upstreamResponse.text();
      type Leaf = { checkpoint: string; slot: string; leafProof: string };
      const lieLeaf = (leaf: Leaf | null) => (leaf !== null && tamperedLeaves.has(`${leaf.slot}:${leaf.checkpoint}`) ? { ...leaf, leafProof: flipProof(leaf.leafProof) } : leaf);
      if (upstreamResponse.ok && (proof !== null || url.pathname.endsWith('/history'))) {
        const json = JSON.parse(text) as Record<string, unknown>;
        const slot = BigInt(coin![1]!);
        const lie = (entry: { block: string; proof: string }) =>
          tampered.has(`${slot}:${entry.block}`) ? { ...entry, proof: flipProof(entry.proof) } : entry;
        if (proof !== null) text = JSON.stringify(lie(json as unknown as { block: string; proof: string }));
        else {
          const entries = (json['entries'] as { block: string; proof: string }[]).filter((entry) => !withheld.has(BigInt(entry.block))).map(lie);
          const leaves = 'pending' in json ? { checkpoint: lieLeaf(json['checkpoint'] as Leaf | null), pending: (json['pending'] as Leaf[]).map(lieLeaf) } : {};
          text = JSON.stringify({ ...json, ...leaves, entries });
        }
      } else if (upstreamResponse.ok && /^\/v1\/(checkpoints\/\d+\/coins\/\d+|coins\/\d+\/checkpoint)$/.test(url.pathname)) {
        text = JSON.stringify(lieLeaf(JSON.parse(text) as Leaf));
      }
      // The operator's own type: the explorer page and its assets come through the proxy too.
      res.writeHead(upstreamResponse.status, { 'content-type': upstreamResponse.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    } catch (error) {
      send(res, 502, { error: { code: 'proxy_error', message: (error as Error).message } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    withholdBlock: (block) => void withheld.add(block),
    tamperProof: (slot, block) => void tampered.add(`${slot}:${block}`),
    tamperLeafProof: (slot, k) => void tamperedLeaves.add(`${slot}:${k}`),
    hideCoin: (slot) => void hidden.add(slot),
    censor: (owner) => void censored.add(owner.toLowerCase()),
    reset: () => {
      withheld.clear();
      tampered.clear();
      tamperedLeaves.clear();
      hidden.clear();
      censored.clear();
    },
  };
}
