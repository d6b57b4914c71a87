"""A repeating task owes one deadline per period (a monthly report, a quarterly count): wherever
its buttons appear (/viec, the publish message, a reminder digest, /baocao) each names its period,
and pressing one opens that period's form, not the first open one."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from bot.chat import Reply
from bot.clock import FrozenClock
from bot.domain import DeadlineState, ReminderPolicy, Repeat
from bot.periods import periods
from bot.publishing import amend, publish, roll_forward
from bot.reminders import Reminders
from bot.services import Services
from bot.status import plan_status
from handlers.routes import build_router
from storage.plans import NewPlan
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task

ARTICLES = task(
    "II.2.a",
    "Viết bài tuyên truyền",
    start=date(2024, 3, 1),
    due=date(2024, 5, 31),
    when="mỗi tháng ít nhất một bài",
    repeat=Repeat.MONTHLY,
)
CONTEST = task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20), when="trước ngày 20/4/2024")


def labels(reply: Reply) -> list[list[str]]:
    return [[c.label for c in row] for row in reply.choices]


async def states(org: Services, ref: str) -> dict[str, DeadlineState]:
    """The unit CBVP's deadlines of a task, by period."""
    unit = await org.repos.units.by_code("CBVP")
    assert unit is not None
    views = await org.repos.deadlines.for_unit(unit.id, open_only=False)
    return {v.deadline.period: v.deadline.state for v in views if v.task_ref == ref}


async def reports_done(person: Person) -> Reply:
    """Answer the progress form that has just opened: done, a note, no evidence, send."""
    await person.presses("Hoàn thành")
    await person.says("Đã đăng trên trang tin của Khối")
    await person.presses("Bỏ qua")
    [receipt] = await person.presses("📤 Gửi báo cáo")
    return receipt


async def test_a_monthly_task_shows_one_button_per_month_and_the_april_one_opens_april(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES, CONTEST))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    [listing] = await an.says("/viec")
    assert labels(listing) == [
        ["📝 Báo cáo II.2.a · tháng 3/2024"],  # late, still open
        ["📄 Chi tiết II.2.a · tháng 3/2024"],
        ["📝 Báo cáo II.6", "📄 Chi tiết II.6"],  # a task that does not repeat: as it was
        ["📝 Báo cáo II.2.a · tháng 4/2024"],
        ["📄 Chi tiết II.2.a · tháng 4/2024"],
        ["📝 Báo cáo II.2.a · tháng 5/2024"],
        ["📄 Chi tiết II.2.a · tháng 5/2024"],
    ]
    [start, _] = await an.presses("📝 Báo cáo II.2.a · tháng 4/2024")
    assert "(II.2.a, tháng 4/2024)" in start.text
    receipt = await reports_done(an)
    assert "(II.2.a, tháng 4/2024)" in receipt.text and "nộp muộn" not in receipt.text
    assert await states(org, "II.2.a") == {
        "2024-03": DeadlineState.PENDING,
        "2024-04": DeadlineState.DONE,
        "2024-05": DeadlineState.PENDING,
    }
    [again] = await an.says("/viec")  # April is done: its buttons are gone, the others stay
    buttons = [label for row in labels(again) for label in row]
    assert "📝 Báo cáo II.2.a · tháng 4/2024" not in buttons
    assert "📝 Báo cáo II.2.a · tháng 3/2024" in buttons


async def test_each_details_button_shows_its_own_month(org: Services, clock: FrozenClock) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    [may] = await an.presses("📄 Chi tiết II.2.a · tháng 5/2024")
    assert "tháng 5/2024, hạn 31/5/2024" in may.text
    [march] = await an.presses("📄 Chi tiết II.2.a · tháng 3/2024")
    assert "tháng 3/2024, hạn 31/3/2024" in march.text and "quá hạn" in march.text


async def test_the_publish_message_names_each_quarter_and_each_opens_its_own_form(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    count = task(
        "III.1",
        "Số đảng viên mới kết nạp",
        start=date(2024, 1, 1),
        due=date(2024, 12, 31),
        repeat=Repeat.QUARTERLY,
        form="count",
    )
    await publish(org, await draft(org, count))  # on 1/3/2024: the first quarter is under way
    [push] = [r for r in await org.repos.outbox.due(org.clock.now(), 100) if r.kind == "push"]
    assert [row[0] for row in labels(push.reply)] == [
        "📝 Báo cáo III.1 · quý I/2024",
        "📄 Chi tiết III.1 · quý I/2024",
        "📝 Báo cáo III.1 · quý II/2024",  # the next one to come; the other two later
        "📄 Chi tiết III.1 · quý II/2024",
    ]
    assert "Còn 2 kỳ sau chưa đến" in push.reply.text
    an = Person(build_router(org), "1", inbox=[push.reply])
    [start, _] = await an.presses("📝 Báo cáo III.1 · quý II/2024")
    assert "(III.1, quý II/2024)" in start.text
    await an.says("7")
    await an.presses("Bỏ qua")
    [receipt] = await an.presses("📤 Gửi báo cáo")
    assert "(III.1, quý II/2024)" in receipt.text
    assert await states(org, "III.1") == {
        "2024-Q1": DeadlineState.PENDING,
        "2024-Q2": DeadlineState.DONE,
        "2024-Q3": DeadlineState.PENDING,
        "2024-Q4": DeadlineState.PENDING,
    }


async def test_a_digest_reminding_two_weeks_at_once_tells_them_apart(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    weekly = task(
        "II.4",
        "Điểm tin tuần",
        start=date(2024, 4, 1),
        due=date(2024, 4, 28),
        repeat=Repeat.WEEKLY,
    )
    await publish(org, await draft(org, weekly))
    # Friday 12/4: week 15 is due on Sunday 14/4 (its day comes forward), and Sunday 14/4 is
    # also seven days before week 16's deadline (21/4): one digest holds both weeks
    clock.set(datetime(2024, 4, 12, 8, 30, tzinfo=VN))
    [digest] = await Reminders(org).due_at(clock.now())
    assert labels(digest.reply) == [
        ["📝 Báo cáo II.4 · tuần 15/2024"],
        ["📄 Chi tiết II.4 · tuần 15/2024"],
        ["📝 Báo cáo II.4 · tuần 16/2024"],
        ["📄 Chi tiết II.4 · tuần 16/2024"],
    ]
    an = Person(build_router(org), "1", inbox=[digest.reply])
    [start, _] = await an.presses("📝 Báo cáo II.4 · tuần 16/2024")
    assert "(II.4, tuần 16/2024)" in start.text
    await reports_done(an)
    done = await states(org, "II.4")
    assert done["2024-W16"] is DeadlineState.DONE and done["2024-W15"] is DeadlineState.PENDING


async def test_baocao_lists_each_started_month_by_name_and_a_late_one_is_marked_late(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES, CONTEST))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    [choose] = await an.says("/baocao")
    assert labels(choose) == [  # May has not started yet
        ["II.2.a · tháng 3/2024: Viết bài tuyên truyền"],
        ["II.6: Báo cáo thi đua"],
        ["II.2.a · tháng 4/2024: Viết bài tuyên truyền"],
    ]
    [start, _] = await an.presses("II.2.a · tháng 3/2024: Viết bài tuyên truyền")
    assert "(II.2.a, tháng 3/2024)" in start.text
    receipt = await reports_done(an)
    assert "(II.2.a, tháng 3/2024)" in receipt.text and "nộp muộn" in receipt.text
    assert (await states(org, "II.2.a"))["2024-03"] is DeadlineState.DONE
    [shown] = await an.presses("II.2.a · tháng 3/2024: Viết bài tuyên truyền")
    assert (
        "đã gửi báo cáo việc II.2.a «<b>Viết bài tuyên truyền</b>» tháng 3/2024 lúc" in shown.text
    )


async def test_baocao_with_a_ref_asks_which_month_while_an_earlier_one_is_still_owed(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    [choose] = await an.says("/baocao II.2.a")  # March is late and still owed
    assert labels(choose) == [
        ["II.2.a · tháng 3/2024: Viết bài tuyên truyền"],
        ["II.2.a · tháng 4/2024: Viết bài tuyên truyền"],
    ]
    [start, _] = await an.presses("II.2.a · tháng 3/2024: Viết bài tuyên truyền")
    assert "(II.2.a, tháng 3/2024)" in start.text


async def test_baocao_with_a_ref_opens_the_month_under_way_when_the_earlier_are_sent(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    unit = await org.repos.units.by_code("CBVP")
    assert unit is not None
    for view in await org.repos.deadlines.for_unit(unit.id):
        if view.task_ref == "II.2.a" and view.deadline.period == "2024-03":
            await org.repos.deadlines.set_state(view.deadline.id, DeadlineState.DONE, clock.now())
    [start, _] = await an.says("/baocao II.2.a")
    assert "(II.2.a, tháng 4/2024)" in start.text


ONGOING = task(
    "II.3",
    "Sinh hoạt chuyên đề",
    start=date(2024, 3, 1),
    due=None,  # open-ended: twelve months are made, from the one under way
    repeat=Repeat.MONTHLY,
)


async def test_viec_shows_the_months_under_way_and_the_next_not_a_year_ahead(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ONGOING))
    assert len(await states(org, "II.3")) == 12
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    [listing] = await an.says("/viec")
    assert labels(listing) == [
        ["📝 Báo cáo II.3 · tháng 3/2024"],  # late
        ["📄 Chi tiết II.3 · tháng 3/2024"],
        ["📝 Báo cáo II.3 · tháng 4/2024"],  # under way
        ["📄 Chi tiết II.3 · tháng 4/2024"],
        ["📝 Báo cáo II.3 · tháng 5/2024"],  # the next one to come
        ["📄 Chi tiết II.3 · tháng 5/2024"],
    ]
    assert "tháng 6/2024" not in listing.text
    assert "Còn 9 kỳ sau chưa đến, sẽ hiện khi đến lượt." in listing.text
    # May comes: June joins the list, one fewer later
    clock.set(datetime(2024, 5, 2, 9, 0, tzinfo=VN))
    [may] = await an.says("/viec")
    shown = [row[0] for row in labels(may) if row[0].startswith("📝")]
    assert shown == [f"📝 Báo cáo II.3 · tháng {m}/2024" for m in (3, 4, 5, 6)]
    assert "Còn 8 kỳ sau chưa đến" in may.text


async def test_viec_says_nothing_of_later_periods_when_there_are_none(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES, CONTEST))
    clock.set(datetime(2024, 5, 2, 9, 0, tzinfo=VN))
    [listing] = await Person(build_router(org), "1").says("/viec")
    assert "tháng 5/2024" in listing.text and "kỳ sau" not in listing.text


async def test_the_publish_message_of_an_ongoing_monthly_task_stops_at_the_next_month(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ONGOING, CONTEST))  # on 1/3/2024
    [push] = [r for r in await org.repos.outbox.due(org.clock.now(), 100) if r.kind == "push"]
    assert [row[0] for row in labels(push.reply)] == [
        "📝 Báo cáo II.3 · tháng 3/2024",
        "📄 Chi tiết II.3 · tháng 3/2024",
        "📝 Báo cáo II.6",
        "📝 Báo cáo II.3 · tháng 4/2024",
        "📄 Chi tiết II.3 · tháng 4/2024",
    ]
    assert "Còn 10 kỳ sau chưa đến" in push.reply.text


async def test_a_digest_does_not_remind_a_week_beyond_the_next(
    org: Services, clock: FrozenClock
) -> None:
    """Reminded 14 days ahead, week 17 would come up on Friday 12/4 (its day, Sunday 14/4, comes
    forward), while week 15 is under way and week 16 is the next one: only week 15 is reminded."""
    await member(org, "CBVP", "1", "An")
    weekly = task(
        "II.4",
        "Điểm tin tuần",
        start=date(2024, 4, 1),
        due=date(2024, 4, 28),
        repeat=Repeat.WEEKLY,
        policy=ReminderPolicy(before=(14, 0)),
    )
    await publish(org, await draft(org, weekly))
    clock.set(datetime(2024, 4, 12, 8, 30, tzinfo=VN))
    [digest] = await Reminders(org).due_at(clock.now())
    assert labels(digest.reply) == [
        ["📝 Báo cáo II.4 · tuần 15/2024"],
        ["📄 Chi tiết II.4 · tuần 15/2024"],
    ]
    assert "tuần 17/2024" not in digest.reply.text


# An open-ended repeating task runs on: the day's first reminder tick rolls its periods forward.

STUDY = task(
    "II.3",
    "Sinh hoạt chuyên đề",
    start=date(2024, 1, 1),
    due=None,
    when="thường xuyên, hằng tháng",
    repeat=Repeat.MONTHLY,
)
GRASSROOTS = ("CBVP", "CBBAO", "DBPT")  # audience "all" in the sample organisation


async def owed(org: Services, ref: str = "II.3") -> dict[str, set[str]]:
    """Each unit's periods of a task, not cancelled, by unit code."""
    out: dict[str, set[str]] = {}
    for plan in await org.repos.plans.published():
        for t in await org.repos.plans.tasks(plan.id, include_cancelled=True):
            for v in await org.repos.deadlines.for_task(t.id) if t.ref == ref else []:
                out.setdefault(v.unit_code, set()).add(v.deadline.period)
    return out


def months(first: tuple[int, int], last: tuple[int, int]) -> set[str]:
    """The period keys of the months from `first` to `last`, both included."""
    (y, m), out = first, set()
    while (y, m) <= last:
        out.add(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


async def queued(org: Services) -> int:
    return int(await org.db.fetch_value("SELECT count(*) FROM outbox"))


async def test_a_monthly_task_published_in_january_2024_is_owed_and_reminded_in_2025(
    org: Services, clock: FrozenClock
) -> None:
    an = await member(org, "CBVP", "1", "An")  # secretary of Chi bộ Văn phòng
    clock.set(datetime(2024, 1, 10, 9, 0, tzinfo=VN))
    plan = await draft(org, STUDY)
    await publish(org, plan)
    assert await owed(org) == {u: months((2024, 1), (2024, 12)) for u in GRASSROOTS}
    reminders = Reminders(org)
    for month in range(2, 13):  # the bot runs on through 2024
        clock.set(datetime(2024, month, 15, 9, 0, tzinfo=VN))
        await reminders.tick()
    # Friday 21/2/2025, 7 days before February's deadline: Chi bộ Văn phòng is reminded of it
    clock.set(datetime(2025, 2, 21, 8, 30, tzinfo=VN))
    await reminders.tick()
    [digest] = [
        r
        for r in await org.repos.outbox.due(clock.now(), 100)
        if r.key.endswith(":date=2025-02-21")
    ]
    assert digest.member_id == an.id
    assert ["📝 Báo cáo II.3 · tháng 2/2025"] in labels(digest.reply)
    # every unit owes each month up to the twelfth from the one under way
    assert await owed(org) == {u: months((2024, 1), (2026, 1)) for u in GRASSROOTS}
    # and /tinhhinh judges the task on February 2025
    published = await org.repos.plans.get(plan.id)
    assert published is not None
    [status] = await plan_status(org, published, clock.now().date())
    assert status.period == "2025-02" and status.counts["pending"] == len(GRASSROOTS)


async def test_rolling_tells_nobody_and_running_it_twice_adds_nothing(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ONGOING))  # on 1/3/2024: March 2024 to February 2025
    before = await queued(org)
    clock.set(datetime(2024, 6, 10, 9, 0, tzinfo=VN))
    assert await roll_forward(org) == 3 * len(GRASSROOTS)  # March, April, May 2025
    assert await owed(org) == {u: months((2024, 3), (2025, 5)) for u in GRASSROOTS}
    assert await roll_forward(org) == 0
    clock.set(datetime(2024, 6, 20, 9, 0, tzinfo=VN))  # later the same month: nothing new yet
    assert await roll_forward(org) == 0
    assert await owed(org) == {u: months((2024, 3), (2025, 5)) for u in GRASSROOTS}
    assert await queued(org) == before  # nobody was sent anything
    [entry] = [e.detail for e in await org.repos.audit.entries(action="roll")]
    assert entry["deadlines"] == 3 * len(GRASSROOTS) and entry["tasks"] == ["185-KH/ĐUK II.3"]


async def test_the_days_first_tick_rolls_even_on_a_sunday_and_later_ticks_do_not(
    org: Services, clock: FrozenClock
) -> None:
    await publish(org, await draft(org, ONGOING))
    clock.set(datetime(2024, 6, 9, 0, 5, tzinfo=VN))  # Sunday, just after midnight
    reminders = Reminders(org)
    await reminders.tick()
    assert await org.repos.deadlines.rolled_on() == date(2024, 6, 9)
    assert "2025-05" in (await owed(org))["CBVP"]
    clock.set(datetime(2024, 6, 9, 0, 6, tzinfo=VN))
    await reminders.tick()
    assert len(await org.repos.audit.entries(action="roll")) == 1


async def test_a_cancelled_task_and_a_plan_no_longer_published_are_not_rolled(
    org: Services, clock: FrozenClock
) -> None:
    await publish(org, await draft(org, ONGOING, CONTEST))
    published = await org.repos.plans.by_number("185-KH/ĐUK")
    assert published is not None
    new = NewPlan(
        published.number,
        published.title,
        published.issued,
        published.issuer,
        "test",
        None,
        {},
        (CONTEST,),
    )
    assert (await amend(org, published, new)).cancelled == ["II.3"]
    other = await draft(org, replace(ONGOING, ref="IV.1"), number="200-KH/ĐUK")
    await publish(org, other)
    await org.db.execute("UPDATE plans SET status = 'archived' WHERE id = ?", (other.id,))
    clock.set(datetime(2025, 6, 10, 9, 0, tzinfo=VN))
    assert await roll_forward(org) == 0
    assert await owed(org) == {}  # II.3's deadlines were cancelled with it, none came back
    archived = await org.repos.plans.tasks(other.id)
    assert {v.deadline.period for v in await org.repos.deadlines.for_task(archived[0].id)} == (
        months((2024, 3), (2025, 2))
    )
    assert await org.repos.audit.entries(action="roll") == []


async def test_answered_periods_are_untouched_by_the_roll(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ONGOING))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.3")  # March is still owed: the month is chosen
    await an.presses("II.3 · tháng 4/2024: Sinh hoạt chuyên đề")
    await reports_done(an)
    april = (await states(org, "II.3"))["2024-04"]
    assert april is DeadlineState.DONE
    unit = await org.repos.units.by_code("CBVP")
    assert unit is not None
    answered = [
        v.deadline
        for v in await org.repos.deadlines.for_unit(unit.id, open_only=False)
        if v.deadline.period == "2024-04"
    ]
    clock.set(datetime(2025, 4, 2, 9, 0, tzinfo=VN))  # a year on: April 2024 is long over
    assert await roll_forward(org) > 0
    after = await states(org, "II.3")
    assert after["2024-04"] is DeadlineState.DONE and after["2026-03"] is DeadlineState.PENDING
    assert answered == [
        v.deadline
        for v in await org.repos.deadlines.for_unit(unit.id, open_only=False)
        if v.deadline.period == "2024-04"
    ]
    # the months the bot was not there for (March 2025 is over) are not made late after the fact
    assert "2025-03" not in after and "2025-04" in after


async def test_amending_keeps_the_rolled_periods_and_their_answers(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ONGOING))
    clock.set(datetime(2025, 1, 10, 9, 0, tzinfo=VN))
    await roll_forward(org)
    an = Person(build_router(org), "1")
    await an.says("/baocao II.3")  # earlier months are still owed: the month is chosen
    await an.presses("II.3 · tháng 1/2025: Sinh hoạt chuyên đề")
    await reports_done(an)  # January 2025 answered
    rolled = await owed(org)
    assert rolled["CBVP"] == months((2024, 3), (2025, 12))
    published = await org.repos.plans.by_number("185-KH/ĐUK")
    assert published is not None
    renamed = replace(ONGOING, title="Sinh hoạt chuyên đề hằng tháng")
    new = NewPlan(
        published.number,
        published.title,
        published.issued,
        published.issuer,
        "test",
        None,
        {},
        (renamed,),
    )
    assert (await amend(org, published, new)).changed == ["II.3"]
    assert await owed(org) == rolled  # nothing cancelled
    assert (await states(org, "II.3"))["2025-01"] is DeadlineState.DONE


def test_an_open_ended_task_reaches_twelve_periods_from_the_one_under_way() -> None:
    def keys(today: date, through: date | None = None) -> list[str]:
        made = periods(
            Repeat.QUARTERLY, date(2024, 1, 1), None, date(2024, 1, 5), today, through=through
        )
        return [p.key for p in made]

    assert keys(date(2024, 2, 1)) == [f"{y}-Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]
    assert keys(date(2025, 5, 1))[-1] == "2028-Q1"  # Q2 2025 and eleven more
    # those already made stay, even when the clock is behind the day they were made on
    assert keys(date(2024, 2, 1), through=date(2028, 1, 1))[-1] == "2028-Q1"
