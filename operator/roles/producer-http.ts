/**
 * A producer's HTTP port: /v1/status and /metrics, for health checks and monitoring. Every other request is
 * answered 404 `not_served`: the API (transfers, histories) is the api nodes' (docs/DEPLOY.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const SERVED = new Set(['/v1/status', '/metrics']);

export function statusAndMetricsOnly(handler: (req: IncomingMessage, res: ServerResponse) => unknown): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (SERVED.has(path)) {
      void handler(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'not_served', message: `a producer serves /v1/status and /metrics only; send ${path} to an api node (--role api or all)` } }));
  };
}
