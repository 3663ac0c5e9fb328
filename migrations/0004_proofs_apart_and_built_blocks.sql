-- 0004: inclusion proofs in their own table, and blocks whose membership is stored before their root.
--
-- Why: a block is now written in two steps (operator/block/builder.ts).
--   1. claim (status 'built', root still null): in one short database transaction the chosen pending transfers
--      move into `transactions` (server side, no bytes through Node) and their coins' owner and last block move.
--      From then on the next spend of those coins (naming this block) can be accepted.
--   2. persist (status 'persisted', root set): once the tree is built, the proofs go into `proofs` with one COPY.
-- Accepting the next transfers no longer waits for the tree, and after the tree only the proofs are left to
-- write. A crash between the two steps leaves a 'built' block whose tree is rebuilt from its stored leaves.
-- Cost: one more row header and key per committed transfer (bench/RESULTS.md has the measured figure).
create table proofs (
  block  int8 not null,
  slot   int8 not null,
  -- canonical inclusion proof of the transaction (block, slot) under the block's root (PROTOCOL.md §3)
  proof  bytea not null,
  primary key (block, slot)
);
insert into proofs (block, slot, proof) select block, slot, proof from transactions;
alter table transactions drop column proof;

-- A 'built' block has no root yet; every later status has one. Before 0004 'built' was never written by the
-- operator (only by tools, with a root and proofs, like 'persisted'): such a block is 'persisted' from now on,
-- so it is not taken for one whose tree is still to be built.
update blocks set status = 'persisted' where status = 'built';
alter table blocks alter column root drop not null;
alter table blocks add constraint blocks_root_once_persisted check (root is not null or status = 'built');

-- The (slot, block) index of 0001 serves no query: a coin's history walks blocks and probes (block, slot), the
-- primary key. Dropped: one index insert less per transfer when a block is claimed, and ~40 bytes less stored.
drop index transactions_slot_block;
