/**
 * A coin: the operator's record, then its history verified here against L1 (verify.ts): the deposit as L1
 * records it, owners over time, every entry, and its exits from L1 events. It verifies again whenever the coin
 * moves. The banner says "Verified against L1 at <rpc>" only when client/protocol accepted the whole history.
 */
import type { HistoryEntry } from '../../../client/protocol/index.ts';
import { getJson, type CoinJson } from '../api.ts';
import { checkCoinLeaves, type CheckedLeaf } from '../checkpoints.ts';
import { append, clear, h, link, shortHex, table } from '../dom.ts';
import { ExitBook } from '../exits.ts';
import { L1Reader } from '../l1.ts';
import type { Context, Stop } from '../main.ts';
import { currentTrust, forgetTrust, saveTrust, type Trust } from '../trust.ts';
import { verifyCoinAgainstL1, type VerifyOutcome } from '../verify.ts';

const PAGE = 200;

declare global {
  interface Window {
    /** The last verification's outcome and timing, for the browser tests and bench/explorer.ts. */
    __explorerVerification?: { slot: string; ok: boolean; block?: string; code?: string; totalMs: number; renderMs: number; l1Ms: number; historyMs: number; verifyMs: number; entries: number };
  }
}

export function coinView(root: HTMLElement, slot: bigint, context: Context): Stop {
  let stopped = false;
  const timers: number[] = [];
  const banner = h('div', { id: 'verification', class: 'banner pending', role: 'status', 'aria-live': 'polite', 'data-verification': 'pending' }, 'Verifying…');
  const rpcInput = h('input', { id: 'rpc', name: 'rpc', type: 'url', required: true, autocomplete: 'url', spellcheck: 'false' });
  const contractInput = h('input', { id: 'contract', name: 'contract', required: true, pattern: '0x[0-9a-fA-F]{40}', spellcheck: 'false' });
  const trustNote = h('p', { class: 'muted' });
  const operatorDefaults = h('button', { type: 'button', class: 'secondary' }, "Use the operator's defaults");
  const trustForm = h(
    'form',
    { class: 'trust', 'aria-labelledby': 'trust-heading' },
    h('h2', { id: 'trust-heading' }, 'Verify against'),
    h('label', { for: 'rpc' }, 'L1 JSON-RPC endpoint'), rpcInput,
    h('label', { for: 'contract' }, 'PlasmaCash contract'), contractInput,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Verify'), operatorDefaults),
    trustNote,
  );
  const record = h('div', { class: 'card' }, 'Loading…');
  const deposit = h('div', {}, '…');
  const owners = h('div', {}, '…');
  const exits = h('div', {}, '…');
  const leaves = h('div', {}, '…');
  const history = h('div', {}, '…');
  append(
    root,
    h('p', {}, link('#/', '← The chain')),
    h('h1', {}, `Coin ${slot}`),
    banner,
    trustForm,
    h('section', { 'aria-labelledby': 'record-heading' }, h('h2', { id: 'record-heading' }, "The operator's record"), record),
    h('section', { 'aria-labelledby': 'deposit-heading' }, h('h2', { id: 'deposit-heading' }, 'Deposit, as L1 records it'), deposit),
    h('section', { 'aria-labelledby': 'owners-heading' }, h('h2', { id: 'owners-heading' }, 'Owners over time'), owners),
    h('section', { 'aria-labelledby': 'exits-heading' }, h('h2', { id: 'exits-heading' }, 'Exits (L1 events)'), exits),
    h('section', { 'aria-labelledby': 'leaves-heading' }, h('h2', { id: 'leaves-heading' }, 'Checkpoints of this coin'), leaves),
    h('section', { 'aria-labelledby': 'history-heading' }, h('h2', { id: 'history-heading' }, 'History'), history),
  );

  let trust: Trust | undefined;
  let run = 0;
  const verify = async () => {
    if (trust === undefined) return;
    const mine = ++run;
    const started = performance.now();
    banner.className = 'banner pending';
    banner.dataset['verification'] = 'pending';
    const outcome = await verifyCoinAgainstL1({
      operatorUrl: '',
      rpcUrl: trust.rpcUrl,
      contract: trust.contract,
      slot,
      onProgress: (message) => {
        if (mine === run && !stopped) clear(banner, `Verifying: ${message}…`);
      },
    });
    if (mine !== run || stopped) return;
    const renderStarted = performance.now();
    renderOutcome(outcome);
    // The figure the bench reads: from the first L1 read to the page drawn, once the browser has painted.
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const done = performance.now();
    window.__explorerVerification = {
      slot: slot.toString(),
      ok: outcome.ok,
      ...(outcome.ok || outcome.block === undefined ? {} : { block: outcome.block.toString() }),
      ...(outcome.ok ? {} : { code: outcome.code }),
      totalMs: done - started,
      renderMs: done - renderStarted,
      l1Ms: outcome.timings.l1Ms,
      historyMs: outcome.timings.historyMs,
      verifyMs: outcome.timings.verifyMs,
      entries: outcome.entries.length,
    };
  };

  const renderOutcome = (outcome: VerifyOutcome) => {
    if (outcome.ok) {
      banner.className = 'banner verified';
      banner.dataset['verification'] = 'verified';
      clear(
        banner,
        h('strong', {}, `✔ Verified against L1 at ${outcome.rpcUrl}`),
        h('br'),
        outcome.entries.length === 0
          ? `The deposit as L1 records it; no child block is committed after it yet (L1 block ${outcome.l1Block}). Owner: `
          : `All ${outcome.entries.length} entries, through child block ${outcome.lastCommitted} (L1 block ${outcome.l1Block}), checked with client/protocol against the roots on L1. Owner: `,
        h('code', { class: 'hex wrap' }, outcome.state.owner),
      );
    } else {
      banner.className = 'banner failed';
      banner.dataset['verification'] = 'failed';
      if (outcome.block !== undefined) banner.dataset['failedBlock'] = outcome.block.toString();
      clear(
        banner,
        h('strong', {}, outcome.block === undefined ? `✘ Not verified (${outcome.code})` : `✘ Not verified: block ${outcome.block} failed (${outcome.code})`),
        h('br'),
        outcome.reason,
        h('br'),
        h('span', { class: 'muted' }, `Checked against L1 at ${outcome.rpcUrl}. Do not accept this coin on the strength of this history.`),
      );
    }
    if (outcome.coin !== undefined) {
      const c = outcome.coin;
      clear(
        deposit,
        h(
          'dl',
          {},
          h('dt', {}, 'Depositor'), h('dd', {}, link(`#/owner/${c.depositor}`, h('code', { class: 'hex wrap' }, c.depositor))),
          h('dt', {}, 'Deposit block'), h('dd', {}, c.depositBlock),
          h('dt', {}, 'Asset'), h('dd', {}, c.kind === 'eth' ? `${c.denomination} wei` : c.kind === 'erc20' ? `${c.denomination} of ${c.token}` : `${c.token} #${c.tokenId}`),
          h('dt', {}, 'State on L1'), h('dd', {}, c.state + (c.withdrawn ? ' (withdrawn)' : '')),
        ),
      );
    } else clear(deposit, h('p', {}, 'Not read: ', outcome.ok ? '' : outcome.reason));
    renderOwners(owners, outcome);
    renderHistory(history, outcome);
  };

  const readTrust = async (): Promise<void> => {
    const status = await context.status().catch(() => undefined);
    trust = currentTrust(status);
    rpcInput.value = trust?.rpcUrl ?? '';
    contractInput.value = trust?.contract ?? '';
    clear(
      trustNote,
      trust === undefined
        ? 'Choose an L1 node to verify against.'
        : trust.source === 'operator'
          ? "These are the operator's own settings: the roots come from that node, so you trust it (not the operator). Use a node you run for a check that trusts no one."
          : 'Your choice (kept in this browser).',
    );
  };
  trustForm.addEventListener('submit', (event) => {
    event.preventDefault();
    saveTrust(rpcInput.value.trim(), contractInput.value.trim());
    void readTrust().then(verify);
  });
  operatorDefaults.addEventListener('click', () => {
    forgetTrust();
    void readTrust().then(verify);
  });

  // The coin as the operator lists it; a change of its last block (a transfer) starts a new verification.
  let lastBlock: string | undefined;
  const poll = async () => {
    try {
      const coin = await getJson<CoinJson>(`/v1/coins/${slot}`);
      if (stopped) return;
      renderRecord(record, coin);
      if (coin.lastBlock !== lastBlock) {
        lastBlock = coin.lastBlock;
        await verify();
      }
    } catch (error) {
      if (stopped) return;
      clear(record, h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
      if (lastBlock === undefined) {
        lastBlock = '';
        await verify(); // L1 may know the coin even when the operator says it does not
      }
    }
  };

  // Its exits, from L1 events of this slot.
  const book = new ExitBook();
  let scanned = -1n;
  const pollExits = async () => {
    if (trust === undefined) return;
    try {
      const reader = new L1Reader(trust.rpcUrl, trust.contract);
      const head = await reader.head();
      if (scanned < head) {
        book.apply(await reader.exitGameLogs(scanned + 1n, head, slot));
        scanned = head;
      }
      if (stopped) return;
      const list = book.exitsOf(slot);
      clear(
        exits,
        list.length === 0
          ? h('p', {}, 'No exit of this coin on L1.')
          : table(['exit', 'status', 'exitor', 'parent block', 'exit block', 'finalizable at'], list.map((e) => [`#${e.nonce}`, e.status + (e.reason === undefined ? '' : ` (${e.reason})`), shortHex(e.exitor), e.parentBlock, e.exitBlock, new Date(Number(e.finalizableAt) * 1000).toLocaleString()])),
      );
    } catch (error) {
      if (!stopped) clear(exits, h('p', { class: 'error' }, error instanceof Error ? error.message : String(error)));
    }
  };

  // Its base and pending checkpoint leaves, each checked against L1 (checkpoints.ts).
  const pollLeaves = async () => {
    if (trust === undefined) return;
    try {
      const checked = await checkCoinLeaves(trust.rpcUrl, trust.contract, slot);
      if (!stopped) renderLeaves(leaves, checked, trust.rpcUrl);
    } catch (error) {
      if (!stopped) clear(leaves, h('p', { class: 'error' }, error instanceof Error ? error.message : String(error)));
    }
  };

  const every = (ms: number, task: () => Promise<void>) => {
    let running = false;
    timers.push(
      window.setInterval(() => {
        if (running || stopped) return;
        running = true;
        void task().finally(() => (running = false));
      }, ms),
    );
  };
  void readTrust().then(async () => {
    await poll();
    await pollExits();
    await pollLeaves();
    every(2000, poll);
    every(3000, pollExits);
    every(3000, pollLeaves);
  });

  return () => {
    stopped = true;
    timers.forEach((timer) => window.clearInterval(timer));
  };
}

function renderLeaves(target: HTMLElement, checked: readonly CheckedLeaf[], rpcUrl: string): void {
  if (checked.length === 0) {
    clear(target, h('p', {}, 'No checkpoint names this coin yet: a receiver checks its whole history.'));
    return;
  }
  clear(
    target,
    h('p', { class: 'muted' }, 'Each leaf proof checked here with client/protocol against the checkpoint root read from L1 at ', h('code', {}, rpcUrl), '.'),
    table(
      ['checkpoint', 'child block N', 'role', 'leaf names', 'status on L1', 'check'],
      checked.map(({ role, leaf, check }) => [
        h('span', { 'data-leaf-checkpoint': leaf.checkpoint.toString() }, leaf.checkpoint),
        link(`#/block/${leaf.block}`, leaf.block),
        role === 'base' ? 'base (history starts after it)' : 'pending',
        leaf.transaction === null
          ? 'no coin (zero leaf)'
          : h('span', {}, leaf.signature === null ? 'the deposit, to ' : `the transfer in block ${leaf.txBlock} to `, shortHex(leaf.transaction.newOwner)),
        check.l1Status ?? '—',
        check.ok
          ? h('span', { class: 'ok', 'data-leaf-check': 'verified', 'data-checkpoint': leaf.checkpoint.toString() }, '✔ verified')
          : h('span', { class: 'error', 'data-leaf-check': 'failed', 'data-checkpoint': leaf.checkpoint.toString(), title: check.reason }, `✘ ${check.code}: ${check.reason}`),
      ]),
    ),
  );
}

function renderRecord(target: HTMLElement, coin: CoinJson): void {
  clear(
    target,
    h(
      'dl',
      {},
      h('dt', {}, 'Owner'), h('dd', {}, link(`#/owner/${coin.owner}`, h('code', { class: 'hex wrap' }, coin.owner))),
      h('dt', {}, 'Last transfer block'), h('dd', {}, coin.lastBlock === coin.depositBlock ? 'none (not moved since its deposit)' : link(`#/block/${coin.lastBlock}`, coin.lastBlock)),
      h('dt', {}, 'Kind'), h('dd', {}, coin.kind),
      h('dt', {}, 'Denomination'), h('dd', {}, coin.denomination),
      h('dt', {}, 'State'), h('dd', {}, coin.state),
    ),
  );
}

/** Whether an entry was checked: before the failing block it passed, at it it failed, after it it was not reached. */
function mark(outcome: VerifyOutcome, block: bigint): { text: string; cls: string } {
  if (outcome.ok) return { text: '✔ verified', cls: 'ok' };
  if (outcome.block === undefined) return { text: 'not checked', cls: 'muted' };
  if (block < outcome.block) return { text: '✔ verified', cls: 'ok' };
  if (block === outcome.block) return { text: `✘ ${outcome.code}`, cls: 'error' };
  return { text: 'not reached', cls: 'muted' };
}

function renderOwners(target: HTMLElement, outcome: VerifyOutcome): void {
  const rows: Node[][] = [];
  if (outcome.coin !== undefined) rows.push([h('span', {}, `${outcome.coin.depositBlock} (deposit)`), link(`#/owner/${outcome.coin.depositor}`, shortHex(outcome.coin.depositor, 8)), h('span', { class: 'ok' }, 'L1 record')]);
  for (const entry of outcome.entries) {
    if (entry.kind !== 'inclusion') continue;
    const m = mark(outcome, entry.block);
    rows.push([link(`#/block/${entry.block}`, entry.block), link(`#/owner/${entry.transaction.newOwner}`, shortHex(entry.transaction.newOwner, 8)), h('span', { class: m.cls }, m.text)]);
  }
  clear(target, table(['from block', 'owner', 'check'], rows));
}

function renderHistory(target: HTMLElement, outcome: VerifyOutcome): void {
  const entries = outcome.entries;
  const failedAt = outcome.ok || outcome.block === undefined ? -1 : entries.findIndex((entry) => entry.block >= outcome.block!);
  let page = failedAt >= 0 ? Math.floor(failedAt / PAGE) : 0;
  const pages = Math.max(1, Math.ceil(entries.length / PAGE));
  const body = h('div', {});
  const previous = h('button', { type: 'button', class: 'secondary' }, '← Earlier');
  const next = h('button', { type: 'button', class: 'secondary' }, 'Later →');
  const where = h('span', { 'aria-live': 'polite' });
  const draw = () => {
    const slice = entries.slice(page * PAGE, (page + 1) * PAGE);
    clear(
      body,
      table(
        ['block', 'entry', 'transfer', 'proof', 'check'],
        slice.map((entry: HistoryEntry) => {
          const m = mark(outcome, entry.block);
          return [
            link(`#/block/${entry.block}`, entry.block),
            entry.kind,
            entry.kind === 'inclusion' ? h('span', {}, `from block ${entry.transaction.prevBlock} to `, shortHex(entry.transaction.newOwner)) : '—',
            `${(entry.proof.length - 2) / 2} bytes`,
            h('span', { class: m.cls, ...(m.cls === 'error' ? { 'data-failed-entry': entry.block.toString() } : {}) }, m.text),
          ];
        }),
      ),
    );
    clear(where, `Entries ${entries.length === 0 ? 0 : page * PAGE + 1}–${Math.min(entries.length, (page + 1) * PAGE)} of ${entries.length}`);
    previous.disabled = page === 0;
    next.disabled = page >= pages - 1;
  };
  previous.addEventListener('click', () => {
    page--;
    draw();
  });
  next.addEventListener('click', () => {
    page++;
    draw();
  });
  draw();
  clear(target, entries.length === 0 ? h('p', {}, 'No child block after the deposit yet.') : h('div', {}, h('div', { class: 'pager' }, previous, where, next), body));
}
