import t from 'tap';
import { HistoryError, InputError, PlasmaError, ProofError, SignatureError } from '../../../client/protocol/index.ts';

t.test('errors carry a stable code, a short message, details and cause', async (t) => {
  const cause = new Error('root cause');
  const error = new InputError('invalid_slot', 'slot is bad', { details: 'got -1', cause, field: 'slot' });
  t.ok(error instanceof PlasmaError);
  t.ok(error instanceof Error);
  t.equal(error.code, 'invalid_slot');
  t.equal(error.shortMessage, 'slot is bad');
  t.equal(error.details, 'got -1');
  t.equal(error.cause, cause);
  t.equal(error.field, 'slot');
  t.match(error.message, /slot is bad[\s\S]*got -1/);
  t.equal(error.name, 'InputError');
});

t.test('each domain has its own subclass', async (t) => {
  t.equal(new SignatureError('signature_high_s', 'x').name, 'SignatureError');
  t.equal(new ProofError('invalid_proof_length', 'x').name, 'ProofError');
  const history = new HistoryError('missing_block', 3000n, 'every block must be covered');
  t.equal(history.block, 3000n);
  t.equal(history.rule, 'every block must be covered');
  t.match(history.shortMessage, /block 3000/);
});
