"""The audit log: every office action (publish, amend, broadcast, review, export), who and when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import from_iso, utc_iso
from storage.db import Database


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    member_id: int | None
    member_name: str | None
    action: str
    detail: dict[str, Any]


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, action: str, member_id: int | None, now: datetime, **detail: Any
    ) -> None:
        await self._db.execute(
            "INSERT INTO audit_log(at, member_id, action, detail) VALUES (?, ?, ?, ?)",
            (utc_iso(now), member_id, action, json.dumps(detail, ensure_ascii=False)),
        )

    async def entries(self, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
        sql = (
            "SELECT a.*, m.full_name AS member_name FROM audit_log a"
            " LEFT JOIN members m ON m.id = a.member_id"
        )
        params: list[Any] = []
        if action:
            sql += " WHERE a.action = ?"
            params.append(action)
        rows = await self._db.fetch_all(sql + " ORDER BY a.id DESC LIMIT ?", (*params, limit))
        return [
            AuditEntry(
                r["id"],
                from_iso(r["at"]),
                r["member_id"],
                r["member_name"],
                r["action"],
                json.loads(r["detail"]),
            )
            for r in rows
        ]
