/**
 * The running operator: config → L1 check → Postgres (embedded or a server; migrated) → the producer (roles/
 * producer.ts: elected among producers, then the L1 follower, the block loop, the committer, the checkpoints) →
 * HTTP (the API; a producer serves /v1/status and /metrics only). --role picks the parts (roles/role.ts).
 */
import { createServer, type Server } from 'node:http';
import { computeAddress } from 'ethers';
import type { AddressInfo, Socket } from 'node:net';
import { PlasmaError, type TransactionDomain } from '../client/protocol/index.ts';
import { contractOperator } from '../client/l1/contract.ts';
import { JsonRpc } from '../client/l1/rpc.ts';
import { describeConfig, maskPassword, type OperatorConfig } from './config.ts';
import { openReadReplica, type ReadReplica } from './db/read-replica.ts';
import { Store } from './db/store.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';
import { createApp } from './http/app.ts';
import { blockLoopMetrics } from './http/metrics.ts';
import { CleanupStack } from './cleanup-stack.ts';
import { createLog, type Log } from './log.ts';
import { startProducer, type Producer, type ProducerState } from './roles/producer.ts';
import { statusAndMetricsOnly } from './roles/producer-http.ts';
import { registerRoleMetrics, roleReporter } from './roles/report.ts';
import { listenAccepted, notifyAccepted } from './roles/wake.ts';
import { errorMessage } from '../client/error-message.ts';

export interface RunningOperator {
  /** http://host:port of the API. */
  readonly url: string;
  /** postgres:// URL in use (password masked). */
  readonly databaseUrl: string;
  readonly domain: TransactionDomain;
  readonly store: Store;
  /** Resolves after a block-loop pass that started after this call has finished (tests, tools); at once when not producing. */
  nextPass(): Promise<void>;
  /** The producer's state (active, epoch); undefined for --role api. */
  producerState(): ProducerState | undefined;
  /** Closes HTTP, stops the loops, closes the database. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log?: Log;
  /** How long stop() waits for a block-loop pass in flight (e.g. awaiting a confirmation). Default 10 s. */
  readonly stopGraceMs?: number;
}

/** A startup failure with a message meant for the person who started the operator. */
export class StartupError extends PlasmaError {
  override name = 'StartupError';
  declare readonly code: 'startup_failed';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('startup_failed', message, options);
  }
}

export async function startOperator(config: OperatorConfig, options: StartOptions = {}): Promise<RunningOperator> {
  const log = options.log ?? createLog({ level: config.logLevel });
  log.info('operator starting', { config: describeConfig(config) });
  const cleanup = new CleanupStack(log, 'shutdown step failed');
  const unwind = (): Promise<void> => cleanup.unwind();

  try {
    const rpc = new JsonRpc(config.l1Rpc);
    const statusRpc = new JsonRpc(config.l1Rpc, { timeoutMs: 2000 });
    let chainId: bigint;
    try {
      chainId = await rpc.chainId();
    } catch (error) {
      throw new StartupError(`cannot reach the L1 RPC at ${config.l1Rpc}: ${errorMessage(error)}; start anvil or pass --l1-rpc`, { cause: error });
    }
    const code = await rpc.request<string>('eth_getCode', [config.contract, 'latest']);
    if (code === '0x' || code === '') {
      throw new StartupError(`no contract at ${config.contract} on the L1 at ${config.l1Rpc} (chain id ${chainId}); deploy one with \`plasma deploy\` or pass the right --contract`);
    }
    // A wrong key would build blocks that can never be committed: say so now rather than at the first commit.
    const keyAddress = computeAddress(config.operatorKey);
    const allowedOperator = await contractOperator(rpc, config.contract);
    if (allowedOperator.toLowerCase() !== keyAddress.toLowerCase()) {
      throw new StartupError(
        `the operator key is for ${keyAddress}, but PlasmaCash at ${config.contract} accepts blocks only from ${allowedOperator}; pass that account's key`,
      );
    }
    const domain: TransactionDomain = { chainId, verifyingContract: config.contract };

    let databaseUrl: string;
    let embedded: EmbeddedPostgres | undefined;
    if (config.database.kind === 'embedded') {
      embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir });
      cleanup.push(() => embedded!.stop());
      databaseUrl = embedded.url;
      log.info('embedded Postgres started', { dataDir: embedded.dataDir, url: embedded.url });
    } else {
      databaseUrl = config.database.url;
    }
    // PGlite is one backend behind a queue: one connection is all it can use.
    // PGlite's socket server drops a connection on COPY: the embedded database takes blocks by INSERT.
    const store = Store.connect(databaseUrl, embedded ? { max: 1, copy: false } : { max: 8 });
    cleanup.push(() => store.close());
    try {
      const applied = await store.migrate();
      log.info('database ready', { url: maskPassword(databaseUrl), migrationsApplied: applied });
    } catch (error) {
      throw new StartupError(`cannot use Postgres at ${maskPassword(databaseUrl)}: ${errorMessage(error)}; start Postgres, fix --database-url, or unset it to use the embedded one`, { cause: error });
    }
    // The API's reads go to the replica (db/read-replica.ts); transfer acceptance stays on `store`, the primary.
    let readReplica: ReadReplica | undefined;
    if (config.databaseReadUrl !== undefined) {
      try {
        readReplica = await openReadReplica(config.databaseReadUrl, databaseUrl, store, { max: 8 });
      } catch (error) {
        throw new StartupError(`cannot read from the replica at ${maskPassword(config.databaseReadUrl)}: ${errorMessage(error)}; fix --database-read-url, or unset it to read from the primary`, { cause: error });
      }
      cleanup.push(() => readReplica!.close());
      if (readReplica.notInRecovery) log.warn('the read database is not in recovery: it does not follow the primary (a promoted replica?); reads may go stale', { url: maskPassword(config.databaseReadUrl) });
      log.info('read replica ready', { url: maskPassword(config.databaseReadUrl) });
    }

    // What this process runs (operator/roles/): the producer (--role all, producer) and the HTTP API (all, api).
    let producer: Producer | undefined;
    const { app, metrics } = createApp({
      store,
      ...(readReplica === undefined ? {} : { reads: readReplica.store, replicaLag: readReplica.lag }),
      domain,
      limits: config.limits,
      ...(config.rateLimit.perSecond > 0 ? { rateLimit: config.rateLimit } : {}),
      // Its own short timeout: a health check must answer promptly even when the L1 node hangs.
      l1Status: async () => {
        const head = await statusRpc.blockNumber();
        const failure = producer?.followerFailure;
        return failure === undefined ? { head, healthy: true } : { head, healthy: false, mismatch: failure.message };
      },
      // An api node tells the producer through Postgres (wake.ts); in one process the block loop is told directly.
      onAccepted: config.role === 'api' ? notifyAccepted(store.sql, log) : (count) => producer?.noteAccepted(count),
      role: roleReporter(config.role, () => producer?.state, store.sql),
      chain: { l1Rpc: config.l1Rpc, l1StartBlock: BigInt(config.l1StartBlock) },
      log: log.entry,
    });
    registerRoleMetrics(metrics.registry, config.role, () => producer?.state, store.sql);
    if (config.role !== 'api') {
      // Started before HTTP listens, so onAccepted above never runs without it. On a Postgres server it is elected
      // among the producers first (roles/election.ts); it may be standing by when this returns.
      producer = await startProducer({
        config, rpc, domain, store, databaseUrl: embedded ? undefined : databaseUrl, log, metrics: blockLoopMetrics(metrics), stopGraceMs: options.stopGraceMs ?? 10_000,
      });
      cleanup.push(() => producer!.stop());
      // Transfers accepted by api nodes wake the block loop early (roles/wake.ts).
      if (!embedded) cleanup.push(await listenAccepted(store.sql, (count) => producer?.noteAccepted(count)));
    }
    log.info('role', { role: config.role, active: producer?.state.active ?? null, epoch: producer?.state.epoch?.toString() ?? null });
    // A producer serves /v1/status and /metrics only: API requests go to the api nodes.
    const server = createServer(config.role === 'producer' ? statusAndMetricsOnly(app.callback()) : app.callback());
    const sockets = new Set<Socket>();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await listen(server, config.http.host, config.http.port);
    cleanup.push(() => closeServer(server, sockets));
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    log.info('operator listening', { url, chainId, contract: config.contract });

    let stopping: Promise<void> | undefined;
    return {
      url,
      databaseUrl: maskPassword(databaseUrl),
      domain,
      store,
      nextPass: () => producer?.nextPass() ?? Promise.resolve(),
      producerState: () => producer?.state,
      stop: () =>
        (stopping ??= (async () => {
          log.info('operator stopping');
          await unwind();
          log.info('operator stopped');
        })()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const why = error.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use; stop what uses it or pass --port` : errorMessage(error);
      reject(new StartupError(`cannot listen for HTTP on ${host}:${port}: ${why}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // Requests in flight get a moment to finish; then their sockets go too.
    setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, 2000).unref();
  });
}
