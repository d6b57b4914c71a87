"""One-time codes that link a member's second channel: /lienket on the channel they registered on
gives a code; /lienket <code> sent from the other channel adds that identity to the same member.
Codes come from `secrets`, are short enough to type on a phone, expire after 15 minutes and work
once; asking again replaces the code not yet used."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import from_iso, utc_iso
from storage.db import Database

# No 0/O, 1/I/L: a code is read on one phone and typed on another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
VALID_FOR = timedelta(minutes=15)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize(code: str) -> str:
    """As typed: any case, spaces or dashes inside ("abc 123", "ABC-123")."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class LinkCode:
    code: str
    member_id: int
    channel: str
    expires_at: datetime
    used_at: datetime | None

    def problem(self, now: datetime) -> str | None:
        """Why the code cannot be used now ("used", "expired"), or None."""
        if self.used_at is not None:
            return "used"
        if now >= self.expires_at:
            return "expired"
        return None


def _link(row: sqlite3.Row) -> LinkCode:
    used = row["used_at"]
    return LinkCode(
        code=row["code"],
        member_id=row["member_id"],
        channel=row["channel"],
        expires_at=from_iso(row["expires_at"]),
        used_at=from_iso(used) if used else None,
    )


class LinkCodeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, member_id: int, channel: str, now: datetime, valid_for: timedelta = VALID_FOR
    ) -> LinkCode:
        """A new code for the member; their earlier unused codes stop working."""
        await self._db.execute(
            "DELETE FROM link_codes WHERE member_id = ? AND used_at IS NULL", (member_id,)
        )
        for _ in range(10):
            code = new_code()
            try:
                await self._db.execute(
                    "INSERT INTO link_codes(code, member_id, channel, created_at, expires_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (code, member_id, channel, utc_iso(now), utc_iso(now + valid_for)),
                )
            except sqlite3.IntegrityError:
                continue  # that code exists (used or another member's): draw again
            found = await self.get(code)
            assert found is not None
            return found
        raise RuntimeError("could not draw an unused link code")

    async def get(self, code: str) -> LinkCode | None:
        row = await self._db.fetch_one(
            "SELECT * FROM link_codes WHERE code = ?", (normalize(code),)
        )
        return _link(row) if row else None

    async def use(self, code: str, channel: str, now: datetime) -> bool:
        """Mark the code used, only if it still can be; False when someone was faster."""
        changed = await self._db.execute(
            "UPDATE link_codes SET used_at = ?, used_on = ? WHERE code = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (utc_iso(now), channel, normalize(code), utc_iso(now)),
        )
        return changed == 1

    async def purge(self, now: datetime) -> int:
        """Forget codes that expired a day ago or more."""
        return await self._db.execute(
            "DELETE FROM link_codes WHERE expires_at < ?", (utc_iso(now - timedelta(days=1)),)
        )
