/**
 * An embedded Postgres for machines without one: PGlite (Postgres compiled to WASM) keeping its files in a data
 * directory, served over the wire protocol by pglite-socket on a free 127.0.0.1 port, so the operator's
 * postgres.js code runs unchanged. PGlite is one single-user backend: pglite-socket queues every connection's
 * messages onto it (keeping a transaction's messages together), so the operator connects with one connection.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** postgres://… URL of the served database. */
  readonly url: string;
  readonly dataDir: string;
  /** Closes the socket server, then PGlite (which flushes its files). Idempotent. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  /** TCP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Client connections served at once (default 4). */
  readonly maxConnections?: number;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir });
  } catch (error) {
    throw new Error(`cannot open the embedded Postgres in ${dataDir}: ${error instanceof Error ? error.message : String(error)} (is another operator using this --data-dir?)`, { cause: error });
  }
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: options.maxConnections ?? 4 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  // getServerConn() is "host:port" with the port the OS picked.
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    dataDir,
    stop: () =>
      (stopped ??= (async () => {
        await server.stop();
        await db.close();
      })()),
  };
}
