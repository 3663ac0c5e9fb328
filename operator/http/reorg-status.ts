/**
 * Deep L1 reorgs the follower undid (operator/db/reorg.ts), as /v1/status's `reorgs` object and the /metrics
 * counter `plasma_l1_reorgs_total`. Both are read from Postgres, so an API node that runs no follower reports the
 * producer's reorgs all the same.
 */
import type { Sql } from 'postgres';
import { Counter, type Registry } from 'prom-client';
import { latestReorg, reorgCount } from '../db/reorg.ts';

export interface ReorgsJson {
  /** Deep reorgs undone since the database was created. */
  readonly count: number;
  /** The last one, or null when none was. */
  readonly last: {
    readonly detectedAt: string;
    /** L1 blocks rewound: the old cursor minus the fork point. */
    readonly depth: string;
    /** The last L1 block both chains share (among the hashes the follower keeps): events after it were undone. */
    readonly forkBlock: string;
    /** The follower's cursor when it noticed the reorg. */
    readonly oldCursor: string;
    readonly invalidated: {
      /** Coins whose state the reorg changed: deposited → reorged_out (deposit gone), exiting → deposited (exit gone), deposited → exiting (exit appeared). */
      readonly coins: readonly { readonly slot: string; readonly before: string; readonly after: string }[];
      /** Deposits of the old chain after the fork point (some may have come back on the new one: see `coins`). */
      readonly deposits: readonly { readonly slot: string; readonly block: string; readonly l1Block: string }[];
      /** Exit rows changed by events of the old chain after the fork point, as they stood before the rewind. */
      readonly exitEvents: readonly { readonly slot: string; readonly nonce: string; readonly state: string; readonly l1Block: string }[];
    };
  } | null;
}

export async function reorgsJson(sql: Sql): Promise<ReorgsJson> {
  const [count, last] = await Promise.all([reorgCount(sql), latestReorg(sql)]);
  if (last === undefined) return { count, last: null };
  return {
    count,
    last: {
      detectedAt: last.detectedAt.toISOString(),
      depth: last.depth.toString(),
      forkBlock: last.forkBlock.toString(),
      oldCursor: last.oldCursor.toString(),
      invalidated: {
        coins: last.coins.map((c) => ({ slot: c.slot.toString(), before: c.before, after: c.after })),
        deposits: last.rewound.deposits.map((d) => ({ slot: d.slot.toString(), block: d.block.toString(), l1Block: d.l1Block.toString() })),
        exitEvents: last.rewound.exitEvents.map((e) => ({ slot: e.slot.toString(), nonce: e.nonce.toString(), state: e.state, l1Block: e.l1Block.toString() })),
      },
    },
  };
}

/**
 * `plasma_l1_reorgs_total`: a counter whose value is the count of rows in l1_reorgs at scrape time (it only ever
 * grows, as a counter must). A failed or late read leaves the last value.
 */
export function registerReorgCounter(sql: Sql, registry: Registry, within: <T>(read: Promise<T>) => Promise<T | undefined>): void {
  let seen = 0;
  new Counter({
    name: 'plasma_l1_reorgs_total',
    help: 'L1 reorgs deeper than --confirmations that the follower undid (rewound to the fork point and re-applied)',
    registers: [registry],
    async collect() {
      const count = await within(reorgCount(sql));
      if (count !== undefined && count > seen) {
        this.inc(count - seen);
        seen = count;
      }
    },
  });
}
