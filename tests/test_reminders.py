"""The reminder calendar of a plan, day by day, on an injected clock (nothing sleeps)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

import bot.reminders
from bot.clock import FrozenClock
from bot.domain import DeadlineState, ReminderPolicy, Role
from bot.publishing import publish
from bot.reminders import (
    Digest,
    Reminders,
    ReminderSettings,
    catch_up_days,
    escalation_day,
    reminder_days,
)
from bot.services import Services
from bot.worktime import QuietHours, WorkCalendar
from storage.deadlines import DeadlineView
from tests.conftest import VN
from tests.planning import draft, member, task

CAL = WorkCalendar()
POLICY = ReminderPolicy()


def test_reminders_before_a_saturday_deadline_move_to_working_days() -> None:
    # 20/4/2024 is a Saturday; 29/4, 30/4 and 1/5 are public holidays.
    days = reminder_days(date(2024, 4, 20), POLICY, CAL)
    assert days == {
        date(2024, 4, 12): -7,  # 13/4 is a Saturday
        date(2024, 4, 17): -3,
        date(2024, 4, 19): 0,  # the day itself (Saturday) comes forward and wins over -1
        date(2024, 4, 22): 2,
        date(2024, 4, 24): 4,
        date(2024, 4, 26): 6,
    }
    assert escalation_day(date(2024, 4, 20), POLICY, CAL) == date(2024, 5, 2)


def test_a_policy_can_turn_reminders_after_the_deadline_off() -> None:
    policy = ReminderPolicy(before=(1,), after_every=2, after_times=0, escalate=False)
    assert reminder_days(date(2024, 4, 10), policy, CAL) == {date(2024, 4, 9): -1}
    assert escalation_day(date(2024, 4, 10), policy, CAL) is None


def test_quiet_hours_span_midnight() -> None:
    quiet = QuietHours.parse("21:00-07:00")
    assert quiet.quiet(datetime(2024, 4, 1, 22, 0, tzinfo=VN))
    assert quiet.quiet(datetime(2024, 4, 2, 6, 59, tzinfo=VN))
    assert not quiet.quiet(datetime(2024, 4, 2, 7, 0, tzinfo=VN))
    assert quiet.next_allowed(datetime(2024, 4, 1, 22, 0, tzinfo=VN)) == datetime(
        2024, 4, 2, 7, 0, tzinfo=VN
    )


async def _published(org: Services) -> None:
    plan = await draft(
        org,
        task(
            "II.6",
            "Báo cáo kết quả đợt thi đua",
            due=date(2024, 4, 20),
            when="trước ngày 20/4/2024",
        ),
        task(
            "II.3",
            "Tổ chức Tọa đàm",
            start=date(2024, 4, 1),
            due=date(2024, 4, 30),
            when="trong tháng 4/2024",
        ),
    )
    await publish(org, plan)


def _describe(d: Digest) -> str:
    if d.kind == "late":  # staff see every late unit
        what = ",".join(sorted({ln.ref for ln in d.lines})) + f" x{len(d.lines)} units"
    else:
        what = ",".join(ln.ref for ln in d.lines)
    return f"{d.kind}:{d.to.member.full_name}:{what}"


async def _run_days(
    reminders: Reminders, clock: FrozenClock, first: date, last: date, at: time = time(8, 30)
) -> dict[date, list[str]]:
    """Tick once a day at `at` (twice, to prove a second tick queues nothing); keys per day."""
    sent: dict[date, list[str]] = {}
    day = first
    while day <= last:
        clock.set(datetime.combine(day, at, tzinfo=VN))
        digests = await reminders.due_at(clock.now())
        weekly = await reminders.weekly_at(clock.now())  # leaders, on Mondays
        queued = await reminders.tick()
        assert await reminders.tick() == 0
        if digests:
            assert queued == len(digests) + len(weekly)
            sent[day] = [_describe(d) for d in digests]
        day += timedelta(days=1)
    return sent


async def test_a_plans_reminders_fire_on_the_right_days_then_the_office_is_told(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "2", "Văn phòng", Role.OFFICE)
    await member(org, "DUK", "3", "Thường trực", Role.LEADER)
    await _published(org)
    sent = await _run_days(Reminders(org), clock, date(2024, 4, 1), date(2024, 5, 15))
    assert sent == {
        date(2024, 4, 12): ["remind:An:II.6"],
        date(2024, 4, 17): ["remind:An:II.6"],
        date(2024, 4, 19): ["remind:An:II.6"],
        # 23/4 is seven days before 30/4: one digest gathers both tasks
        date(2024, 4, 22): ["remind:An:II.6"],
        date(2024, 4, 23): ["remind:An:II.3"],
        date(2024, 4, 24): ["remind:An:II.6"],
        date(2024, 4, 26): ["remind:An:II.6,II.3"],
        # 29/4-1/5 are holidays: the on-the-day reminder of 30/4 comes forward to 26/4 (kept
        # with -1 there too); after it: 2/5 (+2), 6/5 (+4 from 4/5, a Saturday), 6/5 (+6)...
        date(2024, 5, 2): [
            "remind:An:II.3",
            "late:Văn phòng:II.6 x3 units",
            "late:Thường trực:II.6 x3 units",
        ],
        date(2024, 5, 6): ["remind:An:II.3"],
        date(2024, 5, 8): ["late:Văn phòng:II.3 x3 units", "late:Thường trực:II.3 x3 units"],
    }


async def test_no_reminder_for_a_task_already_done(org: Services, clock: FrozenClock) -> None:
    await member(org, "CBVP", "1", "An")
    await _published(org)
    unit = await org.repos.units.by_code("CBVP")
    assert unit is not None
    [done] = [v for v in await org.repos.deadlines.for_unit(unit.id) if v.task_ref == "II.6"]
    await org.repos.deadlines.set_state(done.deadline.id, DeadlineState.DONE, clock.now())
    sent = await _run_days(Reminders(org), clock, date(2024, 4, 1), date(2024, 4, 20))
    assert all("II.6" not in k for keys in sent.values() for k in keys)


async def test_nothing_before_the_hour_in_quiet_hours_or_on_days_off(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await _published(org)
    reminders = Reminders(
        org, ReminderSettings(at=time(8, 0), quiet=QuietHours.parse("21:00-07:00"))
    )
    for moment in (
        datetime(2024, 4, 17, 7, 59, tzinfo=VN),  # before the hour
        datetime(2024, 4, 17, 21, 30, tzinfo=VN),  # quiet hours
        datetime(2024, 4, 13, 9, 0, tzinfo=VN),  # a Saturday
        datetime(2024, 4, 30, 9, 0, tzinfo=VN),  # a public holiday
    ):
        clock.set(moment)
        assert await reminders.tick() == 0
    clock.set(datetime(2024, 4, 17, 8, 0, tzinfo=VN))
    assert await reminders.tick() == 1


async def test_a_unit_with_two_people_gets_one_digest_each(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "CBVP", "4", "Bình", Role.DEPUTY)
    await _published(org)
    clock.set(datetime(2024, 4, 17, 9, 0, tzinfo=VN))
    digests = await Reminders(org).due_at(clock.now())
    assert sorted(d.to.member.full_name for d in digests) == ["An", "Bình"]


# The bot down for a while: what its missed days owed is caught up once when it is back.


def test_the_look_back_after_a_stop_is_a_week_at_most() -> None:
    monday = date(2024, 4, 15)
    assert catch_up_days(None, monday) == []  # a new database: nothing was missed
    assert catch_up_days(monday, monday) == []  # the day already computed
    assert catch_up_days(date(2024, 4, 14), monday) == []
    assert catch_up_days(date(2024, 4, 11), monday) == [
        date(2024, 4, 12),
        date(2024, 4, 13),
        date(2024, 4, 14),
    ]
    a_month_down = catch_up_days(date(2024, 3, 1), monday)
    assert a_month_down == [date(2024, 4, 8) + timedelta(days=n) for n in range(7)]
    assert catch_up_days(date(2024, 4, 20), monday) == []  # a clock moved back


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VN)


async def _unit_deadline(org: Services, code: str, ref: str) -> DeadlineView:
    unit = await org.repos.units.by_code(code)
    assert unit is not None
    [view] = [v for v in await org.repos.deadlines.for_unit(unit.id) if v.task_ref == ref]
    return view


async def test_a_reminder_day_missed_while_down_is_caught_up_once_when_back(
    org: Services, clock: FrozenClock
) -> None:
    an = await member(org, "CBVP", "1", "An")
    await _published(org)
    # up until Thursday 11/4; down on Friday 12/4, II.6's first reminder (seven days before)
    assert await _run_days(Reminders(org), clock, date(2024, 4, 1), date(2024, 4, 11)) == {}
    assert await org.repos.deadlines.reminders_computed_on() == date(2024, 4, 11)
    # back on Sunday, then Monday in quiet hours and before the hour: still nothing
    for moment in (
        _at(date(2024, 4, 14), 10),
        _at(date(2024, 4, 15), 6),
        _at(date(2024, 4, 15), 7),
    ):
        clock.set(moment)
        assert await Reminders(org).tick() == 0
    assert await org.repos.deadlines.reminders_computed_on() == date(2024, 4, 11)
    # Monday 8:00, the next allowed time: one catch-up digest
    clock.set(_at(date(2024, 4, 15), 8))
    [digest] = await Reminders(org).due_at(clock.now(), since=date(2024, 4, 11))
    assert _describe(digest) == "remind:An:II.6" and digest.missed == (date(2024, 4, 12),)
    assert "Nhắc lại (bot tạm ngừng hôm 12/4/2024)" in digest.reply.text
    assert await Reminders(org).tick() == 1
    assert await org.repos.outbox.exists(f"remind:member={an.id}:date=2024-04-15")
    assert not await org.repos.outbox.exists(f"remind:member={an.id}:date=2024-04-12")
    assert await org.repos.deadlines.reminders_computed_on() == date(2024, 4, 15)
    # a second restart the same morning sends nothing again; the next days go on as planned
    clock.set(_at(date(2024, 4, 15), 9, 30))
    assert await Reminders(org).tick() == 0
    sent = await _run_days(Reminders(org), clock, date(2024, 4, 16), date(2024, 4, 19))
    assert sent == {date(2024, 4, 17): ["remind:An:II.6"], date(2024, 4, 19): ["remind:An:II.6"]}


async def test_several_missed_days_make_one_digest_with_one_line_per_deadline(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await _published(org)
    await _run_days(Reminders(org), clock, date(2024, 4, 1), date(2024, 4, 11))
    # down from Friday 12/4 to Monday 22/4, back on Tuesday 23/4 (II.3's first reminder): II.6
    # was owed reminders on 12/4, 17/4, 19/4 and 22/4; a week is looked back, not to 12/4
    clock.set(_at(date(2024, 4, 23), 10))
    [digest] = await Reminders(org).due_at(clock.now(), since=date(2024, 4, 11))
    assert _describe(digest) == "remind:An:II.6,II.3"  # II.6 late by 3 days first
    assert digest.missed == (date(2024, 4, 17), date(2024, 4, 19), date(2024, 4, 22))
    assert "bot tạm ngừng hôm 17/4/2024, 19/4/2024 và 22/4/2024" in digest.reply.text
    assert await Reminders(org).tick() == 1
    assert await Reminders(org).tick() == 0


@pytest.mark.parametrize("meanwhile", ["done", "cancelled"])
async def test_a_deadline_done_while_the_bot_was_down_gets_no_catch_up(
    org: Services, clock: FrozenClock, meanwhile: str
) -> None:
    await member(org, "CBVP", "1", "An")
    await _published(org)
    await _run_days(Reminders(org), clock, date(2024, 4, 1), date(2024, 4, 11))
    view = await _unit_deadline(org, "CBVP", "II.6")
    clock.set(_at(date(2024, 4, 13), 10))  # Saturday, the bot still down
    if meanwhile == "done":
        await org.repos.deadlines.set_state(view.deadline.id, DeadlineState.DONE, clock.now())
    else:
        await org.repos.deadlines.cancel_except(view.deadline.task_id, [], clock.now())
    clock.set(_at(date(2024, 4, 15), 8, 30))
    assert await Reminders(org).due_at(clock.now(), since=date(2024, 4, 11)) == []
    assert await Reminders(org).tick() == 0
    assert await org.repos.deadlines.reminders_computed_on() == date(2024, 4, 15)


async def test_a_plan_published_while_down_owes_nothing_for_the_days_before(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await _run_days(Reminders(org), clock, date(2024, 4, 1), date(2024, 4, 11))
    clock.set(_at(date(2024, 4, 13), 10))  # published from the command line on Saturday
    await _published(org)
    clock.set(_at(date(2024, 4, 15), 8, 30))
    reminders = Reminders(org)
    assert await reminders.due_at(clock.now(), since=date(2024, 4, 11)) == []  # 12/4 was before
    assert await reminders.tick() == 0


async def test_an_escalation_day_missed_is_raised_once_when_back(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "2", "Văn phòng", Role.OFFICE)
    await member(org, "DUK", "3", "Thường trực", Role.LEADER)
    await _published(org)
    await _run_days(Reminders(org), clock, date(2024, 4, 1), date(2024, 5, 1))
    assert await org.repos.deadlines.reminders_computed_on() == date(2024, 4, 26)  # then holidays
    # down on Thursday 2/5 (II.6's escalation, II.3's first reminder after) and Friday 3/5
    clock.set(_at(date(2024, 5, 6), 8, 30))
    digests = await Reminders(org).due_at(clock.now(), since=date(2024, 4, 26))
    assert sorted(_describe(d) for d in digests) == [
        "late:Thường trực:II.6 x3 units",
        "late:Văn phòng:II.6 x3 units",
        "remind:An:II.3",  # 6/5 is a reminder day of II.3: it supersedes the missed 2/5
    ]
    late = [d for d in digests if d.kind == "late"]
    assert all(d.missed == (date(2024, 5, 2),) for d in late)
    assert all("Báo muộn (bot tạm ngừng hôm 2/5/2024)" in d.reply.text for d in late)
    [remind] = [d for d in digests if d.kind == "remind"]
    assert remind.missed == () and "Nhắc lại" not in remind.reply.text
    assert await Reminders(org).tick() == 3 + 1  # and the leader's Monday digest
    clock.set(_at(date(2024, 5, 6), 14))  # restarted again in the afternoon
    assert await Reminders(org).tick() == 0
    sent = await _run_days(Reminders(org), clock, date(2024, 5, 7), date(2024, 5, 15))
    assert sent == {
        date(2024, 5, 8): ["late:Văn phòng:II.3 x3 units", "late:Thường trực:II.3 x3 units"],
    }


async def test_a_failed_roll_of_repeating_tasks_does_not_stop_the_days_reminders(
    org: Services, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await member(org, "CBVP", "1", "An")
    await _published(org)

    async def broken(services: Services, moment: datetime) -> None:
        raise RuntimeError("the roll broke")

    monkeypatch.setattr(bot.reminders, "roll_forward", broken)
    clock.set(datetime(2024, 4, 17, 8, 0, tzinfo=VN))
    assert await Reminders(org).tick() == 1
