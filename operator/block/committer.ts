/**
 * Commits persisted blocks to L1 with `submitBlock(root, number)`, crash-safe by bookkeeping:
 *
 *   persisted ─sign→ signed (raw EIP-1559 bytes + hash stored) ─send→ broadcast ─receipt at depth→ confirmed
 *
 * The raw transaction is stored before it leaves, so after a crash the SAME bytes are re-broadcast (same nonce,
 * same hash): at most one of them can ever be mined, and the contract rejects a repeated number besides. Before
 * every step the contract's `childBlockRoot(number)` is read: equal to ours means committed; a different
 * non-zero root means L1 and the database disagree, and the committer stops rather than overwrite anything.
 * Blocks are driven one at a time in ascending order, so nonces follow block numbers.
 *
 * Reorgs: a block counted as confirmed can still vanish from L1 in a reorg deeper than the confirmation depth.
 * `reconcile()` (run by resume() and by the block loop on every pass) compares the database with the contract's
 * nextChildBlock and puts every confirmed block that L1 no longer holds back to `broadcast`: its stored bytes
 * are sent again (same nonce: valid again after the reorg) or, when that nonce went to another transaction,
 * the block is signed again. A submission that reverted because an earlier block is missing on L1 throws
 * BlockGapError, so the caller resumes from the lowest missing block instead of retrying a doomed transaction.
 */
import { Wallet } from 'ethers';
import { bytesToHex, hexToBytes, PlasmaError, ZERO_HASH, type Address, type Hash, type Hex } from '../../client/protocol/index.ts';
import type { BlockCommitState, Store } from '../db/store.ts';
import { childBlockRoot, nextChildBlock, plasmaCashInterface } from '../../client/l1/contract.ts';
import { RpcError, sendRefusal, type JsonRpc } from '../../client/l1/rpc.ts';
import { currentFees, replacementFees, worthReplacing, type Fees } from '../../client/l1/fees.ts';
import { signCall, signedNonceAndFees, type SignedTransaction } from '../../client/l1/sign.ts';

export interface BlockCommitterOptions {
  readonly rpc: JsonRpc;
  readonly store: Store;
  readonly contract: Address;
  readonly operatorKey: Hex;
  /** L1 blocks on top of the receipt's block before a block counts as confirmed. Default 2. */
  readonly confirmations?: number;
  readonly pollIntervalMs?: number;
  /** Gas limit of submitBlock (about 50k used: one new storage slot and an event). Default 150,000. */
  readonly gasLimit?: bigint;
  /** Give up waiting for one block's confirmation after this long (the block stays resumable). Default 10 min. */
  readonly timeoutMs?: number;
  /** A submission pending this long is signed again, same nonce, higher fees (client/l1/fees.ts). Default 60 s. */
  readonly replaceAfterMs?: number;
  /**
   * The chain's fees (eth_feeHistory, eth_maxPriorityFeePerGas) are read again for a new submission once this old;
   * within it, blocks signed one after another reuse them (two RPCs fewer per block). Default 1 s. A replacement
   * always reads them afresh.
   */
  readonly feesMaxAgeMs?: number;
  readonly log?: (line: string) => void;
}

/** L1 holds a different root for a number the operator persisted: never overwritten, needs a human. */
export class L1RootConflictError extends PlasmaError {
  override name = 'L1RootConflictError';
  declare readonly code: 'l1_root_conflict';
  readonly block: bigint;
  readonly l1Root: Hash;
  readonly storedRoot: Hash;

  constructor(block: bigint, l1Root: Hash, storedRoot: Hash) {
    super('l1_root_conflict', `L1 holds root ${l1Root} for child block ${block}, the database ${storedRoot}: refusing to continue`);
    this.block = block;
    this.l1Root = l1Root;
    this.storedRoot = storedRoot;
  }
}

/** L1 lacks an earlier child block, so `block` cannot be committed yet: resume() commits the gap first. */
export class BlockGapError extends PlasmaError {
  override name = 'BlockGapError';
  declare readonly code: 'block_gap';
  readonly block: bigint;
  readonly nextOnL1: bigint;

  constructor(block: bigint, nextOnL1: bigint) {
    super('block_gap', `child block ${block} cannot be committed: L1 expects ${nextOnL1} next (an earlier block is missing on L1, e.g. after a reorg)`);
    this.block = block;
    this.nextOnL1 = nextOnL1;
  }
}

/** What the blocks table keeps of a signed submission. */
const stored = (tx: SignedTransaction): { rawTx: Uint8Array; txHash: Uint8Array } => ({ rawTx: hexToBytes(tx.raw, 'rawTx'), txHash: hexToBytes(tx.hash, 'txHash') });

/** Where a stored call stands: nothing signed yet, signed (bytes stored), sent, or its effect confirmed on L1. */
export type StoredCallStatus = 'persisted' | 'signed' | 'broadcast' | 'confirmed';

export interface StoredCallState {
  readonly status: StoredCallStatus;
  readonly rawTx?: Uint8Array;
  readonly txHash?: Hash;
}

/**
 * One L1 call the operator makes with the store-then-send bookkeeping above: a child block's submitBlock (the
 * committer's own), a checkpoint's submitCheckpoint (operator/checkpoint/submitter.ts). The committer drives it;
 * the call says where its state is kept and how to tell that L1 holds its effect.
 */
export interface StoredCall {
  /** Log prefix: "block 1000", "checkpoint 3". */
  readonly label: string;
  readonly data: Hex;
  readonly gasLimit: bigint;
  load(): Promise<StoredCallState>;
  save(status: StoredCallStatus, l1?: { readonly rawTx?: Uint8Array; readonly txHash?: Uint8Array }): Promise<void>;
  /** True once L1 holds the call's effect; throws when L1 holds something else in its place (needs a human). */
  onL1(): Promise<boolean>;
  /** Throws when L1 cannot take the call now (signing would buy a reverted transaction): before signing, after a revert. */
  checkReady?(): Promise<void>;
}

export class BlockCommitter {
  readonly #o: BlockCommitterOptions;
  readonly #signer: Wallet;
  readonly address: Address;
  readonly #confirmations: bigint;
  #chainId: bigint | undefined;
  /** Signing and the first send of every stored call, one at a time: two calls never read the same pending nonce. */
  #sending: Promise<unknown> = Promise.resolve();
  /** The fees last read for a new submission, and when (feesMaxAgeMs). */
  #fees: { readonly fees: Fees; readonly at: number } | undefined;

  constructor(options: BlockCommitterOptions) {
    this.#o = options;
    hexToBytes(options.operatorKey, 'operatorKey'); // a malformed key fails here, with its name
    this.#signer = new Wallet(options.operatorKey);
    this.address = this.#signer.address.toLowerCase() as Address;
    this.#confirmations = BigInt(options.confirmations ?? 2);
  }

  /**
   * Confirmed blocks that L1 no longer holds (a reorg dropped their submitBlock) go back to `broadcast`, to be
   * sent again by the next commit/resume. Resolves with their numbers (usually none: one eth_call).
   */
  async reconcile(): Promise<bigint[]> {
    const next = await nextChildBlock(this.#o.rpc, this.#o.contract);
    const dropped = await this.#o.store.reopenBlocksFrom(next);
    if (dropped.length > 0) this.#log(`blocks ${dropped.join(', ')} are confirmed in the database but not on L1 (nextChildBlock ${next}): committing them again`);
    return dropped;
  }

  /** Drives every block that is not confirmed yet, ascending (after reconcile()); resolves with their numbers. */
  async resume(): Promise<bigint[]> {
    await this.reconcile();
    // A 'built' block has no root yet (builder.ts finishes it first): it and every block after it wait.
    const numbers = await this.#o.store.blocksToCommit();
    for (const number of numbers) await this.commit(number);
    return numbers;
  }

  /** Takes one block from wherever it stands to confirmed. */
  commit(number: bigint): Promise<void> {
    return this.commitCall(this.#blockCall(number));
  }

  /** persisted → signed: the raw transaction and its hash are durable before anything is sent. */
  sign(number: bigint): Promise<Hash> {
    return this.signCall(this.#blockCall(number));
  }

  /** signed|broadcast → broadcast: sends the stored bytes; a node that already has them is fine. */
  broadcast(number: bigint): Promise<void> {
    return this.broadcastCall(this.#blockCall(number));
  }

  /**
   * Waits for the stored transaction's receipt at the confirmation depth, then marks the block confirmed.
   * 'resign' when the transaction's nonce was consumed by something else while the block is not on L1.
   */
  awaitConfirmation(number: bigint, deadline?: number): Promise<'confirmed' | 'resign'> {
    return this.awaitCallConfirmation(this.#blockCall(number), deadline);
  }

  /** Takes one stored call from wherever it stands to confirmed (its effect on L1 at the confirmation depth). */
  async commitCall(call: StoredCall): Promise<void> {
    const deadline = Date.now() + (this.#o.timeoutMs ?? 600_000);
    for (;;) {
      const state = await call.load();
      if (state.status === 'confirmed') return;
      let sent: StoredCallState;
      const onL1 = await call.onL1();
      if (state.status === 'persisted') {
        if (onL1) {
          // Done already (a crash after the receipt, before our bookkeeping had the bytes): nothing to send.
          await call.save('confirmed');
          return;
        }
        await call.checkReady?.();
        // Loaded again inside: a second commit of the same call that waited here finds it signed and signs nothing.
        sent = await this.#exclusive(async () => {
          const signed = await this.#sign(call, await call.load());
          await this.#broadcast(call, signed);
          return signed;
        });
      } else {
        await this.#broadcast(call, state);
        sent = state;
      }
      const outcome = await this.#awaitConfirmation(call, sent, deadline);
      if (outcome === 'confirmed') return;
      // Our nonce went to another transaction and the call is not on L1: sign again with a fresh nonce.
      this.#log(`${call.label}: stored L1 transaction can no longer be mined, signing it again`);
      await call.save('persisted');
    }
  }

  /** Runs `work` with no other call signing or sending its first version meanwhile. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#sending.then(work);
    this.#sending = run.catch(() => {});
    return run;
  }

  /** persisted → signed: the raw transaction and its hash are durable before anything is sent. */
  async signCall(call: StoredCall): Promise<Hash> {
    return (await this.#sign(call, await call.load())).txHash!;
  }

  /** signCall from `state`, the call's state as just loaded; resolves with the state it leaves (signed). */
  async #sign(call: StoredCall, state: StoredCallState): Promise<StoredCallState> {
    if (state.status !== 'persisted') throw new Error(`${call.label} is ${state.status}, not persisted`);
    const { rpc } = this.#o;
    const chainId = await this.#chain();
    const nonce = BigInt(await rpc.request<string>('eth_getTransactionCount', [this.address, 'pending']));
    const tx = await this.#signFor(call, chainId, nonce, await this.#newSubmissionFees());
    const hash = tx.hash;
    await call.save('signed', stored(tx));
    this.#log(`${call.label}: signed ${hash} (nonce ${nonce})`);
    return { status: 'signed', ...stored(tx), txHash: hash };
  }

  /** The chain's fees for a new submission: read at most once per feesMaxAgeMs (default 1 s). */
  async #newSubmissionFees(): Promise<Fees> {
    const now = Date.now();
    if (this.#fees !== undefined && now - this.#fees.at < (this.#o.feesMaxAgeMs ?? 1000)) return this.#fees.fees;
    const fees = await currentFees(this.#o.rpc);
    this.#fees = { fees, at: now };
    return fees;
  }

  #signFor(call: StoredCall, chainId: bigint, nonce: bigint, fees: Fees): Promise<SignedTransaction> {
    return signCall(this.#signer, chainId, nonce, { to: this.#o.contract, data: call.data, value: 0n, gasLimit: call.gasLimit }, fees);
  }

  #blockCall(number: bigint): StoredCall {
    const store = this.#o.store;
    let root: Hash | undefined;
    const load = async (): Promise<BlockCommitState> => {
      const block = await store.blockCommitState(number);
      root = block.root;
      return block;
    };
    const state = async (): Promise<StoredCallState> => {
      const block = await load();
      return { ...block, status: block.status as StoredCallStatus };
    };
    return {
      label: `block ${number}`,
      get data(): Hex {
        if (root === undefined) throw new Error(`block ${number}: loaded before it is signed`);
        return plasmaCashInterface().encodeFunctionData('submitBlock', [root, number]) as Hex;
      },
      gasLimit: this.#o.gasLimit ?? 150_000n,
      load: state,
      save: (status, l1) => store.setBlockStatus(number, status, l1),
      // The root never changes once persisted: the one loaded last serves (a call is loaded before anything else).
      onL1: async () => this.#checkL1(root === undefined ? await load() : { number, root }),
      checkReady: async () => {
        // Signing for a number L1 cannot take yet would only buy a reverted transaction.
        const next = await nextChildBlock(this.#o.rpc, this.#o.contract);
        if (next < number) throw new BlockGapError(number, next);
      },
    };
  }

  /**
   * broadcast → broadcast with a new version: the stored submission has been pending for replaceAfterMs. If its
   * fees fell below what the chain asks (fees.ts `worthReplacing`), the same nonce is signed again with higher
   * fees, stored, then sent; if the old version is mined after all, the nonce moves on and the effect on L1
   * confirms the call just the same. If price cannot be why it is pending, the same bytes are sent again. A
   * replacement the node refuses outright (a fee cap, the balance) is forgotten: the stored version stays.
   */
  async #replace(call: StoredCall, state: StoredCallState): Promise<StoredCallState> {
    const chainId = await this.#chain();
    const pending = signedNonceAndFees(bytesToHex(state.rawTx!));
    const last = pending.fees;
    const now = await currentFees(this.#o.rpc);
    if (!worthReplacing(last, now)) {
      this.#log(`${call.label}: ${state.txHash} pending for ${this.#replaceAfterMs} ms at ${last.maxFeePerGas} wei, at least twice the chain's price: sent again as it is`);
      await this.broadcastCall(call);
      return state;
    }
    const fees = replacementFees(last, now);
    const tx = await this.#signFor(call, chainId, pending.nonce, fees);
    const hash = tx.hash;
    await call.save('broadcast', stored(tx));
    this.#log(`${call.label}: ${state.txHash} pending for ${this.#replaceAfterMs} ms; replaced by ${hash} (nonce ${pending.nonce}, max fee ${fees.maxFeePerGas} wei, tip ${fees.maxPriorityFeePerGas} wei)`);
    try {
      await this.broadcastCall(call);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error; // no answer: the node may have it; keep it stored
      await call.save('broadcast', { rawTx: state.rawTx!, txHash: hexToBytes(state.txHash!, 'hash') });
      this.#log(`${call.label}: the node refused the replacement ${hash} (${error.message}); keeping ${state.txHash}`);
      return state;
    }
    return call.load();
  }

  get #replaceAfterMs(): number {
    return this.#o.replaceAfterMs ?? 60_000;
  }

  /** signed|broadcast → broadcast: sends the stored bytes; a node that already has them is fine. */
  async broadcastCall(call: StoredCall): Promise<void> {
    await this.#broadcast(call, await call.load());
  }

  /** broadcastCall from `state`, the call's state as just loaded. */
  async #broadcast(call: StoredCall, state: StoredCallState): Promise<void> {
    if (state.rawTx === undefined) throw new Error(`${call.label} has no signed L1 transaction`);
    try {
      await this.#o.rpc.request('eth_sendRawTransaction', [bytesToHex(state.rawTx)]);
    } catch (error) {
      // Every refusal sendRefusal names needs no action here: the node has the bytes, the receipt or the effect on
      // L1 tells who used the nonce, and an underpriced submission is replaced with higher fees after replaceAfterMs.
      if (!(error instanceof RpcError)) throw error;
      const refusal = sendRefusal(error.message);
      if (refusal === undefined) throw error;
      if (refusal === 'underpriced') this.#log(`${call.label}: the node calls ${state.txHash} underpriced (${error.message}); it is replaced with higher fees after ${this.#replaceAfterMs} ms`);
    }
    if (state.status === 'signed') await call.save('broadcast');
  }

  /**
   * Waits for the stored transaction's receipt at the confirmation depth, then marks the call confirmed.
   * 'resign' when the transaction's nonce was consumed by something else while the call is not on L1.
   */
  async awaitCallConfirmation(call: StoredCall, deadline = Date.now() + (this.#o.timeoutMs ?? 600_000)): Promise<'confirmed' | 'resign'> {
    return this.#awaitConfirmation(call, await call.load(), deadline);
  }

  /** awaitCallConfirmation from `state`, the call's state as just loaded. */
  async #awaitConfirmation(call: StoredCall, loaded: StoredCallState, deadline: number): Promise<'confirmed' | 'resign'> {
    const { rpc } = this.#o;
    let state = loaded;
    if (state.rawTx === undefined || state.txHash === undefined) throw new Error(`${call.label} has no signed L1 transaction`);
    const { nonce } = signedNonceAndFees(bytesToHex(state.rawTx));
    let hadReceipt = false;
    let pendingSince = Date.now();
    for (let round = 1; ; round++) {
      const receipt = await rpc.request<{ status: string; blockNumber: string; blockHash: string } | null>('eth_getTransactionReceipt', [state.txHash]);
      if (receipt !== null) hadReceipt = true;
      if (receipt !== null) {
        if (receipt.status !== '0x1') {
          if (await call.onL1()) return this.#confirm(call);
          // The nonce is spent: whatever happens next, this call needs a new transaction.
          await call.save('persisted');
          await call.checkReady?.();
          throw new Error(`${call.label}: transaction ${state.txHash} reverted and L1 does not hold its effect; it will be signed again`);
        }
        // At depth 0 a receipt is deep enough as it is: no read of the head.
        const deep = this.#confirmations === 0n || (await rpc.blockNumber()) - BigInt(receipt.blockNumber) >= this.#confirmations;
        if (deep && (await call.onL1())) return this.#confirm(call);
      } else {
        const mined = BigInt(await rpc.request<string>('eth_getTransactionCount', [this.address, 'latest']));
        if (mined > nonce) {
          if (await call.onL1()) return this.#confirm(call);
          // The receipt may just have landed between the two reads: look once more before giving the nonce up.
          const again = await rpc.request<unknown>('eth_getTransactionReceipt', [state.txHash]);
          if (again === null) return 'resign';
          continue;
        }
        if (hadReceipt) {
          // It was mined and a reorg took it out: the same bytes are valid again (same nonce), send them now.
          hadReceipt = false;
          this.#log(`${call.label}: ${state.txHash} was mined, then reorged out; sending it again`);
          await this.broadcastCall(call);
          pendingSince = Date.now();
        } else if (Date.now() - pendingSince >= this.#replaceAfterMs) {
          state = await this.#replace(call, state);
          pendingSince = Date.now();
        } else if (round % 25 === 0) await this.broadcastCall(call); // dropped from a mempool: send the same bytes again
      }
      if (Date.now() > deadline) throw new Error(`${call.label}: no confirmation of ${state.txHash} in time; it stays resumable`);
      await new Promise((resolve) => setTimeout(resolve, this.#o.pollIntervalMs ?? 200));
    }
  }

  async #chain(): Promise<bigint> {
    return (this.#chainId ??= await this.#o.rpc.chainId());
  }

  async #confirm(call: StoredCall): Promise<'confirmed'> {
    await call.save('confirmed');
    this.#log(`${call.label}: confirmed on L1`);
    return 'confirmed';
  }

  /** True when L1 holds our root for the block; throws when it holds another one. */
  async #checkL1(block: Pick<BlockCommitState, 'number' | 'root'>): Promise<boolean> {
    const root = (await childBlockRoot(this.#o.rpc, this.#o.contract, block.number)).toLowerCase() as Hash;
    if (root === ZERO_HASH) return false;
    if (root !== block.root) {
      const error = new L1RootConflictError(block.number, root, block.root);
      this.#log(`FATAL ${error.message}`);
      throw error;
    }
    return true;
  }

  #log(line: string): void {
    (this.#o.log ?? console.error)(line);
  }
}
