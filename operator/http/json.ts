/** JSON views of stored rows: every uint a decimal string, every byte string 0x-hex (§9). */
import type { BlockRecord, Coin } from '../db/transfers.ts';

export function coinJson(coin: Coin) {
  return {
    slot: coin.slot.toString(),
    owner: coin.owner,
    denomination: coin.denomination.toString(),
    kind: coin.kind,
    token: coin.token,
    tokenId: coin.tokenId.toString(),
    depositor: coin.depositor,
    depositBlock: coin.depositBlock.toString(),
    lastBlock: coin.lastBlock.toString(),
    state: coin.state,
  };
}

export function blockJson(block: BlockRecord) {
  return {
    number: block.number.toString(),
    root: block.root,
    txCount: block.txCount,
    status: block.status,
    l1TxHash: block.l1TxHash,
    createdAt: block.createdAt.toISOString(),
  };
}
