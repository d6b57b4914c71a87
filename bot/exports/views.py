"""The data of each export view as plain rows, whatever the file: a summary per task, the units x
tasks matrix, every answer with its versions, the nomination list, the units with their
secretaries. Excel, CSV and Word writers only lay these rows out.

A view is a header (sheet name, title, columns), a source of record chunks read from the
database, and a builder that turns a chunk into rows. Builders are plain functions of their
input, so the writing thread can run them: the event loop only waits for the database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain import Plan, Quota
from bot.forms import FILE_KINDS, FieldSpec, FormSpec, resolve_form
from bot.status import STATES, EarlierLate, current_period, earlier_late
from messages import Texts, plain, vn_date, vn_number
from storage.reports import (
    Cell,
    NomineeAnswer,
    ReportRepository,
    ReportTask,
    ReportUnit,
    TaskFigures,
    VersionRow,
)

ENTRY_FIELDS = ("name", "position", "unit", "achievements", "award")
SHOWN_ACTIONS = ("submit", "edit", "resubmit")  # versions whose content is shown
TITLE_MAX = 80


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14.0
    kind: str = "text"  # text | int | date | datetime | percent
    wrap: bool = False


@dataclass(frozen=True)
class Mark:
    """A matrix cell: what it says, and the state that colours it."""

    text: str
    state: str  # done | in_progress | pending | late | none


Value = str | int | float | date | datetime | Mark | None
Row = list[Value]


@dataclass(frozen=True)
class Table:
    """What a writer needs before the rows: where they go and under which headers."""

    key: str
    sheet: str
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    freeze_columns: int = 0  # columns kept in view when scrolling right
    tall_header: bool = False


class Builder(Protocol):
    def feed(self, records: list[Any]) -> list[Row]: ...

    def flush(self) -> list[Row]: ...


@dataclass
class View:
    table: Table
    source: Callable[[], AsyncIterator[list[Any]]]
    builder: Builder


class Labels:
    """Texts for file contents: plain text (no HTML), and each distinct label rendered once,
    since a big export asks for the same few labels hundreds of thousands of times."""

    def __init__(self, texts: Texts) -> None:
        self._texts = texts
        self._cache: dict[tuple[Any, ...], str] = {}

    def __call__(self, key: str, /, **values: Any) -> str:
        cache_key = (key, *values.items())  # a call site passes its values in one order
        found = self._cache.get(cache_key)
        if found is None:
            found = plain(self._texts(key, **values))
            self._cache[cache_key] = found
        return found

    def label(self, text: str) -> str:
        """A form's prompt or option: "@group.key" from messages/, or the office's own words."""
        return self(text[1:]) if text.startswith("@") else text

    def period(self, period: str) -> str:
        return self("tasks.period_of", p=period) if period else ""


def local(text: str | None, tz: ZoneInfo) -> datetime | None:
    """A stored UTC moment as local time without zone (spreadsheets have no zones)."""
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(tz).replace(tzinfo=None)


def _shorten(text: str, limit: int = TITLE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Report:
    """Everything small an export needs (tasks, units, figures), read once; the big views
    stream from `repo`."""

    repo: ReportRepository
    plan: Plan
    labels: Labels
    tz: ZoneInfo
    now: datetime  # local
    tasks: list[ReportTask]
    units: list[ReportUnit]
    forms: dict[int, FormSpec]  # by task id
    current: dict[int, str]  # the period a task is judged on now, by task id
    figures: TaskFigures
    earlier: dict[int, tuple[EarlierLate, ...]] = field(default_factory=dict)  # by task id:
    # a repeating task's periods before the current one still overdue (as /tinhhinh tells them)
    _units_by_id: dict[int, ReportUnit] = field(default_factory=dict)
    _tasks_by_id: dict[int, ReportTask] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._units_by_id = {u.id: u for u in self.units}
        self._tasks_by_id = {t.id: t for t in self.tasks}

    @classmethod
    async def load(cls, repo: ReportRepository, plan: Plan, texts: Texts, now: datetime) -> Report:
        today = now.date()
        tasks = await repo.tasks(plan.id)
        plan_forms = await repo.plan_forms(plan.id)
        forms = {t.id: resolve_form(t.form, plan_forms, Quota()) for t in tasks}
        current = {}
        for t in tasks:
            started = [p for p, start, _ in t.periods if start is None or start <= today]
            current[t.id] = current_period(
                {p for p, _, _ in t.periods}, max(started) if started else None
            )
        figures = await repo.figures(plan.id, today)
        by_period: dict[int, dict[str, dict[str, int]]] = {}
        for (task_id, period), counts in figures.counts.items():
            by_period.setdefault(task_id, {})[period] = counts
        return cls(
            repo=repo,
            plan=plan,
            labels=Labels(texts),
            tz=texts.tz,
            now=now,
            tasks=tasks,
            units=await repo.units(plan.id),
            forms=forms,
            current=current,
            figures=figures,
            earlier={t.id: earlier_late(by_period.get(t.id, {}), current[t.id]) for t in tasks},
        )

    @property
    def today(self) -> date:
        return self.now.date()

    def unit(self, unit_id: int) -> ReportUnit | None:
        return self._units_by_id.get(unit_id)

    def task(self, task_id: int) -> ReportTask | None:
        return self._tasks_by_id.get(task_id)

    def unit_name(self, unit_id: int) -> str:
        u = self._units_by_id.get(unit_id)
        return u.name if u else ""

    def _subtitle(self) -> str:
        at = f"{self.now.hour}:{self.now.minute:02d} {vn_date(self.now)}"
        return self.labels(
            "export_file.subtitle", number=self.plan.number, title=self.plan.title, at=at
        )

    def when(self, task: ReportTask) -> str:
        period = self.current.get(task.id, "")
        due = task.due
        if period:
            due = next((d for p, _, d in task.periods if p == period), None)
        return self.labels(
            "export_file.when",
            words=task.when_words,
            due=vn_date(due) if due else "",
            period=self.labels.period(period),
        )

    def head(self, key: str, columns: list[Column], **options: Any) -> Table:
        return Table(
            key=key,
            sheet=self.labels(f"export_file.sheet_{key}"),
            title=self.labels(f"export_file.title_{key}", number=self.plan.number),
            subtitle=self._subtitle(),
            columns=tuple(columns),
            **options,
        )

    def col(self, key: str, width: float = 14.0, kind: str = "text", wrap: bool = False) -> Column:
        return Column(self.labels(f"export_file.col_{key}"), width, kind, wrap)

    # The views --------------------------------------------------------------------------

    def views(self) -> list[View]:
        return [self.summary(), self.matrix(), self.answers(), self.nominations(), self.unit_list()]

    def view(self, key: str) -> View:
        for v in self.views():
            if v.table.key == key:
                return v
        raise KeyError(key)

    def summary(self) -> View:
        columns = [
            self.col("stt", 6, "int"),
            self.col("ref", 8),
            self.col("task", 48, wrap=True),
            self.col("when", 22, wrap=True),
            self.col("done", 12, "int"),
            self.col("in_progress", 12, "int"),
            self.col("pending", 12, "int"),
            self.col("late", 12, "int"),
            self.col("earlier_late", 14, "int"),
            self.col("earlier_periods", 30, wrap=True),
            self.col("units_total", 14, "int"),
            self.col("rate", 12, "percent"),
            self.col("answers", 12, "int"),
            self.col("late_answers", 12, "int"),
            self.col("figures", 30, wrap=True),
        ]
        rows = [self.summary_row(i, t) for i, t in enumerate(self.tasks, 1)]
        return View(self.head("summary", columns, freeze_columns=3), _once(rows), _Rows())

    def task_counts(self, task: ReportTask) -> dict[str, int]:
        counts = self.figures.counts.get((task.id, self.current.get(task.id, "")), {})
        return {s: counts.get(s, 0) for s in STATES}

    def earlier_late(self, task: ReportTask) -> tuple[EarlierLate, ...]:
        """The task's periods before the current one still overdue, oldest first."""
        return self.earlier.get(task.id, ())

    def earlier_text(self, task: ReportTask) -> str:
        """ "tháng 1/2024 (11 đơn vị), tháng 2/2024 (11)", or '' when none is overdue."""
        earlier = self.earlier_late(task)
        return self.labels("export_file.earlier_periods", earlier=earlier) if earlier else ""

    def figure_text(self, task: ReportTask) -> str:
        key = (task.id, self.current.get(task.id, ""))
        if task.form == "nomination":
            kinds = self.figures.kinds.get(task.id, {})
            total = sum(kinds.values())
            parts = ", ".join(
                self.labels("export_file.kind_count", count=n, kind=self.kind_label(k))
                for k, n in kinds.items()
            )
            return self.labels("export_file.nominated", total=total, parts=parts)
        if key in self.figures.count_sums:
            return self.labels(
                "export_file.count_total", total=vn_number(self.figures.count_sums[key])
            )
        return ""

    def summary_row(self, number: int, task: ReportTask) -> Row:
        counts = self.task_counts(task)
        total = sum(counts.values())
        key = (task.id, self.current.get(task.id, ""))
        return [
            number,
            task.ref,
            task.title,
            self.when(task),
            counts["done"],
            counts["in_progress"],
            counts["pending"],
            counts["late"],
            sum(e.units for e in self.earlier_late(task)),
            self.earlier_text(task),
            total,
            counts["done"] / total if total else None,
            self.figures.answers.get(key, 0),
            self.figures.late_answers.get(key, 0),
            self.figure_text(task),
        ]

    def matrix(self) -> View:
        columns = [
            self.col("stt", 6, "int"),
            self.col("unit_code", 10),
            self.col("unit", 34, wrap=True),
        ]
        for t in self.tasks:
            header = f"{t.ref}\n{_shorten(t.title, 60)}"
            period = self.current.get(t.id, "")
            if period:
                header += f"\n({self.labels.period(period)})"
            columns.append(Column(header, 16, "mark", True))
        columns += [self.col("tasks_done", 12, "int"), self.col("tasks_total", 12, "int")]
        current = [(t.id, self.current.get(t.id, "")) for t in self.tasks]
        return View(
            self.head("matrix", columns, freeze_columns=3, tall_header=True),
            lambda: self.repo.cells(self.plan.id, current),
            _Matrix(self),
        )

    def mark(self, cell: Cell) -> Mark:
        state = cell.state
        late_answer = bool(cell.late)
        if state != "done" and cell.due is not None and cell.due < self.today.isoformat():
            state = "late"
        if state in ("done", "in_progress"):
            moment = cell.sent_at if cell.answer_status not in (None, "withdrawn") else None
            day = local(moment or cell.state_at, self.tz)
            shown = "returned" if cell.answer_status == "returned" else state
            text = self.labels("export_file.state", s=shown, late=late_answer and state == "done")
            return Mark(f"{text}\n{vn_date(day)}" if day else text, state)
        text = self.labels("export_file.state", s=state, late=False)
        if cell.due:
            text += "\n" + self.labels("export_file.due", day=vn_date(date.fromisoformat(cell.due)))
        return Mark(text, state)

    def answers(self) -> View:
        columns = [
            self.col("stt", 7, "int"),
            self.col("task_ref", 8),
            self.col("task_title", 30, wrap=True),
            self.col("period", 12),
            self.col("unit", 28, wrap=True),
            self.col("version", 8, "int"),
            self.col("action", 16),
            self.col("at", 16, "datetime"),
            self.col("by", 20),
            self.col("late_flag", 9),
            self.col("content", 50, wrap=True),
            self.col("files", 24, wrap=True),
            self.col("note", 30, wrap=True),
            self.col("status", 16),
        ]
        fields = sorted(
            {f.name for spec in self.forms.values() for f in _all_fields(spec) if _is_file(f)}
        )
        return View(
            self.head("answers", columns, freeze_columns=0),
            lambda: self.repo.versions(self.plan.id, fields),
            _Answers(self),
        )

    def content(self, spec: FormSpec, data: dict[str, Any]) -> str:
        """An answer's content as lines: each value of the form, then each entry."""
        lines = []
        values = data.get("values") or {}
        for f in spec.fields:
            shown = self.shown(spec, f, values.get(f.name))
            if shown:
                lines.append(shown)
        if spec.group is not None:
            for i, entry in enumerate(data.get("entries") or [], 1):
                if not isinstance(entry, dict):
                    continue
                parts = [self.shown(spec, f, entry.get(f.name)) for f in spec.group.fields]
                lines.append(f"{i}. " + "; ".join(p for p in parts if p))
        return "\n".join(lines)

    def shown(self, spec: FormSpec, f: FieldSpec, value: Any) -> str:
        if value is None or value == [] or value == "":
            return ""
        if _is_file(f):
            return ""  # the file names have their own column
        if f.kind == "choice":
            for o in f.options:
                if o.value == value:
                    return self.labels.label(o.label)
            return str(value)
        if f.kind == "number" and isinstance(value, int | float):
            return vn_number(value)
        if f.kind == "date" and isinstance(value, str):
            try:
                return vn_date(date.fromisoformat(value))
            except ValueError:
                return value
        if f.kind == "person" and isinstance(value, dict):
            return ", ".join(str(v) for v in value.values() if v)
        return str(value)

    def nominations(self) -> View:
        columns = [
            self.col("stt", 6, "int"),
            self.col("nominee", 28, wrap=True),
            self.col("position", 20, wrap=True),
            self.col("nominee_unit", 26, wrap=True),
            self.col("achievements", 50, wrap=True),
            self.col("award", 26, wrap=True),
            self.col("nominee_kind", 14),
            self.col("proposer", 26, wrap=True),
            self.col("task_ref", 8),
            self.col("status", 16),
        ]
        return View(
            self.head("nominations", columns, freeze_columns=2),
            lambda: self.repo.nominations(self.plan.id),
            _Nominations(self),
        )

    def kind_label(self, kind: str) -> str:
        from bot.forms import NOMINEE_KINDS

        for o in NOMINEE_KINDS:
            if o.value == kind:
                return self.labels.label(o.label)
        return kind

    def nominee(self, record: NomineeAnswer, entry: dict[str, Any]) -> dict[str, str]:
        """One nominee in the usual columns (the proposing unit stands in for a collective's)."""
        proposer = self.unit_name(record.unit_id)
        values = {k: str(entry.get(k) or "") for k in ENTRY_FIELDS}
        values["unit"] = values["unit"] or proposer
        values["kind"] = str(entry.get("kind") or "")
        values["kind_label"] = self.kind_label(values["kind"])
        values["proposer"] = proposer
        return values

    def unit_list(self) -> View:
        columns = [
            self.col("stt", 6, "int"),
            self.col("code", 10),
            self.col("unit_name", 36, wrap=True),
            self.col("unit_kind", 18),
            self.col("parent", 30, wrap=True),
            self.col("secretaries", 26, wrap=True),
            self.col("deputies", 26, wrap=True),
            self.col("reachable", 16),
        ]
        rows = [self.unit_row(i, u) for i, u in enumerate(self.units, 1)]
        return View(self.head("units", columns, freeze_columns=3), _once(rows), _Rows())

    def unit_row(self, number: int, unit: ReportUnit) -> Row:
        secretaries = [p.name for p in unit.people if p.role == "secretary"]
        deputies = [p.name for p in unit.people if p.role == "deputy"]
        if not unit.people:
            reach = self.labels("export_file.nobody")
        elif any(p.reachable for p in unit.people):
            reach = self.labels("export_file.yes")
        else:
            reach = self.labels("export_file.no")
        return [
            number,
            unit.code,
            unit.name,
            self.labels("export_file.unit_kind", k=unit.kind),
            unit.parent_name or "",
            "\n".join(secretaries),
            "\n".join(deputies),
            reach,
        ]


def _all_fields(spec: FormSpec) -> tuple[FieldSpec, ...]:
    return spec.fields + (spec.group.fields if spec.group else ())


def _is_file(f: FieldSpec) -> bool:
    return f.kind in FILE_KINDS


def _once(rows: list[Row]) -> Callable[[], AsyncIterator[list[Any]]]:
    async def source() -> AsyncIterator[list[Any]]:
        yield rows

    return source


class _Rows:
    """Records that are rows already."""

    def feed(self, records: list[Any]) -> list[Row]:
        return list(records)

    def flush(self) -> list[Row]:
        return []


class _Matrix:
    """Cells come unit by unit: a unit's row is complete when the next unit's cells begin."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.columns = {t.id: i for i, t in enumerate(report.tasks)}
        self.unit_id: int | None = None
        self.marks: list[Value] = []
        self.number = 0

    def _start(self, unit_id: int) -> None:
        self.unit_id = unit_id
        self.marks = [None] * len(self.columns)

    def _row(self) -> Row:
        assert self.unit_id is not None
        self.number += 1
        unit = self.report.unit(self.unit_id)
        owed = [m for m in self.marks if isinstance(m, Mark)]
        done = sum(1 for m in owed if m.state == "done")
        return [
            self.number,
            unit.code if unit else "",
            unit.name if unit else "",
            *self.marks,
            done,
            len(owed),
        ]

    def feed(self, records: list[Any]) -> list[Row]:
        out = []
        for cell in records:
            assert isinstance(cell, Cell)
            if cell.unit_id != self.unit_id:
                if self.unit_id is not None:
                    out.append(self._row())
                self._start(cell.unit_id)
            column = self.columns.get(cell.task_id)
            if column is not None:
                self.marks[column] = self.report.mark(cell)
        return out

    def flush(self) -> list[Row]:
        if self.unit_id is None:
            return []
        row = self._row()
        self.unit_id = None
        return [row]


class _Answers:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.number = 0

    def feed(self, records: list[Any]) -> list[Row]:
        r = self.report
        labels = r.labels
        out: list[Row] = []
        for v in records:
            assert isinstance(v, VersionRow)
            task = r.task(v.task_id)
            spec = r.forms.get(v.task_id)
            shown = v.action in SHOWN_ACTIONS
            content = ""
            if shown and spec is not None:
                content = r.content(spec, json.loads(v.data))
            self.number += 1
            out.append(
                [
                    self.number,
                    task.ref if task else "",
                    task.title if task else "",
                    labels.period(v.period),
                    r.unit_name(v.unit_id),
                    v.version,
                    labels("export_file.action", a=v.action),
                    local(v.at, r.tz),
                    v.member_name or "",
                    labels("export_file.yes") if v.late and shown else "",
                    content,
                    (v.files or "") if shown else "",
                    v.note or "",
                    labels("export_file.status", s=v.status),
                ]
            )
        return out

    def flush(self) -> list[Row]:
        return []


class _Nominations:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.number = 0

    def feed(self, records: list[Any]) -> list[Row]:
        r = self.report
        out: list[Row] = []
        for a in records:
            assert isinstance(a, NomineeAnswer)
            task = r.task(a.task_id)
            status = r.labels("export_file.status", s=a.status)
            for entry in json.loads(a.data).get("entries") or []:
                if not isinstance(entry, dict):
                    continue
                n = r.nominee(a, entry)
                self.number += 1
                out.append(
                    [
                        self.number,
                        n["name"],
                        n["position"],
                        n["unit"],
                        n["achievements"],
                        n["award"],
                        n["kind_label"],
                        n["proposer"],
                        task.ref if task else "",
                        status,
                    ]
                )
        return out

    def flush(self) -> list[Row]:
        return []
