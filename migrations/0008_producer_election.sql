-- 0008: several producers, one active (docs/DEPLOY.md, operator/roles/election.ts).
--
-- The active producer holds a session-level advisory lock (key PRODUCER_LOCK in election.ts) on a connection of
-- its own. Winning the lock bumps `epoch` here. The producer then writes through a pool whose sessions carry its
-- epoch and the lock session's backend pid (plasma.producer_epoch, plasma.producer_lock_pid). Every write to the
-- tables a producer owns runs plasma_producer_fence() in the same transaction: refused unless the row still
-- names that epoch AND that backend still holds the lock. The row is read FOR SHARE, so a new winner's bump waits
-- for a write that already passed the check: no write of an old epoch can land after a new epoch began.
-- Sessions without the settings (api nodes, the embedded single-process operator, tools) are not fenced.
create table producer_election (
  id          boolean primary key default true check (id),
  epoch       int8 not null,
  -- who won: "host pid" of the producer process, for /v1/status and the logs
  holder      text not null,
  elected_at  timestamptz not null default now()
);

create function plasma_producer_fence() returns trigger language plpgsql as $$
declare
  fence_epoch text := current_setting('plasma.producer_epoch', true);
  fence_pid text := current_setting('plasma.producer_lock_pid', true);
begin
  if coalesce(fence_epoch, '') = '' then
    return null;
  end if;
  perform 1 from producer_election e
  where e.id and e.epoch = fence_epoch::int8
    and exists (
      select 1 from pg_locks l
      where l.locktype = 'advisory' and l.granted and l.pid = fence_pid::int4
        and l.database = (select oid from pg_database where datname = current_database())
        -- pg_try_advisory_lock(int4, int4) of election.ts: classid, objid, objsubid 2
        and l.classid = 1347174739 and l.objid = 1 and l.objsubid = 2)
  for share of e;
  if not found then
    raise exception 'producer epoch % no longer holds the producer lock: write to % refused (fenced)', fence_epoch, tg_table_name
      using errcode = 'PF001';
  end if;
  return null;
end $$;

create trigger blocks_producer_fence before insert or update or delete on blocks
  for each statement execute function plasma_producer_fence();
create trigger l1_cursor_producer_fence before insert or update or delete on l1_cursor
  for each statement execute function plasma_producer_fence();
create trigger checkpoints_producer_fence before insert or update or delete on checkpoints
  for each statement execute function plasma_producer_fence();
create trigger leaf_challenges_producer_fence before insert or update or delete on leaf_challenges
  for each statement execute function plasma_producer_fence();
