"""The outbox sender and quiet hours (21:00-07:00): what the bot sends on its own waits for the
morning, what answers the recipient's own request goes at once; each row once, most urgent
first. The sender is driven by hand (drain_once) on a frozen clock, into a channel that records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot import broadcasting
from bot.broadcasting import Audience
from bot.chat import ChannelName, DeliveryError, Reply
from bot.clock import FrozenClock
from bot.domain import Role
from bot.exports import ExportKind, jobs
from bot.publishing import publish, welcome
from bot.sender import OutboxSender
from bot.services import Services
from bot.worktime import QuietHours
from handlers.routes import build_router
from storage.outbox import NewMessage
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task

NIGHT = datetime(2024, 3, 1, 21, 30, tzinfo=VN)
MORNING = datetime(2024, 3, 2, 7, 0, tzinfo=VN)


@dataclass
class Channel:
    """Records what it delivers; raises the failures it is given first."""

    sent: list[tuple[str, str]] = field(default_factory=list)  # (chat id, text)
    failures: list[DeliveryError] = field(default_factory=list)

    async def __call__(self, chat_id: str, reply: Reply) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, reply.text))


def sender(services: Services, channel: Channel) -> OutboxSender:
    return OutboxSender(
        services, {"telegram": channel}, quiet=QuietHours.parse("21:00-07:00"), idle_wait=5.0
    )


async def queue(
    services: Services, key: str, *, priority: int = 5, requested: bool = False
) -> None:
    message = NewMessage(
        key=key,
        kind=key.partition(":")[0],
        member_id=None,
        channel="telegram",
        chat_id="1",
        reply=Reply(text=key),
        priority=priority,
        requested=requested,
    )
    assert await services.repos.outbox.enqueue(message, services.clock.now())


async def test_at_night_only_what_was_asked_for_goes_and_the_rest_waits_until_seven(
    services: Services, clock: FrozenClock
) -> None:
    clock.set(NIGHT)
    channel = Channel()
    out = sender(services, channel)
    await queue(services, "broadcast:1", priority=6)
    await queue(services, "remind:1", priority=4)
    await queue(services, "report:1", priority=3, requested=True)
    await queue(services, "export:1", priority=2, requested=True)
    assert await out.drain_once() == 2
    assert channel.sent == [("1", "export:1"), ("1", "report:1")]  # most urgent first
    assert await out.drain_once() == 0  # never twice
    clock.set(MORNING - timedelta(minutes=1))
    assert await out.drain_once() == 0
    clock.set(MORNING)
    assert await out.drain_once() == 2
    assert [text for _, text in channel.sent[2:]] == ["remind:1", "broadcast:1"]
    assert await services.repos.outbox.counts() == {"sent": 4}


async def test_a_request_that_fails_at_night_is_retried_at_night_and_sent_once(
    services: Services, clock: FrozenClock
) -> None:
    clock.set(NIGHT)
    channel = Channel(failures=[DeliveryError("Too Many Requests", permanent=False, retry_after=3)])
    out = sender(services, channel)
    await queue(services, "export:1", priority=2, requested=True)
    assert await out.drain_once() == 1
    item = await services.repos.outbox.get("export:1")
    assert item is not None and item.status == "pending" and channel.sent == []
    assert await out.drain_once() == 0  # retry_after is on the app's clock
    clock.advance(timedelta(seconds=3))
    assert await out.drain_once() == 1
    assert channel.sent == [("1", "export:1")]
    assert await out.drain_once() == 0


async def test_at_night_the_sender_waits_for_requests_not_for_the_rows_held_until_morning(
    services: Services, clock: FrozenClock
) -> None:
    out = sender(services, Channel())
    clock.set(NIGHT)
    await queue(services, "broadcast:1", priority=6)
    assert await out._pause() == 5.0  # was: a check every 50 ms all night
    clock.set(MORNING - timedelta(seconds=2))
    assert await out._pause() == 2.0  # until the quiet hours end
    clock.set(NIGHT)
    await queue(services, "export:1", priority=2, requested=True)
    assert await out._pause() == 0.05  # due now
    clock.set(MORNING)
    assert await out._pause() == 0.05  # the broadcast is due now too


async def test_what_answers_a_persons_own_request_is_marked_requested(org: Services) -> None:
    office = await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    an = await member(org, "CBVP", "1", "Nguyễn Văn An")
    plan = await draft(org, task("II.2", "Treo cờ", due=date(2024, 3, 20)))
    await publish(org, plan)
    outbox = org.repos.outbox

    async def requested(kind: str) -> list[bool]:
        rows = await outbox.due(org.clock.now(), 100)
        return [r.requested for r in rows if r.kind == kind]

    assert await requested("push") == [False]  # the plan's push: the bot's own
    broadcast = await broadcasting.send(org, office, "Họp chi bộ", Audience("all"))
    assert await requested("broadcast") == [False]
    for row in await outbox.by_batch(broadcast.batch):
        await outbox.mark_sent(row.id, org.clock.now())
    assert await broadcasting.report_finished(org) == 1
    assert await requested("report") == [True]  # the author's own broadcast
    await jobs.run(org, jobs.ExportRequest(office.id, "telegram", "9", plan.id, ExportKind.CSV))
    assert await requested("export") == [True]
    late = await member(org, "CBBAO", "2", "Trần Thị Bình")
    assert await welcome(org, late) == 1  # registered after the plan: their tasks, at once
    rows = await outbox.due(org.clock.now(), 100)
    assert {r.member_id: r.requested for r in rows if r.kind == "push"} == {
        an.id: False,
        late.id: True,
    }
    router = build_router(org)
    [code_reply] = await Person(router, "1").says("/lienket")
    [code] = re.findall(r"/lienket ([A-Z0-9]{6})", code_reply.text)
    await Person(router, "z-1", channel=ChannelName.ZALO).says(f"/lienket {code}")
    assert await requested("link") == [True]  # told on the first channel: they did it just now
