/** The operator's HTTP API (PROTOCOL.md §9), same origin as the page. Only what the page reads. */

export interface StatusJson {
  readonly healthy: boolean;
  readonly lastCommittedBlock: string | null;
  readonly pendingCount: number | null;
  readonly l1: { readonly healthy: boolean; readonly head: string | null; readonly error?: string } | null;
  readonly chain?: { readonly chainId: string; readonly contract: string; readonly l1Rpc: string | null; readonly l1StartBlock: string };
}

export interface BlockJson {
  readonly number: string;
  readonly root: string;
  readonly txCount: number;
  readonly status: string;
  readonly l1TxHash: string | null;
  readonly createdAt: string;
}

export interface CoinJson {
  readonly slot: string;
  readonly owner: string;
  readonly denomination: string;
  readonly kind: string;
  readonly token: string;
  readonly tokenId: string;
  readonly depositor: string;
  readonly depositBlock: string;
  readonly lastBlock: string;
  readonly state: string;
}

export interface BlockTransactionsJson {
  readonly block: string;
  readonly transactions: { slot: string; prevBlock: string; denomination: string; newOwner: string; signature: string; digest: string }[];
  readonly next?: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  // /v1/status answers 503 with its usual body when a dependency is down: the page shows that body.
  if (!response.ok && !(response.status === 503 && path === '/v1/status')) {
    let code = 'http_error';
    let message = `HTTP ${response.status} for ${path}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, code, message);
  }
  return (await response.json()) as T;
}

export async function getText(path: string): Promise<string> {
  const response = await fetch(path);
  if (!response.ok) throw new ApiError(response.status, 'http_error', `HTTP ${response.status} for ${path}`);
  return response.text();
}
