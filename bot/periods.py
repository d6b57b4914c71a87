"""A repeating task owes one deadline per period: "mỗi tháng ít nhất một bài viết" from 01/2024 to
10/5/2024 is five deadlines, the last day of each month (the last one the task's own end). One
with no end ("thường xuyên") runs on: its periods reach MAX_OPEN_PERIODS ahead, counted from the
one under way, and a daily roll (bot/publishing.py `roll_forward`) makes the next ones."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain import Repeat

MAX_OPEN_PERIODS = 12  # an ongoing repeating task's periods made, from the one under way


@dataclass(frozen=True)
class Period:
    key: str  # '' for a task that does not repeat, '2024-04', '2024-W15', '2024-Q2', '2024'
    start: date | None
    due: date | None


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _next_period(repeat: Repeat, day: date) -> tuple[str, date, date]:
    """The period containing `day`: its key, first and last day."""
    if repeat is Repeat.WEEKLY:
        first = day - timedelta(days=day.weekday())
        iso = first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", first, first + timedelta(days=6)
    if repeat is Repeat.MONTHLY:
        first = day.replace(day=1)
        return f"{day.year}-{day.month:02d}", first, _month_end(first)
    if repeat is Repeat.QUARTERLY:
        quarter = (day.month - 1) // 3
        first = date(day.year, quarter * 3 + 1, 1)
        last = _month_end(date(day.year, quarter * 3 + 3, 1))
        return f"{day.year}-Q{quarter + 1}", first, last
    first = date(day.year, 1, 1)
    return f"{day.year}", first, date(day.year, 12, 31)


def periods(
    repeat: Repeat,
    start: date | None,
    due: date | None,
    origin: date,
    today: date | None = None,
    *,
    through: date | None = None,
) -> list[Period]:
    """The deadlines a task makes. `origin` (the plan's date or the publish day) stands in for an
    open start of a repeating task. A repeating task with no end makes its periods up to the
    MAX_OPEN_PERIODS-th counted from the one under way on `today` (default: `origin`), or from
    its first if that is later; and at least up to the one holding `through` (periods already
    made stay)."""
    if repeat is Repeat.NONE:
        return [Period("", start, due)]
    first_day = start or origin
    anchor = _next_period(repeat, max(first_day, today or origin))[1]
    out: list[Period] = []
    ahead = 0  # periods made from the anchor's on
    day = first_day
    while len(out) < 10_000:
        key, p_start, p_end = _next_period(repeat, day)
        if due is not None and p_start > due:
            break
        if due is None and ahead >= MAX_OPEN_PERIODS and (through is None or p_start > through):
            break
        out.append(
            Period(key, max(p_start, first_day), min(p_end, due) if due is not None else p_end)
        )
        if p_start >= anchor:
            ahead += 1
        day = p_end + timedelta(days=1)
    return out
