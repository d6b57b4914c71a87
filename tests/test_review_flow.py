"""The office reviews answers: accept, or return with a reason; the unit corrects and resends;
every version stays in the history."""

from __future__ import annotations

from datetime import date

from bot.domain import Role
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from storage.answers import AnswerStatus
from tests.chatkit import Person
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


async def _queued(org: Services, kind: str) -> list:
    rows = await org.repos.outbox.due(org.clock.now(), 100)
    return [r for r in rows if r.kind == kind]
