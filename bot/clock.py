"""The application's clock: real time, or a chosen start that runs on (DONDOC_CLOCK), or a
hand-moved clock for tests and the sandbox. Everything that asks "what time is it" asks this."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime:
        """An aware datetime in the configured zone."""
        ...


class SystemClock:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class OffsetClock:
    """Starts at `start` and runs on in real time; `advance` moves it forward (sandbox controls)."""

    def __init__(self, tz: ZoneInfo, start: datetime) -> None:
        self.tz = tz
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return (datetime.now(UTC) + self._offset).astimezone(self.tz)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta


class FrozenClock:
    """Does not run on its own: tests move it explicitly."""

    def __init__(self, tz: ZoneInfo, start: datetime) -> None:
        self.tz = tz
        self._now = start if start.tzinfo else start.replace(tzinfo=tz)

    def now(self) -> datetime:
        return self._now.astimezone(self.tz)

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=self.tz)


def today(clock: Clock) -> date:
    return clock.now().date()


def utc_iso(moment: datetime) -> str:
    """How moments are stored: ISO 8601 in UTC, second precision, sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def monotonic() -> float:
    return time.monotonic()


def clock_for(tz: ZoneInfo, start: datetime | None) -> Clock:
    """DONDOC_CLOCK's clock (starts there and runs on), or the real time."""
    return OffsetClock(tz, start) if start is not None else SystemClock(tz)
