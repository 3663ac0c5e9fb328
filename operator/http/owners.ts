/** GET /v1/owners/:address/coins: the coins an address owns on the child chain, by slot, keyset-paged. */
import Router from '@koa/router';
import { coinsOfOwner } from '../db/transfers.ts';
import type { Deps } from './deps.ts';
import { coinJson } from './json.ts';
import { addressParam, limitParam, optionalUint, slotParam } from './params.ts';

export function ownersRoutes(deps: Deps): Router {
  const router = new Router();
  router.get('/v1/owners/:address/coins', async (ctx) => {
    const owner = addressParam(ctx.params['address']);
    const after = optionalUint(ctx.query, 'after', slotParam);
    const limit = limitParam(ctx.query, deps.limits.maxListItems);
    const coins = await coinsOfOwner(deps.reads.sql, owner, after === undefined ? { limit: limit + 1 } : { limit: limit + 1, after });
    const page = coins.slice(0, limit);
    const body: { owner: string; coins: ReturnType<typeof coinJson>[]; next?: string } = { owner, coins: page.map(coinJson) };
    if (coins.length > limit) body.next = page[page.length - 1]!.slot.toString();
    ctx.body = body;
  });
  return router;
}
