"""Pacing for the channels: a messenger's limits (Telegram's: about 30 messages a second
overall, about one a second per chat) kept on our side, a person's interactive replies first.
The outbox's background sends wait behind any interactive reply (on Telegram they carry
`rate_limit_args="background"`).

Interactive replies take the overall tokens in turn, first come, first served: with many chats'
updates handled at once, all waiting for the same bucket, a reply that merely retried when its
wait was over could lose the race again and again and wait without end. Background sends stand
aside while any reply waits, and otherwise take a token when there is one. A "too many
requests" answer pauses every send for as long as the platform asked.

`Pacer` is the channel-neutral part (the Zalo channel uses it as it is); `PriorityRateLimiter`
fits it into python-telegram-bot."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

BACKGROUND = "background"
# Methods that put or change a message in a chat: these count against the limits.
COUNTED = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
        "copymessage",
        "forwardmessage",
    }
)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = self.clock()

    def take(self) -> float:
        """Take a token if there is one (returns 0), else the seconds until there will be."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class RateLimits:
    overall_rate: float = 30.0  # messages a second for the whole bot
    overall_burst: float = 5.0
    chat_rate: float = 1.0  # background messages a second to one chat
    chat_burst: float = 1.0
    max_retries: int = 3  # interactive replies retried after a 429


E = TypeVar("E", bound=Exception)
R = TypeVar("R")


class Pacer:
    """The buckets, the interactive replies' turn and the pause after a 429, for one bot."""

    def __init__(self, limits: RateLimits | None = None, *, platform: str = "telegram") -> None:
        limits = limits or RateLimits()
        self._platform = platform
        self._overall = TokenBucket(limits.overall_rate, limits.overall_burst)
        self._chat_rate = limits.chat_rate
        self._chat_burst = limits.chat_burst
        self._chats: dict[str, TokenBucket] = {}
        self._max_retries = limits.max_retries
        self._urgent_waiting = 0
        self._urgent_clear = asyncio.Event()
        self._urgent_clear.set()
        self._turn = asyncio.Lock()  # interactive replies: first come, first served
        self._paused_until = 0.0

    def _chat_bucket(self, chat: str) -> TokenBucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) > 10_000:
                self._chats.clear()
            bucket = self._chats[chat] = TokenBucket(self._chat_rate, self._chat_burst)
        return bucket

    @property
    def crowded(self) -> bool:
        """Replies are queuing for the overall limit, or the platform asked us to wait: a
        message that can be left out (a cosmetic edit) should be, so the replies go sooner."""
        return self._urgent_waiting > 0 or self._paused_until > time.monotonic()

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the platform asked us to wait)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def _wait_pause(self) -> None:
        # Waiting for time to pass, not for an event: sleeping is the point here.
        while (left := self._paused_until - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)

    async def acquire(self, chat: str | None, background: bool) -> None:
        """Wait until one message may go (to ``chat``: background sends keep its own limit)."""
        await self._wait_pause()
        if background and chat is not None:
            bucket = self._chat_bucket(chat)
            while (wait := bucket.take()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
        if not background:
            self._urgent_waiting += 1
            self._urgent_clear.clear()
        try:
            while True:
                if not background:
                    async with self._turn:
                        while (wait := self._overall.take()) > 0:  # noqa: ASYNC110
                            await asyncio.sleep(wait)
                        return
                if self._urgent_waiting:
                    await self._urgent_clear.wait()
                    continue
                wait = self._overall.take()
                if wait == 0:
                    return
                await asyncio.sleep(wait)
        finally:
            if not background:
                self._urgent_waiting -= 1
                if self._urgent_waiting == 0:
                    self._urgent_clear.set()

    async def send(
        self,
        call: Callable[[], Awaitable[R]],
        *,
        chat: str | None,
        background: bool,
        refused: type[E],
        retry_after: Callable[[E], float | None],
        what: str,
        counted: bool = True,
    ) -> R:
        """Make one call under the pacing (``counted``: it puts a message in a chat). An
        exception of type ``refused`` for which ``retry_after`` gives seconds is "too many
        requests": everything pauses that long (and a little more); an interactive call then
        tries again, up to ``max_retries`` times, while a background one gets a single try, the
        outbox rescheduling it itself."""
        tries = 1 if background else self._max_retries + 1
        for attempt in range(tries):
            if counted:
                await self.acquire(chat, background)
            try:
                return await call()
            except refused as exc:
                seconds = retry_after(exc)
                if seconds is None:
                    raise
                self.pause(seconds + 0.1)
                log.info("%s asked to wait %.1fs (%s)", self._platform, seconds, what)
                if attempt == tries - 1:
                    raise
        raise AssertionError("unreachable")


def _retry_after(exc: RetryAfter) -> float:
    wait = exc.retry_after
    return wait if isinstance(wait, int | float) else wait.total_seconds()


class PriorityRateLimiter(BaseRateLimiter[str]):
    """The `Pacer` as python-telegram-bot's rate limiter."""

    def __init__(self, limits: RateLimits | None = None) -> None:
        self._pacer = Pacer(limits)

    @property
    def pacer(self) -> Pacer:
        return self._pacer

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSONResult:
        return await self._pacer.send(
            lambda: callback(*args, **kwargs),
            chat=str(data["chat_id"]) if "chat_id" in data else None,
            background=rate_limit_args == BACKGROUND,
            refused=RetryAfter,
            retry_after=_retry_after,
            what=endpoint,
            counted=endpoint.lower() in COUNTED,
        )
