/**
 * Whom the page trusts for L1: a JSON-RPC endpoint and the PlasmaCash address. Defaults come from the operator
 * (/v1/status names the node it is configured with) and are shown as such; the user's choice, from the form or
 * `?rpc=…&contract=…`, is kept in localStorage and wins.
 */
import { parseAddress, type Address } from '../../client/protocol/index.ts';
import type { StatusJson } from './api.ts';

export interface Trust {
  readonly rpcUrl: string;
  readonly contract: Address;
  /** Where the values came from: the user, or the operator's defaults. */
  readonly source: 'user' | 'operator';
}

const KEY = 'plasma-explorer.trust';

export function currentTrust(status: StatusJson | undefined): Trust | undefined {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('rpc');
  const contractFromUrl = params.get('contract');
  const stored = readStored();
  const rpcUrl = fromUrl ?? stored?.rpcUrl ?? status?.chain?.l1Rpc ?? undefined;
  const contractText = contractFromUrl ?? stored?.contract ?? status?.chain?.contract;
  if (rpcUrl === undefined || rpcUrl === null || contractText === undefined) return undefined;
  let contract: Address;
  try {
    contract = parseAddress(contractText, 'contract');
  } catch {
    return undefined;
  }
  return { rpcUrl, contract, source: fromUrl !== null || stored !== undefined ? 'user' : 'operator' };
}

export function saveTrust(rpcUrl: string, contract: string): void {
  localStorage.setItem(KEY, JSON.stringify({ rpcUrl, contract }));
}

export function forgetTrust(): void {
  localStorage.removeItem(KEY);
}

function readStored(): { rpcUrl: string; contract: string } | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { rpcUrl?: unknown }).rpcUrl === 'string' && typeof (value as { contract?: unknown }).contract === 'string') {
      return value as { rpcUrl: string; contract: string };
    }
  } catch {
    // a corrupt entry is ignored
  }
  return undefined;
}
