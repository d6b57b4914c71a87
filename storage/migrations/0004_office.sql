-- The office's side: broadcasts with their delivery report, the audit log, leaders' settings.
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    author_id    INTEGER REFERENCES members(id),   -- NULL: from the command line
    text         TEXT NOT NULL,
    audience     TEXT NOT NULL,                    -- JSON, as chosen
    recipients   INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    reported_at  TEXT                              -- when the author got the delivery report
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    member_id   INTEGER REFERENCES members(id),    -- NULL: the command line
    action      TEXT NOT NULL,                     -- publish, amend, broadcast, review, export...
    detail      TEXT NOT NULL DEFAULT '{}'         -- JSON: ids and counts, no personal data
);
CREATE INDEX audit_at ON audit_log(at);

ALTER TABLE members ADD COLUMN weekly_digest INTEGER NOT NULL DEFAULT 1;
