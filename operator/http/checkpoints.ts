/**
 * Checkpoint routes (PROTOCOL.md §9, docs/CHECKPOINTS.md §6; objects built by checkpoint-leaves.ts):
 *   GET /v1/checkpoints/latest, /v1/checkpoints/:id     the checkpoint object (id = the contract's k)
 *   GET /v1/checkpoints/:id/coins/:slot                  a slot's leaf object in checkpoint k (zero leaf: exclusion proof)
 *   GET /v1/coins/:slot/checkpoint                       the coin's base, its newest final, non-void leaf; 404 no_checkpoint
 * `GET /v1/coins/:slot/history?since=checkpoint` is served by coins.ts. Leaf statuses come from the contract's
 * leafStatus when it answers, otherwise from time: the header X-Checkpoint-Status-Source says which.
 */
import Router from '@koa/router';
import { checkpointLeaves, type StatusNote } from './checkpoint-leaves.ts';
import { knownCoin } from './coins.ts';
import type { Deps } from './deps.ts';
import { HttpError } from './errors.ts';
import { blockParam, slotParam } from './params.ts';

export function checkpointsRoutes(deps: Deps): Router {
  const router = new Router();
  const leaves = checkpointLeaves(deps);

  router.get('/v1/checkpoints/latest', async (ctx) => {
    ctx.body = await leaves.checkpointJson(await leaves.latest());
  });

  router.get('/v1/checkpoints/:id', async (ctx) => {
    ctx.body = await leaves.checkpointJson(await leaves.submitted(blockParam(ctx.params['id'], 'id')));
  });

  router.get('/v1/checkpoints/:id/coins/:slot', async (ctx) => {
    const record = await leaves.submitted(blockParam(ctx.params['id'], 'id'));
    const slot = slotParam(ctx.params['slot']);
    const coin = await knownCoin(deps.reads, slot).catch(() => undefined);
    const note: StatusNote = { source: 'l1' };
    ctx.body = await leaves.leafObject(record, slot, coin, note);
    ctx.set('X-Checkpoint-Status-Source', note.source);
  });

  router.get('/v1/coins/:slot/checkpoint', async (ctx) => {
    const coin = await knownCoin(deps.reads, slotParam(ctx.params['slot']));
    const note: StatusNote = { source: 'l1' };
    const { base } = await leaves.baseAndPending(coin, note);
    ctx.set('X-Checkpoint-Status-Source', note.source);
    if (base === undefined) throw new HttpError(404, 'no_checkpoint', `coin ${coin.slot} has no final checkpoint leaf yet; its history starts at the deposit`);
    ctx.body = base;
  });

  return router;
}
