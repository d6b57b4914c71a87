"""The read side of exports: everything a plan's export needs, in a few queries, big results
streamed in chunks so 200,000 answers never sit in memory at once.

A report reads through its own connection to the database file, inside one read transaction:
every view of an export sees the same snapshot (WAL lets the bot keep writing meanwhile), and a
long export never holds the app connection's lock, so chat updates go on being handled."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import aiosqlite

from storage.db import Database

CHUNK = 2000
LATE_NAMES = 30  # late units named per task in a report


@dataclass(frozen=True)
class ReportPerson:
    name: str
    role: str  # secretary | deputy
    reachable: bool


@dataclass(frozen=True)
class ReportUnit:
    id: int
    code: str
    name: str
    kind: str
    parent_name: str | None
    people: tuple[ReportPerson, ...]


@dataclass(frozen=True)
class ReportTask:
    id: int
    ref: str
    position: int
    title: str
    form: str
    start: date | None
    due: date | None
    when_words: str
    repeat: str
    quota_total: int | None
    periods: tuple[tuple[str, date | None, date | None], ...]  # (period, start, due) in order


class Cell(NamedTuple):
    """One deadline of the matrix, with the answer to it if any."""

    unit_id: int
    task_id: int
    period: str
    state: str  # pending | in_progress | done
    due: str | None  # ISO date
    state_at: str | None  # UTC ISO
    answer_status: str | None
    sent_at: str | None  # UTC ISO
    late: int | None


class VersionRow(NamedTuple):
    """One version (or review) of an answer."""

    unit_id: int
    task_id: int
    period: str
    answer_id: int
    status: str  # the answer's status now
    form: str
    version: int
    action: str
    data: str  # JSON
    note: str | None
    late: int
    at: str  # UTC ISO
    member_name: str | None
    files: str | None  # attachment names, one per line


class NomineeAnswer(NamedTuple):
    """The current content of a nomination answer (entries in `data`)."""

    unit_id: int
    task_id: int
    period: str
    status: str
    data: str  # JSON
    sent_at: str  # UTC ISO


@dataclass(frozen=True)
class TaskFigures:
    """Per (task, period): deadlines by state (late apart), and what the answers add up to."""

    counts: dict[tuple[int, str], dict[str, int]]
    answers: dict[tuple[int, str], int]
    late_answers: dict[tuple[int, str], int]
    entries: dict[tuple[int, str], int]
    count_sums: dict[tuple[int, str], float]
    kinds: dict[int, dict[str, int]]  # nominations by kind, per task
    late_units: dict[tuple[int, str], list[str]]  # the first LATE_NAMES late units' names


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


_PLAN_UNITS = """SELECT DISTINCT d.unit_id FROM deadlines d JOIN tasks t ON t.id = d.task_id
    WHERE t.plan_id = :plan AND t.cancelled_at IS NULL AND d.cancelled_at IS NULL"""

# The names of the attachments a version refers to, found through the form's file fields (in the
# values, and in each entry of a repeated group). `{fields}` is a list of bound names.
_FILES = """(SELECT group_concat(att.file_name, char(10)) FROM (
        SELECT e.value AS aid FROM json_each(v.data, '$.values') f,
            json_each(CASE WHEN f.type = 'array' THEN f.value ELSE '[]' END) e
            WHERE f.key IN ({fields})
        UNION ALL
        SELECT e.value FROM json_each(v.data, '$.entries') g,
            json_each(CASE WHEN g.type = 'object' THEN g.value ELSE '{{}}' END) f,
            json_each(CASE WHEN f.type = 'array' THEN f.value ELSE '[]' END) e
            WHERE f.key IN ({fields})
    ) x JOIN attachments att ON att.id = x.aid)"""


class ReportRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    @asynccontextmanager
    async def snapshot(cls, db: Database) -> AsyncIterator[ReportRepository]:
        """A repository reading one consistent snapshot of `db`'s file, on its own connection."""
        if str(db.path) == ":memory:":
            raise ValueError("reports read the database file; an in-memory database has none")
        conn = await aiosqlite.connect(str(db.path), isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.execute("PRAGMA query_only=ON")
            await conn.execute("BEGIN")  # the snapshot starts at the first read
            try:
                yield cls(conn)
            finally:
                await conn.execute("ROLLBACK")
        finally:
            await conn.close()

    async def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        async with self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _chunks(
        self, sql: str, params: Sequence[Any] | dict[str, Any], size: int
    ) -> AsyncIterator[list[sqlite3.Row]]:
        async with self._conn.execute(sql, params) as cur:
            while True:
                rows = await cur.fetchmany(size)
                if not rows:
                    return
                yield list(rows)

    # small results

    async def plan_forms(self, plan_id: int) -> dict[str, Any]:
        rows = await self._all("SELECT forms FROM plans WHERE id = ?", (plan_id,))
        forms: dict[str, Any] = json.loads(rows[0][0] or "{}") if rows else {}
        return forms

    async def tasks(self, plan_id: int) -> list[ReportTask]:
        """The plan's tasks in order, each with its periods (one, '', unless it repeats)."""
        periods: dict[int, list[tuple[str, date | None, date | None]]] = {}
        for r in await self._all(
            """SELECT d.task_id, d.period, min(d.start_date), max(d.due_date) FROM deadlines d
               JOIN tasks t ON t.id = d.task_id
               WHERE t.plan_id = ? AND d.cancelled_at IS NULL
               GROUP BY d.task_id, d.period ORDER BY d.task_id, d.period""",
            (plan_id,),
        ):
            periods.setdefault(r[0], []).append((r[1], _d(r[2]), _d(r[3])))
        rows = await self._all(
            "SELECT id, ref, position, title, form, start_date, due_date, when_words, repeat,"
            " quota FROM tasks WHERE plan_id = ? AND cancelled_at IS NULL ORDER BY position",
            (plan_id,),
        )
        return [
            ReportTask(
                id=r["id"],
                ref=r["ref"],
                position=r["position"],
                title=r["title"],
                form=r["form"],
                start=_d(r["start_date"]),
                due=_d(r["due_date"]),
                when_words=r["when_words"],
                repeat=r["repeat"],
                quota_total=json.loads(r["quota"] or "{}").get("total"),
                periods=tuple(periods.get(r["id"], ())),
            )
            for r in rows
        ]

    async def units(self, plan_id: int) -> list[ReportUnit]:
        """The units that owe the plan something, in the office's order, with their secretaries
        and deputies (and whether the bot can reach each)."""
        people: dict[int, list[ReportPerson]] = {}
        for r in await self._all(
            f"""SELECT m.unit_id, m.role, m.full_name,
                       EXISTS (SELECT 1 FROM identities i
                               WHERE i.member_id = m.id AND i.reachable = 1) AS reachable
                FROM members m
                WHERE m.active = 1 AND m.role IN ('secretary', 'deputy')
                  AND m.unit_id IN ({_PLAN_UNITS})
                ORDER BY m.unit_id, m.role DESC, m.id""",
            {"plan": plan_id},
        ):
            people.setdefault(r[0], []).append(ReportPerson(r[2], r[1], bool(r[3])))
        rows = await self._all(
            f"""SELECT u.id, u.code, u.name, u.kind, p.name AS parent_name
                FROM units u LEFT JOIN units p ON p.id = u.parent_id
                WHERE u.id IN ({_PLAN_UNITS}) ORDER BY u.id""",
            {"plan": plan_id},
        )
        return [ReportUnit(r[0], r[1], r[2], r[3], r[4], tuple(people.get(r[0], ()))) for r in rows]

    async def figures(self, plan_id: int, today: date) -> TaskFigures:
        """What the report says about each task, in five grouped queries."""
        params = {"plan": plan_id, "today": today.isoformat()}
        counts: dict[tuple[int, str], dict[str, int]] = {}
        for r in await self._all(
            """SELECT d.task_id, d.period,
                      CASE WHEN d.state != 'done' AND d.due_date < :today THEN 'late'
                           ELSE d.state END,
                      count(*)
               FROM deadlines d JOIN tasks t ON t.id = d.task_id
               WHERE t.plan_id = :plan AND t.cancelled_at IS NULL AND d.cancelled_at IS NULL
               GROUP BY 1, 2, 3""",
            params,
        ):
            counts.setdefault((r[0], r[1]), {})[r[2]] = r[3]
        answers: dict[tuple[int, str], int] = {}
        late: dict[tuple[int, str], int] = {}
        entries: dict[tuple[int, str], int] = {}
        sums: dict[tuple[int, str], float] = {}
        for r in await self._all(
            """SELECT a.task_id, d.period, count(*), sum(a.late), sum(a.entries),
                      sum(CASE WHEN a.form = 'count'
                               THEN json_extract(a.data, '$.values.count') END)
               FROM answers a JOIN tasks t ON t.id = a.task_id
               JOIN deadlines d ON d.id = a.deadline_id
               WHERE t.plan_id = :plan AND t.cancelled_at IS NULL AND d.cancelled_at IS NULL
                 AND a.status != 'withdrawn'
               GROUP BY 1, 2""",
            params,
        ):
            key = (r[0], r[1])
            answers[key], late[key], entries[key] = r[2], r[3] or 0, r[4] or 0
            if r[5] is not None:
                sums[key] = r[5]
        kinds: dict[int, dict[str, int]] = {}
        for r in await self._all(
            """SELECT a.task_id, json_extract(e.value, '$.kind'), count(*)
               FROM answers a JOIN tasks t ON t.id = a.task_id,
                    json_each(a.data, '$.entries') e
               WHERE t.plan_id = :plan AND t.cancelled_at IS NULL AND a.form = 'nomination'
                 AND a.status NOT IN ('withdrawn', 'returned')
               GROUP BY 1, 2""",
            params,
        ):
            kinds.setdefault(r[0], {})[str(r[1])] = r[2]
        late_units: dict[tuple[int, str], list[str]] = {}
        for r in await self._all(
            f"""SELECT task_id, period, name FROM (
                   SELECT d.task_id, d.period, u.name, row_number() OVER
                          (PARTITION BY d.task_id, d.period ORDER BY d.unit_id) AS n
                   FROM deadlines d JOIN tasks t ON t.id = d.task_id
                   JOIN units u ON u.id = d.unit_id
                   WHERE t.plan_id = :plan AND t.cancelled_at IS NULL
                     AND d.cancelled_at IS NULL AND d.state != 'done' AND d.due_date < :today)
                WHERE n <= {LATE_NAMES}""",
            params,
        ):
            late_units.setdefault((r[0], r[1]), []).append(r[2])
        return TaskFigures(counts, answers, late, entries, sums, kinds, late_units)

    # streamed results

    def cells(
        self, plan_id: int, current: Sequence[tuple[int, str]], size: int = CHUNK
    ) -> AsyncIterator[list[Cell]]:
        """The matrix: the deadline of each unit for each task's `current` (task, period),
        unit by unit (in the office's order), tasks in the plan's order."""
        if not current:
            return _empty()
        values = ",".join("(?, ?)" for _ in current)
        params: list[Any] = [x for pair in current for x in pair]
        sql = f"""WITH cur(task_id, period) AS (VALUES {values})
            SELECT d.unit_id, d.task_id, d.period, d.state, d.due_date, d.state_at,
                   a.status, a.sent_at, a.late
            FROM cur JOIN tasks t ON t.id = cur.task_id
            JOIN deadlines d ON d.task_id = cur.task_id AND d.period = cur.period
            LEFT JOIN answers a ON a.deadline_id = d.id
            WHERE d.cancelled_at IS NULL AND t.cancelled_at IS NULL
            ORDER BY d.unit_id, t.position"""
        return self._typed(sql, params, size, Cell)

    def versions(
        self, plan_id: int, file_fields: Sequence[str], size: int = CHUNK
    ) -> AsyncIterator[list[VersionRow]]:
        """Every version and review of every answer to the plan, task by task, unit by unit,
        oldest first; with the names of the files each version refers to."""
        params: list[Any] = []
        files = "NULL"
        if file_fields:
            marks = ",".join("?" * len(file_fields))
            files = _FILES.format(fields=marks)
            params.extend(file_fields)
            params.extend(file_fields)
        params.append(plan_id)
        sql = f"""SELECT a.unit_id, a.task_id, d.period, a.id, a.status, a.form, v.version,
                   v.action, v.data, v.note, v.late, v.at, m.full_name, {files}
            FROM tasks t JOIN answers a ON a.task_id = t.id
            JOIN deadlines d ON d.id = a.deadline_id
            JOIN answer_versions v ON v.answer_id = a.id
            LEFT JOIN members m ON m.id = v.member_id
            WHERE t.plan_id = ? AND t.cancelled_at IS NULL
            ORDER BY t.position, a.unit_id, d.period, v.id"""
        return self._typed(sql, params, size, VersionRow)

    def nominations(self, plan_id: int, size: int = CHUNK) -> AsyncIterator[list[NomineeAnswer]]:
        """The current content of every nomination answer not withdrawn, task by task."""
        sql = """SELECT a.unit_id, a.task_id, d.period, a.status, a.data, a.sent_at
            FROM tasks t JOIN answers a ON a.task_id = t.id
            JOIN deadlines d ON d.id = a.deadline_id
            WHERE t.plan_id = ? AND t.cancelled_at IS NULL AND a.form = 'nomination'
              AND a.status != 'withdrawn'
            ORDER BY t.position, a.unit_id, d.period"""
        return self._typed(sql, [plan_id], size, NomineeAnswer)

    async def _typed(
        self, sql: str, params: Sequence[Any], size: int, kind: type[Any]
    ) -> AsyncIterator[list[Any]]:
        make = kind._make
        async for rows in self._chunks(sql, params, size):
            yield [make(r) for r in rows]


async def _empty() -> AsyncIterator[list[Any]]:
    return
    yield  # an async generator that yields nothing
