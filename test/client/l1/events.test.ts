// The cancel reasons the wallet/watcher decoder and the explorer name are the contract's CancelReason enum, in order:
// an ExitCancelled of a reason the client lacks would throw in the decoder (and show as "cancelled" in the explorer).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { AbiCoder, Interface, zeroPadValue, type InterfaceAbi } from 'ethers';
import { CANCEL_REASONS, decodePlasmaEvent } from '../../../client/l1/events.ts';
import { loadArtifact } from '../../../client/l1/artifacts.ts';
import { ExitBook } from '../../../explorer/src/exits.ts';
import { TOPICS } from '../../../explorer/src/l1.ts';
import type { RpcLog } from '../../../client/l1/rpc.ts';

const source = readFileSync(new URL('../../../contracts/src/interfaces/IPlasmaCash.sol', import.meta.url), 'utf8');
const body = /enum CancelReason \{([^}]*)\}/.exec(source)?.[1] ?? '';
const members = body.split('\n').map((line) => line.replace(/\/\/.*/, '').trim().replace(/,$/, '')).filter((m) => m !== '');
const snake = (name: string): string => name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

t.test('CANCEL_REASONS is the contract enum, in order', async (t) => {
  t.ok(members.includes('InconsistentWithCheckpoint'), 'the enum was read');
  t.strictSame([...CANCEL_REASONS], members.map(snake));
});

const iface = new Interface(loadArtifact('PlasmaCash').abi as InterfaceAbi);
const SLOT = 7n;
const ME = '0x00000000000000000000000000000000000000aa';
function cancelled(reason: number): RpcLog {
  const event = iface.getEvent('ExitCancelled');
  if (event === null) throw new Error('no ExitCancelled in the ABI');
  const encoded = iface.encodeEventLog(event, [SLOT, 3n, ME, reason]);
  return { address: ME, topics: encoded.topics, data: encoded.data, blockNumber: '0x10', logIndex: '0x0', transactionHash: `0x${'11'.repeat(32)}`, blockHash: `0x${'22'.repeat(32)}`, transactionIndex: '0x0', removed: false } as unknown as RpcLog;
}

t.test('an ExitCancelled by enforceCheckpoint (reason 4) decodes', async (t) => {
  t.match(decodePlasmaEvent(iface, cancelled(4)), { name: 'ExitCancelled', slot: SLOT, nonce: 3n, reason: 'inconsistent_with_checkpoint' });
  t.throws(() => decodePlasmaEvent(iface, cancelled(5)), /unknown cancel reason 5/);
});

t.test('the explorer names reason 4', async (t) => {
  const book = new ExitBook();
  const started = { topics: [TOPICS.ExitStarted, zeroPadValue('0x07', 32), zeroPadValue('0x03', 32), zeroPadValue(ME, 32)], data: AbiCoder.defaultAbiCoder().encode(['uint256', 'uint256', 'uint256'], [1n, 2n, 3n]), blockNumber: '0x10', transactionHash: `0x${'11'.repeat(32)}` };
  const log = cancelled(4);
  book.apply([started, { topics: log.topics, data: log.data, blockNumber: '0x11', transactionHash: `0x${'12'.repeat(32)}` }] as never);
  t.match(book.exits.get('7:3'), { status: 'cancelled', reason: 'inconsistent with checkpoint' });
});
