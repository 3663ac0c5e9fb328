import t from 'tap';
import {
  coinHistoryResponseToJson,
  historyEntryToJson,
  InputError,
  parseCoinHistoryResponseJson,
  parseHistoryEntryJson,
  parseSignedTransactionJson,
  parseTransactionJson,
  parseTransactionsBody,
  signDigest,
  signedTransactionToJson,
  SparseMerkleTree,
  transactionDigest,
  transactionToJson,
  type Address,
  type HistoryEntry,
  type Transaction,
} from '../../../client/protocol/index.ts';
import { DOMAIN, privateKey } from './fixtures/helpers.ts';

const tx: Transaction = { slot: 18446744073709551615n, prevBlock: 1001n, denomination: 10n ** 18n, newOwner: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed' };
const signature = signDigest(transactionDigest(tx, DOMAIN), privateKey(1));
const tree = SparseMerkleTree.build([{ slot: tx.slot, leaf: transactionDigest(tx, DOMAIN) }, { slot: 7n, leaf: transactionDigest({ ...tx, slot: 7n }, DOMAIN) }]);
const inclusion: HistoryEntry = { block: 2000n, kind: 'inclusion', transaction: tx, signature, proof: tree.proof(tx.slot) };
const exclusion: HistoryEntry = { block: 3000n, kind: 'exclusion', proof: tree.proof(8n) };
const signedJson = () => JSON.parse(JSON.stringify(signedTransactionToJson(tx, signature))) as Record<string, unknown>;

const failure = (fn: () => unknown): { code: string; field: string | undefined } => {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return { code: error.code, field: error.field };
    return { code: `not an InputError: ${String(error)}`, field: undefined };
  }
  return { code: 'accepted', field: undefined };
};

t.test('a signed transaction round-trips through its §9 JSON', async (t) => {
  const json = signedTransactionToJson(tx, signature);
  t.same(json, { slot: '18446744073709551615', prevBlock: '1001', denomination: '1000000000000000000', newOwner: tx.newOwner, signature });
  t.same(parseSignedTransactionJson(JSON.parse(JSON.stringify(json))), { transaction: tx, signature });
  t.same(parseTransactionJson(transactionToJson(tx)), tx);
});

t.test('the transactions body is one object or an array of them', async (t) => {
  t.equal(parseTransactionsBody(signedJson()).length, 1);
  t.equal(parseTransactionsBody([signedJson(), signedJson()]).length, 2);
  t.same(failure(() => parseTransactionsBody([])), { code: 'invalid_object', field: 'body' });
  t.same(failure(() => parseTransactionsBody([signedJson(), { ...signedJson(), slot: 1 }])), { code: 'invalid_slot', field: '[1].slot' });
  t.equal(failure(() => parseTransactionsBody(Array.from({ length: 3 }, signedJson), 2)).code, 'invalid_object', 'too many items');
});

t.test('history entries and responses round-trip', async (t) => {
  for (const entry of [inclusion, exclusion]) t.same(parseHistoryEntryJson(JSON.parse(JSON.stringify(historyEntryToJson(entry)))), entry);
  const response = { slot: tx.slot, deposit: { block: 1001n, owner: tx.newOwner, denomination: tx.denomination }, lastCommittedBlock: 3000n, entries: [inclusion, exclusion] };
  const json = coinHistoryResponseToJson(response);
  t.same(parseCoinHistoryResponseJson(JSON.parse(JSON.stringify(json))), response);
  t.notOk('next' in json);
  const paged = coinHistoryResponseToJson({ ...response, next: 4000n });
  t.equal(paged.next, '4000');
  t.equal(parseCoinHistoryResponseJson(paged).next, 4000n);
});

t.test('bad uints are rejected with the code of their field', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['slot', '18446744073709551616', 'invalid_slot'],
    ['slot', 5, 'invalid_slot'],
    ['slot', '-1', 'invalid_slot'],
    ['slot', '01', 'invalid_slot'],
    ['prevBlock', '1e3', 'invalid_prev_block'],
    ['denomination', (1n << 256n).toString(), 'invalid_denomination'],
    ['denomination', '', 'invalid_denomination'],
  ];
  for (const [field, value, code] of cases) {
    t.same(failure(() => parseSignedTransactionJson({ ...signedJson(), [field]: value })), { code, field: `transaction.${field}` }, `${field} = ${JSON.stringify(value)}`);
  }
});

t.test('bad addresses, signatures and hex are rejected with their codes', async (t) => {
  const checksumBroken = '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
  t.equal(failure(() => parseSignedTransactionJson({ ...signedJson(), newOwner: checksumBroken })).code, 'invalid_new_owner');
  t.equal(failure(() => parseSignedTransactionJson({ ...signedJson(), newOwner: '0x1234' })).code, 'invalid_new_owner');
  t.equal(failure(() => parseSignedTransactionJson({ ...signedJson(), signature: signature.slice(0, -2) })).code, 'invalid_signature');
  t.equal(failure(() => parseSignedTransactionJson({ ...signedJson(), signature: `0x${'zz'.repeat(65)}` })).code, 'invalid_signature');
  t.same(parseSignedTransactionJson({ ...signedJson(), newOwner: tx.newOwner.toUpperCase().replace('0X', '0x') }).transaction.newOwner, tx.newOwner, 'upper case accepted, normalized');
});

t.test('missing, unknown and wrongly typed fields are rejected', async (t) => {
  const { signature: _omitted, ...unsigned } = signedJson();
  t.same(failure(() => parseSignedTransactionJson(unsigned)), { code: 'missing_field', field: 'transaction.signature' });
  t.same(failure(() => parseSignedTransactionJson({ ...signedJson(), prevblock: '1' })), { code: 'unknown_field', field: 'transaction.prevblock' });
  for (const value of [null, [], 'x', 5]) t.equal(failure(() => parseSignedTransactionJson(value)).code, 'invalid_object');
});

t.test('history entries: bad kind, bad block, bad proof', async (t) => {
  const json = historyEntryToJson(exclusion) as unknown as Record<string, unknown>;
  t.equal(failure(() => parseHistoryEntryJson({ ...json, kind: 'deposit' })).code, 'invalid_kind');
  t.equal(failure(() => parseHistoryEntryJson({ ...json, block: '3000.0' })).code, 'invalid_block');
  t.equal(failure(() => parseHistoryEntryJson({ ...json, proof: '0x00000000000000' })).code, 'invalid_proof', '7-byte bitmap');
  t.equal(failure(() => parseHistoryEntryJson({ ...json, proof: '0x0000000000000001' })).code, 'invalid_proof', 'bitmap promises a sibling');
  t.equal(failure(() => parseHistoryEntryJson({ ...json, proof: `0x${'ff'.repeat(2057)}` })).code, 'invalid_proof', 'too long');
  t.equal(failure(() => parseHistoryEntryJson({ ...json, transaction: transactionToJson(tx) })).code, 'unknown_field', 'exclusion carries no transaction');
  const included = historyEntryToJson(inclusion) as unknown as Record<string, unknown>;
  t.same(failure(() => parseHistoryEntryJson({ ...included, transaction: { ...transactionToJson(tx), slot: 'x' } }, 'entries[2]')), { code: 'invalid_slot', field: 'entries[2].transaction.slot' });
  const response = coinHistoryResponseToJson({ slot: 1n, deposit: { block: 1n, owner: tx.newOwner as Address, denomination: 1n }, lastCommittedBlock: 0n, entries: [] });
  t.equal(failure(() => parseCoinHistoryResponseJson({ ...response, entries: {} })).code, 'invalid_object');
  t.equal(failure(() => parseCoinHistoryResponseJson({ ...response, deposit: { ...response.deposit, owner: '0x12' } })).code, 'invalid_owner');
});
