"""CSV of the same views: UTF-8 with a byte order mark (so Excel reads Vietnamese correctly),
comma-separated, the header on the first line. One view makes one .csv file; every view makes
a .zip with one .csv per view. Rows are written as they come (nothing is held in memory).

Runs in a worker thread: every method is blocking."""

from __future__ import annotations

import contextlib
import csv
import io
import time
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from bot.exports.views import Mark, Row, Table
from bot.vntext import fold
from messages import vn_date, vn_datetime

ENCODING = "utf-8-sig"


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mark):
        return value.text
    if isinstance(value, datetime):
        return vn_datetime(value)  # local already (views.local): "8:33 1/4/2024" as in chat
    if isinstance(value, date):
        return vn_date(value)
    if isinstance(value, float):
        return f"{round(value * 100)}%"
    return str(value)


def member_name(number: int, table: Table) -> str:
    """The file name of a view inside the zip: 1-tong-hop.csv."""
    return f"{number}-{fold(table.sheet).replace(' ', '-')}.csv"


class CsvFiles:
    """Either one CSV at `path` (single=True), or a zip of one CSV per view."""

    def __init__(self, path: Path, *, single: bool) -> None:
        self.single = single
        self._zip = None if single else zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
        self._path = path
        self._raw: IO[bytes] | None = None
        self._text: io.TextIOWrapper | None = None
        self._writer: Any = None
        self._count = 0

    def begin(self, table: Table) -> None:
        self._count += 1
        if self._zip is not None:
            info = zipfile.ZipInfo(member_name(self._count, table), time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            self._raw = self._zip.open(info, "w")
        else:
            if self._count > 1:
                raise ValueError("a single CSV file holds one view")
            self._raw = self._path.open("wb")
        self._text = io.TextIOWrapper(self._raw, encoding=ENCODING, newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow([c.header.replace("\n", " ") for c in table.columns])

    def rows(self, rows: list[Row]) -> None:
        self._writer.writerows([cell_text(v) for v in row] for row in rows)

    def end(self) -> None:
        assert self._text is not None
        self._text.close()  # closes the zip member (or the file) too
        self._text = self._raw = self._writer = None

    def save(self, path: Path) -> None:
        if self._zip is not None:
            self._zip.close()

    def discard(self) -> None:
        """After a failure: close what is open (the caller removes the partial file)."""
        for closing in (self._text, self._zip):
            if closing is not None:
                with contextlib.suppress(Exception):
                    closing.close()
