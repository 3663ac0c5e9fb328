-- 0005: checkpoints (PROTOCOL.md §10, docs/CHECKPOINTS.md §5): the operator's checkpoint trees, stored so that
-- every slot's leaf and proof in any checkpoint can be served, at well under 100 bytes per coin per checkpoint.
--
-- The tree (operator/checkpoint/tree.ts) is cut into 2^16 buckets at height 48 (bucket = slot >> 48). A checkpoint
-- stores only what changed since the previous one:
--   checkpoint_buckets: each changed bucket's complete leaf list, packed (48 bytes a leaf: slot u64 ‖ txBlock u64
--     ‖ leaf bytes32, sorted by slot; empty when the bucket lost its last leaf). With 1,000,000 coins a bucket holds
--     ~15 leaves, so a row is ~720 bytes and its overhead is shared by the bucket's leaves.
--   checkpoint_nodes: each changed node at heights 48..63 (the 2^17 - 2 nodes above the buckets).
-- A bucket or node of checkpoint c is its row with the greatest checkpoint ≤ c (absent: empty / default[h]).
-- A proof is derived: the siblings below 48 from the slot's bucket (a tree of ~15 leaves), the 16 above from
-- checkpoint_nodes. The checkpointed transaction comes from transactions/proofs (or the coin's deposit).
create table checkpoints (
  -- the operator's own sequence, in order of block; `k` is the contract's index once submitted
  id            int4 primary key,
  block         int8 not null unique,
  root          bytea not null check (length(root) = 32),
  leaf_count    int8 not null,
  changed       int8 not null,
  status        text not null check (status in ('built', 'signed', 'broadcast', 'submitted', 'abandoned')),
  k             int8 unique,
  -- the signed submitCheckpoint transaction, stored before it is sent (as blocks.raw_l1_tx)
  raw_l1_tx     bytea,
  l1_tx_hash    bytea check (length(l1_tx_hash) = 32),
  -- from CheckpointSubmitted (L1 seconds) and the L1 block that carried it
  submitted_at  int8,
  period_end    int8,
  l1_block      int8,
  built_at      timestamptz not null default now()
);

create table checkpoint_buckets (
  bucket      int4 not null,
  checkpoint  int4 not null,
  leaves      bytea not null,
  primary key (bucket, checkpoint)
);

create table checkpoint_nodes (
  height      int2 not null check (height between 48 and 63),
  idx         int4 not null,
  checkpoint  int4 not null,
  hash        bytea not null,
  primary key (height, idx, checkpoint)
);
