"""Plan files: a plan (kế hoạch) and its tasks written by the office in YAML (the main format) or in
an Excel workbook made from `write_xlsx_template`, checked as a whole, then saved as a draft.

YAML::

    plan: {number: "185-KH/ĐUK", title: "...", issued: 2024-01-05, issuer: "Đảng ủy Khối ..."}
    reminders: {before: [7, 3, 1, 0], after_every: 2, after_times: 3, escalate: true}  # optional
    forms: {}          # optional: custom forms, name -> mapping (kept as written)
    tasks:
      - ref: "II.6"                  # unique in the plan
        title: "..."
        details: "..."               # optional
        start: 2023-12-01            # optional
        due: 2024-04-20              # and/or `when`, in the plan's own words
        when: "trước ngày 20/4/2024"
        repeat: monthly              # none|weekly|monthly|quarterly|yearly or "hằng tháng"...
        audience: all                # see below
        lead: VP                     # optional unit code (chủ trì)
        support: [CBBAO]             # optional unit codes (phối hợp), or "A, B"
        form: progress               # progress|nomination|registration|count|a name in `forms`
        quota: {per_unit_min: 1, per_unit_max: 2, total: 85}   # optional, numbers > 0
                                     # (+ what: "nội dung", what is counted; else read from
                                     # the title, when or details: "từ 1 đến 2 nội dung")
        reminders: {before: [3, 0]}  # optional: overrides the plan's policy field by field

Rules:

* Unknown keys are errors (with the nearest known key suggested), so a typo like `deu:` is caught.
  Dates are YAML dates (2024-04-20) or text "20/4/2024"; numbers must be whole numbers.
* The window: `when` is read with `bot.timeexpr.parse_when`, the plan's `issued` date as the
  reference for years left out. An explicit `start` wins for the start and an explicit `due` for
  the end. The `when` text (white space tidied) is kept as `when_words`, which is what people are
  shown; with only `due` the words are empty and display code formats the date. When `due` is
  given, `when` is display text only: words it cannot read ("trước ngày diễn ra buổi gặp mặt") are
  kept without an error. Without `due`, `when` must be understood.
* A task needs `due` or `when`. `when` may leave the end open only when it says the work is
  ongoing ("thường xuyên", "hằng tháng") or the task repeats; then due is None.
* `repeat` left out is taken from the `when` words ("mỗi tháng" -> monthly), else none.
* `audience`: `all` (every unit that reports: đảng bộ cơ sở and chi bộ); a unit kind (a
  `UnitKind` value or its Vietnamese name: "chi bộ", "đảng bộ cơ sở"...); a unit code; a list of
  kinds or a list of unit codes (not mixed); or `{kinds: [...]}` / `{units: [...]}`. A code that
  reads as a kind word (e.g. a unit coded "BAN") must be written as `{units: [BAN]}`.
* Checked against the database: unit codes of audience, lead and support exist; a custom form is
  defined in `forms`; refs are unique; due is not before start; quota per_unit_min <= per_unit_max.
* Every custom form in `forms` is checked as a unit would open it (`bot.forms.check_custom_form`:
  keys and types, a choice's 2 to 12 distinct options, field names used once, min <= max...),
  used by a task or not; each problem names the form and the question.

Every problem is collected, not just the first, as a `PlanError(file, location, field, reason)`:
location "dòng N" is the line in the YAML file (from the composed node tree) or the row of the Excel
sheet; reason is Vietnamese from messages/vi/plan_file.j2 (the macro named by `code`).

Excel (.xlsx), see `write_xlsx_template`: a sheet "tasks" (else the first sheet that is not
"plan") with a header row of column names ref, title, details, start, due, when, repeat, audience,
lead, support, form, quota_per_unit_min, quota_per_unit_max, quota_total and one task per row
below it; a sheet "plan" with key/value rows (number, title, issued, issuer). Dates may be real date
cells or text "20/4/2024"; `audience` and `support` take codes separated by commas. Plan-wide
reminders and custom forms are YAML only.
"""

from __future__ import annotations

import difflib
import importlib
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, PlainValidator, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from bot.domain import Audience, Plan, PlanStatus, Quota, ReminderPolicy, Repeat, Unit, UnitKind
from bot.forms import check_custom_form
from bot.timeexpr import WhenError, find_recurrence, parse_when
from bot.units_import import parse_kind
from messages import Texts, plain, vn_date
from storage.plans import NewPlan, NewTask
from storage.units import UnitRepository

if TYPE_CHECKING:
    from bot.publishing import AmendSummary
    from bot.services import Services

PRESET_FORMS = ("progress", "nomination", "registration", "count")
DEFAULT_FORM = "progress"
XLSX_PLAN_SHEET = "plan"
XLSX_TASKS_SHEET = "tasks"
XLSX_PLAN_KEYS = ("number", "title", "issued", "issuer")
XLSX_COLUMNS = (
    "ref",
    "title",
    "details",
    "start",
    "due",
    "when",
    "repeat",
    "audience",
    "lead",
    "support",
    "form",
    "quota_per_unit_min",
    "quota_per_unit_max",
    "quota_total",
)
XLSX_REQUIRED_COLUMNS = ("ref", "title")
_QUOTA_COLUMNS = {f"quota_{name}": name for name in ("per_unit_min", "per_unit_max", "total")}

Loc = tuple[str | int, ...]
_M = TypeVar("_M", bound=BaseModel)


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class PlanError:
    """One problem of a plan file. `reason` and `message` are plain text (not HTML)."""

    file: str
    location: str  # "dòng 12", "trang plan, dòng 3", or "" for the file as a whole
    field: str  # "due", "quota.total", "plan.number"; "" when none
    reason: str
    line: int | None = None
    sheet: str = ""  # Excel: "" for the tasks sheet, "plan" for the plan sheet
    code: str = ""  # the macro of messages/vi/plan_file.j2 that gave the reason
    message: str = ""  # the whole line: "FILE, dòng N, trường X: lý do"

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
        }


class PlanFileError(Exception):
    """The plan file cannot be imported; `errors` holds every problem. Nothing was written."""

    def __init__(self, errors: Sequence[PlanError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = list(errors)


Place = tuple[int, str | None]  # line (or sheet row), sheet name (None: the main sheet / YAML)


@dataclass
class _Report:
    file: str
    texts: Texts
    field_name: Callable[[Loc], str]
    places: dict[Loc, Place] = field(default_factory=dict)
    errors: list[PlanError] = field(default_factory=list)

    def place(self, loc: Loc) -> Place | None:
        for end in range(len(loc), -1, -1):
            found = self.places.get(loc[:end])
            if found is not None:
                return found
        return None

    def line(self, loc: Loc) -> int | None:
        found = self.place(loc)
        return found[0] if found else None

    def add(self, loc: Loc, code: str, /, **values: object) -> None:
        self.add_at(self.place(loc) if loc else None, self.field_name(loc), code, **values)

    def add_at(self, place: Place | None, field_name: str, code: str, /, **values: object) -> None:
        location = ""
        if place is not None:
            location = self.texts("plan_file.location", line=place[0], sheet=place[1] or "")
        reason = plain(self.texts(f"plan_file.{code}", **values))
        message = plain(
            self.texts(
                "plan_file.error_line",
                file=self.file,
                location=plain(location),
                field=field_name,
                reason=reason,
            )
        )
        self.errors.append(
            PlanError(
                file=self.file,
                location=plain(location),
                field=field_name,
                reason=reason,
                line=place[0] if place else None,
                sheet=(place[1] or "") if place else "",
                code=code,
                message=message,
            )
        )

    def raise_if_any(self) -> None:
        if self.errors:
            # the "plan" sheet first, then the tasks (or the YAML file), each by line
            order = {XLSX_PLAN_SHEET: 0, "": 1}
            ordered = sorted(self.errors, key=lambda e: (order.get(e.sheet, 2), e.line or 0))
            raise PlanFileError(ordered)


def _show(value: object) -> str:
    """A value as the person wrote it, short enough for an error line."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return vn_date(value)
    text = value if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "…"


# ---------------------------------------------------------------------------------------------
# Values (the edge: each validator raises a PydanticCustomError named after its message macro)


def _fail(code: str, **ctx: object) -> NoReturn:
    raise PydanticCustomError(code, code, ctx)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        _fail("not_text", value=_show(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    _fail("not_text", value=_show(value))


def _required_text(value: object) -> str:
    text = _text(value)
    if not text:
        _fail("empty")
    return text


def _optional_text(value: object) -> str | None:
    if value is None:
        return None
    return _text(value) or None


_DMY = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")


def to_date(value: object) -> date:
    """A date from a YAML date, an Excel date cell, or text "20/4/2024" / "2024-04-20"."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _DMY.match(value)
        try:
            if match:
                day, month, year = (int(g) for g in match.groups())
                return date(year, month, day)
            if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
                return date.fromisoformat(value.strip())
        except ValueError:
            pass
    _fail("not_date", value=_show(value))


def _optional_date(value: object) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_date(value)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail("not_int", value=_show(value))
    return value


def _optional_positive(value: object) -> int | None:
    if value is None:
        return None
    number = _int(value)
    if number <= 0:
        _fail("not_positive", value=number)
    return number


def _positive(value: object) -> int:
    number = _optional_positive(value)
    if number is None:
        _fail("not_int", value="")
    return number


def _count(value: object) -> int:
    number = _int(value)
    if number < 0:
        _fail("not_day_count", value=number)
    return number


def _days(value: object) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        _fail("not_list", value=_show(value))
    return tuple(sorted({_count(v) for v in value}, reverse=True))


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        _fail("not_bool", value=_show(value))
    return value


def _repeat(value: object) -> Repeat | None:
    if value is None:
        return None
    text = _text(value)
    if not text:
        return None
    for candidate in (text.lower(), find_recurrence(text)):
        repeat = _as_repeat(candidate)
        if repeat is not None:
            return repeat
    _fail("bad_repeat", value=_show(value))


def _as_repeat(value: str | None) -> Repeat | None:
    try:
        return Repeat(value) if value else None
    except ValueError:
        return None  # "daily" and anything else a plan cannot repeat by


def unit_kind(text: str) -> UnitKind | None:
    """A UnitKind from its value ("cell") or a Vietnamese name ("chi bộ", "Đảng bộ cơ sở")."""
    if text in UnitKind._value2member_map_:
        return UnitKind(text)
    return parse_kind(text)


def _codes(value: object) -> tuple[str, ...]:
    """Unit codes: a list, or one text with commas or semicolons between codes."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p.strip() for p in re.split(r"[,;]", value) if p.strip())
    if not isinstance(value, list):
        _fail("not_list", value=_show(value))
    return tuple(_required_text(v) for v in value)


def _kinds(value: object) -> tuple[UnitKind, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        _fail("not_list", value=_show(value))
    kinds = []
    for item in items:
        kind = unit_kind(_required_text(item))
        if kind is None:
            _fail("bad_kind", value=_show(item))
        kinds.append(kind)
    return tuple(dict.fromkeys(kinds))


def _audience(value: object) -> Audience:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            _fail("empty")
        if text.lower() == "all":
            return Audience(all=True)
        kind = unit_kind(text)
        return Audience(kinds=(kind,)) if kind else Audience(units=(text,))
    if isinstance(value, list):
        texts = [_required_text(v) for v in value]
        if not texts:
            _fail("empty")
        kinds = [unit_kind(t) for t in texts]
        if all(k is not None for k in kinds):
            return Audience(kinds=tuple(dict.fromkeys(k for k in kinds if k is not None)))
        if any(k is not None for k in kinds):
            _fail("bad_audience", value=_show(", ".join(texts)))
        return Audience(units=tuple(dict.fromkeys(texts)))
    if isinstance(value, dict):
        keys = set(value)
        if keys == {"kinds"}:
            return Audience(kinds=_kinds(value["kinds"]))
        if keys == {"units"}:
            codes = _codes(value["units"])
            if not codes:
                _fail("empty")
            return Audience(units=codes)
        if keys == {"kinds", "units"}:
            _fail("audience_both")
    _fail("bad_audience", value=_show(value))


RequiredText = Annotated[str, PlainValidator(_required_text)]
Text = Annotated[str, PlainValidator(_text)]
OptionalText = Annotated[str | None, PlainValidator(_optional_text)]
OptionalDate = Annotated[date | None, PlainValidator(_optional_date)]
OptionalPositive = Annotated[int | None, PlainValidator(_optional_positive)]
Positive = Annotated[int, PlainValidator(_positive)]
Count = Annotated[int, PlainValidator(_count)]
Days = Annotated[tuple[int, ...], PlainValidator(_days)]
Bool = Annotated[bool, PlainValidator(_bool)]
OptionalRepeat = Annotated[Repeat | None, PlainValidator(_repeat)]
AudienceField = Annotated[Audience, PlainValidator(_audience)]
Codes = Annotated[tuple[str, ...], PlainValidator(_codes)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanHeaderModel(_Model):
    number: RequiredText
    title: RequiredText
    issued: OptionalDate = None
    issuer: Text = ""


class RemindersModel(_Model):
    before: Days = ReminderPolicy.before
    after_every: Positive = ReminderPolicy.after_every
    after_times: Count = ReminderPolicy.after_times
    escalate: Bool = ReminderPolicy.escalate

    def applied_to(self, base: ReminderPolicy) -> ReminderPolicy:
        """`base` with the fields this mapping sets."""
        return replace(base, **{name: getattr(self, name) for name in self.model_fields_set})


class QuotaModel(_Model):
    per_unit_min: OptionalPositive = None
    per_unit_max: OptionalPositive = None
    total: OptionalPositive = None
    what: OptionalText = None


class TaskModel(_Model):
    ref: RequiredText
    title: RequiredText
    details: Text = ""
    start: OptionalDate = None
    due: OptionalDate = None
    when: OptionalText = None
    repeat: OptionalRepeat = None
    audience: AudienceField
    lead: OptionalText = None
    support: Codes = ()
    form: RequiredText = DEFAULT_FORM
    quota: QuotaModel | None = None
    reminders: RemindersModel | None = None


class PlanFileModel(_Model):
    """The top level only: which keys there are. Each part is validated on its own so that a
    problem in one does not hide the problems of the others."""

    plan: Any
    reminders: Any = None
    forms: Any = None
    tasks: Any


_FORMS = TypeAdapter(dict[str, dict[str, Any]], config=ConfigDict(strict=True))
_MODEL_TYPES = ("model_type", "dict_type", "model_attributes_type")


def _known_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys a mapping at `loc` (inside `model`) may have."""
    current: type[BaseModel] = model
    for part in loc:
        info = current.model_fields.get(str(part))
        if info is None:
            break
        nested = [
            a
            for a in (info.annotation, *getattr(info.annotation, "__args__", ()))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if not nested:
            break
        current = nested[0]
    return list(current.model_fields)


def _validate(report: _Report, model: type[_M], data: object, prefix: Loc) -> _M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        _report_validation(report, exc, prefix, model)
        return None


def _report_validation(
    report: _Report, exc: ValidationError, prefix: Loc, model: type[BaseModel] | None
) -> None:
    for err in exc.errors():
        loc: Loc = prefix + tuple(err["loc"])
        kind = err["type"]
        ctx = dict(err.get("ctx") or {})
        if kind == "missing":
            report.add(loc, "required")
        elif kind == "extra_forbidden":
            key = str(err["loc"][-1])
            known = _known_keys(model, err["loc"][:-1]) if model else []
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
            report.add(loc, "unknown_key", key=key, suggestion=close[0] if close else "")
        elif kind in _MODEL_TYPES:
            report.add(loc, "not_mapping", value=_show(err["input"]))
        elif kind == "list_type":
            report.add(loc, "not_list", value=_show(err["input"]))
        elif kind == "string_type":
            report.add(loc, "not_text", value=_show(err["input"]))
        elif ctx.keys() == _MACRO_ARGS.get(kind, {None}):
            report.add(loc, kind, **ctx)
        else:
            report.add(loc, "invalid", value=_show(err["input"]))


_MACRO_ARGS: dict[str, set[str]] = {
    "not_text": {"value"},
    "empty": set(),
    "not_date": {"value"},
    "not_int": {"value"},
    "not_positive": {"value"},
    "not_day_count": {"value"},
    "not_bool": {"value"},
    "not_list": {"value"},
    "bad_repeat": {"value"},
    "bad_audience": {"value"},
    "audience_both": set(),
    "bad_kind": {"value"},
}


# ---------------------------------------------------------------------------------------------
# Reading YAML


def _yaml_field(loc: Loc) -> str:
    """The field of an error as the person knows it: "due", "quota.total", "plan.number"."""
    parts = loc[2:] if loc[:1] == ("tasks",) and len(loc) > 1 else loc
    return ".".join(str(p) for p in parts if not isinstance(p, int))


def _read_yaml(path: Path, report: _Report) -> object:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        report.add((), "file_unreadable", problem=str(exc))
        return None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            report.add((), "empty_file")
            return None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = (mark.line + 1, None) if mark is not None else None
        report.add_at(place, "", "yaml_syntax", problem=exc.problem or str(exc))
        return None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date like 2024-02-30
        report.add((), "yaml_syntax", problem=str(exc))
        return None
    finally:
        loader.dispose()
    raw: dict[Loc, str] = {}
    _index(node, (), report, raw)
    _keep_as_written(data, raw)
    return data


def _index(node: yaml.Node, loc: Loc, report: _Report, raw: dict[Loc, str]) -> None:
    """Record the line of every key and item, the text of every scalar; report repeated keys."""
    report.places.setdefault(loc, (node.start_mark.line + 1, None))
    if isinstance(node, yaml.ScalarNode):
        raw[loc] = str(node.value)
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            child = (*loc, key)
            report.places[child] = (key_node.start_mark.line + 1, None)
            if key in seen:
                report.add(child, "duplicate_key", key=key)
            seen.add(key)
            _index(value_node, child, report, raw)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*loc, i), report, raw)


def _keep_as_written(data: object, raw: dict[Loc, str]) -> None:
    """`ref: 2.10` and `number: 185` mean the text as written, not the numbers YAML makes."""
    if not isinstance(data, dict):
        return

    def fix(mapping: object, loc: Loc, key: str) -> None:
        value = mapping.get(key) if isinstance(mapping, dict) else None
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(mapping, dict) and number and (*loc, key) in raw:
            mapping[key] = raw[(*loc, key)]

    fix(data.get("plan"), ("plan",), "number")
    tasks = data.get("tasks")
    if isinstance(tasks, list):
        for i, task in enumerate(tasks):
            fix(task, ("tasks", i), "ref")


# ---------------------------------------------------------------------------------------------
# Reading Excel


def _xlsx_field(loc: Loc) -> str:
    if loc[:1] == ("plan",):
        return ".".join(str(p) for p in loc[1:])
    parts = [str(p) for p in (loc[2:] if loc[:1] == ("tasks",) else loc) if not isinstance(p, int)]
    if parts[:1] == ["quota"] and len(parts) > 1:
        return "quota_" + parts[1]
    return ".".join(parts)


def _cell_text(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _cell_number(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_xlsx(path: Path, report: _Report) -> object:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        report.add((), "file_unreadable", problem=str(exc))
        return None
    try:
        names = list(book.sheetnames)
        plan_rows: list[tuple[Any, ...]] = []
        if XLSX_PLAN_SHEET in names:
            plan_rows = [tuple(r) for r in book[XLSX_PLAN_SHEET].iter_rows(values_only=True)]
        tasks_name = XLSX_TASKS_SHEET if XLSX_TASKS_SHEET in names else None
        if tasks_name is None:
            tasks_name = next((n for n in names if n != XLSX_PLAN_SHEET), None)
        task_rows: list[tuple[Any, ...]] = []
        if tasks_name is not None:
            task_rows = [tuple(r) for r in book[tasks_name].iter_rows(values_only=True)]
    finally:
        book.close()
    data: dict[str, object] = {}
    if XLSX_PLAN_SHEET in names:
        data["plan"] = _xlsx_plan(plan_rows, report)
    else:
        report.add_at(None, "", "xlsx_no_plan_sheet")
        data["plan"] = {}
    data["tasks"] = _xlsx_tasks(task_rows, report)
    return data


def _xlsx_plan(rows: Sequence[tuple[Any, ...]], report: _Report) -> dict[str, object]:
    """Key/value rows; the key in column A, the value in column B (column C may hold a hint)."""
    plan: dict[str, object] = {}
    report.places[("plan",)] = (1, XLSX_PLAN_SHEET)
    for number, cells in enumerate(rows, start=1):
        key_cell = cells[0] if cells else None
        if _blank(key_cell):
            continue
        key = str(key_cell).strip().lower()
        value = cells[1] if len(cells) > 1 else None
        report.places[("plan", key)] = (number, XLSX_PLAN_SHEET)
        if key in plan:
            report.add(("plan", key), "duplicate_key", key=key)
            continue
        if not _blank(value):
            plan[key] = _cell_text(value) if key == "number" else value
        elif key not in XLSX_PLAN_KEYS:
            plan[key] = None  # an unknown key is reported even without a value
    return plan


def _xlsx_tasks(rows: Sequence[tuple[Any, ...]], report: _Report) -> list[dict[str, object]]:
    header = rows[0] if rows else ()
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        if _blank(title):
            continue
        name = str(title).strip().lower()
        if name in columns:
            report.add_at((1, None), name, "duplicate_key", key=name)
        elif name not in XLSX_COLUMNS:
            close = difflib.get_close_matches(name, XLSX_COLUMNS, n=1, cutoff=0.5)
            report.add_at(
                (1, None), name, "unknown_key", key=name, suggestion=close[0] if close else ""
            )
        else:
            columns[name] = index
    for name in XLSX_REQUIRED_COLUMNS:
        if name not in columns:
            report.add_at((1, None), name, "xlsx_missing_column", column=name)
    tasks: list[dict[str, object]] = []
    for number, cells in enumerate(rows[1:], start=2):
        values = {n: cells[i] for n, i in columns.items() if i < len(cells)}
        values = {n: v for n, v in values.items() if not _blank(v)}
        if not values:
            continue
        task: dict[str, object] = {}
        quota: dict[str, object] = {}
        for name, value in values.items():
            if name in _QUOTA_COLUMNS:
                quota[_QUOTA_COLUMNS[name]] = _cell_number(value)
            elif name == "audience":
                text = _cell_text(value)
                if isinstance(text, str) and re.search(r"[,;]", text):
                    text = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
                task[name] = text
            elif name == "when" and isinstance(value, datetime | date):
                task[name] = vn_date(value)
            elif name in ("ref", "lead", "support", "title", "details", "when", "form"):
                task[name] = _cell_text(value)
            else:
                task[name] = value
        if quota:
            task["quota"] = quota
        report.places[("tasks", len(tasks))] = (number, None)
        tasks.append(task)
    return tasks


# ---------------------------------------------------------------------------------------------
# Checking and converting


@dataclass
class _Units:
    """Unit codes looked up once each (codes compare without case, as the database does)."""

    repo: UnitRepository
    found: dict[str, Unit | None] = field(default_factory=dict)

    async def get(self, code: str) -> Unit | None:
        key = code.casefold()
        if key not in self.found:
            self.found[key] = await self.repo.by_code(code)
        return self.found[key]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def _convert(data: object, units: _Units, report: _Report, source: str) -> NewPlan | None:
    if not isinstance(data, dict):
        if data is not None:
            report.add((), "not_mapping", value=_show(data))
        return None
    try:
        PlanFileModel.model_validate(data)
    except ValidationError as exc:
        _report_validation(report, exc, (), PlanFileModel)

    header = (
        _validate(report, PlanHeaderModel, data.get("plan"), ("plan",)) if "plan" in data else None
    )
    policy: ReminderPolicy | None = None
    if data.get("reminders") is not None:
        reminders = _validate(report, RemindersModel, data["reminders"], ("reminders",))
        policy = reminders.applied_to(ReminderPolicy()) if reminders else None
    forms: dict[str, Any] = {}
    if data.get("forms") is not None:
        try:
            forms = _jsonable(_FORMS.validate_python(data["forms"]))
        except ValidationError as exc:
            _report_validation(report, exc, ("forms",), None)
        else:
            _check_forms(forms, report)

    raw_tasks = data.get("tasks")
    tasks: list[NewTask] = []
    if "tasks" in data:
        if not isinstance(raw_tasks, list):
            report.add(("tasks",), "not_list", value=_show(raw_tasks))
        elif not raw_tasks:
            report.add(("tasks",), "no_tasks")
        else:
            issued = header.issued if header else None
            first_line: dict[str, int | None] = {}
            for i, raw in enumerate(raw_tasks):
                loc: Loc = ("tasks", i)
                model, unsure = _task_model(report, raw, loc)
                if model is None:
                    continue
                if "ref" in unsure:
                    pass
                elif model.ref in first_line:
                    report.add(
                        (*loc, "ref"), "duplicate_ref", ref=model.ref, line=first_line[model.ref]
                    )
                else:
                    first_line[model.ref] = report.line((*loc, "ref"))
                task = await _task(model, unsure, loc, issued, policy, forms, units, report)
                if task is not None:
                    tasks.append(task)
    if header is None or report.errors:
        return None
    return NewPlan(
        number=header.number,
        title=header.title,
        issued=header.issued,
        issuer=header.issuer,
        source=source,
        policy=policy,
        forms=forms,
        tasks=tuple(tasks),
    )


def _check_forms(forms: Mapping[str, Any], report: _Report) -> None:
    """Every custom form, as a unit would open it: a bad one refuses the plan now (each problem
    named with its form and question), not when a unit reports, the office reviews or exports."""
    for name, form in forms.items():
        for problem in check_custom_form(form):
            where = report.texts(
                "plan_file.form_where",
                form=name,
                question=problem.question,
                number=problem.number,
                group=problem.in_group,
            )
            report.add(
                ("forms", name, *problem.loc),
                f"form_{problem.code}",
                where=plain(where),
                **problem.values,
            )


_WINDOW_FIELDS = frozenset({"start", "due", "when", "repeat"})
_PLACEHOLDERS = {"ref": "?", "title": "?", "audience": "all"}


def _counted(model: TaskModel, quota: QuotaModel) -> str | None:
    """What the quota counts, in the task's own words: the noun of the count in its title, details
    or `when` that has the quota's bounds ("từ 1 đến 2 nội dung" -> "nội dung"); else of the
    first count found; None when the words name none."""
    from bot.extract.quotas import find_quota  # bot.extract reads plans, not plan files

    found = [find_quota(text) for text in (model.title, model.details, model.when or "")]
    bounds = (quota.per_unit_min, quota.per_unit_max, quota.total)
    for q in found:
        if q.what and (q.per_unit_min, q.per_unit_max, q.total) == bounds:
            return q.what
    return next((q.what for q in found if q.what), None)


def _task_model(report: _Report, raw: object, loc: Loc) -> tuple[TaskModel | None, frozenset[str]]:
    """The task's model and the fields it is unsure of. When some fields are wrong, they are
    reported and the rest is validated again without them, so that the task's other problems
    (an unknown unit, a quota the wrong way round...) are reported too; the fields left out, and
    the fields an unknown key probably meant, are not checked further."""
    try:
        return TaskModel.model_validate(raw), frozenset()
    except ValidationError as exc:
        _report_validation(report, exc, loc, TaskModel)
        if not isinstance(raw, dict):
            return None, frozenset()
        unsure: set[str] = set()
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            unsure.add(name)
            if err["type"] == "extra_forbidden":
                known = list(TaskModel.model_fields)
                unsure.update(difflib.get_close_matches(name, known, n=1, cutoff=0.5))
        partial = {k: v for k, v in raw.items() if k in TaskModel.model_fields and k not in unsure}
        for name, placeholder in _PLACEHOLDERS.items():
            partial.setdefault(name, placeholder)
        try:
            return TaskModel.model_validate(partial), frozenset(unsure)
        except ValidationError:
            return None, frozenset()


async def _task(
    model: TaskModel,
    unsure: frozenset[str],
    loc: Loc,
    issued: date | None,
    plan_policy: ReminderPolicy | None,
    forms: Mapping[str, Any],
    units: _Units,
    report: _Report,
) -> NewTask | None:
    before = len(report.errors)
    start, due = model.start, model.due
    words = " ".join(model.when.split()) if model.when else ""
    repeat = model.repeat
    if repeat is None:
        repeat = _as_repeat(find_recurrence(words) if words else None) or Repeat.NONE
    if unsure & _WINDOW_FIELDS:
        pass  # already reported
    elif model.when is None and model.due is None:
        report.add((*loc, "due"), "missing_due")
    elif model.when is not None:
        try:
            window = parse_when(model.when, ref=issued)
        except WhenError as exc:
            if model.due is None:
                report.add((*loc, "when"), f"when_{exc.reason}", **exc.values)
        else:
            start = start if start is not None else window.start
            due = due if due is not None else window.end
            if due is None and window.kind != "ongoing" and repeat is Repeat.NONE:
                report.add((*loc, "when"), "open_end", words=words)
    if start is not None and due is not None and due < start and not unsure & _WINDOW_FIELDS:
        field_name = "due" if model.due is not None else "when"
        report.add((*loc, field_name), "due_before_start", start=vn_date(start), due=vn_date(due))

    audience = model.audience
    if audience.units:
        codes = []
        for code in audience.units:
            unit = await units.get(code)
            if unit is None:
                report.add((*loc, "audience"), "unknown_unit", code=code)
            else:
                codes.append(unit.code)
        audience = Audience(units=tuple(dict.fromkeys(codes)))
    lead_id: int | None = None
    if model.lead is not None:
        lead = await units.get(model.lead)
        if lead is None:
            report.add((*loc, "lead"), "unknown_unit", code=model.lead)
        else:
            lead_id = lead.id
    support: list[str] = []
    for code in model.support:
        unit = await units.get(code)
        if unit is None:
            report.add((*loc, "support"), "unknown_unit", code=code)
        else:
            support.append(unit.code)

    if model.form not in PRESET_FORMS and model.form not in forms:
        known = ", ".join((*PRESET_FORMS, *forms))
        report.add((*loc, "form"), "unknown_form", form=model.form, known=known)
    quota = Quota()
    if model.quota is not None:
        q = model.quota
        low, high = q.per_unit_min, q.per_unit_max
        if low is not None and high is not None and low > high:
            report.add(
                (*loc, "quota", "per_unit_min"),
                "quota_order",
                low=q.per_unit_min,
                high=q.per_unit_max,
            )
        quota = Quota(
            per_unit_min=q.per_unit_min,
            per_unit_max=q.per_unit_max,
            total=q.total,
            what=q.what or _counted(model, q),
        )
    policy = None
    if model.reminders is not None:
        policy = model.reminders.applied_to(plan_policy or ReminderPolicy())
    if len(report.errors) > before:
        return None
    return NewTask(
        ref=model.ref,
        title=model.title,
        details=model.details,
        start=start,
        due=due,
        when_words=words,
        repeat=repeat,
        audience=audience,
        lead_unit_id=lead_id,
        support=tuple(dict.fromkeys(support)),
        form=model.form,
        quota=quota,
        policy=policy,
    )


# ---------------------------------------------------------------------------------------------
# Public API


def _read(path: Path, report: _Report) -> object:
    """The file's content as YAML would give it; None (with the problem reported) if unreadable."""
    suffix = path.suffix.lower()
    if not path.is_file():
        report.add((), "file_missing", path=str(path))
    elif suffix in (".yaml", ".yml"):
        return _read_yaml(path, report)
    elif suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, report)
    else:
        report.add((), "file_type", suffix=suffix or path.name)
    return None


async def _load(path: Path, units: UnitRepository, texts: Texts) -> tuple[NewPlan, _Report]:
    suffix = path.suffix.lower()
    is_xlsx = suffix in (".xlsx", ".xlsm")
    report = _Report(path.name, texts, _xlsx_field if is_xlsx else _yaml_field)
    data = _read(path, report)
    plan = await _convert(data, _Units(units), report, path.name)
    report.raise_if_any()
    assert plan is not None
    return plan, report


async def load_plan_file(
    path: Path, units: UnitRepository, *, texts: Texts | None = None
) -> NewPlan:
    """Read and check a plan file (.yaml/.yml or .xlsx) against the units in the database.
    Raises PlanFileError with every problem found."""
    plan, _ = await _load(path, units, texts or Texts("vi"))
    return plan


@dataclass(frozen=True)
class ImportResult:
    plan: Plan
    new_plan: NewPlan
    amendment: AmendSummary | None = None  # set when a published plan was amended


async def import_plan_file(services: Services, path: Path, *, amend: bool = False) -> ImportResult:
    """Check the whole file, then save it as a draft in one transaction (a draft of the same number
    has its tasks replaced). A published plan is refused unless `amend`: then the new version is
    handed to `bot.publishing.amend`, which applies it and tells the units."""
    new_plan, report = await _load(path, services.repos.units, services.texts)
    plans = services.repos.plans
    async with services.db.transaction():
        existing = await plans.by_number(new_plan.number)
        if existing is not None and existing.status is not PlanStatus.DRAFT:
            if existing.status is PlanStatus.PUBLISHED and amend:
                publishing = importlib.import_module("bot.publishing")
                summary = await publishing.amend(services, existing, new_plan)
                amended = await plans.get(existing.id)
                assert amended is not None
                return ImportResult(amended, new_plan, summary)
            code = "plan_published" if existing.status is PlanStatus.PUBLISHED else "plan_archived"
            report.add(("plan", "number"), code, number=existing.number)
            report.raise_if_any()
        saved = await plans.save_draft(new_plan, services.clock.now())
    return ImportResult(saved, new_plan)


async def import_plan(services: Services, path: Path, *, amend: bool = False) -> Plan:
    """`import_plan_file`, returning the saved (or amended) plan."""
    return (await import_plan_file(services, path, amend=amend)).plan


# ---------------------------------------------------------------------------------------------
# The Excel template


def write_xlsx_template(path: Path, texts: Texts | None = None) -> Path:
    """An empty plan workbook: sheet "tasks" with the header row (a hint in each header's comment)
    and sheet "plan" with the key/value rows and a hint beside each."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    texts = texts or Texts("vi")
    book = openpyxl.Workbook()
    tasks = book.active
    tasks.title = XLSX_TASKS_SHEET
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    widths = {"ref": 8, "title": 48, "details": 40, "when": 28, "audience": 22, "support": 16}
    for col, name in enumerate(XLSX_COLUMNS, start=1):
        cell = tasks.cell(row=1, column=col, value=name)
        cell.font, cell.fill = bold, fill
        hint = texts("plan_file.hint_title_task" if name == "title" else f"plan_file.hint_{name}")
        cell.comment = Comment(plain(hint), "dondoc")
        letter = cell.column_letter
        tasks.column_dimensions[letter].width = widths.get(name, 14)
        if name in ("ref", "lead", "support", "audience", "when"):
            for row in range(2, 201):  # keep "2.10" and "01" as typed
                tasks.cell(row=row, column=col).number_format = "@"
    tasks.freeze_panes = "A2"
    plan = book.create_sheet(XLSX_PLAN_SHEET)
    for row, key in enumerate(XLSX_PLAN_KEYS, start=1):
        plan.cell(row=row, column=1, value=key).font = bold
        plan.cell(row=row, column=2).number_format = "@" if key == "number" else "General"
        plan.cell(row=row, column=3, value=plain(texts(f"plan_file.hint_{key}")))
    plan.column_dimensions["A"].width = 10
    plan.column_dimensions["B"].width = 60
    plan.column_dimensions["C"].width = 60
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
