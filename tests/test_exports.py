"""Exports: units answer a plan in chat (a progress report with a file, nominations, counts, one
returned and sent again, one late); the office exports Excel, CSV and Word; the files are
opened again with openpyxl, csv and python-docx and checked against what was sent."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import typer
from docx import Document
from typer.testing import CliRunner

from bot import broadcasting, cli_export
from bot.broadcasting import Audience
from bot.chat import Attachment, ChannelName, Inbound
from bot.clock import FrozenClock
from bot.domain import Plan, Role, UnitKind
from bot.exports import ExportKind, Letterhead, export, jobs
from bot.exports.csv import cell_text
from bot.exports.docx import cited_date, template_path
from bot.exports.views import Column, Table
from bot.exports.xlsx import XlsxBook
from bot.publishing import publish
from bot.services import Repos, Services
from bot.settings import load_settings
from handlers import exports
from handlers.router import Router
from handlers.routes import build_router
from messages import Texts
from storage.db import Database
from storage.units import NewUnit
from tests.chatkit import Person
from tests.conftest import SAMPLE_UNITS, START, VN
from tests.e2e.conftest import Bot, emulator, tg  # noqa: F401 (fixtures)
from tests.e2e.harness import buttons
from tests.e2e.test_plans import registered, settle
from tests.planning import draft, member, task

LATER = datetime(2024, 3, 7, 10, 30, tzinfo=VN)  # after II.9's deadline (5/3)
LETTERHEAD = Letterhead(parent="Đảng bộ tỉnh Lào Cai", place="Lào Cai")
NOMINATION_HEADERS = [
    "STT",
    "Họ và tên / Tên tập thể",
    "Chức vụ",
    "Đơn vị",
    "Tóm tắt thành tích",
    "Hình thức đề nghị",
]


def routed(router: Router) -> Router:
    """The router with /xuatbaocao: the lines handlers/routes.py gets for it."""
    router.command("xuatbaocao", exports.command, roles=exports.STAFF)
    router.choice(exports.PREFIX, exports.button)
    return router


def _router(services: Services) -> Router:
    return routed(build_router(services))


def plan_tasks() -> list[Any]:
    return [
        task("II.2", "Trang trí khẩu hiệu, treo cờ", due=date(2024, 3, 20)),
        task("II.6", "Đề nghị khen thưởng", due=date(2024, 3, 20), form="nomination"),
        task("II.9", "Số đảng viên mới kết nạp", due=date(2024, 3, 5), form="count"),
    ]


async def _progress(person: Person, state: str, note: str, file: str | None = None) -> None:
    await person.says("/baocao II.2")
    await person.presses(state)
    await person.says(note)
    if file is None:
        await person.presses("Bỏ qua")
    else:
        await person._send(
            attachment=Attachment(
                "document",
                "tg-file-1",
                file_name=file,
                mime_type="image/jpeg",
                size=1234,
                path=f"files/ab/{file}",
                sha256="ab" * 32,
            )
        )
        await person.presses("✅ Xong")
    await person.presses("📤 Gửi báo cáo")


async def _nominee(person: Person, kind: str, *values: str) -> None:
    await person.presses(kind)
    for value in values:
        await person.says(value)


async def _count(person: Person, value: str) -> None:
    await person.says("/baocao II.9")
    await person.says(value)
    await person.presses("Bỏ qua")
    await person.presses("📤 Gửi báo cáo")


@dataclass
class World:
    services: Services
    plan: Plan
    office: Person
    an: Person
    binh: Person
    cuong: Person


async def answered(org: Services, clock: FrozenClock) -> World:
    """The sample organisation answers a plan: see the module's docstring. DBPT has nobody; a
    fourth grassroots unit, Chi bộ Sở Tài chính, answers late (Chi bộ Thời sự reports to DBPT,
    not to the office)."""
    async with org.db.transaction():
        await org.repos.units.upsert_many(
            [NewUnit("CBSTC", "Chi bộ Sở Tài chính", UnitKind.CELL, "DUK")], clock.now()
        )
    await member(org, "VP", "9", "Lò Văn Phòng", Role.OFFICE)
    await member(org, "CBVP", "1", "Nguyễn Văn An")
    await member(org, "CBBAO", "2", "Trần Thị Bình")
    await member(org, "CBSTC", "3", "Phạm Văn Cường")
    plan = await draft(org, *plan_tasks())
    await publish(org, plan)
    router = _router(org)
    office, an, binh, cuong = (Person(router, uid) for uid in ("9", "1", "2", "3"))
    # II.9: An sends 12, the office returns it, An sends 14
    await _count(an, "12")
    [_, card] = await office.says("/duyet")
    assert "II.9" in card.text
    await office.presses("↩️ Trả lại")
    await office.says("Thiếu 2 đảng viên kết nạp tháng 2")
    an.inbox.append(next(i.reply for i in await _queued(org, "review")))
    await an.presses("✏️ Sửa báo cáo")
    await an.says("14")
    await an.presses("Bỏ qua")
    await an.presses("📤 Gửi báo cáo")
    await _progress(an, "Hoàn thành", "Đã treo cờ ở ba tòa nhà", file="bien-ban-treo-co.jpg")
    await _progress(binh, "Đang thực hiện", "Đang in khẩu hiệu")
    await an.says("/baocao II.6")
    await _nominee(
        an,
        "Cá nhân",
        "Nguyễn Văn Bình",
        "Phó Giám đốc",
        "Sở Tài chính",
        "Hoàn thành xuất sắc nhiệm vụ 5 năm liền",
        "Giấy khen của Đảng ủy Khối",
    )
    await an.presses("➕ Thêm người, tập thể được đề nghị")
    await _nominee(
        an,
        "Tập thể",
        "Chi bộ Văn phòng",
        "Trong sạch, vững mạnh tiêu biểu 5 năm",
        "Bằng khen của Tỉnh ủy",
    )
    await an.presses("✅ Xong, xem lại và gửi")
    await an.presses("📤 Gửi báo cáo")
    await binh.says("/baocao II.6")
    await _nominee(
        binh, "Cá nhân", "Lê Thị Cúc", "Phóng viên", "Báo Lào Cai", "Giải B Báo chí", "Giấy khen"
    )
    await binh.presses("✅ Xong, xem lại và gửi")
    await binh.presses("📤 Gửi báo cáo")
    clock.set(LATER)
    await _count(cuong, "5")  # late
    return World(org, plan, office, an, binh, cuong)


async def _queued(org: Services, kind: str) -> list[Any]:
    rows = await org.repos.outbox.due(org.clock.now(), 100)
    return [r for r in rows if r.kind == kind]


@pytest.fixture
async def world(org: Services, clock: FrozenClock) -> World:
    return await answered(org, clock)


@pytest.fixture(autouse=True)
def no_letterhead_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("DONDOC_"):
            monkeypatch.delenv(name)


async def _export(w: World, tmp_path: Path, kind: ExportKind, name: str, **kw: Any) -> Path:
    path = tmp_path / name
    await export(w.services, w.plan, path, kind, letterhead=LETTERHEAD, **kw)
    return path


def _header_row(ws: Any) -> int:
    for row in ws.iter_rows(min_row=1, max_row=10):
        if row[0].value == "STT":
            return int(row[0].row)
    raise AssertionError(f"no header in {ws.title}")


def _records(ws: Any) -> list[dict[str, Any]]:
    """The sheet's rows under its header, as {header: cell}."""
    top = _header_row(ws)
    headers = [c.value for c in ws[top]]
    return [
        dict(zip(headers, row, strict=False))
        for row in ws.iter_rows(min_row=top + 1)
        if row[0].value
    ]


def _column(headers: list[str], ref: str) -> str:
    [found] = [h for h in headers if h and h.startswith(ref + "\n")]
    return found


# Excel ---------------------------------------------------------------------------------------


async def test_excel_matrix_shows_each_units_state_with_its_date_and_colour(
    world: World, tmp_path: Path
) -> None:
    wb = openpyxl.load_workbook(await _export(world, tmp_path, ExportKind.XLSX, "x.xlsx"))
    assert wb.sheetnames == ["Tổng hợp", "Tiến độ", "Báo cáo", "Khen thưởng", "Đơn vị"]
    ws = wb["Tiến độ"]
    assert ws.freeze_panes == "D5"
    rows = {r["Đơn vị"].value: r for r in _records(ws)}
    headers = list(next(iter(rows.values())).keys())
    ii2, ii9 = _column(headers, "II.2"), _column(headers, "II.9")
    done = rows["Chi bộ Văn phòng"][ii2]
    assert done.value == "Hoàn thành\n1/3/2024"
    assert done.fill.fgColor.rgb.endswith("C6EFCE")  # green
    doing = rows["Chi bộ Báo Lào Cai"][ii2]
    assert doing.value == "Đang thực hiện\n1/3/2024" and doing.fill.fgColor.rgb.endswith("FFEB9C")
    late = rows["Đảng bộ Đài Phát thanh - Truyền hình"][ii9]
    assert late.value == "Quá hạn\nhạn 5/3/2024" and late.fill.fgColor.rgb.endswith("FFC7CE")
    pending = rows["Đảng bộ Đài Phát thanh - Truyền hình"][ii2]
    assert pending.value == "Chưa báo cáo\nhạn 20/3/2024"
    assert pending.fill.fgColor.rgb.endswith("EDEDED")
    assert rows["Chi bộ Sở Tài chính"][ii9].value == "Hoàn thành (nộp muộn)\n7/3/2024"
    assert rows["Chi bộ Văn phòng"]["Số việc hoàn thành"].value == 3
    assert rows["Chi bộ Văn phòng"]["Số việc phải làm"].value == 3


async def test_excel_answers_sheet_has_every_version_with_files_and_the_offices_note(
    world: World, tmp_path: Path
) -> None:
    wb = openpyxl.load_workbook(await _export(world, tmp_path, ExportKind.XLSX, "x.xlsx"))
    records = _records(wb["Báo cáo"])
    rows = [{k: c.value for k, c in r.items()} for r in records]
    # real date cells, shown as chat writes them: "9:00 1/3/2024", no leading zeros
    assert {r["Thời gian"].number_format for r in records} == {"h:mm d/m/yyyy"}
    assert all(r["Thời gian"].is_date for r in records)
    count_an = [r for r in rows if r["Mã việc"] == "II.9" and r["Đơn vị"] == "Chi bộ Văn phòng"]
    assert [r["Hoạt động"] for r in count_an] == [
        "Gửi",
        "Văn phòng trả lại",
        "Gửi lại sau khi sửa",
    ]
    assert [r["Lần gửi"] for r in count_an] == [1, 1, 2]
    assert [r["Nội dung báo cáo"] for r in count_an] == ["12", None, "14"]
    assert count_an[1]["Ý kiến của Văn phòng"] == "Thiếu 2 đảng viên kết nạp tháng 2"
    assert count_an[1]["Người thực hiện"] == "Lò Văn Phòng"
    assert count_an[2]["Tình trạng hiện nay"] == "Chờ duyệt"
    assert count_an[0]["Thời gian"] == datetime(2024, 3, 1, 9, 0)
    [progress] = [r for r in rows if r["Mã việc"] == "II.2" and r["Đơn vị"] == "Chi bộ Văn phòng"]
    assert progress["Nội dung báo cáo"] == "Hoàn thành\nĐã treo cờ ở ba tòa nhà"
    assert progress["Tệp đính kèm"] == "bien-ban-treo-co.jpg"
    [late] = [r for r in rows if r["Mã việc"] == "II.9" and r["Đơn vị"] == "Chi bộ Sở Tài chính"]
    assert late["Nộp muộn"] == "Có" and late["Thời gian"] == datetime(2024, 3, 7, 10, 30)
    [nomination] = [r for r in rows if r["Mã việc"] == "II.6" and r["Đơn vị"] == "Chi bộ Văn phòng"]
    assert (
        nomination["Nội dung báo cáo"]
        .splitlines()[0]
        .startswith("1. Cá nhân; Nguyễn Văn Bình; Phó Giám đốc; Sở Tài chính")
    )


async def test_excel_nominations_are_in_the_usual_columns(world: World, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(await _export(world, tmp_path, ExportKind.XLSX, "x.xlsx"))
    ws = wb["Khen thưởng"]
    top = _header_row(ws)
    assert [c.value for c in ws[top]][:6] == NOMINATION_HEADERS
    rows = [[c.value for c in row][:8] for row in ws.iter_rows(min_row=top + 1)]
    assert rows == [
        [
            1,
            "Nguyễn Văn Bình",
            "Phó Giám đốc",
            "Sở Tài chính",
            "Hoàn thành xuất sắc nhiệm vụ 5 năm liền",
            "Giấy khen của Đảng ủy Khối",
            "Cá nhân",
            "Chi bộ Văn phòng",
        ],
        [
            2,
            "Chi bộ Văn phòng",
            None,
            "Chi bộ Văn phòng",
            "Trong sạch, vững mạnh tiêu biểu 5 năm",
            "Bằng khen của Tỉnh ủy",
            "Tập thể",
            "Chi bộ Văn phòng",
        ],
        [
            3,
            "Lê Thị Cúc",
            "Phóng viên",
            "Báo Lào Cai",
            "Giải B Báo chí",
            "Giấy khen",
            "Cá nhân",
            "Chi bộ Báo Lào Cai",
        ],
    ]


async def test_excel_summary_and_units(world: World, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(await _export(world, tmp_path, ExportKind.XLSX, "x.xlsx"))
    assert wb["Tổng hợp"]["A1"].value == "TỔNG HỢP KẾT QUẢ THỰC HIỆN KẾ HOẠCH SỐ 185-KH/ĐUK"
    summary = {r["Mã"].value: {k: c.value for k, c in r.items()} for r in _records(wb["Tổng hợp"])}
    ii2 = summary["II.2"]
    assert (ii2["Hoàn thành"], ii2["Đang thực hiện"], ii2["Chưa báo cáo"], ii2["Quá hạn"]) == (
        1,
        1,
        2,
        0,
    )
    assert ii2["Số đơn vị phải thực hiện"] == 4 and ii2["Tỷ lệ hoàn thành"] == 0.25
    assert summary["II.6"]["Số liệu"] == "Đề nghị 3 (1 tập thể, 2 cá nhân)"
    ii9 = summary["II.9"]
    assert (ii9["Hoàn thành"], ii9["Quá hạn"], ii9["Trong đó nộp muộn"]) == (2, 2, 1)
    assert ii9["Số liệu"] == "Tổng số: 19"
    units = {r["Mã"].value: {k: c.value for k, c in r.items()} for r in _records(wb["Đơn vị"])}
    assert units["CBVP"]["Bí thư"] == "Nguyễn Văn An"
    assert units["CBVP"]["Nhận tin qua bot"] == "Có"
    assert units["DBPT"]["Nhận tin qua bot"] == "Chưa có ai đăng ký"
    assert units["CBSTC"]["Trực thuộc"] == "Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh"
    assert "CBTS" not in units  # it reports to DBPT: the office's plan is not its own


def test_excel_dates_are_real_dates_written_as_chat_writes_them(tmp_path: Path) -> None:
    book = XlsxBook()
    book.begin(
        Table(
            "t",
            "Ngày",
            "Tiêu đề",
            "",
            (Column("Lúc", kind="datetime"), Column("Ngày", kind="date")),
        )
    )
    book.rows([[datetime(2024, 4, 1, 8, 33), date(2024, 4, 1)]])
    book.end()
    book.save(tmp_path / "d.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "d.xlsx")["Ngày"]
    at, day = ws["A5"], ws["B5"]
    assert (at.value, at.number_format, at.is_date) == (
        datetime(2024, 4, 1, 8, 33),
        "h:mm d/m/yyyy",  # 8:33 1/4/2024, the order and the zeros of chat
        True,
    )
    assert (day.value, day.number_format, day.is_date) == (datetime(2024, 4, 1), "d/m/yyyy", True)


def test_csv_and_word_dates() -> None:
    assert cell_text(datetime(2024, 4, 1, 8, 33)) == "8:33 1/4/2024"  # as chat: vn_datetime
    assert cell_text(date(2024, 4, 1)) == "1/4/2024"
    # a cited document's date keeps the zeros of Hướng dẫn 36-HD/VPTW (day < 10, month < 3)
    assert cited_date(date(2024, 1, 5)) == "05/01/2024"
    assert cited_date(date(2018, 4, 3)) == "03/4/2018"
    assert cited_date(date(2024, 11, 20)) == "20/11/2024"


# CSV -----------------------------------------------------------------------------------------


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_csv_zip_has_one_file_per_view_with_the_same_rows(
    world: World, tmp_path: Path
) -> None:
    path = await _export(world, tmp_path, ExportKind.CSV, "x.zip")
    with zipfile.ZipFile(path) as z:
        assert z.namelist() == [
            "1-tong-hop.csv",
            "2-tien-do.csv",
            "3-bao-cao.csv",
            "4-khen-thuong.csv",
            "5-don-vi.csv",
        ]
        matrix = _csv(z.read("2-tien-do.csv"))
        nominations = _csv(z.read("4-khen-thuong.csv"))
    assert matrix[0][:4] == ["STT", "Mã đơn vị", "Đơn vị", "II.2 Trang trí khẩu hiệu, treo cờ"]
    assert matrix[1][:4] == ["1", "CBVP", "Chi bộ Văn phòng", "Hoàn thành\n1/3/2024"]
    assert nominations[0][:6] == NOMINATION_HEADERS
    assert [r[1] for r in nominations[1:]] == ["Nguyễn Văn Bình", "Chi bộ Văn phòng", "Lê Thị Cúc"]


async def test_csv_of_one_view(world: World, tmp_path: Path) -> None:
    path = await _export(world, tmp_path, ExportKind.CSV, "x.csv", view="answers")
    rows = _csv(path.read_bytes())
    assert rows[0][:3] == ["STT", "Mã việc", "Nội dung việc"]
    late = [r for r in rows if r[4] == "Chi bộ Sở Tài chính"]
    assert late and late[0][7] == "10:30 7/3/2024" and late[0][9] == "Có"  # as chat writes it
    first = next(r for r in rows if r[4] == "Chi bộ Văn phòng" and r[1] == "II.9")
    assert first[7] == "9:00 1/3/2024"


# Word ----------------------------------------------------------------------------------------


def _texts(path: Path) -> list[str]:
    """Every paragraph of a Word file, in the body and in table cells (the header blocks)."""
    doc = Document(str(path))
    found = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                found.extend(p.text for p in cell.paragraphs)
    return found


async def test_word_report_is_a_party_document_with_counts_per_task(
    world: World, tmp_path: Path
) -> None:
    path = await _export(world, tmp_path, ExportKind.REPORT, "r.docx")
    texts = _texts(path)
    whole = "\n".join(texts)
    assert "{{" not in whole and "{%" not in whole
    for line in (
        "ĐẢNG BỘ TỈNH LÀO CAI",
        "ĐẢNG ỦY KHỐI",  # the plan's issuer, in capitals
        "*",
        "Số       -BC/ĐUK",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Lào Cai, ngày 07 tháng 3 năm 2024",
        "BÁO CÁO",
        "Nơi nhận:",
        "T/M BAN THƯỜNG VỤ",
    ):
        assert line in texts, line
    assert (
        "kết quả thực hiện Kế hoạch số 185-KH/ĐUK, ngày 05/01/2024 của Đảng ủy Khối về tổ chức"
        " các hoạt động chào mừng kỷ niệm 65 năm" in texts
    )
    assert "Hoàn thành: 1/4 đơn vị (25%); đang thực hiện: 1; chưa báo cáo: 2; quá hạn: 0." in texts
    assert any(t.startswith("Hoàn thành: 2/4 đơn vị (50%)") and "Tổng số: 19." in t for t in texts)
    assert "Đơn vị quá hạn: Chi bộ Báo Lào Cai, Đảng bộ Đài Phát thanh - Truyền hình." in texts
    doc = Document(str(path))
    summary = doc.tables[1]
    assert [c.text for c in summary.rows[1].cells] == [
        "1",
        "Trang trí khẩu hiệu, treo cờ (II.2)",
        "hạn 20/3/2024",
        "1",
        "1",
        "2",
        "0",
        "4",
    ]
    assert [c.text for c in summary.rows[-1].cells][3:] == ["5", "1", "4", "2", "12"]
    section = doc.sections[0]
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(m.cm, 2) if m is not None else None for m in margins] == [2, 2, 3, 1.5]
    assert section.page_width is not None and round(section.page_width.cm, 1) == 21.0
    assert doc.styles["Normal"].font.name == "Times New Roman"


async def test_word_nomination_list_has_a_table_of_the_nominees(
    world: World, tmp_path: Path
) -> None:
    path = await _export(world, tmp_path, ExportKind.NOMINATIONS, "ds.docx")
    doc = Document(str(path))
    texts = _texts(path)
    assert "DANH SÁCH" in texts and "ĐẢNG CỘNG SẢN VIỆT NAM" in texts
    assert "Danh sách có 1 tập thể, 2 cá nhân./." in texts
    table = doc.tables[1]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == NOMINATION_HEADERS
    assert rows[1][0] == "I. TẬP THỂ (1)"
    assert rows[2] == [
        "1",
        "Chi bộ Văn phòng",
        "",
        "Chi bộ Văn phòng",
        "Trong sạch, vững mạnh tiêu biểu 5 năm",
        "Bằng khen của Tỉnh ủy",
    ]
    assert rows[3][0] == "II. CÁ NHÂN (2)"
    assert [r[1] for r in rows[4:]] == ["Nguyễn Văn Bình", "Lê Thị Cúc"]
    assert rows[4][2:4] == ["Phó Giám đốc", "Sở Tài chính"]
    width, height = doc.sections[0].page_width, doc.sections[0].page_height
    assert width is not None and height is not None and width > height  # landscape


async def test_an_office_template_in_the_data_dir_is_used(world: World, tmp_path: Path) -> None:
    own = tmp_path / "templates"
    own.mkdir()
    doc = Document(str(template_path("report")))
    doc.add_paragraph("Nơi lưu: hồ sơ thi đua {{ plan.number }}")
    doc.save(str(own / "bao_cao.docx"))
    path = await _export(world, tmp_path, ExportKind.REPORT, "r.docx", templates=own)
    assert "Nơi lưu: hồ sơ thi đua 185-KH/ĐUK" in _texts(path)


async def test_values_are_escaped_in_word(org: Services, tmp_path: Path) -> None:
    await member(org, "CBVP", "1", "An")
    plan = await draft(org, task("II.6", "Khen <thưởng> & vinh danh", due=date(2024, 3, 20)))
    await publish(org, plan)
    path = tmp_path / "r.docx"
    await export(org, plan, path, ExportKind.REPORT)
    assert any("Khen <thưởng> & vinh danh" in t for t in _texts(path))


# Chat ----------------------------------------------------------------------------------------


async def test_office_exports_excel_from_chat_and_gets_the_file_in_the_outbox(
    world: World,
) -> None:
    office = world.office
    [ask] = await office.says("/xuatbaocao")
    assert "Kế hoạch số 185-KH/ĐUK" in ask.text
    labels = [c.label for row in ask.choices for c in row]
    assert labels == [
        "📊 Excel (tất cả các bảng)",
        "📄 Word: báo cáo kết quả",
        "🏅 Word: danh sách khen thưởng",
        "🗂 CSV (.zip)",
    ]
    [preparing] = await office.presses("📊 Excel (tất cả các bảng)")
    assert "Đang chuẩn bị tệp" in preparing.text
    await jobs.wait_idle()
    [sent] = await _queued(world.services, "export")
    assert sent.chat_id == "9" and sent.priority == jobs.PRIORITY
    assert sent.requested  # asked for: quiet hours do not hold it
    document = sent.reply.document
    assert document is not None and document.file_name.startswith("TongHop_185-KH-DUK_")
    assert "Kế hoạch số 185-KH/ĐUK" in document.caption
    wb = openpyxl.load_workbook(document.path)
    assert "Tiến độ" in wb.sheetnames
    [entry] = await world.services.repos.audit.entries(action="export")
    assert entry.detail["kind"] == "xlsx" and entry.detail["sent"] is True


async def test_word_nomination_list_from_chat(world: World) -> None:
    await world.office.says("/xuatbaocao")
    await world.office.presses("🏅 Word: danh sách khen thưởng")
    await jobs.wait_idle()
    [sent] = await _queued(world.services, "export")
    assert sent.reply.document is not None
    assert "Lê Thị Cúc" in "\n".join(_texts(sent.reply.document.path))


async def test_no_nominations_is_said_instead_of_an_empty_list(org: Services) -> None:
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    await publish(org, await draft(org, task("II.2", "Treo cờ", due=date(2024, 3, 20))))
    office = Person(_router(org), "9")
    await office.says("/xuatbaocao")
    await office.presses("🏅 Word: danh sách khen thưởng")
    await jobs.wait_idle()
    [sent] = await _queued(org, "export")
    assert sent.reply.document is None and "chưa có đề nghị" in sent.reply.text


async def test_a_secretary_is_refused_politely(world: World) -> None:
    [answer] = await world.an.says("/xuatbaocao")
    assert "không dành cho vai trò của đồng chí" in answer.text
    plan_id = world.plan.id
    [answer] = await world.an._send(choice=f"xb:f:{plan_id}:xlsx")  # an old or forged button
    assert "không dành cho vai trò của đồng chí" in answer.text
    await jobs.wait_idle()
    assert await _queued(world.services, "export") == []


async def test_not_in_a_group_chat(world: World) -> None:
    router = _router(world.services)
    [answer] = await router.handle(
        Inbound(ChannelName.TELEGRAM, 99_001, "9", "-100123", command="xuatbaocao")
    )
    assert "trò chuyện riêng" in answer.text


async def test_with_several_plans_the_office_chooses_one(world: World) -> None:
    other = await draft(world.services, task("I.1", "Học tập", due=date(2024, 6, 1)), number="9-KH")
    await publish(world.services, other)
    [ask] = await world.office.says("/xuatbaocao")
    assert ask.choices[0][0].label.startswith("9-KH: ")
    [formats] = await world.office.presses(ask.choices[0][0].label)
    assert "Kế hoạch số 9-KH" in formats.text


# Command line --------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DONDOC_ORG_PARENT", "Đảng bộ tỉnh Lào Cai")
    monkeypatch.setenv("DONDOC_ORG_PLACE", "Lào Cai")
    monkeypatch.setenv("DONDOC_CLOCK", LATER.isoformat())
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """dondoc"""

    cli_export.register(app)
    return app


async def _cli_world() -> None:
    db = await Database.open(load_settings().db_path)
    clock = FrozenClock(VN, START)
    services = Services(db, Repos.on(db), Texts("vi", VN), clock)
    async with db.transaction():
        await services.repos.units.upsert_many(SAMPLE_UNITS, START)
    try:
        await answered(services, clock)
    finally:
        await db.close()


def test_dondoc_export_writes_each_kind(cli_env: Path) -> None:
    asyncio.run(_cli_world())
    runner = CliRunner()
    app = _cli()
    for out, extra in (
        ("x.xlsx", []),
        ("r.docx", []),
        ("ds.docx", ["--kind", "nominations"]),
        ("m.csv", ["--kind", "matrix"]),
        ("all.zip", []),
    ):
        result = runner.invoke(
            app, ["export", "--plan", "185-KH/ĐUK", "--out", out, "--json", *extra]
        )
        assert result.exit_code == 0, result.output
        assert (cli_env / out).stat().st_size > 0
    assert "ĐẢNG BỘ TỈNH LÀO CAI" in _texts(cli_env / "r.docx")
    assert _csv((cli_env / "m.csv").read_bytes())[0][1] == "Mã đơn vị"
    bad = runner.invoke(app, ["export", "--plan", "185-KH/ĐUK", "--out", "x.pdf"])
    assert bad.exit_code == 2 and ".xlsx, .docx" in bad.output
    missing = runner.invoke(app, ["export", "--plan", "1-KH", "--out", "x.xlsx"])
    assert missing.exit_code == 1
    assert missing.stderr.startswith('Không có kế hoạch "1-KH": xem danh sách bằng lệnh')
    template = runner.invoke(app, ["export", "--plan", "x", "--out", "t.docx", "--template"])
    assert template.exit_code == 0 and "{{ plan.number }}" in "\n".join(_texts(cli_env / "t.docx"))


# End to end ----------------------------------------------------------------------------------


async def test_the_document_arrives_over_the_bot_api(tg: Bot) -> None:  # noqa: F811
    routed(tg.app.router)
    office, _ = await registered(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    services = tg.app.services
    await publish(services, await draft(services, *plan_tasks()))
    await office.send("/xuatbaocao")
    ask = await office.read_one()
    assert "📄 Word: báo cáo kết quả" in buttons(ask)
    await office.press("📄 Word: báo cáo kết quả")
    preparing = await office.read_one()
    assert "Đang chuẩn bị tệp" in preparing["text"]
    message = await office.read_one(wait=20)
    document = message["document"]
    assert document["file_name"].startswith("BaoCao_185-KH-DUK_")
    assert "Dự thảo báo cáo" in (message.get("caption") or message.get("text") or "")
    async with httpx.AsyncClient() as http:
        content = (await http.get(tg.emulator.base_url + document["download"])).content
    path = Path(tg.settings.data_dir) / "downloaded.docx"
    path.write_bytes(content)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in _texts(path)


async def test_at_night_the_file_comes_at_once_and_a_broadcast_waits_until_seven(
    tg: Bot,  # noqa: F811
) -> None:
    """At 21:30 the office asks for the Excel export and receives the file at once, while a
    broadcast queued at the same time waits until 07:00 (quiet hours 21:00-07:00)."""
    office, office_member = await registered(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    an, _ = await registered(tg, "CBVP", "An")
    services = tg.app.services
    await publish(services, await draft(services, *plan_tasks()))
    await an.read_one()  # the plan's tasks, in the day
    tg.clock.set(datetime(2024, 3, 1, 21, 30, tzinfo=VN))
    await broadcasting.send(services, office_member, "Họp chi bộ sáng mai", Audience("all"))
    await office.send("/xuatbaocao")
    await office.read_one()
    await office.press("📊 Excel (tất cả các bảng)")
    assert "Đang chuẩn bị tệp" in (await office.read_one())["text"]
    message = await office.read_one(wait=20)
    assert message["document"]["file_name"].startswith("TongHop_185-KH-DUK_")

    def broadcast_in(history: list[dict[str, Any]]) -> bool:
        return any("Họp chi bộ sáng mai" in (m.get("text") or "") for m in history)

    await settle(tg)
    assert not broadcast_in(await an.history())
    tg.clock.set(datetime(2024, 3, 2, 6, 59, tzinfo=VN))
    await settle(tg)
    assert not broadcast_in(await an.history())
    tg.clock.set(datetime(2024, 3, 2, 7, 0, tzinfo=VN))
    tg.app.sender.wake()
    assert "Họp chi bộ sáng mai" in (await an.read_one())["text"]
    report = await office.read_one()  # then the broadcast's delivery report
    assert "Đã gửi: 1 · Không liên lạc được: 0 · Lỗi: 0" in report["text"]
    assert [m for m in await office.history() if m.get("document")] == [message]  # once


@pytest.fixture(autouse=True)
async def _no_jobs_left() -> AsyncIterator[None]:
    yield
    await jobs.wait_idle()


async def test_the_word_report_from_chat_has_the_offices_letterhead(world: World) -> None:
    """DONDOC_ORG_PARENT / DONDOC_ORG_PLACE reach the chat's export through the services."""
    services = replace(
        world.services, letterhead=Letterhead(parent="Đảng bộ tỉnh Lào Cai", place="Lào Cai")
    )
    office = Person(_router(services), "9")
    await office.says("/xuatbaocao")
    await office.presses("📄 Word: báo cáo kết quả")
    await jobs.wait_idle()
    [sent] = await _queued(services, "export")
    assert sent.reply.document is not None
    texts = _texts(sent.reply.document.path)
    assert "ĐẢNG BỘ TỈNH LÀO CAI" in texts
    assert any(t.startswith("Lào Cai, ngày") for t in texts)
