"""The composition root: builds the database, repositories, texts, router and channels, and is the
only place that wires a platform SDK to the channel-neutral core."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.channels.telegram import TelegramChannel, TelegramConfig
from bot.clock import Clock, FrozenClock, OffsetClock, SystemClock
from bot.services import Repos, Services
from bot.settings import Settings
from handlers.menus import MENUS
from handlers.router import Router
from handlers.routes import build_router
from messages import Texts
from storage.db import Database

log = logging.getLogger(__name__)


def make_clock(settings: Settings) -> Clock:
    if settings.clock is not None:
        return OffsetClock(settings.tz, settings.clock)
    return SystemClock(settings.tz)


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    router: Router
    telegram: TelegramChannel | None = None

    async def start(self) -> None:
        if self.telegram is not None:
            await self.telegram.start()
            self.services = replace(self.services, bot_username=self.telegram.username)
            self.router.services = self.services

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        await self.db.close()


async def open_services(settings: Settings, clock: Clock | None = None) -> Services:
    db = await Database.open(settings.db_path)
    return Services(
        db=db,
        repos=Repos.on(db),
        texts=Texts("vi", settings.tz),
        clock=clock or make_clock(settings),
    )


async def build_app(
    settings: Settings, *, clock: Clock | FrozenClock | None = None, poll_timeout: float = 10.0
) -> App:
    """Everything wired, not yet started. With a token, the Telegram channel is included."""
    services = await open_services(settings, clock)
    router = build_router(services)
    app = App(settings=settings, db=services.db, services=services, router=router)
    if settings.telegram_token:
        texts = services.texts

        async def unreachable(channel: str, chat_id: str, reason: str) -> None:
            await services.repos.members.mark_unreachable(channel, chat_id, reason)

        from bot.chat import MenuCommand

        app.telegram = TelegramChannel(
            TelegramConfig(
                token=settings.telegram_token,
                api_url=settings.telegram_api_url,
                file_url=settings.file_url,
                poll_timeout=poll_timeout,
            ),
            handle=router.handle,
            texts=texts,
            on_unreachable=unreachable,
            default_menu=tuple(MenuCommand(c, texts(f"menu.{c}")) for c in MENUS[None]),
        )
    return app
