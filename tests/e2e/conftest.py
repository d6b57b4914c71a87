"""Fixtures for end-to-end tests: one emulator per test module, one bot (token, database) per
test, the real python-telegram-bot Application polling it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import App, build_app
from bot.channels.ratelimit import RateLimits
from bot.clock import FrozenClock
from bot.sandbox.emulator_thread import EmulatorThread
from bot.settings import Settings
from tests.conftest import SAMPLE_UNITS, START, VN
from tests.e2e.harness import TgUser, new_token, new_user_id


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as emu:
        yield emu


@dataclass
class Bot:
    """A running bot under test, and what a test needs to drive it."""

    app: App
    emulator: EmulatorThread
    token: str
    http: httpx.AsyncClient
    clock: FrozenClock
    settings: Settings

    @property
    def control(self) -> str:
        return f"{self.emulator.base_url}/_control/bots/{self.token}"

    def user(self, name: str = "Nguyễn Văn An", user_id: int | None = None) -> TgUser:
        return TgUser(self.http, self.control, user_id or new_user_id(), name)

    async def restart(self) -> None:
        """Stop the whole app and start a new one on the same database and token."""
        await self.restart_with()

    async def restart_with(self, **options: Any) -> None:
        await self.app.stop()
        options = {"poll_timeout": 1, "limits": FAST_LIMITS, **options}
        self.app = await build_app(self.settings, clock=self.clock, **options)
        await self.app.start(schedule=False)

    async def limits(self, **changes: Any) -> None:
        resp = await self.http.post(f"{self.control}/limits", json=changes)
        assert resp.status_code < 400, resp.text


# The bot's own pacing in tests that are not about rate limits: generous, so flows run fast.
FAST_LIMITS = RateLimits(overall_rate=1000, overall_burst=100, chat_rate=100, chat_burst=100)


def bot_settings(emulator: EmulatorThread, token: str, data_dir: Path, **extra: Any) -> Settings:
    """A bot on the Telegram emulator with its own token and data (`extra`: other settings)."""
    return Settings(
        telegram_token=token,
        telegram_api_url=emulator.api_url,
        telegram_file_url=emulator.file_url,
        data_dir=data_dir,
        _env_file=None,  # type: ignore[call-arg]
        **extra,
    )


async def new_app(settings: Settings, clock: FrozenClock, *, seed: bool = True) -> App:
    """The app under test, not started: short polls, fast pacing, the sample units (`seed`)."""
    app = await build_app(settings, clock=clock, poll_timeout=1, limits=FAST_LIMITS)
    if seed:
        async with app.db.transaction():
            await app.services.repos.units.upsert_many(SAMPLE_UNITS, clock.now())
    return app


@asynccontextmanager
async def unstarted_bot(emulator: EmulatorThread, data_dir: Path) -> AsyncIterator[Bot]:
    """A new bot (token, database with the sample units, its app not started yet), the
    emulator's flood limits off for it; the caller starts and stops the app."""
    token = new_token()
    settings = bot_settings(emulator, token, data_dir)
    clock = FrozenClock(VN, START)
    app = await new_app(settings, clock)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        bot = Bot(app, emulator, token, http, clock, settings)
        await bot.limits(enabled=False)
        yield bot


@pytest.fixture
async def tg(emulator: EmulatorThread, tmp_path: Path) -> AsyncIterator[Bot]:
    async with unstarted_bot(emulator, tmp_path) as bot:
        await bot.app.start(schedule=False)
        try:
            yield bot
        finally:
            await bot.app.stop()
