-- 0001: the operator's state. Forward-only; applied by operator/db/migrate.ts in one transaction.
--
-- Slots are uint64 but Postgres int8 is signed. Every slot column holds `slot - 2^63` (operator/db/codec.ts):
-- 8 fixed bytes in the row and in every index entry (numeric(20,0) takes 10-14 and compares slower), and the
-- offset keeps the order, so "the present slot just below / above s in block b" — what an exclusion proof is
-- derived from — is a plain index range scan. 0 maps to -2^63 and 2^64-1 to 2^63-1.
-- Block numbers, nonces and L1 blocks fit int8. Amounts are uint256: numeric(78,0).
-- Hashes, addresses, signatures and proofs are bytea (half the bytes of hex text).

create table coins (
  slot          int8 primary key,
  kind          text not null check (kind in ('eth', 'erc20', 'erc721')),
  token         bytea not null check (length(token) = 20),
  token_id      numeric(78, 0) not null default 0,
  denomination  numeric(78, 0) not null check (denomination > 0),
  depositor     bytea not null check (length(depositor) = 20),
  deposit_block int8 not null,
  owner         bytea not null check (length(owner) = 20),
  -- block of the coin's last transaction (the deposit block until it moves): the prevBlock its next spend names
  last_block    int8 not null,
  state         text not null default 'deposited' check (state in ('deposited', 'exiting', 'exited'))
);
create index coins_owner on coins (owner);

create table deposits (
  block         int8 primary key,
  slot          int8 not null unique,
  depositor     bytea not null check (length(depositor) = 20),
  kind          text not null check (kind in ('eth', 'erc20', 'erc721')),
  token         bytea not null check (length(token) = 20),
  token_id      numeric(78, 0) not null default 0,
  denomination  numeric(78, 0) not null check (denomination > 0),
  l1_tx_hash    bytea not null check (length(l1_tx_hash) = 32),
  l1_block      int8 not null,
  -- false until the L1 block has enough confirmations; an unconfirmed deposit is not a coin yet (reorgs)
  confirmed     boolean not null default false
);

create table blocks (
  number      int8 primary key,
  root        bytea not null check (length(root) = 32),
  tx_count    int4 not null,
  status      text not null check (status in ('built', 'persisted', 'signed', 'broadcast', 'confirmed')),
  -- the signed submitBlock transaction, stored before it is broadcast so a restart re-broadcasts the same bytes
  raw_l1_tx   bytea,
  l1_tx_hash  bytea check (length(l1_tx_hash) = 32),
  created_at  timestamptz not null default now()
);
-- history queries walk committed blocks in order
create index blocks_confirmed on blocks (number) where status = 'confirmed';

-- Committed transfers: the bulk of the database, so every column is as narrow as its type allows.
-- The primary key (block, slot) is the "one transaction per slot per block" rule and the index that finds a
-- slot's neighbours in a block; (slot, block) serves a coin's own inclusions.
create table transactions (
  block         int8 not null references blocks (number),
  slot          int8 not null,
  prev_block    int8 not null,
  denomination  numeric(78, 0) not null,
  new_owner     bytea not null,
  signature     bytea not null,
  digest        bytea not null,
  proof         bytea not null,
  accepted_at   timestamptz not null,
  primary key (block, slot)
);
create index transactions_slot_block on transactions (slot, block);

-- Accepted transfers not yet in a block. Durable: a transfer is answered "accepted" only once its row is here.
create table pending_transactions (
  slot          int8 primary key,
  prev_block    int8 not null,
  denomination  numeric(78, 0) not null,
  new_owner     bytea not null check (length(new_owner) = 20),
  signature     bytea not null check (length(signature) = 65),
  digest        bytea not null check (length(digest) = 32),
  accepted_at   timestamptz not null default now()
);

create table exits (
  slot        int8 not null,
  nonce       int8 not null,
  state       text not null check (state in ('started', 'cancelled', 'finalized')),
  exitor      bytea check (length(exitor) = 20),
  l1_block    int8 not null,
  primary key (slot, nonce)
);

-- One row: the last L1 block whose events are fully applied.
create table l1_cursor (
  id     boolean primary key default true check (id),
  block  int8 not null
);
