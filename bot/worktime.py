"""When the bot may send: working days (weekends and Vietnamese public holidays skipped by
default) and quiet hours (default 21:00-07:00)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

import holidays as holiday_tables


@dataclass(frozen=True)
class QuietHours:
    start: time | None = time(21, 0)
    end: time | None = time(7, 0)

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        if not text:
            return cls(None, None)
        first, _, second = text.partition("-")
        return cls(time.fromisoformat(first.zfill(5)), time.fromisoformat(second.zfill(5)))

    def quiet(self, moment: datetime) -> bool:
        if self.start is None or self.end is None:
            return False
        now = moment.timetz().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself if not quiet, else the end of this quiet stretch (same zone)."""
        if not self.quiet(moment) or self.end is None:
            return moment
        candidate = moment.replace(
            hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0
        )
        if candidate <= moment:
            candidate += timedelta(days=1)
        return candidate


@dataclass(frozen=True)
class WorkCalendar:
    skip_weekends: bool = True
    country: str = "VN"
    extra: frozenset[date] = field(default_factory=frozenset)

    @cached_property
    def _public(self) -> holiday_tables.HolidayBase | None:
        if not self.country:
            return None
        return holiday_tables.country_holidays(self.country)

    def holiday(self, day: date) -> bool:
        return day in self.extra or (self._public is not None and day in self._public)

    def working(self, day: date) -> bool:
        if self.skip_weekends and day.weekday() >= 5:
            return False
        return not self.holiday(day)

    def previous_working(self, day: date) -> date:
        while not self.working(day):
            day -= timedelta(days=1)
        return day

    def next_working(self, day: date) -> date:
        while not self.working(day):
            day += timedelta(days=1)
        return day

    def working_days(self, days: Iterable[date]) -> list[date]:
        return [d for d in days if self.working(d)]
