"""Broadcasts: a message the office sends to many units, and its delivery report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import from_iso, utc_iso
from storage.db import Database


@dataclass(frozen=True)
class Broadcast:
    id: int
    author_id: int | None
    text: str
    audience: dict[str, Any]
    recipients: int
    created_at: datetime
    reported_at: datetime | None

    @property
    def batch(self) -> str:
        """The outbox rows of this broadcast carry this batch name."""
        return f"broadcast:{self.id}"


@dataclass(frozen=True)
class Delivery:
    member_name: str
    unit_name: str
    status: str  # pending | sending | sent | failed | unreachable
    error: str | None


class BroadcastRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        author_id: int | None,
        text: str,
        audience: dict[str, Any],
        recipients: int,
        now: datetime,
    ) -> Broadcast:
        broadcast_id = await self._db.insert(
            "INSERT INTO broadcasts(author_id, text, audience, recipients, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (author_id, text, json.dumps(audience, ensure_ascii=False), recipients, utc_iso(now)),
        )
        created = await self.get(broadcast_id)
        assert created is not None
        return created

    async def get(self, broadcast_id: int) -> Broadcast | None:
        r = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        if r is None:
            return None
        reported = r["reported_at"]
        return Broadcast(
            r["id"],
            r["author_id"],
            r["text"],
            json.loads(r["audience"]),
            r["recipients"],
            from_iso(r["created_at"]),
            from_iso(reported) if reported else None,
        )

    async def unreported_done(self) -> list[Broadcast]:
        """Broadcasts whose every message has an outcome and whose author was not told yet."""
        rows = await self._db.fetch_all(
            "SELECT b.id FROM broadcasts b WHERE b.reported_at IS NULL AND NOT EXISTS ("
            " SELECT 1 FROM outbox o WHERE o.batch = 'broadcast:' || b.id"
            " AND o.status IN ('pending', 'sending'))"
        )
        found = [await self.get(r[0]) for r in rows]
        return [b for b in found if b is not None]

    async def mark_reported(self, broadcast_id: int, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE broadcasts SET reported_at = ? WHERE id = ? AND reported_at IS NULL",
            (utc_iso(now), broadcast_id),
        )
        return changed == 1

    async def deliveries(self, broadcast: Broadcast) -> list[Delivery]:
        rows = await self._db.fetch_all(
            "SELECT m.full_name, u.name AS unit_name, o.status, o.last_error FROM outbox o"
            " JOIN members m ON m.id = o.member_id JOIN units u ON u.id = m.unit_id"
            " WHERE o.batch = ? ORDER BY o.status, u.name",
            (broadcast.batch,),
        )
        return [Delivery(r[0], r[1], r[2], r[3]) for r in rows]
