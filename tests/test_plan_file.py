"""Plan files: the sample plan imports as the clerk wrote it, every mistake is reported with its
line, nothing is half-imported, published plans are protected; Excel; `dondoc plan`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner, Result

from bot.cli_plan import plan_app
from bot.domain import Audience, PlanStatus, Quota, ReminderPolicy, Repeat, UnitKind
from bot.forms import check_custom_form, custom_form, resolve_form
from bot.plan_file import (
    PlanFileError,
    import_plan,
    import_plan_file,
    load_plan_file,
    write_xlsx_template,
)
from bot.services import Services
from bot.settings import load_settings
from messages import Texts
from storage.db import Database
from storage.units import UnitRepository
from tests.conftest import SAMPLE_UNITS, START

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "laocai-65nam-2024.yaml"
BAD = DATA / "bad_plans"


async def _errors(services: Services, path: Path) -> list[Any]:
    with pytest.raises(PlanFileError) as caught:
        await load_plan_file(path, services.repos.units, texts=services.texts)
    return caught.value.errors


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """\
plan: {{number: "{number}", title: "Kế hoạch nhỏ", issued: 2024-01-05}}
tasks:
{tasks}
"""


def _small(tmp_path: Path, tasks: str, number: str = "185-KH/ĐUK") -> Path:
    return _write(tmp_path, "small.yaml", SMALL.format(number=number, tasks=tasks))


async def test_a_quota_says_what_it_counts_or_the_task_s_words_do(
    org: Services, tmp_path: Path
) -> None:
    path = _small(
        tmp_path,
        """\
  - {ref: "1", title: "Kết nạp đảng viên mới", when: "trước ngày 20/4/2024", audience: all,
     form: count, quota: {per_unit_min: 1, what: "quần chúng ưu tú được kết nạp"}}
  - {ref: "2", title: "Giới thiệu ít nhất 01 đảng viên tiêu biểu", when: "trước ngày 20/4/2024",
     audience: all, form: count, quota: {per_unit_min: 1}}
  - {ref: "3", title: "Tổng kết", when: "trước ngày 20/4/2024", audience: all, form: count,
     quota: {per_unit_max: 3}}
""",
    )
    plan = await import_plan(org, path)
    tasks = await org.repos.plans.tasks(plan.id)
    assert [t.quota.what for t in tasks] == ["quần chúng ưu tú được kết nạp", "đảng viên", None]


# ---------------------------------------------------------------------------------------------
# The sample plan


async def test_the_sample_plan_imports_as_a_draft_with_its_tasks_windows_and_quotas(
    org: Services,
) -> None:
    plan = await import_plan(org, SAMPLE)
    assert (plan.number, plan.status, plan.issued) == (
        "185-KH/ĐUK",
        PlanStatus.DRAFT,
        date(2024, 1, 5),
    )
    assert plan.issuer == "Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh Lào Cai"
    assert plan.policy == ReminderPolicy(before=(7, 3, 1, 0), after_every=2, after_times=3)
    tasks = {t.ref: t for t in await org.repos.plans.tasks(plan.id)}
    assert list(tasks) == [
        "II.1", "II.2.a", "II.2.b", "II.3", "II.4", "II.5", "II.6", "II.7", "II.8", "III.2"
    ]  # fmt: skip
    vp = await org.repos.units.by_code("VP")
    assert vp is not None

    nominations = tasks["II.6"]
    assert (nominations.start, nominations.due) == (date(2023, 12, 1), date(2024, 4, 20))
    assert nominations.when_words == "trước ngày 20/4/2024"
    assert (nominations.form, nominations.quota) == ("nomination", Quota(total=85))
    assert nominations.lead_unit_id == vp.id
    assert nominations.audience == Audience(all=True)
    assert nominations.policy == ReminderPolicy(before=(10, 5, 2, 0))

    articles = tasks["II.2.a"]
    assert articles.repeat is Repeat.MONTHLY
    assert (articles.start, articles.due) == (date(2024, 1, 1), date(2024, 5, 10))
    assert articles.support == ("CBBAO", "DBPT")
    assert articles.quota == Quota(per_unit_min=1)
    assert articles.quota.what == "bài viết"  # "ít nhất một bài viết" in its details

    key_tasks = tasks["II.1"]
    assert key_tasks.quota == Quota(per_unit_min=1, per_unit_max=2)
    assert key_tasks.quota.what == "nội dung"  # "từ 1 đến 2 nội dung" in its title
    assert (key_tasks.start, key_tasks.due) == (date(2023, 12, 1), date(2024, 4, 30))

    seminar = tasks["II.3"]
    assert (seminar.start, seminar.due) == (date(2024, 4, 1), date(2024, 4, 30))
    assert seminar.when_words == "dự kiến trong tháng 4/2024"

    volleyball = tasks["II.5"]
    assert (volleyball.form, volleyball.quota) == ("registration", Quota(per_unit_max=1))
    assert volleyball.due == date(2024, 5, 4)

    assert tasks["II.4"].audience == Audience(units=("VP",))
    ongoing = tasks["III.2"]
    assert ongoing.due is None and ongoing.when_words == "thường xuyên"
    assert ongoing.audience == Audience(kinds=(UnitKind.CELL, UnitKind.PARTY_COMMITTEE))


async def test_in_the_sample_plan_each_task_asks_for_what_the_plan_asks_units_to_send(
    org: Services,
) -> None:
    plan = await import_plan(org, SAMPLE)
    plan_forms = await org.repos.plans.forms(plan.id)
    tasks = await org.repos.plans.tasks(plan.id)
    forms = {t.ref: resolve_form(t.form, plan_forms, t.quota) for t in tasks}

    def asked(ref: str) -> list[tuple[str, str, bool]]:
        return [(f.prompt, f.kind, f.required) for f in forms[ref].fields]

    # II.8 asks for the article and its photos, as files, and its title and author
    assert asked("II.8") == [
        ("Tên bài viết", "text", True),
        ("Tác giả (họ tên, chức vụ; hoặc tên chi, đảng bộ nếu là bài của tập thể)", "text", True),
        ("Tệp bài viết (Word hoặc PDF)", "file", True),
        ("Ảnh minh họa", "photo", True),
        ("Chú thích ảnh", "text", False),
    ]
    # II.3 asks who is sent to the seminar: name, position (Bí thư or Phó Bí thư), phone
    assert asked("II.3") == [
        ("Họ và tên đồng chí được cử dự Hội thảo", "text", True),
        ("Chức vụ trong cấp ủy", "choice", True),
        ("Số điện thoại liên hệ", "text", True),
    ]
    position = forms["II.3"].field("chuc_vu")
    assert position is not None
    assert [o.label for o in position.options] == ["Bí thư", "Phó Bí thư"]
    # II.7: the secretary who attends the anniversary meeting
    assert [(kind, prompt) for prompt, kind, _ in asked("II.7")] == [
        ("text", "Họ và tên đồng chí Bí thư dự Gặp mặt"),
        ("text", "Chức vụ (đảng, chính quyền)"),
        ("text", "Số điện thoại liên hệ"),
    ]
    # the volleyball team alone registers a team; the emulation's report is the nominations
    assert [ref for ref, form in forms.items() if form.name == "registration"] == ["II.5"]
    assert forms["II.6"].name == "nomination"


def test_the_sandbox_plays_the_sample_plan_with_the_same_tasks_and_forms() -> None:
    def read(path: Path) -> tuple[Any, list[tuple[str, str]]]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return data["forms"], [(t["ref"], t["form"]) for t in data["tasks"]]

    sandbox = Path(__file__).parent.parent / "bot" / "sandbox" / "data" / SAMPLE.name
    assert read(sandbox) == read(SAMPLE)


async def test_when_words_are_kept_as_written_and_due_alone_leaves_them_empty(
    org: Services, tmp_path: Path
) -> None:
    path = _small(
        tmp_path,
        """\
  - {ref: "1", title: "Theo lời kế hoạch", when: "  dự kiến   trong tháng 4/2024 ", audience: all}
  - {ref: "2", title: "Chỉ có hạn", due: 20/4/2024, audience: all}
  - {ref: "3", title: "Hạn thắng", when: "trong tháng 4/2024", due: 2024-04-25, audience: all}
  - {ref: "4", title: "Lời lạ", when: "trước buổi gặp mặt", due: 2024-05-09, audience: all}
  - {ref: "5", title: "Hằng tháng", when: "hằng tháng", audience: chi bộ}""",
    )
    new = await load_plan_file(path, org.repos.units)
    by_ref = {t.ref: t for t in new.tasks}
    assert by_ref["1"].when_words == "dự kiến trong tháng 4/2024"
    assert (by_ref["1"].start, by_ref["1"].due) == (date(2024, 4, 1), date(2024, 4, 30))
    assert (by_ref["2"].when_words, by_ref["2"].due) == ("", date(2024, 4, 20))
    assert (by_ref["3"].start, by_ref["3"].due) == (date(2024, 4, 1), date(2024, 4, 25))
    assert (by_ref["4"].when_words, by_ref["4"].due) == ("trước buổi gặp mặt", date(2024, 5, 9))
    assert (by_ref["5"].repeat, by_ref["5"].due) == (Repeat.MONTHLY, None)
    assert by_ref["5"].audience == Audience(kinds=(UnitKind.CELL,))


async def test_refs_and_numbers_are_kept_as_written_not_as_yaml_numbers(
    org: Services, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "numbers.yaml",
        "plan: {number: 185, title: T}\n"
        "tasks:\n  - {ref: 2.10, title: A, due: 2024-04-20, audience: [CBVP]}\n",
    )
    new = await load_plan_file(path, org.repos.units)
    assert (new.number, new.tasks[0].ref) == ("185", "2.10")


async def test_a_custom_form_named_in_forms_is_accepted_and_kept(
    org: Services, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "forms.yaml",
        "plan: {number: 1-KH, title: T, issued: 2024-01-05}\n"
        "forms:\n  bai_tap_san: {title: Bài viết, fields: [{name: tieu_de, kind: text,"
        " prompt: Tên bài viết, max_length: 200}]}\n"
        "tasks:\n  - {ref: '1', title: A, due: 2024-03-31, audience: all, form: bai_tap_san}\n",
    )
    plan = await import_plan(org, path)
    forms = await org.repos.plans.forms(plan.id)
    assert forms == {
        "bai_tap_san": {
            "title": "Bài viết",
            "fields": [
                {"name": "tieu_de", "kind": "text", "prompt": "Tên bài viết", "max_length": 200}
            ],
        }
    }
    [task] = await org.repos.plans.tasks(plan.id)
    assert task.form == "bai_tap_san"
    assert resolve_form(task.form, forms, Quota()).fields[0].prompt == "Tên bài viết"


async def test_a_bad_custom_form_refuses_the_plan_naming_the_form_and_the_problem(
    org: Services,
) -> None:
    errors = await _errors(org, BAD / "bad_forms.yaml")
    reasons = [e.reason for e in errors]
    assert reasons[0] == (
        'Biểu mẫu "cu_di_hoc", câu 2 (chuc_vu): câu chọn (choice) cần từ 2 đến 12 lựa chọn'
        " trong options, đang có 0."
    )
    assert 'câu 3 (ho_ten): tên "ho_ten" đã dùng cho câu 1' in reasons[1]
    assert reasons[2].endswith('không có trường "type"; có phải là "kind"?')
    assert 'Biểu mẫu "khong_dung", nhóm lặp lại: nhóm chưa có câu hỏi nào' in reasons[-1]
    with pytest.raises(PlanFileError):  # all or nothing
        await import_plan(org, BAD / "bad_forms.yaml")
    assert await _plan_rows(org) == 0


@pytest.mark.parametrize(
    ("form", "code"),
    [
        (
            {"title": "T", "fields": [{"name": "a", "kind": "choice", "prompt": "P"}]},
            "choice_options",
        ),
        ({"title": "T", "fields": [{"name": "a", "kind": "choce", "prompt": "P"}]}, "bad_kind"),
        ({"title": "T", "fields": [{"name": "họ tên", "kind": "text", "prompt": "P"}]}, "bad_name"),
        (
            {"title": "T", "fields": [{"name": "a", "kind": "text", "prompt": "@forms.ask_note"}]},
            "at_sign",
        ),
        ({"title": "T", "fields": [{"name": "a", "kind": "text", "prompt": "  "}]}, "empty"),
        ({"title": "T", "fields": [{"name": "a", "kind": "text", "prompt": ""}]}, "empty"),
        (
            {
                "title": "T",
                "fields": [{"name": "a", "kind": "choice", "prompt": "P", "options": ["Có", ""]}],
            },
            "empty_option",
        ),
        (
            {"title": "T", "fields": [{"name": "a", "kind": "number", "prompt": "P", "min": "x"}]},
            "not_number",
        ),
        (
            {
                "title": "T",
                "fields": [{"name": "a", "kind": "file", "prompt": "P", "max_files": 50}],
            },
            "too_large",
        ),
        ({"title": "T", "fields": []}, "no_questions"),
        (
            {
                "title": "T",
                "group": {
                    "min": 3,
                    "max": 1,
                    "fields": [{"name": "a", "kind": "text", "prompt": "P"}],
                },
            },
            "group_min_max",
        ),
        (
            {
                "title": "T",
                "group": {
                    "item": "@forms.entry",
                    "fields": [{"name": "a", "kind": "text", "prompt": "P"}],
                },
            },
            "at_sign",
        ),
        ({"fields": [{"name": "a", "kind": "text", "prompt": "P"}]}, "required"),
        ({"title": "T", "fields": ["a"]}, "not_mapping"),
    ],
)
def test_each_problem_of_a_custom_form_is_found_before_a_unit_opens_it(
    form: dict[str, Any], code: str
) -> None:
    assert [p.code for p in check_custom_form(form)] == [code]
    # the message that says it renders with the values found
    texts = Texts("vi")
    [problem] = check_custom_form(form)
    assert texts(f"plan_file.form_{problem.code}", where="Biểu mẫu", **problem.values)


def test_a_form_that_passes_the_check_opens() -> None:
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["forms"]
    for name, form in data.items():
        assert check_custom_form(form) == [], name
        assert custom_form(name, form).fields


async def test_an_audience_mixing_kinds_and_unit_codes_is_refused(
    org: Services, tmp_path: Path
) -> None:
    path = _small(tmp_path, '  - {ref: "1", title: A, due: 2024-04-20, audience: [chi bộ, VP]}')
    [error] = await _errors(org, path)
    assert (error.field, error.code) == ("audience", "bad_audience")


# ---------------------------------------------------------------------------------------------
# Mistakes


def _expected(path: Path) -> list[tuple[int, str, str]]:
    """The `# expect: dòng N, trường X: code` lines at the top of a bad plan file."""
    found = re.findall(r"^# expect: dòng (\d+), trường ([\w.]+): (\w+)$", path.read_text(), re.M)
    return [(int(line), field, code) for line, field, code in found]


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.yaml")))
async def test_a_bad_plan_file_reports_each_mistake_with_its_line_and_field(
    org: Services, name: str
) -> None:
    path = BAD / name
    expected = _expected(path)
    assert expected, f"{name} says what it expects"
    errors = await _errors(org, path)
    assert [(e.line, e.field, e.code) for e in errors] == expected
    for error, (line, field, _code) in zip(errors, expected, strict=True):
        assert str(error).startswith(f"{name}, dòng {line}, trường {field}: ")
        assert error.reason and not re.search(r"[<>]", error.reason)


async def test_error_lines_say_what_is_wrong_in_vietnamese(org: Services) -> None:
    [missing] = await _errors(org, BAD / "missing_due.yaml")
    assert (
        str(missing) == "missing_due.yaml, dòng 10, trường due: Thiếu hạn: cần `due` hoặc `when`."
    )
    [typo] = await _errors(org, BAD / "unknown_key.yaml")
    assert 'có phải là "due"' in typo.reason
    [unit] = await _errors(org, BAD / "unknown_unit_audience.yaml")
    assert '"BTG"' in unit.reason


async def test_a_yaml_syntax_error_names_its_line(org: Services, tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.yaml", 'plan: {number: "1", title: T}\ntasks:\n  - ref: [1\n')
    [error] = await _errors(org, path)
    assert error.code == "yaml_syntax" and error.line == 4


async def test_a_missing_file_and_an_unknown_file_type_are_refused(
    org: Services, tmp_path: Path
) -> None:
    [missing] = await _errors(org, tmp_path / "none.yaml")
    assert missing.code == "file_missing"
    [kind] = await _errors(org, _write(tmp_path, "plan.docx", "x"))
    assert kind.code == "file_type"


# ---------------------------------------------------------------------------------------------
# Saving


async def _plan_rows(services: Services) -> int:
    return int(await services.db.fetch_value("SELECT COUNT(*) FROM plans"))


async def test_nothing_is_half_imported_when_a_file_has_errors(org: Services) -> None:
    with pytest.raises(PlanFileError):
        await import_plan(org, BAD / "several_errors.yaml")
    assert await _plan_rows(org) == 0
    assert await org.db.fetch_value("SELECT COUNT(*) FROM tasks") == 0


async def test_reimporting_a_draft_replaces_its_tasks(org: Services, tmp_path: Path) -> None:
    first = await import_plan(org, SAMPLE)
    path = _small(
        tmp_path, '  - {ref: "X", title: "Chỉ còn một việc", due: 2024-06-01, audience: all}'
    )
    second = await import_plan(org, path)
    assert second.id == first.id and second.title == "Kế hoạch nhỏ"
    assert [t.ref for t in await org.repos.plans.tasks(second.id)] == ["X"]
    assert await _plan_rows(org) == 1


async def test_importing_over_a_published_plan_is_refused_without_amend(org: Services) -> None:
    plan = await import_plan(org, SAMPLE)
    await org.repos.plans.mark_published(plan.id, org.clock.now())
    with pytest.raises(PlanFileError) as caught:
        await import_plan(org, SAMPLE)
    [error] = caught.value.errors
    assert error.code == "plan_published" and error.field == "plan.number"
    assert error.line == 15 and "--amend" in error.reason
    assert len(await org.repos.plans.tasks(plan.id)) == 10


async def test_amend_hands_a_published_plan_to_the_publishing_service(
    org: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan = await import_plan(org, SAMPLE)
    await org.repos.plans.mark_published(plan.id, org.clock.now())
    calls: list[Any] = []

    async def amend(services: Services, old: Any, new: Any) -> Any:
        calls.append((old.id, new.number, [t.ref for t in new.tasks]))
        return SimpleNamespace(added=["X"], moved=[], changed=[], cancelled=[], messages=0)

    monkeypatch.setattr("bot.publishing.amend", amend)
    path = _small(tmp_path, '  - {ref: "X", title: "Việc mới", due: 2024-06-01, audience: all}')
    result = await import_plan_file(org, path, amend=True)
    assert calls == [(plan.id, "185-KH/ĐUK", ["X"])]
    assert result.plan.id == plan.id and result.amendment is not None


async def test_a_draft_is_saved_even_with_amend(org: Services) -> None:
    plan = await import_plan(org, SAMPLE, amend=True)
    assert plan.status is PlanStatus.DRAFT


# ---------------------------------------------------------------------------------------------
# Excel


def _fill_template(path: Path, rows: list[dict[str, object]], plan: dict[str, object]) -> None:
    book = openpyxl.load_workbook(path)
    tasks, sheet = book["tasks"], book["plan"]
    columns = {cell.value: cell.column for cell in tasks[1]}
    for offset, row in enumerate(rows):
        for name, value in row.items():
            tasks.cell(row=2 + offset, column=columns[name], value=value)
    keys = {sheet.cell(row=r, column=1).value: r for r in range(1, sheet.max_row + 1)}
    for key, value in plan.items():
        sheet.cell(row=keys[key], column=2, value=value)
    book.save(path)


PLAN_ROWS: dict[str, object] = {
    "number": "200-KH/ĐUK",
    "title": "Kế hoạch từ Excel",
    "issued": datetime(2024, 1, 5),
    "issuer": "Đảng ủy Khối",
}


async def test_the_xlsx_template_round_trips(org: Services, tmp_path: Path) -> None:
    path = write_xlsx_template(tmp_path / "plan.xlsx")
    _fill_template(
        path,
        [
            {
                "ref": "II.6",
                "title": "Danh sách đề nghị khen thưởng",
                "due": datetime(2024, 4, 20),
                "audience": "all",
                "lead": "VP",
                "form": "nomination",
                "quota_total": 85,
            },
            {
                "ref": "II.1",
                "title": "Nội dung trọng tâm",
                "start": "1/12/2023",
                "when": "trước ngày 30/4/2024",
                "audience": "CBVP, CBBAO",
                "support": "VP, DBPT",
                "form": "count",
                "quota_per_unit_min": 1,
                "quota_per_unit_max": 2,
            },
        ],
        PLAN_ROWS,
    )
    plan = await import_plan(org, path)
    assert (plan.number, plan.title, plan.issued) == (
        "200-KH/ĐUK",
        "Kế hoạch từ Excel",
        date(2024, 1, 5),
    )
    first, second = await org.repos.plans.tasks(plan.id)
    assert (first.ref, first.due, first.when_words, first.form) == (
        "II.6", date(2024, 4, 20), "", "nomination"
    )  # fmt: skip
    assert first.quota == Quota(total=85) and first.audience == Audience(all=True)
    assert (second.start, second.due) == (date(2023, 12, 1), date(2024, 4, 30))
    assert second.when_words == "trước ngày 30/4/2024"
    assert second.audience == Audience(units=("CBVP", "CBBAO"))
    assert second.support == ("VP", "DBPT")
    assert second.quota == Quota(per_unit_min=1, per_unit_max=2)


async def test_xlsx_errors_name_the_sheet_row(org: Services, tmp_path: Path) -> None:
    path = write_xlsx_template(tmp_path / "bad.xlsx")
    _fill_template(
        path,
        [
            {"ref": "1", "title": "A", "due": "20/4/2024", "audience": "all", "lead": "BTG"},
            {"ref": "2", "title": "B", "due": "abc", "audience": "all", "quota_total": -1},
        ],
        {**PLAN_ROWS, "number": None},
    )
    errors = await _errors(org, path)
    assert [str(e).split(":")[0] for e in errors] == [
        "bad.xlsx, trang plan, dòng 1, trường number",
        "bad.xlsx, dòng 2, trường lead",
        "bad.xlsx, dòng 3, trường due",
        "bad.xlsx, dòng 3, trường quota_total",
    ]


# ---------------------------------------------------------------------------------------------
# dondoc plan ...


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Its own data dir, no token (so the sandbox database), the sample units loaded."""
    for name in list(os.environ):
        if name.startswith("DONDOC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)

    async def load_units() -> None:
        db = await Database.open(load_settings().db_path)
        try:
            async with db.transaction():
                await UnitRepository(db).upsert_many(SAMPLE_UNITS, START)
        finally:
            await db.close()

    asyncio.run(load_units())
    return tmp_path


def plan_cli(*args: str | Path) -> Result:
    return CliRunner().invoke(plan_app, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = plan_cli(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def test_cli_import_prints_the_draft_or_json(cli_env: Path) -> None:
    text = ok("import", SAMPLE).stdout
    assert "185-KH/ĐUK" in text and "10 nhiệm vụ" in text and "bản nháp" in text
    data = json.loads(ok("import", SAMPLE, "--json").stdout)
    assert data["plan"]["number"] == "185-KH/ĐUK" and data["plan"]["status"] == "draft"
    assert data["plan"]["issued"] == "2024-01-05"
    tasks = {t["ref"]: t for t in data["tasks"]}
    assert tasks["II.6"]["due"] == "2024-04-20" and tasks["II.6"]["start"] == "2023-12-01"
    assert tasks["II.6"]["when_words"] == "trước ngày 20/4/2024"
    assert tasks["II.6"]["quota"]["total"] == 85 and tasks["II.6"]["lead"] == "VP"
    assert tasks["II.6"]["audience"] == "all"
    assert tasks["III.2"]["audience"] == {"kinds": ["cell", "party_committee"]}
    assert tasks["II.2.a"]["repeat"] == "monthly"


def test_cli_import_prints_every_error_line_and_writes_nothing(cli_env: Path) -> None:
    result = plan_cli("import", BAD / "several_errors.yaml")
    assert result.exit_code == 1
    assert "several_errors.yaml, dòng 16, trường due: Thiếu hạn" in result.stderr
    assert "several_errors.yaml, dòng 22, trường lead:" in result.stderr
    assert len(re.findall(r"several_errors\.yaml, dòng \d+", result.stderr)) == 8
    with sqlite3.connect(load_settings().db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM plans").fetchone() == (0,)
    data = json.loads(plan_cli("import", BAD / "missing_due.yaml", "--json").stdout)
    assert data["ok"] is False and data["errors"][0]["line"] == 10


def test_cli_show_and_list(cli_env: Path) -> None:
    ok("import", SAMPLE)
    shown = ok("show", "185-KH/ĐUK").stdout
    assert "Kế hoạch 185-KH/ĐUK" in shown and "bản nháp" in shown
    assert "II.6. Báo cáo kết quả đợt thi đua" in shown
    assert "trước ngày 20/4/2024" in shown and "hằng tháng" in shown
    assert "tổng số 85" in shown and "mỗi đơn vị từ 1 đến 2" in shown
    data = json.loads(ok("show", "1", "--json").stdout)
    assert [t["ref"] for t in data["tasks"]][:3] == ["II.1", "II.2.a", "II.2.b"]
    listed = json.loads(ok("list", "--json").stdout)
    assert [(p["number"], p["status"], p["tasks"], p["published_at"]) for p in listed] == [
        ("185-KH/ĐUK", "draft", 10, None)
    ]
    assert "185-KH/ĐUK" in ok("list").stdout
    missing = plan_cli("show", "999-KH")
    assert missing.exit_code == 1 and "999-KH" in missing.stderr


def test_cli_publish_prints_the_summary(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok("import", SAMPLE)
    published: list[str] = []

    async def publish(services: Services, plan: Any) -> Any:
        published.append(plan.number)
        return SimpleNamespace(units=4, deadlines=30, messages=4)

    monkeypatch.setattr("bot.publishing.publish", publish)
    text = ok("publish", "185-KH/ĐUK").stdout
    assert published == ["185-KH/ĐUK"]
    assert "4 đơn vị" in text and "30 hạn" in text


def test_cli_template_writes_a_workbook_to_start_from(cli_env: Path) -> None:
    out = cli_env / "mau.xlsx"
    assert "mau.xlsx" in ok("template", "--out", out).stdout
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["tasks", "plan"]
    assert [c.value for c in book["tasks"][1]][:5] == ["ref", "title", "details", "start", "due"]
    assert plan_cli("template", "--out", cli_env / "mau.csv").exit_code != 0
