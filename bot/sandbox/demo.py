"""The sandbox as a demo: who the web page can "be", the sandbox clock moved by hand (with the
reminders of each day it passes), and starting over. No HTTP here (bot/sandbox/web.py serves it).

The bot, its database and the Telegram emulator run in this one process, so the demo reaches them
directly: the app's clock (an OffsetClock), its reminder tick and outbox sender, the emulator's
World (users open a chat with the bot, as pressing Start does). Everything a person does on the
page goes through the emulator's control API, as the terminal chat does."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.clock import FrozenClock, OffsetClock
from bot.domain import Role
from bot.sandbox.seed import (
    NEWCOMER_FIRST_ID,
    NEWCOMER_NAMES,
    PERSONAS,
    SeededInvite,
    open_invites,
    sandbox_start,
    seed,
    wipe,
)
from bot.settings import Settings
from handlers.menus import MENUS

if TYPE_CHECKING:
    from bot.app import App
    from bot.sandbox.telegram_emulator import TelegramEmulator
    from bot.sandbox.world import BotAccount

log = logging.getLogger(__name__)

CLOCK_SUFFIX = ".clock"
MAX_JUMP_DAYS = 400  # "đến ngày": at most about a year ahead at once
SETTLE_SECONDS = 5.0  # per day passed: let the sender deliver that day's reminders
ROLE_ORDER = {Role.OFFICE: 0, Role.ADMIN: 0, Role.LEADER: 1, Role.SECRETARY: 2, Role.DEPUTY: 3}


class MovableClock(Protocol):
    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> None: ...


class ClockError(Exception):
    """The clock cannot move there; `reason` names the case (the page words it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PersonaView:
    user_id: int
    name: str
    unit_code: str
    unit_name: str
    role: Role | None  # None: not registered (a newcomer)


def clock_file(settings: Settings) -> Path:
    """Where the sandbox clock is kept between runs: beside the sandbox database."""
    return settings.db_path.with_suffix(CLOCK_SUFFIX)


def start_moment(settings: Settings) -> datetime:
    """Where a new sandbox starts: DONDOC_CLOCK if set, else the sample's date."""
    return settings.clock if settings.clock is not None else sandbox_start(settings.tz)


def with_sandbox_clock(settings: Settings) -> Settings:
    """The sandbox's settings with its clock: DONDOC_CLOCK if set; else where the sandbox clock
    was left last time (same database); else the sample's start (1/4/2024 8:30)."""
    if settings.clock is not None:
        return settings
    moment = sandbox_start(settings.tz)
    saved = clock_file(settings)
    if settings.db_path.exists() and saved.exists():
        with contextlib.suppress(ValueError, OSError):
            moment = datetime.fromisoformat(saved.read_text(encoding="utf-8").strip())
    return settings.model_copy(update={"clock": moment})


class Demo:
    """The running sandbox seen from the demo page."""

    def __init__(self, app: App, emulator: TelegramEmulator, token: str) -> None:
        self.app = app
        self.emulator = emulator
        self.token = token
        self.settings = app.settings
        self._lock = asyncio.Lock()  # one clock move or reset at a time
        self._newcomers = itertools.count(NEWCOMER_FIRST_ID)
        self._start = start_moment(self.settings)

    @property
    def clock(self) -> MovableClock:
        clock = self.app.services.clock
        if not isinstance(clock, OffsetClock | FrozenClock):
            raise ClockError("fixed")
        return clock

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    # ------------------------------------------------------------------ start

    async def prepare(self) -> None:
        """Once the app is built: message dates follow the sandbox clock, and every registered
        person has a chat with the bot and their role's menu (as after registering)."""
        clock = self.app.services.clock
        self.emulator.world.wall_clock = lambda: clock.now().timestamp()
        await self._open_chats()
        self.save_clock()

    async def _open_chats(self) -> None:
        """Open every registered person's chat (all at once: the sender may be running), then
        give each their role's menu."""
        people = [view for view in await self.personas() if view.role is not None]
        for view in people:
            self._open(view.user_id, view.name)
        texts = self.app.services.texts
        for view in people:
            assert view.role is not None
            commands = [{"command": c, "description": texts(f"menu.{c}")} for c in MENUS[view.role]]
            await self._bot_api(
                "setMyCommands",
                {"commands": commands, "scope": {"type": "chat", "chat_id": view.user_id}},
            )
        self._account().touch()

    def _open(self, user_id: int, name: str) -> None:
        user = self.emulator.world.ensure_user(user_id, first_name=name)
        self._account().open_chat(user)

    async def _bot_api(self, method: str, payload: dict[str, object]) -> None:
        """Call the emulator's Bot API as the bot does (over HTTP)."""
        import aiohttp

        url = f"{self.emulator.api_url}{self.token}/{method}"
        async with aiohttp.ClientSession() as session, session.post(url, json=payload) as resp:
            if resp.status != 200:
                log.warning("sandbox %s: %s", method, await resp.text())

    def _account(self) -> BotAccount:
        bot = self.emulator.bot(self.token)
        assert bot is not None
        return bot.account

    # ------------------------------------------------------------------ who the page can be

    async def personas(self) -> list[PersonaView]:
        """Registered people on Telegram (office and leaders first), then newcomers who have a
        chat with the bot but no registration yet."""
        out: list[PersonaView] = []
        known: set[int] = set()
        for listing in await self.app.services.repos.members.listing():
            for identity in listing.identities:
                if identity.channel != "telegram" or not identity.external_id.lstrip("-").isdigit():
                    continue
                uid = int(identity.external_id)
                known.add(uid)
                out.append(
                    PersonaView(
                        uid,
                        listing.member.full_name,
                        listing.unit_code,
                        listing.unit_name,
                        listing.member.role,
                    )
                )
                break
        out.sort(key=lambda p: (ROLE_ORDER.get(p.role, 9) if p.role else 9, p.unit_code, p.name))
        account = self._account()
        for uid, chat in sorted(account.chats.items()):
            if uid not in known and not chat.user.is_bot:
                out.append(PersonaView(uid, chat.user.full_name, "", "", None))
        return out

    async def invites(self) -> list[SeededInvite]:
        return await open_invites(self.app.services)

    def new_user(self) -> tuple[int, str]:
        """A new Telegram user, not yet talking to the bot (their chat opens when they write)."""
        world = self.emulator.world
        while True:
            uid = next(self._newcomers)
            if uid not in world.users and uid not in self._account().chats:
                break
        name = NEWCOMER_NAMES[(uid - NEWCOMER_FIRST_ID) % len(NEWCOMER_NAMES)]
        world.ensure_user(uid, first_name=name)
        return uid, name

    # ------------------------------------------------------------------ the clock

    def now(self) -> datetime:
        return self.app.services.clock.now()

    def save_clock(self) -> None:
        with contextlib.suppress(OSError):
            path = clock_file(self.settings)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.now().isoformat(timespec="seconds"), encoding="utf-8")

    def _set(self, moment: datetime) -> None:
        self.clock.advance(moment - self.clock.now())

    def _morning(self, day: date) -> datetime:
        """A day's moment just after the reminders go out."""
        at = self.settings.remind_at
        base = datetime.combine(day, time(at.hour, at.minute), tzinfo=self.settings.tz)
        return base + timedelta(minutes=30)

    def target(self, *, days: int | None = None, day: date | None = None) -> datetime:
        """+N days (same time of day), or a date (in its morning, after the reminders)."""
        now = self.now()
        if days is not None:
            if not 1 <= days <= MAX_JUMP_DAYS:
                raise ClockError("range")
            return now + timedelta(days=days)
        if day is None:
            raise ClockError("range")
        if day <= now.date():
            raise ClockError("past")
        if (day - now.date()).days > MAX_JUMP_DAYS:
            raise ClockError("range")
        return self._morning(day)

    async def advance_to(self, moment: datetime) -> int:
        """Move the clock forward, day by day: each day passed is ticked in its morning, so its
        reminders go out as they would have; returns how many messages the ticks queued."""
        async with self._lock:
            clock = self.clock
            if moment <= clock.now():
                raise ClockError("past")
            queued = 0
            day = clock.now().date() + timedelta(days=1)
            while day < moment.date():
                self._set(self._morning(day))
                queued += await self._tick()
                day += timedelta(days=1)
            self._set(moment)
            queued += await self._tick()
            self.save_clock()
            return queued

    async def _tick(self) -> int:
        queued = await self.app.reminders.tick()
        self.app.sender.wake()
        if queued:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.app.sender.idle(), SETTLE_SECONDS)
        return queued

    # ------------------------------------------------------------------ starting over

    async def reset(self) -> None:
        """Start over: the clock back to the start, every chat emptied, the database emptied and
        seeded again (one transaction), the registered people's chats opened again."""
        async with self._lock:
            services = self.app.services
            self._set(self._start)
            account = self._account()
            account.updates.clear()
            account.callback_queries.clear()
            account.chats.clear()
            for key in [k for k in account.commands if k[0].type == "chat"]:
                del account.commands[key]
            for person in PERSONAS:  # before the seed queues their messages
                self._open(person.user_id, person.name)
            async with services.db.transaction():
                await wipe(services)
                await seed(services)
            await self._open_chats()
            await self._tick()
            self.save_clock()
