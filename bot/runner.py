"""`dondoc run`: the bot on Telegram when a token is set; otherwise the local sandbox (the Bot API
emulator on this machine, a sandbox database with a sample organisation, and the bot).

Updates come by polling, or with `--webhook` by Telegram's calls to bot/webhook.py's server,
which also answers GET /healthz (in polling mode when DONDOC_HEALTH_PORT is set). SIGTERM or
SIGINT stops it cleanly: no more updates are taken, the updates and outbox messages in flight
finish and are recorded, then the database closes."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import suppress
from typing import TYPE_CHECKING

from bot.app import App, build_app
from bot.health import Health
from bot.logs import setup_logging
from bot.public_files import PublicFiles
from bot.public_files import add_routes as add_file_routes
from bot.sandbox.demo import with_sandbox_clock
from bot.sandbox.seed import SeededInvite, seed_if_empty
from bot.sandbox.web import SandboxWeb, start_sandbox_web
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.webhook import WebhookTarget, WebServer, webhook_target
from messages import Texts, plain

if TYPE_CHECKING:
    from bot.sandbox.telegram_emulator import TelegramEmulator

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "1000000001:dondoc-sandbox-local-token"
SANDBOX_ZALO_TOKEN = "2000000002:dondoc-sandbox-zalo-token"
SANDBOX_ZALO_USER = 2001  # the user id the sandbox help suggests for chatting as a Zalo user


def sandbox_settings(settings: Settings, api_url: str, file_url: str) -> Settings:
    return settings.model_copy(
        update={
            "telegram_token": SANDBOX_TOKEN,
            "telegram_api_url": api_url,
            "telegram_file_url": file_url,
            "db": settings.db_path,  # pinned before the token is set
        }
    )


def sandbox_zalo_settings(settings: Settings, api_url: str) -> Settings:
    return settings.model_copy(
        update={"zalo_token": SANDBOX_ZALO_TOKEN, "zalo_api_url": api_url, "db": settings.db_path}
    )


async def go_on_from_handled(services: Services, emulator: TelegramEmulator) -> None:
    """A restarted sandbox's emulator numbers updates from 1 again, while the database still
    holds the ids it handled (and would take the new ones for redeliveries): its ids go on from
    the highest handled, as Telegram's keep growing."""
    bot = emulator.bot(SANDBOX_TOKEN)
    if bot is not None:
        bot.account.updates.start_after(await services.repos.conversations.last_handled("telegram"))


async def run(settings: Settings, *, webhook: bool = False) -> None:
    target: WebhookTarget | None = None
    if webhook:
        try:
            target = webhook_target(settings)
        except SettingsError as exc:
            print(exc, file=sys.stderr)
            raise SystemExit(2) from None
    setup_logging(settings.log_level, settings.log_format)
    if not webhook and settings.webhook_url:
        log.warning("DONDOC_WEBHOOK_URL is set but `dondoc run` has no --webhook: polling")
    emulator = None
    if settings.sandbox:
        from bot.sandbox.telegram_emulator import TelegramEmulator
        from bot.sandbox.zalo_emulator import ZaloEmulator

        settings = with_sandbox_clock(settings)  # DONDOC_CLOCK, else the sample's date
        emulator = TelegramEmulator(deliver_webhooks=webhook)
        ZaloEmulator(world=emulator.world).mount(emulator.app)  # Zalo on the same port
        base = await emulator.start(settings.sandbox_host, settings.sandbox_api_port)
        settings = sandbox_settings(settings, emulator.api_url, emulator.file_url)
        settings = sandbox_zalo_settings(settings, ZaloEmulator.api_url_at(base))
    app = await build_app(settings)
    sandbox_page: SandboxWeb | None = None
    if emulator is not None:
        await go_on_from_handled(app.services, emulator)
        invites = await seed_if_empty(app.services)
        _print_sandbox_help(base, settings, invites)
        sandbox_page = await start_sandbox_web(app, emulator, SANDBOX_TOKEN)  # the chat page
    server: WebServer | None = None
    serves_files = settings.public_url is not None
    if target is not None or settings.health_port is not None or serves_files:
        health = Health(app.db, "webhook" if target else "polling")
        port = target.port if target is not None else settings.health_port
        server = WebServer(health, settings.webhook_listen, port or settings.webhook_port)
        if serves_files and settings.public_url is not None:
            files = PublicFiles(settings.public_url, settings.data_dir)
            server.add_routes(lambda web_app: add_file_routes(web_app, files))
        if target is not None and app.telegram is not None:
            server.webhook(target.path, target.secret, app.telegram.feed)
            app.telegram.use_webhook(target.url, target.secret)
        elif target is not None:
            log.warning("--webhook without DONDOC_TELEGRAM_TOKEN: only /healthz is served")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        if server is not None:
            await server.start()  # first, so Telegram's first calls find it (they wait for ready)
        await app.start()
    except Exception as exc:
        reason = repr(exc)
        for token in (settings.telegram_token, settings.zalo_token):
            reason = reason.replace(token, "<token>") if token else reason
        log.error("could not start: %s", reason, exc_info=log.isEnabledFor(logging.DEBUG))
        if sandbox_page is not None:
            await sandbox_page.stop()
        with suppress(Exception):
            await _stop(app, server, emulator)
        raise SystemExit(1) from None
    if server is not None:
        server.ready()
    log.info(
        "started: updates by %s, database %s", "webhook" if target else "polling", settings.db_path
    )
    try:
        await stop.wait()
    finally:
        log.info("stopping: finishing the updates and messages in flight")
        if sandbox_page is not None:
            await sandbox_page.stop()
        await _stop(app, server, emulator)
        log.info("stopped")


async def _stop(app: App, server: WebServer | None, emulator: TelegramEmulator | None) -> None:
    """Close the HTTP port (updates being handled finish), stop the app, then the emulator."""
    if server is not None:
        await server.stop()
    try:
        await app.stop()
    finally:
        if emulator is not None:
            await emulator.stop()


def _print_sandbox_help(base: str, settings: Settings, invites: list[SeededInvite]) -> None:
    texts = Texts("vi", settings.tz)
    shown = [
        {"code": i.code, "role": texts(f"roles.{i.role.value}"), "unit_name": i.unit_name}
        for i in invites
    ]
    print(plain(texts("sandbox.started", base=base, db_path=settings.db_path, invites=shown)))
    print(plain(texts("zalo.sandbox_started", base=base, user_id=SANDBOX_ZALO_USER)))
