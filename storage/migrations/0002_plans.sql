-- Plans, their tasks, the deadline each unit owes for a task (one per period for a repeating
-- task), and the outbox every proactive message goes through.
CREATE TABLE plans (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    issued        TEXT,                -- ISO date
    issuer        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','published','archived')),
    source        TEXT NOT NULL DEFAULT '',     -- file it was imported from
    policy        TEXT NOT NULL DEFAULT '{}',   -- reminder policy override (JSON)
    forms         TEXT NOT NULL DEFAULT '{}',   -- custom forms defined in the plan file (JSON)
    revision      INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    published_at  TEXT
);

CREATE TABLE tasks (
    id            INTEGER PRIMARY KEY,
    plan_id       INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    ref           TEXT NOT NULL,
    position      INTEGER NOT NULL,
    title         TEXT NOT NULL,
    details       TEXT NOT NULL DEFAULT '',
    start_date    TEXT,                -- ISO date, NULL = open start
    due_date      TEXT,                -- ISO date, NULL = ongoing
    when_words    TEXT NOT NULL DEFAULT '',  -- the plan's own words for the window
    repeat        TEXT NOT NULL DEFAULT 'none' CHECK (repeat IN ('none','weekly','monthly','quarterly','yearly')),
    audience      TEXT NOT NULL DEFAULT '"all"', -- JSON: "all", {"kinds": [...]}, {"units": [...]}
    lead_unit_id  INTEGER REFERENCES units(id),
    support       TEXT NOT NULL DEFAULT '[]',   -- JSON list of unit codes
    form          TEXT NOT NULL DEFAULT 'progress',
    quota         TEXT NOT NULL DEFAULT '{}',   -- JSON: per_unit_min, per_unit_max, total
    policy        TEXT NOT NULL DEFAULT '{}',   -- reminder policy override (JSON)
    cancelled_at  TEXT,
    UNIQUE (plan_id, ref)
);

-- What a unit owes for a task: one row per unit, and per period for a repeating task.
CREATE TABLE deadlines (
    id            INTEGER PRIMARY KEY,
    task_id       INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    period        TEXT NOT NULL DEFAULT '',    -- '' once; '2024-04' monthly; '2024-Q2' ...
    start_date    TEXT,
    due_date      TEXT,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','in_progress','done')),
    state_at      TEXT,
    cancelled_at  TEXT,
    UNIQUE (task_id, unit_id, period)
);
CREATE INDEX deadlines_unit ON deadlines(unit_id, due_date);
CREATE INDEX deadlines_due ON deadlines(due_date);

-- Every proactive message. `key` makes a message unique forever: a second enqueue is ignored.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,        -- push, amend, remind, late, broadcast, digest...
    member_id     INTEGER REFERENCES members(id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    payload       TEXT NOT NULL,        -- the Reply, as JSON
    priority      INTEGER NOT NULL DEFAULT 5,   -- lower first
    not_before    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sending','sent','failed','unreachable')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    batch         TEXT,                 -- groups a broadcast's rows for its delivery report
    created_at    TEXT NOT NULL,
    sent_at       TEXT
);
CREATE INDEX outbox_due ON outbox(status, not_before, priority);
CREATE INDEX outbox_batch ON outbox(batch);
