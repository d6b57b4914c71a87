"""Conversation state per channel identity, and the updates already handled (handled once)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.clock import utc_iso
from bot.domain import Conversation
from storage.db import Database


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def load(self, channel: str, external_id: str) -> Conversation:
        row = await self._db.fetch_one(
            "SELECT flow, step, data FROM conversations WHERE channel = ? AND external_id = ?",
            (channel, external_id),
        )
        if row is None or row["flow"] is None:
            return Conversation()
        return Conversation(flow=row["flow"], step=row["step"], data=json.loads(row["data"]))

    async def save(
        self, channel: str, external_id: str, state: Conversation, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO conversations(channel, external_id, flow, step, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(channel, external_id) DO UPDATE SET"
            " flow = excluded.flow, step = excluded.step, data = excluded.data,"
            " updated_at = excluded.updated_at",
            (
                channel,
                external_id,
                state.flow,
                state.step,
                json.dumps(state.data or {}, ensure_ascii=False),
                utc_iso(now),
            ),
        )

    async def waiting(self, flow: str, before: datetime) -> list[tuple[str, str, str]]:
        """People left in `flow` since before `before`: (channel, external_id, updated_at)."""
        rows = await self._db.fetch_all(
            "SELECT channel, external_id, updated_at FROM conversations"
            " WHERE flow = ? AND updated_at < ? ORDER BY updated_at",
            (flow, utc_iso(before)),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def first_time(self, channel: str, update_id: int, now: datetime) -> bool:
        """Record an update as handled; False if it was handled before (a redelivery)."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO handled_updates(channel, update_id, handled_at)"
            " VALUES (?, ?, ?)",
            (channel, update_id, utc_iso(now)),
        )
        return changed != 0

    async def forget_handled_before(self, moment: datetime) -> None:
        await self._db.execute(
            "DELETE FROM handled_updates WHERE handled_at < ?", (utc_iso(moment),)
        )

    @staticmethod
    def keep_handled_for() -> timedelta:
        """Long enough for any redelivery (Telegram keeps an update at most 24 hours), short
        enough that an id Telegram hands out again (after a week without updates it picks the
        next one at random) is not mistaken for one already handled."""
        return timedelta(days=2)

    async def last_handled(self, channel: str) -> int:
        """The highest update id handled on `channel` (0: none)."""
        value = await self._db.fetch_value(
            "SELECT max(update_id) FROM handled_updates WHERE channel = ?", (channel,)
        )
        return int(value or 0)
