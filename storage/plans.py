"""Plans and their tasks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from bot.clock import from_iso, utc_iso
from bot.domain import (
    Audience,
    Plan,
    PlanStatus,
    Quota,
    ReminderPolicy,
    Repeat,
    Task,
    UnitKind,
)
from storage.db import Database


@dataclass(frozen=True)
class NewTask:
    ref: str
    title: str
    details: str
    start: date | None
    due: date | None
    when_words: str
    repeat: Repeat
    audience: Audience
    lead_unit_id: int | None
    support: tuple[str, ...]
    form: str
    quota: Quota
    policy: ReminderPolicy | None


@dataclass(frozen=True)
class NewPlan:
    number: str
    title: str
    issued: date | None
    issuer: str
    source: str
    policy: ReminderPolicy | None
    forms: dict[str, Any]
    tasks: tuple[NewTask, ...]


def policy_to_json(policy: ReminderPolicy | None) -> str:
    return "{}" if policy is None else json.dumps(asdict(policy))


def policy_from_json(text: str) -> ReminderPolicy | None:
    data = json.loads(text or "{}")
    if not data:
        return None
    return ReminderPolicy(
        before=tuple(int(d) for d in data.get("before", (7, 3, 1, 0))),
        after_every=int(data.get("after_every", 2)),
        after_times=int(data.get("after_times", 3)),
        escalate=bool(data.get("escalate", True)),
    )


def audience_to_json(audience: Audience) -> str:
    if audience.all:
        return json.dumps("all")
    if audience.kinds:
        return json.dumps({"kinds": [k.value for k in audience.kinds]})
    return json.dumps({"units": list(audience.units)})


def audience_from_json(text: str) -> Audience:
    data = json.loads(text)
    if data == "all":
        return Audience(all=True)
    if "kinds" in data:
        return Audience(kinds=tuple(UnitKind(k) for k in data["kinds"]))
    return Audience(units=tuple(data.get("units", ())))


def quota_to_json(quota: Quota) -> str:
    return json.dumps({k: v for k, v in asdict(quota).items() if v is not None})


def quota_from_json(text: str) -> Quota:
    return Quota(**json.loads(text or "{}"))


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _plan(row: sqlite3.Row) -> Plan:
    published = row["published_at"]
    return Plan(
        id=row["id"],
        number=row["number"],
        title=row["title"],
        issued=_d(row["issued"]),
        issuer=row["issuer"],
        status=PlanStatus(row["status"]),
        revision=row["revision"],
        policy=policy_from_json(row["policy"]),
        published_at=from_iso(published) if published else None,
    )


def _task(row: sqlite3.Row) -> Task:
    return Task(
        id=row["id"],
        plan_id=row["plan_id"],
        ref=row["ref"],
        position=row["position"],
        title=row["title"],
        details=row["details"],
        start=_d(row["start_date"]),
        due=_d(row["due_date"]),
        when_words=row["when_words"],
        repeat=Repeat(row["repeat"]),
        audience=audience_from_json(row["audience"]),
        lead_unit_id=row["lead_unit_id"],
        support=tuple(json.loads(row["support"])),
        form=row["form"],
        quota=quota_from_json(row["quota"]),
        policy=policy_from_json(row["policy"]),
        cancelled=row["cancelled_at"] is not None,
    )


def _task_values(task: NewTask) -> tuple[object, ...]:
    return (
        task.title,
        task.details,
        task.start.isoformat() if task.start else None,
        task.due.isoformat() if task.due else None,
        task.when_words,
        task.repeat.value,
        audience_to_json(task.audience),
        task.lead_unit_id,
        json.dumps(list(task.support), ensure_ascii=False),
        task.form,
        quota_to_json(task.quota),
        policy_to_json(task.policy),
    )


_TASK_COLUMNS = (
    "title, details, start_date, due_date, when_words, repeat, audience, lead_unit_id,"
    " support, form, quota, policy"
)


class PlanRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, plan_id: int) -> Plan | None:
        row = await self._db.fetch_one("SELECT * FROM plans WHERE id = ?", (plan_id,))
        return _plan(row) if row else None

    async def by_number(self, number: str) -> Plan | None:
        row = await self._db.fetch_one("SELECT * FROM plans WHERE number = ?", (number,))
        return _plan(row) if row else None

    async def find(self, key: str) -> Plan | None:
        """A plan by its number or its id (as the office types it on the command line)."""
        plan = await self.by_number(key)
        if plan is None and key.isdigit():
            plan = await self.get(int(key))
        return plan

    async def all(self) -> list[Plan]:
        rows = await self._db.fetch_all("SELECT * FROM plans ORDER BY id")
        return [_plan(r) for r in rows]

    async def published(self) -> list[Plan]:
        rows = await self._db.fetch_all(
            "SELECT * FROM plans WHERE status = 'published' ORDER BY id"
        )
        return [_plan(r) for r in rows]

    async def forms(self, plan_id: int) -> dict[str, Any]:
        text = await self._db.fetch_value("SELECT forms FROM plans WHERE id = ?", (plan_id,))
        result: dict[str, Any] = json.loads(text or "{}")
        return result

    async def save_draft(self, plan: NewPlan, now: datetime) -> Plan:
        """Create the plan as a draft, or replace the tasks of an existing draft of that number.
        The caller holds the transaction and has checked the plan is not published."""
        existing = await self.by_number(plan.number)
        values = (
            plan.title,
            plan.issued.isoformat() if plan.issued else None,
            plan.issuer,
            plan.source,
            policy_to_json(plan.policy),
            json.dumps(plan.forms, ensure_ascii=False),
        )
        if existing is None:
            plan_id = await self._db.insert(
                "INSERT INTO plans(title, issued, issuer, source, policy, forms, number,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, plan.number, utc_iso(now)),
            )
        else:
            plan_id = existing.id
            await self._db.execute(
                "UPDATE plans SET title = ?, issued = ?, issuer = ?, source = ?, policy = ?,"
                " forms = ? WHERE id = ?",
                (*values, plan_id),
            )
            await self._db.execute("DELETE FROM tasks WHERE plan_id = ?", (plan_id,))
        await self.insert_tasks(plan_id, plan.tasks, start_position=1)
        saved = await self.get(plan_id)
        assert saved is not None
        return saved

    async def insert_tasks(
        self, plan_id: int, tasks: Sequence[NewTask], *, start_position: int
    ) -> list[int]:
        ids = []
        for i, task in enumerate(tasks):
            ids.append(
                await self._db.insert(
                    f"INSERT INTO tasks(plan_id, ref, position, {_TASK_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (plan_id, task.ref, start_position + i, *_task_values(task)),
                )
            )
        return ids

    async def update_task(self, task_id: int, task: NewTask) -> None:
        sets = ", ".join(f"{c.strip()} = ?" for c in _TASK_COLUMNS.split(","))
        await self._db.execute(
            f"UPDATE tasks SET {sets}, cancelled_at = NULL WHERE id = ?",
            (*_task_values(task), task_id),
        )

    async def cancel_task(self, task_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE tasks SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
            (utc_iso(now), task_id),
        )

    async def mark_published(self, plan_id: int, now: datetime, *, bump: bool = False) -> None:
        await self._db.execute(
            "UPDATE plans SET status = 'published', published_at = COALESCE(published_at, ?),"
            " revision = revision + ? WHERE id = ?",
            (utc_iso(now), 1 if bump else 0, plan_id),
        )

    async def tasks(self, plan_id: int, *, include_cancelled: bool = False) -> list[Task]:
        sql = "SELECT * FROM tasks WHERE plan_id = ?"
        if not include_cancelled:
            sql += " AND cancelled_at IS NULL"
        rows = await self._db.fetch_all(sql + " ORDER BY position", (plan_id,))
        return [_task(r) for r in rows]

    async def task(self, task_id: int) -> Task | None:
        row = await self._db.fetch_one("SELECT * FROM tasks WHERE id = ?", (task_id,))
        return _task(row) if row else None
