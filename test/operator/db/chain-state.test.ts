// The operator's view of exits (PROTOCOL.md §6): several exits of a coin may be live at once, so the coin stays
// closed to transfers until the last live one is cancelled, and a finalized exit closes it for good.
import t from 'tap';
import { applyL1Range, type ChainEvent } from '../../../operator/db/chain-state.ts';
import { coinBySlot } from '../../../operator/db/transfers.ts';
import type { Address, Hash } from '../../../client/protocol/index.ts';
import { createTestStore } from './helpers.ts';

const SLOT = 42n;
const ALICE = '0x00000000000000000000000000000000000a11ce' as Address;
const MALLORY = '0x000000000000000000000000000000000000bad0' as Address;
const TX = `0x${'33'.repeat(32)}` as Hash;

t.test('a coin stays exiting while any exit is live, and a finalized exit outlives the cancellation of the others', async (t) => {
  const store = await createTestStore(t, 'chain_state');
  let l1Block = 0n;
  const apply = async (...events: ChainEvent[]): Promise<string | undefined> => {
    l1Block += 1n;
    await applyL1Range(store.sql, { from: l1Block, through: l1Block, events });
    return (await coinBySlot(store.sql, SLOT))?.state;
  };
  const deposit: ChainEvent = {
    name: 'Deposit', l1Block: 1n, logIndex: 0, transactionHash: `0x${'11'.repeat(32)}` as Hash, slot: SLOT, depositor: ALICE, block: 1n,
    kind: 'eth', token: '0x0000000000000000000000000000000000000000' as Address, tokenId: 0n, denomination: 5n,
  };
  const exit = (name: 'ExitStarted' | 'ExitCancelled' | 'ExitFinalized', nonce: bigint, exitor: Address = MALLORY): ChainEvent => {
    const base = { l1Block: l1Block + 1n, logIndex: 0, transactionHash: TX, slot: SLOT, nonce };
    if (name === 'ExitStarted') return { ...base, name, exitor, parentBlock: 0n, exitBlock: 1n, finalizableAt: 0n };
    if (name === 'ExitCancelled') return { ...base, name, challenger: ALICE, reason: 'double_spend' };
    return { ...base, name, exitor };
  };

  t.equal(await apply(deposit), 'deposited');
  t.equal(await apply(exit('ExitStarted', 1n)), 'exiting', 'mallory exits');
  t.equal(await apply(exit('ExitStarted', 2n, ALICE)), 'exiting', 'alice exits beside her');
  t.equal(await apply(exit('ExitCancelled', 1n)), 'exiting', 'mallory\'s exit is cancelled, alice\'s is still live: no transfer may land');
  t.equal(await apply(exit('ExitStarted', 3n)), 'exiting');
  t.equal(await apply(exit('ExitFinalized', 2n)), 'exited', 'alice\'s exit wins');
  t.equal(await apply(exit('ExitCancelled', 3n)), 'exited', 'the losing exit settled afterwards leaves the coin exited');
  const rows = await store.sql<{ nonce: string; state: string }[]>`select nonce, state from exits order by nonce`;
  t.same(rows.map((r) => [r.nonce, r.state]), [['1', 'cancelled'], ['2', 'finalized'], ['3', 'cancelled']]);
});

t.test('the coin is open again once its only live exit is cancelled', async (t) => {
  const store = await createTestStore(t, 'chain_state_reopen');
  const events: ChainEvent[] = [
    {
      name: 'Deposit', l1Block: 1n, logIndex: 0, transactionHash: `0x${'22'.repeat(32)}` as Hash, slot: SLOT, depositor: ALICE, block: 1n,
      kind: 'eth', token: '0x0000000000000000000000000000000000000000' as Address, tokenId: 0n, denomination: 5n,
    },
    { name: 'ExitStarted', l1Block: 1n, logIndex: 1, transactionHash: TX, slot: SLOT, nonce: 1n, exitor: MALLORY, parentBlock: 0n, exitBlock: 1n, finalizableAt: 0n },
    { name: 'ExitCancelled', l1Block: 1n, logIndex: 2, transactionHash: TX, slot: SLOT, nonce: 1n, challenger: ALICE, reason: 'double_spend' },
  ];
  await applyL1Range(store.sql, { from: 1n, through: 1n, events });
  t.equal((await coinBySlot(store.sql, SLOT))?.state, 'deposited');
});
