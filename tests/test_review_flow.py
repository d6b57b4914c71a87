"""The office reviews answers: accept, or return with a reason; the unit corrects and resends;
every version stays in the history."""

from __future__ import annotations

from datetime import date, datetime

from bot.chat import Attachment, Reply
from bot.clock import FrozenClock
from bot.domain import Repeat, Role
from bot.files import store
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
    assert "Văn phòng trả lại báo cáo việc II.2.a «<b>Viết bài tuyên truyền</b>» tháng 4/2024" in (
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
        "✅ Văn phòng đã chấp nhận báo cáo việc II.2.a «<b>Viết bài tuyên truyền</b>» tháng 3/2024."
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


async def _sends_evidence(org: Services, person: Person, *files: tuple[str, str, bytes]) -> None:
    """The unit answers II.2 "done" with these (kind, name, content) files as its evidence, kept
    as the channel keeps them (a Telegram photo has no name of its own)."""
    await person.says("/baocao II.2")
    await person.presses("Hoàn thành")
    await person.presses("Bỏ qua")
    for i, (kind, name, content) in enumerate(files):
        path, digest = await store(org.data_dir, content, name or None, ".jpg")
        mime = "image/jpeg" if name.endswith(".jpg") or not name else "application/pdf"
        await person._send(
            attachment=Attachment(kind, f"file-{i}", name or None, mime, len(content), path, digest)
        )
    await person.presses("✅ Xong" if files else "Bỏ qua")
    await person.presses("📤 Gửi báo cáo")


async def _press_on(person: Person, reply: Reply, label: str) -> list[Reply]:
    """Press a button of this message; as the channel does, the message loses its buttons."""
    [value] = [c.value for row in reply.choices for c in row if c.label == label]
    person.inbox[person.inbox.index(reply)] = Reply(text=reply.text)
    return await person._send(choice=value)


def _labels(reply: Reply) -> list[str]:
    return [c.label for row in reply.choices for c in row]


async def test_the_office_opens_the_files_chi_bo_van_phong_sent_as_evidence(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    await publish(org, await draft(org, task("II.2", "Trang trí", due=date(2024, 5, 10))))
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await _sends_evidence(
        org, an, ("document", "bien-ban.jpg", b"bien ban"), ("photo", "", b"anh pano")
    )
    _, card = await office.says("/duyet")
    assert _labels(card) == ["✅ Chấp nhận", "↩️ Trả lại", "🕘 Lịch sử", "📎 Xem tệp (2)"]
    document, photo, then = await _press_on(office, card, "📎 Xem tệp (2)")
    assert document.document is not None and document.document.file_name == "bien-ban.jpg"
    assert document.document.path.read_bytes() == b"bien ban"
    assert document.document.caption == "📎 bien-ban.jpg · Chi bộ Văn phòng, II.2 (1/2)"
    assert photo.photo is not None and photo.photo.path.read_bytes() == b"anh pano"
    assert photo.photo.file_name == "minh-chung-2.jpg"  # not the sha256 it is kept under
    assert photo.photo.caption == "📎 minh-chung-2.jpg · Chi bộ Văn phòng, II.2 (2/2)"
    # the card lost its buttons when pressed: the line after the files carries them on
    assert "2 tệp minh chứng của <b>Chi bộ Văn phòng</b> (II.2)" in then.text
    assert _labels(then) == ["✅ Chấp nhận", "↩️ Trả lại", "🕘 Lịch sử"]
    [done] = await _press_on(office, then, "✅ Chấp nhận")
    assert "Đã chấp nhận báo cáo II.2 của Chi bộ Văn phòng" in done.text


async def test_a_file_gone_from_the_disk_is_excused_and_the_others_still_come(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    await publish(org, await draft(org, task("II.2", "Trang trí", due=date(2024, 5, 10))))
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await _sends_evidence(
        org, an, ("document", "bien-ban.pdf", b"%PDF"), ("document", "anh.jpg", b"anh")
    )
    answer = await org.repos.answers.get(1)
    assert answer is not None
    [kept, _] = await org.repos.answers.attachments(answer.data["values"]["evidence"])
    (org.data_dir / kept.path).unlink()
    await office.says("/duyet")
    sent, sorry = await office.presses("📎 Xem tệp (2)")
    assert sent.document is not None and sent.document.file_name == "anh.jpg"
    assert sorry.text == (
        "📎 Trên đây là 1 tệp minh chứng của <b>Chi bộ Văn phòng</b> (II.2).\n"
        "Xin lỗi, không còn tệp <b>bien-ban.pdf</b> trên máy chủ nên bot không gửi được."
        " Nếu cần, xin đề nghị đơn vị gửi lại."
    )
    assert "✅ Chấp nhận" in _labels(sorry)


async def test_after_reading_the_history_the_office_accepts_from_the_history_message(
    org: Services,
) -> None:
    """Pressing "history" takes the buttons off the card: the history carries them on, and the
    decision leads to the next answer waiting."""
    await member(org, "CBVP", "1", "An")
    await member(org, "CBBAO", "2", "Bình")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    await publish(org, await draft(org, task("II.2", "Trang trí", due=date(2024, 5, 10))))
    router = build_router(org)
    an, binh, office = Person(router, "1"), Person(router, "2"), Person(router, "9")
    await _sends_evidence(org, an, ("document", "bien-ban.pdf", b"%PDF"))
    await _sends_evidence(org, binh)
    _, card, _ = await office.says("/duyet")
    [history] = await _press_on(office, card, "🕘 Lịch sử")
    assert _labels(history) == [
        "✅ Chấp nhận",
        "↩️ Trả lại",
        "📎 Xem tệp (1)",
        "➡️ Báo cáo tiếp theo",
    ]
    [done] = await _press_on(office, history, "✅ Chấp nhận")
    assert "Đã chấp nhận báo cáo II.2 của Chi bộ Văn phòng" in done.text
    answer = await org.repos.answers.get(1)
    assert answer is not None and answer.status is AnswerStatus.ACCEPTED
    [following] = await office.presses("➡️ Báo cáo tiếp theo")
    assert "<b>Chi bộ Báo Lào Cai</b> · Trang trí (II.2)" in following.text
    assert "📎 Xem tệp" not in " ".join(_labels(following))  # Bình sent no file
    [history] = await office.presses("🕘 Lịch sử")
    assert _labels(history) == ["✅ Chấp nhận", "↩️ Trả lại"]  # nothing else waits
    await office.presses("↩️ Trả lại")
    [returned] = await office.says("Thiếu ảnh")
    assert "Đã trả lại báo cáo II.2 của Chi bộ Báo Lào Cai" in returned.text
    assert returned.choices == ()


async def test_the_history_of_an_answer_changed_since_its_card_offers_no_decision(
    org: Services,
) -> None:
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
    [history] = await office.presses("🕘 Lịch sử")
    assert "13" in history.text and history.choices == ()
    [nothing] = await office._send(choice="rv:nxt:1")
    assert nothing.text == "Không còn báo cáo nào khác chờ duyệt. 👍"
