/**
 * `--verify-l1`: the watcher's L1StateCheck backed by storage proofs (client/l1/state-proof.ts), so that a
 * lying RPC node cannot make it act on a root or an exit record that is not in the chain's state.
 */
import type { Address } from '../protocol/index.ts';
import type { JsonRpc } from '../l1/rpc.ts';
import { EXIT_STATUSES } from '../l1/plasma-cash.ts';
import { VerifiedL1State } from '../l1/state-proof.ts';
import type { L1StateCheck } from './watcher.ts';


/** VerifiedL1State's exit status is the contract's enum (0..3); the watcher compares names. */
export function exitStatusName(status: bigint): string {
  return EXIT_STATUSES[Number(status)] ?? `unknown(${status})`;
}

export function provenL1State(rpc: JsonRpc, contract: Address): L1StateCheck {
  const state = new VerifiedL1State({ rpc, contract });
  return {
    childBlockRoot: (blockNumber, l1Block) => state.childBlockRoot(blockNumber, l1Block),
    async exit(slot, nonce, l1Block) {
      const exit = await state.exit(slot, nonce, l1Block);
      return { exitor: exit.exitor, parentBlock: exit.parentBlock, exitBlock: exit.exitBlock, status: exitStatusName(exit.status) };
    },
  };
}
