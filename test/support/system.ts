// The whole system for client tests: anvil with PlasmaCash, the real operator on the real Postgres, and
// wallets/watchers for the anvil users, each with its own state directory. Also the one byzantine lever the
// client tests need: force a transfer into the operator's next block without its §4 checks.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { Wallet } from 'ethers';
import { signTransaction, transactionDigest, type Address, type Hex, type Transaction } from '../../client/protocol/index.ts';
import { transactionArgument } from '../../client/l1/plasma-cash.ts';
import { PlasmaWallet } from '../../client/wallet/wallet.ts';
import { Watcher, type WatcherOptions } from '../../client/watcher/watcher.ts';
import { createLog } from '../../operator/log.ts';
import { startOperator, type RunningOperator } from '../../operator/service.ts';
import { hexBody, slotToDb } from '../../operator/db/codec.ts';
import { createTestDatabase } from '../operator/db/helpers.ts';
import { EXIT_BOND, startTestChain, testOperatorConfig, type TestChain, type TestPeriods } from './anvil.ts';

export interface TestSystem {
  readonly chain: TestChain;
  readonly operator: RunningOperator;
  readonly dataDir: string;
  /**
   * A wallet for anvil user `index` (0 = alice, 1 = bob, 2 = carol). `dir` names its own state directory;
   * `operatorUrl` points it elsewhere than the operator (a byzantine proxy).
   */
  wallet(index: number, dir?: string, operatorUrl?: string): Promise<PlasmaWallet>;
  /** A watcher over a wallet, stopped in teardown; its decisions are logged to `lines`. */
  watcher(wallet: PlasmaWallet, options?: Partial<WatcherOptions>): Watcher & { lines: Record<string, unknown>[] };
  /** Byzantine operator: puts `tx` (signed by anyone) into the pending pool as if it had been accepted. */
  forceInclude(tx: Transaction, signature: Hex): Promise<void>;
  /** Waits until the operator committed a block on L1 that is at least `block`. */
  waitForBlock(block: bigint, timeoutMs?: number): Promise<void>;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `operatorFlags`: extra operator flags over testOperatorConfig's (e.g. `'checkpoint-every-blocks'`). */
export async function startSystem(t: Test, label: string, periods?: TestPeriods, operatorFlags: Readonly<Record<string, string | number>> = {}): Promise<TestSystem> {
  const chain = await startTestChain(t, periods);
  const databaseUrl = await createTestDatabase(t, label);
  const operator = await startOperator(
    testOperatorConfig(chain, databaseUrl, operatorFlags),
    { log: createLog({ level: 'warn', write: () => undefined }) },
  );
  t.teardown(() => operator.stop());
  const dataDir = await mkdtemp(path.join(tmpdir(), `plasma-${label}-`));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const wallets: PlasmaWallet[] = [];
  t.teardown(() => wallets.forEach((wallet) => wallet.close()));

  return {
    chain,
    operator,
    dataDir,
    async wallet(index, dir = `user${index}`, operatorUrl = operator.url) {
      const key = (chain.users[index] as Wallet).privateKey;
      const wallet = await PlasmaWallet.open({ rpcUrl: chain.rpcUrl, contract: chain.address, operatorUrl, privateKey: key, dataDir: path.join(dataDir, dir) });
      wallets.push(wallet);
      return wallet;
    },
    watcher(wallet, options = {}) {
      const lines: Record<string, unknown>[] = [];
      const watcher = new Watcher({ wallet, pollIntervalMs: 100, missingProofGraceMs: 2_000, operatorGoneMs: 4_000, log: (entry) => void lines.push(entry), ...options });
      t.teardown(() => watcher.stop());
      return Object.assign(watcher, { lines });
    },
    async forceInclude(tx, signature) {
      const digest = transactionDigest(tx, chain.domain);
      await operator.store.sql`
        insert into pending_transactions (slot, prev_block, denomination, new_owner, signature, digest)
        values (${slotToDb(tx.slot)}, ${tx.prevBlock.toString()}, ${tx.denomination.toString()},
                decode(${hexBody(tx.newOwner)}, 'hex'), decode(${hexBody(signature)}, 'hex'), decode(${hexBody(digest)}, 'hex'))`;
    },
    async waitForBlock(block, timeoutMs = 20_000) {
      await until(`child block ${block} on L1`, async () => BigInt(await chain.contract().getFunction('nextChildBlock')()) > block, timeoutMs);
    },
  };
}

export const lower = (address: string) => address.toLowerCase() as Address;

/** Anvil user `index` (0 = alice … 4 = the second cheater) as an ethers signer. */
export const userOf = (system: TestSystem, index: number): Wallet => system.chain.users[index] as Wallet;

/** `tx` signed by anvil user `index`, as anyone with that key could sign it. */
export const signAs = (system: TestSystem, index: number, tx: Transaction): Promise<Hex> =>
  signTransaction(tx, system.chain.domain, userOf(system, index).privateKey as Hex);

/** The proof the operator serves for `slot` at `block`, once it has the block. */
export async function proofOf(system: TestSystem, slot: bigint, block: bigint): Promise<Hex> {
  return until(`proof of ${slot} at ${block}`, async () => {
    const response = await fetch(`${system.operator.url}/v1/coins/${slot}/proofs/${block}`);
    return response.ok ? ((await response.json()) as { proof: Hex }).proof : undefined;
  });
}

/**
 * The theft most attack tests end in: the operator includes, in the next child block, mallory's (user 3) transfer
 * of `slot` after `prevBlock` to herself, signed by her and not by the owner; mallory pays it on to her accomplice
 * (user 4) in the block after, and the accomplice starts an exit from the two. Resolves with the two blocks.
 */
export async function forgeTheftAndExit(system: TestSystem, slot: bigint, prevBlock: bigint, denomination: bigint): Promise<{ forgedBlock: bigint; exitBlock: bigint }> {
  const forged: Transaction = { slot, prevBlock, denomination, newOwner: lower(userOf(system, 3).address) };
  await system.forceInclude(forged, await signAs(system, 3, forged));
  const forgedBlock = await includedAt(system, slot, forged.newOwner, prevBlock);
  const exiting: Transaction = { slot, prevBlock: forgedBlock, denomination, newOwner: lower(userOf(system, 4).address) };
  const exitingSignature = await signAs(system, 3, exiting);
  await system.forceInclude(exiting, exitingSignature);
  const exitBlock = await includedAt(system, slot, exiting.newOwner, forgedBlock);
  const startExit = system.chain.contract(userOf(system, 4)).getFunction('startExit');
  await (await startExit(transactionArgument(forged), await proofOf(system, slot, forgedBlock), forgedBlock, transactionArgument(exiting), exitingSignature, await proofOf(system, slot, exitBlock), exitBlock, { value: EXIT_BOND })).wait();
  return { forgedBlock, exitBlock };
}

/**
 * The committed child block after `after` whose transaction of `slot` names `newOwner`, as the operator serves it
 * (the operator may commit empty blocks before the one that takes a transfer, so its number is read back).
 */
export async function includedAt(system: TestSystem, slot: bigint, newOwner: Address, after: bigint): Promise<bigint> {
  const block = await until(`a transfer of ${slot} to ${newOwner} after block ${after}`, async () => {
    const response = await fetch(`${system.operator.url}/v1/coins/${slot}/history?from=${after + 1n}`);
    if (!response.ok) return undefined;
    const history = (await response.json()) as { entries: { block: string; kind: string; transaction?: { newOwner: string } }[] };
    const entry = history.entries.find((e) => e.kind === 'inclusion' && e.transaction?.newOwner.toLowerCase() === newOwner);
    return entry === undefined ? undefined : BigInt(entry.block);
  });
  await system.waitForBlock(block);
  return block;
}

/** Deposits `amount` of ETH from `wallet`, waits until the operator has the coin, and returns its slot and deposit block. */
export async function depositAndWait(wallet: PlasmaWallet, amount: bigint): Promise<{ slot: bigint; deposit: bigint }> {
  const slot = await wallet.depositEth(amount);
  await wallet.waitForCoin(slot);
  const coin = (await wallet.coins()).find((stored) => stored.slot === slot)!;
  return { slot, deposit: coin.depositBlock };
}

/** Moves anvil's clock on by `seconds` and mines a block at the new time. */
export async function advance(system: TestSystem, seconds: bigint): Promise<void> {
  await system.chain.increaseTime(seconds);
  await system.chain.mine(1);
}

/**
 * Mines a block at chain time `timestamp`. Anvil's clock runs with the wall clock, so a test that must land at a
 * point of an exit's life (not a fixed time after some step) computes it from L1 and comes here.
 */
export async function advanceTo(system: TestSystem, timestamp: bigint): Promise<void> {
  const head = BigInt((await system.chain.provider.getBlock('latest'))!.timestamp);
  if (timestamp <= head) throw new Error(`chain time ${head} is already past ${timestamp}: the test ran too slowly for its periods`);
  await advance(system, timestamp - head);
}

/** Every bond ever credited to the wallet's account on L1 (BondCredited events since genesis). */
export async function bondsCredited(wallet: PlasmaWallet): Promise<bigint> {
  const events = await wallet.l1.events(0n, await wallet.l1.rpc.blockNumber());
  return events.reduce((sum, e) => sum + (e.name === 'BondCredited' && e.account === wallet.address ? e.amount : 0n), 0n);
}
