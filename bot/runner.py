"""`dondoc run`: the bot on Telegram when a token is set; otherwise the local sandbox (the Bot API
emulator on this machine, a sandbox database with a sample organisation, and the bot)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import suppress

from bot.app import build_app
from bot.sandbox.seed import SeededInvite, seed_if_empty
from bot.settings import Settings
from messages import Texts, plain

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "1000000001:dondoc-sandbox-local-token"


def sandbox_settings(settings: Settings, api_url: str, file_url: str) -> Settings:
    return settings.model_copy(
        update={
            "telegram_token": SANDBOX_TOKEN,
            "telegram_api_url": api_url,
            "telegram_file_url": file_url,
            "db": settings.db_path,  # pinned before the token is set
        }
    )


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


async def run(settings: Settings) -> None:
    setup_logging(settings.log_level)
    emulator = None
    if settings.sandbox:
        from bot.sandbox.telegram_emulator import TelegramEmulator

        emulator = TelegramEmulator()
        base = await emulator.start(settings.sandbox_host, settings.sandbox_api_port)
        settings = sandbox_settings(settings, emulator.api_url, emulator.file_url)
    app = await build_app(settings)
    if emulator is not None:
        invites = await seed_if_empty(app.db, app.services.repos, app.services.clock.now())
        _print_sandbox_help(base, settings, invites)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await app.start()
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await app.stop()
        if emulator is not None:
            await emulator.stop()


def _print_sandbox_help(base: str, settings: Settings, invites: list[SeededInvite]) -> None:
    texts = Texts("vi", settings.tz)
    shown = [
        {"code": i.code, "role": texts(f"roles.{i.role.value}"), "unit_name": i.unit_name}
        for i in invites
    ]
    print(plain(texts("sandbox.started", base=base, db_path=settings.db_path, invites=shown)))
