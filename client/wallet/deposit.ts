/** Wallet actions: deposits of ETH, ERC-20 and ERC-721 tokens, and waiting until the operator follows one. */
import { Contract, type Signer } from 'ethers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address } from '../protocol/index.ts';
import type { PlasmaEvent } from '../l1/events.ts';
import { sendContractCall } from '../l1/send-until-mined.ts';
import { sendL1, underSendLock, WalletError, type WalletContext } from './context.ts';
import { recordOwnDeposit } from './state.ts';

const ERC20_ABI = ['function approve(address spender, uint256 amount) returns (bool)', 'function allowance(address owner, address spender) view returns (uint256)'];
const ERC721_ABI = ['function approve(address to, uint256 tokenId)', 'function getApproved(uint256 tokenId) view returns (address)'];

export async function depositEth(context: WalletContext, amount: bigint): Promise<bigint> {
  return recordDeposit(context, await sendL1(context, 'deposit', [], amount));
}

export async function depositErc20(context: WalletContext, token: Address, amount: bigint): Promise<bigint> {
  const erc20 = new Contract(token, ERC20_ABI, context.signer as Signer);
  if (BigInt(await erc20.getFunction('allowance')(context.address, context.l1.address)) < amount) {
    await approve(context, erc20, [context.l1.address, amount]);
  }
  return recordDeposit(context, await sendL1(context, 'depositERC20', [token, amount]));
}

export async function depositErc721(context: WalletContext, token: Address, tokenId: bigint): Promise<bigint> {
  const erc721 = new Contract(token, ERC721_ABI, context.signer as Signer);
  if (String(await erc721.getFunction('getApproved')(tokenId)).toLowerCase() !== context.l1.address) {
    await approve(context, erc721, [context.l1.address, tokenId]);
  }
  return recordDeposit(context, await sendL1(context, 'depositERC721', [token, tokenId]));
}

/** Waits until the operator has followed the deposit of `slot` (it takes transfers of it from then on). */
export async function waitForCoin(context: WalletContext, slot: bigint, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await context.operator.coin(slot)) === undefined) {
    if (Date.now() > deadline) throw new WalletError('timeout', `the operator has not seen the deposit of coin ${slot} after ${timeoutMs} ms; is it following L1?`);
    await sleep(200);
  }
}

/** A token's approve, sent like the wallet's PlasmaCash writes: under the account's lock, until mined. */
async function approve(context: WalletContext, token: Contract, args: readonly unknown[]): Promise<void> {
  const receipt = await underSendLock(context, () => sendContractCall(context.signer, context.l1.rpc, token, { method: 'approve', args, value: 0n }, context.l1.sendOptions));
  if (receipt.status !== '0x1') throw new WalletError('approve_failed', `approve on ${await token.getAddress()} failed on L1 (transaction ${receipt.transactionHash})`);
}

async function recordDeposit(context: WalletContext, sent: { logs: PlasmaEvent[] }): Promise<bigint> {
  const event = sent.logs.find((log) => log.name === 'Deposit');
  if (event === undefined || event.name !== 'Deposit') throw new WalletError('no_deposit_event', 'the deposit transaction emitted no Deposit event');
  await context.stateFile.update((state) => {
    recordOwnDeposit(state, event);
  });
  context.log(`deposited coin ${event.slot} (${event.kind}, ${event.denomination}) at block ${event.block}`);
  return event.slot;
}
