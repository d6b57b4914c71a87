"""Importing the list of units from a CSV, Excel or YAML file: read, check the whole file, then
write it in one transaction (all or nothing).

Columns: code, name, parent, kind (Vietnamese headers such as "mã", "tên", "cấp trên", "loại" work
too). A parent may come later in the same file or already be in the database. Every problem is
reported with the row the person sees in the file (the header is row 1 in CSV/Excel; for YAML the
line of the item), and nothing is written while any problem remains.

A problem is carried as a reason (a macro of messages/vi/units_import.j2) and its values; what
shows it renders it in Vietnamese (`RowError.line`). The Vietnamese words kept here are data:
the kinds and column headers a file may be written with."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from bot.domain import Unit, UnitKind
from bot.vntext import fold
from messages import Texts
from storage.db import Database
from storage.units import NewUnit, UnitRepository

CODE_MAX = 20
FIELDS = ("code", "name", "parent", "kind")
REQUIRED_COLUMNS = ("code", "name", "kind")


_KIND_WORDS: dict[UnitKind, tuple[str, ...]] = {
    UnitKind.COMMITTEE: ("Đảng ủy Khối", "Đảng ủy", "Đảng ủy cấp trên"),
    UnitKind.PARTY_COMMITTEE: ("Đảng bộ cơ sở", "Đảng bộ", "Đảng ủy cơ sở", "Đảng bộ bộ phận"),
    UnitKind.CELL: ("Chi bộ", "Chi bộ cơ sở"),
    UnitKind.BOARD: ("Ban", "Văn phòng", "Cơ quan"),
    UnitKind.ASSOCIATION: ("Đoàn thể", "Công đoàn", "Đoàn Thanh niên", "Đoàn", "Hội"),
}
KIND_WORDS: dict[str, UnitKind] = {fold(kind.value): kind for kind in UnitKind}
KIND_WORDS.update({fold(word): kind for kind, words in _KIND_WORDS.items() for word in words})

_COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "mã", "mã đơn vị", "ký hiệu"),
    "name": ("name", "tên", "tên đơn vị"),
    "parent": ("parent", "cấp trên", "đơn vị cấp trên", "mã cấp trên", "trực thuộc"),
    "kind": ("kind", "loại", "loại đơn vị"),
}
COLUMN_WORDS: dict[str, str] = {
    fold(word): name for name, words in _COLUMN_WORDS.items() for word in words
}


def parse_kind(text: str) -> UnitKind | None:
    """A UnitKind from its value or a Vietnamese word, ignoring case and diacritics."""
    return KIND_WORDS.get(fold(text))


# ---------------------------------------------------------------------------------------------
# Rows as read from a file (the edge: pydantic)


def _cell(value: object) -> str | None:
    """A cell as text: blanks become None, 101 and 101.0 become "101"."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not text")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("not text")
    text = value.replace("\u00a0", " ").strip()
    return text or None


Cell = Annotated[str | None, BeforeValidator(_cell)]


class UnitRow(BaseModel):
    """One unit as written in the file; `row` is where the person sees it."""

    model_config = ConfigDict(frozen=True)

    row: int
    code: Cell = None
    name: Cell = None
    parent: Cell = None
    kind: Cell = None


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class RowError:
    """One problem: where (`row` as the person sees it, None for the file as a whole; `field`,
    the column) and why: `reason` names a macro of messages/vi/units_import.j2, `values` fill
    it in. Rendered where it is shown."""

    row: int | None
    field: str | None
    reason: str
    # dataclasses.field: in this class `field` is the column above
    values: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)

    def reason_text(self, texts: Texts) -> str:
        """Why, in Vietnamese, plain text: "không có đơn vị mã 'CB99'"."""
        return texts.label(f"units_import.{self.reason}", **self.values)

    def line(self, texts: Texts) -> str:
        """The whole line, plain text: "Dòng 5, cột parent: không có đơn vị mã 'CB99'"."""
        return texts.label(
            "units_import.error_line",
            row=self.row,
            field=self.field,
            reason=self.reason_text(texts),
        )

    def as_dict(self, texts: Texts) -> dict[str, object]:
        """For --json: where, the reason's name (`code`), and the Vietnamese texts."""
        return {
            "row": self.row,
            "field": self.field,
            "code": self.reason,
            "reason": self.reason_text(texts),
            "message": self.line(texts),
        }


class ImportRejected(Exception):
    """The file cannot be imported; `errors` says every reason. Nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(list(errors))
        self.errors = list(errors)


# ---------------------------------------------------------------------------------------------
# Reading files


def read_rows(path: Path) -> list[UnitRow]:
    """The rows of a CSV, XLSX or YAML file; ImportRejected if it cannot be read at all or a row
    has values that are not text."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportRejected([RowError(None, None, "file_missing", {"path": path})])
    if suffix == ".csv":
        return read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if suffix in (".yaml", ".yml"):
        return read_yaml(path)
    raise ImportRejected([RowError(None, None, "file_type", {"file": path.name})])


def read_csv(path: Path) -> list[UnitRow]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([RowError(None, None, "csv_not_utf8", {"file": path.name})]) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _from_table(table)


def read_xlsx(path: Path) -> list[UnitRow]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportRejected(
            [RowError(None, None, "xlsx_unreadable", {"file": path.name, "problem": exc})]
        ) from None
    try:
        sheet = book.worksheets[0]
        table = [list(values) for values in sheet.iter_rows(min_row=1, values_only=True)]
    finally:
        book.close()
    return _from_table(table)


def _from_table(table: Sequence[Sequence[object]]) -> list[UnitRow]:
    """Rows of a sheet: the first is the header; row numbers start at 1 like a spreadsheet's."""
    if not table:
        raise ImportRejected([RowError(None, None, "empty_table")])
    columns: dict[int, str] = {}
    for index, title in enumerate(table[0]):
        name = COLUMN_WORDS.get(fold(str(title))) if title is not None else None
        if name is not None and name not in columns.values():
            columns[index] = name
    missing = [name for name in REQUIRED_COLUMNS if name not in columns.values()]
    if missing:
        raise ImportRejected(
            [RowError(1, None, "missing_column", {"column": name}) for name in missing]
        )
    records: list[tuple[int, dict[str, object]]] = []
    for number, cells in enumerate(table[1:], start=2):
        values = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        records.append((number, values))
    return _validated(records)


def read_yaml(path: Path) -> list[UnitRow]:
    """A YAML list of mappings, or {units: [...]}. Every scalar is read as text (no YES -> True,
    no 007 -> 7); the row number of an item is the line it starts on."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)
    except UnicodeDecodeError:
        raise ImportRejected([RowError(None, None, "yaml_not_utf8", {"file": path.name})]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ImportRejected([RowError(line, None, "yaml_syntax", {"problem": problem})]) from None
    if root is None:
        return []
    items: yaml.Node | None = root
    if isinstance(root, yaml.MappingNode):
        items = next((value for key, value in root.value if _scalar(key) == "units"), None)
    if not isinstance(items, yaml.SequenceNode):
        raise ImportRejected([RowError(None, None, "yaml_not_a_list")])
    records: list[tuple[int, dict[str, object]]] = []
    errors: list[RowError] = []
    for item in items.value:
        number = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            errors.append(RowError(number, None, "yaml_not_a_unit"))
            continue
        values: dict[str, object] = {}
        for key, value in item.value:
            name = COLUMN_WORDS.get(fold(_scalar(key) or ""))
            if name is None or name in values:
                continue
            values[name] = _scalar(value) if isinstance(value, yaml.ScalarNode) else value
        records.append((number, values))
    return _validated(records, errors)


def _scalar(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    value = str(node.value)
    if node.style is None and value in ("", "~", "null", "Null", "NULL"):
        return None
    return value


def _validated(
    records: Iterable[tuple[int, dict[str, object]]], errors: list[RowError] | None = None
) -> list[UnitRow]:
    """UnitRows from raw values; blank rows are skipped; values that are not text are errors."""
    errors = errors if errors is not None else []
    rows: list[UnitRow] = []
    for number, values in records:
        try:
            row = UnitRow.model_validate({"row": number, **values})
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else None
                errors.append(RowError(number, name, "not_text"))
            continue
        if any(getattr(row, name) is not None for name in FIELDS):
            rows.append(row)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row or 0))
    return rows


# ---------------------------------------------------------------------------------------------
# Checking the whole file against the database


class Change(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SAME = "same"


@dataclass(frozen=True)
class PlannedUnit:
    unit: NewUnit
    change: Change
    row: int


@dataclass(frozen=True)
class ImportPlan:
    """What the file would do, parents before children; `errors` empty when it can be applied."""

    units: tuple[PlannedUnit, ...] = ()
    errors: tuple[RowError, ...] = ()

    def count(self, change: Change) -> int:
        return sum(1 for p in self.units if p.change is change)


@dataclass
class _Checked:
    row: UnitRow
    key: str  # code folded to compare like SQLite's NOCASE
    kind: UnitKind | None = None
    parent_key: str | None = None
    ok: bool = True
    errors: list[RowError] = field(default_factory=list)

    def fail(self, column: str | None, reason: str, /, **values: Any) -> None:
        self.ok = False
        self.errors.append(RowError(self.row.row, column, reason, values))


def _key(code: str) -> str:
    return code.casefold()


def plan_import(rows: Sequence[UnitRow], existing: Sequence[Unit]) -> ImportPlan:
    """Check every row (missing values, unknown kind, bad or duplicate code, unknown parent,
    cycles) against the file itself and the units already in the database."""
    by_id = {u.id: u for u in existing}
    in_db = {_key(u.code): u for u in existing}
    checked: list[_Checked] = []
    first_row: dict[str, int] = {}
    for row in rows:
        item = _Checked(row, _key(row.code) if row.code else "")
        checked.append(item)
        if row.code is None:
            item.fail("code", "missing_code")
        elif any(ch.isspace() for ch in row.code):
            item.fail("code", "code_with_space", code=row.code)
        elif len(row.code) > CODE_MAX:
            item.fail("code", "code_too_long", code=row.code, length=len(row.code), limit=CODE_MAX)
        elif item.key in first_row:
            item.fail("code", "duplicate_code", code=row.code, first_row=first_row[item.key])
        else:
            first_row[item.key] = row.row
        if row.name is None:
            item.fail("name", "missing_name")
        if row.kind is None:
            item.fail("kind", "missing_kind")
        else:
            item.kind = parse_kind(row.kind)
            if item.kind is None:
                item.fail("kind", "unknown_kind", kind=row.kind)
    in_file = {item.key: item for item in checked if first_row.get(item.key) == item.row.row}
    mentioned = {item.key for item in checked if item.key}  # a bad code is reported on its row
    for item in checked:
        parent = item.row.parent
        if parent is None:
            continue
        key = _key(parent)
        if key in mentioned and key not in in_file:
            continue
        if key not in in_file and key not in in_db:
            item.fail("parent", "unknown_parent", parent=parent)
        else:
            item.parent_key = key

    # The tree as it would be after the import: the database, overridden by the file.
    parent_of: dict[str, str | None] = {}
    spelling: dict[str, str] = {}
    for unit in existing:
        parent_unit = by_id.get(unit.parent_id) if unit.parent_id is not None else None
        parent_of[_key(unit.code)] = _key(parent_unit.code) if parent_unit else None
        spelling[_key(unit.code)] = unit.code
    for item in in_file.values():
        if item.row.code is not None:
            spelling.setdefault(item.key, item.row.code)
        if item.row.parent is None or item.parent_key is not None:
            parent_of[item.key] = item.parent_key
    for item in in_file.values():
        path = [item.key]
        current = parent_of.get(item.key)
        while current is not None and current not in path:
            path.append(current)
            current = parent_of.get(current)
        if current == item.key:
            chain = [spelling.get(k, k) for k in [*path, item.key]]
            item.fail("parent", "under_itself", code=item.row.code, chain=chain)

    errors = tuple(e for item in checked for e in item.errors)
    if errors:
        return ImportPlan(errors=errors)
    return ImportPlan(units=tuple(_ordered(in_file, in_db, by_id)))


def _ordered(
    in_file: dict[str, _Checked], in_db: dict[str, Unit], by_id: dict[int, Unit]
) -> list[PlannedUnit]:
    """Parents before children, otherwise in file order; each marked create/update/same."""
    out: list[PlannedUnit] = []
    done: set[str] = set()

    def visit(item: _Checked) -> None:
        if item.key in done:
            return
        done.add(item.key)
        if item.parent_key is not None and item.parent_key in in_file:
            visit(in_file[item.parent_key])
        out.append(_planned(item, in_file, in_db, by_id))

    for item in sorted(in_file.values(), key=lambda c: c.row.row):
        visit(item)
    return out


def _planned(
    item: _Checked, in_file: dict[str, _Checked], in_db: dict[str, Unit], by_id: dict[int, Unit]
) -> PlannedUnit:
    row = item.row
    assert row.code is not None and row.name is not None and item.kind is not None
    parent_code: str | None = None
    if item.parent_key is not None:
        known = in_db.get(item.parent_key)
        parent_code = known.code if known else in_file[item.parent_key].row.code
    unit = NewUnit(code=row.code, name=row.name, kind=item.kind, parent_code=parent_code)
    current = in_db.get(item.key)
    if current is None:
        return PlannedUnit(unit, Change.CREATE, row.row)
    current_parent = by_id.get(current.parent_id) if current.parent_id is not None else None
    same = (
        current.name == unit.name
        and current.kind is unit.kind
        and _key(current_parent.code if current_parent else "") == _key(parent_code or "")
    )
    return PlannedUnit(unit, Change.SAME if same else Change.UPDATE, row.row)


# ---------------------------------------------------------------------------------------------
# Applying


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def load_file(path: Path) -> list[UnitRow]:
    """The rows of a unit file, refused when it holds none."""
    rows = read_rows(path)
    if not rows:
        raise ImportRejected([RowError(None, None, "no_units", {"file": path.name})])
    return rows


async def import_units(db: Database, rows: Sequence[UnitRow], now: datetime) -> ImportResult:
    """Check the rows against the database and write them, in one transaction; ImportRejected
    with every problem (and nothing written) otherwise."""
    repo = UnitRepository(db)
    async with db.transaction():
        plan = plan_import(rows, await repo.all())
        if plan.errors:
            raise ImportRejected(plan.errors)
        changed = [p.unit for p in plan.units if p.change is not Change.SAME]
        created, updated = await repo.upsert_many(changed, now)
    return ImportResult(created=created, updated=updated, unchanged=plan.count(Change.SAME))
