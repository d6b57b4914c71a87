-- The last day whose reminders were computed at their hour (bot/reminders.py). When the bot comes
-- back after being down, the reminder and escalation days it missed since then (a week at most)
-- are caught up once, in that day's digests; a new database has no row and catches nothing up.
CREATE TABLE reminder_runs (
    name         TEXT PRIMARY KEY,             -- 'daily': the units' reminders, the escalations
    day          TEXT NOT NULL,                -- ISO date in the configured zone
    computed_at  TEXT NOT NULL                 -- when (UTC ISO)
);
