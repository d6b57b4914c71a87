"""Deadlines: what each unit owes for a task (one per period for a repeating task)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import utc_iso
from bot.domain import Deadline, DeadlineState
from storage.db import Database


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _deadline(row: sqlite3.Row) -> Deadline:
    return Deadline(
        id=row["id"],
        task_id=row["task_id"],
        unit_id=row["unit_id"],
        period=row["period"],
        start=_d(row["start_date"]),
        due=_d(row["due_date"]),
        state=DeadlineState(row["state"]),
        cancelled=row["cancelled_at"] is not None,
    )


@dataclass(frozen=True)
class NewDeadline:
    task_id: int
    unit_id: int
    period: str
    start: date | None
    due: date | None


@dataclass(frozen=True)
class DeadlineView:
    """A deadline with what a message about it needs."""

    deadline: Deadline
    plan_id: int
    plan_number: str
    task_ref: str
    task_title: str
    when_words: str
    form: str
    unit_code: str
    unit_name: str


_VIEW = """SELECT d.*, t.plan_id, p.number AS plan_number, t.ref AS task_ref,
           t.title AS task_title, t.when_words, t.form, u.code AS unit_code, u.name AS unit_name
    FROM deadlines d JOIN tasks t ON t.id = d.task_id JOIN plans p ON p.id = t.plan_id
    JOIN units u ON u.id = d.unit_id"""


def _view(row: sqlite3.Row) -> DeadlineView:
    return DeadlineView(
        deadline=_deadline(row),
        plan_id=row["plan_id"],
        plan_number=row["plan_number"],
        task_ref=row["task_ref"],
        task_title=row["task_title"],
        when_words=row["when_words"],
        form=row["form"],
        unit_code=row["unit_code"],
        unit_name=row["unit_name"],
    )


class DeadlineRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert(self, items: Sequence[NewDeadline]) -> list[int]:
        """Create the deadlines, or move the dates of existing ones (and revive cancelled ones);
        the state of an existing deadline is kept. Returns the ids in order."""
        ids: list[int] = []
        for d in items:
            await self._db.execute(
                "INSERT INTO deadlines(task_id, unit_id, period, start_date, due_date)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(task_id, unit_id, period) DO UPDATE SET"
                " start_date = excluded.start_date, due_date = excluded.due_date,"
                " cancelled_at = NULL",
                (
                    d.task_id,
                    d.unit_id,
                    d.period,
                    d.start.isoformat() if d.start else None,
                    d.due.isoformat() if d.due else None,
                ),
            )
            ids.append(
                int(
                    await self._db.fetch_value(
                        "SELECT id FROM deadlines WHERE task_id = ? AND unit_id = ? AND period = ?",
                        (d.task_id, d.unit_id, d.period),
                    )
                )
            )
        return ids

    async def add_missing(self, items: Sequence[NewDeadline]) -> list[NewDeadline]:
        """Create those of the deadlines that do not exist yet; an existing one (answered,
        cancelled or not) is left as it is. Returns the ones created."""
        existing: set[tuple[int, int, str]] = set()
        for task_id in sorted({d.task_id for d in items}):
            rows = await self._db.fetch_all(
                "SELECT unit_id, period FROM deadlines WHERE task_id = ?", (task_id,)
            )
            existing |= {(task_id, r[0], r[1]) for r in rows}
        new = [d for d in items if (d.task_id, d.unit_id, d.period) not in existing]
        await self._db.execute_many(
            "INSERT INTO deadlines(task_id, unit_id, period, start_date, due_date)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(task_id, unit_id, period) DO NOTHING",
            [
                (
                    d.task_id,
                    d.unit_id,
                    d.period,
                    d.start.isoformat() if d.start else None,
                    d.due.isoformat() if d.due else None,
                )
                for d in new
            ],
        )
        return new

    async def latest_start(self, task_id: int) -> date | None:
        """The first day of the task's latest deadline not cancelled (None: none has a start)."""
        text = await self._db.fetch_value(
            "SELECT max(start_date) FROM deadlines WHERE task_id = ? AND cancelled_at IS NULL",
            (task_id,),
        )
        return date.fromisoformat(text) if text else None

    async def cancel_except(self, task_id: int, keep: Sequence[int], now: datetime) -> list[int]:
        """Cancel the task's open deadlines not in `keep`; returns the unit ids affected."""
        where = "task_id = ? AND cancelled_at IS NULL"
        if keep:  # (`id NOT IN (NULL)` would match nothing)
            where += f" AND id NOT IN ({','.join('?' * len(keep))})"
        rows = await self._db.fetch_all(
            f"SELECT DISTINCT unit_id FROM deadlines WHERE {where}", (task_id, *keep)
        )
        await self._db.execute(
            f"UPDATE deadlines SET cancelled_at = ? WHERE {where}", (utc_iso(now), task_id, *keep)
        )
        return [r[0] for r in rows]

    async def get(self, deadline_id: int) -> Deadline | None:
        row = await self._db.fetch_one("SELECT * FROM deadlines WHERE id = ?", (deadline_id,))
        return _deadline(row) if row else None

    async def view(self, deadline_id: int) -> DeadlineView | None:
        row = await self._db.fetch_one(f"{_VIEW} WHERE d.id = ?", (deadline_id,))
        return _view(row) if row else None

    async def set_state(self, deadline_id: int, state: DeadlineState, now: datetime) -> None:
        await self._db.execute(
            "UPDATE deadlines SET state = ?, state_at = ? WHERE id = ?",
            (state.value, utc_iso(now), deadline_id),
        )

    async def for_unit(self, unit_id: int, *, open_only: bool = True) -> list[DeadlineView]:
        """A unit's deadlines in published plans, soonest first (ongoing last)."""
        sql = (
            f"{_VIEW} WHERE d.unit_id = ? AND d.cancelled_at IS NULL AND t.cancelled_at IS NULL"
            " AND p.status = 'published'"
        )
        if open_only:
            sql += " AND d.state != 'done'"
        sql += " ORDER BY d.due_date IS NULL, d.due_date, t.position, d.period"
        return [_view(r) for r in await self._db.fetch_all(sql, (unit_id,))]

    async def for_task(self, task_id: int) -> list[DeadlineView]:
        rows = await self._db.fetch_all(
            f"{_VIEW} WHERE d.task_id = ? AND d.cancelled_at IS NULL ORDER BY u.code, d.period",
            (task_id,),
        )
        return [_view(r) for r in rows]

    async def open_in_published(self) -> list[DeadlineView]:
        """Every deadline not yet done in published plans (what reminders are computed from)."""
        rows = await self._db.fetch_all(
            f"{_VIEW} WHERE d.cancelled_at IS NULL AND t.cancelled_at IS NULL"
            " AND p.status = 'published' AND d.state != 'done' AND d.due_date IS NOT NULL"
            " ORDER BY d.due_date, t.position"
        )
        return [_view(r) for r in rows]

    async def reminders_computed_on(self) -> date | None:
        """The last day whose reminders were computed at their hour (None: never)."""
        text = await self._db.fetch_value("SELECT day FROM reminder_runs WHERE name = 'daily'")
        return date.fromisoformat(text) if text else None

    async def record_reminders_computed(self, day: date, now: datetime) -> None:
        """`day`'s reminders (and the missed days' catch-up) are queued: written in the same
        transaction as the digests, so a restart neither loses nor repeats them."""
        await self._db.execute(
            "INSERT INTO reminder_runs(name, day, computed_at) VALUES ('daily', ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET day = excluded.day,"
            " computed_at = excluded.computed_at",
            (day.isoformat(), utc_iso(now)),
        )

    async def rolled_on(self) -> date | None:
        """The last day open-ended repeating tasks were rolled forward (None: never)."""
        text = await self._db.fetch_value("SELECT day FROM reminder_runs WHERE name = 'roll'")
        return date.fromisoformat(text) if text else None

    async def record_rolled(self, day: date, now: datetime) -> None:
        """`day`'s roll is done: written in the transaction that made its deadlines."""
        await self._db.execute(
            "INSERT INTO reminder_runs(name, day, computed_at) VALUES ('roll', ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET day = excluded.day,"
            " computed_at = excluded.computed_at",
            (day.isoformat(), utc_iso(now)),
        )

    async def state_counts(self, plan_id: int, today: date) -> list[tuple[int, str, str, int]]:
        """(task id, period, state, how many) for the plan's open deadlines; a deadline past
        its due date and not done counts as state 'late'. A long read: aside, on the last commit."""
        rows = await self._db.fetch_all_aside(
            """SELECT d.task_id, d.period,
                      CASE WHEN d.state != 'done' AND d.due_date < ? THEN 'late' ELSE d.state END,
                      count(*)
               FROM deadlines d JOIN tasks t ON t.id = d.task_id
               WHERE t.plan_id = ? AND d.cancelled_at IS NULL AND t.cancelled_at IS NULL
               GROUP BY 1, 2, 3""",
            (today.isoformat(), plan_id),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def periods_started(self, plan_id: int, today: date) -> dict[int, str]:
        """For each task of the plan, the latest period that has started by `today`."""
        rows = await self._db.fetch_all_aside(
            """SELECT d.task_id, max(d.period) FROM deadlines d JOIN tasks t ON t.id = d.task_id
               WHERE t.plan_id = ? AND d.cancelled_at IS NULL
                 AND (d.start_date IS NULL OR d.start_date <= ?)
               GROUP BY d.task_id""",
            (plan_id, today.isoformat()),
        )
        return {r[0]: r[1] for r in rows}
