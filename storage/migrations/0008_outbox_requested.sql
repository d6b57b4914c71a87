-- Quiet hours hold what the bot sends on its own (reminders, broadcasts, digests), not what a
-- person asked for (the file of /xuatbaocao...): such a row is marked `requested` and the sender
-- lets it through at night. The partial index is what the sender reads during quiet hours.
ALTER TABLE outbox ADD COLUMN requested INTEGER NOT NULL DEFAULT 0 CHECK (requested IN (0, 1));
CREATE INDEX outbox_requested_due ON outbox(not_before) WHERE status = 'pending' AND requested = 1;
