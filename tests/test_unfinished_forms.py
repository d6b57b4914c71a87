"""A form half filled is never thrown away unasked: opening another task's form (a button of
/viec or of an old reminder, /baocao naming a task, editing a sent answer) first asks whether to
go on with the one open or drop it; the same task's button goes back to where it was."""

from __future__ import annotations

from datetime import date, datetime

from bot.clock import FrozenClock
from bot.domain import Repeat
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task

NOMINATION = task("II.6", "Đề nghị khen thưởng", due=date(2024, 4, 20), form="nomination")
BANNERS = task("II.2.b", "Trang trí khẩu hiệu", due=date(2024, 4, 25))
COUNT = task("II.9", "Số đảng viên", due=date(2024, 4, 10), form="count")
ASKED = "Đồng chí đang điền dở báo cáo II.6 (đã nhập 1 người, tập thể được đề nghị)."


async def _secretary(org: Services, *tasks: object) -> Person:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, *(tasks or (NOMINATION, BANNERS))))  # type: ignore[arg-type]
    return Person(build_router(org), "1")


async def _one_nominee(an: Person) -> None:
    await an.says("/baocao II.6")
    await an.presses("Cá nhân")
    await an.says("Nguyễn Văn Bình")
    await an.says("Phó Giám đốc")
    await an.says("Sở Tài chính")
    await an.says("Hoàn thành xuất sắc nhiệm vụ 5 năm liền")
    await an.says("Giấy khen của Đảng ủy Khối")
    assert "Đã nhập 1" in an.last_text()


async def _entries(org: Services, ref: str) -> list[dict[str, object]]:
    unit = await org.repos.units.by_code("CBVP")
    assert unit is not None
    [view] = [
        v for v in await org.repos.deadlines.for_unit(unit.id, open_only=False) if v.task_ref == ref
    ]
    answer = await org.repos.answers.for_deadline(view.deadline.id)
    assert answer is not None
    entries: list[dict[str, object]] = answer.data["entries"]
    return entries


async def test_halfway_through_nominations_she_presses_another_report_chooses_to_go_on_and_her_nominee_is_still_there(  # noqa: E501
    org: Services,
) -> None:
    an = await _secretary(org)
    await an.says("/viec")  # the list comes while she is filling II.6
    await _one_nominee(an)
    [asked] = await an.presses("📝 Báo cáo II.2.b")
    assert ASKED in asked.text and "bỏ để làm II.2.b?" in asked.text
    assert [[c.label for c in row] for row in asked.choices] == [
        ["↩️ Làm tiếp II.6"],
        ["🗑 Bỏ, làm II.2.b"],
    ]
    [again] = await an.presses("↩️ Làm tiếp II.6")
    assert "Đã nhập 1 người" in again.text
    await an.presses("✅ Xong, xem lại và gửi")
    await an.presses("📤 Gửi báo cáo")
    [nominee] = await _entries(org, "II.6")
    assert nominee["name"] == "Nguyễn Văn Bình"


async def test_she_chooses_to_drop_it_and_the_other_report_starts(org: Services) -> None:
    an = await _secretary(org)
    await an.says("/viec")
    await _one_nominee(an)
    await an.presses("📝 Báo cáo II.2.b")
    [start, question] = await an.presses("🗑 Bỏ, làm II.2.b")
    assert "(II.2.b)" in start.text and "mức nào" in question.text
    await an.says("/huy")
    await an.says("/baocao II.6")
    assert "thứ 1" in an.last_text()  # dropped, as she chose


async def test_the_same_reports_button_goes_back_to_where_she_was(org: Services) -> None:
    an = await _secretary(org)
    await an.says("/viec")
    await _one_nominee(an)
    [told, where] = await an.presses("📝 Báo cáo II.6")
    assert "II.6 đang điền dở" in told.text and "Đã nhập 1 người" in where.text
    [told, where] = await an.says("/baocao II.6")
    assert "II.6 đang điền dở" in told.text and "Đã nhập 1 người" in where.text


async def test_typing_baocao_with_another_task_asks_too(org: Services) -> None:
    an = await _secretary(org)
    await _one_nominee(an)
    [asked] = await an.says("/baocao II.2.b")
    assert ASKED in asked.text
    [again] = await an.says("/tieptuc")
    assert "Đã nhập 1 người" in again.text


async def test_a_form_only_opened_gives_way_without_asking(org: Services) -> None:
    an = await _secretary(org)
    await an.says("/viec")
    await an.says("/baocao II.6")
    [start, question] = await an.presses("📝 Báo cáo II.2.b")
    assert "(II.2.b)" in start.text and "mức nào" in question.text


async def test_one_answer_given_counts_as_something_to_keep(org: Services) -> None:
    an = await _secretary(org)
    await an.says("/viec")
    await an.says("/baocao II.2.b")
    await an.presses("Đang thực hiện")
    [asked] = await an.presses("📝 Báo cáo II.6")
    assert "điền dở báo cáo II.2.b (đã trả lời 1 câu)" in asked.text
    await an.presses("↩️ Làm tiếp II.2.b")
    assert "Ghi chú" in an.last_text()


async def test_editing_a_sent_answer_asks_before_dropping_a_half_filled_form(
    org: Services,
) -> None:
    an = await _secretary(org, NOMINATION, COUNT)
    await an.says("/baocao II.9")
    await an.says("12")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    await _one_nominee(an)
    [asked] = await an.presses("✏️ Sửa")
    assert ASKED in asked.text and "bỏ để làm II.9?" in asked.text
    await an.presses("🗑 Bỏ, làm II.9")
    assert "Giữ như cũ: 12" in str(an.inbox[-1].choices)


async def test_a_repeating_tasks_months_are_told_apart(org: Services, clock: FrozenClock) -> None:
    monthly = task(
        "II.2.a",
        "Viết bài tuyên truyền",
        start=date(2024, 3, 1),
        due=date(2024, 5, 31),
        repeat=Repeat.MONTHLY,
    )
    clock.set(datetime(2024, 4, 10, 9, 0, tzinfo=VN))
    an = await _secretary(org, monthly)
    await an.says("/viec")
    await an.presses("📝 Báo cáo II.2.a · tháng 4/2024")
    await an.presses("Hoàn thành")
    [asked] = await an.presses("📝 Báo cáo II.2.a · tháng 3/2024")
    assert "điền dở báo cáo II.2.a, tháng 4/2024" in asked.text
    assert "bỏ để làm II.2.a, tháng 3/2024?" in asked.text
    [start, _] = await an.presses("🗑 Bỏ, làm II.2.a · tháng 3/2024")
    assert "(II.2.a, tháng 3/2024)" in start.text


async def test_an_old_drop_button_drops_only_the_form_it_was_about(org: Services) -> None:
    an = await _secretary(org, NOMINATION, BANNERS, COUNT)
    await an.says("/viec")
    await _one_nominee(an)
    await an.presses("📝 Báo cáo II.2.b")
    await an.presses("↩️ Làm tiếp II.6")
    await an.presses("✅ Xong, xem lại và gửi")
    await an.presses("📤 Gửi báo cáo")
    await an.says("/baocao II.9")
    await an.says("12")  # a form with an answer, not the one the old button named
    [asked] = await an.presses("🗑 Bỏ, làm II.2.b")
    assert "điền dở báo cáo II.9" in asked.text
