-- What units send back: one answer per deadline, every version kept, files kept with their hash.
CREATE TABLE answers (
    id            INTEGER PRIMARY KEY,
    deadline_id   INTEGER NOT NULL UNIQUE REFERENCES deadlines(id) ON DELETE CASCADE,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    task_id       INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    form          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('submitted','accepted','returned','withdrawn')),
    version       INTEGER NOT NULL,          -- the current version
    data          TEXT NOT NULL,             -- the current content (JSON)
    entries       INTEGER NOT NULL DEFAULT 0, -- how many entries count against a quota
    late          INTEGER NOT NULL DEFAULT 0,
    member_id     INTEGER REFERENCES members(id),  -- who sent the current version
    sent_at       TEXT NOT NULL,
    review_note   TEXT,
    reviewed_by   INTEGER REFERENCES members(id),
    reviewed_at   TEXT
);
CREATE INDEX answers_task ON answers(task_id, status);
CREATE INDEX answers_status ON answers(status, sent_at);

CREATE TABLE answer_versions (
    id            INTEGER PRIMARY KEY,
    answer_id     INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('submit','edit','withdraw','accept','return','resubmit')),
    data          TEXT NOT NULL,
    member_id     INTEGER REFERENCES members(id),
    note          TEXT,
    late          INTEGER NOT NULL DEFAULT 0,
    at            TEXT NOT NULL,
    UNIQUE (answer_id, version, action)
);

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER REFERENCES members(id),
    channel       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('photo','document')),
    file_name     TEXT NOT NULL,
    mime_type     TEXT,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    path          TEXT NOT NULL,            -- relative to DATA_DIR
    platform_file_id TEXT,
    created_at    TEXT NOT NULL
);
