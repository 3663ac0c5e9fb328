/**
 * The running operator: config → L1 check → Postgres (embedded or a server; migrated) → L1 follower → block
 * loop (block/loop.ts: claims a block from pending transfers each interval, builds and commits it) → HTTP.
 */
import { createServer, type Server } from 'node:http';
import { computeAddress } from 'ethers';
import type { AddressInfo, Socket } from 'node:net';
import { PlasmaError, type TransactionDomain } from '../client/protocol/index.ts';
import { BlockCommitter } from './block/committer.ts';
import { startBlockLoop } from './block/loop.ts';
import { callPlasmaCash, contractOperator } from '../client/l1/contract.ts';
import { contractHasCheckpoints } from '../client/l1/checkpoints.ts';
import { startAnswerer } from './checkpoint/answerer.ts';
import { CheckpointBuilder } from './checkpoint/builder.ts';
import { defaultCheckpointEveryBlocks, startCheckpointScheduler } from './checkpoint/scheduler.ts';
import { L1Follower } from './chain/follower.ts';
import { JsonRpc } from '../client/l1/rpc.ts';
import { describeConfig, maskPassword, type OperatorConfig } from './config.ts';
import { openReadReplica, type ReadReplica } from './db/read-replica.ts';
import { Store } from './db/store.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';
import { createApp } from './http/app.ts';
import { blockLoopMetrics } from './http/metrics.ts';
import { createLog, type Log } from './log.ts';
import { errorMessage } from '../client/error-message.ts';

export interface RunningOperator {
  /** http://host:port of the API. */
  readonly url: string;
  /** postgres:// URL in use (password masked). */
  readonly databaseUrl: string;
  readonly domain: TransactionDomain;
  readonly store: Store;
  /** Resolves after a block-loop pass that started after this call has finished (tests, tools). */
  nextPass(): Promise<void>;
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
  const cleanup: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        log.warn('shutdown step failed', { error: errorMessage(error) });
      }
    }
    cleanup.length = 0;
  };

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

    const follower = new L1Follower({
      rpc,
      store,
      contract: config.contract,
      confirmations: config.confirmations,
      startBlock: BigInt(config.l1StartBlock),
      pollIntervalMs: config.l1PollIntervalMs,
      log: log.line('follower'),
      // Deposits past half an interval's numbers start a block-loop pass at once (block/deposits.ts). The first
      // poll runs on a timer, after `loop` below is assigned.
      onDeposits: (lastDeposit) => loop.noteDeposit(lastDeposit),
    });
    follower.start();
    cleanup.push(() => follower.stop());

    const committer = new BlockCommitter({
      rpc,
      store,
      contract: config.contract,
      operatorKey: config.operatorKey,
      confirmations: config.confirmations,
      timeoutMs: 120_000,
      replaceAfterMs: config.l1ReplaceAfterMs,
      log: log.line('committer'),
    });
    log.info('operator account', { address: committer.address });

    const { app, metrics } = createApp({
      store,
      ...(readReplica === undefined ? {} : { reads: readReplica.store, replicaLag: readReplica.lag }),
      domain,
      limits: config.limits,
      ...(config.rateLimit.perSecond > 0 ? { rateLimit: config.rateLimit } : {}),
      // Its own short timeout: a health check must answer promptly even when the L1 node hangs.
      l1Status: async () => {
        const head = await statusRpc.blockNumber();
        const failure = follower.failure;
        return failure === undefined ? { head, healthy: true } : { head, healthy: false, mismatch: failure.message };
      },
      onAccepted: (count) => loop.noteAccepted(count),
      chain: { l1Rpc: config.l1Rpc, l1StartBlock: BigInt(config.l1StartBlock) },
      log: log.entry,
    });
    // Started before HTTP listens, so onAccepted above never runs without it.
    const loop = startBlockLoop({ config, store, committer, log, metrics: blockLoopMetrics(metrics) });
    cleanup.push(() => loop.stop(options.stopGraceMs ?? 10_000));
    // Checkpoints (PROTOCOL.md §10): built on the worker threads beside the block loop, submitted through the
    // committer (one signer, one nonce sequence). Every --checkpoint-every-blocks child blocks; by default the
    // child blocks in one RESPONSE_PERIOD at the block interval; 0 disables them.
    const responsePeriod = BigInt((await callPlasmaCash(rpc, config.contract, 'RESPONSE_PERIOD'))[0]);
    const everyBlocks = config.checkpointEveryBlocks ?? defaultCheckpointEveryBlocks(responsePeriod, config.blockIntervalMs);
    if (everyBlocks > 0 && !(await contractHasCheckpoints(rpc, config.contract))) {
      log.warn('checkpoints off: PlasmaCash at this address has no checkpoint module (checkpointCount() does not answer)', { contract: config.contract });
    } else if (everyBlocks > 0) {
      const builder = new CheckpointBuilder({ store, domain, log: log.line('checkpoints') });
      const scheduler = startCheckpointScheduler({
        store, builder, committer, rpc, contract: config.contract, operator: committer.address, everyBlocks, confirmations: config.confirmations,
        l1StartBlock: BigInt(config.l1StartBlock), pollMs: Math.max(1000, config.blockIntervalMs), log,
      });
      cleanup.push(() => scheduler.stop());
      // Challenges of its own leaves, answered within RESPONSE_PERIOD (a warning below a quarter of it left).
      const answerer = startAnswerer({
        store, domain, committer, rpc, contract: config.contract, operator: committer.address,
        marginSeconds: responsePeriod / 4n, pollMs: Math.max(1000, config.l1PollIntervalMs), log,
      });
      cleanup.push(() => answerer.stop());
      log.info('checkpoints scheduled', { everyBlocks, responsePeriodSeconds: responsePeriod.toString() });
    } else {
      log.info('checkpoints disabled (--checkpoint-every-blocks 0)');
    }
    const server = createServer(app.callback());
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
      nextPass: () => loop.nextPass(),
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
