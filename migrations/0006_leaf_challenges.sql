-- 0006: challenges of the operator's own checkpoint leaves (docs/CHECKPOINTS.md §5 "Answers, on its own").
--
-- The follower records every LeafChallengeOpened of a checkpoint this operator submitted; the answerer
-- (operator/checkpoint/answerer.ts) plans the answer from the database (answers.ts: one call, or applyCheckpoint
-- then dismissLeafHistory), then sends the calls one at a time through the committer's stored-transaction path:
-- the signed transaction of the current call is stored here before it is sent, as blocks.raw_l1_tx.
create table leaf_challenges (
  k             int8 not null,
  slot          int8 not null,
  challenge_id  bytea not null check (length(challenge_id) = 32),
  kind          text not null check (kind in ('none', 'withheld', 'invalid_history')),
  claim_block   int8 not null,
  -- the claim transaction (slot, prevBlock, denomination, newOwner)
  claim_prev_block    int8 not null,
  claim_denomination  numeric(78, 0) not null,
  claim_new_owner     bytea not null check (length(claim_new_owner) = 20),
  due_at        int8 not null,
  l1_block      int8 not null,
  -- open: to plan; answering: calls planned, `step` being sent; answered; cannot: no honest answer (alert); expired
  status        text not null default 'open' check (status in ('open', 'answering', 'answered', 'cannot', 'expired')),
  calls         bytea[],
  step          int4 not null default 0,
  tx_status     text not null default 'persisted' check (tx_status in ('persisted', 'signed', 'broadcast', 'confirmed')),
  raw_l1_tx     bytea,
  l1_tx_hash    bytea check (length(l1_tx_hash) = 32),
  note          text,
  primary key (k, slot, challenge_id)
);
create index leaf_challenges_to_answer on leaf_challenges (status) where status in ('open', 'answering');
