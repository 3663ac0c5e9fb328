/**
 * The live figures, from the operator's Prometheus text at /metrics: samples kept as small rolling series for
 * the charts. Rates and per-block phase times are differences between two scrapes.
 */

export type Samples = Map<string, number>;

/** Sample name with its labels as written (`name{a="b"}`) → value. Comments and malformed lines are skipped. */
export function parsePrometheus(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (match === null) continue;
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
export function sum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (!Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`))) continue;
    total += value;
    found = true;
  }
  return found ? total : Number.NaN;
}

export const PHASES = ['claim', 'persist', 'commit'] as const;

export interface Figures {
  /** Seconds since the page started, the chart's x. */
  readonly t: number;
  readonly transfersPerSecond: number;
  readonly pending: number;
  /** Mean seconds of each phase over the blocks built since the previous scrape (NaN when none). */
  readonly phases: Record<(typeof PHASES)[number], number>;
  readonly lastCommitted: number;
}

export class LiveFigures {
  readonly capacity: number;
  readonly t: number[] = [];
  readonly transfersPerSecond: number[] = [];
  readonly pending: number[] = [];
  readonly phases: Record<(typeof PHASES)[number], number[]> = { claim: [], persist: [], commit: [] };
  readonly lastCommitted: number[] = [];
  #previous: { at: number; samples: Samples } | undefined;
  readonly #start: number;

  constructor(capacity = 120, start = performance.now()) {
    this.capacity = capacity;
    this.#start = start;
  }

  /** Adds one scrape taken at `at` (ms); returns the point added, or undefined for the first scrape. */
  add(samples: Samples, at = performance.now()): Figures | undefined {
    const previous = this.#previous;
    this.#previous = { at, samples };
    if (previous === undefined) return undefined;
    const seconds = (at - previous.at) / 1000;
    const accepted = (s: Samples) => sum(s, 'plasma_transfers_total', { result: 'accepted' });
    const rate = Math.max(0, (nz(accepted(samples)) - nz(accepted(previous.samples))) / seconds);
    const phases = {} as Record<(typeof PHASES)[number], number>;
    for (const phase of PHASES) {
      const count = sum(samples, 'plasma_block_phase_seconds_count', { phase }) - sum(previous.samples, 'plasma_block_phase_seconds_count', { phase });
      const total = sum(samples, 'plasma_block_phase_seconds_sum', { phase }) - sum(previous.samples, 'plasma_block_phase_seconds_sum', { phase });
      phases[phase] = count > 0 ? total / count : Number.NaN;
    }
    const figures: Figures = {
      t: (at - this.#start) / 1000,
      transfersPerSecond: rate,
      pending: sum(samples, 'plasma_pending_transfers'),
      phases,
      lastCommitted: sum(samples, 'plasma_last_committed_block'),
    };
    this.#push(this.t, figures.t);
    this.#push(this.transfersPerSecond, figures.transfersPerSecond);
    this.#push(this.pending, figures.pending);
    for (const phase of PHASES) this.#push(this.phases[phase], phases[phase]);
    this.#push(this.lastCommitted, figures.lastCommitted);
    return figures;
  }

  #push(series: number[], value: number): void {
    series.push(value);
    if (series.length > this.capacity) series.shift();
  }
}

const nz = (value: number): number => (Number.isNaN(value) ? 0 : value);
