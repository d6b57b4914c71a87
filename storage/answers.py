"""Answers to tasks: the current state of each unit's answer, and every version of it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.clock import from_iso, utc_iso
from storage.db import Database


class AnswerStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Answer:
    id: int
    deadline_id: int
    unit_id: int
    task_id: int
    form: str
    status: AnswerStatus
    version: int
    data: dict[str, Any]
    entries: int
    late: bool
    member_id: int | None
    sent_at: datetime
    review_note: str | None
    reviewed_at: datetime | None


@dataclass(frozen=True)
class AnswerVersion:
    version: int
    action: str
    data: dict[str, Any]
    member_id: int | None
    member_name: str | None
    note: str | None
    late: bool
    at: datetime


@dataclass(frozen=True)
class Attachment:
    id: int
    kind: str
    file_name: str
    mime_type: str | None
    size: int
    sha256: str
    path: str


def _answer(row: sqlite3.Row) -> Answer:
    reviewed = row["reviewed_at"]
    return Answer(
        id=row["id"],
        deadline_id=row["deadline_id"],
        unit_id=row["unit_id"],
        task_id=row["task_id"],
        form=row["form"],
        status=AnswerStatus(row["status"]),
        version=row["version"],
        data=json.loads(row["data"]),
        entries=row["entries"],
        late=bool(row["late"]),
        member_id=row["member_id"],
        sent_at=from_iso(row["sent_at"]),
        review_note=row["review_note"],
        reviewed_at=from_iso(reviewed) if reviewed else None,
    )


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


class AnswerRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def for_deadline(self, deadline_id: int) -> Answer | None:
        row = await self._db.fetch_one(
            "SELECT * FROM answers WHERE deadline_id = ?", (deadline_id,)
        )
        return _answer(row) if row else None

    async def get(self, answer_id: int) -> Answer | None:
        row = await self._db.fetch_one("SELECT * FROM answers WHERE id = ?", (answer_id,))
        return _answer(row) if row else None

    async def send(
        self,
        *,
        deadline_id: int,
        unit_id: int,
        task_id: int,
        form: str,
        data: dict[str, Any],
        entries: int,
        late: bool,
        member_id: int,
        now: datetime,
    ) -> Answer:
        """A first answer, or a new version of an existing one (edit, or resend after return);
        the caller holds the transaction."""
        existing = await self.for_deadline(deadline_id)
        if existing is None:
            answer_id = await self._db.insert(
                "INSERT INTO answers(deadline_id, unit_id, task_id, form, status, version, data,"
                " entries, late, member_id, sent_at) VALUES (?, ?, ?, ?, 'submitted', 1, ?, ?,"
                " ?, ?, ?)",
                (
                    deadline_id,
                    unit_id,
                    task_id,
                    form,
                    _dumps(data),
                    entries,
                    int(late),
                    member_id,
                    utc_iso(now),
                ),
            )
            version, action = 1, "submit"
        else:
            answer_id = existing.id
            version = existing.version + 1
            action = "resubmit" if existing.status is AnswerStatus.RETURNED else "edit"
            if existing.status is AnswerStatus.WITHDRAWN:
                action = "submit"
            await self._db.execute(
                "UPDATE answers SET status = 'submitted', version = ?, data = ?, entries = ?,"
                " late = ?, member_id = ?, sent_at = ?, form = ? WHERE id = ?",
                (
                    version,
                    _dumps(data),
                    entries,
                    int(late),
                    member_id,
                    utc_iso(now),
                    form,
                    answer_id,
                ),
            )
        await self._version(answer_id, version, action, data, member_id, None, late, now)
        answer = await self.get(answer_id)
        assert answer is not None
        return answer

    async def _version(
        self,
        answer_id: int,
        version: int,
        action: str,
        data: dict[str, Any],
        member_id: int | None,
        note: str | None,
        late: bool,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "INSERT INTO answer_versions(answer_id, version, action, data, member_id, note, late,"
            " at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (answer_id, version, action, _dumps(data), member_id, note, int(late), utc_iso(now)),
        )

    async def withdraw(self, answer: Answer, member_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE answers SET status = 'withdrawn', entries = 0 WHERE id = ?", (answer.id,)
        )
        await self._version(
            answer.id, answer.version, "withdraw", answer.data, member_id, None, answer.late, now
        )

    async def review(
        self, answer: Answer, *, accept: bool, note: str | None, member_id: int, now: datetime
    ) -> None:
        status = AnswerStatus.ACCEPTED if accept else AnswerStatus.RETURNED
        await self._db.execute(
            "UPDATE answers SET status = ?, review_note = ?, reviewed_by = ?, reviewed_at = ?"
            " WHERE id = ?",
            (status.value, note, member_id, utc_iso(now), answer.id),
        )
        await self._version(
            answer.id,
            answer.version,
            "accept" if accept else "return",
            answer.data,
            member_id,
            note,
            answer.late,
            now,
        )

    async def versions(self, answer_id: int) -> list[AnswerVersion]:
        rows = await self._db.fetch_all(
            "SELECT v.*, m.full_name AS member_name FROM answer_versions v"
            " LEFT JOIN members m ON m.id = v.member_id WHERE v.answer_id = ? ORDER BY v.id",
            (answer_id,),
        )
        return [
            AnswerVersion(
                version=r["version"],
                action=r["action"],
                data=json.loads(r["data"]),
                member_id=r["member_id"],
                member_name=r["member_name"],
                note=r["note"],
                late=bool(r["late"]),
                at=from_iso(r["at"]),
            )
            for r in rows
        ]

    async def entries_for_task(self, task_id: int, *, except_unit: int | None = None) -> int:
        """Entries counted against the task's plan-wide quota (answers not withdrawn)."""
        value = await self._db.fetch_value(
            "SELECT COALESCE(sum(entries), 0) FROM answers WHERE task_id = ?"
            " AND status != 'withdrawn' AND unit_id != COALESCE(?, -1)",
            (task_id, except_unit),
        )
        return int(value or 0)

    async def with_status(self, status: AnswerStatus, limit: int = 20) -> list[Answer]:
        rows = await self._db.fetch_all(
            "SELECT * FROM answers WHERE status = ? ORDER BY sent_at LIMIT ?",
            (status.value, limit),
        )
        return [_answer(r) for r in rows]

    async def next_with_status(self, status: AnswerStatus, after: Answer) -> Answer | None:
        """The answer with `status` that comes after `after` in the order /duyet shows them (sent
        earliest first), or, past the last, the first one again; never `after` itself."""
        sent = utc_iso(after.sent_at)
        row = await self._db.fetch_one(
            "SELECT * FROM answers WHERE status = ? AND id != ?"
            " ORDER BY (sent_at > ? OR (sent_at = ? AND id > ?)) DESC, sent_at, id LIMIT 1",
            (status.value, after.id, sent, sent, after.id),
        )
        return _answer(row) if row else None

    async def count_with_status(self, status: AnswerStatus) -> int:
        value = await self._db.fetch_value(
            "SELECT count(*) FROM answers WHERE status = ?", (status.value,)
        )
        return int(value or 0)

    async def for_task(self, task_id: int) -> list[Answer]:
        rows = await self._db.fetch_all(
            "SELECT * FROM answers WHERE task_id = ? ORDER BY unit_id", (task_id,)
        )
        return [_answer(r) for r in rows]

    # attachments

    async def add_attachment(
        self,
        *,
        member_id: int | None,
        channel: str,
        kind: str,
        file_name: str,
        mime_type: str | None,
        size: int,
        sha256: str,
        path: str,
        platform_file_id: str | None,
        now: datetime,
    ) -> int:
        return await self._db.insert(
            "INSERT INTO attachments(member_id, channel, kind, file_name, mime_type, size, sha256,"
            " path, platform_file_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                member_id,
                channel,
                kind,
                file_name,
                mime_type,
                size,
                sha256,
                path,
                platform_file_id,
                utc_iso(now),
            ),
        )

    async def attachments(self, ids: list[int]) -> list[Attachment]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._db.fetch_all(
            f"SELECT * FROM attachments WHERE id IN ({marks}) ORDER BY id", ids
        )
        return [
            Attachment(
                r["id"],
                r["kind"],
                r["file_name"],
                r["mime_type"],
                r["size"],
                r["sha256"],
                r["path"],
            )
            for r in rows
        ]
