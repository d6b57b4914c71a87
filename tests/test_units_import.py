"""Reading unit files and checking them: kinds in Vietnamese, row numbers as the person sees them,
every reason a row can be refused, and the order in which units are written."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest

from bot.domain import Unit, UnitKind
from bot.units_import import (
    Change,
    ImportRejected,
    RowError,
    UnitRow,
    parse_kind,
    plan_import,
    read_csv,
    read_rows,
    read_xlsx,
    read_yaml,
)
from bot.vntext import fold
from messages import Texts

DATA = Path(__file__).parent / "data"
TEXTS = Texts("vi")


def rows(*items: tuple[str | None, str | None, str | None, str | None]) -> list[UnitRow]:
    """UnitRows numbered like a CSV with a header: the first item is row 2."""
    return [
        UnitRow(row=n, code=code, name=name, parent=parent, kind=kind)
        for n, (code, name, parent, kind) in enumerate(items, start=2)
    ]


def messages(errors: Iterable[RowError]) -> list[str]:
    """The lines `dondoc units import` shows for these errors."""
    return [e.line(TEXTS) for e in errors]


def refused(caught: pytest.ExceptionInfo[ImportRejected]) -> str:
    """Every line of a refused file, as one text."""
    return "\n".join(messages(caught.value.errors))


# --- words ---------------------------------------------------------------------------------------


def test_folding_ignores_case_diacritics_and_spacing() -> None:
    assert fold("  Đảng   ủy KHỐI ") == "dang uy khoi"
    assert fold("Đảng uỷ") == fold("đảng ủy")
    assert fold("party_committee") == "party committee"


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("committee", UnitKind.COMMITTEE),
        ("Đảng ủy Khối", UnitKind.COMMITTEE),
        ("ĐẢNG ỦY", UnitKind.COMMITTEE),
        ("dang uy khoi", UnitKind.COMMITTEE),
        ("party_committee", UnitKind.PARTY_COMMITTEE),
        ("Đảng bộ cơ sở", UnitKind.PARTY_COMMITTEE),
        ("đảng bộ", UnitKind.PARTY_COMMITTEE),
        ("cell", UnitKind.CELL),
        ("Chi bộ", UnitKind.CELL),
        ("chi bo", UnitKind.CELL),
        ("board", UnitKind.BOARD),
        ("Ban", UnitKind.BOARD),
        ("Văn phòng", UnitKind.BOARD),
        ("cơ quan", UnitKind.BOARD),
        ("association", UnitKind.ASSOCIATION),
        ("Đoàn thể", UnitKind.ASSOCIATION),
        ("Công đoàn", UnitKind.ASSOCIATION),
        ("Đoàn Thanh niên", UnitKind.ASSOCIATION),
        ("hội", UnitKind.ASSOCIATION),
    ],
)
def test_a_kind_is_read_from_its_value_or_a_vietnamese_word(word: str, kind: UnitKind) -> None:
    assert parse_kind(word) is kind


def test_an_unknown_kind_word_is_not_guessed() -> None:
    assert parse_kind("tổ đảng") is None


# --- reading files -------------------------------------------------------------------------------


def test_a_comma_csv_is_read_with_the_header_as_row_one() -> None:
    found = read_csv(DATA / "units_comma.csv")
    assert [r.row for r in found] == [2, 3, 4, 5, 6, 7]
    assert found[0] == UnitRow(
        row=2, code="CB01", name="Chi bộ Văn phòng", parent="DUK", kind="chi bộ"
    )
    assert found[1].parent is None


def test_a_semicolon_csv_with_bom_and_vietnamese_headers_keeps_commas_in_names() -> None:
    found = read_csv(DATA / "units_semicolon_bom.csv")
    assert [(r.row, r.code) for r in found] == [(2, "DUK"), (4, "CB01"), (5, "CB02")]
    assert found[1].name == "Chi bộ Báo, Đài"


def test_a_csv_that_is_not_utf8_is_refused_with_a_clear_reason(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes("code,name,parent,kind\nCB1,Chi bộ,,chi bộ\n".encode("utf-16"))
    with pytest.raises(ImportRejected) as caught:
        read_csv(path)
    assert messages(caught.value.errors) == [
        "Tệp units.csv không phải UTF-8: hãy lưu lại dạng CSV UTF-8"
    ]


def test_a_header_without_required_columns_is_reported_on_row_one(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("code,title\nCB1,Chi bộ\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_csv(path)
    assert messages(caught.value.errors) == [
        "Dòng 1: thiếu cột name trong dòng tiêu đề (cần code, name, kind)",
        "Dòng 1: thiếu cột kind trong dòng tiêu đề (cần code, name, kind)",
    ]


def test_an_xlsx_is_read_from_its_first_sheet_with_numbers_as_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Code", "Name", "Parent", "Kind"])
    sheet.append(["DUK", "Đảng ủy Khối", None, "Đảng ủy Khối"])
    sheet.append([None, None, None, None])
    sheet.append([101, "Chi bộ 101", "DUK", "chi bộ"])
    other = book.create_sheet("Ghi chú")
    other.append(["code", "name", "parent", "kind"])
    other.append(["XX", "Not read", None, "cell"])
    path = tmp_path / "units.xlsx"
    book.save(path)
    found = read_xlsx(path)
    assert [(r.row, r.code, r.parent) for r in found] == [(2, "DUK", None), (4, "101", "DUK")]


def test_yaml_items_carry_the_line_they_start_on_and_every_value_is_text() -> None:
    listed = read_yaml(DATA / "units_list.yaml")
    assert [(r.row, r.code) for r in listed] == [(2, "CB01"), (6, "DUK"), (9, "DTN")]
    mapped = read_yaml(DATA / "units_mapping.yaml")
    assert [(r.row, r.code, r.parent) for r in mapped] == [(2, "DUK", None), (7, "007", "DUK")]


def test_yaml_that_is_not_a_list_of_units_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("name: Đảng ủy Khối\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_yaml(path)
    assert refused(caught) == "Tệp YAML phải là một danh sách đơn vị, hoặc units: [...]"
    path.write_text("- code: [1, 2\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_yaml(path)
    assert refused(caught).startswith("Dòng 2: YAML không hợp lệ: ")
    path.write_text("- code: {a: 1}\n  name: X\n  kind: cell\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_yaml(path)
    assert refused(caught) == "Dòng 1, cột code: giá trị phải là chữ hoặc số"


def test_a_file_of_another_type_or_missing_is_refused(tmp_path: Path) -> None:
    (tmp_path / "units.txt").write_text("code\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        read_rows(tmp_path / "units.txt")
    assert refused(caught) == "Không đọc được tệp units.txt: cần tệp .csv, .xlsx hoặc .yaml"
    with pytest.raises(ImportRejected) as caught:
        read_rows(tmp_path / "none.csv")
    assert refused(caught) == f"Không tìm thấy tệp {tmp_path / 'none.csv'}"


# --- checking ------------------------------------------------------------------------------------

ROOT = ("DUK", "Đảng ủy Khối", None, "Đảng ủy Khối")


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ((None, "Chi bộ", "DUK", "chi bộ"), "Dòng 3, cột code: thiếu mã đơn vị"),
        (("CB1", None, "DUK", "chi bộ"), "Dòng 3, cột name: thiếu tên đơn vị"),
        (
            ("CB1", "Chi bộ", "DUK", None),
            "Dòng 3, cột kind: thiếu loại đơn vị (ví dụ: chi bộ, đảng bộ cơ sở, ban, đoàn thể)",
        ),
        (
            ("CB1", "Chi bộ", "DUK", "tổ"),
            "Dòng 3, cột kind: không rõ loại đơn vị 'tổ' (dùng: Đảng ủy Khối, đảng bộ cơ sở,"
            " chi bộ, ban, đoàn thể)",
        ),
        (
            ("CB 1", "Chi bộ", "DUK", "chi bộ"),
            "Dòng 3, cột code: mã 'CB 1' có dấu cách; mã chỉ gồm chữ, số, không cách",
        ),
        (
            ("X" * 21, "Chi bộ", "DUK", "chi bộ"),
            f"Dòng 3, cột code: mã '{'X' * 21}' dài 21 ký tự, tối đa 20",
        ),
        (("duk", "Chi bộ", None, "chi bộ"), "Dòng 3, cột code: mã 'duk' trùng với dòng 2"),
        (("CB1", "Chi bộ", "CB99", "chi bộ"), "Dòng 3, cột parent: không có đơn vị mã 'CB99'"),
        (
            ("CB1", "Chi bộ", "CB1", "chi bộ"),
            "Dòng 3, cột parent: đơn vị 'CB1' nằm dưới chính nó (CB1 → CB1)",
        ),
    ],
)
def test_each_bad_row_is_reported_with_its_row_field_and_reason(
    bad: tuple[str | None, str | None, str | None, str | None], expected: str
) -> None:
    plan = plan_import(rows(ROOT, bad), existing=[])
    assert messages(plan.errors) == [expected]
    assert plan.units == ()


def test_a_row_whose_parent_is_unknown_is_refused_naming_the_row_and_the_code() -> None:
    plan = plan_import(rows(ROOT, ("CB1", "Chi bộ 1", "CB99", "chi bộ")), existing=[])
    [error] = plan.errors
    assert (error.row, error.field, error.reason, error.values) == (
        3,
        "parent",
        "unknown_parent",
        {"parent": "CB99"},
    )
    assert error.line(TEXTS) == "Dòng 3, cột parent: không có đơn vị mã 'CB99'"
    assert plan.units == ()


def test_a_code_up_to_twenty_characters_is_accepted() -> None:
    plan = plan_import(rows(ROOT, ("X" * 20, "Chi bộ", "DUK", "chi bộ")), existing=[])
    assert plan.errors == ()


def test_a_cycle_inside_the_file_is_reported_on_every_row_of_the_loop() -> None:
    plan = plan_import(
        rows(ROOT, ("A", "Vòng A", "B", "chi bộ"), ("B", "Vòng B", "A", "chi bộ")), existing=[]
    )
    assert messages(plan.errors) == [
        "Dòng 3, cột parent: đơn vị 'A' nằm dưới chính nó (A → B → A)",
        "Dòng 4, cột parent: đơn vị 'B' nằm dưới chính nó (B → A → B)",
    ]


def test_a_cycle_through_units_already_in_the_database_is_reported() -> None:
    existing = [
        Unit(1, "DUK", "Đảng ủy Khối", UnitKind.COMMITTEE, None),
        Unit(2, "CB1", "Chi bộ 1", UnitKind.CELL, 1),
    ]
    plan = plan_import(rows(("DUK", "Đảng ủy Khối", "CB1", "Đảng ủy Khối")), existing)
    assert messages(plan.errors) == [
        "Dòng 2, cột parent: đơn vị 'DUK' nằm dưới chính nó (DUK → CB1 → DUK)"
    ]


def test_a_row_with_a_bad_code_does_not_also_make_its_children_unknown_parents() -> None:
    plan = plan_import(
        rows(("CB 1", "Chi bộ", None, "chi bộ"), ("T1", "Tổ 1", "CB 1", "chi bộ")), existing=[]
    )
    assert [e.row for e in plan.errors] == [2]


def test_parents_are_written_before_children_even_when_they_come_later_in_the_file() -> None:
    plan = plan_import(
        rows(
            ("CB03", "Chi bộ Thời sự", "DB02", "chi bộ"),
            ("DB02", "Đảng bộ Đài", "DUK", "đảng bộ"),
            ROOT,
        ),
        existing=[],
    )
    assert [p.unit.code for p in plan.units] == ["DUK", "DB02", "CB03"]
    assert all(p.change is Change.CREATE for p in plan.units)


def test_a_parent_may_already_be_in_the_database_under_another_spelling() -> None:
    existing = [Unit(1, "DUK", "Đảng ủy Khối", UnitKind.COMMITTEE, None)]
    plan = plan_import(rows(("CB1", "Chi bộ 1", "duk", "chi bộ")), existing)
    assert plan.errors == ()
    assert plan.units[0].unit.parent_code == "DUK"


def test_units_are_marked_created_updated_or_unchanged_against_the_database() -> None:
    existing = [
        Unit(1, "DUK", "Đảng ủy Khối", UnitKind.COMMITTEE, None),
        Unit(2, "CB1", "Chi bộ 1", UnitKind.CELL, 1),
        Unit(3, "CB2", "Chi bộ 2", UnitKind.CELL, 1),
    ]
    plan = plan_import(
        rows(
            ROOT,
            ("CB1", "Chi bộ Một", "DUK", "chi bộ"),
            ("CB2", "Chi bộ 2", "CB3", "chi bộ"),
            ("CB3", "Chi bộ 3", "DUK", "chi bộ"),
        ),
        existing,
    )
    changes = {p.unit.code: p.change for p in plan.units}
    assert changes == {
        "DUK": Change.SAME,
        "CB1": Change.UPDATE,
        "CB2": Change.UPDATE,
        "CB3": Change.CREATE,
    }
    assert [p.unit.code for p in plan.units].index("CB3") < [p.unit.code for p in plan.units].index(
        "CB2"
    )
