"""Members and their channel identities (a member may have a Telegram and a Zalo identity)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_iso, utc_iso
from bot.domain import Identity, Member, Role
from storage.db import Database


def _member(row: sqlite3.Row) -> Member:
    return Member(
        id=row["id"],
        unit_id=row["unit_id"],
        role=Role(row["role"]),
        full_name=row["full_name"],
        registered_at=from_iso(row["registered_at"]),
        active=bool(row["active"]),
    )


def _identity(row: sqlite3.Row) -> Identity:
    seen = row["last_seen_at"]
    return Identity(
        channel=row["channel"],
        external_id=row["external_id"],
        chat_id=row["chat_id"],
        display_name=row["display_name"],
        reachable=bool(row["reachable"]),
        last_seen_at=from_iso(seen) if seen else None,
    )


@dataclass(frozen=True)
class MemberListing:
    member: Member
    unit_code: str
    unit_name: str
    identities: tuple[Identity, ...]

    @property
    def reachable(self) -> bool:
        return any(i.reachable for i in self.identities)


_M = "m.id, m.unit_id, m.role, m.full_name, m.registered_at, m.active"


class MemberRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, member_id: int) -> Member | None:
        row = await self._db.fetch_one(f"SELECT {_M} FROM members m WHERE m.id = ?", (member_id,))
        return _member(row) if row else None

    async def by_identity(self, channel: str, external_id: str) -> Member | None:
        row = await self._db.fetch_one(
            f"SELECT {_M} FROM members m JOIN identities i ON i.member_id = m.id"
            " WHERE i.channel = ? AND i.external_id = ? AND m.active = 1",
            (channel, external_id),
        )
        return _member(row) if row else None

    async def create(
        self,
        *,
        unit_id: int,
        role: Role,
        full_name: str,
        invite_id: int | None,
        now: datetime,
    ) -> Member:
        member_id = await self._db.insert(
            "INSERT INTO members(unit_id, role, full_name, registered_at, invite_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (unit_id, role.value, full_name, utc_iso(now), invite_id),
        )
        member = await self.get(member_id)
        assert member is not None
        return member

    async def add_identity(
        self,
        member_id: int,
        *,
        channel: str,
        external_id: str,
        chat_id: str,
        display_name: str,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "INSERT INTO identities(channel, external_id, member_id, chat_id, display_name,"
            " last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
            (channel, external_id, member_id, chat_id, display_name, utc_iso(now)),
        )

    async def identities(self, member_id: int) -> list[Identity]:
        rows = await self._db.fetch_all(
            "SELECT * FROM identities WHERE member_id = ? ORDER BY last_seen_at DESC",
            (member_id,),
        )
        return [_identity(r) for r in rows]

    async def touch(self, channel: str, external_id: str, now: datetime) -> None:
        """The person wrote to us: they are reachable on this channel again."""
        await self._db.execute(
            "UPDATE identities SET last_seen_at = ?, reachable = 1, unreachable_reason = NULL"
            " WHERE channel = ? AND external_id = ?",
            (utc_iso(now), channel, external_id),
        )

    async def mark_unreachable(self, channel: str, chat_id: str, reason: str) -> None:
        await self._db.execute(
            "UPDATE identities SET reachable = 0, unreachable_reason = ?"
            " WHERE channel = ? AND chat_id = ?",
            (reason, channel, chat_id),
        )

    async def in_unit(self, unit_id: int, roles: tuple[Role, ...] | None = None) -> list[Member]:
        sql = f"SELECT {_M} FROM members m WHERE m.unit_id = ? AND m.active = 1"
        params: list[object] = [unit_id]
        if roles:
            sql += f" AND m.role IN ({','.join('?' * len(roles))})"
            params.extend(r.value for r in roles)
        rows = await self._db.fetch_all(sql + " ORDER BY m.id", params)
        return [_member(r) for r in rows]

    async def with_role(self, *roles: Role) -> list[Member]:
        rows = await self._db.fetch_all(
            f"SELECT {_M} FROM members m WHERE m.active = 1"
            f" AND m.role IN ({','.join('?' * len(roles))}) ORDER BY m.id",
            [r.value for r in roles],
        )
        return [_member(r) for r in rows]

    async def weekly_readers(self, *roles: Role) -> list[Member]:
        """Members of these roles who have not turned the weekly digest off."""
        rows = await self._db.fetch_all(
            f"SELECT {_M} FROM members m WHERE m.active = 1 AND m.weekly_digest = 1"
            f" AND m.role IN ({','.join('?' * len(roles))}) ORDER BY m.id",
            [r.value for r in roles],
        )
        return [_member(r) for r in rows]

    async def set_weekly_digest(self, member_id: int, on: bool) -> None:
        await self._db.execute(
            "UPDATE members SET weekly_digest = ? WHERE id = ?", (int(on), member_id)
        )

    async def weekly_digest(self, member_id: int) -> bool:
        value = await self._db.fetch_value(
            "SELECT weekly_digest FROM members WHERE id = ?", (member_id,)
        )
        return bool(value)

    async def listing(self) -> list[MemberListing]:
        """Every active member with unit and identities, for `dondoc members list`."""
        rows = await self._db.fetch_all(
            f"SELECT {_M}, u.code AS unit_code, u.name AS unit_name FROM members m"
            " JOIN units u ON u.id = m.unit_id WHERE m.active = 1 ORDER BY u.code, m.role, m.id"
        )
        ids = await self._db.fetch_all(
            "SELECT i.* FROM identities i JOIN members m ON m.id = i.member_id"
            " WHERE m.active = 1 ORDER BY i.last_seen_at DESC"
        )
        by_member: dict[int, list[Identity]] = {}
        for r in ids:
            by_member.setdefault(r["member_id"], []).append(_identity(r))
        return [
            MemberListing(
                member=_member(r),
                unit_code=r["unit_code"],
                unit_name=r["unit_name"],
                identities=tuple(by_member.get(r["id"], [])),
            )
            for r in rows
        ]

    async def count_by_unit(self) -> dict[int, int]:
        """How many active members each unit has (units without members are absent)."""
        rows = await self._db.fetch_all(
            "SELECT unit_id, COUNT(*) FROM members WHERE active = 1 GROUP BY unit_id"
        )
        return {int(r[0]): int(r[1]) for r in rows}
