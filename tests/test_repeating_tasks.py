"""A repeating task owes one deadline per period (a monthly report, a quarterly count): wherever
its buttons appear (/viec, the publish message, a reminder digest, /baocao) each names its period,
and pressing one opens that period's form, not the first open one."""

from __future__ import annotations

from datetime import date, datetime

from bot.chat import Reply
from bot.clock import FrozenClock
from bot.domain import DeadlineState, ReminderPolicy, Repeat
from bot.publishing import publish
from bot.reminders import Reminders
from bot.services import Services
from handlers.routes import build_router
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
    assert "đã gửi báo cáo <b>Viết bài tuyên truyền</b> (II.2.a, tháng 3/2024)" in shown.text


async def test_baocao_with_a_ref_opens_the_month_under_way(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    [start, _] = await an.says("/baocao II.2.a")
    assert "(II.2.a, tháng 4/2024)" in start.text


ONGOING = task(
    "II.3",
    "Sinh hoạt chuyên đề",
    start=date(2024, 3, 1),
    due=None,  # open-ended: twelve months are made ahead
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
