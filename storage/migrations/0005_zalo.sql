-- Zalo: the choices last shown to each chat (a channel without buttons answers them by number or
-- by words), and the one-time codes that link a member's second channel (/lienket).
CREATE TABLE shown_choices (
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    choices     TEXT NOT NULL,                    -- JSON [[label, value], ...] in the order shown
    numbered    INTEGER NOT NULL DEFAULT 1,       -- 0: only the words pick them (typed answers)
    shown_at    TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

CREATE TABLE link_codes (
    code        TEXT PRIMARY KEY,                 -- upper case, from `secrets`
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,                    -- where the code was asked for
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_on     TEXT                              -- the channel it linked
);
CREATE INDEX link_codes_member ON link_codes(member_id);
