"""What the sandbox's API emulators (bot/sandbox/telegram_emulator.py, zalo_emulator.py) share.

- Serving and stopping; the bots of valid tokens, each with its flood-limit buckets, injected
  faults and long-poll bookkeeping on the shared :class:`~bot.sandbox.world.World`.
- One API call's plumbing: the bot of the token (401), the method (404), its parameters however
  encoded (:class:`Params`), an injected fault, the handler, ``{"ok": ...}`` answers and error
  statistics; a getUpdates long poll that a newer call supersedes; webhook delivery tasks.
- The control API that plays the users and inspects a bot, under a platform's prefix:
  ``<bots>/{token}`` (the bot and its chats), ``.../users/{id}/messages`` (POST: the person
  writes; GET: what the bot sent) and ``/transcript``, ``/block``, ``/chat_actions``, and
  ``<bots>/{token}/updates|pollers|webhook|stats|faults|limits``, ``<root>/limits`` for every bot.
  Readers of a chat wait as the query asks (``since``, ``min_count``, ``timeout``,
  ``after_revision``) and only a change of that chat wakes them. Errors are ``{"error": ...}``.

Each emulator adds its wire format (result shapes, error texts, the platform's limits) and its
own control routes (pressing a button, sending a document...)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextvars
import json
import math
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, fields, replace
from http import HTTPStatus
from typing import Any, Generic, Literal, TypedDict, TypeVar, cast

from aiohttp import BodyPartReader, hdrs, web

from bot.sandbox.world import (
    BotAccount,
    BotStats,
    Chat,
    ChatAction,
    ChatMessage,
    Clock,
    JSONDict,
    QueuedUpdate,
    Signal,
    World,
    wait_until,
)

MAX_CONTROL_WAIT = 120.0
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
TOO_LARGE = "Request Entity Too Large"
BAD_JSON = "Bad Request: can't parse JSON object"


class ApiError(Exception):
    """An API error: HTTP status = ``code``, body ``{"ok": false, "error_code", ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


class ControlError(Exception):
    """An error of the control API, answered as ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps, headers=headers)


# --------------------------------------------------------------------------- rate limits, faults


@dataclass
class Limits:
    """Flood limits: a token bucket per chat and one per bot."""

    chat_burst: int = 5
    chat_rate: float = 1.0
    bot_burst: int = 30
    bot_rate: float = 30.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.chat_burst < 1 or self.bot_burst < 1:
            raise ValueError("bursts must be at least 1")
        if self.chat_rate <= 0 or self.bot_rate <= 0:
            raise ValueError("refill rates must be positive")

    def updated(self, changes: JSONDict) -> Limits:
        """A copy with the known fields of ``changes`` applied (ValueError on bad values)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown limit fields: {sorted(unknown)}")
        values: JSONDict = {}
        for name, value in changes.items():
            if name == "enabled":
                values[name] = bool(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                values[name] = int(value) if name.endswith("burst") else float(value)
            else:
                raise ValueError(f"{name} must be a number")
        return replace(self, **values)

    def snapshot(self) -> JSONDict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class TokenBucket:
    capacity: float
    rate: float
    tokens: float
    updated_at: float

    @classmethod
    def full(cls, capacity: float, rate: float, now: float) -> TokenBucket:
        return cls(capacity, rate, capacity, now)

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when it is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated_at) * self.rate)
        self.updated_at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


FaultStatus = int | Literal["timeout"]


@dataclass
class Fault:
    """The next ``count`` calls of ``method`` (optionally for one chat) fail this way.

    ``status`` "timeout" waits ``delay`` seconds and then, when ``execute``, carries the call
    out (as Telegram does when only the answer is late), else answers 502.
    """

    method: str
    status: FaultStatus
    count: int = 1
    chat_id: int | None = None
    retry_after: int = 1
    delay: float = 0.0
    execute: bool = True

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.count <= 0 or self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError | None:
        if self.status == "timeout":
            return None if self.execute else ApiError(502, "Bad Gateway")
        if self.status == 429:
            return too_many_requests(self.retry_after)
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        return ApiError(self.status, phrase)

    def snapshot(self) -> JSONDict:
        return {
            "method": self.method,
            "status": self.status,
            "count": self.count,
            "chat_id": self.chat_id,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "execute": self.execute,
        }

    @classmethod
    def from_json(cls, body: JSONDict) -> Fault:
        method = body.get("method")
        status = body.get("status")
        if not isinstance(method, str) or not method:
            raise ValueError("method is required")
        if status != "timeout" and status not in (429, 500, 502, 503, 504, 400, 403):
            raise ValueError('status must be 429, 500, 502 or "timeout"')
        default_delay = 5.0 if status == "timeout" else 0.0
        chat_id = body.get("chat_id")
        return cls(
            method=method,
            status=cast(FaultStatus, status),
            count=int(body.get("count", 1)),
            chat_id=None if chat_id is None else int(chat_id),
            retry_after=max(1, int(body.get("retry_after", 1))),
            delay=float(body.get("delay", default_delay)),
            execute=bool(body.get("execute", True)),
        )


# --------------------------------------------------------------------------- request parameters


@dataclass
class UploadedPart:
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)


class Params:
    """The parameters of one API call, however they were encoded.

    Form values are strings; the typed accessors coerce them as Telegram does, and parse
    the JSON-serialised values (reply_markup, commands, ...) that clients send in forms.
    """

    def __init__(self, values: JSONDict, files: dict[str, UploadedPart] | None = None) -> None:
        self._values = values
        self._files = files or {}

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def present(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value, ensure_ascii=False)

    def integer(self, name: str) -> int | None:
        """The value as an int; None when absent or not an integer."""
        return coerce_int(self._values.get(name))

    def number(self, name: str) -> float | None:
        value = self._values.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return None
        return None

    def flag(self, name: str) -> bool:
        value = self._values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def structured(self, name: str, error: str) -> Any:
        """A JSON-valued parameter, decoded when it arrived as a string."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ApiError(400, error) from exc

    def upload(self, name: str) -> UploadedPart | None:
        """The multipart file of a parameter (directly or through "attach://<part>")."""
        value = self._values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self._files.get(value[len("attach://") :])
        return self._files.get(name)


def coerce_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return None


async def read_params(request: web.Request) -> Params:
    """Query string plus a JSON, url-encoded or multipart body."""
    values: JSONDict = dict(request.query)
    files: dict[str, UploadedPart] = {}
    if request.method != "POST" or not request.body_exists:
        return Params(values, files)
    try:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            fields, files = await read_form(request)
            values.update(fields)
    except web.HTTPRequestEntityTooLarge as error:
        raise ApiError(413, TOO_LARGE) from error
    except ValueError as error:
        raise ApiError(400, BAD_JSON) from error
    return Params(values, files)


# Multipart parts are read in chunks larger than any body the emulators accept: aiohttp's reader
# then never reads past the chunk it was asked for, the one case in which it hands bytes back with
# StreamReader.unread_data() without hiding that method's DeprecationWarning (request.post() asks
# for 256 KiB chunks and meets it when a body arrives in pieces, one of them a few bytes long).
_PART_CHUNK = 1 << 30


async def read_form(request: web.Request) -> tuple[JSONDict, dict[str, UploadedPart]]:
    """The fields and the files of a url-encoded or multipart/form-data body.

    Multipart goes through ``request.multipart()``, the reader aiohttp's documentation gives for
    uploads, each part read whole; a body larger than the application's ``client_max_size``
    raises HTTPRequestEntityTooLarge and a part without a name ValueError, as
    ``request.post()`` does. A text field is a str, another one bytes."""
    if request.content_type != "multipart/form-data":
        form = await request.post()
        return {key: value for key, value in form.items() if isinstance(value, str)}, {}
    values: JSONDict = {}
    files: dict[str, UploadedPart] = {}
    limit = request.client_max_size
    size = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ValueError("a nested multipart body is not a form")
        if part.name is None:
            raise ValueError("a multipart field has no name")
        data = bytearray()
        while chunk := await part.read_chunk(_PART_CHUNK):
            size += len(chunk)
            if 0 < limit < size:
                raise web.HTTPRequestEntityTooLarge(limit, size)
            data.extend(chunk)
        content = bytes(part.decode(data))
        content_type = part.headers.get(hdrs.CONTENT_TYPE)
        if part.filename:
            mime = content_type or "application/octet-stream"
            files[part.name] = UploadedPart(part.filename, mime, content)
        elif content_type is None or content_type.startswith("text/"):
            values[part.name] = content.decode(part.get_charset(default="utf-8"))
        else:
            values[part.name] = content
    return values, files


# --------------------------------------------------------------------------- control requests


@dataclass(frozen=True)
class LogQuery:
    """The waiting options of control-API readers (query string parameters)."""

    since: int = 0
    min_count: int = 0
    timeout: float = 0.0
    after_revision: int = -1

    @classmethod
    def from_request(cls, request: web.Request) -> LogQuery:
        query = request.query
        try:
            return cls(
                since=max(int(query.get("since", "0")), 0),
                min_count=max(int(query.get("min_count", "0")), 0),
                timeout=min(max(float(query.get("timeout", "0")), 0.0), MAX_CONTROL_WAIT),
                after_revision=int(query.get("after_revision", "-1")),
            )
        except ValueError as error:
            raise ControlError(400, "since, min_count, timeout, after_revision: numbers") from error


async def json_body(request: web.Request) -> JSONDict:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError as error:
        raise ControlError(400, "the body must be JSON") from error
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


async def control_upload(request: web.Request) -> tuple[UploadedPart, str, JSONDict]:
    """A user's upload: multipart (file, caption, mime_type, ...) or JSON with content_base64,
    name, mime_type, caption; also returns the caption and the other fields."""
    if request.content_type == "multipart/form-data":
        try:
            form, files = await read_form(request)
        except ValueError as error:
            raise ControlError(400, "the multipart body is not a form") from error
        part = files.get("file")
        if part is None:
            raise ControlError(400, 'a multipart "file" field is required')
        body: JSONDict = {k: v for k, v in form.items() if isinstance(v, str)}
        mime = body.get("mime_type") or part.content_type
        upload = UploadedPart(part.filename, mime, part.data)
    else:
        body = await json_body(request)
        upload = _json_upload(body)
    return upload, str(body.get("caption") or ""), body


def _json_upload(body: JSONDict) -> UploadedPart:
    content = body.get("content_base64")
    if not isinstance(content, str):
        raise ControlError(400, "content_base64 is required")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ControlError(400, "content_base64 is not valid base64") from error
    name = body.get("name")
    return UploadedPart(str(name) if name else None, body.get("mime_type"), data)


def _updated_limits(current: Limits, body: JSONDict) -> Limits:
    try:
        return current.updated(body)
    except (TypeError, ValueError) as error:
        raise ControlError(400, str(error)) from error


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, Handler]


def _guard(handler: Handler) -> Handler:
    """Control errors as ``{"error": message}``, whichever application the route is on."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as error:
            return json_response({"error": error.message}, error.status)

    return guarded


# --------------------------------------------------------------------------- the emulators' base


@dataclass
class EmulatedBot:
    """What an emulator keeps per bot beyond the shared world state."""

    account: BotAccount
    limits: Limits | None = None
    chat_buckets: dict[int, TokenBucket] = field(default_factory=dict)
    bot_bucket: TokenBucket | None = None
    faults: list[Fault] = field(default_factory=list)
    poll_generation: int = 0
    waiting_polls: int = 0
    polls_changed: Signal = field(default_factory=Signal)

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


B = TypeVar("B", bound=EmulatedBot)
T = TypeVar("T")
ApiHandler = Callable[[B, Params], Awaitable[Any]]

# The HTTP request of the API call being handled (a long poll hands nothing to a client gone).
_request: contextvars.ContextVar[web.Request | None] = contextvars.ContextVar(
    "emulated_api_request", default=None
)


class EmulatorOptions(TypedDict, total=False):
    """What every emulator's constructor takes besides its limits (see :class:`Emulator`)."""

    clock: Clock
    world: World | None
    deliver_webhooks: bool
    webhook_retry_max: float


class Emulator(ABC, Generic[B]):
    """An API emulator on the shared World: see the module's docstring for what it gives.

    ``limits`` are every bot's until the control API changes them; ``clock`` (monotonic
    seconds) drives the flood buckets, so tests can make them deterministic; ``world`` is
    shared with another emulator (a new one by default); with ``deliver_webhooks`` updates are
    POSTed to a bot's webhook (http:// URLs allowed, as only local servers are reached), failed
    deliveries retried after at most ``webhook_retry_max`` seconds."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Clock = time.monotonic,
        world: World | None = None,
        deliver_webhooks: bool = False,
        webhook_retry_max: float = 1.0,
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.world = world or World(clock=clock)
        self.deliver_webhooks = deliver_webhooks
        self.webhook_retry_max = webhook_retry_max
        self._bots: dict[str, B] = {}
        self._methods = {
            name.lower(): (name, handler) for name, handler in self._method_table().items()
        }
        self._stopping = False
        self._stop_signal = Signal()
        self._deliveries: dict[str, asyncio.Task[None]] = {}
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # what each emulator defines

    @abstractmethod
    def _new_bot(self, token: str) -> B | None:
        """A new bot for a token, None when the token is not valid."""

    @abstractmethod
    def _method_table(self) -> dict[str, ApiHandler[B]]:
        """The API methods by name (called case-insensitively)."""

    @abstractmethod
    def _fault_chat_id(self, params: Params) -> int | None:
        """The World chat id a call is for (to match a fault injected for one chat)."""

    @abstractmethod
    def _bot_info(self, bot: B) -> JSONDict:
        """The control API's description of the bot and its chats."""

    @abstractmethod
    def _control_chat(self, bot: B, user_id: int, body: JSONDict) -> Chat:
        """The user (made or updated from ``body``) and their chat with the bot; writing to a
        bot one had blocked unblocks it."""

    @abstractmethod
    def _user_text(self, bot: B, chat: Chat, text: str) -> JSONDict:
        """The person writes ``text``: the message and its update; returns their ids."""

    @abstractmethod
    def _block(self, bot: B, chat: Chat, blocked: bool) -> JSONDict:
        """The person blocks or unblocks the bot; returns what to answer beside "blocked"."""

    @abstractmethod
    def _message_json(self, bot: B, message: ChatMessage, index: int) -> JSONDict:
        """A message as the control API's readers see it."""

    @abstractmethod
    def _pending_json(self, update: QueuedUpdate) -> JSONDict:
        """An update not yet handed out, as the control API lists it."""

    @abstractmethod
    def _webhook_json(self, bot: B) -> JSONDict:
        """The control API's view of the bot's webhook."""

    def _error_response(self, error: ApiError) -> web.Response:
        return json_response(error.body(), error.code)

    def _result_response(self, result: Any) -> web.Response:
        return json_response({"ok": True, "result": result})

    # lifecycle

    async def _serve(self, app: web.Application, host: str, port: int) -> str:
        """Serve ``app`` on ``host:port`` (0 = any free port); returns the base URL. A wildcard
        host ("0.0.0.0") is served on every interface and addressed as 127.0.0.1."""
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self._base_url = f"http://{reachable}:{runner.addresses[0][1]}"
        return self._base_url

    async def stop(self) -> None:
        """Wake every waiting call so it answers, stop webhook deliveries, close the server."""
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
            raise RuntimeError("the emulator is not started (or serves on another's server)")
        return self._base_url

    def bot(self, token: str) -> B | None:
        """The bot of a token (made on first use); None when the token is not valid."""
        existing = self._bots.get(token)
        if existing is not None:
            return existing
        bot = self._new_bot(token)
        if bot is not None:
            self._bots[token] = bot
        return bot

    @staticmethod
    def _add_routes(app: web.Application, routes: Sequence[Route]) -> None:
        for method, path, handler in routes:
            app.router.add_route(method, path, _guard(handler))

    # API calls

    async def _handle_api(self, request: web.Request) -> web.Response:
        """``.../bot<token>/<method>``: one call, answered in the platform's wire format."""
        bot = self.bot(request.match_info["token"])
        if bot is None:
            return self._error_response(ApiError(401, UNAUTHORIZED))
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return self._error_response(ApiError(404, NOT_FOUND))
        name, handler = entry
        bot.account.stats.record_call(name)
        _request.set(request)
        try:
            params = await read_params(request)
            await self._apply_fault(bot, name, self._fault_chat_id(params))
            result = await handler(bot, params)
        except ApiError as error:
            bot.account.stats.record_error(name, error.code)
            return self._error_response(error)
        return self._result_response(result)

    async def _apply_fault(self, bot: B, method: str, chat_id: int | None) -> None:
        fault = bot.take_fault(method, chat_id)
        if fault is None:
            return
        if fault.delay > 0 and not self._stopping:
            await self._stop_signal.wait(fault.delay)
        error = fault.error()
        if error is not None:
            raise error

    @staticmethod
    def _client_gone() -> bool:
        """Whether the client of the API call being handled has closed its connection."""
        request = _request.get()
        return request is not None and (request.transport is None or request.transport.is_closing())

    def _consume_rate(self, bot: B, chat_id: int) -> None:
        """Take a token from the chat's and the bot's buckets, or answer 429."""
        limits = bot.limits or self.limits
        if not limits.enabled:
            return
        now = self.clock()
        chat_bucket = bot.chat_buckets.get(chat_id)
        if chat_bucket is None:
            chat_bucket = TokenBucket.full(limits.chat_burst, limits.chat_rate, now)
            bot.chat_buckets[chat_id] = chat_bucket
        if bot.bot_bucket is None:
            bot.bot_bucket = TokenBucket.full(limits.bot_burst, limits.bot_rate, now)
        wait = max(chat_bucket.wait_time(now), bot.bot_bucket.wait_time(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        chat_bucket.take()
        bot.bot_bucket.take()

    async def _long_poll(self, bot: B, within: float) -> bool:
        """Wait up to ``within`` seconds for a pending update. A newer poll supersedes this one
        (a client that gave up and asked again): False then, the caller hands nothing out."""
        queue = bot.account.updates
        bot.poll_generation += 1
        generation = bot.poll_generation
        queue.signal.fire()  # an older long poll sees it was superseded
        bot.waiting_polls += 1
        bot.polls_changed.fire()
        try:
            await wait_until(
                queue.signal,
                lambda: (
                    bool(queue.pending_count) or generation != bot.poll_generation or self._stopping
                ),
                within,
            )
        finally:
            bot.waiting_polls -= 1
            bot.polls_changed.fire()
        return generation == bot.poll_generation

    def _new_message(self, bot: B, chat: Chat, *, from_bot: bool, **fields: Any) -> ChatMessage:
        """A new message in ``chat``, from the bot or from its person, dated now (the caller
        adds it to the chat)."""
        return ChatMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            sender_id=bot.account.id if from_bot else chat.user.id,
            from_bot=from_bot,
            date=self.world.unix_now(),
            **fields,
        )

    def _start_delivery(self, bot: B, delivery: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``delivery`` (POSTing the bot's updates to its webhook) instead of an older one."""
        token = bot.account.token
        running = self._deliveries.get(token)
        if running is not None and not running.done():
            running.cancel()
        self._deliveries[token] = asyncio.create_task(delivery, name=name)

    # the control API

    def _control_routes(self, root: str, bots: str) -> list[Route]:
        """The routes every emulator's control API has: ``root``/limits (every bot's), and the
        bot's under ``bots``/{token}."""
        bot = bots + "/{token}"
        user = bot + "/users/{user_id:-?[0-9]+}"
        return [
            ("POST", root + "/limits", self._ctl_global_limits),
            ("GET", bot, self._ctl_bot_info),
            ("POST", user + "/messages", self._ctl_user_message),
            ("GET", user + "/messages", self._ctl_bot_messages),
            ("GET", user + "/transcript", self._ctl_transcript),
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
        ]

    def _control_bot(self, request: web.Request) -> B:
        bot = self.bot(request.match_info["token"])
        if bot is None:
            raise ControlError(400, "invalid bot token")
        return bot

    @staticmethod
    def _user_id(request: web.Request) -> int:
        return int(request.match_info["user_id"])

    async def _ctl_global_limits(self, request: web.Request) -> web.Response:
        self.limits = _updated_limits(self.limits, await json_body(request))
        for bot in self._bots.values():
            if bot.limits is None:
                bot.reset_buckets()
        return json_response(self.limits.snapshot())

    async def _ctl_bot_limits(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        bot.limits = _updated_limits(bot.limits or self.limits, await json_body(request))
        bot.reset_buckets()
        return json_response(bot.limits.snapshot())

    async def _ctl_bot_info(self, request: web.Request) -> web.Response:
        return json_response(self._bot_info(self._control_bot(request)))

    async def _ctl_user_message(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ControlError(400, "text is required")
        chat = self._control_chat(bot, self._user_id(request), body)
        return json_response(self._user_text(bot, chat, text))

    async def _ctl_block(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await json_body(request)
        user = self.world.ensure_user(self._user_id(request))
        chat = bot.account.open_chat(user)
        answer = self._block(bot, chat, bool(body.get("blocked", True)))
        return json_response({"blocked": chat.blocked, **answer})

    async def _ctl_bot_messages(self, request: web.Request) -> web.Response:
        return await self._chat_log(request, from_bot_only=True)

    async def _ctl_transcript(self, request: web.Request) -> web.Response:
        return await self._chat_log(request, from_bot_only=False)

    async def _chat_log(self, request: web.Request, *, from_bot_only: bool) -> web.Response:
        bot = self._control_bot(request)
        user_id = self._user_id(request)

        def messages() -> list[ChatMessage]:
            chat = bot.account.chat(user_id)
            if chat is None:
                return []
            return chat.bot_messages() if from_bot_only else list(chat.messages)

        def render(message: ChatMessage, index: int) -> JSONDict:
            return self._message_json(bot, message, index)

        return await self._log_answer(request, bot, user_id, "messages", messages, render)

    async def _ctl_chat_actions(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        user_id = self._user_id(request)

        def actions() -> list[ChatAction]:
            chat = bot.account.chat(user_id)
            return list(chat.chat_actions) if chat is not None else []

        def render(action: ChatAction, _index: int) -> JSONDict:
            return {"action": action.action, "at": action.at}

        return await self._log_answer(request, bot, user_id, "chat_actions", actions, render)

    async def _log_answer(
        self,
        request: web.Request,
        bot: B,
        chat_id: int,
        key: str,
        entries: Callable[[], Sequence[T]],
        render: Callable[[T, int], JSONDict],
    ) -> web.Response:
        """Answer a log reader of the chat ``chat_id``: wait as the query asks, then list
        entries from ``since``. Only a change of that chat wakes the reader.

        ``since`` skips entries before that 0-based index; ``min_count`` waits (at most
        ``timeout`` seconds) for that many entries from ``since``; ``after_revision`` waits
        for a visible change of the chat after the ``revision`` an earlier answer carried.
        """
        query = LogQuery.from_request(request)
        account = bot.account

        def ready() -> bool:
            if self._stopping:
                return True
            enough = len(entries()) - query.since >= query.min_count
            return enough and account.chat_revision(chat_id) > query.after_revision

        await wait_until(account.chat_signal(chat_id), ready, query.timeout)
        listed = entries()
        rendered = [render(entry, index) for index, entry in enumerate(listed)]
        return json_response(
            {key: rendered[query.since :], "count": len(listed), "revision": account.revision}
        )

    async def _ctl_pending_updates(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        pending = [self._pending_json(update) for update in bot.account.updates.pending()]
        return json_response({"pending": pending})

    async def _ctl_pollers(self, request: web.Request) -> web.Response:
        """How many getUpdates calls are waiting; waits for ``min_count`` of them."""
        bot = self._control_bot(request)
        query = LogQuery.from_request(request)
        await wait_until(
            bot.polls_changed,
            lambda: bot.waiting_polls >= query.min_count or self._stopping,
            query.timeout,
        )
        return json_response({"waiting": bot.waiting_polls})

    async def _ctl_webhook(self, request: web.Request) -> web.Response:
        return json_response(self._webhook_json(self._control_bot(request)))

    async def _ctl_stats(self, request: web.Request) -> web.Response:
        return json_response(self._control_bot(request).account.stats.snapshot())

    async def _ctl_reset_stats(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        bot.account.stats = BotStats()
        return json_response(bot.account.stats.snapshot())

    async def _ctl_faults(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        return json_response({"faults": [f.snapshot() for f in bot.faults]})

    async def _ctl_add_fault(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        try:
            fault = Fault.from_json(await json_body(request))
        except (TypeError, ValueError) as error:
            raise ControlError(400, str(error)) from error
        bot.faults.append(fault)
        return json_response({"faults": [f.snapshot() for f in bot.faults]})

    async def _ctl_clear_faults(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        bot.faults.clear()
        return json_response({"faults": []})
