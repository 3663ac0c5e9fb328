/** POST /v1/transactions: one transfer object or an array of them; every item answered in order (§9). */
import Router from '@koa/router';
import { parseTransactionsBody } from '../../client/protocol/index.ts';
import { acceptTransfers } from '../transfers/accept.ts';
import { readJsonBody } from './body.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './errors.ts';

export function transactionsRoutes(deps: Deps): Router {
  const router = new Router();
  router.post('/v1/transactions', async (ctx) => {
    const body = await readJsonBody(ctx, deps.limits.maxBodyBytes);
    if (Array.isArray(body) && body.length > deps.limits.maxBatchItems) {
      throw new HttpError(413, 'batch_too_large', `the batch holds ${body.length} transactions, at most ${deps.limits.maxBatchItems} are allowed`);
    }
    // Shape errors throw InputError (400) before anything is checked or stored: a malformed body accepts nothing.
    const items = parseTransactionsBody(body, deps.limits.maxBatchItems);
    const results = await acceptTransfers(deps.store, deps.domain, items);
    let accepted = 0;
    for (const result of results) {
      deps.metrics.transfers.inc({ result: result.status, code: result.status === 'accepted' ? '' : result.error.code });
      if (result.status === 'accepted') accepted += 1;
    }
    if (accepted > 0) deps.onAccepted?.(accepted);
    ctx.body = { results };
  });
  return router;
}
