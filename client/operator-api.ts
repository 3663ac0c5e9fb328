/**
 * The wallet's HTTP client for the operator (PROTOCOL.md §9). Every answer is parsed with the strict wire
 * parsers of client/protocol: nothing the operator says is trusted until it is checked against L1.
 *
 * Histories and packages are asked for in the compact binary form first (`Accept: application/octet-stream`,
 * client/protocol/package-binary.ts: about half the bytes of the JSON); an operator (or proxy) that answers JSON
 * is read as JSON, so older operators work unchanged.
 */
import {
  decodePackage,
  isCheckpointForm,
  PACKAGE_MEDIA_TYPE,
  PlasmaError,
  type DecodedPackage,
  checkpointHistoryResponseToJson,
  historyEntryToJson,
  parseCheckpointHistoryResponseJson,
  parseCheckpointLeafObjectJson,
  parseCheckpointObjectJson,
  type CheckpointHistoryResponse,
  type CheckpointHistoryResponseJson,
  type CheckpointLeafObject,
  type CheckpointObject,
  parseCoinHistoryResponseJson,
  parseHistoryEntryJson,
  signedTransactionToJson,
  type CoinHistoryResponse,
  type CoinHistoryResponseJson,
  type Hash,
  type Hex,
  type HistoryEntry,
  type Transaction,
} from './protocol/index.ts';

/**
 * The operator did not answer, or answered with an error. `code` is 'operator_unreachable' or 'operator_error';
 * the operator's own error code (or 'bad_response', 'http_error') is `serverCode`.
 */
export class OperatorApiError extends PlasmaError {
  override name = 'OperatorApiError';
  declare readonly code: 'operator_unreachable' | 'operator_error';
  readonly status: number;
  readonly serverCode: string;

  constructor(status: number, serverCode: string, message: string) {
    super(serverCode === 'unreachable' ? 'operator_unreachable' : 'operator_error', message);
    this.status = status;
    this.serverCode = serverCode;
  }
}

export type SubmitResult =
  | { readonly status: 'accepted'; readonly digest: Hash }
  | { readonly status: 'rejected'; readonly error: { readonly code: string; readonly message: string } };

export interface OperatorCoin {
  readonly slot: bigint;
  readonly owner: string;
  readonly denomination: bigint;
  readonly state: string;
  readonly depositBlock: bigint;
  readonly lastBlock: bigint;
}

export class OperatorApi {
  readonly baseUrl: string;
  readonly timeoutMs: number;

  constructor(baseUrl: string, timeoutMs = 30_000) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new OperatorApiError(0, 'unreachable', `operator at ${this.baseUrl} is unreachable (${(cause as Error).message})`);
    }
  }

  async #request(path: string, init: RequestInit = {}): Promise<unknown> {
    return this.#readJson(path, await this.#fetch(path, init));
  }

  /**
   * A history route, binary preferred: the decoded package, or the JSON body when the server answered JSON (an
   * operator without the binary form, or a proxy that drops Accept). Errors are JSON either way.
   */
  async #requestPackage(path: string): Promise<{ readonly binary: DecodedPackage } | { readonly json: unknown }> {
    const response = await this.#fetch(path, { headers: { accept: `${PACKAGE_MEDIA_TYPE}, application/json;q=0.5` } });
    if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith(PACKAGE_MEDIA_TYPE)) return { json: await this.#readJson(path, response) };
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (cause) {
      throw new OperatorApiError(0, 'unreachable', `operator at ${this.baseUrl} broke off ${path} (${(cause as Error).message})`);
    }
    try {
      return { binary: decodePackage(bytes) };
    } catch (error) {
      throw new OperatorApiError(response.status, 'bad_response', `operator answered ${path} with a binary package that cannot be read: ${(error as Error).message}`);
    }
  }

  async #historyPage(path: string): Promise<CoinHistoryResponse> {
    const answer = await this.#requestPackage(path);
    return 'binary' in answer ? answer.binary : parseCoinHistoryResponseJson(answer.json);
  }

  async #readJson(path: string, response: Response): Promise<unknown> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new OperatorApiError(response.status, 'bad_response', `operator answered ${path} with ${response.status} and no JSON`);
    }
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      throw new OperatorApiError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status} on ${path}`);
    }
    return body;
  }

  async status(): Promise<Record<string, unknown>> {
    return (await this.#request('/v1/status')) as Record<string, unknown>;
  }

  /** The operator's record of a coin, or undefined when it does not know the slot (yet). */
  async coin(slot: bigint): Promise<OperatorCoin | undefined> {
    try {
      const body = (await this.#request(`/v1/coins/${slot}`)) as Record<string, string>;
      return {
        slot: BigInt(body['slot']!),
        owner: body['owner']!.toLowerCase(),
        denomination: BigInt(body['denomination']!),
        state: body['state']!,
        depositBlock: BigInt(body['depositBlock']!),
        lastBlock: BigInt(body['lastBlock']!),
      };
    } catch (error) {
      if (error instanceof OperatorApiError && error.serverCode === 'unknown_coin') return undefined;
      throw error;
    }
  }

  async submit(tx: Transaction, signature: Hex): Promise<SubmitResult> {
    const body = (await this.#request('/v1/transactions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signedTransactionToJson(tx, signature)),
    })) as { results: SubmitResult[] };
    const [result] = body.results;
    if (result === undefined) throw new OperatorApiError(200, 'bad_response', 'operator answered a transfer with no result');
    return result;
  }

  /** A coin's whole history in [from, to], following the operator's `next` pages. */
  async history(slot: bigint, from?: bigint, to?: bigint): Promise<CoinHistoryResponse> {
    const entries: HistoryEntry[] = [];
    let cursor = from;
    for (;;) {
      const query = new URLSearchParams();
      if (cursor !== undefined) query.set('from', cursor.toString());
      if (to !== undefined) query.set('to', to.toString());
      const page = await this.#historyPage(`/v1/coins/${slot}/history?${query}`);
      entries.push(...page.entries);
      if (page.next === undefined) return { slot: page.slot, deposit: page.deposit, lastCommittedBlock: page.lastCommittedBlock, entries };
      cursor = page.next;
    }
  }

  /**
   * The coin's package since its base (`GET /v1/coins/:slot/history?since=checkpoint`, docs/CHECKPOINTS.md §6),
   * following `next` pages; undefined when the operator serves no checkpoint routes (an operator without
   * checkpoints: the caller falls back to the whole history).
   */
  async historySinceCheckpoint(slot: bigint): Promise<CheckpointHistoryResponse | undefined> {
    let answer: { readonly binary: DecodedPackage } | { readonly json: unknown };
    try {
      answer = await this.#requestPackage(`/v1/coins/${slot}/history?since=checkpoint`);
    } catch (error) {
      if (isNoRoute(error)) return undefined;
      throw error;
    }
    let first: CheckpointHistoryResponse;
    if ('binary' in answer) {
      // An operator that ignores `since` answers the whole history: the plain form.
      if (!isCheckpointForm(answer.binary)) return undefined;
      first = answer.binary;
    } else {
      const body = answer.json;
      if (typeof body === 'object' && body !== null && !('pending' in body) && !('checkpoint' in body)) return undefined;
      first = parseCheckpointHistoryResponseJson(body);
    }
    if (first.next === undefined) return first;
    const entries: HistoryEntry[] = [...first.entries];
    let cursor: bigint | undefined = first.next;
    while (cursor !== undefined) {
      const page = await this.#historyPage(`/v1/coins/${slot}/history?from=${cursor}&to=${first.lastCommittedBlock}`);
      entries.push(...page.entries);
      cursor = page.next;
    }
    return { slot: first.slot, deposit: first.deposit, lastCommittedBlock: first.lastCommittedBlock, entries, checkpoint: first.checkpoint, pending: first.pending };
  }

  /** `GET /v1/checkpoints/:id` (or `latest`); undefined when there is none. */
  async checkpoint(id: bigint | 'latest'): Promise<CheckpointObject | undefined> {
    try {
      return parseCheckpointObjectJson(await this.#request(`/v1/checkpoints/${id}`));
    } catch (error) {
      if (error instanceof OperatorApiError && (error.serverCode === 'unknown_checkpoint' || isNoRoute(error))) return undefined;
      throw error;
    }
  }

  /**
   * The coin's leaf in checkpoint `k` (`/v1/checkpoints/:k/coins/:slot`), or its base (`/v1/coins/:slot/checkpoint`)
   * when `k` is omitted; undefined when there is none (no_checkpoint, unknown_checkpoint).
   */
  async coinCheckpoint(slot: bigint, k?: bigint): Promise<CheckpointLeafObject | undefined> {
    const path = k === undefined ? `/v1/coins/${slot}/checkpoint` : `/v1/checkpoints/${k}/coins/${slot}`;
    try {
      return parseCheckpointLeafObjectJson(await this.#request(path));
    } catch (error) {
      if (error instanceof OperatorApiError && (error.serverCode === 'no_checkpoint' || error.serverCode === 'unknown_checkpoint' || isNoRoute(error))) return undefined;
      throw error;
    }
  }

  /** The inclusion or exclusion proof of `slot` at child block `block`; undefined when the operator has none. */
  async proof(slot: bigint, block: bigint): Promise<HistoryEntry | undefined> {
    try {
      return parseHistoryEntryJson(await this.#request(`/v1/coins/${slot}/proofs/${block}`));
    } catch (error) {
      if (error instanceof OperatorApiError && (error.serverCode === 'unknown_block' || error.serverCode === 'unknown_coin')) return undefined;
      throw error;
    }
  }
}

/**
 * What a sender hands the receiver (§9 JSON): the `?since=checkpoint` answer (a base leaf or null, the history
 * after it, the pending leaves), or, from an operator without checkpoints, the coin's whole history.
 */
export type CoinPackage = CoinHistoryResponseJson | CheckpointHistoryResponseJson;

/** Whether a package is a `?since=checkpoint` one. */
export function isCheckpointPackage(pkg: CoinPackage): pkg is CheckpointHistoryResponseJson {
  return 'pending' in pkg || 'checkpoint' in pkg;
}

export function checkpointHistoryToPackage(history: CheckpointHistoryResponse): CheckpointHistoryResponseJson {
  return checkpointHistoryResponseToJson(history);
}

/** The operator has no such route (an operator built before checkpoints): a 404 that is not a known code. */
function isNoRoute(error: unknown): boolean {
  return error instanceof OperatorApiError && error.status === 404 && (error.serverCode === 'not_found' || error.serverCode === 'http_error' || error.serverCode === 'bad_response' || error.serverCode === 'unknown_route');
}

export function historyToPackage(history: CoinHistoryResponse): CoinPackage {
  return {
    slot: history.slot.toString(),
    deposit: { block: history.deposit.block.toString(), owner: history.deposit.owner, denomination: history.deposit.denomination.toString() },
    lastCommittedBlock: history.lastCommittedBlock.toString(),
    entries: history.entries.map(historyEntryToJson),
  };
}
