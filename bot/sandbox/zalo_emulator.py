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

A JSON control API under ``/_control/zalo`` plays the users: the one the Telegram emulator has
too (bot/sandbox/emulator_base.py: ``/_control/zalo/{token}/users/{id}/messages|block``,
``.../messages`` and ``/transcript`` to read the chat, ``/stats``, ``/faults``, ``/limits``,
``/pollers``...) and ``.../users/{id}/photo|sticker|unsupported``, ``/_control/zalo/{token}/
options``; user ids there are the World's numbers, shown to the bot as 20 hex digits as Zalo's
ids look.

Mount it on another aiohttp application (the Telegram emulator's, so the sandbox has one port)
with :meth:`ZaloEmulator.mount`, or serve it alone with :meth:`ZaloEmulator.start`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Unpack

import aiohttp
from aiohttp import web

from bot.sandbox.emulator_base import (
    ApiError,
    ApiHandler,
    ControlError,
    EmulatedBot,
    Emulator,
    EmulatorOptions,
    Limits,
    Params,
    Route,
    control_upload,
    dumps,
    json_body,
    json_response,
)
from bot.sandbox.telegram_emulator import BOT_FIRST_NAME, image_size, utf16_length
from bot.sandbox.world import (
    Chat,
    ChatMessage,
    JSONDict,
    MessageKind,
    QueuedUpdate,
    StoredFile,
    User,
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
class ZaloBot(EmulatedBot):
    webhook: ZaloWebhook = field(default_factory=ZaloWebhook)
    extras: dict[tuple[int, int], SentExtra] = field(default_factory=dict)
    omit_event_name: bool = False  # getUpdates answers have been seen without event_name

    def extra(self, message: ChatMessage) -> SentExtra:
        key = (message.chat_id, message.message_id)
        found = self.extras.get(key)
        if found is None:
            found = self.extras[key] = SentExtra(secrets.token_hex(10))
        return found


def me_json(bot: ZaloBot) -> JSONDict:
    return {
        "id": str(bot.account.id),
        "account_name": bot.account.user.username,
        "account_type": "BASIC",
        "can_join_groups": False,
    }


_NO_RESULT = object()  # sendChatAction answers {"ok": true} with no result


# --------------------------------------------------------------------------- the emulator


class ZaloEmulator(Emulator[ZaloBot]):
    def __init__(
        self,
        limits: Limits | None = None,
        *,
        webhook_style: WebhookStyle = "wrapped",
        **options: Unpack[EmulatorOptions],
    ) -> None:
        super().__init__(limits, **options)
        self.webhook_style: WebhookStyle = webhook_style

    # lifecycle

    def mount(self, app: web.Application) -> None:
        """Add the Zalo API and its control API to ``app`` (before it starts); the emulator
        stops when that application shuts down."""
        self._add_routes(app, self._routes())
        app.on_shutdown.append(self._on_shutdown)

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.stop()

    def _routes(self) -> list[Route]:
        bot = CONTROL + "/{token}"
        user = bot + "/users/{user_id:-?[0-9]+}"
        return [
            ("*", PREFIX + "/bot{token}/{method}", self._handle_api),
            ("GET", PREFIX + "/files/{file_id}", self._handle_file),
            *self._control_routes(CONTROL, CONTROL),
            ("POST", user + "/photo", self._ctl_photo),
            ("POST", user + "/sticker", self._ctl_sticker),
            ("POST", user + "/unsupported", self._ctl_unsupported),
            ("POST", bot + "/options", self._ctl_options),
        ]

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve alone on ``host:port`` (0: any free port); returns the base URL."""
        app = web.Application(client_max_size=MAX_PHOTO_SIZE * 2)
        self._add_routes(app, self._routes())
        return await self._serve(app, host, port)

    @staticmethod
    def api_url_at(base_url: str) -> str:
        """DONDOC_ZALO_API_URL for an emulator reachable at ``base_url``."""
        return f"{base_url}{PREFIX}/bot"

    @property
    def api_url(self) -> str:
        return self.api_url_at(self.base_url)

    def _new_bot(self, token: str) -> ZaloBot | None:
        head, _, secret = token.partition(":")
        if not (head.isdigit() and 1 <= len(head) <= 20):
            return None
        if len(secret) < 10 or not set(secret) <= TOKEN_CHARS:
            return None
        bot_id = int(head)
        user = User(
            id=bot_id, first_name=BOT_FIRST_NAME, username=f"bot.dondoc{bot_id}", is_bot=True
        )
        return ZaloBot(account=self.world.add_bot(token, "zalo", user))

    # the API

    def _method_table(self) -> dict[str, ApiHandler[ZaloBot]]:
        return {
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

    def _fault_chat_id(self, params: Params) -> int | None:
        return number_of(params.text("chat_id"))

    def _error_response(self, error: ApiError) -> web.Response:
        headers = {}
        if error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
        return json_response(error.body(), error.code, headers)

    def _result_response(self, result: Any) -> web.Response:
        if result is _NO_RESULT:
            return json_response({"ok": True})
        return super()._result_response(result)

    async def _handle_file(self, request: web.Request) -> web.Response:
        """Where photo_url and a sticker's url point (Zalo's CDN: no token needed)."""
        stored = self.world.file(request.match_info["file_id"])
        if stored is None or stored.kind not in ("photo", "sticker"):
            return web.Response(status=404, text="not found")
        return web.Response(body=stored.data, content_type=stored.mime_type or "image/jpeg")

    async def _get_me(self, bot: ZaloBot, params: Params) -> JSONDict:
        return me_json(bot)

    async def _get_updates(self, bot: ZaloBot, params: Params) -> JSONDict:
        if bot.webhook.url:
            raise ApiError(409, WEBHOOK_ACTIVE)
        asked = params.number("timeout")
        timeout = min(max(DEFAULT_POLL_TIMEOUT if asked is None else asked, 0.0), MAX_POLL_TIMEOUT)
        queue = bot.account.updates
        # A superseded poll or one whose client went away takes nothing, so no update is handed
        # to a connection nobody reads.
        current = await self._long_poll(bot, timeout)
        if not current or self._stopping or self._client_gone():
            raise ApiError(408, REQUEST_TIMEOUT)
        taken = queue.take(1)
        if not taken:
            raise ApiError(408, REQUEST_TIMEOUT)
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
            raise ApiError(400, WEBHOOK_URL)
        secret = params.text("secret_token") or ""
        if not 8 <= len(secret) <= 256:
            raise ApiError(400, WEBHOOK_SECRET)
        bot.webhook = ZaloWebhook(url, secret, self._millis())
        bot.account.updates.signal.fire()  # a waiting getUpdates or an old delivery stops
        if self.deliver_webhooks:
            self._start_delivery(bot, self._deliver(bot, bot.webhook), "zalo-webhook")
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
            raise ApiError(400, CHAT_ID_REQUIRED)
        number = number_of(raw)
        chat = bot.account.chat(number) if number is not None else None
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        if chat.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _bot_message(
        self, bot: ZaloBot, chat: Chat, kind: MessageKind, text: str, **extra: str | None
    ) -> JSONDict:
        message = self._new_message(bot, chat, from_bot=True, kind=kind, text=text)
        sent = bot.extra(message)
        sent.photo_url = extra.get("photo_url")
        sent.sticker = extra.get("sticker")
        bot.account.add_message(chat, message)
        bot.account.stats.record_send(chat.id, self.world.wall_clock())
        return {"message_id": sent.wire_id, "date": self._millis()}

    async def _send_message(self, bot: ZaloBot, params: Params) -> JSONDict:
        chat = self._target_chat(bot, params)
        text = params.text("text") or ""
        if not 1 <= utf16_length(text) <= MAX_TEXT_LENGTH:
            raise ApiError(400, TEXT_LENGTH)
        mode = params.text("parse_mode")
        if mode and mode.lower() not in PARSE_MODES:
            raise ApiError(400, PARSE_MODE)
        self._consume_rate(bot, chat.id)
        return self._bot_message(bot, chat, "text", text)

    async def _send_photo(self, bot: ZaloBot, params: Params) -> JSONDict:
        chat = self._target_chat(bot, params)
        photo = (params.text("photo") or "").strip()
        if not photo.lower().startswith(("https://", "http://")):
            raise ApiError(400, PHOTO_URL)
        caption = params.text("caption")
        if caption is not None and not 1 <= utf16_length(caption) <= MAX_TEXT_LENGTH:
            raise ApiError(400, CAPTION_LENGTH)
        self._consume_rate(bot, chat.id)
        return self._bot_message(bot, chat, "photo", caption or "", photo_url=photo)

    async def _send_sticker(self, bot: ZaloBot, params: Params) -> JSONDict:
        chat = self._target_chat(bot, params)
        sticker = (params.text("sticker") or "").strip()
        if not sticker:
            raise ApiError(400, STICKER_REQUIRED)
        self._consume_rate(bot, chat.id)
        return self._bot_message(bot, chat, "sticker", "", sticker=sticker)

    async def _send_chat_action(self, bot: ZaloBot, params: Params) -> object:
        chat = self._target_chat(bot, params)
        action = params.text("action") or ""
        if action not in CHAT_ACTIONS:
            raise ApiError(400, ACTION)
        bot.account.record_chat_action(chat, action, self.world.wall_clock())
        return _NO_RESULT

    # webhook delivery

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
                        data=dumps(body).encode(),
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

    def _control_chat(self, bot: ZaloBot, user_id: int, body: JSONDict) -> Chat:
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
        bot: ZaloBot,
        chat: Chat,
        kind: Literal["text", "photo", "sticker", "other"],
        fields: JSONDict,
        *,
        text: str = "",
        files: Sequence[StoredFile] = (),
    ) -> JSONDict:
        """The person sends a message: it joins the chat and its update is queued; returns
        the message's and the update's ids."""
        message = self._new_message(
            bot,
            chat,
            from_bot=False,
            kind="text" if kind == "other" else kind,
            text=text,
            files=list(files),
        )
        sent = bot.extra(message)
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
        return {"message_id": sent.wire_id, "update_id": update.update_id}

    def _user_text(self, bot: ZaloBot, chat: Chat, text: str) -> JSONDict:
        return self._user_message(bot, chat, "text", {"text": text}, text=text)

    def _block(self, bot: ZaloBot, chat: Chat, blocked: bool) -> JSONDict:
        chat.blocked = blocked
        bot.account.touch(chat.id)
        return {}

    async def _ctl_photo(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        upload, caption, body = await control_upload(request)
        if len(upload.data) > MAX_PHOTO_SIZE:
            raise ControlError(413, "the photo is too large")
        if not upload.data:
            raise ControlError(400, "the photo is empty")
        if image_size(upload.data) is None:
            raise ControlError(400, "not an image")
        chat = self._control_chat(bot, self._user_id(request), body)
        stored = self.world.store_file(
            owner=bot.account.token,
            kind="photo",
            data=upload.data,
            mime_type="image/jpeg",
            extension=".jpg",
        )
        fields: JSONDict = {"photo_url": f"{request.url.origin()}{PREFIX}/files/{stored.file_id}"}
        if caption:
            fields["caption"] = caption
        answer = self._user_message(bot, chat, "photo", fields, text=caption, files=[stored])
        return json_response({**answer, "photo_url": fields["photo_url"], "size": stored.size})

    async def _ctl_sticker(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await json_body(request)
        chat = self._control_chat(bot, self._user_id(request), body)
        sticker = str(body.get("sticker") or secrets.token_hex(10))
        return json_response(self._user_message(bot, chat, "sticker", {"sticker": sticker}))

    async def _ctl_unsupported(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await json_body(request)
        chat = self._control_chat(bot, self._user_id(request), body)
        return json_response(self._user_message(bot, chat, "other", {}))

    async def _ctl_options(self, request: web.Request) -> web.Response:
        bot = self._control_bot(request)
        body = await json_body(request)
        if "omit_event_name" in body:
            bot.omit_event_name = bool(body["omit_event_name"])
        if "webhook_style" in body:
            if body["webhook_style"] not in ("wrapped", "flat"):
                raise ControlError(400, 'webhook_style is "wrapped" or "flat"')
            self.webhook_style = body["webhook_style"]
        return json_response(
            {"omit_event_name": bot.omit_event_name, "webhook_style": self.webhook_style}
        )

    def _bot_info(self, bot: ZaloBot) -> JSONDict:
        chats = [{"user_id": c, "chat_id": wire_id(c)} for c in sorted(bot.account.chats)]
        return {**me_json(bot), "chats": chats}

    def _message_json(self, bot: ZaloBot, message: ChatMessage, index: int) -> JSONDict:
        sent = bot.extra(message)
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

    def _pending_json(self, update: QueuedUpdate) -> JSONDict:
        return {"update_id": update.update_id, "kind": update.kind, "payload": update.payload}

    def _webhook_json(self, bot: ZaloBot) -> JSONDict:
        hook = bot.webhook
        return {
            **hook.info(),
            "has_secret_token": bool(hook.secret_token),
            "pending_update_count": bot.account.updates.pending_count,
            "delivered": hook.delivered,
            "last_error": hook.last_error,
        }
