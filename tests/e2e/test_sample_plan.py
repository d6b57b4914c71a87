"""The sample plan of the Lào Cai Đảng bộ Khối (65 năm, 2024), written by hand as YAML, carried to
a dozen units over the emulator: it imports, publishes, and its reminders fire on the right days."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.domain import DeadlineState, UnitKind
from bot.plan_file import import_plan
from bot.publishing import publish
from storage.units import NewUnit
from tests.conftest import VN
from tests.e2e.conftest import Bot
from tests.e2e.harness import TgUser
from tests.planning import member

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "laocai-65nam-2024.yaml"
MORE_CELLS = [
    NewUnit(f"CB{i}", name, UnitKind.CELL, "DUK")
    for i, name in enumerate(
        [
            "Chi bộ Sở Tài chính",
            "Chi bộ Sở Tư pháp",
            "Chi bộ Kho bạc Nhà nước tỉnh",
            "Chi bộ Ngân hàng Chính sách xã hội",
            "Chi bộ Trường Chính trị tỉnh",
            "Chi bộ Hội Văn học - Nghệ thuật",
        ],
        1,
    )
]


async def _organisation(tg: Bot) -> dict[str, TgUser]:
    """A dozen units (Đảng ủy Khối, Văn phòng and ten that report), a secretary in each."""
    services = tg.app.services
    async with services.db.transaction():
        await services.repos.units.upsert_many(MORE_CELLS, services.clock.now())
    secretaries: dict[str, TgUser] = {}
    for unit in await services.repos.units.all():
        if not unit.kind.reports:
            continue
        person = tg.user(f"Bí thư {unit.code}")
        await person.send("/start")
        await person.read_one()
        await member(services, unit.code, str(person.user_id), person.name)
        secretaries[unit.code] = person
    return secretaries


async def _settle(tg: Bot) -> None:
    tg.app.sender.wake()
    await asyncio.wait_for(tg.app.sender.idle(), 15)


async def test_the_sample_plan_imports_publishes_and_reminds_on_the_right_days(tg: Bot) -> None:
    services = tg.app.services
    secretaries = await _organisation(tg)
    assert len(await services.repos.units.all()) == 12 and len(secretaries) == 10

    plan = await import_plan(services, SAMPLE)
    summary = await publish(services, plan)
    assert summary.units == 11  # ten reporting units, and Văn phòng for II.4
    assert summary.messages == 10
    for code, person in secretaries.items():
        push = await person.read_one()
        assert "185-KH/ĐUK" in push["text"], code
        # "audience: all" is the grassroots units: Chi bộ Thời sự reports to its đảng bộ, and
        # owes only III.2, addressed to every chi bộ and đảng bộ by kind
        assert ("trước ngày 20/4/2024" in push["text"]) == (code != "CBTS"), code
        assert ("dự kiến ngày 10/5/2024" in push["text"]) == (code != "CBTS"), code

    reminders = tg.app.reminders
    days: dict[date, set[str]] = {}
    day = date(2024, 3, 1)
    while day <= date(2024, 5, 20):
        moment = datetime.combine(day, time(8, 30), tzinfo=VN)
        for d in await reminders.due_at(moment):
            if d.to.chat_id == str(secretaries["CBVP"].user_id):
                days.setdefault(day, set()).update(ln.ref for ln in d.lines)
        day += timedelta(days=1)
    assert all(d.weekday() < 5 for d in days)  # never on a weekend
    assert date(2024, 4, 30) not in days and date(2024, 5, 1) not in days  # nor on holidays
    # II.6 "trước ngày 20/4/2024" (a Saturday) has its own policy, 10, 5, 2 days before and on
    # the day: 10/4, 15/4, 18/4 (Giỗ Tổ Hùng Vương, a holiday) -> 17/4, 20/4 -> Fri 19/4
    assert {d for d, refs in days.items() if "II.6" in refs and d <= date(2024, 4, 20)} == {
        date(2024, 4, 10),
        date(2024, 4, 15),
        date(2024, 4, 17),
        date(2024, 4, 19),
    }
    # the monthly article: March's period ends 31/3 (a Sunday): its day comes forward to 29/3
    assert "II.2.a" in days[date(2024, 3, 29)]
    # "trước ngày 31/3/2024" for the Tập san articles shares that digest
    assert "II.8" in days[date(2024, 3, 29)]

    # 17/4 at 8:30: the reminders go out through the emulator, one digest per secretary
    tg.clock.set(datetime(2024, 4, 17, 8, 30, tzinfo=VN))
    queued = await reminders.tick()
    assert queued == 9  # every secretary but Chi bộ Thời sự's, who owes no II.6
    await _settle(tg)
    digest = await secretaries["CBVP"].read_one()
    assert "Nhắc hạn" in digest["text"] and "II.6" in digest["text"]
    assert await reminders.tick() == 0  # the same day: nothing twice

    # CBVP reports II.6 done: on 19/4 it is not reminded of II.6, CBBAO still is
    view = next(
        v
        for v in await services.repos.deadlines.for_unit(await _unit(tg, "CBVP"))
        if v.task_ref == "II.6"
    )
    await services.repos.deadlines.set_state(view.deadline.id, DeadlineState.DONE, tg.clock.now())
    on_19 = await reminders.due_at(datetime(2024, 4, 19, 8, 30, tzinfo=VN))
    refs = {d.to.chat_id: {ln.ref for ln in d.lines} for d in on_19}
    assert "II.6" not in refs.get(str(secretaries["CBVP"].user_id), set())
    assert "II.6" in refs[str(secretaries["CBBAO"].user_id)]


async def _unit(tg: Bot, code: str) -> int:
    unit = await tg.app.services.repos.units.by_code(code)
    assert unit is not None
    return unit.id
