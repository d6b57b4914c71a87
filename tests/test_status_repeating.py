"""A repeating task is judged on its current period, and its earlier periods still overdue are told
beside it, in every view the leaders and the office read: /tinhhinh, /tinhhinh <ref>, the Monday
digest, the Excel summary and the Word report say what /chuabaocao and the escalation say.

The plan: a monthly article (II.2.a) from January to 10 May 2024 for the eleven grassroots units;
nobody has written one by Monday 8 April 2024."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
from docx import Document

from bot.clock import FrozenClock
from bot.domain import DeadlineState, Plan, Repeat, Role, UnitKind
from bot.exports import ExportKind, Letterhead, export
from bot.publishing import publish
from bot.reminders import Reminders
from bot.services import Services
from bot.status import fold_periods, late_units
from handlers.routes import build_router
from messages import Texts
from storage.units import NewUnit
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task

MONDAY = datetime(2024, 4, 8, 9, 0, tzinfo=VN)
ARTICLES = task(
    "II.2.a",
    "Bài viết phản ánh hoạt động của đảng bộ, chi bộ",
    start=date(2024, 1, 1),
    due=date(2024, 5, 10),
    when="từ tháng 01/2024 trở đi, mỗi tháng ít nhất một bài",
    repeat=Repeat.MONTHLY,
)
CONTEST = task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20))
# eight more chi bộ under the Đảng ủy Khối: with CBVP, CBBAO and DBPT, eleven grassroots units
MORE_CELLS = tuple(NewUnit(f"CB{n}", f"Chi bộ số {n}", UnitKind.CELL, "DUK") for n in range(1, 9))
EARLIER = (
    "⚠️ Các kỳ trước còn quá hạn: tháng 1/2024 (11 đơn vị), tháng 2/2024 (11), tháng 3/2024 (11)"
)


async def eleven_units_owe_three_months(org: Services, clock: FrozenClock) -> Plan:
    async with org.db.transaction():
        await org.repos.units.upsert_many(MORE_CELLS, clock.now())
    await member(org, "CBVP", "1", "An")
    await member(org, "DUK", "8", "Thường trực", Role.LEADER)
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    clock.set(datetime(2024, 1, 5, 9, 0, tzinfo=VN))
    plan = await draft(org, ARTICLES, CONTEST)
    await publish(org, plan)
    clock.set(MONDAY)
    published = await org.repos.plans.get(plan.id)
    assert published is not None
    return published


async def test_on_8_4_2024_tinhhinh_and_the_monday_digest_say_january_to_march_are_overdue(
    org: Services, clock: FrozenClock
) -> None:
    await eleven_units_owe_three_months(org, clock)
    leader = Person(build_router(org), "8")
    [overview, _chart] = await leader.says("/tinhhinh")
    # this month as it stands, named as people write it
    assert "<b>II.2.a</b> Bài viết phản ánh hoạt động của đảng bộ, chi bộ (tháng 4/2024)" in (
        overview.text
    )
    assert "2024-04" not in overview.text
    assert "✅ 0 · 🔄 0 · ⏳ 11 · ⚠️ 0 / 11 đơn vị\n   " + EARLIER in overview.text
    # a task that does not repeat has no earlier periods
    assert overview.text.count("Các kỳ trước") == 1
    # what /chuabaocao counts late on II.2.a is what /tinhhinh tells: 3 months x 11 units
    late = [e for e in await late_units(org, MONDAY.date()) if e.line.ref == "II.2.a"]
    assert len(late) == 33
    [late_list] = await leader.says("/chuabaocao")
    assert "chi bộ\n   tháng 1–3/2024 (11 đơn vị)" in late_list.text
    assert late_list.text.count("II.2.a (tháng 1–3/2024)") == 11  # each unit once
    # the Monday digest (7:30) says the same
    [weekly] = await Reminders(org).weekly_at(datetime(2024, 4, 8, 7, 30, tzinfo=VN))
    assert "• II.2.a Bài viết phản ánh hoạt động của đảng bộ, chi bộ (tháng 4/2024): " in (
        weekly.reply.text
    )
    assert "✅ 0 · 🔄 0 · ⏳ 11 · ⚠️ 0\n   " + EARLIER in weekly.reply.text


async def test_on_8_4_2024_chuabaocao_fits_one_message_and_reminding_names_who_cannot_be_told(
    org: Services, clock: FrozenClock
) -> None:
    await eleven_units_owe_three_months(org, clock)
    # eight more secretaries: Chi bộ Báo Lào Cai, the Đài's đảng bộ and Chi bộ số 8 have nobody
    for n in range(1, 8):
        await member(org, f"CB{n}", str(100 + n), f"Bí thư số {n}")
    office = Person(build_router(org), "9")
    [late] = await office.says("/chuabaocao")
    text = late.text
    assert len(text) < 4096  # one message on Telegram
    assert text.startswith("⚠️ <b>Đơn vị quá hạn báo cáo</b>: 11 đơn vị\n")
    # the task once, with the months it is late on named as people write them
    assert text.count("Bài viết phản ánh") == 1
    assert "tháng 1–3/2024 (11 đơn vị)" in text
    assert "quá hạn 68 ngày" not in text and "2024-01" not in text
    # each unit once, with the months it owes and who can be told
    assert text.count("Chi bộ số 1<") == 1
    assert "• <b>Chi bộ số 1</b>: II.2.a (tháng 1–3/2024)\n   Bí thư số 1\n" in text
    assert "• <b>Chi bộ số 8</b>: II.2.a (tháng 1–3/2024)\n   ☎️ chưa có ai đăng ký nhận tin" in (
        text
    )
    assert "II.6" not in text.split("Gõ")[0]  # due 20/4: not late
    [reminded] = await office.presses("🔔 Nhắc các đơn vị này ngay")
    assert reminded.text.startswith("🔔 Đã nhắc 8 đơn vị.")
    assert "☎️ <b>3 đơn vị bot không nhắn được</b>, xin gọi điện:" in reminded.text
    for name in ("Chi bộ Báo Lào Cai", "Đảng bộ Đài Phát thanh - Truyền hình", "Chi bộ số 8"):
        assert f"• {name}: chưa có ai đăng ký nhận tin" in reminded.text
    rows = await org.repos.outbox.due(clock.now(), 100)
    [nudge, *_] = [r.reply.text for r in rows if r.kind == "nudge"]
    assert "• Bài viết phản ánh hoạt động của đảng bộ, chi bộ (II.2.a): tháng 1–3/2024" in nudge


async def test_the_escalation_names_the_month_it_is_for(org: Services, clock: FrozenClock) -> None:
    await eleven_units_owe_three_months(org, clock)
    # March's articles were due on 31/3: reminded three times, then on 8/4 the office is told
    digests = await Reminders(org).due_at(datetime(2024, 4, 8, 8, 30, tzinfo=VN))
    [office, *_] = [d for d in digests if d.kind == "late"]
    text = office.reply.text
    assert text.startswith("⚠️ <b>Đơn vị quá hạn</b> (đã được nhắc nhiều lần): 11 đơn vị")
    assert (
        "<b>II.2.a</b> Bài viết phản ánh hoạt động của đảng bộ, chi bộ\n   tháng 3/2024 (11 đơn vị)"
        in (text)
    )
    assert "• <b>Chi bộ Văn phòng</b>: II.2.a (tháng 3/2024)\n   An\n" in text
    assert "ngày" not in text.split("Từng đơn vị")[0]  # the month, not "quá hạn 8 ngày"


async def test_one_task_lists_each_unit_with_the_months_it_still_owes(
    org: Services, clock: FrozenClock
) -> None:
    await eleven_units_owe_three_months(org, clock)
    cbvp = await org.repos.units.by_code("CBVP")
    assert cbvp is not None
    [january] = [
        v
        for v in await org.repos.deadlines.for_unit(cbvp.id)
        if v.task_ref == "II.2.a" and v.deadline.period == "2024-01"
    ]
    async with org.db.transaction():  # Chi bộ Văn phòng sent January's article
        await org.repos.deadlines.set_state(january.deadline.id, DeadlineState.DONE, MONDAY)
    office = Person(build_router(org), "9")
    [answer] = await office.says("/tinhhinh II.2.a")
    text = answer.text
    assert "(II.2.a, tháng 4/2024) · Kế hoạch số 185-KH/ĐUK" in text
    assert "⏳ Chưa báo cáo (11)" in text  # April: nobody yet, nobody late
    earlier = text.index("<b>⚠️ Các kỳ trước còn quá hạn (11 đơn vị)</b>")
    assert text.index("• Chi bộ Văn phòng: tháng 2/2024, tháng 3/2024") > earlier
    assert text.index("• Chi bộ số 1: tháng 1/2024, tháng 2/2024, tháng 3/2024") > earlier
    [overview, _chart] = await office.says("/tinhhinh")
    assert "tháng 1/2024 (10 đơn vị), tháng 2/2024 (11), tháng 3/2024 (11)" in overview.text


async def test_the_excel_summary_and_the_word_report_count_the_earlier_months(
    org: Services, clock: FrozenClock, tmp_path: Path
) -> None:
    plan = await eleven_units_owe_three_months(org, clock)
    xlsx, docx = tmp_path / "x.xlsx", tmp_path / "r.docx"
    letterhead = Letterhead(parent="Đảng bộ tỉnh Lào Cai", place="Lào Cai")
    await export(org, plan, xlsx, ExportKind.XLSX, letterhead=letterhead)
    await export(org, plan, docx, ExportKind.REPORT, letterhead=letterhead)

    sheet = openpyxl.load_workbook(xlsx)["Tổng hợp"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    top = next(i for i, r in enumerate(rows) if r[0] == "STT")
    summary = {r[1]: dict(zip(rows[top], r, strict=True)) for r in rows[top + 1 :] if r[0]}
    articles = summary["II.2.a"]
    assert articles["Thời hạn"] == "tháng 4/2024, hạn 30/4/2024"
    assert (articles["Chưa báo cáo"], articles["Quá hạn"]) == (11, 0)
    assert articles["Quá hạn các kỳ trước (lượt)"] == 33
    assert articles["Các kỳ trước còn quá hạn"] == (
        "tháng 1/2024 (11 đơn vị), tháng 2/2024 (11), tháng 3/2024 (11)"
    )
    assert summary["II.6"]["Quá hạn các kỳ trước (lượt)"] == 0
    assert summary["II.6"]["Các kỳ trước còn quá hạn"] is None  # an empty cell

    doc = Document(str(docx))
    texts = [p.text for p in doc.paragraphs]
    assert (
        "Hoàn thành: 0/11 đơn vị (0%); đang thực hiện: 0; chưa báo cáo: 11; quá hạn: 0;"
        " quá hạn các kỳ trước: 33 lượt." in texts
    )
    assert (
        "Các kỳ trước còn quá hạn: tháng 1/2024 (11 đơn vị), tháng 2/2024 (11),"
        " tháng 3/2024 (11)." in texts
    )
    assert any(
        "0 lượt quá hạn chưa hoàn thành; ngoài ra còn 33 lượt quá hạn các kỳ trước" in t
        for t in texts
    )
    table = doc.tables[1]
    [row] = [r for r in table.rows if "(II.2.a)" in r.cells[1].text]
    assert [c.text for c in row.cells][5:] == ["11", "0 (+33 kỳ trước)", "11"]
    assert table.rows[-1].cells[6].text == "0 (+33 kỳ trước)"


def test_periods_are_folded_as_people_write_them() -> None:
    texts = Texts("vi")

    def folded(*keys: str) -> str:
        return texts("status.periods_folded", runs=fold_periods(keys))

    assert folded("2024-03", "2024-01", "2024-02") == "tháng 1–3/2024"
    assert folded("2024-01", "2024-02") == "tháng 1, 2/2024"
    assert folded("2024-04") == "tháng 4/2024"  # one alone, as /tinhhinh names it
    assert folded("2023-11", "2023-12", "2024-01", "2024-03") == (
        "tháng 11, 12/2023, tháng 1, 3/2024"
    )
    assert folded("2024-Q1", "2024-Q2", "2024-Q3") == "quý I–III/2024"
    assert folded("2024-W05", "2024-W06") == "tuần 5, 6/2024"
    assert folded("2022", "2023", "2024") == "năm 2022–2024"
