/** One child block: its record and its transfers, a page at a time (keyset paging by slot). */
import { ApiError, getJson, type BlockJson, type BlockTransactionsJson } from '../api.ts';
import { append, clear, h, link, shortHex, table } from '../dom.ts';
import type { Stop } from '../main.ts';

const PAGE = 50;

export function blockView(root: HTMLElement, number: bigint): Stop {
  let stopped = false;
  const heading = h('h1', {}, `Block ${number}`);
  const record = h('div', { class: 'card' }, 'Loading…');
  const transfers = h('section', { 'aria-labelledby': 'transfers-heading' }, h('h2', { id: 'transfers-heading' }, 'Transfers'));
  const list = h('div', {});
  const more = h('button', { type: 'button', hidden: true }, 'Next page');
  append(transfers, list, more);
  append(root, h('p', {}, link('#/', '← The chain')), heading, record, transfers);

  let after: string | undefined;
  let shown = 0;
  const loadPage = async () => {
    more.disabled = true;
    const page = await getJson<BlockTransactionsJson>(`/v1/blocks/${number}/transactions?limit=${PAGE}${after === undefined ? '' : `&after=${after}`}`);
    if (stopped) return;
    const start = shown;
    shown += page.transactions.length;
    clear(
      list,
      page.transactions.length === 0 && start === 0
        ? h('p', {}, 'No transfers in this block (an empty block keeps deposits open).')
        : table(
            ['slot', 'previous block', 'new owner', 'denomination', 'digest'],
            page.transactions.map((tx) => [link(`#/coin/${tx.slot}`, tx.slot), link(`#/block/${tx.prevBlock}`, tx.prevBlock), link(`#/owner/${tx.newOwner}`, shortHex(tx.newOwner)), tx.denomination, shortHex(tx.digest)]),
            `Transfers ${start + 1}–${shown}`,
          ),
    );
    after = page.next;
    more.hidden = page.next === undefined;
    more.disabled = false;
  };
  more.addEventListener('click', () => void loadPage().catch(showError));
  const showError = (error: unknown) => {
    if (!stopped) clear(record, h('p', { class: 'error', role: 'alert' }, error instanceof ApiError ? error.message : String(error)));
  };

  void (async () => {
    const block = await getJson<BlockJson>(`/v1/blocks/${number}`);
    if (stopped) return;
    clear(
      record,
      h(
        'dl',
        {},
        h('dt', {}, 'Transfers'), h('dd', {}, block.txCount),
        h('dt', {}, 'Root'), h('dd', {}, h('code', { class: 'hex wrap' }, block.root)),
        h('dt', {}, 'Status'), h('dd', {}, block.status),
        h('dt', {}, 'L1 transaction'), h('dd', {}, block.l1TxHash === null ? '—' : h('code', { class: 'hex wrap' }, block.l1TxHash)),
        h('dt', {}, 'Built'), h('dd', {}, new Date(block.createdAt).toLocaleString()),
      ),
    );
    await loadPage();
  })().catch(showError);
  return () => {
    stopped = true;
  };
}
