"""Webhook mode and the health endpoint: one small aiohttp server in the bot's own event loop.

`dondoc run --webhook` registers DONDOC_WEBHOOK_URL with Telegram (setWebhook with a secret
token) and serves, on DONDOC_WEBHOOK_LISTEN:DONDOC_WEBHOOK_PORT behind a reverse proxy that
terminates TLS:

- POST <the URL's path>: one update per request. A request without the secret token in
  X-Telegram-Bot-Api-Secret-Token is refused (403) before its body is read. The answer (200)
  comes once the update is handled, so Telegram sends again whatever was not handled (a crash,
  a restart) and the router's handled-once mark stops a second handling.
- GET /healthz: the app's health as JSON (see bot/health.py), 200 when healthy, else 503.

In polling mode, DONDOC_HEALTH_PORT serves /healthz alone. Stopping closes the port first, then
waits for the updates being handled to finish."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.health import Health
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
READY_TIMEOUT = 60.0  # how long an early update waits for the bot to finish starting
SHUTDOWN_TIMEOUT = 20.0  # how long a stop waits for the updates being handled

Feed = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class WebhookTarget:
    url: str  # the public https URL Telegram posts to
    secret: str
    listen: str
    port: int

    @property
    def path(self) -> str:
        """The path the proxy forwards: the public URL's own path."""
        return urlsplit(self.url).path or "/"


def webhook_target(settings: Settings) -> WebhookTarget:
    """The webhook settings `dondoc run --webhook` needs; SettingsError names a missing one."""
    if not settings.webhook_url:
        raise SettingsError("DONDOC_WEBHOOK_URL", "webhook_url_required", missing=True)
    if not settings.webhook_secret:
        raise SettingsError("DONDOC_WEBHOOK_SECRET", "webhook_secret_required", missing=True)
    target = WebhookTarget(
        settings.webhook_url,
        settings.webhook_secret,
        settings.webhook_listen,
        settings.webhook_port,
    )
    if target.path == HEALTH_PATH:
        raise SettingsError("DONDOC_WEBHOOK_URL", "webhook_health_path", path=HEALTH_PATH)
    return target


class WebServer:
    """The webhook (when set with `webhook`) and /healthz on one port."""

    def __init__(self, health: Health, listen: str, port: int) -> None:
        self.health = health
        self.listen = listen
        self.port = port
        self._hook: tuple[str, str, Feed] | None = None
        self._more: list[Callable[[web.Application], None]] = []
        self._ready = asyncio.Event()
        self._runner: web.AppRunner | None = None

    def webhook(self, path: str, secret: str, feed: Feed) -> None:
        """Before `start`: take updates posted to `path` with `secret`, handled by `feed`."""
        self._hook = (path, secret, feed)

    def add_routes(self, add: Callable[[web.Application], None]) -> None:
        """Before `start`: more routes on the same server (e.g. bot/public_files.py's)."""
        self._more.append(add)

    async def start(self) -> int:
        """Listen (port 0: any free port); returns the port. Updates wait for `ready`."""
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get(HEALTH_PATH, self._healthz)
        if self._hook is not None:
            app.router.add_post(self._hook[0], self._update)
        for add in self._more:
            add(app)
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        await runner.setup()
        site = web.TCPSite(runner, self.listen, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info(
            "http: listening on %s:%s (%s)",
            self.listen,
            self.port,
            f"webhook {self._hook[0]}, {HEALTH_PATH}" if self._hook else HEALTH_PATH,
        )
        return self.port

    def ready(self) -> None:
        """The app has started: updates are handled from now on."""
        self._ready.set()

    async def stop(self) -> None:
        """Close the port, then wait (up to SHUTDOWN_TIMEOUT) for the updates being handled."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _update(self, request: web.Request) -> web.Response:
        assert self._hook is not None
        _, secret, feed = self._hook
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning(
                "webhook: refused a request from %s: %s secret token",
                request.headers.get("X-Real-IP", request.remote),
                "wrong" if given else "no",
            )
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await self._ready.wait()
        except TimeoutError:
            return web.Response(status=503, text="starting")
        try:
            await feed(data)
        except ValueError as exc:
            log.warning("webhook: update %s refused: %s", data["update_id"], exc)
            return web.Response(status=400, text="not an update")
        return web.Response(status=200)

    async def _healthz(self, request: web.Request) -> web.Response:
        if not self._ready.is_set():
            return _json({"ok": False, "starting": True}, 503)
        report = await self.health.report()
        return _json(report, 200 if report["ok"] else 503)


def _json(data: dict[str, Any], status: int) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))
