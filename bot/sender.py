"""The outbox sender: drains the outbox per channel under the platform's limits, retries what can
be retried with backoff, records what cannot (a person who blocked the bot), and never sends the
same outbox row twice. Quiet hours hold what the bot sends on its own (reminders, broadcasts,
digests) until they end; a row that answers its recipient's own request (`requested`: the file
of /xuatbaocao asked for at 21:30) still goes at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.chat import DeliveryError, Reply
from bot.services import Services
from bot.worktime import QuietHours
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

Deliver = Callable[[str, Reply], Awaitable[None]]  # chat_id, reply

MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s … capped at ten minutes."""
    return min(MAX_BACKOFF, timedelta(seconds=2**attempts))


class OutboxSender:
    def __init__(
        self,
        services: Services,
        channels: dict[str, Deliver],
        *,
        quiet: QuietHours | None = None,
        concurrency: int = 16,
        idle_wait: float = 5.0,
    ) -> None:
        self.services = services
        self.channels = channels
        self.quiet = quiet or QuietHours(None, None)
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._idle_wait = idle_wait
        self._stopping = False
        self._idle = asyncio.Event()  # set while nothing is due
        self._in_flight: set[asyncio.Task[None]] = set()
        # run after each batch has been sent (e.g. the delivery report of finished broadcasts)
        self.after_batch: list[Callable[[], Awaitable[object]]] = []
        self._running = False
        self._ended = asyncio.Event()  # set when `run` has returned

    def wake(self) -> None:
        """Something was queued: look now rather than at the next idle check."""
        self._idle.clear()
        self._wake.set()

    async def idle(self) -> None:
        """Wait until the sender has found nothing due (for tests and a clean shutdown)."""
        await self._idle.wait()

    async def recover(self) -> int:
        """On start: rows a crashed process left 'sending' are sent again."""
        return await self.services.repos.outbox.release_claimed()

    async def run(self) -> None:
        """Drain until stopped. A stop lets the messages in flight finish."""
        self._running = True
        try:
            await self.recover()
            while not self._stopping:
                sent = await self.drain_once()
                if sent == 0 and not self._stopping:
                    self._wake.clear()
                    if not self._wake.is_set():
                        self._idle.set()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), await self._pause())
        finally:
            self._ended.set()

    async def _pause(self) -> float:
        """How long to wait for work: until the next row that may go is due, or quiet hours
        end, at most `idle_wait`."""
        now = self._now()
        quiet = self.quiet.quiet(now)
        wait = self._idle_wait
        if quiet:  # the rows held until morning are not waited for
            wait = min(wait, max(0.05, (self.quiet.next_allowed(now) - now).total_seconds()))
        due = await self.services.repos.outbox.next_due_at(requested_only=quiet)
        if due is not None:
            wait = min(wait, max(0.05, (due - now).total_seconds()))
        return wait

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._running:
            # The drain may have claimed a row and be waiting for a free slot: it sends that one
            # too and returns; waiting only for the sends in flight now would miss it.
            await self._ended.wait()
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def drain_once(self, limit: int = 200) -> int:
        """Send what is due now (in parallel, bounded); returns how many rows were handled."""
        now = self.services.clock.now()
        # quiet hours: only what answers the recipient's own request, the rest waits for morning
        items = await self.services.repos.outbox.due(
            now, limit, requested_only=self.quiet.quiet(now)
        )
        tasks = []
        for item in items:
            if self._stopping:
                break
            if not item.requested and self.quiet.quiet(self._now()):
                continue  # quiet hours began while this batch was being sent
            if not await self.services.repos.outbox.claim(item.id):
                continue
            await self._slots.acquire()
            task = asyncio.create_task(self._send_one(item))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            tasks.append(task)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
            for hook in self.after_batch:
                try:
                    await hook()
                except Exception:
                    log.exception("after-batch hook failed")
        return len(tasks)

    async def _send_one(self, item: OutboxItem) -> None:
        try:
            # Shielded: a stop in the middle of an HTTP call still records its outcome.
            await asyncio.shield(self._deliver_and_record(item))
        finally:
            self._slots.release()

    async def _deliver_and_record(self, item: OutboxItem) -> None:
        outbox = self.services.repos.outbox
        deliver = self.channels.get(item.channel)
        if deliver is None:
            await outbox.retry_later(
                item.id, self._now() + timedelta(minutes=5), f"channel {item.channel} not running"
            )
            return
        try:
            await deliver(item.chat_id, item.reply)
        except DeliveryError as exc:
            await self._record_failure(item, exc)
            return
        except Exception as exc:  # a bug or an unexpected answer: keep the row, retry later
            log.exception("outbox %s: unexpected error", item.key)
            await self._record_failure(item, DeliveryError(repr(exc), permanent=False))
            return
        await outbox.mark_sent(item.id, self._now())
        log.info(
            "outbox %s: sent (%s, member %s, %s chat %s)",
            item.key,
            item.kind,
            item.member_id,
            item.channel,
            item.chat_id,
        )

    async def _record_failure(self, item: OutboxItem, exc: DeliveryError) -> None:
        outbox = self.services.repos.outbox
        if exc.permanent:
            blocked = _means_unreachable(exc.reason)
            log.info("outbox %s: not delivered (%s)", item.key, exc.reason)
            async with self.services.db.transaction():
                await outbox.mark_failed(item.id, exc.reason, unreachable=blocked)
                if blocked:
                    await self.services.repos.members.mark_unreachable(
                        item.channel, item.chat_id, exc.reason
                    )
            return
        if item.attempts >= MAX_ATTEMPTS:
            log.warning(
                "outbox %s: given up after %d tries (%s)", item.key, item.attempts, exc.reason
            )
            await outbox.mark_failed(item.id, exc.reason, unreachable=False)
            return
        delay = (
            timedelta(seconds=exc.retry_after)
            if exc.retry_after is not None
            else backoff(item.attempts)
        )
        log.info(
            "outbox %s: try %d failed, again in %ds (%s)",
            item.key,
            item.attempts,
            delay.total_seconds(),
            exc.reason,
        )
        await outbox.retry_later(item.id, self._now() + delay, exc.reason)
        self.wake()

    def _now(self) -> datetime:
        return self.services.clock.now()


def _means_unreachable(reason: str) -> bool:
    lowered = reason.lower()
    return any(
        words in lowered
        for words in ("blocked", "deactivated", "can't initiate", "chat not found", "kicked")
    )
