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
from bot.status import late_units
from handlers.routes import build_router
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
    [late_list, *_] = await leader.says("/chuabaocao")
    assert late_list.text.count("(II.2.a)") == 33
    # the Monday digest (7:30) says the same
    [weekly] = await Reminders(org).weekly_at(datetime(2024, 4, 8, 7, 30, tzinfo=VN))
    assert "• II.2.a Bài viết phản ánh hoạt động của đảng bộ, chi bộ (tháng 4/2024): " in (
        weekly.reply.text
    )
    assert "✅ 0 · 🔄 0 · ⏳ 11 · ⚠️ 0\n   " + EARLIER in weekly.reply.text


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
