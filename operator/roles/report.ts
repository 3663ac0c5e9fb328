/**
 * What a process tells about its role: in /v1/status (`operator`) and in /metrics. Every role reads the election
 * from the database, so an api node also names the active producer's epoch and holder.
 */
import type { Sql } from 'postgres';
import { Counter, Gauge, type Registry } from 'prom-client';
import { readElection } from './election.ts';
import type { ProducerState } from './producer.ts';
import type { Role } from './role.ts';

export interface RoleReport {
  readonly role: Role;
  /** This process is the active producer (null for an api node, which never produces). */
  readonly active: boolean | null;
  /** This process's election epoch while it is active. */
  readonly epoch: string | null;
  /** The latest election as stored: the active producer's epoch, who won it and when (null before the first). */
  readonly election: { readonly epoch: string; readonly holder: string; readonly electedAt: string } | null;
}

export function roleReporter(role: Role, producer: () => ProducerState | undefined, sql: Sql): () => Promise<RoleReport> {
  return async () => {
    const state = producer();
    const election = await readElection(sql);
    return {
      role,
      active: state === undefined ? null : state.active,
      epoch: state?.epoch == null ? null : state.epoch.toString(),
      election: election === undefined ? null : { epoch: election.epoch.toString(), holder: election.holder, electedAt: election.electedAt.toISOString() },
    };
  };
}

/** plasma_operator_role{role}, plasma_producer_active, plasma_producer_terms_won_total, plasma_producer_election_epoch. */
export function registerRoleMetrics(registry: Registry, role: Role, producer: () => ProducerState | undefined, sql: Sql): void {
  new Gauge({ name: 'plasma_operator_role', help: 'This process\'s role (--role): 1 for the label it runs', labelNames: ['role'], registers: [registry] }).set({ role }, 1);
  new Gauge({
    name: 'plasma_producer_active',
    help: '1 while this process is the active producer, 0 while it stands by (api nodes: always 0)',
    registers: [registry],
    collect() {
      this.set(producer()?.active === true ? 1 : 0);
    },
  });
  new Counter({
    name: 'plasma_producer_terms_won_total',
    help: 'Producer elections this process has won since it started',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(producer()?.termsWon ?? 0);
    },
  });
  new Gauge({
    name: 'plasma_producer_election_epoch',
    help: 'The epoch of the latest producer election, as stored in Postgres (NaN when unreadable)',
    registers: [registry],
    async collect() {
      try {
        this.set(Number((await readElection(sql))?.epoch ?? 0n));
      } catch {
        this.set(Number.NaN);
      }
    },
  });
}
