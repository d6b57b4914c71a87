"""/viec after answering: what the unit still owes comes first, as always; what it has sent stays
in sight in a short block of its own (waiting for review, accepted), each with a button that
shows the answer and, until the deadline, lets it be edited or withdrawn. A returned answer is
owed again: it stands among the tasks to do, flagged."""

from __future__ import annotations

from datetime import date, datetime

from bot.chat import Reply
from bot.clock import FrozenClock
from bot.domain import Repeat, Role
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task

CONTEST = task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20))
COUNT = task("II.9", "Số đảng viên", due=date(2024, 4, 10), form="count")
ARTICLES = task(
    "II.2.a",
    "Viết bài tuyên truyền",
    start=date(2024, 3, 1),
    due=date(2024, 5, 31),
    repeat=Repeat.MONTHLY,
)


def labels(reply: Reply) -> list[str]:
    return [c.label for row in reply.choices for c in row]


def sent_block(reply: Reply) -> str:
    return reply.text.partition("Đã gửi")[2]


async def sends_progress(person: Person, button: str) -> None:
    await person.presses(button)
    await person.presses("Hoàn thành")
    await person.says("Đã tổ chức xong")
    await person.presses("Bỏ qua")
    await person.presses("📤 Gửi báo cáo")


async def sends_count(person: Person, count: str) -> None:
    await person.says("/baocao II.9")
    await person.says(count)
    await person.presses("Bỏ qua")
    await person.presses("📤 Gửi báo cáo")


async def test_a_sent_answer_shows_as_waiting_and_its_button_offers_edit_and_withdraw(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, CONTEST, COUNT))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    await sends_progress(an, "📝 Báo cáo II.6")
    [listing] = await an.says("/viec")
    owed, _, sent = listing.text.partition("Đã gửi")
    assert "Số đảng viên" in owed and "Báo cáo thi đua" not in owed  # still owed first
    assert "Báo cáo thi đua (II.6) · 🕓 đã gửi, chờ duyệt" in sent
    assert labels(listing) == ["📝 Báo cáo II.9", "📄 Chi tiết II.9", "👁 Xem II.6"]
    [shown] = await an.presses("👁 Xem II.6")
    assert "Chi bộ đã gửi báo cáo" in shown.text and "Đã tổ chức xong" in shown.text
    assert labels(shown) == ["✏️ Sửa", "↩️ Rút lại"]
    await an.presses("↩️ Rút lại")
    await an.presses("Rút lại")
    [again] = await an.says("/viec")  # withdrawn: owed again, nothing sent
    assert "Đã gửi" not in again.text and "📝 Báo cáo II.6" in labels(again)


async def test_when_everything_is_sent_the_list_says_so_and_shows_what_was_sent(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, CONTEST))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    await sends_progress(an, "📝 Báo cáo II.6")
    [listing] = await an.says("/viec")
    assert "không còn việc nào phải báo cáo" in listing.text
    assert labels(listing) == ["👁 Xem II.6"]
    clock.set(datetime(2024, 4, 22, 9, 0, tzinfo=VN))  # past the deadline: seen, not changed
    [late] = await an.says("/viec")
    [shown] = await an.presses("👁 Xem II.6")
    assert "Báo cáo thi đua" in late.text and shown.choices == ()


async def test_a_returned_answer_is_owed_again_flagged_and_an_accepted_one_is_sent(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    await publish(org, await draft(org, CONTEST, COUNT))
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await sends_count(an, "12")
    await office.says("/duyet")
    await office.presses("↩️ Trả lại")
    await office.says("Thiếu số quần chúng ưu tú")
    await an.says("/viec")
    await sends_progress(an, "📝 Báo cáo II.6")
    await office.says("/duyet")
    await office.presses("✅ Chấp nhận")
    [listing] = await an.says("/viec")
    owed, _, sent = listing.text.partition("Đã gửi")
    assert "Số đảng viên</b> (II.9) · ↩️ bị trả lại, cần sửa" in owed
    assert "Báo cáo thi đua (II.6) · ✅ đã chấp nhận" in sent and "II.9" not in sent
    [returned] = await an.presses("📝 Báo cáo II.9")
    assert "Thiếu số quần chúng ưu tú" in returned.text and labels(returned) == ["✏️ Sửa"]


async def test_a_monthly_task_lists_only_its_latest_month_sent_not_every_one(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, ARTICLES))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    await sends_progress(an, "📝 Báo cáo II.2.a · tháng 3/2024")
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    [listing] = await an.says("/viec")
    assert "tháng 3/2024) · 🕓 đã gửi, chờ duyệt" in sent_block(listing)
    await sends_progress(an, "📝 Báo cáo II.2.a · tháng 4/2024")
    [listing] = await an.says("/viec")
    sent = sent_block(listing)
    assert "tháng 4/2024" in sent and "tháng 3/2024" not in sent  # March is over and done
    assert "👁 Xem II.2.a · tháng 4/2024" in labels(listing)
    assert "👁 Xem II.2.a · tháng 3/2024" not in labels(listing)
    assert "📝 Báo cáo II.2.a · tháng 5/2024" in labels(listing)  # still owed, as before
