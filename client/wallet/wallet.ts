/**
 * The coin holder's wallet: deposits, sends, receives (verifying the whole history against L1 first), exits
 * and cashes out. Its memory is a StateFile shared with the watcher of the same account.
 *
 * Every coin it counts as owned was verified block by block against the roots on L1 (client/protocol); the
 * operator is only ever a source of data to verify.
 */
import { Contract, JsonRpcProvider, Wallet, type Signer } from 'ethers';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  PlasmaError,
  CoinHistoryVerifier,
  HistoryError,
  depositTransaction,
  parseCoinHistoryResponseJson,
  signDigest,
  transactionDigest,
  verifyCoinHistory,
  type Address,
  type CoinHistoryResponse,
  type HistoryEntry,
  type InclusionEntry,
  type Transaction,
  type TransactionDomain,
} from '../protocol/index.ts';
import { JsonRpc } from '../l1/rpc.ts';
import type { PlasmaEvent } from '../l1/events.ts';
import { PlasmaCashL1, transactionArgument } from '../l1/plasma-cash.ts';
import { verifyAndExtend } from './extend.ts';
import { sendContractCall, type SendOptions } from '../l1/send-until-mined.ts';
import { RootBook } from '../l1/roots.ts';
import { historyToPackage, OperatorApi, type CoinPackage } from '../operator-api.ts';
import { StateFile, withFileLock } from './state-file.ts';
import { chainLastBlock, chainOwner, deliver, emptyState, isDepositOf, recordOwnDeposit, exitKey, extendChain, trackedExit, liveExitsOf, type WalletCoin, type WalletState } from './state.ts';

export interface WalletOptions {
  readonly rpcUrl: string;
  readonly contract: Address;
  readonly operatorUrl: string;
  /** 0x-hex private key: from a keystore or the environment (cli/client-config.ts), never from a flag. */
  readonly privateKey: string;
  /** Directory of the wallet's state files (one per chain, contract and account). */
  readonly dataDir: string;
  /** The L1 block PlasmaCash was deployed in: scans start there. Default 0. */
  readonly startBlock?: bigint;
  /** How L1 writes wait and replace a version left pending; `replaceAfterMs` defaults to 60 s. */
  readonly l1Send?: Partial<SendOptions>;
  readonly log?: (line: string) => void;
}

/** A wallet action that cannot go on; `code` names why. A transfer the operator refused is 'transfer_refused', its reason `serverCode`. */
export class WalletError extends PlasmaError {
  override name = 'WalletError';
  readonly serverCode: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; serverCode?: string } = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.serverCode = options.serverCode;
  }
}

/** A coin as `plasma wallet coins` lists it. */
export interface CoinSummary {
  readonly slot: bigint;
  readonly role: WalletCoin['role'];
  readonly status: string;
  readonly owner: Address;
  readonly kind: string;
  readonly token: Address;
  readonly tokenId: bigint;
  readonly denomination: bigint;
  readonly depositBlock: bigint;
  readonly lastTransactionBlock: bigint;
  readonly lastVerifiedBlock: bigint;
  readonly frozen?: string;
  /** Every live exit of the coin, in exit-block order (the first is the one that can finalize). */
  readonly exits: readonly LiveExitSummary[];
  /** Open challenges of those exits. */
  readonly openChallenges: number;
  /** Signed transfers whose receiver may not know of them (refused by the operator, or sent without a package). */
  readonly spendsInFlight: number;
}

/** A live exit as `plasma wallet coins` and `plasma watch --status` show it. */
export interface LiveExitSummary {
  readonly nonce: bigint;
  readonly exitor: Address;
  readonly exitBlock: bigint;
  /** Zero for a deposit exit. */
  readonly parentBlock: bigint;
  readonly finalizableAt: bigint;
  /** 'mine' for this wallet's own exit, else 'other'. */
  readonly whose: 'mine' | 'other';
}

const ERC20_ABI = ['function approve(address spender, uint256 amount) returns (bool)', 'function allowance(address owner, address spender) view returns (uint256)'];
const ERC721_ABI = ['function approve(address to, uint256 tokenId)', 'function getApproved(uint256 tokenId) view returns (address)'];

export class PlasmaWallet {
  readonly address: Address;
  readonly signer: Wallet;
  readonly l1: PlasmaCashL1;
  readonly operator: OperatorApi;
  readonly stateFile: StateFile<WalletState>;
  readonly roots: RootBook;
  readonly domain: TransactionDomain;
  readonly log: (line: string) => void;
  readonly provider: JsonRpcProvider;

  private constructor(options: WalletOptions, chainId: bigint) {
    const rpc = new JsonRpc(options.rpcUrl);
    this.provider = new JsonRpcProvider(options.rpcUrl, Number(chainId), { staticNetwork: true, cacheTimeout: -1 });
    this.provider.pollingInterval = 100;
    this.signer = new Wallet(options.privateKey, this.provider);
    this.address = this.signer.address.toLowerCase() as Address;
    this.log = options.log ?? (() => undefined);
    this.l1 = new PlasmaCashL1(rpc, options.contract, { log: this.log, ...options.l1Send });
    this.operator = new OperatorApi(options.operatorUrl);
    this.domain = { chainId, verifyingContract: this.l1.address };
    const startBlock = options.startBlock ?? 0n;
    this.roots = new RootBook(this.l1, startBlock);
    const file = path.join(options.dataDir, `${chainId}-${this.l1.address}-${this.address}.json`);
    this.stateFile = new StateFile(file, () => emptyState(this.address, this.l1.address, chainId, startBlock));
  }

  static async open(options: WalletOptions): Promise<PlasmaWallet> {
    let chainId: bigint;
    try {
      chainId = await new JsonRpc(options.rpcUrl).chainId();
    } catch (cause) {
      throw new WalletError('l1_unreachable', `cannot reach the L1 node at ${options.rpcUrl}: ${(cause as Error).message}`, { cause });
    }
    const wallet = new PlasmaWallet(options, chainId);
    const code = await wallet.l1.rpc.request<string>('eth_getCode', [wallet.l1.address, 'latest']);
    if (code === '0x') throw new WalletError('no_contract', `no contract at ${wallet.l1.address} on chain ${chainId}: check --contract`);
    return wallet;
  }

  close(): void {
    this.provider.destroy();
  }

  /**
   * Every L1 write of this account goes through here, one at a time across processes (a `plasma wallet`
   * command while `plasma watch` runs): two senders would otherwise take the same pending nonce.
   */
  sendL1(method: string, args: readonly unknown[], value = 0n): ReturnType<PlasmaCashL1['send']> {
    return this.#underSendLock(() => this.l1.send(this.signer, method, args, value));
  }

  #underSendLock<T>(work: () => Promise<T>): Promise<T> {
    return withFileLock(`${this.stateFile.file}.send.lock`, work);
  }

  // ---- deposits

  async depositEth(amount: bigint): Promise<bigint> {
    return this.#recordDeposit(await this.sendL1('deposit', [], amount));
  }

  async depositErc20(token: Address, amount: bigint): Promise<bigint> {
    const erc20 = new Contract(token, ERC20_ABI, this.signer as Signer);
    if (BigInt(await erc20.getFunction('allowance')(this.address, this.l1.address)) < amount) {
      await this.#approve(erc20, [this.l1.address, amount]);
    }
    return this.#recordDeposit(await this.sendL1('depositERC20', [token, amount]));
  }

  async depositErc721(token: Address, tokenId: bigint): Promise<bigint> {
    const erc721 = new Contract(token, ERC721_ABI, this.signer as Signer);
    if (String(await erc721.getFunction('getApproved')(tokenId)).toLowerCase() !== this.l1.address) {
      await this.#approve(erc721, [this.l1.address, tokenId]);
    }
    return this.#recordDeposit(await this.sendL1('depositERC721', [token, tokenId]));
  }

  /** A token's approve, sent like the wallet's PlasmaCash writes: under the account's lock, until mined. */
  async #approve(token: Contract, args: readonly unknown[]): Promise<void> {
    const receipt = await this.#underSendLock(() => sendContractCall(this.signer, this.l1.rpc, token, { method: 'approve', args, value: 0n }, this.l1.sendOptions));
    if (receipt.status !== '0x1') throw new WalletError('approve_failed', `approve on ${await token.getAddress()} failed on L1 (transaction ${receipt.transactionHash})`);
  }

  async #recordDeposit(sent: { logs: PlasmaEvent[] }): Promise<bigint> {
    const event = sent.logs.find((log) => log.name === 'Deposit');
    if (event === undefined || event.name !== 'Deposit') throw new WalletError('no_deposit_event', 'the deposit transaction emitted no Deposit event');
    await this.stateFile.update((state) => {
      recordOwnDeposit(state, event);
    });
    this.log(`deposited coin ${event.slot} (${event.kind}, ${event.denomination}) at block ${event.block}`);
    return event.slot;
  }

  /** Waits until the operator has followed the deposit of `slot` (it takes transfers of it from then on). */
  async waitForCoin(slot: bigint, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.operator.coin(slot)) === undefined) {
      if (Date.now() > deadline) throw new WalletError('timeout', `the operator has not seen the deposit of coin ${slot} after ${timeoutMs} ms; is it following L1?`);
      await sleep(200);
    }
  }

  // ---- verification

  /**
   * Brings `slot`'s verified history up to the last child block committed on L1, from the operator's proofs.
   * A bad entry freezes nothing here (the watcher does that); it throws the HistoryError naming block and rule.
   */
  async refresh(slot: bigint): Promise<WalletCoin> {
    const coin = await this.#coin(slot);
    await this.roots.sync();
    const last = this.roots.lastBlock();
    if (last <= coin.coveredThrough) return coin;
    const verifier = this.verifierFor(coin);
    const added: InclusionEntry[] = [];
    // L1 may hold a block a moment before the operator serves it (it commits empty blocks too): a few tries.
    for (let attempt = 0; attempt < 20 && verifier.state.coveredThrough < last; attempt++) {
      if (attempt > 0) await sleep(100);
      const problem = await verifyAndExtend(this.operator, slot, verifier, last, added);
      if (problem !== undefined && (!problem.missing || problem.code === 'operator_unreachable')) throw problem.error;
    }
    if (verifier.state.coveredThrough < last) {
      throw new HistoryError('missing_block', verifier.nextBlock, `the operator's history of coin ${slot} stops before the last committed block ${last}`);
    }
    return this.stateFile.update((state) => {
      const stored = state.coins[slot.toString()]!;
      if (stored.coveredThrough >= verifier.state.coveredThrough) return stored; // the watcher got there first
      extendChain(stored, added, verifier.state.coveredThrough, this.address, this.domain);
      return stored;
    });
  }

  /** A verifier that continues from the coin's stored, already verified chain, against the roots on L1. */
  verifierFor(coin: WalletCoin): CoinHistoryVerifier {
    return new CoinHistoryVerifier({
      deposit: coin.deposit,
      roots: (block) => this.roots.get(block),
      domain: this.domain,
      resume: { chain: coin.chain, coveredThrough: coin.coveredThrough },
    });
  }

  /**
   * Accepts a coin sent to this wallet: verifies its whole history (§5) against the roots on L1 and its deposit
   * against the contract's record, and that the last transaction names this wallet. From the sender's package
   * when given (it works even if the operator withholds), otherwise from the operator.
   */
  async receive(source: bigint | CoinPackage): Promise<WalletCoin> {
    const history: CoinHistoryResponse = typeof source === 'bigint' ? await this.operator.history(source) : parseCoinHistoryResponseJson(source);
    const slot = history.slot;
    const record = await this.l1.coin(slot);
    if (record.state === 'none') throw new WalletError('unknown_coin', `coin ${slot} was never deposited on L1`);
    if (!isDepositOf({ slot, ...history.deposit }, record)) {
      throw new HistoryError('wrong_deposit', history.deposit.block, `the history's deposit (${history.deposit.owner}, block ${history.deposit.block}, ${history.deposit.denomination}) is not L1's record (${record.depositor}, block ${record.depositBlock}, ${record.denomination})`);
    }
    if (record.state === 'exited') throw new WalletError('coin_exited', `coin ${slot} has already exited to L1`);
    if (record.state === 'exiting') this.log(`coin ${slot} is exiting on L1 (exit ${record.exitCount}): the watcher challenges it if it is not this wallet's`);
    await this.roots.sync();
    // A block committed after the history was served (the operator commits empty blocks too): its entries come
    // from the operator, so that the history reaches every block L1 holds.
    // L1 may hold it a moment before the operator serves it: a few tries, then the verifier says what is missing.
    // (Only blocks after the history's own lastCommittedBlock: a history short of that is refused as it is.)
    const entries = [...history.entries];
    for (let attempt = 0; attempt < 20; attempt++) {
      const served = entries.reduce((last, entry) => (entry.block > last ? entry.block : last), history.lastCommittedBlock);
      if (served >= this.roots.lastBlock()) break;
      if (attempt > 0) await sleep(100);
      entries.push(...(await this.operator.history(slot, served + 1n, this.roots.lastBlock())).entries.filter((entry) => entry.block > served));
    }
    const deposit = { slot, ...history.deposit };
    const state = verifyCoinHistory({
      deposit,
      entries,
      roots: (block) => this.roots.get(block),
      committedChildBlocks: this.roots.blocks(),
      domain: this.domain,
      expectedOwner: this.address,
    });
    const chain = entries.filter((entry): entry is InclusionEntry => entry.kind === 'inclusion');
    return this.stateFile.update((wallet) => {
      const coin: WalletCoin = {
        slot,
        deposit: { ...deposit, owner: deposit.owner.toLowerCase() as Address },
        asset: { kind: record.kind, token: record.token, tokenId: record.tokenId },
        chain,
        coveredThrough: state.coveredThrough,
        role: 'owner',
      };
      wallet.coins[slot.toString()] = coin;
      this.log(`received coin ${slot}: history verified through block ${state.coveredThrough}`);
      return coin;
    });
  }

  // ---- sending

  /**
   * Sends coin `slot` to `to`: verifies its history up to the last committed block, signs the §4 transfer,
   * records it as in flight, submits it, waits until a committed block includes it, and returns the package the
   * receiver verifies.
   */
  async send(slot: bigint, to: Address, options: { timeoutMs?: number } = {}): Promise<CoinPackage> {
    this.#requireSpendable(await this.#coin(slot)); // a frozen or spent coin is refused before asking the operator
    const coin = await this.refresh(slot);
    this.#requireSpendable(coin);
    const transaction: Transaction = { slot, prevBlock: chainLastBlock(coin), denomination: coin.deposit.denomination, newOwner: to.toLowerCase() as Address };
    const digest = transactionDigest(transaction, this.domain);
    const signature = signDigest(digest, this.signer.privateKey as `0x${string}`);
    // Recorded before it leaves: if this process dies now, the watcher still knows a spend may land.
    await this.stateFile.update((state) => {
      state.coins[slot.toString()]!.inFlight = { transaction, signature, digest, submittedAt: Date.now() };
    });
    const result = await this.operator.submit(transaction, signature);
    if (result.status === 'rejected') {
      // The operator holds the signature all the same and may include it in any later block, where its receiver
      // would not know of it: the watcher keeps treating it as a spend in flight until it can never be valid.
      await this.stateFile.update((state) => {
        const stored = state.coins[slot.toString()]!;
        const spend = stored.inFlight;
        delete stored.inFlight;
        if (spend !== undefined) stored.undelivered = [...(stored.undelivered ?? []), { ...spend, refused: { code: result.error.code, at: Date.now() } }];
      });
      throw new WalletError('transfer_refused', `the operator refused the transfer of coin ${slot}: ${result.error.message}`, { serverCode: result.error.code });
    }
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      let refreshed: WalletCoin;
      try {
        refreshed = await this.refresh(slot);
      } catch (error) {
        // A block the operator does not serve (yet, or withheld): keep waiting; the watcher freezes the coin
        // and exits it if the block stays withheld past its grace period.
        if (!(error instanceof HistoryError && error.code === 'missing_block')) throw error;
        if (Date.now() > deadline) throw new WalletError('timeout', `the transfer of coin ${slot} is not confirmed: ${error.message}. It is kept in flight; the watcher exits the coin if the operator keeps the block back`);
        await sleep(250);
        continue;
      }
      const landed = refreshed.chain.find((link) => link.block > transaction.prevBlock);
      if (landed !== undefined) {
        if (transactionDigest(landed.transaction, this.domain) !== digest) {
          throw new WalletError('spend_replaced', `block ${landed.block} holds another spend of coin ${slot} than the one signed; the watcher will defend it`);
        }
        this.log(`sent coin ${slot} to ${to} in block ${landed.block}`);
        const pkg = historyToPackage(await this.operator.history(slot));
        // The package goes to the caller, who hands it to the receiver: the spend is delivered.
        await this.stateFile.update((state) => void deliver(state.coins[slot.toString()]!, digest));
        return pkg;
      }
      if (Date.now() > deadline) throw new WalletError('timeout', `the transfer of coin ${slot} is not in a committed block yet; it is kept in flight and the watcher keeps checking`);
      await sleep(250);
    }
  }

  #requireSpendable(coin: WalletCoin): void {
    if (coin.role !== 'owner') throw new WalletError('not_owner', `coin ${coin.slot} belongs to ${chainOwner(coin)}, not to this wallet`);
    if (coin.frozen !== undefined) throw new WalletError('coin_frozen', `coin ${coin.slot} is frozen since block ${coin.frozen.block}: ${coin.frozen.reason}`);
    if (coin.inFlight !== undefined) throw new WalletError('spend_in_flight', `a transfer of coin ${coin.slot} is already in flight`);
    if (coin.withdrawn === true) throw new WalletError('coin_exited', `coin ${coin.slot} was withdrawn to L1`);
    if (coin.depositGone !== undefined) throw new WalletError('deposit_gone', `coin ${coin.slot} cannot be used: ${coin.depositGone.reason}`);
  }

  // ---- exits

  /** Starts the exit of an owned coin from its last two transactions (or its deposit). */
  async exit(slot: bigint): Promise<{ nonce: bigint; finalizableAt: bigint }> {
    const coin = await this.#coin(slot);
    if (coin.lost !== undefined) throw new WalletError('coin_lost', `coin ${slot} is no longer this wallet's: L1 showed it spent (${coin.lost.reason}); an exit would be challenged and lose its bond`);
    if (coin.depositGone !== undefined) throw new WalletError('deposit_gone', `coin ${slot} cannot be exited: ${coin.depositGone.reason}`);
    if (chainOwner(coin) !== this.address) throw new WalletError('not_owner', `coin ${slot} belongs to ${chainOwner(coin)} by its verified history`);
    const { exitBond } = await this.l1.parameters();
    const args = exitArguments(coin);
    const sent = args === undefined
      ? await this.sendL1('startDepositExit', [slot], exitBond)
      : await this.sendL1('startExit', args, exitBond);
    const started = sent.logs.find((log) => log.name === 'ExitStarted');
    if (started === undefined || started.name !== 'ExitStarted') throw new WalletError('no_exit_event', 'the exit transaction emitted no ExitStarted event');
    await this.stateFile.update((state) => {
      state.exits[exitKey(slot, started.nonce)] = trackedExit(slot, started.nonce, started);
    });
    this.log(`started exit ${started.nonce} of coin ${slot}; it can finalize at ${started.finalizableAt}`);
    return { nonce: started.nonce, finalizableAt: started.finalizableAt };
  }

  async finalize(slot: bigint): Promise<'finalized' | 'cancelled'> {
    const sent = await this.sendL1('finalizeExit', [slot]);
    return sent.logs.some((log) => log.name === 'ExitFinalized') ? 'finalized' : 'cancelled';
  }

  async withdraw(slot: bigint): Promise<void> {
    await this.sendL1('withdraw', [slot]);
    await this.stateFile.update((state) => {
      const coin = state.coins[slot.toString()];
      if (coin !== undefined) coin.withdrawn = true;
    });
  }

  async withdrawBonds(): Promise<bigint> {
    const balance = await this.l1.bondBalance(this.address);
    if (balance === 0n) return 0n;
    await this.sendL1('withdrawBonds', []);
    return balance;
  }

  // ---- listing

  async coins(): Promise<CoinSummary[]> {
    const state = await this.stateFile.read();
    return Object.values(state.coins).map((coin) => {
      const exits = liveExitsOf(state, coin.slot);
      const nonces = new Set(exits.map((exit) => exit.nonce));
      const openChallenges = Object.values(state.challenges).filter((c) => c.slot === coin.slot && nonces.has(c.nonce) && c.status === 'open').length;
      const status = coin.withdrawn === true ? 'withdrawn' : coin.depositGone !== undefined ? 'deposit_gone' : coin.lost !== undefined ? 'lost' : exits.length > 0 ? 'exiting' : coin.frozen !== undefined ? 'frozen' : coin.inFlight !== undefined ? 'sending' : coin.role === 'owner' ? 'owned' : 'sent';
      return {
        slot: coin.slot,
        role: coin.role,
        status,
        owner: chainOwner(coin),
        kind: coin.asset.kind,
        token: coin.asset.token,
        tokenId: coin.asset.tokenId,
        denomination: coin.deposit.denomination,
        depositBlock: coin.deposit.block,
        lastTransactionBlock: chainLastBlock(coin),
        lastVerifiedBlock: coin.coveredThrough,
        ...(coin.frozen === undefined ? {} : { frozen: `${coin.frozen.code} at block ${coin.frozen.block}: ${coin.frozen.reason}` }),
        exits: exits.map((exit) => summarizeExit(exit, this.address)),
        openChallenges,
        spendsInFlight: (coin.inFlight === undefined ? 0 : 1) + (coin.undelivered?.length ?? 0),
      };
    });
  }

  async #coin(slot: bigint): Promise<WalletCoin> {
    const coin = (await this.stateFile.read()).coins[slot.toString()];
    if (coin === undefined) throw new WalletError('unknown_coin', `this wallet holds no coin ${slot}; receive it first (plasma wallet receive ${slot})`);
    return coin;
  }
}

export function summarizeExit(exit: { nonce: bigint; exitor: Address; exitBlock: bigint; parentBlock: bigint; finalizableAt: bigint }, me: Address): LiveExitSummary {
  return { nonce: exit.nonce, exitor: exit.exitor, exitBlock: exit.exitBlock, parentBlock: exit.parentBlock, finalizableAt: exit.finalizableAt, whose: exit.exitor === me ? 'mine' : 'other' };
}

/**
 * startExit's arguments for the coin's last two transactions, or undefined when it has not moved since its
 * deposit (startDepositExit then).
 */
export function exitArguments(coin: WalletCoin): unknown[] | undefined {
  const exiting = coin.chain[coin.chain.length - 1];
  if (exiting === undefined) return undefined;
  const parent = coin.chain[coin.chain.length - 2];
  const parentTx = parent?.transaction ?? depositTransaction(coin.deposit);
  return [
    transactionArgument(parentTx),
    parent?.proof ?? '0x',
    parent?.block ?? coin.deposit.block,
    transactionArgument(exiting.transaction),
    exiting.signature,
    exiting.proof,
    exiting.block,
  ];
}

export type { HistoryEntry };
