"""Platform-neutral state of the sandbox: users, bots, chats, messages, files and updates.

API fronts (the Telegram Bot API emulator today, a Zalo Bot Platform one later) translate
their wire formats to and from these objects. Nothing here knows about HTTP; the only
platform-shaped data is the update payload, which a front builds and the queue merely carries.

Everything runs on one event loop: mutations are plain synchronous methods and waiters are
woken through :class:`Signal`, so no locks are needed.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Clock = Callable[[], float]
JSONDict = dict[str, Any]
MessageKind = Literal["text", "photo", "document", "sticker"]
FileKind = Literal["document", "photo", "sticker"]

DEFAULT_LANGUAGE = ""


class Signal:
    """Wakes every coroutine currently waiting on it. Firing is synchronous and cheap: with
    nobody waiting it does nothing at all."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        event = self._event
        if event is not None:
            self._event = None
            event.set()

    async def wait(self, within: float) -> bool:
        """Wait for the next :meth:`fire`; False when ``within`` seconds passed first."""
        event = self._event
        if event is None:
            event = self._event = asyncio.Event()
        try:
            async with asyncio.timeout(max(within, 0.0)):
                await event.wait()
        except TimeoutError:
            return False
        return True


async def wait_until(signal: Signal, predicate: Callable[[], bool], within: float) -> bool:
    """Wait (without polling) until ``predicate()`` holds, for at most ``within`` seconds.

    The predicate is re-checked whenever ``signal`` fires. Returns whether it holds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        await signal.wait(remaining)
    return True


# --------------------------------------------------------------------------- people and files


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def snapshot(self) -> JSONDict:
        return {
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
            "is_bot": self.is_bot,
        }


@dataclass
class StoredFile:
    """A file held in memory. ``owner`` is the key (token) of the only bot whose calls may use
    its ``file_id``, as Telegram's file ids are valid for one bot only."""

    file_id: str
    file_unique_id: str
    owner: str
    kind: FileKind
    path: str
    data: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    emoji: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def snapshot(self) -> JSONDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "kind": self.kind,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": self.size,
            "width": self.width,
            "height": self.height,
            "emoji": self.emoji,
            "path": self.path,
        }


# --------------------------------------------------------------------------- message content


@dataclass(frozen=True)
class Entity:
    """A formatting span of a message text; offsets and lengths count UTF-16 code units."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    user_id: int | None = None
    custom_emoji_id: str | None = None


@dataclass
class Button:
    """An inline button. ``other`` keeps actions the sandbox does not model (web_app, ...)."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    other: JSONDict = field(default_factory=dict)

    def snapshot(self) -> JSONDict:
        result: JSONDict = {"text": self.text, "callback_data": self.callback_data}
        if self.url is not None:
            result["url"] = self.url
        return result


@dataclass
class ReplyMarkup:
    """What the user sees attached to a message: inline buttons or a reply-keyboard change."""

    inline: list[list[Button]] | None = None
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False

    def find_callback_button(self, label: str) -> Button | None:
        for row in self.inline or []:
            for button in row:
                if button.text == label and button.callback_data is not None:
                    return button
        return None


@dataclass
class ChatMessage:
    """One message in a chat log, in its current state (after edits and deletion)."""

    message_id: int
    chat_id: int
    sender_id: int
    from_bot: bool
    date: int
    kind: MessageKind = "text"
    text: str = ""
    source: str | None = None
    parse_mode: str | None = None
    entities: list[Entity] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)
    markup: ReplyMarkup = field(default_factory=ReplyMarkup)
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def main_file(self) -> StoredFile | None:
        """The document, the sticker, or the largest photo size."""
        return self.files[-1] if self.files else None

    def snapshot(self) -> JSONDict:
        """A platform-neutral view, for control APIs, terminal and web chat pages."""
        result: JSONDict = {
            "message_id": self.message_id,
            "from": "bot" if self.from_bot else "user",
            "sender_id": self.sender_id,
            "date": self.date,
            "kind": self.kind,
            "text": self.text,
            "html": self.source if self.source is not None else self.text,
            "parse_mode": self.parse_mode,
            "buttons": [[b.snapshot() for b in row] for row in self.markup.inline or []],
            "reply_keyboard": self.markup.reply_keyboard,
            "remove_keyboard": self.markup.remove_keyboard,
            "reply_to_message_id": self.reply_to_message_id,
            "edited": self.edited,
            "edit_date": self.edit_date,
            "deleted": self.deleted,
        }
        main = self.main_file
        if main is not None:
            result[self.kind] = main.snapshot()
        return result


@dataclass
class ChatAction:
    action: str
    at: float


@dataclass
class CallbackQuery:
    """A button press; ``created_at`` is on the world's monotonic clock."""

    id: str
    chat_id: int
    user_id: int
    message_id: int
    data: str
    created_at: float
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False
    url: str | None = None

    def snapshot(self) -> JSONDict:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "data": self.data,
            "answered": self.answered,
            "text": self.answer_text,
            "show_alert": self.show_alert,
            "url": self.url,
        }


@dataclass
class Chat:
    """A private chat between one bot and one user (chat id = user id)."""

    id: int
    user: User
    messages: list[ChatMessage] = field(default_factory=list)
    blocked: bool = False
    chat_actions: list[ChatAction] = field(default_factory=list)
    _by_id: dict[int, ChatMessage] = field(default_factory=dict, repr=False)
    _next_message_id: int = 1

    def new_message_id(self) -> int:
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    def append(self, message: ChatMessage) -> None:
        self.messages.append(message)
        self._by_id[message.message_id] = message

    def find_message(self, message_id: int) -> ChatMessage | None:
        return self._by_id.get(message_id)

    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.from_bot]


# --------------------------------------------------------------------------- commands and stats


@dataclass(frozen=True)
class CommandScope:
    type: str = "default"
    chat_id: int | None = None
    user_id: int | None = None

    def snapshot(self) -> JSONDict:
        result: JSONDict = {"type": self.type}
        if self.chat_id is not None:
            result["chat_id"] = self.chat_id
        if self.user_id is not None:
            result["user_id"] = self.user_id
        return result


@dataclass(frozen=True)
class BotCommand:
    command: str
    description: str


@dataclass
class BotStats:
    """Call statistics of one bot, for tests and benchmarks."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    errors_by_method: dict[str, Counter[int]] = field(default_factory=dict)
    too_many_requests: int = 0
    messages_sent: Counter[int] = field(default_factory=Counter)
    edits: int = 0
    first_send_at: float | None = None
    last_send_at: float | None = None

    def record_call(self, method: str) -> None:
        self.calls[method] += 1

    def record_error(self, method: str, code: int) -> None:
        self.errors[code] += 1
        self.errors_by_method.setdefault(method, Counter())[code] += 1
        if code == 429:
            self.too_many_requests += 1

    def record_send(self, chat_id: int, at: float) -> None:
        self.messages_sent[chat_id] += 1
        if self.first_send_at is None:
            self.first_send_at = at
        self.last_send_at = at

    def snapshot(self) -> JSONDict:
        return {
            "calls": dict(self.calls),
            "too_many_requests": self.too_many_requests,
            "errors": {str(code): n for code, n in self.errors.items()},
            "errors_by_method": {
                method: {str(code): n for code, n in codes.items()}
                for method, codes in self.errors_by_method.items()
            },
            "messages_sent": {str(chat): n for chat, n in self.messages_sent.items()},
            "messages_sent_total": sum(self.messages_sent.values()),
            "edits": self.edits,
            "first_send_at": self.first_send_at,
            "last_send_at": self.last_send_at,
        }


# --------------------------------------------------------------------------- updates


@dataclass
class QueuedUpdate:
    """An update waiting for the bot. ``payload`` is built by the API front.

    A redelivered copy stays pending, even when its update_id is below the confirmed offset,
    until it has been handed out once.
    """

    update_id: int
    kind: str
    payload: JSONDict
    redelivery: bool = False
    delivered: bool = False


class UpdateQueue:
    """Pending updates of one bot, with a :class:`Signal` that long polls wait on."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._ids = itertools.count(first_update_id)
        self._pending: list[QueuedUpdate] = []
        self._history: dict[int, QueuedUpdate] = {}
        self.signal = Signal()

    def start_after(self, update_id: int) -> None:
        """The next update gets an id above `update_id` (a restarted sandbox goes on from the
        ids its database has seen, as Telegram's ids keep growing)."""
        self._ids = itertools.count(update_id + 1)

    def push(self, kind: str, payload: JSONDict) -> QueuedUpdate:
        update = QueuedUpdate(next(self._ids), kind, payload)
        self._history[update.update_id] = update
        self._pending.append(update)
        self.signal.fire()
        return update

    def redeliver(self, update_id: int) -> QueuedUpdate | None:
        original = self._history.get(update_id)
        if original is None:
            return None
        copy = QueuedUpdate(original.update_id, original.kind, original.payload, redelivery=True)
        self._pending.append(copy)
        self.signal.fire()
        return copy

    def confirm(self, offset: int) -> None:
        """Forget what ``offset`` confirms; a negative offset keeps only the last -offset."""
        if offset < 0:
            self._pending = self._pending[offset:]
            return
        self._pending = [u for u in self._pending if not self._is_confirmed(u, offset)]

    @staticmethod
    def _is_confirmed(update: QueuedUpdate, offset: int) -> bool:
        if update.update_id >= offset:
            return False
        return not update.redelivery or update.delivered

    def take(self, limit: int) -> list[QueuedUpdate]:
        """Hand out up to ``limit`` pending updates; they stay pending until confirmed."""
        batch = self._pending[:limit]
        for update in batch:
            update.delivered = True
        return batch

    def clear(self) -> None:
        self._pending.clear()

    def pending(self) -> list[QueuedUpdate]:
        return list(self._pending)

    @property
    def pending_count(self) -> int:
        return len(self._pending)


# --------------------------------------------------------------------------- bots and the world


@dataclass
class BotAccount:
    """One bot on one platform, with its chats, updates and bookkeeping.

    Readers wait for changes of one chat (:meth:`chat_signal`, :meth:`chat_revision`): a change
    wakes only the readers of its chat, so many people waiting at once cost nothing until their
    own chat changes. ``changed`` and ``revision`` are of the whole account."""

    token: str
    platform: str
    user: User
    chats: dict[int, Chat] = field(default_factory=dict)
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    callback_queries: dict[str, CallbackQuery] = field(default_factory=dict)
    commands: dict[tuple[CommandScope, str], list[BotCommand]] = field(default_factory=dict)
    stats: BotStats = field(default_factory=BotStats)
    changed: Signal = field(default_factory=Signal)
    revision: int = 0
    _chat_signals: dict[int, Signal] = field(default_factory=dict, repr=False)
    _chat_revisions: dict[int, int] = field(default_factory=dict, repr=False)
    _all_revision: int = field(default=0, repr=False)  # the last change of every chat at once

    @property
    def id(self) -> int:
        return self.user.id

    def touch(self, chat_id: int | None = None) -> None:
        """Note a change that users can see (a message, an edit, an answer...): of the chat
        ``chat_id``, or, without it, of every chat (its readers all wake)."""
        self.revision += 1
        self.changed.fire()
        if chat_id is None:
            self._all_revision = self.revision
            self.wake_readers()
            return
        self._chat_revisions[chat_id] = self.revision
        signal = self._chat_signals.get(chat_id)
        if signal is not None:
            signal.fire()

    def wake_readers(self) -> None:
        """Wake every waiting reader, of the account and of each chat (when stopping)."""
        self.changed.fire()
        for signal in self._chat_signals.values():
            signal.fire()

    def chat_signal(self, chat_id: int) -> Signal:
        """Fired on each change of the chat ``chat_id`` (which need not exist yet)."""
        signal = self._chat_signals.get(chat_id)
        if signal is None:
            signal = self._chat_signals[chat_id] = Signal()
        return signal

    def chat_revision(self, chat_id: int) -> int:
        """The account's :attr:`revision` at the last change of the chat ``chat_id``."""
        return max(self._chat_revisions.get(chat_id, 0), self._all_revision)

    def chat(self, chat_id: int) -> Chat | None:
        return self.chats.get(chat_id)

    def open_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, user=user)
            self.chats[user.id] = chat
        return chat

    def add_message(self, chat: Chat, message: ChatMessage) -> ChatMessage:
        chat.append(message)
        self.touch(chat.id)
        return message

    def record_chat_action(self, chat: Chat, action: str, at: float) -> None:
        chat.chat_actions.append(ChatAction(action, at))
        self.touch(chat.id)

    def callback_queries_of(self, user_id: int) -> list[CallbackQuery]:
        return [q for q in self.callback_queries.values() if q.user_id == user_id]


class World:
    """Everything the sandbox knows, shared by all API fronts."""

    def __init__(self, clock: Clock = time.monotonic, wall_clock: Clock = time.time) -> None:
        self.clock = clock
        self.wall_clock = wall_clock
        self.users: dict[int, User] = {}
        self.bots: dict[str, BotAccount] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.photo_sets: dict[str, list[StoredFile]] = {}
        self._file_numbers = itertools.count(1)
        self._query_numbers = itertools.count(1)

    def unix_now(self) -> int:
        return int(self.wall_clock())

    # users and bots

    def ensure_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> User:
        """Return the user, creating it on first use; given profile fields overwrite."""
        user = self.users.get(user_id)
        if user is None:
            user = User(id=user_id, first_name=first_name or f"User {user_id}")
            self.users[user_id] = user
        elif first_name:
            user.first_name = first_name
        if last_name is not None:
            user.last_name = last_name or None
        if username is not None:
            user.username = username or None
        if language_code is not None:
            user.language_code = language_code or None
        return user

    def bot(self, token: str) -> BotAccount | None:
        return self.bots.get(token)

    def add_bot(self, token: str, platform: str, user: User) -> BotAccount:
        account = BotAccount(token=token, platform=platform, user=user)
        self.bots[token] = account
        self.users.setdefault(user.id, user)
        return account

    def new_callback_query_id(self) -> str:
        return str(4_300_000_000_000_000_000 + next(self._query_numbers))

    # files

    def store_file(
        self,
        *,
        owner: str,
        kind: FileKind,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
        emoji: str | None = None,
        extension: str = "",
    ) -> StoredFile:
        number = next(self._file_numbers)
        stored = StoredFile(
            file_id=f"{_FILE_ID_PREFIX[kind]}{number:06d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{number:06d}{secrets.token_urlsafe(4)}",
            owner=owner,
            kind=kind,
            path=f"{kind}s/file_{number}{extension}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            emoji=emoji,
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.path] = stored
        return stored

    def store_photo(
        self, *, owner: str, data: bytes, sizes: list[tuple[int, int]], extension: str
    ) -> list[StoredFile]:
        """Store one photo as several sizes (smallest first), all sharing the same bytes."""
        photo = [
            self.store_file(
                owner=owner,
                kind="photo",
                data=data,
                width=width,
                height=height,
                extension=extension,
            )
            for width, height in sizes
        ]
        for size in photo:
            self.photo_sets[size.file_id] = photo
        return photo

    def file(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id)


_FILE_ID_PREFIX: dict[FileKind, str] = {"document": "BQAC", "photo": "AgAC", "sticker": "CAAC"}
