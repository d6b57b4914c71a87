"""The Telegram adapter: the only module that knows python-telegram-bot.

Updates become `Inbound`s for the router; `Reply`s become messages with inline keyboards. Every
callback query is answered, the pressed message loses its buttons and shows the choice, user
values are HTML-escaped by messages/ and long texts are split under Telegram's 4096 limit.

Updates of different chats are handled at once, a chat's own one after another in the order they
came (`PerChatUpdateProcessor`); Bot API calls go over aiohttp (`AiohttpRequest`), which costs
far less CPU per call than python-telegram-bot's httpx default."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.ratelimit import BACKGROUND, PriorityRateLimiter, RateLimits
from bot.chat import Attachment, ChannelName, DeliveryError, Inbound, MenuCommand, Reply
from bot.files import store
from messages import Texts

log = logging.getLogger(__name__)

# Opt in to python-telegram-bot's coming behaviour: durations (retry_after) as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API lets bots download files up to 20 MB
CAPTION_LIMIT = int(MessageLimit.CAPTION_LENGTH)  # 1024
# A pause after each getUpdates answer, so that under load one call brings the updates of 20 ms
# instead of one or two (bench/answers_throughput.py: 0.6 calls per answer instead of 3.9, about
# 3 ms of CPU less per answer); an update waits at most that much longer to be fetched.
POLL_INTERVAL = 0.02

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
# Around the handling of an update and the sending of its replies (the composition root holds
# the outbox's wake-up there, so that what an update queued goes after its own replies).
Hold = Callable[[], AbstractContextManager[None]]
Unreachable = Callable[[str, str, str], Awaitable[None]]  # channel, chat_id, reason


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    api_url: str
    file_url: str
    poll_timeout: float = 10.0
    request_timeout: float = 10.0
    limits: RateLimits = field(default_factory=RateLimits)
    data_dir: Path = Path("data")
    concurrent_updates: int = 256  # chats handled at once (1: one update at a time)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a message into parts of at most `limit` characters, at paragraph or line breaks.
    Tags in our templates never span lines, so a part never cuts a tag in two; a single line
    longer than the limit is sent as escaped plain text in slices."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            plain = html.escape(html.unescape(_strip_tags(line)), quote=False)
            parts.extend(_slices(plain, limit))
            continue
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()]


def _strip_tags(text: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", text)


def _slices(escaped: str, limit: int) -> list[str]:
    """Cut escaped text in slices without splitting an &entity;."""
    out: list[str] = []
    while escaped:
        cut = min(limit, len(escaped))
        amp = escaped.rfind("&", max(0, cut - 8), cut)
        if amp != -1 and ";" not in escaped[amp:cut]:
            cut = amp
        out.append(escaped[:cut])
        escaped = escaped[cut:]
    return out


def to_inbound(update: Update, bot_username: str) -> Inbound | None:
    """Translate a Telegram update into the channel-neutral Inbound (None: nothing for us)."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        chat_id = message.chat.id if message is not None else query.from_user.id
        return Inbound(
            channel=ChannelName.TELEGRAM,
            update_id=update.update_id,
            user_id=str(query.from_user.id),
            chat_id=str(chat_id),
            display_name=query.from_user.full_name,
            choice=query.data,
            message_id=message.message_id if message is not None else None,
        )
    message = update.message
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    command: str | None = None
    args = ""
    text = message.text
    if text and text.startswith("/"):
        head, _, args = text.partition(" ")
        name, _, target = head[1:].partition("@")
        if not target or target.lower() == bot_username.lower():
            command = name.lower()
            args = args.strip()
    return Inbound(
        channel=ChannelName.TELEGRAM,
        update_id=update.update_id,
        user_id=str(message.from_user.id),
        chat_id=str(message.chat.id),
        display_name=message.from_user.full_name,
        text=text if command is None else None,
        command=command,
        args=args,
        attachment=_attachment(message),
        message_id=message.message_id,
    )


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        biggest = message.photo[-1]
        return Attachment("photo", biggest.file_id, None, "image/jpeg", biggest.file_size)
    if message.document is not None:
        doc = message.document
        return Attachment("document", doc.file_id, doc.file_name, doc.mime_type, doc.file_size)
    if message.sticker is not None:
        return Attachment("sticker", message.sticker.file_id)
    if message.text is None:
        return Attachment("other")
    return None


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(c.label, callback_data=c.value) for c in row]
            for row in reply.choices
        ]
    )


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handles updates of different chats at once and a chat's own in the order they came.

    python-telegram-bot starts a task per update in the order it fetched them, and each waits
    for its concurrency limit (an asyncio semaphore, first come, first served) before it gets
    here; a chat's lock is granted first come, first served too, so a chat's updates keep their
    order. Updates with no chat and no user (none we handle) are not ordered."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._turns: dict[int, _Turn] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
        turn.holders += 1
        try:
            async with turn.lock:
                await coroutine
        finally:
            turn.holders -= 1
            if not turn.holders:
                del self._turns[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def chats_in_progress(self) -> int:
        return len(self._turns)


class _Turn:
    """A chat's lock and how many of its updates hold or wait for it."""

    __slots__ = ("holders", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holders = 0


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class TelegramChannel:
    _webhook: tuple[str, str] | None = None  # (public URL, secret token): see use_webhook

    def __init__(
        self,
        config: TelegramConfig,
        handle: Handle,
        texts: Texts,
        on_unreachable: Unreachable,
        default_menu: tuple[MenuCommand, ...] = (),
        hold: Hold = contextlib.nullcontext,
    ) -> None:
        self.config = config
        self._handle = handle
        self._hold = hold
        self._texts = texts
        self._on_unreachable = on_unreachable
        self._default_menu = default_menu
        timeout = config.request_timeout
        self.updates = PerChatUpdateProcessor(max(config.concurrent_updates, 1))
        self._limiter = PriorityRateLimiter(config.limits)
        self.application: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.api_url)
            .base_file_url(config.file_url)
            .rate_limiter(self._limiter)
            .request(
                AiohttpRequest(
                    connection_pool_size=max(config.concurrent_updates, 8),
                    read_timeout=timeout,
                    write_timeout=timeout,
                    connect_timeout=timeout,
                    pool_timeout=timeout,
                )
            )
            .get_updates_request(
                AiohttpRequest(
                    connection_pool_size=1,
                    read_timeout=config.poll_timeout + 10,  # getUpdates adds the poll's own
                    write_timeout=timeout,
                    connect_timeout=timeout,
                    pool_timeout=timeout,
                )
            )
            .concurrent_updates(self.updates)
            .build()
        )
        self.application.add_handler(CallbackQueryHandler(self._on_update))
        self.application.add_handler(MessageHandler(filters.ALL, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.username = ""

    # lifecycle
    async def start(self) -> None:
        app = self.application
        await app.initialize()
        self.username = app.bot.username
        if self._default_menu:
            await app.bot.set_my_commands(
                [BotCommand(m.command, m.description) for m in self._default_menu],
                scope=BotCommandScopeAllPrivateChats(),
            )
        await app.start()
        if self._webhook is not None:
            await self.start_webhook()
            return
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=POLL_INTERVAL, timeout=timedelta(seconds=self.config.poll_timeout)
        )
        log.info("telegram: polling as @%s", self.username)

    # webhook mode (bot/webhook.py serves the HTTP side)
    def use_webhook(self, url: str, secret: str) -> None:
        """Before `start`: take updates from Telegram's webhook calls instead of polling."""
        self._webhook = (url, secret)

    async def start_webhook(self) -> None:
        """Register the webhook: Telegram then posts each update to the URL with the secret in
        X-Telegram-Bot-Api-Secret-Token. It is left set on stop, so Telegram keeps the updates
        that arrive while the bot restarts and sends them when it is back."""
        assert self._webhook is not None
        url, secret = self._webhook
        await self.application.bot.set_webhook(url, secret_token=secret)
        log.info("telegram: webhook %s as @%s", url, self.username)

    async def feed(self, data: dict[str, Any]) -> None:
        """Handle one update from a webhook call; returns once it is handled and answered.
        Telegram sends again what was not answered 200, and the router handles an update id
        once, so an update is neither lost nor handled twice. As when polling, a chat's updates
        are handled one after another in the order they came, different chats' at once.
        Raises ValueError for a body that is not a Telegram update."""
        try:
            update = Update.de_json(data, self.application.bot)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a Telegram update: {exc!r}") from exc
        await self.updates.process_update(update, self.application.process_update(update))

    async def stop_polling(self) -> None:
        """Take no more updates (messages can still be sent until `stop`)."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()

    async def stop(self) -> None:
        app = self.application
        await self.stop_polling()
        if app.running:
            await app.stop()
        await app.shutdown()

    # inbound
    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = to_inbound(update, self.username)
        if update.callback_query is not None:
            await self._on_press(update)
        if inbound is None:
            return
        log.info("update %s from user %s: %s", inbound.update_id, inbound.user_id, _kind(inbound))
        if inbound.attachment is not None:
            inbound = replace(inbound, attachment=await self._download(inbound.attachment))
        with self._hold():  # what the update queued goes after its replies
            replies = await self._handle(inbound)
            for reply in replies:
                await self.send(inbound.chat_id, reply)

    async def _on_press(self, update: Update) -> None:
        """Answer the callback query at once, so the button stops spinning whatever happens
        next, then take the buttons off the pressed message and show the choice. A message whose
        buttons are already gone (pressed twice) is left as it is.

        Both before the update is handled, one after the other. Measured with
        bench/answers_throughput.py: doing them while it is handled, or both at once, was slower
        (40-44 answers/s instead of 48-52, when each database statement still hopped to a
        thread); marking after the replies are sent is barely faster now (116-118 instead of
        112) and would leave live buttons on the pressed message meanwhile.

        When replies are queuing for Telegram's 30 messages a second (a crowd answering at
        once), the mark is left out: it is an edit, counted like a message, and would take a
        reply's turn (5 of the 11 messages of a progress report). The buttons then stay; one
        pressed again is told it belongs to an earlier question."""
        query = update.callback_query
        assert query is not None
        try:
            await query.answer()
        except BadRequest as exc:  # too old or answered already: nothing to do
            log.info("callback answer refused: %s", exc.message)
        message = query.message
        if isinstance(message, Message) and message.reply_markup is not None:
            if self._limiter.pacer.crowded:
                log.info("replies are queuing: the pressed message keeps its buttons")
                return
            await self._mark_pressed(update)

    async def _download(self, attachment: Attachment) -> Attachment:
        """Keep a photo or document in DATA_DIR (with its sha256) before the update is handled;
        a file over the Bot API's 20 MB download limit is marked too big instead."""
        if attachment.kind not in ("photo", "document") or not attachment.file_id:
            return attachment
        if (attachment.size or 0) > DOWNLOAD_LIMIT:
            return replace(attachment, too_big=True)
        try:
            remote = await self.application.bot.get_file(attachment.file_id)
            if (remote.file_size or 0) > DOWNLOAD_LIMIT:
                return replace(attachment, too_big=True)
            content = bytes(await remote.download_as_bytearray())
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                return replace(attachment, too_big=True)
            log.warning("could not download a file: %s", exc.message)
            return attachment
        except NetworkError as exc:
            log.warning("could not download a file: %s", exc.message)
            return attachment
        fallback = ".jpg" if attachment.kind == "photo" else ".bin"
        path, digest = await store(self.config.data_dir, content, attachment.file_name, fallback)
        return replace(attachment, path=path, sha256=digest, size=len(content))

    async def _mark_pressed(self, update: Update) -> None:
        """Take the buttons off the pressed message and show what was chosen."""
        query = update.callback_query
        assert query is not None
        message = query.message
        if not isinstance(message, Message):
            return
        label = _label_of(message, query.data)
        try:
            if message.text is not None and label is not None:
                chosen = self._texts("common.chosen", label=label)
                await message.edit_text(
                    f"{message.text_html}\n\n{chosen}", parse_mode=ParseMode.HTML
                )
            else:
                await message.edit_reply_markup(reply_markup=None)
        except BadRequest as exc:
            log.info("could not update pressed message: %s", exc.message)

    # outbound
    async def deliver(self, chat_id: str, reply: Reply) -> None:
        """Send a proactive message for the outbox: behind interactive replies, one try, and
        errors told in channel-neutral terms."""
        try:
            await self.send(chat_id, reply, background=True)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
            raise DeliveryError(exc.message, permanent=False, retry_after=seconds) from exc
        except Forbidden as exc:
            raise DeliveryError(exc.message, permanent=True) from exc
        except BadRequest as exc:
            raise DeliveryError(exc.message, permanent=True) from exc
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            raise DeliveryError(exc.message, permanent=False) from exc

    async def send(self, chat_id: str, reply: Reply, *, background: bool = False) -> None:
        """Send one Reply. Raises telegram errors; a blocked user is recorded as unreachable."""
        bot = self.application.bot
        limit = BACKGROUND if background else None
        try:
            if reply.menu is not None:
                await bot.set_my_commands(
                    [BotCommand(m.command, m.description) for m in reply.menu],
                    scope=BotCommandScopeChat(int(chat_id)),
                    rate_limit_args=limit,
                )
            markup = keyboard(reply)
            if reply.document is not None:
                with reply.document.path.open("rb") as fh:
                    await bot.send_document(
                        int(chat_id),
                        fh,
                        filename=reply.document.file_name,
                        caption=reply.document.caption[:CAPTION_LIMIT] or None,
                        parse_mode=ParseMode.HTML,
                        rate_limit_args=limit,
                    )
            if reply.photo is not None:
                with reply.photo.path.open("rb") as fh:
                    await bot.send_photo(
                        int(chat_id),
                        fh,
                        caption=reply.photo.caption[:CAPTION_LIMIT] or None,
                        parse_mode=ParseMode.HTML,
                        rate_limit_args=limit,
                    )
            if reply.text:
                parts = split_text(reply.text)
                for i, part in enumerate(parts):
                    last = i == len(parts) - 1
                    await bot.send_message(
                        int(chat_id),
                        part,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup if last else None,
                        rate_limit_args=limit,
                    )
        except Forbidden as exc:
            await self._on_unreachable(ChannelName.TELEGRAM.value, chat_id, exc.message)
            raise

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One error handler: log it, and tell the person something went wrong."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s: error handling it", update_id, exc_info=context.error)
        if isinstance(context.error, Forbidden):
            return
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(
                    update.effective_chat.id, self._texts("common.error"), parse_mode=ParseMode.HTML
                )
            except TelegramError:
                log.warning("could not tell the person about the error")


def _kind(inbound: Inbound) -> str:
    """What a person sent, for the log: never its content."""
    if inbound.command is not None:
        return f"command /{inbound.command}"
    if inbound.choice is not None:
        return "button"
    if inbound.attachment is not None:
        return inbound.attachment.kind
    return "text"


def _label_of(message: Message, data: str | None) -> str | None:
    markup = message.reply_markup
    if markup is None or data is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
