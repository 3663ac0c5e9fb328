// The L1 side of bench/e2e.ts: PlasmaCash on a fresh anvil, many deposits made quickly, and a watcher of the
// BlockSubmitted events (the commits a receiver looks for before spending on).
import { NonceManager, parseEther, Wallet, JsonRpcProvider } from 'ethers';
import { ANVIL_KEYS } from '../devnet/anvil.ts';
import { deployPlasmaCash } from '../client/l1/deploy.ts';
import { callPlasmaCash, plasmaCashInterface } from '../client/l1/contract.ts';
import { quantity, type JsonRpc } from '../client/l1/rpc.ts';
import type { Address } from '../client/protocol/index.ts';

export const DEPOSIT_WEI = parseEther('0.01');

export async function deploy(rpcUrl: string): Promise<Address> {
  const provider = new JsonRpcProvider(rpcUrl, 31337, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 20;
  const operator = new Wallet(ANVIL_KEYS[0], provider);
  const address = await deployPlasmaCash(new NonceManager(operator) as never, {
    operator: operator.address,
    exitPeriodSeconds: 604800n,
    responsePeriodSeconds: 86400n,
    exitBondWei: parseEther('0.1'),
    challengeBondWei: parseEther('0.1'),
  });
  provider.destroy();
  return address.toLowerCase() as Address;
}

const counter = async (rpc: JsonRpc, contract: Address, name: string): Promise<bigint> => BigInt((await callPlasmaCash(rpc, contract, name))[0]);

/**
 * Makes `count` ETH deposits, owner i % owners.length, through anvil's unlocked dev accounts (no client-side
 * signing: anvil signs eth_sendTransaction). The contract numbers at most 999 deposits between two child blocks,
 * so deposits go out in chunks that leave a margin in the open interval, and when it is nearly used up the
 * function waits for the operator to close it (it builds an empty block at the half mark, operator/block/deposits.ts).
 */
export async function depositMany(rpc: JsonRpc, contract: Address, owners: readonly Address[], count: number, onProgress: (made: number) => void): Promise<void> {
  const data = plasmaCashInterface().encodeFunctionData('deposit');
  // Nonces kept here: anvil would give two concurrent sends of one account the same one.
  const nonces = await Promise.all(owners.map(async (owner) => BigInt(await rpc.request<string>('eth_getTransactionCount', [owner, 'pending']))));
  for (;;) {
    const made = Number(await counter(rpc, contract, 'depositNonce'));
    if (made >= count) return;
    const room = Number((await counter(rpc, contract, 'nextChildBlock')) - (await counter(rpc, contract, 'nextDepositBlock')));
    if (room <= 100) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    const chunk = Math.min(room - 100, 500, count - made);
    // With automine off the chunk goes into a few L1 blocks instead of one block per deposit (anvil mines ~100
    // blocks/s on a loaded machine); any submitBlock the operator sends meanwhile is mined with them.
    await rpc.request('evm_setAutomine', [false]);
    try {
      for (let start = 0; start < chunk; start += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, chunk - start) }, (_, k) => {
            const owner = (start + k) % owners.length;
            const nonce = nonces[owner]!;
            nonces[owner] = nonce + 1n;
            return rpc.request('eth_sendTransaction', [{ from: owners[owner], to: contract, data, value: quantity(DEPOSIT_WEI), gas: quantity(200_000n), nonce: quantity(nonce) }]);
          }),
        );
      }
      while (BigInt((await rpc.request<{ pending: string }>('txpool_status')).pending) > 0n) await rpc.request('evm_mine');
    } finally {
      await rpc.request('evm_setAutomine', [true]);
    }
    onProgress(made + chunk);
  }
}

export interface DepositedCoin {
  readonly slot: bigint;
  readonly depositor: Address;
  readonly block: bigint;
}

/** Every Deposit event of the contract, in order. */
export async function depositedCoins(rpc: JsonRpc, contract: Address): Promise<DepositedCoin[]> {
  const iface = plasmaCashInterface();
  const logs = await rpc.request<{ topics: string[]; data: string }[]>('eth_getLogs', [
    { address: contract, fromBlock: '0x0', toBlock: 'latest', topics: [iface.getEvent('Deposit')!.topicHash] },
  ]);
  return logs.map((log) => {
    const parsed = iface.parseLog(log)!;
    return {
      slot: parsed.args.getValue('slot') as bigint,
      depositor: (parsed.args.getValue('depositor') as string).toLowerCase() as Address,
      block: parsed.args.getValue('blockNumber') as bigint,
    };
  });
}

/** Reads the BlockSubmitted events L1 got since the last read (child block numbers, ascending). */
export class SubmittedBlocks {
  readonly #rpc: JsonRpc;
  readonly #contract: Address;
  readonly #topic = plasmaCashInterface().getEvent('BlockSubmitted')!.topicHash;
  #from = 0n;

  constructor(rpc: JsonRpc, contract: Address) {
    this.#rpc = rpc;
    this.#contract = contract;
  }

  /** Skips everything up to the current head. */
  async skipToHead(): Promise<void> {
    this.#from = (await this.#rpc.blockNumber()) + 1n;
  }

  async poll(): Promise<bigint[]> {
    const head = await this.#rpc.blockNumber();
    if (head < this.#from) return [];
    const logs = await this.#rpc.request<{ topics: string[] }[]>('eth_getLogs', [
      { address: this.#contract, fromBlock: quantity(this.#from), toBlock: quantity(head), topics: [this.#topic] },
    ]);
    this.#from = head + 1n;
    return logs.map((log) => BigInt(log.topics[1]!));
  }
}
