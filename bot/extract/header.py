"""The plan's own header: its number ("Số 422-KH/ĐUS"), date ("Lào Cai, ngày 10 tháng 6 năm
2019"), title (the lines under "KẾ HOẠCH"), issuer (the committee named above it), and the year
dates written without one are read in.

The year: the header date's; when the header has no date, the latest year of the title (the
anniversary "(10/5/1959-10/5/2024)" names the year the plan is for); else the latest year the
plan's own windows write; else none (and such dates are left out).
"""

from __future__ import annotations

import re
from datetime import date

from bot.extract import lexicon as lx
from bot.extract.model import PlanInfo
from bot.extract.outline import Outline
from bot.timeexpr import find_header_date, find_plan_number, find_windows
from bot.vntext import fold

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_SEPARATOR = re.compile(r"^[-_=*.\s]{3,}$")
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4})(?!\d)")


def _latest_date(text: str) -> date | None:
    found = []
    for d, m, y in _DMY.findall(text):
        try:
            found.append(date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return max(found, default=None)


def _title(preamble: list[tuple[int, str]], fallback: str) -> str:
    for k, (_line, text) in enumerate(preamble):
        if fold(text) != lx.PLAN_WORD:
            continue
        parts: list[str] = []
        for _n, more in preamble[k + 1 :]:
            folded = fold(more)
            if _SEPARATOR.match(more) or any(
                folded.startswith(p + " ") for p in lx.PREAMBLE_STARTS
            ):
                break
            parts.append(more.strip())
            if len(parts) == 3:
                break
        title = " ".join(" ".join(parts).split())
        if title:
            return title[:1].upper() + title[1:]
    return fallback


def _issuer(preamble: list[tuple[int, str]]) -> str:
    found = ""
    for _line, text in preamble:
        if fold(text) == lx.PLAN_WORD:
            break
        for cell in re.split(r"\t| {3,}", text):
            cell = cell.strip()
            folded = fold(cell)
            if not cell or not cell.isupper() or folded in lx.NATION_HEADER:
                continue
            if any(folded.startswith(h + " ") for h in lx.ISSUER_HEADS):
                found = cell
    return found


def plan_info(lines: list[str], outline: Outline, source: str, fallback_title: str) -> PlanInfo:
    text = "\n".join(lines)
    issued = find_header_date(text)
    title = _title(outline.preamble, fallback_title)
    year: int | None = None
    year_from = ""
    if issued is not None:
        year, year_from = issued.year, "header"
    elif years := [int(y) for y in _YEAR.findall(title)]:
        year, year_from = max(years), "title"
    else:
        body = "\n".join(lines[: outline.end_line])
        written = [
            d.year
            for f in find_windows(body)
            for d in (f.window.start, f.window.end)
            if d is not None
        ]
        if written:
            year, year_from = max(written), "windows"
    return PlanInfo(
        source=source,
        number=find_plan_number(text),
        title=title,
        issued=issued,
        issuer=_issuer(outline.preamble),
        year=year,
        year_from=year_from,
        horizon=_latest_date(title),
    )


def reference_date(info: PlanInfo) -> date | None:
    """The date dates without a year are read against."""
    if info.issued is not None:
        return info.issued
    return date(info.year, 1, 1) if info.year is not None else None
