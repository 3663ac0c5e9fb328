/** The coins an address owns on the child chain, as the operator lists them (each links to its verified view). */
import { getJson, type CoinJson } from '../api.ts';
import { append, clear, h, link, table } from '../dom.ts';
import type { Stop } from '../main.ts';

export function ownerView(root: HTMLElement, owner: string): Stop {
  let stopped = false;
  const body = h('div', {}, 'Loading…');
  append(root, h('p', {}, link('#/', '← The chain')), h('h1', {}, 'Owner ', h('code', { class: 'hex wrap' }, owner)), body);
  void (async () => {
    const coins: CoinJson[] = [];
    let after: string | undefined;
    do {
      const page = await getJson<{ coins: CoinJson[]; next?: string }>(`/v1/owners/${owner}/coins${after === undefined ? '' : `?after=${after}`}`);
      coins.push(...page.coins);
      after = page.next;
    } while (after !== undefined && !stopped);
    if (stopped) return;
    clear(
      body,
      h('p', {}, `${coins.length} coin${coins.length === 1 ? '' : 's'}, as the operator lists them; open one to verify its history against L1.`),
      table(['slot', 'kind', 'denomination', 'last block', 'state'], coins.map((coin) => [link(`#/coin/${coin.slot}`, coin.slot), coin.kind, coin.denomination, coin.lastBlock, coin.state])),
    );
  })().catch((error: unknown) => {
    if (!stopped) clear(body, h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
  });
  return () => {
    stopped = true;
  };
}
