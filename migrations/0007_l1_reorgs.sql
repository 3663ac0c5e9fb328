-- 0007: deep L1 reorgs (PROTOCOL.md §7 "Deep reorgs"). The follower (operator/chain/follower.ts) applies L1 events
-- at `--confirmations` depth; a reorg deeper than that can still remove a deposit or exit it applied. To notice
-- one and find where the chains part, it keeps the hash of every L1 block it holds events from and of each
-- range's last block (its cursor), for the recent window; to undo what it applied, it rewinds the rows of the
-- events after the fork point and re-applies the new chain's (operator/db/reorg.ts).

-- L1 block hashes the follower saw: its cursor's and every block it applied an event from, in the recent window.
create table l1_block_hashes (
  number  int8 primary key,
  hash    bytea not null check (length(hash) = 32)
);

-- An exit's start block, so a rewind past its end event puts it back to 'started' and one past its start drops it.
-- Unknown (null) for exits ended before this migration: a rewind treats them as started before the fork.
alter table exits add column started_l1_block int8;
update exits set started_l1_block = l1_block where state = 'started';

-- A coin whose deposit a reorg removed from L1: kept (its transfers may sit in child blocks, whose roots never
-- change), refused for transfers, and restored if the same deposit comes back.
alter table coins drop constraint coins_state_check;
alter table coins add constraint coins_state_check check (state in ('deposited', 'exiting', 'exited', 'reorged_out'));

-- Every deep reorg the follower undid: its depth (old cursor − fork point), the fork point (the last L1 block both
-- chains share among the hashes kept), and what it changed (JSON: coins whose state changed, deposits and exit
-- events removed). /v1/status shows the last one, /metrics counts them.
create table l1_reorgs (
  id           int8 generated always as identity primary key,
  detected_at  timestamptz not null default now(),
  fork_block   int8 not null,
  old_cursor   int8 not null,
  depth        int8 not null,
  old_hash     bytea not null check (length(old_hash) = 32),
  new_hash     bytea check (length(new_hash) = 32),
  invalidated  jsonb not null
);
