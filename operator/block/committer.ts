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


export class BlockCommitter {
  readonly #o: BlockCommitterOptions;
  readonly #signer: Wallet;
  readonly address: Address;
  readonly #confirmations: bigint;
  #chainId: bigint | undefined;

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
  async commit(number: bigint): Promise<void> {
    const deadline = Date.now() + (this.#o.timeoutMs ?? 600_000);
    for (;;) {
      const block = await this.#load(number);
      if (block.status === 'confirmed') return;
      const onL1 = await this.#checkL1(block);
      if (block.status === 'persisted') {
        if (onL1) {
          // Committed already (a crash after the receipt, before our bookkeeping had the bytes): nothing to send.
          await this.#o.store.setBlockStatus(number, 'confirmed');
          return;
        }
        // Signing for a number L1 cannot take yet would only buy a reverted transaction.
        const next = await nextChildBlock(this.#o.rpc, this.#o.contract);
        if (next < number) throw new BlockGapError(number, next);
        await this.sign(number);
        continue;
      }
      await this.broadcast(number);
      const outcome = await this.awaitConfirmation(number, deadline);
      if (outcome === 'confirmed') return;
      // Our nonce went to another transaction and the block is not on L1: sign again with a fresh nonce.
      this.#log(`block ${number}: stored L1 transaction can no longer be mined, signing it again`);
      await this.#o.store.setBlockStatus(number, 'persisted');
    }
  }

  /** persisted → signed: the raw transaction and its hash are durable before anything is sent. */
  async sign(number: bigint): Promise<Hash> {
    const block = await this.#load(number);
    if (block.status !== 'persisted') throw new Error(`block ${number} is ${block.status}, not persisted`);
    const { rpc } = this.#o;
    const chainId = await this.#chain();
    const nonce = BigInt(await rpc.request<string>('eth_getTransactionCount', [this.address, 'pending']));
    const tx = await this.#signSubmission(chainId, block, nonce, await currentFees(rpc));
    const hash = tx.hash;
    await this.#o.store.setBlockStatus(number, 'signed', stored(tx));
    this.#log(`block ${number}: signed ${hash} (nonce ${nonce})`);
    return hash;
  }

  #signSubmission(chainId: bigint, block: BlockCommitState, nonce: bigint, fees: Fees): Promise<SignedTransaction> {
    const data = plasmaCashInterface().encodeFunctionData('submitBlock', [block.root, block.number]) as Hex;
    return signCall(this.#signer, chainId, nonce, { to: this.#o.contract, data, value: 0n, gasLimit: this.#o.gasLimit ?? 150_000n }, fees);
  }

  /**
   * broadcast → broadcast with a new version: the stored submission has been pending for replaceAfterMs. If its
   * fees fell below what the chain asks (fees.ts `worthReplacing`), the same nonce is signed again with higher
   * fees, stored, then sent; if the old version is mined after all, the nonce moves on and the root on L1 confirms
   * the block just the same. If price cannot be why it is pending, the same bytes are sent again. A replacement
   * the node refuses outright (a fee cap, the balance) is forgotten: the stored version stays the one before.
   */
  async #replace(block: BlockCommitState): Promise<BlockCommitState> {
    const chainId = await this.#chain();
    const pending = signedNonceAndFees(bytesToHex(block.rawTx!));
    const last = pending.fees;
    const now = await currentFees(this.#o.rpc);
    if (!worthReplacing(last, now)) {
      this.#log(`block ${block.number}: ${block.txHash} pending for ${this.#replaceAfterMs} ms at ${last.maxFeePerGas} wei, at least twice the chain's price: sent again as it is`);
      await this.broadcast(block.number);
      return block;
    }
    const fees = replacementFees(last, now);
    const tx = await this.#signSubmission(chainId, block, pending.nonce, fees);
    const hash = tx.hash;
    await this.#o.store.setBlockStatus(block.number, 'broadcast', stored(tx));
    this.#log(`block ${block.number}: ${block.txHash} pending for ${this.#replaceAfterMs} ms; replaced by ${hash} (nonce ${pending.nonce}, max fee ${fees.maxFeePerGas} wei, tip ${fees.maxPriorityFeePerGas} wei)`);
    try {
      await this.broadcast(block.number);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error; // no answer: the node may have it; keep it stored
      await this.#o.store.setBlockStatus(block.number, 'broadcast', { rawTx: block.rawTx!, txHash: hexToBytes(block.txHash!, 'hash') });
      this.#log(`block ${block.number}: the node refused the replacement ${hash} (${error.message}); keeping ${block.txHash}`);
      return block;
    }
    return this.#load(block.number);
  }

  get #replaceAfterMs(): number {
    return this.#o.replaceAfterMs ?? 60_000;
  }

  /** signed|broadcast → broadcast: sends the stored bytes; a node that already has them is fine. */
  async broadcast(number: bigint): Promise<void> {
    const block = await this.#load(number);
    if (block.rawTx === undefined) throw new Error(`block ${number} has no signed L1 transaction`);
    try {
      await this.#o.rpc.request('eth_sendRawTransaction', [bytesToHex(block.rawTx)]);
    } catch (error) {
      // Every refusal sendRefusal names needs no action here: the node has the bytes, the receipt or the root on L1
      // tells who used the nonce, and an underpriced submission is replaced with higher fees after replaceAfterMs.
      if (!(error instanceof RpcError)) throw error;
      const refusal = sendRefusal(error.message);
      if (refusal === undefined) throw error;
      if (refusal === 'underpriced') this.#log(`block ${number}: the node calls ${block.txHash} underpriced (${error.message}); it is replaced with higher fees after ${this.#replaceAfterMs} ms`);
    }
    if (block.status === 'signed') await this.#o.store.setBlockStatus(number, 'broadcast');
  }

  /**
   * Waits for the stored transaction's receipt at the confirmation depth, then marks the block confirmed.
   * 'resign' when the transaction's nonce was consumed by something else while the block is not on L1.
   */
  async awaitConfirmation(number: bigint, deadline = Date.now() + (this.#o.timeoutMs ?? 600_000)): Promise<'confirmed' | 'resign'> {
    const { rpc } = this.#o;
    let block = await this.#load(number);
    if (block.rawTx === undefined || block.txHash === undefined) throw new Error(`block ${number} has no signed L1 transaction`);
    const { nonce } = signedNonceAndFees(bytesToHex(block.rawTx));
    let hadReceipt = false;
    let pendingSince = Date.now();
    for (let round = 1; ; round++) {
      const receipt = await rpc.request<{ status: string; blockNumber: string; blockHash: string } | null>('eth_getTransactionReceipt', [block.txHash]);
      if (receipt !== null) hadReceipt = true;
      if (receipt !== null) {
        if (receipt.status !== '0x1') {
          if (await this.#checkL1(block)) return this.#confirm(number);
          // The nonce is spent: whatever happens next, this block needs a new transaction.
          await this.#o.store.setBlockStatus(number, 'persisted');
          const next = await nextChildBlock(rpc, this.#o.contract);
          if (next < number) throw new BlockGapError(number, next);
          throw new Error(`block ${number}: submitBlock transaction ${block.txHash} reverted and L1 has no root for it (nextChildBlock ${next}); it will be signed again`);
        }
        const head = await rpc.blockNumber();
        if (head - BigInt(receipt.blockNumber) >= this.#confirmations && (await this.#checkL1(block))) return this.#confirm(number);
      } else {
        const mined = BigInt(await rpc.request<string>('eth_getTransactionCount', [this.address, 'latest']));
        if (mined > nonce) {
          if (await this.#checkL1(block)) return this.#confirm(number);
          // The receipt may just have landed between the two reads: look once more before giving the nonce up.
          const again = await rpc.request<unknown>('eth_getTransactionReceipt', [block.txHash]);
          if (again === null) return 'resign';
          continue;
        }
        if (hadReceipt) {
          // It was mined and a reorg took it out: the same bytes are valid again (same nonce), send them now.
          hadReceipt = false;
          this.#log(`block ${number}: ${block.txHash} was mined, then reorged out; sending it again`);
          await this.broadcast(number);
          pendingSince = Date.now();
        } else if (Date.now() - pendingSince >= this.#replaceAfterMs) {
          block = await this.#replace(block);
          pendingSince = Date.now();
        } else if (round % 25 === 0) await this.broadcast(number); // dropped from a mempool: send the same bytes again
      }
      if (Date.now() > deadline) throw new Error(`block ${number}: no confirmation of ${block.txHash} in time; it stays resumable`);
      await new Promise((resolve) => setTimeout(resolve, this.#o.pollIntervalMs ?? 200));
    }
  }

  async #chain(): Promise<bigint> {
    return (this.#chainId ??= await this.#o.rpc.chainId());
  }

  async #confirm(number: bigint): Promise<'confirmed'> {
    await this.#o.store.setBlockStatus(number, 'confirmed');
    this.#log(`block ${number}: confirmed on L1`);
    return 'confirmed';
  }

  /** True when L1 holds our root for the block; throws when it holds another one. */
  async #checkL1(block: BlockCommitState): Promise<boolean> {
    const root = (await childBlockRoot(this.#o.rpc, this.#o.contract, block.number)).toLowerCase() as Hash;
    if (root === ZERO_HASH) return false;
    if (root !== block.root) {
      const error = new L1RootConflictError(block.number, root, block.root);
      this.#log(`FATAL ${error.message}`);
      throw error;
    }
    return true;
  }

  #load(number: bigint): Promise<BlockCommitState> {
    return this.#o.store.blockCommitState(number);
  }

  #log(line: string): void {
    (this.#o.log ?? console.error)(line);
  }
}
