// Checkpoint packages (PROTOCOL.md §10 Receiver, docs/CHECKPOINTS.md §6–§7): vectors built with client/protocol's
// own tree; a valid package is accepted and each broken rule is refused with its own code.
import t from 'tap';
import {
  bytesToHex,
  checkpointLeaf,
  CheckpointError,
  checkpointHistoryResponseToJson,
  depositTransaction,
  HistoryError,
  parseCheckpointHistoryResponseJson,
  signDigest,
  transactionDigest,
  verifyCheckpointPackage,
  type CheckpointLeafObject,
  type LeafStatusName,
  type VerifyCheckpointPackageInput,
} from '../../../client/protocol/index.ts';
import { addressOf, DOMAIN } from './fixtures/helpers.ts';
import {
  bob,
  carol,
  chainLeaf,
  checkpoint,
  deposit,
  entries,
  erin,
  honestWorld,
  inclusion,
  LAST,
  mallory,
  roots,
  SLOT,
  spend,
  spends,
  type LeafSpec,
} from './fixtures/checkpoint-world.ts';

function packageInput(
  cps: Map<bigint, ReturnType<typeof checkpoint>>,
  options: { base?: bigint | null; pending?: readonly bigint[]; pendingOnL1?: readonly bigint[]; from?: bigint } = {},
): VerifyCheckpointPackageInput {
  const base = options.base === undefined ? 1n : options.base;
  const from = options.from ?? (base === null ? 0n : cps.get(base)!.record.block);
  const pending = options.pending ?? [2n, 3n];
  return {
    deposit,
    package: {
      checkpoint: base === null ? null : cps.get(base)!.object,
      entries: [...entries.values()].filter((entry) => entry.block > from),
      pending: pending.map((k) => cps.get(k)!.object),
    },
    roots: (block) => roots.get(block),
    checkpoints: (k) => cps.get(k)?.record,
    pendingOnL1: options.pendingOnL1 ?? pending,
    committedChildBlocks: { to: LAST },
    domain: DOMAIN,
  };
}

function rejection(run: () => unknown): { code: string; checkpoint?: bigint | undefined } {
  try {
    run();
  } catch (error) {
    if (error instanceof CheckpointError) return { code: error.code, checkpoint: error.checkpoint };
    if (error instanceof HistoryError) return { code: error.code };
    return { code: `not a protocol error: ${String(error)}` };
  }
  return { code: 'accepted' };
}

/** The honest world with one checkpoint replaced. */
function replaced(k: bigint, block: bigint, spec: LeafSpec, status?: LeafStatusName) {
  const cps = honestWorld();
  cps.set(k, checkpoint(k, block, spec, status ?? cps.get(k)!.record.leafStatus));
  return cps;
}

/** The honest world with checkpoint k's served object changed (its L1 record unchanged). */
function served(k: bigint, change: Partial<CheckpointLeafObject>) {
  const cps = honestWorld();
  const item = cps.get(k)!;
  cps.set(k, { record: item.record, object: { ...item.object, ...change } });
  return cps;
}

t.test('a valid package is accepted: base, history after N, pending leaves naming the chain', async (t) => {
  const result = verifyCheckpointPackage({ ...packageInput(honestWorld()), expectedOwner: addressOf(erin) });
  t.equal(result.state.owner, addressOf(erin));
  t.equal(result.state.lastBlock, 11000n);
  t.equal(result.state.coveredThrough, LAST);
  t.equal(result.base?.checkpoint, 1n);
  t.equal(result.base?.block, 7000n);
  t.equal(result.base?.txBlock, 6000n);
  t.equal(result.base?.txDigest, transactionDigest(spends.get(6000n)!.tx, DOMAIN));
  t.same(result.base?.transaction, spends.get(6000n)!.tx);
  t.equal(result.base?.proof, inclusion(6000n).proof, 'the checkpointed transaction keeps its inclusion proof');
  t.same(result.chain.map((entry) => entry.block), [9000n, 11000n]);
  t.same(result.pending.map((leaf) => [leaf.checkpoint, leaf.verdict]), [[2n, 'names_chain'], [3n, 'names_chain']]);
});

t.test('the package survives its own wire format', async (t) => {
  const input = packageInput(honestWorld());
  const json = JSON.parse(
    JSON.stringify(
      checkpointHistoryResponseToJson({ slot: SLOT, deposit: { block: deposit.block, owner: deposit.owner, denomination: deposit.denomination }, lastCommittedBlock: LAST, ...input.package }),
    ),
  );
  const parsed = parseCheckpointHistoryResponseJson(json);
  t.same(parsed.checkpoint, input.package.checkpoint);
  t.same(parsed.pending, input.package.pending);
  t.equal(verifyCheckpointPackage({ ...input, package: parsed }).state.owner, addressOf(erin));
});

t.test('no base: the history from the deposit, pending leaves still checked', async (t) => {
  const cps = honestWorld();
  const result = verifyCheckpointPackage(packageInput(cps, { base: null, pending: [1n, 2n, 3n], pendingOnL1: [2n, 3n] }));
  t.equal(result.base, undefined);
  t.equal(result.state.owner, addressOf(erin));
  t.same(result.chain.map((entry) => entry.block), [4000n, 6000n, 9000n, 11000n]);
  t.same(result.pending.map((leaf) => leaf.verdict), ['names_chain', 'names_chain', 'names_chain']);
});

t.test('a deposit leaf as the base: the deposit transaction, no signature or proof', async (t) => {
  const cps = honestWorld();
  cps.set(1n, checkpoint(1n, 3000n, chainLeaf(deposit.block), 'final'));
  const result = verifyCheckpointPackage(packageInput(cps));
  t.equal(result.base?.txBlock, deposit.block);
  t.equal(result.base?.signature, null);
  t.equal(result.base?.proof, null);
  t.same(result.chain.map((entry) => entry.block), [4000n, 6000n, 9000n, 11000n]);
  t.equal(result.state.owner, addressOf(erin));
});

t.test('pending leaves that say nothing: zero, void on L1, or not the coin\'s', async (t) => {
  const zero = replaced(2n, 10000n, 'zero');
  t.equal(verifyCheckpointPackage(packageInput(zero)).pending[0]!.verdict, 'zero');
  const forged = spend(6000n, mallory, carol);
  const voided = replaced(2n, 10000n, { txBlock: 8000n, tx: forged.tx, signature: null, proof: null }, 'void');
  t.equal(verifyCheckpointPackage(packageInput(voided)).pending[0]!.verdict, 'void', 'a wrong leaf already void on L1 binds nothing');
  const before = replaced(2n, 10000n, { txBlock: 1000n, tx: forged.tx, signature: null, proof: null });
  t.equal(verifyCheckpointPackage(packageInput(before)).pending[0]!.verdict, 'not_coin', 'txBlock before the deposit: not the coin\'s leaf');
});

// ---- the base (rule 1)

t.test('a checkpoint L1 does not hold → unknown_checkpoint', async (t) => {
  const input = packageInput(honestWorld());
  t.same(rejection(() => verifyCheckpointPackage({ ...input, checkpoints: (k) => (k === 1n ? undefined : input.checkpoints(k)) })), { code: 'unknown_checkpoint', checkpoint: 1n });
});

t.test('a leaf object whose N is not L1\'s → checkpoint_block_mismatch', async (t) => {
  t.same(rejection(() => verifyCheckpointPackage(packageInput(served(1n, { block: 8000n }), { from: 7000n }))), { code: 'checkpoint_block_mismatch', checkpoint: 1n });
});

t.test('a leaf of another slot → leaf_slot_mismatch', async (t) => {
  t.same(rejection(() => verifyCheckpointPackage(packageInput(served(1n, { slot: SLOT ^ 1n })))), { code: 'leaf_slot_mismatch', checkpoint: 1n });
});

t.test('a served leaf that is not its transaction\'s → leaf_mismatch', async (t) => {
  t.same(rejection(() => verifyCheckpointPackage(packageInput(served(1n, { leaf: bytesToHex(checkpointLeaf(4000n, transactionDigest(spends.get(6000n)!.tx, DOMAIN))) })))), {
    code: 'leaf_mismatch',
    checkpoint: 1n,
  });
});

t.test('a leaf proof that does not match the checkpoint root on L1 → invalid_leaf_proof', async (t) => {
  const other = checkpoint(9n, 7000n, chainLeaf(6000n));
  t.same(rejection(() => verifyCheckpointPackage(packageInput(served(1n, { leafProof: other.object.leafProof })))), { code: 'invalid_leaf_proof', checkpoint: 1n });
  // The transaction (and so the leaf) changed to one the checkpoint does not hold.
  const substitute = { ...spends.get(6000n)!.tx, newOwner: addressOf(mallory) };
  const leaf = bytesToHex(checkpointLeaf(6000n, transactionDigest(substitute, DOMAIN)));
  t.same(rejection(() => verifyCheckpointPackage(packageInput(served(1n, { transaction: substitute, leaf })))), { code: 'invalid_leaf_proof', checkpoint: 1n });
});

t.test('a base not Final on L1 → checkpoint_not_final', async (t) => {
  for (const status of ['pending', 'void'] as const) {
    const cps = honestWorld();
    const item = cps.get(1n)!;
    cps.set(1n, { record: { ...item.record, leafStatus: status }, object: item.object });
    t.same(rejection(() => verifyCheckpointPackage(packageInput(cps))), { code: 'checkpoint_not_final', checkpoint: 1n }, status);
  }
});

t.test('a zero base → zero_base', async (t) => {
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(1n, 7000n, 'zero')))), { code: 'zero_base', checkpoint: 1n });
});

t.test('a base whose txBlock is before the deposit → leaf_before_deposit', async (t) => {
  const planted = spend(0n, mallory, mallory);
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(1n, 7000n, { txBlock: 1000n, tx: planted.tx, signature: null, proof: null })))), {
    code: 'leaf_before_deposit',
    checkpoint: 1n,
  });
});

t.test('a base whose txBlock is after N → leaf_after_checkpoint', async (t) => {
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(1n, 7000n, chainLeaf(9000n))))), { code: 'leaf_after_checkpoint', checkpoint: 1n });
});

t.test('a checkpointed transaction not of the coin, or without its proofs → leaf_tx_invalid', async (t) => {
  const other = spends.get(6000n)!.tx;
  const wrongDenomination = { ...other, denomination: 1n };
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(1n, 7000n, { ...(chainLeaf(6000n) as object), tx: wrongDenomination } as LeafSpec)))), {
    code: 'leaf_tx_invalid',
    checkpoint: 1n,
  });
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(1n, 7000n, { txBlock: 6000n, tx: other, signature: null, proof: null })))), { code: 'leaf_tx_invalid', checkpoint: 1n });
});

t.test('a checkpointed transaction that is not in its block → leaf_tx_not_included', async (t) => {
  // Bob → Mallory signed by Bob, checkpointed at 6000 where the block holds Bob → Carol: the proof fails.
  const forged = spend(4000n, mallory, bob);
  const signature = signDigest(transactionDigest(forged.tx, DOMAIN), bob);
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(1n, 7000n, { txBlock: 6000n, tx: forged.tx, signature, proof: inclusion(6000n).proof })))), {
    code: 'leaf_tx_not_included',
    checkpoint: 1n,
  });
  // txBlock neither a committed child block nor the deposit block.
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(1n, 7000n, { ...(chainLeaf(6000n) as object), txBlock: 5500n } as LeafSpec)))), {
    code: 'leaf_tx_not_included',
    checkpoint: 1n,
  });
});

t.test('a deposit leaf naming another transaction → leaf_wrong_deposit', async (t) => {
  const other = { ...depositTransaction(deposit), newOwner: addressOf(mallory) };
  const cps = honestWorld();
  cps.set(1n, checkpoint(1n, 3000n, { txBlock: deposit.block, tx: other, signature: null, proof: null }, 'final'));
  t.same(rejection(() => verifyCheckpointPackage(packageInput(cps))), { code: 'leaf_wrong_deposit', checkpoint: 1n });
});

// ---- the history after N (rule 2)

t.test('the history after N follows §5 from the checkpointed transaction', async (t) => {
  const input = packageInput(honestWorld());
  const gap = input.package.entries.filter((entry) => entry.block !== 10000n);
  t.same(rejection(() => verifyCheckpointPackage({ ...input, package: { ...input.package, entries: gap } })), { code: 'missing_block' });
  const fromBefore = packageInput(honestWorld(), { from: 6000n });
  t.same(rejection(() => verifyCheckpointPackage(fromBefore)), { code: 'duplicate_block' }, 'entries at or before N are not part of the package');
  // A chain that does not start from the checkpointed transaction: the base names Bob → Carol at 6000 but the
  // next spend is signed by Bob.
  const cps = honestWorld();
  cps.set(1n, checkpoint(1n, 7000n, { txBlock: 4000n, tx: spends.get(4000n)!.tx, signature: inclusion(4000n).signature, proof: inclusion(4000n).proof }, 'final'));
  t.same(rejection(() => verifyCheckpointPackage(packageInput(cps))), { code: 'broken_chain' }, 'Carol → Dave at 9000 names 6000, not the base at 4000');
  t.same(rejection(() => verifyCheckpointPackage({ ...input, expectedOwner: addressOf(carol) })), { code: 'wrong_owner' });
});

// ---- pending leaves (rule 3)

t.test('a checkpoint pending on L1 without its leaf in the package → pending_leaf_missing', async (t) => {
  t.same(rejection(() => verifyCheckpointPackage(packageInput(honestWorld(), { pending: [2n], pendingOnL1: [2n, 3n] }))), { code: 'pending_leaf_missing', checkpoint: 3n });
});

t.test('two leaves of one checkpoint → pending_leaf_duplicate', async (t) => {
  t.same(rejection(() => verifyCheckpointPackage(packageInput(honestWorld(), { pending: [2n, 2n, 3n], pendingOnL1: [2n, 3n] }))), { code: 'pending_leaf_duplicate', checkpoint: 2n });
});

t.test('a pending checkpoint after the history\'s end → pending_leaf_uncovered', async (t) => {
  const input = packageInput(honestWorld());
  const short = input.package.entries.filter((entry) => entry.block <= 11000n);
  t.same(rejection(() => verifyCheckpointPackage({ ...input, package: { ...input.package, entries: short }, committedChildBlocks: { to: 11000n } })), {
    code: 'pending_leaf_uncovered',
    checkpoint: 3n,
  });
});

t.test('a stale pending leaf (its transaction spent within (B, N] in the package) → pending_leaf_stale with the spend', async (t) => {
  const cps = replaced(2n, 10000n, chainLeaf(6000n)); // the base's transaction, spent by Carol → Dave at 9000
  let error: unknown;
  try {
    verifyCheckpointPackage(packageInput(cps));
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof CheckpointError);
  t.match(error, { code: 'pending_leaf_stale', checkpoint: 2n, spendBlock: 9000n });
  const older = replaced(3n, 12000n, chainLeaf(9000n)); // Dave's receipt, spent to Erin at 11000 ≤ 12000
  t.same(rejection(() => verifyCheckpointPackage(packageInput(older))), { code: 'pending_leaf_stale', checkpoint: 3n });
});

t.test('a pending leaf naming anything else → pending_leaf_conflict', async (t) => {
  // A forged spend Carol → Mallory at 8000 (a block where the coin did not move).
  const forged = spend(6000n, mallory, carol);
  const signature = signDigest(transactionDigest(forged.tx, DOMAIN), carol);
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(2n, 10000n, { txBlock: 8000n, tx: forged.tx, signature, proof: entries.get(8000n)!.proof })))), {
    code: 'pending_leaf_conflict',
    checkpoint: 2n,
  });
  // A later transaction than N (Erin's receipt at 11000 named by the checkpoint at 10000).
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(2n, 10000n, chainLeaf(11000n))))), { code: 'pending_leaf_conflict', checkpoint: 2n });
  // A transaction before the base that the chain does not hold (Alice → Bob at 4000).
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(2n, 10000n, chainLeaf(4000n))))), { code: 'pending_leaf_conflict', checkpoint: 2n });
  // A final leaf newer than the base is held to the same rule.
  t.same(rejection(() => verifyCheckpointPackage(packageInput(replaced(3n, 12000n, chainLeaf(4000n), 'final'), { pendingOnL1: [2n] }))), { code: 'pending_leaf_conflict', checkpoint: 3n });
});

t.test('pending leaves are proved too', async (t) => {
  const other = checkpoint(9n, 10000n, chainLeaf(9000n));
  t.same(rejection(() => verifyCheckpointPackage(packageInput(served(2n, { leafProof: other.object.leafProof })))), { code: 'invalid_leaf_proof', checkpoint: 2n });
  t.same(rejection(() => verifyCheckpointPackage(packageInput(served(3n, { block: 11000n })))), { code: 'checkpoint_block_mismatch', checkpoint: 3n });
});

// ---- wire (§9 checkpoint objects)

t.test('checkpoint objects and leaf objects parse strictly and round-trip', async (t) => {
  const { parseCheckpointObjectJson, checkpointObjectToJson, parseCheckpointLeafObjectJson, checkpointLeafObjectToJson } = await import('../../../client/protocol/index.ts');
  const object = { id: '3', block: '12000', root: `0x${'ab'.repeat(32)}`, submittedAt: '1700000000', finalAt: '1700604800', status: 'pending' };
  t.same(checkpointObjectToJson(parseCheckpointObjectJson(object)), object);
  t.throws(() => parseCheckpointObjectJson({ ...object, status: 'void' }), { code: 'invalid_status' });
  t.throws(() => parseCheckpointObjectJson({ ...object, extra: 1 }), { code: 'unknown_field' });
  t.throws(() => parseCheckpointObjectJson({ ...object, root: '0x12' }), { code: 'invalid_checkpoint' });

  const base = honestWorld().get(1n)!.object;
  const json = checkpointLeafObjectToJson(base);
  t.same(parseCheckpointLeafObjectJson(JSON.parse(JSON.stringify(json))), base);
  const zero = checkpoint(2n, 10000n, 'zero').object;
  const zeroJson = checkpointLeafObjectToJson(zero);
  t.equal(zeroJson.txBlock, null);
  t.same(parseCheckpointLeafObjectJson(zeroJson), zero);
  t.throws(() => parseCheckpointLeafObjectJson({ ...zeroJson, txBlock: '9000' }), { code: 'invalid_leaf' }, 'a zero leaf names nothing');
  t.throws(() => parseCheckpointLeafObjectJson({ ...json, transaction: null }), { code: 'invalid_leaf' }, 'a non-zero leaf names its transaction');
  t.throws(() => parseCheckpointLeafObjectJson({ ...json, proof: null }), { code: 'invalid_leaf' }, 'signature and proof come together');
  t.throws(() => parseCheckpointLeafObjectJson({ ...json, status: 'done' }), { code: 'invalid_status' });
  t.throws(() => parseCheckpointLeafObjectJson({ ...json, leafProof: '0x00' }), { code: 'invalid_proof' });
  const { finalAt: _finalAt, ...missing } = json;
  t.throws(() => parseCheckpointLeafObjectJson(missing), { code: 'missing_field' });
  t.throws(() => parseCheckpointHistoryResponseJson({ slot: '1', deposit: { block: '1', owner: deposit.owner, denomination: '1' }, lastCommittedBlock: '0', entries: [], checkpoint: null }), { code: 'missing_field' });
});
