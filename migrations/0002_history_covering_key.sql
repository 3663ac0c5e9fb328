-- 0002: the primary key (block, slot) of transactions also carries the leaf digest (INCLUDE).
--
-- Why: a coin's history derives each exclusion proof from the nearest present slot below or above it in the
-- block (operator/db/store.ts coinHistory). Finding those two candidates and their digests is now an index-only
-- scan of the key; only the one chosen neighbour's proof is read from the table, instead of the row of both.
-- Cost: 32 bytes more per key entry (storage per transfer stays far under the 1 KiB target).
alter table transactions
  drop constraint transactions_pkey,
  add constraint transactions_pkey primary key (block, slot) include (digest);
