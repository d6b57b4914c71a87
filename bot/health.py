"""Is the bot healthy? What GET /healthz answers about the running app: the database answers,
its migrations are those of the code, the outbox sender runs, and how much is waiting."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from bot.backup import known_migrations
from storage.db import Database
from storage.outbox import OutboxRepository

SENDER_TASK = "outbox-sender"  # the name bot/app.py gives the sender's task
DB_TIMEOUT = 5.0


@dataclass(frozen=True)
class SchemaStatus:
    applied: tuple[int, ...]
    known: tuple[int, ...]

    @property
    def pending(self) -> list[int]:
        """Migrations of the code not yet applied to the database."""
        return [v for v in self.known if v not in self.applied]

    @property
    def newer(self) -> list[int]:
        """Migrations in the database that this code does not know: made by a newer version."""
        return [v for v in self.applied if v not in self.known]

    @property
    def ok(self) -> bool:
        return not self.pending and not self.newer


async def schema_status(db: Database) -> SchemaStatus:
    rows = await db.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    return SchemaStatus(tuple(r[0] for r in rows), tuple(v for v, _ in known_migrations()))


def sender_running() -> bool:
    """Whether the outbox sender's task is alive in this event loop."""
    return any(t.get_name() == SENDER_TASK and not t.done() for t in asyncio.all_tasks())


@dataclass
class Health:
    """The health of the running app, checked on each call of `report`."""

    db: Database
    mode: str  # "webhook" or "polling"
    started: float = field(default_factory=time.monotonic)

    async def report(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            async with asyncio.timeout(DB_TIMEOUT):
                await self.db.fetch_value("SELECT 1")
                status = await schema_status(self.db)
                counts = await OutboxRepository(self.db).counts()
        except Exception as exc:  # the answer must say so rather than fail
            checks["database"] = {"ok": False, "error": repr(exc)}
        else:
            checks["database"] = {"ok": True}
            checks["migrations"] = {
                "ok": status.ok,
                "applied": len(status.applied),
                "pending": status.pending,
                "newer": status.newer,
            }
            checks["outbox"] = {
                "ok": True,
                "pending": counts.get("pending", 0),
                "sending": counts.get("sending", 0),
                "failed": counts.get("failed", 0),
                "unreachable": counts.get("unreachable", 0),
            }
        checks["sender"] = {"ok": sender_running()}
        ok = all(c["ok"] for c in checks.values())
        return {
            "ok": ok,
            "mode": self.mode,
            "uptime_seconds": round(time.monotonic() - self.started),
            **checks,
        }
