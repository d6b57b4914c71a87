-- Units, members with their channel identities, invites, conversation state, handled updates.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('committee','party_committee','cell','board','association')),
    parent_id   INTEGER REFERENCES units(id) ON DELETE RESTRICT,
    created_at  TEXT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);

CREATE TABLE members (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES units(id) ON DELETE RESTRICT,
    role           TEXT NOT NULL CHECK (role IN ('secretary','deputy','office','leader','admin')),
    full_name      TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    invite_id      INTEGER REFERENCES invites(id),
    active         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX members_unit ON members(unit_id);

CREATE TABLE identities (
    channel        TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    member_id      INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    chat_id        TEXT NOT NULL,
    display_name   TEXT NOT NULL DEFAULT '',
    reachable      INTEGER NOT NULL DEFAULT 1,
    unreachable_reason TEXT,
    last_seen_at   TEXT,
    PRIMARY KEY (channel, external_id)
);
CREATE INDEX identities_member ON identities(member_id);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    unit_id     INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('secretary','deputy','office','leader','admin')),
    max_uses    INTEGER NOT NULL DEFAULT 1 CHECK (max_uses >= 1),
    uses        INTEGER NOT NULL DEFAULT 0,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE conversations (
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    flow         TEXT,
    step         TEXT,
    data         TEXT NOT NULL DEFAULT '{}',
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
);

CREATE TABLE handled_updates (
    channel      TEXT NOT NULL,
    update_id    INTEGER NOT NULL,
    handled_at   TEXT NOT NULL,
    PRIMARY KEY (channel, update_id)
);
