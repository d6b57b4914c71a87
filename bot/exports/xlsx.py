"""The Excel workbook: one sheet per view, written row by row so 200,000 answers never sit in
memory. A title, the plan and the moment above a frozen, filterable header; the matrix
coloured by state (done green, in progress yellow, late red, not reported grey).

openpyxl's write-only workbook makes the package: styles, sheet settings (column widths,
frozen panes, filter, A4 landscape fitted to the width, the header repeated on each printed
page). The rows themselves are serialised here, straight into each sheet's sheetData, with
inline strings: openpyxl spends some 15 µs on every cell (a 200,000-answer plan has 4.5
million), which alone would take over a minute; this takes about one µs.

Runs in a worker thread: every method is blocking."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList

from bot.exports.views import Mark, Row, Table

FONT = "Times New Roman"
SIZE = 12
HEADER_ROW = 4  # title, subtitle, a blank line, then the header
TALL_HEADER = 96  # points: the matrix's header holds a task's ref, title and period
LINE = 16  # points: one line of 12 pt text
MAX_LINES = 12  # a row grows to this many lines at most
CHARS_PER_WIDTH = 1.15  # characters of 12 pt Times New Roman a unit of column width holds
EMPTY_ROWS = b"<sheetData></sheetData>"
EPOCH = date(1899, 12, 30)  # Excel's day 0 (for dates after February 1900)
# Real date cells shown as chat writes them (messages/render.py): no leading zeros, the time
# before the date ("8:33 1/4/2024", "20/4/2024"). "mm" right after "h" is the minutes.
DATE_FORMAT = "d/m/yyyy"
DATETIME_FORMAT = "h:mm d/m/yyyy"

# Excel's own "good / neutral / bad" colours, and grey for what has not been reported.
STATE_COLOURS = {
    "done": ("C6EFCE", "006100"),
    "in_progress": ("FFEB9C", "9C5700"),
    "late": ("FFC7CE", "9C0006"),
    "pending": ("EDEDED", "3A3838"),
}
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _styles() -> dict[str, dict[str, Any]]:
    base = {"font": Font(name=FONT, size=SIZE), "border": _BOX, "alignment": _TOP}
    styles: dict[str, dict[str, Any]] = {
        "title": {"font": Font(name=FONT, size=14, bold=True)},
        "subtitle": {"font": Font(name=FONT, size=SIZE, italic=True)},
        "header": {
            "font": Font(name=FONT, size=SIZE, bold=True),
            "fill": PatternFill("solid", fgColor="DDEBF7"),
            "alignment": _CENTRE,
            "border": _BOX,
        },
        "text": base,
        "wrap": {**base, "alignment": _WRAP},
        "int": {**base, "alignment": Alignment(horizontal="center", vertical="top")},
        "date": {**base, "number_format": DATE_FORMAT},
        "datetime": {**base, "number_format": DATETIME_FORMAT},
        "percent": {**base, "number_format": "0%"},
        "none": {**base, "alignment": _CENTRE},
    }
    for state, (fill, colour) in STATE_COLOURS.items():
        styles[state] = {
            "font": Font(name=FONT, size=SIZE, color=colour),
            "fill": PatternFill("solid", fgColor=fill),
            "alignment": _CENTRE,
            "border": _BOX,
        }
    return styles


def _text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ILLEGAL.sub("", value) if _ILLEGAL.search(value) else value


def _style_of(kind: str, wrap: bool) -> str:
    if kind == "text":
        return "wrap" if wrap else "text"
    return "none" if kind == "mark" else kind


class XlsxBook:
    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)
        # Unstyled cells use font 0: Times New Roman, as the office's own spreadsheets do.
        self.wb._fonts = IndexedList([Font(name=FONT, size=SIZE)])
        self._ws: Any = None
        self._table: Table | None = None
        self._out: IO[bytes] | None = None
        self._out_path = ""
        self._row = 0
        self._column_sids: list[int] = []
        self._letters: list[str] = []
        self._wraps: list[tuple[int, int]] = []  # (column, characters a line holds)
        # The workbook's style index of each of our styles (a styled cell's `style_id`).
        self._sid: dict[str, int] = {}
        scratch = self.wb.create_sheet("scratch")
        for name, spec in _styles().items():
            cell = WriteOnlyCell(scratch)
            for attr, value in spec.items():
                setattr(cell, attr, value)
            self._sid[name] = cell.style_id
        self.wb.remove(scratch)
        self._mark_sids = {state: self._sid[state] for state in STATE_COLOURS}
        self._mark_sids["none"] = self._sid["none"]

    def begin(self, table: Table) -> None:
        ws = self.wb.create_sheet(table.sheet[:31])
        self._ws, self._table = ws, table
        for i, col in enumerate(table.columns, 1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.freeze_panes = f"{get_column_letter(table.freeze_columns + 1)}{HEADER_ROW + 1}"
        ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        self._letters = [get_column_letter(i) for i in range(1, len(table.columns) + 1)]
        self._column_sids = [self._sid[_style_of(c.kind, c.wrap)] for c in table.columns]
        fd, self._out_path = tempfile.mkstemp(prefix="dondoc-rows-", suffix=".xml")
        self._out = os.fdopen(fd, "wb", buffering=1 << 20)
        self._row = 0
        self._wraps = [
            (i, max(4, int(c.width * CHARS_PER_WIDTH)))
            for i, c in enumerate(table.columns)
            if c.wrap or c.kind == "mark"
        ]
        self._write([(table.title, "title")], 21)
        self._write([(table.subtitle, "subtitle")], LINE)
        self._write([], LINE)
        lines = max(c.header.count("\n") + 1 + len(c.header) // 14 for c in table.columns)
        height = TALL_HEADER if table.tall_header else LINE * min(lines, 4)
        self._write([(c.header, "header") for c in table.columns], height)

    def _write(self, cells: list[tuple[Any, str]], height: float) -> None:
        """One row of (value, style name): the title rows and the header."""
        values = [value for value, _ in cells]
        sids = [self._sid[style] for _, style in cells]
        wraps, self._wraps = self._wraps, []
        self._emit([values], sids, height)
        self._wraps = wraps

    def rows(self, rows: list[Row]) -> None:
        self._emit(rows, self._column_sids)

    def _emit(self, rows: list[Row], sids: list[int], height: float = 0) -> None:
        """Serialise rows; a column's style unless the value says otherwise (a matrix mark's
        state, a date). The hot loop of a big export: kept plain on purpose."""
        letters = self._letters
        marks, when, day = self._mark_sids, self._sid["datetime"], self._sid["date"]
        wraps = self._wraps
        parts: list[str] = []
        add = parts.append
        number = self._row
        for row in rows:
            number += 1
            n = str(number)
            # Spreadsheets do not grow a row to its wrapped text on opening: say how tall.
            lines = 1
            for i, chars in wraps:
                cell = row[i]
                text = cell.text if isinstance(cell, Mark) else cell
                if type(text) is str and (len(text) > chars or "\n" in text):
                    lines = max(lines, sum(len(p) // chars + 1 for p in text.split("\n")))
            tall = height or LINE * min(lines, MAX_LINES)
            add(f'<row r="{n}" ht="{tall}" customHeight="1">')
            value: Any
            for i, value in enumerate(row):
                s = sids[i]
                if value is None or value == "":
                    add(f'<c r="{letters[i]}{n}" s="{s}"/>')
                    continue
                kind = type(value)
                if kind is str:
                    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    if _ILLEGAL.search(text):
                        text = _ILLEGAL.sub("", text)
                    add(
                        f'<c r="{letters[i]}{n}" s="{s}" t="inlineStr"><is>'
                        f'<t xml:space="preserve">{text}</t></is></c>'
                    )
                elif kind is int or kind is float:
                    add(f'<c r="{letters[i]}{n}" s="{s}"><v>{value}</v></c>')
                elif kind is Mark:
                    text = _text(value.text)
                    add(
                        f'<c r="{letters[i]}{n}" s="{marks[value.state]}" t="inlineStr"><is>'
                        f'<t xml:space="preserve">{text}</t></is></c>'
                    )
                elif kind is datetime:
                    serial = (value.date() - EPOCH).days + (
                        value.hour * 3600 + value.minute * 60 + value.second
                    ) / 86400
                    add(f'<c r="{letters[i]}{n}" s="{when}"><v>{serial}</v></c>')
                elif kind is date:
                    add(f'<c r="{letters[i]}{n}" s="{day}"><v>{(value - EPOCH).days}</v></c>')
                elif kind is bool:
                    add(f'<c r="{letters[i]}{n}" s="{s}" t="b"><v>{int(value)}</v></c>')
                else:
                    add(
                        f'<c r="{letters[i]}{n}" s="{s}" t="inlineStr"><is>'
                        f'<t xml:space="preserve">{_text(str(value))}</t></is></c>'
                    )
            add("</row>")
        self._row = number
        assert self._out is not None
        self._out.write("".join(parts).encode("utf-8"))

    def end(self) -> None:
        """Close the sheet: openpyxl writes it with no rows, and ours go in their place."""
        assert self._table is not None and self._out is not None
        ws = self._ws
        last = get_column_letter(len(self._table.columns))
        ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(self._row, HEADER_ROW + 1)}"
        self._out.close()
        ws.close()
        sheet = Path(ws._writer.out)
        xml = sheet.read_bytes()
        at = xml.index(EMPTY_ROWS)
        spliced = sheet.with_name(sheet.name + ".rows")
        with spliced.open("wb") as out, open(self._out_path, "rb") as rows:
            out.write(xml[:at])
            out.write(b"<sheetData>")
            shutil.copyfileobj(rows, out, 1 << 20)
            out.write(b"</sheetData>")
            out.write(xml[at + len(EMPTY_ROWS) :])
        os.replace(spliced, sheet)
        os.remove(self._out_path)
        self._ws = self._table = self._out = None

    def save(self, path: Path) -> None:
        self.wb.save(str(path))

    def discard(self) -> None:
        """After a failure: remove the rows file of a sheet left open."""
        if self._out is not None:
            self._out.close()
            Path(self._out_path).unlink(missing_ok=True)
            self._out = None
