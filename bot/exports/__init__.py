"""Exports of a plan for the office: an Excel workbook (a sheet per view), CSV of the same views,
the Word report and the Word nomination list.

`export` reads one snapshot of the database through storage.reports (its own connection, in
chunks) and writes the file in a worker thread, chunk by chunk: nothing blocks the event loop
and a big export holds neither the app's database lock nor all its rows in memory."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from bot.domain import Letterhead, Plan
from bot.exports.csv import CsvFiles
from bot.exports.docx import (
    nominations_context,
    render,
    report_context,
    template_path,
)
from bot.exports.views import Builder, Report, Row, Table, View
from bot.exports.xlsx import XlsxBook
from bot.services import Services
from bot.settings import Settings
from bot.vntext import fold
from messages import Texts, plain
from storage.reports import ReportRepository

__all__ = [
    "VIEWS",
    "ExportKind",
    "ExportResult",
    "Letterhead",
    "export",
    "file_name",
    "letterhead_of",
]

VIEWS = ("summary", "matrix", "answers", "nominations", "units")
TEMPLATES_DIR = "templates"  # under DATA_DIR: the office's own Word templates


class ExportKind(StrEnum):
    XLSX = "xlsx"  # every view, a sheet each
    CSV = "csv"  # every view, a .csv each in a .zip (or one view: a .csv)
    REPORT = "report"  # Word: Báo cáo kết quả thực hiện Kế hoạch
    NOMINATIONS = "nominations"  # Word: danh sách đề nghị khen thưởng

    @property
    def suffix(self) -> str:
        return {"xlsx": ".xlsx", "csv": ".zip"}.get(self.value, ".docx")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    kind: ExportKind
    rows: int  # rows of data written (Excel, CSV), tasks (Word report) or nominees (Word list)
    seconds: float


class TableWriter(Protocol):
    """What XlsxBook and CsvFiles have in common (both run in the worker thread)."""

    def begin(self, table: Table) -> None: ...
    def rows(self, rows: list[Row]) -> None: ...
    def end(self) -> None: ...
    def save(self, path: Path) -> None: ...
    def discard(self) -> None: ...


def letterhead_of(settings: Settings) -> Letterhead:
    return Letterhead(parent=settings.org_parent.strip(), place=settings.org_place.strip())


def file_name(
    texts: Texts, plan: Plan, kind: ExportKind | str, now: datetime, view: str | None = None
) -> str:
    """The name the person sees: TongHop_185-KH-DUK_20240420-0805.xlsx."""
    kind = ExportKind(kind)
    stem = plain(texts("export_file.file_stem", kind=kind.value))
    number = "-".join(fold(plan.number.replace("/", " ")).upper().split()) or str(plan.id)
    suffix = ".csv" if kind is ExportKind.CSV and view else kind.suffix
    if view:
        stem += f"-{view}"
    return f"{stem}_{number}_{now:%Y%m%d-%H%M}{suffix}"


async def export(
    services: Services,
    plan: Plan,
    path: Path,
    kind: ExportKind | str,
    *,
    view: str | None = None,
    letterhead: Letterhead | None = None,
    templates: Path | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write the export of `plan` to `path`. CSV: every view in a zip, or only `view` as one
    .csv. Word: from the template in `templates` (default DATA_DIR/templates) if the office put
    one there, else the shipped one. The file appears at `path` only once complete."""
    kind = ExportKind(kind)
    if view is not None and view not in VIEWS:
        raise ValueError(f"unknown view {view!r}: one of {', '.join(VIEWS)}")
    started = time.perf_counter()
    now = now or services.clock.now()
    letterhead = letterhead or Letterhead()
    templates = templates if templates is not None else services.data_dir / TEMPLATES_DIR
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        async with ReportRepository.snapshot(services.db) as repo:
            report = await Report.load(repo, plan, services.texts, now)
            if kind is ExportKind.XLSX:
                rows = await _tables(report.views(), XlsxBook, partial)
            elif kind is ExportKind.CSV:
                views = [report.view(view)] if view else report.views()
                single = view is not None
                rows = await _tables(views, lambda: CsvFiles(partial, single=single), partial)
            elif kind is ExportKind.REPORT:
                context = report_context(report, letterhead)
                rows = len(context["tasks"])
                await asyncio.to_thread(
                    render, template_path("report", templates), context, partial
                )
            else:
                context = await nominations_context(report, letterhead)
                rows = int(context["count"])
                await asyncio.to_thread(
                    render, template_path("nominations", templates), context, partial
                )
        await asyncio.to_thread(partial.replace, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return ExportResult(path, kind, rows, time.perf_counter() - started)


async def _tables(views: list[View], make: Callable[[], TableWriter], path: Path) -> int:
    """Stream each view into the writer: the database is read on the event loop (awaiting its
    connection's thread), rows are built and written in a worker thread, chunk by chunk."""
    writer = await asyncio.to_thread(make)
    count = 0
    try:
        for view in views:
            await asyncio.to_thread(writer.begin, view.table)
            async for chunk in _ahead(view.source()):
                count += await asyncio.to_thread(_write, writer, view.builder, chunk)
            count += await asyncio.to_thread(_write, writer, view.builder, None)
            await asyncio.to_thread(writer.end)
        await asyncio.to_thread(writer.save, path)
    except BaseException:
        await asyncio.to_thread(writer.discard)
        raise
    return count


async def _ahead(chunks: AsyncIterator[list[Any]]) -> AsyncIterator[list[Any]]:
    """The chunks, the next one read while the current one is being written: the database's
    thread and the writing thread work at the same time."""
    pending = asyncio.ensure_future(anext(chunks, None))
    try:
        while True:
            chunk = await pending
            if chunk is None:
                return
            pending = asyncio.ensure_future(anext(chunks, None))
            yield chunk
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending


def _write(writer: TableWriter, builder: Builder, chunk: list[object] | None) -> int:
    rows = builder.flush() if chunk is None else builder.feed(chunk)
    if rows:
        writer.rows(rows)
    return len(rows)
