"""Drafting a plan from its own document (`dondoc plan extract`): the sample plans give the
activities, windows, units in charge and quotas their labels (tests/data/labels) say, the draft
imports, and the warnings are those a careful clerk would raise."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from typer.testing import CliRunner, Result

from bot.cli_plan import plan_app
from bot.extract import Draft, extract, read_lines
from bot.extract.document import DocumentError
from bot.extract.draft import draft_json, draft_yaml
from bot.extract.quotas import find_quota
from bot.settings import load_settings
from bot.vntext import fold
from messages import Texts
from storage.db import Database
from storage.units import UnitRepository
from tests.conftest import SAMPLE_UNITS, START

ROOT = Path(__file__).resolve().parent.parent
PLANS = Path(__file__).parent / "data" / "plans"  # copies of ../shared/plans
LABELS = Path(__file__).parent / "data" / "labels"
LAOCAI = "laocai-khoi-cqdn-65nam-2024"
HAIDUONG = "haiduong-khoi-cq-70nam-2022"
LANGSON = "langson-so-tnmt-70nam-2024"
THAIBINH = "thaibinh-khoi-dn-15nam-2019"
TRUNGUONG = "trunguong-khoi-cq-10nam-2017"
SAMPLES = (HAIDUONG, LANGSON, LAOCAI, THAIBINH, TRUNGUONG)
# The labelled units in charge the extractor misses (3 of 52), as the bench reports them:
KNOWN_LEAD_MISSES = {
    # "Ban Tổ chức ... tổ chức phong trào thi đua" is matched with II.3 (the emulation in the
    # content part), not with III.1.(1) that restates it with its window
    (HAIDUONG, 41),
    # "Ban Tuyên giáo ... hướng dẫn công tác tuyên truyền" is matched with II.2 and III.1.(2)
    # (their words are nearer), not with II.1 "Tuyên truyền sâu rộng ..."
    (HAIDUONG, 32),
    # "Ban Tuyên giáo ... xây dựng kế hoạch tổ chức các hoạt động kỷ niệm" is matched with
    # "Các đảng ủy, chi ủy ... căn cứ kế hoạch này xây dựng kế hoạch": the same words
    (THAIBINH, 119),
}

needs_plans = pytest.mark.skipif(not PLANS.is_dir(), reason=f"sample plans not in {PLANS}")
TEXTS = Texts("vi")


@cache
def _draft(name: str) -> Draft:
    path = PLANS / f"{name}.txt"
    return extract(read_lines(path), source=path.name)


@cache
def _json(name: str) -> dict[str, Any]:
    return draft_json(_draft(name), TEXTS)


def _labels(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((LABELS / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def _at(name: str, line: int) -> dict[str, Any]:
    """The drafted activity that starts on `line` (or, failing that, was read from it)."""
    acts = _json(name)["activities"]
    first = [a for a in acts if min(a["lines"]) == line]
    found = first or [a for a in acts if line in a["lines"]]
    assert found, f"no activity of {name} at line {line}"
    activity: dict[str, Any] = found[0]
    return activity


def _quota(q: dict[str, Any] | None) -> tuple[int | None, int | None, int | None]:
    q = q or {}
    return (q.get("per_unit_min"), q.get("per_unit_max"), q.get("total"))


def _same_unit(a: str | None, b: str | None) -> bool:
    x, y = fold(a or ""), fold(b or "")
    return x == y or (bool(x and y) and (x.startswith(y + " ") or y.startswith(x + " ")))


def _codes(d: Draft, code: str) -> list[str]:
    return [w.code for w in d.warnings if w.code == code]


# ---------------------------------------------------------------------------------------------
# The sample plans against their labels


@needs_plans
@pytest.mark.parametrize("name", SAMPLES)
def test_every_labelled_activity_is_found_with_its_window_unit_and_quota(name: str) -> None:
    for label in _labels(name)["activities"]:
        got = _at(name, label["line"])
        where = f"{name}:{label['line']} {label['ref']}"
        start, end = label.get("start"), label.get("end")
        assert (got["start"], got["end"]) == (
            start.isoformat() if start else None,
            end.isoformat() if end else None,
        ), where
        assert got["tentative"] == bool(label.get("tentative")), where
        assert _quota(got["quota"]) == _quota(label.get("quota")), where
        if (name, label["line"]) not in KNOWN_LEAD_MISSES:
            assert _same_unit(got["lead"], label.get("lead")), where


@needs_plans
@pytest.mark.parametrize("name", SAMPLES)
def test_no_activity_has_a_window_its_labels_do_not_give(name: str) -> None:
    dated_lines = {a["line"] for a in _labels(name)["activities"] if a.get("start") or a.get("end")}
    for act in _json(name)["activities"]:
        if act["start"] or act["end"]:
            assert dated_lines & set(act["lines"]), (name, act["ref"], act["when"])


@needs_plans
def test_the_lao_cai_volleyball_finals_are_a_tentative_window_led_by_cong_doan_vien_chuc() -> None:
    act = _at(LAOCAI, 81)
    assert act["ref"] == "II.5"
    assert (act["start"], act["end"]) == ("2024-05-04", "2024-05-05")
    assert act["when"] == "dự kiến ngày 04-05/5/2024" and act["tentative"] is True
    assert act["lead"] == "Công đoàn Viên chức tỉnh"
    assert [fold(s) for s in act["support"]] == [fold("Văn phòng Đảng ủy Khối")]
    assert _quota(act["quota"]) == (1, 1, None)  # "Mỗi chi, đảng bộ cơ sở ... 01 đội"
    assert act["when_line"] == 87 and act["lead_line"] == 176


@needs_plans
def test_an_item_with_two_windows_in_its_parts_is_two_activities() -> None:
    emulation, report = _at(LAOCAI, 95), _at(LAOCAI, 97)
    assert (emulation["ref"], report["ref"]) == ("II.6.a", "II.6.b")
    assert (emulation["start"], emulation["end"]) == ("2023-12-01", "2024-04-30")
    assert (report["start"], report["end"], report["when"]) == (
        None,
        "2024-04-20",
        "trước ngày 20/4/2024",
    )
    assert report["quota"]["total"] == 85 and report["form"] == "nomination"
    assert report["audience"] == "all"


@needs_plans
def test_a_plan_without_a_header_date_reads_dates_in_the_year_of_its_title_and_says_so() -> None:
    d = _draft(LAOCAI)
    assert (d.plan.issued, d.plan.year, d.plan.year_from) == (None, 2024, "title")
    assert "no_header_date" in _codes(d, "no_header_date")
    monthly = _at(LAOCAI, 47)
    assert (monthly["start"], monthly["end"], monthly["repeat"]) == ("2024-01-01", None, "monthly")
    assert monthly["when"] == "từ tháng 01 trở đi, mỗi tháng"
    assert _quota(monthly["quota"]) == (1, None, None)  # "mỗi tháng có ít nhất một bài viết"


@needs_plans
def test_the_header_gives_the_plans_number_and_date_and_a_later_citation_is_flagged() -> None:
    d = _draft(LANGSON)
    assert (d.plan.number, d.plan.issued) == ("422-KH/ĐUS", date(2024, 3, 6))
    cited = [w for w in d.warnings if w.code == "citation_after_plan"]
    assert [w.values["number"] for w in cited] == ["156-KH/ĐUK"]
    assert cited[0].values["cited"] == "28/12/2024"
    assert _draft(HAIDUONG).plan.number is None  # "Số        -  KH/ ĐUK": left blank
    assert _draft(HAIDUONG).plan.issued == date(2021, 9, 20)
    assert "no_number" in _codes(_draft(HAIDUONG), "no_number")


@needs_plans
@pytest.mark.parametrize("name", SAMPLES)
def test_anniversaries_cited_documents_and_durations_are_never_windows(name: str) -> None:
    for act in _json(name)["activities"]:
        for day in (act["start"], act["end"]):
            if day is not None:  # 1952, 2010, 2018...: the founding and the documents cited
                year = _draft(name).plan.year
                assert year is not None and int(day[:4]) >= year - 1, (
                    name,
                    act["ref"],
                    act["when"],
                )
        assert act["when"] is None or "ngày," not in act["when"]
    assert all("1/2 ngày" not in (a["when"] or "") for a in _json(LAOCAI)["activities"])


@needs_plans
def test_units_in_charge_come_from_assignments_far_from_their_activities() -> None:
    office = {_at(TRUNGUONG, line)["ref"] for line in (19, 29, 37)}
    assert office == {"II.1", "II.6", "II.10"}
    for line in (19, 29, 37):  # "- Văn phòng Đảng ủy Khối chủ trì ...; ...; ..." at line 47
        assert _at(TRUNGUONG, line)["lead"] == "Văn phòng Đảng ủy Khối"
        assert _at(TRUNGUONG, line)["lead_line"] == 47
    assert _at(TRUNGUONG, 33)["lead"] == "Ban Dân vận Đảng ủy Khối"
    assert _at(TRUNGUONG, 33)["support"] == ["Đoàn Thanh niên Khối"]
    assert _at(LAOCAI, 59)["lead"] == "Ban Tổ chức Đảng uỷ Khối"  # "Giao Ban Tổ chức" at 160


@needs_plans
def test_a_timetable_row_dates_the_activity_it_names_and_an_unnamed_row_is_an_activity() -> None:
    vote = _at(THAIBINH, 51)  # "Việc bình chọn 45 ... hoàn thành trước ngày 30/7/2019" (line 75)
    assert (vote["end"], vote["when_line"], vote["quota"]["total"]) == ("2019-07-30", 75, 45)
    badminton = _at(THAIBINH, 45)  # "Hoạt động văn nghệ, thể thao ... trước ngày 20/8/2019"
    assert (badminton["end"], badminton["lead"]) == ("2019-08-20", "Hội Cựu chiến binh khối")
    festival = _at(THAIBINH, 47)  # its own "dịp 19/8/2019", "Giao Đoàn TNCS ... chủ trì"
    assert (festival["start"], festival["end"]) == ("2019-08-19", "2019-08-19")
    rollout = _at(THAIBINH, 71)
    assert rollout["lines"] == [71] and rollout["end"] == "2019-06-10"


@needs_plans
def test_an_assignment_no_activity_names_is_an_activity_of_its_unit() -> None:
    music = _at(LAOCAI, 180)  # "Giao Đoàn thanh niên Khối: ... chương trình văn nghệ (5 tiết mục)"
    assert fold(music["lead"]) == fold("Đoàn thanh niên Khối") and music["quota"]["total"] == 5
    assert music["title"].startswith("Tổ chức chương trình văn nghệ")
    assert music["start"] is None and music["end"] is None


@needs_plans
def test_activities_every_unit_does_are_for_all_and_the_others_are_flagged() -> None:
    assert _at(LAOCAI, 142)["audience"] == "all"  # "Các chi, đảng bộ cơ sở căn cứ ..."
    d = _draft(LAOCAI)
    guessed = next(w for w in d.warnings if w.code == "audience_guess")
    assert "II.4" in guessed.values["refs"] and "III.2" not in guessed.values["refs"]


# ---------------------------------------------------------------------------------------------
# Quotas and warnings, one rule at a time


@pytest.mark.parametrize(
    ("text", "quota"),
    [
        ("trao thưởng cho 85 tập thể, cá nhân có thành tích", (None, None, 85)),
        ("Bình chọn 15 tập thể, 15 cá nhân, 15 sản phẩm tiêu biểu", (None, None, 45)),
        ("Bồi dưỡng, giới thiệu ít nhất 01 quần chúng ưu tú", (1, None, None)),
        ("mỗi cấp ủy đảng xác định từ 1 đến 2 nội dung trọng tâm", (1, 2, None)),
        ("chương trình văn nghệ (5 tiết mục) chào mừng", (None, None, 5)),
        ("Thành lập mới từ 02 tổ chức cơ sở đảng trở lên", (2, None, None)),
        ("liên kết không quá 3 chi bộ để thành lập đội", (None, None, None)),
        ("Dự kiến khoảng 300 người; 500 cuốn; thời lượng 15-20 phút", (None, None, None)),
        ("làm tốt 3 nội dung “Học tập, làm theo Bác”", (None, None, None)),
    ],
)
def test_quotas_a_bound_is_per_unit_and_a_plain_count_a_total(
    text: str, quota: tuple[int | None, ...]
) -> None:
    q = find_quota(text)
    assert (q.per_unit_min, q.per_unit_max, q.total) == quota


SMALL = """\
Hà Nội, ngày 05 tháng 01 năm 2024
KẾ HOẠCH
Tổ chức hội thi (10/3/1994-10/3/2024)
II. NỘI DUNG
1. Hội thi tìm hiểu lịch sử: từ 30/4/2024 đến 1/3/2024.
2. Viết bài tham dự theo Kế hoạch số 12-KH/ĐUK, ngày 02/01/2024.
III. TỔ CHỨC THỰC HIỆN
1. Giao Ban Nữ công Khối chủ trì tổ chức hội thi tìm hiểu lịch sử.
"""


def test_a_window_that_ends_before_it_starts_and_an_activity_without_one_are_flagged() -> None:
    d = extract(SMALL.splitlines(), source="nho.txt")
    quiz, essay = d.activities
    assert quiz.window is not None and quiz.window.inverted
    assert quiz.lead == "Ban Nữ công Khối"
    assert essay.window is None  # the date of the document cited is no window
    codes = [w.code for w in d.warnings]
    assert {"inverted_window", "no_window", "no_number", "no_units_list"} <= set(codes)
    text = draft_yaml(d, TEXTS)
    assert '# - ref: "II.1"' in text  # not importable as it stands: written commented out
    assert '  - ref: "II.2"' in text and "  due: 2024-03-10" in text  # the title's anniversary


FORMS = """\
Lào Cai, ngày 05 tháng 01 năm 2024
KẾ HOẠCH
Tổ chức các hoạt động kỷ niệm
II. NỘI DUNG
1. Hội thảo chuyên đề: các chi bộ cử Bí thư dự Hội thảo, trong tháng 4/2024.
2. Giải bóng đá: mỗi chi bộ đăng ký 01 đội bóng đá, trước ngày 20/4/2024.
3. Căn cứ Kế hoạch này, các chi bộ xây dựng kế hoạch cụ thể, trước ngày 30/4/2024.
4. Các chi bộ gửi danh sách tập thể, cá nhân đề nghị khen thưởng trước ngày 25/4/2024.
5. Các chi bộ gửi bài viết, kèm ảnh minh họa, cho Tập san trước ngày 31/3/2024.
"""


def test_only_a_team_fielded_is_a_registration_not_a_person_sent_nor_a_plan_cited() -> None:
    forms = [a.form for a in extract(FORMS.splitlines(), source="forms.txt").activities]
    assert forms == [
        "progress",  # "cử Bí thư dự Hội thảo" sends a person: not a team's registration
        "registration",  # "đăng ký 01 đội bóng đá"
        "progress",  # "căn cứ", "cụ thể" are not "cử" (folded, all three are "cu")
        "nomination",
        "progress",  # an article and its photos: progress, whose answer takes files
    ]


@needs_plans
def test_in_the_sample_plans_only_the_lao_cai_volleyball_team_is_a_registration() -> None:
    registrations = [
        (name, a.ref)
        for name in SAMPLES
        for a in _draft(name).activities
        if a.form == "registration"
    ]
    assert registrations == [(LAOCAI, "II.5")]
    forms = {a.ref: a.form for a in _draft(LAOCAI).activities}
    assert (forms["II.3"], forms["II.7"], forms["II.8"]) == ("progress", "progress", "progress")


def test_the_same_document_always_gives_the_same_draft() -> None:
    first = draft_json(extract(SMALL.splitlines(), source="nho.txt"), TEXTS)
    assert draft_json(extract(SMALL.splitlines(), source="nho.txt"), TEXTS) == first


# ---------------------------------------------------------------------------------------------
# Word and PDF


def test_a_word_document_reads_its_header_table_and_automatic_numbering(tmp_path: Path) -> None:
    document = docx.Document()
    header = document.add_table(rows=1, cols=2)
    header.rows[0].cells[0].text = "Số: 15-KH/ĐUK"
    header.rows[0].cells[1].text = "Lào Cai, ngày 10 tháng 1 năm 2024"
    for text in ("KẾ HOẠCH", "Tổ chức các hoạt động kỷ niệm", "II. NỘI DUNG"):
        document.add_paragraph(text)
    document.add_paragraph("Giải bóng chuyền hơi, dự kiến ngày 04-05/5/2024.", style="List Number")
    document.add_paragraph("Gặp mặt kỷ niệm trong tháng 6.", style="List Number")
    path = tmp_path / "ke-hoach.docx"
    document.save(str(path))
    d = extract(read_lines(path), source=path.name)
    assert (d.plan.number, d.plan.issued) == ("15-KH/ĐUK", date(2024, 1, 10))
    assert [(a.ref, a.window.start if a.window else None) for a in d.activities] == [
        ("II.1", date(2024, 5, 4)),
        ("II.2", date(2024, 6, 1)),
    ]


@needs_plans
def test_a_plan_saved_as_word_gives_the_draft_its_text_gives(tmp_path: Path) -> None:
    document = docx.Document()
    for line in (PLANS / f"{LAOCAI}.txt").read_text(encoding="utf-8").split("\n"):
        document.add_paragraph(line)
    path = tmp_path / f"{LAOCAI}.docx"
    document.save(str(path))
    from_word = draft_json(extract(read_lines(path), source=path.name), TEXTS)["activities"]
    windows = [(a["ref"], a["start"], a["end"], a["lead"]) for a in from_word]
    assert windows == [
        (a["ref"], a["start"], a["end"], a["lead"]) for a in _json(LAOCAI)["activities"]
    ]


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica, so ASCII only)."""
    text = " ".join(f"({line}) Tj T*" for line in lines)
    content = f"BT /F1 11 Tf 14 TL 50 800 Td {text} ET" if lines else ""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out + trailer.encode()


def test_a_pdf_with_a_text_layer_is_read_and_one_without_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ke-hoach.pdf"
    path.write_bytes(
        _pdf(
            [
                "Ha Noi, ngay 05 thang 01 nam 2024",
                "KE HOACH",
                "II. NOI DUNG",
                "1. Hoi thi tim hieu lich su trong thang 4/2024.",
            ]
        )
    )
    d = extract(read_lines(path), source=path.name)
    assert d.plan.issued == date(2024, 1, 5)
    assert [(a.ref, a.window.words if a.window else "") for a in d.activities] == [
        ("II.1", "trong thang 4/2024")
    ]
    scanned = tmp_path / "ban-quet.pdf"
    scanned.write_bytes(_pdf([]))
    with pytest.raises(DocumentError) as caught:
        read_lines(scanned)
    assert caught.value.code == "no_text_layer"


# ---------------------------------------------------------------------------------------------
# dondoc plan extract


def plan_cli(*args: str | Path) -> Result:
    return CliRunner().invoke(plan_app, [str(a) for a in args])


def _load_units() -> None:
    async def load() -> None:
        db = await Database.open(load_settings().db_path)
        try:
            async with db.transaction():
                await UnitRepository(db).upsert_many(SAMPLE_UNITS, START)
        finally:
            await db.close()

    asyncio.run(load())


@needs_plans
def test_every_sample_plans_draft_imports(cli_env: Path) -> None:
    _load_units()
    for name in SAMPLES:
        out = cli_env / f"{name}.yaml"
        made = plan_cli("extract", PLANS / f"{name}.txt", "--out", out)
        assert made.exit_code == 0, made.output
        assert "bản nháp" in made.stdout and out.is_file()
        imported = plan_cli("import", out, "--json")
        assert imported.exit_code == 0, (name, imported.output)
        tasks = json.loads(imported.stdout)["tasks"]
        assert len(tasks) == len(_draft(name).activities) - sum(
            1 for a in _draft(name).activities if a.window is not None and a.window.inverted
        )


@needs_plans
def test_extract_prints_json_with_iso_dates_and_the_warnings(cli_env: Path) -> None:
    result = plan_cli("extract", PLANS / f"{LAOCAI}.txt", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"plan", "activities", "warnings"}
    keys = {"ref", "title", "start", "end", "when", "repeat", "lead", "support", "quota", "lines"}
    assert keys <= set(data["activities"][0])
    volleyball = next(a for a in data["activities"] if a["ref"] == "II.5")
    assert (volleyball["start"], volleyball["end"]) == ("2024-05-04", "2024-05-05")
    assert all(w["message"] for w in data["warnings"])


@needs_plans
def test_with_the_units_list_leads_are_codes_and_unknown_units_are_warned(cli_env: Path) -> None:
    _load_units()
    out = cli_env / "draft.yaml"
    result = plan_cli("extract", PLANS / f"{LAOCAI}.txt", "--units", "--json", "--out", out)
    assert result.exit_code == 0, result.output
    acts = {a["ref"]: a for a in json.loads(result.stdout)["activities"]}
    assert acts["II.6.b"]["lead_code"] == "VP" and acts["II.6.b"]["audience"] == "all"
    assert acts["II.4"]["support_codes"] == ["VP"]
    warnings = json.loads(result.stdout)["warnings"]
    unknown = [w for w in warnings if w["code"] == "unknown_unit"]
    assert any("Ban Tuyên giáo Đảng ủy Khối" in w["message"] for w in unknown)
    task = next(
        t for t in yaml.safe_load(out.read_text(encoding="utf-8"))["tasks"] if t["ref"] == "II.6.b"
    )
    assert task["lead"] == "VP"
    assert plan_cli("import", out).exit_code == 0


def test_extract_refuses_a_missing_file_and_an_unknown_type(cli_env: Path) -> None:
    missing = plan_cli("extract", cli_env / "khong-co.docx")
    assert missing.exit_code == 1 and "Không tìm thấy tệp" in missing.stderr
    other = cli_env / "ke-hoach.odt"
    other.write_text("x", encoding="utf-8")
    wrong = plan_cli("extract", other)
    assert wrong.exit_code == 1 and ".txt, .docx hoặc .pdf" in wrong.stderr


def test_extract_without_out_prints_the_draft(cli_env: Path) -> None:
    path = cli_env / "nho.txt"
    path.write_text(SMALL, encoding="utf-8")
    result = plan_cli("extract", path)
    assert result.exit_code == 0
    assert result.stdout.startswith("# ") and "\ntasks:\n" in result.stdout
    assert "kết thúc trước khi bắt đầu" in result.stderr
