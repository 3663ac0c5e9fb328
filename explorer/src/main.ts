/**
 * The explorer page: a hash router over four views (the chain, a block, a coin, an owner's coins). Each view
 * polls what it shows and returns a function that stops it when the route changes.
 */
import { getJson, type StatusJson } from './api.ts';
import { clear, h } from './dom.ts';
import { blockView } from './views/block.ts';
import { chainView } from './views/chain.ts';
import { coinView } from './views/coin.ts';
import { ownerView } from './views/owner.ts';

export type Stop = () => void;

export interface Context {
  status(): Promise<StatusJson>;
}

let cachedStatus: Promise<StatusJson> | undefined;
const context: Context = {
  status: () => (cachedStatus ??= getJson<StatusJson>('/v1/status').catch((error: unknown) => {
    cachedStatus = undefined;
    throw error;
  })),
};

const view = document.getElementById('view') as HTMLElement;
let stop: Stop = () => undefined;

function route(): void {
  stop();
  cachedStatus = undefined;
  const hash = location.hash.replace(/^#\/?/, '');
  const [name = '', argument = ''] = hash.split('/');
  clear(view);
  if (name === 'block' && /^\d+$/.test(argument)) stop = blockView(view, BigInt(argument));
  else if (name === 'coin' && /^\d+$/.test(argument)) stop = coinView(view, BigInt(argument), context);
  else if (name === 'owner' && /^0x[0-9a-fA-F]{40}$/.test(argument)) stop = ownerView(view, argument.toLowerCase());
  else stop = chainView(view, context);
  document.querySelectorAll('nav a').forEach((a) => a.removeAttribute('aria-current'));
  if (name === '') document.querySelector('nav a[href="#/"]')?.setAttribute('aria-current', 'page');
}

const form = document.getElementById('search') as HTMLFormElement;
const input = document.getElementById('q') as HTMLInputElement;
const hint = document.getElementById('search-hint') as HTMLElement;
form.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = input.value.trim();
  if (/^\d+$/.test(query)) location.hash = `#/coin/${query}`;
  else if (/^0x[0-9a-fA-F]{40}$/.test(query)) location.hash = `#/owner/${query.toLowerCase()}`;
  else if (/^(block\s*|b|#)\d+$/i.test(query)) location.hash = `#/block/${query.replace(/\D/g, '')}`;
  else {
    clear(hint, h('span', { class: 'error' }, 'Enter a coin slot (digits), an owner address (0x + 40 hex digits) or "block 1000".'));
    return;
  }
  clear(hint);
});

window.addEventListener('hashchange', () => {
  route();
  view.focus({ preventScroll: true });
});
route();
