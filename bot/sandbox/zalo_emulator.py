"""A local emulator of the Zalo Bot Platform API, on the sandbox's shared World.

It speaks Zalo's wire format on ``<prefix>/bot<token>/<method>`` (prefix "/zalo": the bot's
DONDOC_ZALO_API_URL is ``<base>/zalo/bot``): POST (or GET) with JSON, form or query parameters,
answered ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}`` with
the same HTTP status. Methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
sendMessage, sendPhoto, sendSticker, sendChatAction.

What the documentation says and the emulator does: text of 1 to 2,000 characters (counted in
UTF-16 units, as Zalo's JavaScript does), sendPhoto by URL with a caption of at most 2,000,
getUpdates returning one update per call and answering 408 when none came within ``timeout``
(seconds, default 30), no offsets or update ids (an update handed out is gone), string ids, dates
in milliseconds, the secret of setWebhook (8 to 256 characters) sent in X-Bot-Api-Secret-Token.
What it has to guess (Zalo does not document it): 429 with ``parameters.retry_after`` and a
Retry-After header when a bot sends too fast (the same buckets as the Telegram emulator), 403
"Forbidden: the user has blocked the bot" for a person who blocked it, 400 "chat not found" for
an unknown chat, 409 for getUpdates while a webhook is set.

A JSON control API under ``/_control/zalo`` plays the users, shaped like the Telegram one
(``/_control/zalo/{token}/users/{id}/messages|photo|sticker|unsupported|block``, ``.../messages``
to read what the bot sent, ``/stats``, ``/faults``, ``/limits``, ``/pollers``); user ids there are
the World's numbers, shown to the bot as 20 hex digits as Zalo's ids look.

Mount it on another aiohttp application (the Telegram emulator's, so the sandbox has one port)
with :meth:`ZaloEmulator.mount`, or serve it alone with :meth:`ZaloEmulator.start`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextvars
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

import aiohttp
from aiohttp import web

from bot.sandbox.telegram_emulator import (
    BOT_FIRST_NAME,
    ControlError,
    Fault,
    Limits,
    LogQuery,
    Params,
    TokenBucket,
    UploadedPart,
    image_size,
    read_params,
    utf16_length,
)
from bot.sandbox.telegram_emulator import (
    ApiError as TelegramApiError,
)
from bot.sandbox.world import (
    BotAccount,
    BotStats,
    Chat,
    ChatMessage,
    Clock,
    JSONDict,
    MessageKind,
    QueuedUpdate,
    Signal,
    StoredFile,
    User,
    World,
    wait_until,
)

PREFIX = "/zalo"
CONTROL = "/_control/zalo"
MAX_TEXT_LENGTH = 2000
MAX_POLL_TIMEOUT = 60.0
DEFAULT_POLL_TIMEOUT = 30.0
MAX_PHOTO_SIZE = 20 * 1024 * 1024
SECRET_HEADER = "X-Bot-Api-Secret-Token"
CHAT_ACTIONS = frozenset({"typing", "upload_photo"})
PARSE_MODES = frozenset({"markdown", "html"})
EVENTS = {
    "text": "message.text.received",
    "photo": "message.image.received",
    "sticker": "message.sticker.received",
    "other": "message.unsupported.received",
}
TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

# Error descriptions (Zalo documents none of these texts: the emulator's own wording).
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
REQUEST_TIMEOUT = "Request timeout"
CHAT_ID_REQUIRED = "Bad Request: chat_id is required"
CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: the user has blocked the bot"
TEXT_LENGTH = "Bad Request: text must be 1 to 2000 characters"
CAPTION_LENGTH = "Bad Request: caption must be 1 to 2000 characters"
PHOTO_URL = "Bad Request: photo must be an http(s) URL"
STICKER_REQUIRED = "Bad Request: sticker is required"
PARSE_MODE = "Bad Request: parse_mode must be markdown or html"
ACTION = "Bad Request: action must be typing or upload_photo"
WEBHOOK_URL = "Bad Request: url must be an HTTPS URL"
WEBHOOK_SECRET = "Bad Request: secret_token must be 8 to 256 characters"
WEBHOOK_ACTIVE = "Conflict: a webhook is set; call deleteWebhook to use getUpdates"

WebhookStyle = Literal["wrapped", "flat"]


class ZaloError(Exception):
    """An API error: HTTP status = ``code``, body ``{"ok": false, "error_code", ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        headers = {}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
            headers["Retry-After"] = str(self.retry_after)
        return _json(body, self.code, headers)


def too_many_requests(retry_after: int) -> ZaloError:
    return ZaloError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def wire_id(number: int) -> str:
    """A World id as Zalo shows ids: 20 hex digits."""
    return f"{number:020x}"


def number_of(wire: Any) -> int | None:
    if not isinstance(wire, str) or not 1 <= len(wire) <= 32:
        return None
    try:
        return int(wire, 16)
    except ValueError:
        return None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps, headers=headers)


# --------------------------------------------------------------------------- per-bot state


@dataclass
class ZaloWebhook:
    url: str = ""
    secret_token: str = ""
    updated_at: int = 0
    last_error: str | None = None
    delivered: int = 0

    def info(self) -> JSONDict:
        return {"url": self.url, "updated_at": self.updated_at}


@dataclass
class SentExtra:
    """What a Zalo message carries beyond the World's ChatMessage."""

    wire_id: str
    photo_url: str | None = None
    sticker: str | None = None


@dataclass
class ZaloBot:
    account: BotAccount
    limits: Limits | None = None
    chat_buckets: dict[int, TokenBucket] = field(default_factory=dict)
    bot_bucket: TokenBucket | None = None
    faults: list[Fault] = field(default_factory=list)
    webhook: ZaloWebhook = field(default_factory=ZaloWebhook)
    waiting_polls: int = 0
    poll_generation: int = 0
    polls_changed: Signal = field(default_factory=Signal)
    extras: dict[tuple[int, int], SentExtra] = field(default_factory=dict)
    omit_event_name: bool = False  # getUpdates answers have been seen without event_name

    def take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.count -= 1
                self.faults = [f for f in self.faults if f.count > 0]
                return fault
        return None

    def reset_buckets(self) -> None:
        self.chat_buckets.clear()
        self.bot_bucket = None

    def extra(self, chat: Chat, message: ChatMessage) -> SentExtra:
        key = (chat.id, message.message_id)
        found = self.extras.get(key)
        if found is None:
            found = self.extras[key] = SentExtra(secrets.token_hex(10))
        return found


ApiHandler = Callable[[ZaloBot, Params], Awaitable[Any]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_NO_RESULT = object()
# The HTTP request of the API call being handled (getUpdates hands nothing to a client gone away).
_request: contextvars.ContextVar[web.Request | None] = contextvars.ContextVar(
    "zalo_request", default=None
)  # sendChatAction answers {"ok": true} with no result


def _guard(handler: Handler) -> Handler:
    """Control errors as ``{"error": message}``, whichever application the route is on."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as error:
            return _json({"error": error.message}, error.status)

    return guarded


# --------------------------------------------------------------------------- the emulator


class ZaloEmulator:
    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Clock = time.monotonic,
        world: World | None = None,
        deliver_webhooks: bool = False,
        webhook_style: WebhookStyle = "wrapped",
        webhook_retry_max: float = 1.0,
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.world = world or World(clock=clock)
        self.deliver_webhooks = deliver_webhooks
        self.webhook_style: WebhookStyle = webhook_style
        self.webhook_retry_max = webhook_retry_max
        self._bots: dict[str, ZaloBot] = {}
        self._methods = self._method_table()
        self._stopping = False
        self._stop_signal = Signal()
        self._deliveries: dict[str, asyncio.Task[None]] = {}
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # lifecycle

    def mount(self, app: web.Application) -> None:
        """Add the Zalo API and its control API to ``app`` (before it starts); the emulator
        stops when that application shuts down."""
        self._add_routes(app)
        app.on_shutdown.append(self._on_shutdown)

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.stop()

    def _add_routes(self, app: web.Application) -> None:
        api: list[tuple[str, str, Handler]] = [
            ("*", PREFIX + "/bot{token}/{method}", self._handle_api),
            ("GET", PREFIX + "/files/{file_id}", self._handle_file),
        ]
        bot = CONTROL + "/{token}"
        user = bot + "/users/{user_id:-?[0-9]+}"
        control: list[tuple[str, str, Handler]] = [
            ("POST", CONTROL + "/limits", self._ctl_global_limits),
            ("GET", bot, self._ctl_bot_info),
            ("POST", user + "/messages", self._ctl_user_message),
            ("GET", user + "/messages", self._ctl_bot_messages),
            ("GET", user + "/transcript", self._ctl_transcript),
            ("POST", user + "/photo", self._ctl_photo),
            ("POST", user + "/sticker", self._ctl_sticker),
            ("POST", user + "/unsupported", self._ctl_unsupported),
            ("POST", user + "/block", self._ctl_block),
            ("GET", user + "/chat_actions", self._ctl_chat_actions),
            ("GET", bot + "/updates", self._ctl_pending_updates),
            ("GET", bot + "/pollers", self._ctl_pollers),
            ("GET", bot + "/webhook", self._ctl_webhook),
            ("GET", bot + "/stats", self._ctl_stats),
            ("DELETE", bot + "/stats", self._ctl_reset_stats),
            ("GET", bot + "/faults", self._ctl_faults),
            ("POST", bot + "/faults", self._ctl_add_fault),
            ("DELETE", bot + "/faults", self._ctl_clear_faults),
            ("POST", bot + "/limits", self._ctl_bot_limits),
            ("POST", bot + "/options", self._ctl_options),
        ]
        for method, path, handler in api + control:
            app.router.add_route(method, path, _guard(handler))

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve alone on ``host:port`` (0: any free port); returns the base URL."""
        app = web.Application(client_max_size=MAX_PHOTO_SIZE * 2)
        self._add_routes(app)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self._base_url = f"http://{reachable}:{runner.addresses[0][1]}"
        return self._base_url

    async def stop(self) -> None:
        """Wake every waiting call so it answers, stop webhook deliveries, close a server."""
        self._stopping = True
        self._stop_signal.fire()
        for bot in self._bots.values():
            bot.account.updates.signal.fire()
            bot.account.wake_readers()
            bot.polls_changed.fire()
        deliveries = list(self._deliveries.values())
        self._deliveries.clear()
        for task in deliveries:
            task.cancel()
        await asyncio.gather(*deliveries, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the emulator is not served alone (see mount)")
        return self._base_url

    @staticmethod
    def api_url_at(base_url: str) -> str:
        """DONDOC_ZALO_API_URL for an emulator reachable at ``base_url``."""
        return f"{base_url}{PREFIX}/bot"

    @property
    def api_url(self) -> str:
        return self.api_url_at(self.base_url)

    def bot(self, token: str) -> ZaloBot | None:
        """The bot of a token (made on first use); None when the token is not valid."""
        existing = self._bots.get(token)
        if existing is not None:
            return existing
        head, _, secret = token.partition(":")
        if not (head.isdigit() and 1 <= len(head) <= 20):
            return None
        if len(secret) < 10 or not set(secret) <= TOKEN_CHARS:
            return None
        bot_id = int(head)
        user = User(
            id=bot_id, first_name=BOT_FIRST_NAME, username=f"bot.dondoc{bot_id}", is_bot=True
        )
        bot = ZaloBot(account=self.world.add_bot(token, "zalo", user))
        self._bots[token] = bot
        return bot

    # the API

    def _method_table(self) -> dict[str, tuple[str, ApiHandler]]:
        handlers: dict[str, ApiHandler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
        }
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    async def _handle_api(self, request: web.Request) -> web.Response:
        bot = self.bot(request.match_info["token"])
        if bot is None:
            return ZaloError(401, UNAUTHORIZED).response()
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return ZaloError(404, NOT_FOUND).response()
        name, handler = entry
        bot.account.stats.record_call(name)
        _request.set(request)
        try:
            try:
                params = await read_params(request)
            except TelegramApiError as error:
                raise ZaloError(error.code, error.description) from error
            await self._apply_fault(bot, name, params)
            result = await handler(bot, params)
        except ZaloError as error:
            bot.account.stats.record_error(name, error.code)
            return error.response()
        if result is _NO_RESULT:
            return _json({"ok": True})
        return _json({"ok": True, "result": result})

    async def _apply_fault(self, bot: ZaloBot, method: str, params: Params) -> None:
        fault = bot.take_fault(method, number_of(params.text("chat_id")))
        if fault is None:
            return
        if fault.delay > 0 and not self._stopping:
            await self._stop_signal.wait(fault.delay)
        if fault.status == "timeout":
            if not fault.execute:
                raise ZaloError(502, "Bad Gateway")
            return
        if fault.status == 429:
            raise too_many_requests(fault.retry_after)
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        raise ZaloError(fault.status, phrase)

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Where photo_url and a sticker's url point (Zalo's CDN: no token needed)."""
        stored = self.world.file(request.match_info["file_id"])
        if stored is None or stored.kind not in ("photo", "sticker"):
            return web.Response(status=404, text="not found")
        return web.Response(body=stored.data, content_type=stored.mime_type or "image/jpeg")

    async def _get_me(self, bot: ZaloBot, params: Params) -> JSONDict:
        return {
            "id": str(bot.account.id),
            "account_name": bot.account.user.username,
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _get_updates(self, bot: ZaloBot, params: Params) -> JSONDict:
        if bot.webhook.url:
            raise ZaloError(409, WEBHOOK_ACTIVE)
        asked = params.number("timeout")
        timeout = min(max(DEFAULT_POLL_TIMEOUT if asked is None else asked, 0.0), MAX_POLL_TIMEOUT)
        queue = bot.account.updates
        # A newer call supersedes a waiting one (a client that gave up and asked again): the
        # older one takes nothing, so no update is handed to a connection nobody reads.
        bot.poll_generation += 1
        generation = bot.poll_generation
        queue.signal.fire()
        bot.waiting_polls += 1
        bot.polls_changed.fire()
        try:
            await wait_until(
                queue.signal,
                lambda: (
                    bool(queue.pending_count) or generation != bot.poll_generation or self._stopping
                ),
                timeout,
            )
        finally:
            bot.waiting_polls -= 1
            bot.polls_changed.fire()
        request = _request.get()
        gone = request is not None and (request.transport is None or request.transport.is_closing())
        if generation != bot.poll_generation or self._stopping or gone:
            raise ZaloError(408, REQUEST_TIMEOUT)
        taken = queue.take(1)
        if not taken:
            raise ZaloError(408, REQUEST_TIMEOUT)
        update = taken[0]
        queue.confirm(update.update_id + 1)  # handed out: gone (Zalo has no offsets)
        payload = dict(update.payload)
        if bot.omit_event_name:
            payload.pop("event_name", None)
        return payload

    async def _set_webhook(self, bot: ZaloBot, params: Params) -> JSONDict:
        url = (params.text("url") or "").strip()
        schemes = ("https://", "http://") if self.deliver_webhooks else ("https://",)
        if not url.lower().startswith(schemes):
            raise ZaloError(400, WEBHOOK_URL)
        secret = params.text("secret_token") or ""
        if not 8 <= len(secret) <= 256:
            raise ZaloError(400, WEBHOOK_SECRET)
        bot.webhook = ZaloWebhook(url, secret, self._millis())
        bot.account.updates.signal.fire()  # a waiting getUpdates or an old delivery stops
        if self.deliver_webhooks:
            self._start_delivery(bot)
        return bot.webhook.info()

    async def _delete_webhook(self, bot: ZaloBot, params: Params) -> JSONDict:
        bot.webhook = ZaloWebhook(updated_at=self._millis())
        bot.account.updates.signal.fire()
        return bot.webhook.info()

    async def _get_webhook_info(self, bot: ZaloBot, params: Params) -> JSONDict:
        return bot.webhook.info()

    def _millis(self) -> int:
        return int(self.world.wall_clock() * 1000)

    def _target_chat(self, bot: ZaloBot, params: Params) -> Chat:
        raw = params.text("chat_id")
        if not raw:
            raise ZaloError(400, CHAT_ID_REQUIRED)
        number = number_of(raw)
        chat = bot.account.chat(number) if number is not None else None
        if chat is None:
            raise ZaloError(400, CHAT_NOT_FOUND)
        if chat.blocked:
            raise ZaloError(403, BLOCKED)
        return chat

    def _consume_rate(self, bot: ZaloBot, chat_id: int) -> None:
        limits = bot.limits or self.limits
        if not limits.enabled:
            return
        now = self.clock()
        bucket = bot.chat_buckets.get(chat_id)
        if bucket is None:
            bucket = bot.chat_buckets[chat_id] = TokenBucket.full(
                limits.chat_burst, limits.chat_rate, now
            )
        if bot.bot_bucket is None:
            bot.bot_bucket = TokenBucket.full(limits.bot_burst, limits.bot_rate, now)
        wait = max(bucket.wait_time(now), bot.bot_bucket.wait_time(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        bucket.take()
        bot.bot_bucket.take()

    def _bot_message(
        self, bot: ZaloBot, chat: Chat, kind: MessageKind, text: str, **extra: str | None
    ) -> JSONDict:
        message = ChatMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            sender_id=bot.account.id,
            from_bot=True,
            date=self.world.unix_now(),
            kind=kind,
            text=text,
        )
        sent = bot.extra(chat, message)
        sent.photo_url = extra.get("photo_url")
        sent.sticker = extra.get("sticker")
        bot.account.add_message(chat, message)
        bot.account.stats.record_send(chat.id, self.world.wall_clock())
        return {"message_id": sent.wire_id, "date": self._millis()}

    async def _send_message(self, bot: ZaloBot, params: Params) -> JSONDict:
        chat = self._target_chat(bot, params)
        text = params.text("text") or ""
        if not 1 <= utf16_length(text) <= MAX_TEXT_LENGTH:
            raise ZaloError(400, TEXT_LENGTH)
        mode = params.text("parse_mode")
        if mode and mode.lower() not in PARSE_MODES:
            raise ZaloError(400, PARSE_MODE)
        self._consume_rate(bot, chat.id)
        return self._bot_message(bot, chat, "text", text)

    async def _send_photo(self, bot: ZaloBot, params: Params) -> JSONDict:
        chat = self._target_chat(bot, params)
        photo = (params.text("photo") or "").strip()
        if not photo.lower().startswith(("https://", "http://")):
            raise ZaloError(400, PHOTO_URL)
        caption = params.text("caption")
        if caption is not None and not 1 <= utf16_length(caption) <= MAX_TEXT_LENGTH:
            raise ZaloError(400, CAPTION_LENGTH)
        self._consume_rate(bot, chat.id)
        return self._bot_message(bot, chat, "photo", caption or "", photo_url=photo)

    async def _send_sticker(self, bot: ZaloBot, params: Params) -> JSONDict:
        chat = self._target_chat(bot, params)
        sticker = (params.text("sticker") or "").strip()
        if not sticker:
            raise ZaloError(400, STICKER_REQUIRED)
        self._consume_rate(bot, chat.id)
        return self._bot_message(bot, chat, "sticker", "", sticker=sticker)

    async def _send_chat_action(self, bot: ZaloBot, params: Params) -> object:
        chat = self._target_chat(bot, params)
        action = params.text("action") or ""
        if action not in CHAT_ACTIONS:
            raise ZaloError(400, ACTION)
        bot.account.record_chat_action(chat, action, self.world.wall_clock())
        return _NO_RESULT

    # webhook delivery

    def _start_delivery(self, bot: ZaloBot) -> None:
        token = bot.account.token
        running = self._deliveries.get(token)
        if running is not None and not running.done():
            running.cancel()
        task = asyncio.create_task(self._deliver(bot, bot.webhook), name="zalo-webhook")
        self._deliveries[token] = task

    async def _deliver(self, bot: ZaloBot, hook: ZaloWebhook) -> None:
        """POST pending updates one by one to ``hook`` until it is replaced or deleted; an
        update stays pending until answered 2xx."""
        queue = bot.account.updates
        delay = 0.05
        async with aiohttp.ClientSession() as session:
            while not self._stopping and bot.webhook is hook:
                pending = queue.pending()
                if not pending:
                    await queue.signal.wait(1.0)
                    continue
                update = pending[0]
                payload = dict(update.payload)
                body = payload if self.webhook_style == "flat" else {"ok": True, "result": payload}
                try:
                    async with session.post(
                        hook.url,
                        data=_dumps(body).encode(),
                        headers={
                            SECRET_HEADER: hook.secret_token,
                            "Content-Type": "application/json",
                        },
                        timeout=aiohttp.ClientTimeout(total=30),
                    ) as response:
                        ok = 200 <= response.status < 300
                        error = None if ok else f"HTTP {response.status}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    ok, error = False, type(exc).__name__
                if ok:
                    queue.take(1)
                    queue.confirm(update.update_id + 1)
                    hook.delivered += 1
                    hook.last_error = None
                    delay = 0.05
                    continue
                hook.last_error = error
                await self._stop_signal.wait(delay)
                delay = min(delay * 2, self.webhook_retry_max)

    # ------------------------------------------------------------------ control API

    def _control_bot(self, request: web.Request) -> ZaloBot:
        bot = self.bot(request.match_info["token"])
        if bot is None:
            raise ControlError(400, "invalid bot token")
        return bot

    @staticmethod
    def _user_id(request: web.Request) -> int:
        return int(request.match_info["user_id"])

    def _chat_of(self, bot: ZaloBot, user_id: int, body: JSONDict) -> Chat:
        """The user (made or updated from the body) and their chat with the bot; writing to a
        bot one had blocked unblocks it."""
        if user_id <= 0 or user_id == bot.account.id:
            raise ControlError(400, f"{user_id} is not a user id")
        name = body.get("display_name")
        profile = {
            key: str(body[key]) for key in ("first_name", "last_name") if body.get(key) is not None
        }
        if isinstance(name, str) and name.strip():
            profile = {"first_name": name.strip(), "last_name": ""}
        user = self.world.ensure_user(user_id, **profile)
        if user.is_bot:
            raise ControlError(400, f"{user_id} is a bot, not a user")
        chat = bot.account.open_chat(user)
        if chat.blocked:
            chat.blocked = False
            bot.account.touch(chat.id)
        return chat

    def _user_message(
        self,
        request: web.Request,
        bot: ZaloBot,
        chat: Chat,
        kind: Literal["text", "photo", "sticker", "other"],
        fields: JSONDict,
        *,
        text: str = "",
        files: Sequence[StoredFile] = (),
    ) -> tuple[str, int]:
        message = ChatMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            sender_id=chat.user.id,
            from_bot=False,
            date=self.world.unix_now(),
            kind="text" if kind == "other" else kind,
            text=text,
            files=list(files),
        )
        sent = bot.extra(chat, message)
        sent.photo_url = fields.get("photo_url")
        sent.sticker = fields.get("sticker")
        bot.account.add_message(chat, message)
        payload: JSONDict = {
            "event_name": EVENTS[kind],
            "message": {
                "from": {
                    "id": wire_id(chat.user.id),
                    "display_name": chat.user.full_name,
                    "is_bot": False,
                },
                "chat": {"id": wire_id(chat.id), "chat_type": "PRIVATE"},
                "message_id": sent.wire_id,
                "date": self._millis(),
                **fields,
            },
        }
        update = bot.account.updates.push(EVENTS[kind], payload)
        return sent.wire_id, update.update_id

    def _file_url(self, request: web.Request, stored: StoredFile) -> str:
        return f"{request.url.origin()}{PREFIX}/files/{stored.file_id}"

    async def _ctl_user_message(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ControlError(400, "text is required")
        chat = self._chat_of(bot, self._user_id(request), body)
        message_id, update_id = self._user_message(
            request, bot, chat, "text", {"text": text}, text=text
        )
        return _json({"message_id": message_id, "update_id": update_id})

    async def _ctl_photo(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        upload, caption, body = await _control_upload(request)
        if not upload.data:
            raise ControlError(400, "the photo is empty")
        if image_size(upload.data) is None:
            raise ControlError(400, "not an image")
        chat = self._chat_of(bot, self._user_id(request), body)
        stored = self.world.store_file(
            owner=bot.account.token,
            kind="photo",
            data=upload.data,
            mime_type="image/jpeg",
            extension=".jpg",
        )
        fields: JSONDict = {"photo_url": self._file_url(request, stored)}
        if caption:
            fields["caption"] = caption
        message_id, update_id = self._user_message(
            request, bot, chat, "photo", fields, text=caption, files=[stored]
        )
        return _json(
            {
                "message_id": message_id,
                "update_id": update_id,
                "photo_url": fields["photo_url"],
                "size": stored.size,
            }
        )

    async def _ctl_sticker(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await _json_body(request)
        chat = self._chat_of(bot, self._user_id(request), body)
        sticker = str(body.get("sticker") or secrets.token_hex(10))
        message_id, update_id = self._user_message(
            request, bot, chat, "sticker", {"sticker": sticker}
        )
        return _json({"message_id": message_id, "update_id": update_id})

    async def _ctl_unsupported(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await _json_body(request)
        chat = self._chat_of(bot, self._user_id(request), body)
        message_id, update_id = self._user_message(request, bot, chat, "other", {})
        return _json({"message_id": message_id, "update_id": update_id})

    async def _ctl_block(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await _json_body(request)
        user = self.world.ensure_user(self._user_id(request))
        chat = bot.account.open_chat(user)
        chat.blocked = bool(body.get("blocked", True))
        bot.account.touch(chat.id)
        return _json({"blocked": chat.blocked})

    async def _ctl_global_limits(self, request: web.Request) -> web.Response:
        self.limits = _updated_limits(self.limits, await _json_body(request))
        for bot in self._bots.values():
            if bot.limits is None:
                bot.reset_buckets()
        return _json(_limits_json(self.limits))

    async def _ctl_bot_limits(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        bot.limits = _updated_limits(bot.limits or self.limits, await _json_body(request))
        bot.reset_buckets()
        return _json(_limits_json(bot.limits))

    async def _ctl_options(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await _json_body(request)
        if "omit_event_name" in body:
            bot.omit_event_name = bool(body["omit_event_name"])
        if "webhook_style" in body:
            if body["webhook_style"] not in ("wrapped", "flat"):
                raise ControlError(400, 'webhook_style is "wrapped" or "flat"')
            self.webhook_style = body["webhook_style"]
        return _json({"omit_event_name": bot.omit_event_name, "webhook_style": self.webhook_style})

    async def _ctl_bot_info(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        me = await self._get_me(bot, Params({}))
        chats = [{"user_id": c, "chat_id": wire_id(c)} for c in sorted(bot.account.chats)]
        return _json({**me, "chats": chats})

    def _snapshot(self, bot: ZaloBot, chat: Chat, message: ChatMessage, index: int) -> JSONDict:
        sent = bot.extra(chat, message)
        result: JSONDict = {
            "index": index,
            "message_id": sent.wire_id,
            "from": "bot" if message.from_bot else "user",
            "kind": message.kind,
            "text": message.text,
            "date": message.date,
            "buttons": [],
        }
        if sent.photo_url is not None:
            result["photo_url"] = sent.photo_url
        if sent.sticker is not None:
            result["sticker"] = sent.sticker
        return result

    async def _ctl_bot_messages(self, request: web.Request) -> web.Response:
        return await self._log(request, from_bot_only=True)

    async def _ctl_transcript(self, request: web.Request) -> web.Response:
        return await self._log(request, from_bot_only=False)

    async def _log(self, request: web.Request, *, from_bot_only: bool) -> web.Response:
        """Wait as the query asks (since, min_count, timeout, after_revision), then list; only
        a change of this person's chat wakes the reader."""
        bot = self._control_bot(request)
        user_id = self._user_id(request)
        query = LogQuery.from_request(request)
        account = bot.account

        def entries() -> list[ChatMessage]:
            chat = account.chat(user_id)
            if chat is None:
                return []
            return chat.bot_messages() if from_bot_only else list(chat.messages)

        def ready() -> bool:
            if self._stopping:
                return True
            enough = len(entries()) - query.since >= query.min_count
            return enough and account.chat_revision(user_id) > query.after_revision

        await wait_until(account.chat_signal(user_id), ready, query.timeout)
        listed = entries()
        chat = account.chat(user_id)
        rendered = [self._snapshot(bot, chat, m, i) for i, m in enumerate(listed)] if chat else []
        return _json(
            {
                "messages": rendered[query.since :],
                "count": len(listed),
                "revision": account.revision,
            }
        )

    async def _ctl_chat_actions(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        chat = bot.account.chat(self._user_id(request))
        actions = [{"action": a.action, "at": a.at} for a in (chat.chat_actions if chat else [])]
        return _json({"chat_actions": actions})

    async def _ctl_pending_updates(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        return _json({"pending": [_pending_json(u) for u in bot.account.updates.pending()]})

    async def _ctl_pollers(self, request: web.Request) -> web.Response:
        """How many getUpdates calls are waiting; waits for ``min_count`` of them."""
        bot = self._control_bot(request)
        query = LogQuery.from_request(request)
        await wait_until(
            bot.polls_changed,
            lambda: bot.waiting_polls >= query.min_count or self._stopping,
            query.timeout,
        )
        return _json({"waiting": bot.waiting_polls})

    async def _ctl_webhook(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        hook = bot.webhook
        return _json(
            {
                **hook.info(),
                "has_secret_token": bool(hook.secret_token),
                "pending_update_count": bot.account.updates.pending_count,
                "delivered": hook.delivered,
                "last_error": hook.last_error,
            }
        )

    async def _ctl_stats(self, request: web.Request) -> web.Response:
        return _json(self._control_bot(request).account.stats.snapshot())

    async def _ctl_reset_stats(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        bot.account.stats = BotStats()
        return _json(bot.account.stats.snapshot())

    async def _ctl_faults(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        return _json({"faults": [f.snapshot() for f in bot.faults]})

    async def _ctl_add_fault(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        try:
            fault = Fault.from_json(await _json_body(request))
        except (TypeError, ValueError) as error:
            raise ControlError(400, str(error)) from error
        bot.faults.append(fault)
        return _json({"faults": [f.snapshot() for f in bot.faults]})

    async def _ctl_clear_faults(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        bot.faults.clear()
        return _json({"faults": []})


# --------------------------------------------------------------------------- control helpers


def _pending_json(update: QueuedUpdate) -> JSONDict:
    return {"update_id": update.update_id, "kind": update.kind, "payload": update.payload}


async def _json_body(request: web.Request) -> JSONDict:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError as error:
        raise ControlError(400, "the body must be JSON") from error
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


async def _control_upload(request: web.Request) -> tuple[UploadedPart, str, JSONDict]:
    """A user's upload: multipart (file, caption, ...) or JSON with content_base64."""
    if request.content_type == "multipart/form-data":
        form = await request.post()
        part = form.get("file")
        if not isinstance(part, web.FileField):
            raise ControlError(400, 'a multipart "file" field is required')
        body: JSONDict = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = UploadedPart(part.filename, part.content_type, part.file.read())
    else:
        body = await _json_body(request)
        content = body.get("content_base64")
        if not isinstance(content, str):
            raise ControlError(400, "content_base64 is required")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as error:
            raise ControlError(400, "content_base64 is not valid base64") from error
        upload = UploadedPart(str(body.get("name") or "") or None, body.get("mime_type"), data)
    if len(upload.data) > MAX_PHOTO_SIZE:
        raise ControlError(413, "the photo is too large")
    return upload, str(body.get("caption") or ""), body


def _updated_limits(current: Limits, body: JSONDict) -> Limits:
    try:
        return current.updated(body)
    except (TypeError, ValueError) as error:
        raise ControlError(400, str(error)) from error


def _limits_json(limits: Limits) -> JSONDict:
    return {
        "chat_burst": limits.chat_burst,
        "chat_rate": limits.chat_rate,
        "bot_burst": limits.bot_burst,
        "bot_rate": limits.bot_rate,
        "enabled": limits.enabled,
    }
