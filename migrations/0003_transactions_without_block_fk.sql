-- 0003: transactions no longer has a foreign key to blocks.
--
-- Why: Postgres enforces a foreign key with one lookup per inserted row (an internal trigger), and a block of
-- 100,000 transfers goes in with one COPY: that check was about a third of the COPY (measured with and without,
-- bench/RESULTS.md). Only Store.insertBlock writes transactions, always after inserting the block row in the same
-- database transaction, and blocks are never deleted, so the key guarded nothing that the code does not.
alter table transactions drop constraint transactions_block_fkey;
