"""Forms at the router: every preset, quotas, edits, withdrawals, late answers, bad input."""

from __future__ import annotations

from datetime import date, datetime

from bot.chat import Attachment
from bot.clock import FrozenClock
from bot.domain import Deadline, DeadlineState, Quota, Role
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from storage.answers import Answer, AnswerStatus
from storage.plans import NewTask
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task


def _with(t: NewTask, **changes: object) -> NewTask:
    from dataclasses import replace

    return replace(t, **changes)  # type: ignore[arg-type]


async def _plan(org: Services, *tasks: NewTask) -> None:
    await publish(org, await draft(org, *tasks))


async def _deadline(org: Services, unit: str, ref: str) -> Deadline:
    u = await org.repos.units.by_code(unit)
    assert u is not None
    views = await org.repos.deadlines.for_unit(u.id, open_only=False)
    [view] = [v for v in views if v.task_ref == ref]
    return view.deadline


async def _deadline_state(org: Services, unit: str, ref: str) -> DeadlineState:
    return (await _deadline(org, unit, ref)).state


async def _answer(org: Services, unit: str, ref: str) -> Answer | None:
    return await org.repos.answers.for_deadline((await _deadline(org, unit, ref)).id)


async def test_secretary_reports_progress_done_and_the_deadline_is_done(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.2", "Trang trí khẩu hiệu", due=date(2024, 5, 10)))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.2")
    assert "mức nào" in an.last_text()
    await an.presses("Hoàn thành")
    assert "Ghi chú" in an.last_text()
    await an.says("Đã treo cờ ở cả ba tòa nhà")
    assert "minh chứng" in an.last_text()
    await an.presses("Bỏ qua")
    assert "Hoàn thành" in an.last_text() and "Đã treo cờ" in an.last_text()
    [receipt] = await an.presses("📤 Gửi báo cáo")
    assert "Đã nhận báo cáo" in receipt.text and "9:00 1/3/2024" in receipt.text
    assert await _deadline_state(org, "CBVP", "II.2") is DeadlineState.DONE


async def test_a_double_tap_on_skip_skips_only_the_question_it_was_under(org: Services) -> None:
    """The second tap reaches the bot after the first has moved on to the evidence question,
    whose message has a "Bỏ qua" of its own: it must not skip that one too."""
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.2", "Trang trí khẩu hiệu", due=date(2024, 5, 10)))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.2")
    await an.presses("Hoàn thành")
    [note] = [r for r in an.inbox if "Ghi chú" in r.text]
    [skip] = [c for row in note.choices for c in row if c.label == "Bỏ qua"]
    await an.presses("Bỏ qua")
    assert "minh chứng" in an.last_text()
    replies = await an._send(choice=skip.value)  # the same button again
    assert "câu hỏi trước" in replies[0].text and "minh chứng" in replies[-1].text
    await an.presses("Bỏ qua")  # the evidence question's own button
    [receipt] = await an.presses("📤 Gửi báo cáo")
    assert "Đã nhận báo cáo" in receipt.text


async def test_typed_answers_without_diacritics_pick_the_option(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.2", "Trang trí", due=date(2024, 5, 10)))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.2")
    await an.says("dang thuc hien")
    assert "Ghi chú" in an.last_text()


async def test_bad_input_gets_an_answer_and_the_form_goes_on(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.9", "Số đảng viên", due=date(2024, 5, 10), form="count"))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.9")
    replies = await an.sends_photo()
    assert "con số" in replies[0].text and "Số lượng" in replies[-1].text
    replies = await an.says("khoảng chục người")
    assert "con số" in replies[0].text
    await an.says("12")
    replies = await an.says("x" * 5000)
    assert "5.000 ký tự" in replies[0].text and "500" in replies[0].text
    await an.says("/help")  # a command in the middle: the form waits
    assert "/tieptuc" in an.last_text()
    [again] = await an.says("/tieptuc")
    assert "Ghi chú" in again.text
    await an.presses("Bỏ qua")
    [receipt] = await an.presses("📤 Gửi báo cáo")
    answer = await _answer(org, "CBVP", "II.9")
    assert answer is not None and answer.data["values"]["count"] == 12
    assert "Đã nhận" in receipt.text


async def test_restart_at_every_step_of_a_nomination_resumes_it(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(
        org,
        task("II.6", "Đề nghị khen thưởng", due=date(2024, 4, 20), form="nomination"),
    )
    steps = [
        ("press", "Cá nhân"),
        ("say", "Nguyễn Văn Bình"),
        ("say", "Phó Giám đốc"),
        ("say", "Sở Tài chính"),
        ("say", "Hoàn thành xuất sắc nhiệm vụ 5 năm liền"),
        ("say", "Giấy khen của Đảng ủy Khối"),
        ("press", "✅ Xong, xem lại và gửi"),
        ("press", "📤 Gửi báo cáo"),
    ]
    person = Person(build_router(org), "1")
    await person.says("/baocao II.6")
    for how, what in steps:
        person = Person(build_router(org), "1", inbox=person.inbox)  # a restart: a new router
        if how == "press":
            await person.presses(what)
        else:
            await person.says(what)
    assert "Đã nhận báo cáo" in person.last_text()
    answer = await _answer(org, "CBVP", "II.6")
    assert answer is not None and answer.entries == 1
    [entry] = answer.data["entries"]
    assert entry == {
        "kind": "individual",
        "name": "Nguyễn Văn Bình",
        "position": "Phó Giám đốc",
        "unit": "Sở Tài chính",
        "achievements": "Hoàn thành xuất sắc nhiệm vụ 5 năm liền",
        "award": "Giấy khen của Đảng ủy Khối",
    }


async def _nominate(person: Person, name: str, kind: str = "Tập thể") -> None:
    await person.presses(kind)
    await person.says(name)
    await person.says("Thành tích xuất sắc")
    await person.says("Giấy khen")


async def test_per_unit_and_plan_wide_quotas_say_how_many_are_left(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "CBBAO", "2", "Bình")
    await _plan(
        org,
        _with(
            task("II.6", "Đề nghị khen thưởng", due=date(2024, 4, 20), form="nomination"),
            quota=Quota(per_unit_max=2, total=3),
        ),
    )
    router = build_router(org)
    an, binh = Person(router, "1"), Person(router, "2")
    await an.says("/baocao II.6")
    await _nominate(an, "Chi bộ Văn phòng")
    assert "còn có thể đề nghị thêm 1" in an.last_text() and "còn 2 suất" in an.last_text()
    await an.presses("➕ Thêm người, tập thể được đề nghị")
    await _nominate(an, "Tổ công đoàn")
    assert "đã đủ số lượng" in an.last_text()
    await an.presses("✅ Xong, xem lại và gửi")
    await an.presses("📤 Gửi báo cáo")
    await binh.says("/baocao II.6")
    await _nominate(binh, "Phòng phóng viên")
    assert "Toàn Khối đã đủ" in binh.last_text()
    await binh.presses("✅ Xong, xem lại và gửi")
    await binh.presses("📤 Gửi báo cáo")
    assert await org.repos.answers.entries_for_task(1) == 3


async def test_edit_and_withdraw_before_the_deadline_but_not_after(
    org: Services, clock: FrozenClock
) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.9", "Số đảng viên", due=date(2024, 3, 10), form="count"))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.9")
    await an.says("12")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    await an.presses("✏️ Sửa")
    await an.presses("Giữ như cũ: 12")
    await an.says("Thêm 2 quần chúng ưu tú")
    [receipt] = await an.presses("📤 Gửi báo cáo")
    assert "lần gửi thứ 2" in receipt.text
    answer = await _answer(org, "CBVP", "II.9")
    assert answer is not None and answer.version == 2
    assert [v.action for v in await org.repos.answers.versions(answer.id)] == ["submit", "edit"]
    await an.presses("↩️ Rút lại")
    await an.presses("Rút lại")
    answer = await _answer(org, "CBVP", "II.9")
    assert answer is not None and answer.status is AnswerStatus.WITHDRAWN
    assert await _deadline_state(org, "CBVP", "II.9") is DeadlineState.PENDING
    clock.set(datetime(2024, 3, 12, 9, 0, tzinfo=VN))
    await an.says("/baocao II.9")
    await an.says("13")
    await an.presses("Bỏ qua")
    [late] = await an.presses("📤 Gửi báo cáo")
    assert "nộp muộn" in late.text and late.choices == ()
    answer = await _answer(org, "CBVP", "II.9")
    assert answer is not None and answer.late
    [shown] = await an.says("/baocao II.9")
    assert "quá hạn" in shown.text


async def test_a_deputy_answers_for_the_unit_and_is_recorded(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    deputy = await member(org, "CBVP", "3", "Cường", Role.DEPUTY)
    await _plan(org, task("II.9", "Số đảng viên", due=date(2024, 3, 10), form="count"))
    cuong = Person(build_router(org), "3")
    await cuong.says("/baocao II.9")
    await cuong.says("7")
    await cuong.presses("Bỏ qua")
    await cuong.presses("📤 Gửi báo cáo")
    answer = await _answer(org, "CBVP", "II.9")
    assert answer is not None and answer.member_id == deputy.id


async def test_registration_form_and_a_photo_as_evidence(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(
        org,
        task("II.5", "Đăng ký đội bóng chuyền hơi", due=date(2024, 5, 3), form="registration"),
        task("II.2", "Trang trí", due=date(2024, 5, 10)),
    )
    an = Person(build_router(org), "1")
    await an.says("/baocao II.5")
    await an.says("Đội Văn phòng")
    await an.says("số")
    assert "con số" in an.inbox[-2].text
    await an.says("8")
    await an.says("Nguyễn Văn An, 0912 345 678")
    assert "Đội Văn phòng" in an.last_text()
    await an.presses("📤 Gửi báo cáo")
    await an.says("/baocao II.2")
    await an.presses("Hoàn thành")
    await an.presses("Bỏ qua")
    # a photo comes without a name (Telegram gives none)
    photo = Attachment("photo", "file-9", None, "image/jpeg", 1234, "files/ab.jpg", "ab" * 32)
    await an._send(attachment=photo)
    assert "Đã nhận 1 tệp" in an.inbox[-2].text
    await an.presses("✅ Xong")
    await an.presses("📤 Gửi báo cáo")
    answer = await _answer(org, "CBVP", "II.2")
    assert answer is not None
    [att] = await org.repos.answers.attachments(answer.data["values"]["evidence"])
    assert att.sha256 == "ab" * 32 and att.size == 1234
    assert att.file_name == "minh-chung-1.jpg"  # a photo has no name: not its sha256 either


async def test_a_file_over_20_mb_is_refused_with_the_limit(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.2", "Trang trí", due=date(2024, 5, 10)))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.2")
    await an.presses("Hoàn thành")
    await an.presses("Bỏ qua")
    big = Attachment(
        "document", "f", "bien-ban.pdf", "application/pdf", 25 * 1024 * 1024, too_big=True
    )
    replies = await an._send(attachment=big)
    assert "20 MB" in replies[0].text


async def test_a_form_left_unfinished_for_a_day_gets_one_gentle_reminder(
    org: Services, clock: FrozenClock
) -> None:
    from bot.reminders import Reminders

    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.9", "Số đảng viên", due=date(2024, 3, 29), form="count"))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.9")  # Friday 1/3/2024 9:00, then nothing
    reminders = Reminders(org)
    clock.set(datetime(2024, 3, 1, 15, 0, tzinfo=VN))
    assert [d.kind for d in await reminders.due_at(clock.now())] == []
    clock.set(datetime(2024, 3, 4, 8, 30, tzinfo=VN))  # Monday
    [nudge] = [d for d in await reminders.due_at(clock.now()) if d.kind == "formwait"]
    assert "điền dở" in nudge.reply.text
    assert await reminders.tick() == 1
    assert await reminders.tick() == 0
    an.inbox.append(nudge.reply)
    [question] = await an.presses("▶️ Tiếp tục")
    assert "Số lượng" in question.text


# Counts: the plan's quota bounds the number, and says what is counted ------------------------


def _count_task(ref: str, title: str, quota: Quota) -> NewTask:
    return _with(task(ref, title, due=date(2024, 4, 30), form="count"), quota=quota)


async def test_a_count_above_the_plan_s_quota_is_taken_and_flagged(org: Services) -> None:
    """Chi bộ Văn phòng answers 3 for II.1 (từ 1 đến 2 nội dung): the quota is a target, so 3
    is taken, with one line saying it is beyond the plan's level, and flagged in the summary."""
    await member(org, "CBVP", "1", "An")
    quota = Quota(per_unit_min=1, per_unit_max=2, what="nội dung")
    await _plan(org, _count_task("II.1", "Xác định từ 1 đến 2 nội dung trọng tâm", quota))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.1")
    question = an.last_text()
    assert "Số nội dung" in question and "từ 1 đến 2 nội dung" in question
    assert "con số thực tế" in question and "1.000.000" not in question
    noted, asked = await an.says("3")
    assert noted.text == "Lưu ý: kế hoạch giao mỗi đơn vị từ 1 đến 2 nội dung."
    assert "Ghi chú" in asked.text
    await an.presses("Bỏ qua")
    assert "Số nội dung: 3 ⚠️ ngoài mức kế hoạch (từ 1 đến 2 nội dung)" in an.last_text()
    await an.presses("📤 Gửi báo cáo")
    answer = await _answer(org, "CBVP", "II.1")
    assert answer is not None and answer.data["values"]["count"] == 3


async def test_a_unit_that_wrote_nothing_reports_0_under_at_least_one(org: Services) -> None:
    """II.2.a asks at least one article of each unit: 0 is taken with a note and flagged; 1 is
    taken without either; a negative number or a word is still refused, with an example inside
    the bounds."""
    await member(org, "CBVP", "1", "An")
    quota = Quota(per_unit_min=1, per_unit_max=3, what="bài viết")
    await _plan(org, _count_task("II.2.a", "Bài viết phản ánh hoạt động", quota))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.2.a")
    assert "từ 1 đến 3 bài viết" in an.last_text()
    refused, _ = await an.says("nhiều")
    assert refused.text == "Ở bước này cần gõ một con số, ví dụ: 3."
    refused, _ = await an.says("-1")
    assert "từ 0" in refused.text
    noted, asked = await an.says("0")
    assert noted.text == "Lưu ý: kế hoạch giao mỗi đơn vị từ 1 đến 3 bài viết."
    assert "Ghi chú" in asked.text
    await an.presses("Bỏ qua")
    assert "Số bài viết: 0 ⚠️ ngoài mức kế hoạch" in an.last_text()
    await an.presses("✏️ Làm lại")
    [asked] = await an.says("1")
    assert "Ghi chú" in asked.text
    await an.presses("Bỏ qua")
    assert "Số bài viết: 1" in an.last_text() and "ngoài mức" not in an.last_text()


async def test_a_count_the_plan_names_nothing_for_names_its_task(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.9", "Báo cáo kết quả", due=date(2024, 5, 10), form="count"))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.9")
    assert "Số lượng cho việc II.9" in an.last_text()


async def test_counts_are_whole_numbers_written_the_vietnamese_way(org: Services) -> None:
    """Dots and spaces group thousands, a comma is the decimal mark: "1,5" party members is
    refused, "1.250" and "1 250" are 1250, shown "1.250" when read back."""
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.9", "Số đảng viên", due=date(2024, 5, 10), form="count"))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.9")
    refused, _ = await an.says("1,5")
    assert "không phải số nguyên" in refused.text and "1.250" in refused.text
    await an.says("1 250")
    await an.presses("Bỏ qua")
    assert "1.250" in an.last_text()
    await an.presses("📤 Gửi báo cáo")
    answer = await _answer(org, "CBVP", "II.9")
    assert answer is not None and answer.data["values"]["count"] == 1250
    [shown] = await an.says("/baocao II.9")
    assert "1.250" in shown.text
    await an.presses("✏️ Sửa")
    await an.says("1.250 đảng viên")
    await an.presses("Bỏ qua")
    assert "1.250" in an.last_text()


async def test_the_review_card_flags_a_count_outside_the_plan_s_quota(org: Services) -> None:
    """An answer sent before the plan set its bounds: the office sees it is outside them."""
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    await _plan(org, task("II.1", "Nội dung trọng tâm", due=date(2024, 5, 10), form="count"))
    router = build_router(org)
    an, office = Person(router, "1"), Person(router, "9")
    await an.says("/baocao II.1")
    await an.says("3")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    await org.db.execute(
        "UPDATE tasks SET quota = ? WHERE ref = 'II.1'",
        ('{"per_unit_min": 1, "per_unit_max": 2, "what": "nội dung"}',),
    )
    _, card = await office.says("/duyet")
    assert "Số nội dung: 3" in card.text and "ngoài mức kế hoạch (từ 1 đến 2" in card.text


async def test_a_nomination_summary_names_each_value_of_an_entry(org: Services) -> None:
    """Before sending, in the answer shown again, and on the office's review card: each value of
    an entry under its label, so a name typed where the position was asked shows as such."""
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "90", "Văn phòng", Role.OFFICE)
    await _plan(org, task("II.6", "Đề nghị khen thưởng", due=date(2024, 4, 20), form="nomination"))
    router = build_router(org)
    an = Person(router, "1")
    await an.says("/baocao II.6")
    await an.presses("Cá nhân")
    await an.says("Phó Chánh Văn phòng")  # typed where the name was asked
    await an.says("Nguyễn Văn Hùng")
    await an.says("Văn phòng Đảng ủy Khối")
    await an.says("Hoàn thành xuất sắc nhiệm vụ")
    await an.says("Giấy khen")
    await an.presses("➕ Thêm người, tập thể được đề nghị")
    await _nominate(an, "Tổ công đoàn")
    [summary] = await an.presses("✅ Xong, xem lại và gửi")
    first = (
        "1. Cá nhân — Họ tên: Phó Chánh Văn phòng; Chức vụ: Nguyễn Văn Hùng;"
        " Đơn vị: Văn phòng Đảng ủy Khối; Thành tích: Hoàn thành xuất sắc nhiệm vụ;"
        " Hình thức: Giấy khen"
    )
    second = "2. Tập thể — Tên: Tổ công đoàn; Thành tích: Thành tích xuất sắc; Hình thức: Giấy khen"
    assert first in summary.text and second in summary.text
    await an.presses("📤 Gửi báo cáo")
    [shown] = await an.says("/baocao II.6")
    assert first in shown.text and second in shown.text
    replies = await Person(router, "90").says("/duyet")
    assert any(first in r.text and second in r.text for r in replies)


# Files: each question keeps its own ------------------------------------------------------------

_TAP_SAN = {
    "title": "Bài viết cho Tập san",
    "fields": [
        {"name": "tieu_de", "kind": "text", "prompt": "Tên bài viết"},
        {"name": "tac_gia", "kind": "text", "prompt": "Tác giả"},
        {"name": "bai_viet", "kind": "file", "prompt": "Tệp bài viết", "max_files": 2},
        {"name": "anh", "kind": "photo", "prompt": "Ảnh minh họa", "max_files": 10},
    ],
}


def _file(n: int, kind: str = "photo") -> Attachment:
    name, mime = ("anh.jpg", "image/jpeg") if kind == "photo" else ("bai.docx", "application/docx")
    return Attachment(kind, f"file-{n}", name, mime, 1000 + n, f"files/{n}", f"{n:064x}")


async def _tap_san(org: Services) -> Person:
    await member(org, "CBVP", "1", "An")
    plan = await draft(
        org,
        task("II.8", "Gửi bài viết", due=date(2024, 3, 31), form="tap_san"),
        forms={"tap_san": _TAP_SAN},
    )
    await publish(org, plan)
    an = Person(build_router(org), "1")
    await an.says("/baocao II.8")
    await an.says("Đảng bộ Khối 65 năm")
    await an.says("Nguyễn Văn An")
    assert "Tệp bài viết" in an.last_text()
    return an


async def test_a_file_question_at_its_limit_keeps_its_files_to_itself(org: Services) -> None:
    """At "Tệp bài viết" (2 at most) a photo then a .docx: the second is acknowledged and the
    form moves on; the photo sent at "Ảnh minh họa" is that question's only file."""
    an = await _tap_san(org)
    await an._send(attachment=_file(1))
    received, asked = await an._send(attachment=_file(2, "document"))
    assert "Đã nhận 2 tệp" in received.text and "Ảnh minh họa" in asked.text
    assert "đã nhận" not in asked.text and not asked.choices  # nothing received for it yet
    received, _ = await an._send(attachment=_file(3))
    assert "Đã nhận 1 tệp" in received.text
    [summary] = await an.presses("✅ Xong")
    assert "Tệp bài viết: 2 tệp" in summary.text and "Ảnh minh họa: 1 tệp" in summary.text
    await an.presses("📤 Gửi báo cáo")
    answer = await _answer(org, "CBVP", "II.8")
    assert answer is not None
    values = answer.data["values"]
    assert len(values["bai_viet"]) == 2 and len(values["anh"]) == 1
    assert not set(values["anh"]) & set(values["bai_viet"])
    [photo] = await org.repos.answers.attachments(values["anh"])
    assert photo.sha256 == f"{3:064x}"


async def test_files_done_by_the_button_stay_with_their_question(org: Services) -> None:
    an = await _tap_san(org)
    await an._send(attachment=_file(1, "document"))
    asked = await an.presses("✅ Xong")
    assert "Ảnh minh họa" in asked[-1].text and "đã nhận" not in asked[-1].text
    received, _ = await an._send(attachment=_file(2))
    assert "Đã nhận 1 tệp" in received.text
    await an.presses("✅ Xong")
    await an.presses("📤 Gửi báo cáo")
    answer = await _answer(org, "CBVP", "II.8")
    assert answer is not None
    assert len(answer.data["values"]["bai_viet"]) == 1 and len(answer.data["values"]["anh"]) == 1


async def test_redo_while_editing_a_sent_answer_starts_the_edit_again(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.9", "Số đảng viên", due=date(2024, 5, 10), form="count"))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.9")
    await an.says("5")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    await an.says("/baocao II.9")
    await an.presses("✏️ Sửa")
    await an.says("7")
    await an.presses("Bỏ qua")
    replies = await an.presses("✏️ Làm lại")
    labels = [c.label for row in replies[-1].choices for c in row]
    assert "Giữ như cũ: 5" in labels


async def test_a_code_the_unit_has_no_task_for_is_said_so_with_the_list(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(
        org,
        task("II.2", "Trang trí khẩu hiệu", due=date(2024, 5, 10)),
        task("II.6", "Báo cáo kết quả thi đua", due=date(2024, 5, 10)),
    )
    an = Person(build_router(org), "1")
    told, listed = await an.says("/baocao II.9")
    assert told.text == "Chi bộ không có việc nào mang số II.9."
    labels = [c.label for row in listed.choices for c in row]
    assert labels == ["II.2: Trang trí khẩu hiệu", "II.6: Báo cáo kết quả thi đua"]
    await an.presses("II.2: Trang trí khẩu hiệu")
    assert "mức nào" in an.last_text()


async def test_a_task_titled_bao_cao_is_not_called_bao_cao_bao_cao(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await _plan(org, task("II.6", "Báo cáo kết quả thi đua", due=date(2024, 5, 10)))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.6")
    await an.presses("Hoàn thành")
    await an.presses("Bỏ qua")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    [shown] = await an.says("/baocao II.6")
    assert "Chi bộ đã gửi báo cáo việc II.6 «<b>Báo cáo kết quả thi đua</b>» lúc 9:00" in (
        shown.text
    )
    assert "báo cáo báo cáo" not in shown.text.lower().replace("<b>", "")
