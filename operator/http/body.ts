/** Reads a JSON request body under a byte limit: 413 past it, 400 for anything that is not JSON. */
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { HttpError } from './errors.ts';

export async function readJsonBody(ctx: Context, limit: number): Promise<unknown> {
  const type = ctx.request.type;
  if (type !== '' && type !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', 'the body must be application/json');
  }
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit, length: ctx.request.length ?? null, encoding: 'utf8' });
  } catch (error) {
    const kind = (error as { type?: unknown }).type;
    if (kind === 'entity.too.large') throw new HttpError(413, 'body_too_large', `the body exceeds ${limit} bytes`);
    if (kind === 'request.size.invalid' || kind === 'request.aborted' || kind === 'encoding.unsupported') {
      throw new HttpError(400, 'invalid_body', 'the body could not be read', { cause: error });
    }
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
}
