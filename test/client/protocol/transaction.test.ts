import t from 'tap';
import { id, TypedDataEncoder } from 'ethers';
import {
  assertTransaction,
  bytesToHex,
  depositTransaction,
  domainSeparator,
  InputError,
  TRANSACTION_TYPEHASH,
  TRANSACTION_TYPES,
  transactionDigest,
  transactionStructHash,
  UINT256_MAX,
  UINT64_MAX,
  type Address,
  type Transaction,
  type TransactionDomain,
} from '../../../client/protocol/index.ts';
import { DOMAIN, rng } from './fixtures/helpers.ts';

const types = { Transaction: TRANSACTION_TYPES.Transaction.map((field) => ({ ...field })) };
const ethersDomain = (domain: TransactionDomain) => ({ name: 'PlasmaCash', version: '1', chainId: domain.chainId, verifyingContract: domain.verifyingContract });

function randomTransactions(count: number, seed: number): Transaction[] {
  const random = rng(seed);
  const edges: Transaction[] = [
    { slot: 0n, prevBlock: 0n, denomination: 1n, newOwner: '0x0000000000000000000000000000000000000000' },
    { slot: UINT64_MAX, prevBlock: UINT256_MAX, denomination: UINT256_MAX, newOwner: '0xffffffffffffffffffffffffffffffffffffffff' },
  ];
  const randoms = Array.from({ length: count }, () => ({
    slot: random.uint64(),
    prevBlock: random.uint256() >> BigInt(random.int(256)),
    denomination: random.uint256() >> BigInt(random.int(256)),
    newOwner: bytesToHex(random.bytes(20)) as Address,
  }));
  return [...edges, ...randoms];
}

t.test('typehash is keccak of the type string of §4', async (t) => {
  t.equal(TRANSACTION_TYPEHASH, id('Transaction(uint64 slot,uint256 prevBlock,uint256 denomination,address newOwner)'));
  t.equal(TypedDataEncoder.from(types).encodeType('Transaction'), 'Transaction(uint64 slot,uint256 prevBlock,uint256 denomination,address newOwner)');
});

t.test('domain separator equals ethers TypedDataEncoder.hashDomain', async (t) => {
  const random = rng(11);
  const domains: TransactionDomain[] = [
    DOMAIN,
    { chainId: 1n, verifyingContract: bytesToHex(random.bytes(20)) as Address },
    { chainId: UINT256_MAX, verifyingContract: '0xffffffffffffffffffffffffffffffffffffffff' },
  ];
  for (const domain of domains) t.equal(domainSeparator(domain), TypedDataEncoder.hashDomain(ethersDomain(domain)));
});

t.test('struct hash equals ethers TypedDataEncoder.hashStruct', async (t) => {
  for (const tx of randomTransactions(50, 12)) {
    t.equal(transactionStructHash(tx), TypedDataEncoder.hashStruct('Transaction', types, { ...tx }));
  }
});

t.test('digest equals ethers TypedDataEncoder.hash for random and edge transactions', async (t) => {
  const other: TransactionDomain = { chainId: 10n, verifyingContract: '0x1234567890123456789012345678901234567890' };
  for (const tx of randomTransactions(200, 13)) {
    t.equal(transactionDigest(tx, DOMAIN), TypedDataEncoder.hash(ethersDomain(DOMAIN), types, { ...tx }));
    t.equal(transactionDigest(tx, other), TypedDataEncoder.hash(ethersDomain(other), types, { ...tx }));
  }
});

t.test('digest depends on every field and on the domain', async (t) => {
  const tx: Transaction = { slot: 5n, prevBlock: 1001n, denomination: 10n, newOwner: '0x1111111111111111111111111111111111111111' };
  const base = transactionDigest(tx, DOMAIN);
  t.not(transactionDigest({ ...tx, slot: 6n }, DOMAIN), base);
  t.not(transactionDigest({ ...tx, prevBlock: 1002n }, DOMAIN), base);
  t.not(transactionDigest({ ...tx, denomination: 11n }, DOMAIN), base);
  t.not(transactionDigest({ ...tx, newOwner: '0x1111111111111111111111111111111111111112' }, DOMAIN), base);
  t.not(transactionDigest(tx, { ...DOMAIN, chainId: 1n }), base);
  t.equal(transactionDigest({ ...tx, newOwner: '0x1111111111111111111111111111111111111111' }, DOMAIN), base, 'deterministic');
});

t.test('deposit transaction is Transaction(slot, 0, denomination, depositor)', async (t) => {
  const deposit = { slot: 9n, block: 1001n, owner: '0x2222222222222222222222222222222222222222' as Address, denomination: 7n };
  t.same(depositTransaction(deposit), { slot: 9n, prevBlock: 0n, denomination: 7n, newOwner: deposit.owner });
});

t.test('a transaction with a field outside its Solidity type has no digest', async (t) => {
  const tx: Transaction = { slot: 1n, prevBlock: 0n, denomination: 1n, newOwner: '0x1111111111111111111111111111111111111111' };
  const codeOf = (bad: Transaction) => {
    try {
      assertTransaction(bad);
      transactionDigest(bad, DOMAIN);
    } catch (error) {
      return error instanceof InputError ? error.code : 'other';
    }
    return 'none';
  };
  t.equal(codeOf({ ...tx, slot: UINT64_MAX + 1n }), 'invalid_slot');
  t.equal(codeOf({ ...tx, slot: -1n }), 'invalid_slot');
  t.equal(codeOf({ ...tx, prevBlock: UINT256_MAX + 1n }), 'invalid_prev_block');
  t.equal(codeOf({ ...tx, denomination: -1n }), 'invalid_denomination');
  t.equal(codeOf({ ...tx, newOwner: '0x1234' }), 'invalid_address');
});
