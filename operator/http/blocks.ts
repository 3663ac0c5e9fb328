/** GET /v1/blocks/latest, /v1/blocks/:number and /v1/blocks/:number/transactions (keyset-paged by slot). */
import Router from '@koa/router';
import { blockByNumber, blockTransactions, latestCommittedBlock } from '../db/transfers.ts';
import { inReadSnapshot } from '../db/snapshot.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './errors.ts';
import { blockJson } from './json.ts';
import { blockParam, limitParam, optionalUint, slotParam } from './params.ts';

export function blocksRoutes(deps: Deps): Router {
  const router = new Router();

  router.get('/v1/blocks/latest', async (ctx) => {
    const block = await latestCommittedBlock(deps.reads.sql);
    if (block === undefined) throw new HttpError(404, 'unknown_block', 'no child block is committed yet');
    ctx.body = blockJson(block);
  });

  router.get('/v1/blocks/:number', async (ctx) => {
    const number = blockParam(ctx.params['number'], 'number');
    const block = await blockByNumber(deps.reads.sql, number);
    if (block === undefined) throw new HttpError(404, 'unknown_block', `block ${number} is not stored`);
    ctx.body = blockJson(block);
  });

  router.get('/v1/blocks/:number/transactions', async (ctx) => {
    const number = blockParam(ctx.params['number'], 'number');
    const after = optionalUint(ctx.query, 'after', slotParam);
    const limit = limitParam(ctx.query, deps.limits.maxListItems);
    // The block and its rows from one snapshot: a replica replaying its persist in between would pair a block
    // without a root with rows, or a missing block with none.
    const [block, rows] = await inReadSnapshot(deps.reads.sql, async (sql) => {
      const found = await blockByNumber(sql, number);
      return [found, found === undefined ? [] : await blockTransactions(sql, number, after === undefined ? { limit: limit + 1 } : { limit: limit + 1, after })] as const;
    });
    if (block === undefined) throw new HttpError(404, 'unknown_block', `block ${number} is not stored`);
    const page = rows.slice(0, limit);
    const body: { block: string; transactions: unknown[]; next?: string } = {
      block: number.toString(),
      transactions: page.map((row) => ({
        slot: row.slot.toString(),
        prevBlock: row.prevBlock.toString(),
        denomination: row.denomination.toString(),
        newOwner: row.newOwner,
        signature: row.signature,
        digest: row.digest,
      })),
    };
    if (rows.length > limit) body.next = page[page.length - 1]!.slot.toString();
    ctx.body = body;
  });

  return router;
}
