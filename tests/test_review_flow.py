"""The office reviews answers: accept, or return with a reason; the unit corrects and resends;
every version stays in the history."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock import FrozenClock
from bot.domain import Repeat, Role
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from storage.answers import AnswerStatus
from storage.outbox import OutboxItem
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task


async def _sent_count(org: Services, person: Person, count: str) -> None:
    await publish(
        org, await draft(org, task("II.9", "Số đảng viên", due=date(2024, 3, 20), form="count"))
    )
    await person.says("/baocao II.9")
    await person.says(count)
    await person.presses("Bỏ qua")
    await person.presses("📤 Gửi báo cáo")


async def test_office_returns_an_answer_the_unit_corrects_and_the_office_accepts(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await _sent_count(org, an, "12")
    header, card = await office.says("/duyet")
    assert "1</b> báo cáo chờ duyệt" in header.text
    assert "Chi bộ Văn phòng" in card.text and "12" in card.text
    assert "Số đảng viên (II.9)" in card.text  # a task that does not repeat: no period
    await office.presses("↩️ Trả lại")
    assert "lý do" in office.last_text()
    [done] = await office.says("Thiếu số quần chúng ưu tú")
    assert "Đã trả lại" in done.text and "kèm lý do" in done.text
    [told] = [i for i in await _queued(org, "review")]
    assert "Thiếu số quần chúng ưu tú" in told.reply.text
    an.inbox.append(told.reply)  # as if delivered
    await an.presses("✏️ Sửa báo cáo")
    await an.says("14")
    await an.presses("Bỏ qua")
    [receipt] = await an.presses("📤 Gửi báo cáo")
    assert "lần gửi thứ 2" in receipt.text
    _, card = await office.says("/duyet")
    assert "lần 2" in card.text
    await office.presses("✅ Chấp nhận")
    answer = await org.repos.answers.get(1)
    assert answer is not None and answer.status is AnswerStatus.ACCEPTED
    [history] = await office.presses("🕘 Lịch sử")
    for words in ("Gửi", "Văn phòng trả lại", "Gửi lại sau khi sửa", "Văn phòng chấp nhận"):
        assert words in history.text
    assert "Thiếu số quần chúng ưu tú" in history.text and "12" in history.text


async def _reports_month(person: Person, month: str, note: str) -> None:
    await person.says("/baocao")
    await person.presses(f"II.2.a · {month}: Viết bài tuyên truyền")
    await person.presses("Hoàn thành")
    await person.says(note)
    await person.presses("Bỏ qua")
    await person.presses("📤 Gửi báo cáo")


async def test_the_office_reviews_each_month_of_a_monthly_report_by_name(
    org: Services, clock: FrozenClock
) -> None:
    """Chi bộ Văn phòng answers March (late) and April of a monthly task: each card says which
    month it is; April returned, the unit is told it was April, and the correction opens April."""
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    articles = task(
        "II.2.a",
        "Viết bài tuyên truyền",
        start=date(2024, 3, 1),
        due=date(2024, 5, 31),
        repeat=Repeat.MONTHLY,
    )
    await publish(org, await draft(org, articles))
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await _reports_month(an, "tháng 3/2024", "Bài về Đại hội chi bộ")
    await _reports_month(an, "tháng 4/2024", "Bài về ngày 30/4")
    _, march, april = await office.says("/duyet")
    assert "Chi bộ Văn phòng</b> · Viết bài tuyên truyền (II.2.a, tháng 3/2024)" in march.text
    assert "nộp muộn" in march.text
    assert "(II.2.a, tháng 4/2024)" in april.text and "Bài về ngày 30/4" in april.text
    office.inbox.remove(march)  # press April's buttons
    await office.presses("↩️ Trả lại")
    [done] = await office.says("Xin thêm ảnh bài đăng")
    assert "Đã trả lại báo cáo II.2.a tháng 4/2024 của Chi bộ Văn phòng" in done.text
    [returned] = await _queued(org, "review")
    assert "Văn phòng trả lại báo cáo <b>Viết bài tuyên truyền</b> (II.2.a, tháng 4/2024)" in (
        returned.reply.text
    )
    an.inbox.append(returned.reply)  # as if delivered
    [start, _] = await an.presses("✏️ Sửa báo cáo")
    assert "(II.2.a, tháng 4/2024)" in start.text
    await an.says("/huy")
    office.inbox.append(march)
    [accepted] = await office.presses("✅ Chấp nhận")
    assert "Đã chấp nhận báo cáo II.2.a tháng 3/2024" in accepted.text
    told = [r.reply.text for r in await _queued(org, "review") if "chấp nhận" in r.reply.text]
    assert told == [
        "✅ Văn phòng đã chấp nhận báo cáo <b>Viết bài tuyên truyền</b> (II.2.a, tháng 3/2024)."
        " Cảm ơn đồng chí!"
    ]
    office.inbox.remove(march)
    [history] = await office.presses("🕘 Lịch sử")
    assert "Lịch sử báo cáo II.2.a tháng 4/2024</b> · Chi bộ Văn phòng" in history.text
    assert "Văn phòng trả lại" in history.text and "Bài về ngày 30/4" in history.text
    assert "<b>Báo cáo tiến độ</b>" in history.text  # the answer's summary, not its HTML shown


async def test_a_button_on_an_old_version_does_not_decide_the_new_one(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await _sent_count(org, an, "12")
    await office.says("/duyet")
    await an.presses("✏️ Sửa")
    await an.says("13")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    [answer] = await office.presses("✅ Chấp nhận")
    assert "đã thay đổi" in answer.text
    current = await org.repos.answers.get(1)
    assert current is not None and current.status is AnswerStatus.SUBMITTED


async def test_secretaries_cannot_review(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    [answer] = await Person(build_router(org), "1").says("/duyet")
    assert "không dành cho" in answer.text


async def _queued(org: Services, kind: str) -> list[OutboxItem]:
    rows = await org.repos.outbox.due(org.clock.now(), 100)
    return [r for r in rows if r.kind == kind]


async def test_accepting_an_answer_already_accepted_says_so(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await _sent_count(org, an, "12")
    await office.says("/duyet")
    await office.presses("✅ Chấp nhận")
    [again] = await office.presses("✅ Chấp nhận")  # the same card's button, pressed twice
    assert again.text == "Báo cáo này đã được chấp nhận lúc 9:00 1/3/2024, không cần làm gì thêm."
    [returned] = await office.presses("↩️ Trả lại")
    assert "đã được chấp nhận" in returned.text and "thay đổi" not in returned.text
