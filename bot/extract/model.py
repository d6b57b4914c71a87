"""What the extractor finds: the plan's header, its activities and the warnings a careful clerk
would raise. Plain data; the reading is in the other modules of bot/extract."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.extract.quotas import Quota


@dataclass(frozen=True)
class Win:
    """A window as the plan writes it, and the line it is written on."""

    start: date | None
    end: date | None
    words: str
    kind: str  # a bot.timeexpr kind
    tentative: bool
    line: int
    repeat: str | None = None  # daily|weekly|monthly|quarterly|yearly
    inverted: bool = False

    @property
    def key(self) -> tuple[date | None, date | None, str | None]:
        return (self.start, self.end, self.repeat)

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None


@dataclass
class PlanInfo:
    source: str  # the document's file name
    number: str | None  # None: the plan leaves it blank
    title: str
    issued: date | None
    issuer: str
    year: int | None  # the year of dates written without one
    year_from: str  # "header", "title", "windows" or "" (no year found)
    horizon: date | None = None  # the anniversary day of the title, else the plan's last date


@dataclass
class Activity:
    ref: str
    title: str
    details: str
    lines: list[int]  # the source lines it was read from (its text and its window's line)
    window: Win | None = None
    other_windows: list[Win] = field(default_factory=list)
    lead: str | None = None  # the unit in charge, as the plan names it
    support: list[str] = field(default_factory=list)
    lead_line: int | None = None  # where the plan says so
    audience: str = "all"  # "all" or "lead" (the lead unit only)
    every_unit: bool = False  # the text speaks to every unit ("các chi, đảng bộ cơ sở")
    quota: Quota = field(default_factory=Quota)
    form: str = "progress"
    lead_code: str | None = None  # the office's code for the lead, when a units list is given
    support_codes: list[str] = field(default_factory=list)

    @property
    def first_line(self) -> int:
        return min(self.lines) if self.lines else 0

    @property
    def dated(self) -> bool:
        return self.window is not None and self.window.dated


@dataclass(frozen=True)
class Warning:
    """A message of messages/vi/extract.j2 (`code` is its macro) and the values it needs."""

    code: str
    values: dict[str, Any]
    refs: tuple[str, ...] = ()


@dataclass
class Draft:
    plan: PlanInfo
    activities: list[Activity]
    warnings: list[Warning]
    units_known: bool  # a units list was given
