"""The composition root: builds the database, repositories, texts, router, channels, the outbox
sender and the reminder scheduler, and is the only place that wires a platform SDK to the
channel-neutral core."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.broadcasting import report_finished
from bot.channels.ratelimit import RateLimits
from bot.channels.telegram import TelegramChannel, TelegramConfig
from bot.channels.zalo import ZaloChannel, ZaloConfig
from bot.chat import MenuCommand
from bot.clock import Clock, clock_for
from bot.exports import letterhead_of
from bot.public_files import PublicFiles
from bot.reminders import Reminders, ReminderSettings
from bot.sender import OutboxSender
from bot.services import Repos, Services
from bot.settings import Settings
from bot.worktime import QuietHours
from handlers.menus import MENUS
from handlers.router import Router
from handlers.routes import build_router
from messages import Texts
from storage.db import Database

log = logging.getLogger(__name__)

TICK_SECONDS = 60


@dataclass
class App:
    settings: Settings
    db: Database
    services: Services
    router: Router
    sender: OutboxSender
    reminders: Reminders
    telegram: TelegramChannel | None = None
    zalo: ZaloChannel | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _scheduler: AsyncIOScheduler | None = None

    async def start(self, *, schedule: bool = True) -> None:
        if self.telegram is not None:
            await self.telegram.start()
            self.services = replace(self.services, bot_username=self.telegram.username)
            self.router.services = self.services
            self.sender.channels["telegram"] = self.telegram.deliver
        if self.zalo is not None:
            await self.zalo.start()
            self.sender.channels["zalo"] = self.zalo.deliver
        self._tasks.append(asyncio.create_task(self.sender.run(), name="outbox-sender"))
        if schedule:
            self._scheduler = AsyncIOScheduler(timezone=self.settings.tz)
            self._scheduler.add_job(
                self.reminders.tick,
                "interval",
                seconds=TICK_SECONDS,
                id="reminders",
                max_instances=1,
                coalesce=True,
            )
            self._scheduler.add_job(
                self.forget_old_updates,
                "interval",
                hours=1,
                id="forget-old-updates",
                max_instances=1,
                coalesce=True,
            )
            self._scheduler.start()
            await self.forget_old_updates()
            await self.reminders.tick()

    async def forget_old_updates(self) -> None:
        """The handled-once marks are kept for a while only (`keep_handled_for`)."""
        conversations = self.services.repos.conversations
        now = self.services.clock.now()
        await conversations.forget_handled_before(now - conversations.keep_handled_for())

    async def stop(self) -> None:
        """Stop taking updates, let the messages in flight finish, then close the database."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self.telegram is not None:
            await self.telegram.stop_polling()
        if self.zalo is not None:
            await self.zalo.stop_polling()
        from bot.exports.jobs import wait_idle as exports_idle

        await exports_idle()  # a file being written still reaches the outbox
        await self.sender.stop()
        if self.telegram is not None:
            await self.telegram.stop()
        if self.zalo is not None:
            await self.zalo.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.db.close()


async def open_services(settings: Settings, clock: Clock | None = None) -> Services:
    db = await Database.open(settings.db_path)
    return Services(
        db=db,
        repos=Repos.on(db),
        texts=Texts("vi", settings.tz),
        clock=clock or clock_for(settings.tz, settings.clock),
        data_dir=settings.data_dir,
        quiet=QuietHours.parse(settings.quiet_hours),
        letterhead=letterhead_of(settings),
    )


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    poll_timeout: float = 10.0,
    limits: RateLimits | None = None,
    request_timeout: float = 10.0,
) -> App:
    """Everything wired, not yet started. With a token, the Telegram channel is included."""
    services = await open_services(settings, clock)
    router = build_router(services)
    rsettings = ReminderSettings.of(settings)
    sender = OutboxSender(services, {}, quiet=services.quiet)
    services.notifier.listen(sender.wake)
    sender.after_batch.append(lambda: report_finished(services))
    app = App(
        settings=settings,
        db=services.db,
        services=services,
        router=router,
        sender=sender,
        reminders=Reminders(services, rsettings),
    )
    if settings.telegram_token:

        async def unreachable(channel: str, chat_id: str, reason: str) -> None:
            await services.repos.members.mark_unreachable(channel, chat_id, reason)

        texts = services.texts
        app.telegram = TelegramChannel(
            TelegramConfig(
                token=settings.telegram_token,
                api_url=settings.telegram_api_url,
                file_url=settings.file_url,
                poll_timeout=poll_timeout,
                request_timeout=request_timeout,
                data_dir=settings.data_dir,
                limits=limits or RateLimits(),
            ),
            handle=router.handle,
            texts=texts,
            on_unreachable=unreachable,
            default_menu=tuple(MenuCommand(c, texts(f"menu.{c}")) for c in MENUS[None]),
            hold=services.notifier.held,
        )
    if settings.zalo_token:
        app.zalo = zalo_channel(settings, services, router, poll_timeout, request_timeout, limits)
    return app


def zalo_channel(
    settings: Settings,
    services: Services,
    router: Router,
    poll_timeout: float,
    request_timeout: float,
    limits: RateLimits | None,
) -> ZaloChannel:
    """The Zalo channel; files are offered as links only when DONDOC_PUBLIC_URL is set."""
    assert settings.zalo_token is not None

    async def unreachable(channel: str, chat_id: str, reason: str) -> None:
        await services.repos.members.mark_unreachable(channel, chat_id, reason)

    public = PublicFiles(settings.public_url, settings.data_dir) if settings.public_url else None
    return ZaloChannel(
        ZaloConfig(
            token=settings.zalo_token,
            api_url=settings.zalo_api_url,
            poll_timeout=poll_timeout,
            request_timeout=request_timeout,
            limits=limits or RateLimits(),
            data_dir=settings.data_dir,
        ),
        handle=router.handle,
        texts=services.texts,
        choices=services.repos.choices,
        on_unreachable=unreachable,
        clock=services.clock,
        public_files=public,
        hold=services.notifier.held,
    )
