"""Helpers to put plans and members in a test database without going through files or chat."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain import Audience, Member, Plan, Quota, ReminderPolicy, Repeat, Role
from bot.services import Services
from storage.plans import NewPlan, NewTask


def task(
    ref: str,
    title: str,
    *,
    due: date | None,
    start: date | None = None,
    when: str = "",
    repeat: Repeat = Repeat.NONE,
    audience: Audience | None = None,
    form: str = "progress",
    policy: ReminderPolicy | None = None,
) -> NewTask:
    return NewTask(
        ref=ref,
        title=title,
        details="",
        start=start,
        due=due,
        when_words=when,
        repeat=repeat,
        audience=audience or Audience(all=True),
        lead_unit_id=None,
        support=(),
        form=form,
        quota=Quota(),
        policy=policy,
    )


async def draft(
    services: Services,
    *tasks: NewTask,
    number: str = "185-KH/ĐUK",
    forms: dict[str, Any] | None = None,
) -> Plan:
    plan = NewPlan(
        number=number,
        title="Kế hoạch tổ chức các hoạt động chào mừng kỷ niệm 65 năm",
        issued=date(2024, 1, 5),
        issuer="Đảng ủy Khối",
        source="test",
        policy=None,
        forms=forms or {},
        tasks=tuple(tasks),
    )
    async with services.db.transaction():
        return await services.repos.plans.save_draft(plan, services.clock.now())


async def member(
    services: Services, unit_code: str, user_id: str, name: str, role: Role = Role.SECRETARY
) -> Member:
    unit = await services.repos.units.by_code(unit_code)
    assert unit is not None
    now = services.clock.now()
    async with services.db.transaction():
        m = await services.repos.members.create(
            unit_id=unit.id, role=role, full_name=name, invite_id=None, now=now
        )
        await services.repos.members.add_identity(
            m.id,
            channel="telegram",
            external_id=user_id,
            chat_id=user_id,
            display_name=name,
            now=now,
        )
    return m
