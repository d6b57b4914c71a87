"""Invites: unguessable, single-use by default, expiring, revocable."""

from __future__ import annotations

import secrets
import sqlite3
import string
from datetime import datetime, timedelta

from bot.clock import from_iso, utc_iso
from bot.domain import Invite, Role
from storage.db import Database

CODE_LENGTH = 16  # letters and digits: about 95 bits; fits Telegram's /start parameter
_ALPHABET = string.ascii_letters + string.digits


def new_code() -> str:
    """Letters and digits only: a code never starts with "-" (read as an option on a command
    line) and survives being typed, copied from a chat or printed under a QR code."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def _invite(row: sqlite3.Row) -> Invite:
    revoked = row["revoked_at"]
    return Invite(
        id=row["id"],
        code=row["code"],
        unit_id=row["unit_id"],
        role=Role(row["role"]),
        max_uses=row["max_uses"],
        uses=row["uses"],
        expires_at=from_iso(row["expires_at"]),
        revoked_at=from_iso(revoked) if revoked else None,
        created_at=from_iso(row["created_at"]),
    )


class InviteRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self, *, unit_id: int, role: Role, max_uses: int, valid_for: timedelta, now: datetime
    ) -> Invite:
        code = new_code()
        invite_id = await self._db.insert(
            "INSERT INTO invites(code, unit_id, role, max_uses, expires_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (code, unit_id, role.value, max_uses, utc_iso(now + valid_for), utc_iso(now)),
        )
        invite = await self.get(invite_id)
        assert invite is not None
        return invite

    async def get(self, invite_id: int) -> Invite | None:
        row = await self._db.fetch_one("SELECT * FROM invites WHERE id = ?", (invite_id,))
        return _invite(row) if row else None

    async def by_code(self, code: str) -> Invite | None:
        row = await self._db.fetch_one("SELECT * FROM invites WHERE code = ?", (code,))
        return _invite(row) if row else None

    async def use(self, invite_id: int) -> bool:
        """Count one use, only if one is left; False when another registration took the last."""
        changed = await self._db.execute(
            "UPDATE invites SET uses = uses + 1 WHERE id = ? AND uses < max_uses"
            " AND revoked_at IS NULL",
            (invite_id,),
        )
        return changed == 1

    async def revoke(self, code: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE invites SET revoked_at = ? WHERE code = ? AND revoked_at IS NULL",
            (utc_iso(now), code),
        )
        return changed == 1

    async def all(self) -> list[Invite]:
        rows = await self._db.fetch_all("SELECT * FROM invites ORDER BY id")
        return [_invite(r) for r in rows]
