"""The outbox: every message sent outside a chat's own replies, unique by its idempotency key.

A row is `requested` when it answers its recipient's own request (the file of /xuatbaocao, the
report of the broadcast they sent...): quiet hours do not hold it. Everything else is proactive
and waits for the morning."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.chat import Reply, reply_from_dict, reply_to_dict
from bot.clock import from_iso, utc_iso
from storage.db import Database


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    key: str
    kind: str
    member_id: int | None
    channel: str
    chat_id: str
    reply: Reply
    priority: int
    not_before: datetime
    status: OutboxStatus
    attempts: int
    last_error: str | None
    batch: str | None
    sent_at: datetime | None
    requested: bool


@dataclass(frozen=True)
class NewMessage:
    key: str
    kind: str
    member_id: int | None
    channel: str
    chat_id: str
    reply: Reply
    priority: int = 5
    batch: str | None = None
    requested: bool = False  # answers the recipient's own request: sent even in quiet hours


def _item(row: sqlite3.Row) -> OutboxItem:
    sent = row["sent_at"]
    return OutboxItem(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        member_id=row["member_id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        reply=reply_from_dict(json.loads(row["payload"])),
        priority=row["priority"],
        not_before=from_iso(row["not_before"]),
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        batch=row["batch"],
        sent_at=from_iso(sent) if sent else None,
        requested=bool(row["requested"]),
    )


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, message: NewMessage, now: datetime) -> bool:
        """Queue a message; False if a message with this key was ever queued (never twice)."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO outbox(key, kind, member_id, channel, chat_id, payload,"
            " priority, not_before, batch, requested, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.key,
                message.kind,
                message.member_id,
                message.channel,
                message.chat_id,
                json.dumps(reply_to_dict(message.reply), ensure_ascii=False),
                message.priority,
                utc_iso(now),
                message.batch,
                int(message.requested),
                utc_iso(now),
            ),
        )
        return changed == 1

    async def exists(self, key: str) -> bool:
        return bool(await self._db.fetch_value("SELECT 1 FROM outbox WHERE key = ?", (key,)))

    async def due(
        self, now: datetime, limit: int = 100, *, requested_only: bool = False
    ) -> list[OutboxItem]:
        """Pending rows whose time has come, most urgent first; `requested_only` (quiet hours):
        only those that answer their recipient's own request."""
        only = " AND requested = 1" if requested_only else ""
        rows = await self._db.fetch_all(
            f"SELECT * FROM outbox WHERE status = 'pending' AND not_before <= ?{only}"
            " ORDER BY priority, not_before, id LIMIT ?",
            (utc_iso(now), limit),
        )
        return [_item(r) for r in rows]

    async def next_due_at(self, *, requested_only: bool = False) -> datetime | None:
        only = " AND requested = 1" if requested_only else ""
        text = await self._db.fetch_value(
            f"SELECT min(not_before) FROM outbox WHERE status = 'pending'{only}"
        )
        return from_iso(text) if text else None

    async def claim(self, item_id: int) -> bool:
        """pending -> sending; False if someone else took it."""
        changed = await self._db.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
            " WHERE id = ? AND status = 'pending'",
            (item_id,),
        )
        return changed == 1

    async def mark_sent(self, item_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
            (utc_iso(now), item_id),
        )

    async def retry_later(self, item_id: int, when: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ? WHERE id = ?",
            (utc_iso(when), error, item_id),
        )

    async def mark_failed(self, item_id: int, error: str, *, unreachable: bool) -> None:
        status = OutboxStatus.UNREACHABLE if unreachable else OutboxStatus.FAILED
        await self._db.execute(
            "UPDATE outbox SET status = ?, last_error = ? WHERE id = ?",
            (status.value, error, item_id),
        )

    async def release_claimed(self) -> int:
        """After a crash: messages left 'sending' go back to 'pending' (see docs: at-least-once
        for the one message per chat that was in flight when the process died)."""
        return await self._db.execute(
            "UPDATE outbox SET status = 'pending' WHERE status = 'sending'"
        )

    async def get(self, key: str) -> OutboxItem | None:
        row = await self._db.fetch_one("SELECT * FROM outbox WHERE key = ?", (key,))
        return _item(row) if row else None

    async def by_batch(self, batch: str) -> list[OutboxItem]:
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE batch = ? ORDER BY id", (batch,)
        )
        return [_item(r) for r in rows]

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT status, count(*) FROM outbox GROUP BY status")
        return {r[0]: r[1] for r in rows}
