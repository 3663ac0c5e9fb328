/**
 * The chain: the operator's status, live figures as small charts, the latest blocks, exits and challenges in
 * progress (read from L1 events, not from the operator) and checkpoints. Everything refreshes on its own.
 */
import { CHILD_BLOCK_INTERVAL } from '../../../client/protocol/index.ts';
import { ApiError, getJson, getText, type BlockJson, type StatusJson } from '../api.ts';
import { liveChart, type LiveChart } from '../charts.ts';
import { recentCheckpoints } from '../checkpoints.ts';
import { ExitBook } from '../exits.ts';
import { L1Reader } from '../l1.ts';
import { append, ago, clear, h, link, shortHex, table } from '../dom.ts';
import { LiveFigures, parsePrometheus, PHASES } from '../metrics.ts';
import type { Context, Stop } from '../main.ts';
import { currentTrust } from '../trust.ts';

const BLOCKS_SHOWN = 10;
const CHECKPOINTS_SHOWN = 10;
const POLL_MS = 1000;

export function chainView(root: HTMLElement, context: Context): Stop {
  const timers: number[] = [];
  let stopped = false;
  const status = h('div', { class: 'card', 'aria-live': 'polite' }, 'Loading…');
  const figuresText = h('p', { class: 'figures', 'aria-live': 'off' });
  const charts = h('div', { class: 'charts' });
  const blocks = h('div', {}, 'Loading…');
  const exits = h('div', {}, 'Reading L1…');
  const checkpoints = h('div', {}, '…');
  append(
    root,
    h('h1', {}, 'The chain'),
    status,
    h('section', { 'aria-labelledby': 'live-heading' }, h('h2', { id: 'live-heading' }, 'Live figures'), figuresText, charts),
    h('section', { 'aria-labelledby': 'blocks-heading' }, h('h2', { id: 'blocks-heading' }, 'Latest blocks'), blocks),
    h('section', { 'aria-labelledby': 'exits-heading' }, h('h2', { id: 'exits-heading' }, 'Exits and challenges in progress'), exits),
    h('section', { 'aria-labelledby': 'checkpoints-heading' }, h('h2', { id: 'checkpoints-heading' }, 'Checkpoints'), checkpoints),
  );

  const every = (ms: number, task: () => Promise<void>) => {
    let running = false;
    const tick = () => {
      if (running || stopped) return;
      running = true;
      task().finally(() => (running = false));
    };
    tick();
    timers.push(window.setInterval(tick, ms));
  };
  const failure = (target: HTMLElement) => (error: unknown) => {
    if (!stopped) clear(target, h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
  };

  // ---- status and latest blocks
  const blockCache = new Map<string, BlockJson>();
  every(POLL_MS, async () => {
    const now = await getJson<StatusJson>('/v1/status').catch((error: unknown) => void failure(status)(error));
    if (now === undefined || stopped) return;
    renderStatus(status, now);
    const last = BigInt(now.lastCommittedBlock ?? '0');
    if (last === 0n) {
      clear(blocks, h('p', {}, 'No child block is committed yet.'));
      return;
    }
    const numbers: bigint[] = [];
    for (let k = 0n; k < BigInt(BLOCKS_SHOWN) && last - k * CHILD_BLOCK_INTERVAL > 0n; k++) numbers.push(last - k * CHILD_BLOCK_INTERVAL);
    try {
      const rows = await Promise.all(
        numbers.map(async (number) => {
          const key = number.toString();
          const cached = blockCache.get(key);
          if (cached !== undefined && cached.status === 'committed') return cached;
          const block = await getJson<BlockJson>(`/v1/blocks/${number}`);
          blockCache.set(key, block);
          return block;
        }),
      );
      if (stopped) return;
      clear(
        blocks,
        table(
          ['block', 'transfers', 'root', 'L1 transaction', 'status', 'built'],
          rows.map((block) => [
            link(`#/block/${block.number}`, block.number),
            h('span', { 'data-tx-count': String(block.txCount) }, block.txCount),
            shortHex(block.root),
            block.l1TxHash === null ? '—' : shortHex(block.l1TxHash),
            block.status,
            ago(block.createdAt),
          ]),
        ),
      );
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) failure(blocks)(error);
    }
  });

  // ---- live figures
  const figures = new LiveFigures();
  const chartList: { chart: LiveChart; series: () => number[][] }[] = [
    { chart: liveChart('Transfers per second', '', [{ label: 'accepted/s', stroke: '#1f6feb' }]), series: () => [figures.transfersPerSecond] },
    { chart: liveChart('Pending transfers', '', [{ label: 'pending', stroke: '#bf8700' }]), series: () => [figures.pending] },
    {
      chart: liveChart('Block build phases (mean s)', '', [
        { label: 'claim', stroke: '#8250df' },
        { label: 'persist', stroke: '#1a7f37' },
        { label: 'commit', stroke: '#cf222e' },
      ]),
      series: () => PHASES.map((phase) => figures.phases[phase]),
    },
    { chart: liveChart('Last committed block', '', [{ label: 'block', stroke: '#0969da' }]), series: () => [figures.lastCommitted] },
  ];
  for (const { chart } of chartList) charts.appendChild(chart.element);
  every(POLL_MS, async () => {
    const text = await getText('/metrics').catch(() => undefined);
    if (text === undefined || stopped) return;
    const point = figures.add(parsePrometheus(text));
    if (point === undefined) return;
    const phase = (s: number) => (Number.isFinite(s) ? `${s.toFixed(3)} s` : '—');
    clear(
      figuresText,
      `${point.transfersPerSecond.toFixed(1)} transfers/s · ${point.pending} pending · last block built: claim ${phase(point.phases.claim)}, persist ${phase(point.phases.persist)}, commit ${phase(point.phases.commit)} · last committed block ${point.lastCommitted}`,
    );
    for (const { chart, series } of chartList) chart.update(figures.t, series());
  });

  // ---- exits and challenges, from L1 events
  const book = new ExitBook();
  let reader: L1Reader | undefined;
  let scanned = -1n;
  every(2000, async () => {
    try {
      const now = await context.status();
      const trust = currentTrust(now);
      if (trust === undefined) {
        clear(exits, h('p', {}, 'No L1 endpoint is known: open a coin and choose one.'));
        return;
      }
      if (reader === undefined) {
        reader = new L1Reader(trust.rpcUrl, trust.contract);
        scanned = BigInt(now.chain?.l1StartBlock ?? '0') - 1n;
      }
      const head = await reader.head();
      while (scanned < head) {
        const to = scanned + 10_000n < head ? scanned + 10_000n : head;
        book.apply(await reader.exitGameLogs(scanned + 1n, to));
        scanned = to;
      }
      if (stopped) return;
      const live = book.liveExits();
      const open = book.openChallenges();
      clear(
        exits,
        h('p', { class: 'muted' }, 'Read from L1 at ', h('code', {}, trust.rpcUrl), ` through L1 block ${head}.`),
        live.length === 0
          ? h('p', {}, 'No exit in progress.')
          : table(
              ['coin', 'exit', 'exitor', 'parent block', 'exit block', 'finalizable at'],
              live.map((exit) => [link(`#/coin/${exit.slot}`, exit.slot), `#${exit.nonce}`, shortHex(exit.exitor), exit.parentBlock, exit.exitBlock, new Date(Number(exit.finalizableAt) * 1000).toLocaleString()]),
              'Live exits',
            ),
        open.length === 0
          ? h('p', {}, 'No open challenge.')
          : table(['coin', 'exit', 'challenger', 'claim block'], open.map((c) => [link(`#/coin/${c.slot}`, c.slot), `#${c.nonce}`, shortHex(c.challenger), c.claimBlock]), 'Open challenges'),
      );
    } catch (error) {
      failure(exits)(error);
    }
  });

  // ---- checkpoints (PROTOCOL.md §10), as the operator lists them; a coin's page verifies its own leaves on L1.
  // L1's checkpointCount comes first: the operator is asked only once L1 holds one, so a chain without any does
  // not put a 404 in the console at every poll.
  every(3000, async () => {
    try {
      const trust = currentTrust(await context.status());
      if (trust === undefined) {
        clear(checkpoints, h('p', {}, 'No L1 endpoint is known: open a coin and choose one.'));
        return;
      }
      let onL1: bigint;
      try {
        onL1 = await new L1Reader(trust.rpcUrl, trust.contract).checkpointCount('latest');
      } catch {
        clear(checkpoints, h('p', {}, 'This PlasmaCash answers no checkpointCount: it has no checkpoint module.'));
        return;
      }
      const list = onL1 === 0n ? [] : await recentCheckpoints(CHECKPOINTS_SHOWN);
      if (stopped) return;
      clear(
        checkpoints,
        list.length === 0
          ? h('p', {}, onL1 === 0n ? 'No checkpoint is submitted yet.' : `L1 holds ${onL1} checkpoints; the operator serves none yet.`)
          : table(
              ['checkpoint', 'child block N', 'root', 'status', 'final at (earliest)'],
              list.map((c) => [
                h('span', { 'data-checkpoint-id': c.id }, c.id),
                link(`#/block/${c.block}`, c.block),
                shortHex(c.root),
                h('span', { class: c.status === 'final' ? 'ok' : 'muted', 'data-checkpoint-status': c.status }, c.status),
                new Date(Number(c.finalAt) * 1000).toLocaleString(),
              ]),
              "The operator's newest checkpoints; a coin's page checks its leaf in each against the root on L1",
            ),
      );
    } catch (error) {
      failure(checkpoints)(error);
    }
  });

  return () => {
    stopped = true;
    timers.forEach((timer) => window.clearInterval(timer));
    chartList.forEach(({ chart }) => chart.destroy());
  };
}

function renderStatus(target: HTMLElement, status: StatusJson): void {
  clear(
    target,
    h(
      'dl',
      { class: 'status' },
      h('dt', {}, 'Operator'), h('dd', {}, status.healthy ? h('span', { class: 'ok' }, 'healthy') : h('span', { class: 'error' }, 'unhealthy')),
      h('dt', {}, 'Last committed block'), h('dd', { 'data-last-committed': status.lastCommittedBlock ?? '' }, status.lastCommittedBlock === null || status.lastCommittedBlock === '0' ? '—' : link(`#/block/${status.lastCommittedBlock}`, status.lastCommittedBlock)),
      h('dt', {}, 'Pending transfers'), h('dd', {}, status.pendingCount ?? '—'),
      h('dt', {}, 'L1 head (operator)'), h('dd', {}, status.l1?.head ?? '—'),
      h('dt', {}, 'L1 node (operator)'), h('dd', {}, status.chain?.l1Rpc === undefined || status.chain.l1Rpc === null ? '—' : h('code', { class: 'wrap' }, status.chain.l1Rpc)),
      h('dt', {}, 'PlasmaCash'), h('dd', {}, status.chain === undefined ? '—' : h('code', { class: 'hex wrap' }, status.chain.contract)),
    ),
  );
}
