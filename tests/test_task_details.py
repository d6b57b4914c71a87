"""A task's details are not a dead end: pressing "📄 Chi tiết" takes the list's buttons away, so
the details carry the task's own report button and a way back to the list."""

from __future__ import annotations

from datetime import date, datetime

from bot.chat import Reply
from bot.clock import FrozenClock
from bot.domain import Repeat
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task

CONTEST = task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20))
ARTICLES = task(
    "II.2.a",
    "Viết bài tuyên truyền",
    start=date(2024, 3, 1),
    due=date(2024, 5, 31),
    repeat=Repeat.MONTHLY,
)


def labels(reply: Reply) -> list[list[str]]:
    return [[c.label for c in row] for row in reply.choices]


async def test_from_the_details_she_reports_on_the_task(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, CONTEST))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    [details] = await an.presses("📄 Chi tiết II.6")
    assert "Báo cáo thi đua" in details.text
    assert labels(details) == [["📝 Báo cáo II.6"], ["📋 Danh sách việc"]]
    [start, question] = await an.presses("📝 Báo cáo II.6")
    assert "(II.6)" in start.text and "mức nào" in question.text


async def test_from_the_details_she_goes_back_to_the_list(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, CONTEST))
    an = Person(build_router(org), "1")
    [listing] = await an.says("/viec")
    await an.presses("📄 Chi tiết II.6")
    [again] = await an.presses("📋 Danh sách việc")
    assert again.text == listing.text and labels(again) == labels(listing)


async def test_a_months_details_offer_that_months_report(org: Services, clock: FrozenClock) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    [may] = await an.presses("📄 Chi tiết II.2.a · tháng 5/2024")
    assert labels(may) == [["📝 Báo cáo II.2.a · tháng 5/2024"], ["📋 Danh sách việc"]]
    [start, _] = await an.presses("📝 Báo cáo II.2.a · tháng 5/2024")
    assert "(II.2.a, tháng 5/2024)" in start.text


async def test_a_task_already_done_offers_only_the_list(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, CONTEST))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    details_button = [c for r in an.inbox[-1].choices for c in r if c.label.startswith("📄")]
    await an.says("/baocao II.6")
    await an.presses("Hoàn thành")
    await an.presses("Bỏ qua")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    [details] = await an._send(choice=details_button[0].value)  # the old list's button
    assert "đã hoàn thành" in details.text
    assert labels(details) == [["📋 Danh sách việc"]]
