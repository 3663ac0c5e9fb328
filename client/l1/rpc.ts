// A minimal JSON-RPC client over fetch: the follower and committer need a handful of methods, raw answers and
// the node's error messages ("already known", "nonce too low"), which a provider library would wrap away.

import { PlasmaError } from '../protocol/index.ts';

/** The node answered with a JSON-RPC error (or a non-2xx status). */
export class RpcError extends PlasmaError {
  override name = 'RpcError';
  declare readonly code: 'rpc_error';
  /** The node's JSON-RPC error code (or the HTTP status). */
  readonly rpcCode: number;
  readonly data: unknown;

  constructor(method: string, rpcCode: number, message: string, data: unknown) {
    super('rpc_error', `${method}: ${message} (code ${rpcCode})`);
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

interface RpcAnswer {
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

export class JsonRpc {
  readonly url: string;
  /** Each request is abandoned after this long: a node that accepts connections but never answers must not
   *  hold the follower or the block loop for fetch's own 5-minute header timeout. */
  readonly timeoutMs: number;
  #id = 0;

  constructor(url: string, options: { readonly timeoutMs?: number } = {}) {
    this.url = url;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.#id, method, params }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new RpcError(method, response.status, `HTTP ${response.status} from ${this.url}`, undefined);
    const answer = (await response.json()) as RpcAnswer;
    if (answer.error) throw new RpcError(method, answer.error.code, answer.error.message, answer.error.data);
    return answer.result as T;
  }

  async blockNumber(): Promise<bigint> {
    return BigInt(await this.request<string>('eth_blockNumber'));
  }

  async chainId(): Promise<bigint> {
    return BigInt(await this.request<string>('eth_chainId'));
  }
}

/** One entry of an eth_getLogs answer, as the node sends it. */
export interface RpcLog {
  readonly blockNumber: string;
  readonly transactionHash: `0x${string}`;
  readonly logIndex: string;
  /** The hash of the block the log is in (the operator's follower keeps it to notice reorgs). */
  readonly blockHash?: string;
  readonly topics: string[];
  readonly data: string;
  readonly removed?: boolean;
}

export const quantity = (value: bigint): `0x${string}` => `0x${value.toString(16)}`;

/**
 * What a node's error answer to eth_sendRawTransaction means for a sender that signs its own transactions:
 * 'known' (it has these bytes already), 'nonce_used' (a transaction with this nonce was mined: the receipt, or
 * the state on L1, tells whose), 'underpriced' (it holds another version at this nonce at a higher price, or
 * wants a higher price). Undefined for any other refusal (not enough funds, a malformed transaction, a fee cap).
 */
export function sendRefusal(message: string): 'known' | 'nonce_used' | 'underpriced' | undefined {
  if (/already known|known transaction|already imported/i.test(message)) return 'known';
  if (/nonce too low|nonce.*already been used|NonceTooLow/i.test(message)) return 'nonce_used';
  if (/underpriced|fee too low/i.test(message)) return 'underpriced';
  return undefined;
}
