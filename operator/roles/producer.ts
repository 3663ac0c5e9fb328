/**
 * The producer part of a process (--role producer or all): standing by, elected, producing, deposed.
 *
 * On a Postgres server several producers may run; election.ts makes one active. Each term writes through a pool
 * of its own, fenced to the term in the database (election.ts fencedUrl, migrations/0008), and starts the
 * producer's components on it (production.ts), which resume every block from its stored stage. A lost term stops
 * them and closes that pool; the process stands by again. With the embedded Postgres there is one process by
 * construction: it produces at once, unelected and unfenced, as before roles existed.
 */
import { hostname } from 'node:os';
import type { TransactionDomain } from '../../client/protocol/index.ts';
import type { JsonRpc } from '../../client/l1/rpc.ts';
import { errorMessage } from '../../client/error-message.ts';
import type { BlockLoopMetrics } from '../block/loop.ts';
import type { OperatorConfig } from '../config.ts';
import { Store } from '../db/store.ts';
import type { Log } from '../log.ts';
import { fencedUrl, startElection, type Election, type ElectionTimings, type Term } from './election.ts';
import { startProduction, type Production } from './production.ts';

/** Connections of a term's write pool: the block loop, the committer, the follower and the checkpoints. */
const TERM_POOL_SIZE = 4;
/** A deposed producer waits this long for a pass in flight (its writes are refused anyway). */
const DEPOSED_GRACE_MS = 1000;

export interface ProducerState {
  /** True while this process is the active producer. */
  readonly active: boolean;
  /** The term's election epoch while active; null when not active or not elected (embedded Postgres). */
  readonly epoch: bigint | null;
  /** Terms this process has won since it started. */
  readonly termsWon: number;
}

export interface Producer {
  readonly state: ProducerState;
  noteAccepted(count: number): void;
  /** Resolves after the next block-loop pass while active; at once otherwise. */
  nextPass(): Promise<void>;
  readonly followerFailure: Error | undefined;
  stop(): Promise<void>;
}

export interface ProducerDeps {
  readonly config: OperatorConfig;
  readonly rpc: JsonRpc;
  readonly domain: TransactionDomain;
  /** The process's own pool: used as is when there is no election (embedded Postgres). */
  readonly store: Store;
  /** The server's URL: the election's lock session and each term's fenced pool connect to it. Undefined: embedded. */
  readonly databaseUrl: string | undefined;
  readonly log: Log;
  readonly metrics?: BlockLoopMetrics;
  readonly stopGraceMs: number;
  readonly electionTimings?: Partial<ElectionTimings>;
}

export async function startProducer(deps: ProducerDeps): Promise<Producer> {
  const { log } = deps;
  const productionDeps = (store: Store, stopGraceMs: number) => ({
    config: deps.config, rpc: deps.rpc, domain: deps.domain, store, log, stopGraceMs, ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
  });
  let production: Production | undefined;
  let termsWon = 0;

  if (deps.databaseUrl === undefined) {
    production = await startProduction(productionDeps(deps.store, deps.stopGraceMs));
    return {
      state: { active: true, epoch: null, termsWon: 0 },
      noteAccepted: (count) => production!.noteAccepted(count),
      nextPass: () => production!.nextPass(),
      get followerFailure() {
        return production!.followerFailure;
      },
      stop: () => production!.stop(),
    };
  }

  const databaseUrl = deps.databaseUrl;
  let termStore: Store | undefined;
  let stopping = false;
  const election: Election = startElection({
    databaseUrl,
    holder: `${hostname()} pid ${process.pid}`,
    log,
    ...(deps.electionTimings === undefined ? {} : { timings: deps.electionTimings }),
    async onElected(term: Term) {
      termsWon++;
      termStore = Store.connect(fencedUrl(databaseUrl, term), { max: TERM_POOL_SIZE });
      production = await startProduction(productionDeps(termStore, deps.stopGraceMs));
      log.info('producing', { epoch: term.epoch.toString(), takeoverMs: Date.now() - term.wonAt });
    },
    async onDeposed() {
      const ending = production;
      production = undefined;
      try {
        // Stopping the process: the usual grace. Deposed: the writes of a pass in flight are refused anyway.
        await ending?.stop(stopping ? deps.stopGraceMs : DEPOSED_GRACE_MS);
      } catch (error) {
        log.warn('stopping the producer after its term failed', { error: errorMessage(error) });
      }
      // Not awaited: its sessions may hang on a dead network path, and the next try for the lock must not wait.
      // Their writes are refused by the fence anyway, and the next winner ends them (election.ts).
      void termStore?.sql.end({ timeout: 1 }).catch(() => {});
      termStore = undefined;
    },
  });
  await election.firstTry;
  if (election.term === undefined) log.info('standing by: another producer holds the producer lock');

  return {
    get state(): ProducerState {
      const term = election.term;
      return { active: term !== undefined && production !== undefined, epoch: term?.epoch ?? null, termsWon };
    },
    noteAccepted: (count) => production?.noteAccepted(count),
    nextPass: () => production?.nextPass() ?? Promise.resolve(),
    get followerFailure() {
      return production?.followerFailure;
    },
    async stop() {
      stopping = true;
      await election.stop();
    },
  };
}
