// One anvil per test file (automine), with PlasmaCash deployed by the operator key and short exit periods.
import { createServer } from 'node:net';
import type { Test } from 'tap';
import { Contract, JsonRpcProvider, NonceManager, parseEther, Wallet, type InterfaceAbi, type TransactionRequest } from 'ethers';
import { ANVIL_KEYS, startAnvil } from '../../devnet/anvil.ts';
import { loadArtifact } from '../../client/l1/artifacts.ts';
import { deployPlasmaCash } from '../../client/l1/deploy.ts';
import { operatorConfig } from '../../operator/config.ts';
import { JsonRpc } from '../../client/l1/rpc.ts';
import type { Address, TransactionDomain } from '../../client/protocol/index.ts';
import { withGasMargin } from '../../client/l1/gas.ts';

export const EXIT_PERIOD_SECONDS = 60n;
export const RESPONSE_PERIOD_SECONDS = 30n;
export const EXIT_BOND = parseEther('0.1');

export interface TestChain {
  readonly rpcUrl: string;
  readonly rpc: JsonRpc;
  readonly provider: JsonRpcProvider;
  readonly operatorKey: `0x${string}`;
  readonly operator: Wallet;
  /** Users (anvil accounts 1..), each a TestWallet (gas margin, no NonceManager: automine makes nonces exact). */
  readonly users: readonly Wallet[];
  readonly address: Address;
  readonly domain: TransactionDomain;
  /** The contract as seen by `signer` (default: the operator). */
  contract(signer?: Wallet): Contract;
  mine(blocks: number): Promise<void>;
  snapshot(): Promise<string>;
  revert(id: string): Promise<void>;
  increaseTime(seconds: bigint): Promise<void>;
}

/** The operator's test configuration: this chain, `database` (a postgres:// URL), a free port, fast loops. */
export function testOperatorConfig(chain: TestChain, databaseUrl: string, flags: Readonly<Record<string, string | number>> = {}): ReturnType<typeof operatorConfig> {
  return operatorConfig({
    'l1-rpc': chain.rpcUrl,
    contract: chain.address,
    'operator-key': chain.operatorKey,
    'database-url': databaseUrl,
    port: 0,
    confirmations: 0,
    'block-interval-ms': 100,
    // Tests count on the next child block holding their next transfer: no empty block 100 ms after each deposit
    // (deposits still get a block at the half mark; test/operator/block/loop.test.ts covers the wait).
    'deposit-wait-ms': 600_000,
    'l1-poll-interval-ms': 50,
    ...flags,
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Wallet that sends with the client's margin over the gas estimate. Tests send raw contract calls as attackers
 * and griefers; without the margin, one estimated just before an exit's response deadline and mined just after
 * runs out of gas (see client/l1/gas.ts).
 */
class TestWallet extends Wallet {
  override async estimateGas(tx: TransactionRequest): Promise<bigint> {
    return withGasMargin(await super.estimateGas(tx));
  }
}

/** The exit game's periods, in seconds; tests that spend much real time (child processes) pass longer ones. */
export interface TestPeriods {
  readonly exitPeriodSeconds: bigint;
  readonly responsePeriodSeconds: bigint;
}

export async function startTestChain(t: Test, periods: TestPeriods = { exitPeriodSeconds: EXIT_PERIOD_SECONDS, responsePeriodSeconds: RESPONSE_PERIOD_SECONDS }): Promise<TestChain> {
  const anvil = await startAnvil({ port: 0, blockTimeSeconds: 0 });
  t.teardown(() => anvil.stop());
  const provider = new JsonRpcProvider(anvil.rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 20;
  t.teardown(() => provider.destroy());
  const operatorKey = ANVIL_KEYS[0];
  const operator = new TestWallet(operatorKey, provider);
  const users = ANVIL_KEYS.slice(1).map((key) => new TestWallet(key, provider));
  const address = (await deployPlasmaCash(new NonceManager(operator) as never, {
    operator: operator.address,
    exitPeriodSeconds: periods.exitPeriodSeconds,
    responsePeriodSeconds: periods.responsePeriodSeconds,
    exitBondWei: EXIT_BOND,
    challengeBondWei: EXIT_BOND,
  })).toLowerCase() as Address;
  const abi = loadArtifact('PlasmaCash').abi as InterfaceAbi;
  const rpc = new JsonRpc(anvil.rpcUrl);
  return {
    rpcUrl: anvil.rpcUrl,
    rpc,
    provider,
    operatorKey,
    operator,
    users,
    address,
    domain: { chainId: 31337n, verifyingContract: address },
    contract: (signer = operator) => new Contract(address, abi, signer),
    mine: async (blocks) => void (await rpc.request('anvil_mine', [`0x${blocks.toString(16)}`])),
    snapshot: () => rpc.request<string>('evm_snapshot'),
    revert: async (id) => {
      if (!(await rpc.request<boolean>('evm_revert', [id]))) throw new Error(`evm_revert ${id} failed`);
    },
    increaseTime: async (seconds) => void (await rpc.request('evm_increaseTime', [Number(seconds)])),
  };
}

/** Turns automine off and mines a block every `everyMs` until the test ends: transactions wait in the pool. */
export async function mineInBackground(t: Test, chain: TestChain, everyMs: number): Promise<void> {
  await chain.rpc.request('evm_setAutomine', [false]);
  let running = true;
  const mining: Promise<unknown>[] = [];
  const loop = (async () => {
    while (running) {
      mining.push(chain.mine(1));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  t.teardown(async () => {
    running = false;
    await loop;
    await Promise.allSettled(mining); // none may reach anvil after the test has stopped it
  });
}
