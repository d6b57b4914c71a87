"""The reminder calendar of a plan, day by day, on an injected clock (nothing sleeps)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.clock import FrozenClock
from bot.domain import DeadlineState, ReminderPolicy, Role
from bot.publishing import publish
from bot.reminders import Digest, Reminders, ReminderSettings, escalation_day, reminder_days
from bot.services import Services
from bot.worktime import QuietHours, WorkCalendar
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
            "late:Văn phòng:II.6 x4 units",
            "late:Thường trực:II.6 x4 units",
        ],
        date(2024, 5, 6): ["remind:An:II.3"],
        date(2024, 5, 8): ["late:Văn phòng:II.3 x4 units", "late:Thường trực:II.3 x4 units"],
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
