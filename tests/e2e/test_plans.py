"""A published plan reaches every unit over real HTTP; the outbox survives faults and restarts."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from bot.channels.ratelimit import RateLimits
from bot.chat import Reply
from bot.domain import Member, Role
from bot.publishing import amend, publish
from storage.outbox import NewMessage
from storage.plans import NewTask
from tests.e2e.conftest import Bot
from tests.e2e.harness import TgUser, buttons
from tests.planning import draft, member, task


async def registered(
    tg: Bot, unit: str, name: str, role: Role = Role.SECRETARY
) -> tuple[TgUser, Member]:
    """A person who has written to the bot (so Telegram lets it write back) and is a member."""
    person = tg.user(name)
    await person.send("/start")
    await person.read_one()
    m = await member(tg.app.services, unit, str(person.user_id), name, role)
    return person, m


def sample_tasks() -> list[NewTask]:
    return [
        task(
            "II.6",
            "Báo cáo kết quả đợt thi đua",
            due=date(2024, 4, 20),
            when="trước ngày 20/4/2024",
        ),
        task(
            "II.3",
            "Tổ chức Tọa đàm",
            start=date(2024, 4, 1),
            due=date(2024, 4, 30),
            when="trong tháng 4/2024",
        ),
    ]


async def settle(tg: Bot) -> None:
    tg.app.sender.wake()
    await asyncio.wait_for(tg.app.sender.idle(), 10)


async def test_publish_sends_each_secretary_one_message_with_all_their_tasks(tg: Bot) -> None:
    an, _ = await registered(tg, "CBVP", "An")
    binh, _ = await registered(tg, "CBBAO", "Bình")
    plan = await draft(tg.app.services, *sample_tasks())
    summary = await publish(tg.app.services, plan)
    # the grassroots units: CBVP, CBBAO and DBPT (its Chi bộ Thời sự reports to DBPT)
    assert summary.units == 3 and summary.deadlines == 6 and summary.messages == 2
    for person in (an, binh):
        push = await person.read_one()
        assert "Kế hoạch số 185-KH/ĐUK" in push["text"]
        assert "trước ngày 20/4/2024" in push["text"] and "còn 50 ngày" in push["text"]
        assert "trong tháng 4/2024" in push["text"]
        assert buttons(push) == [
            "📝 Báo cáo II.6",
            "📄 Chi tiết II.6",
            "📝 Báo cáo II.3",
            "📄 Chi tiết II.3",
        ]
    await settle(tg)
    assert len(await an.history()) == 2  # the /start answer and one push, nothing more


async def test_details_button_and_viec_list_tasks_soonest_first(tg: Bot) -> None:
    an, _ = await registered(tg, "CBVP", "An")
    await publish(tg.app.services, await draft(tg.app.services, *sample_tasks()))
    await an.read_one()
    await an.press("📄 Chi tiết II.3")
    details = await an.read_one()
    assert "Tổ chức Tọa đàm" in details["text"] and "chưa báo cáo" in details["text"]
    await an.send("/viec")
    listing = await an.read_one()
    assert listing["text"].index("II.6") < listing["text"].index("II.3")


async def test_a_secretary_who_registers_after_publishing_gets_the_tasks_after_the_welcome(
    tg: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import make_invite

    await publish(tg.app.services, await draft(tg.app.services, *sample_tasks()))
    code = await make_invite(tg.app.services, "DBPT")
    late = tg.user("Đặng Văn Muộn")
    await late.send(f"/start {code}")
    await late.read_one()
    await late.press("Xác nhận")
    await late.read_one()
    channel = tg.app.telegram
    assert channel is not None
    send = channel.send

    async def slow_reply(chat_id: str, reply: Reply, *, background: bool = False) -> None:
        if not background:  # the confirmation takes a while to go: the task list still waits
            await asyncio.sleep(0.2)
        await send(chat_id, reply, background=background)

    monkeypatch.setattr(channel, "send", slow_reply)
    await late.send("Đặng Văn Muộn")
    done, push = await late.read(2)
    assert "Đăng ký thành công" in done["text"] and "185-KH/ĐUK" in push["text"]


async def test_amending_a_deadline_tells_the_units_once(tg: Bot) -> None:
    an, _ = await registered(tg, "CBVP", "An")
    services = tg.app.services
    plan = await draft(services, *sample_tasks())
    await publish(services, plan)
    await an.read_one()
    published = await services.repos.plans.get(plan.id)
    assert published is not None
    moved = sample_tasks()
    moved[0] = task(
        "II.6", "Báo cáo kết quả đợt thi đua", due=date(2024, 4, 25), when="trước ngày 25/4/2024"
    )
    moved.append(task("II.8", "Gửi bài viết cho Tập san", due=date(2024, 5, 5)))
    from storage.plans import NewPlan

    new = NewPlan(
        published.number,
        published.title,
        published.issued,
        published.issuer,
        "test",
        None,
        {},
        tuple(moved[i] for i in (0, 2)),
    )  # II.3 dropped
    summary = await amend(services, published, new)
    assert summary.moved == ["II.6"] and summary.added == ["II.8"] and summary.cancelled == ["II.3"]
    told = await an.read_one()
    assert "trước ngày 25/4/2024" in told["text"] and "Việc mới" in told["text"]
    assert "Đã hủy" in told["text"]
    again = await services.repos.plans.get(plan.id)
    assert again is not None
    assert (await amend(services, again, new)).messages == 0  # nothing changed: nobody is told
    await settle(tg)
    assert len(await an.history()) == 3


async def _queue(tg: Bot, person: TgUser, m: Member, key: str, text: str = "Thông báo") -> None:
    await tg.app.services.repos.outbox.enqueue(
        NewMessage(key, "broadcast", m.id, "telegram", str(person.user_id), Reply(text=text)),
        tg.clock.now(),
    )


async def test_sender_retries_429_and_5xx_then_delivers_once(tg: Bot) -> None:
    an, m = await registered(tg, "CBVP", "An")
    faults = f"{tg.control}/faults"
    await tg.http.post(
        faults, json={"method": "sendMessage", "status": 429, "count": 1, "retry_after": 3}
    )
    await _queue(tg, an, m, "t:429")
    await settle(tg)
    item = await tg.app.services.repos.outbox.get("t:429")
    assert (
        item is not None
        and item.status == "pending"
        and "retry in" in (item.last_error or "").lower()
    )
    tg.clock.advance(timedelta(seconds=4))  # the retry waits on the app's clock, not real time
    await settle(tg)
    await tg.http.post(faults, json={"method": "sendMessage", "status": 502, "count": 1})
    await _queue(tg, an, m, "t:502", "Thông báo 2")
    await settle(tg)
    tg.clock.advance(timedelta(seconds=3))
    await settle(tg)
    texts = [msg["text"] for msg in await an.history()]
    assert texts.count("Thông báo") == 1 and texts.count("Thông báo 2") == 1
    for key in ("t:429", "t:502"):
        sent = await tg.app.services.repos.outbox.get(key)
        assert sent is not None and sent.status == "sent"


async def test_a_timeout_is_retried(tg: Bot) -> None:
    await tg.restart_with(request_timeout=0.5)
    an, m = await registered(tg, "CBVP", "An")
    await tg.http.post(
        f"{tg.control}/faults",
        # the request never reaches Telegram (a timeout after Telegram accepted a message would
        # be sent again: Telegram offers no idempotency key; see docs/ARCHITECTURE.md)
        json={
            "method": "sendMessage",
            "status": "timeout",
            "count": 1,
            "delay": 2.0,
            "execute": False,
        },
    )
    await _queue(tg, an, m, "t:timeout")
    await settle(tg)
    item = await tg.app.services.repos.outbox.get("t:timeout")
    assert item is not None and item.status == "pending"
    tg.clock.advance(timedelta(seconds=3))
    await settle(tg)
    item = await tg.app.services.repos.outbox.get("t:timeout")
    assert item is not None and item.status == "sent"
    assert [m["text"] for m in await an.history()].count("Thông báo") == 1


async def test_a_blocked_secretary_is_recorded_unreachable(tg: Bot) -> None:
    an, m = await registered(tg, "CBVP", "An")
    await an.block()
    await _queue(tg, an, m, "t:blocked")
    await settle(tg)
    item = await tg.app.services.repos.outbox.get("t:blocked")
    assert item is not None and item.status == "unreachable"
    [listing] = await tg.app.services.repos.members.listing()
    assert listing.reachable is False


async def test_a_restart_during_a_drain_loses_nothing_and_repeats_nothing(tg: Bot) -> None:
    await tg.restart_with(limits=RateLimits(overall_rate=10, overall_burst=1))  # a slow drain
    people = [await registered(tg, "CBVP", f"Người {i}") for i in range(12)]
    for i, (person, m) in enumerate(people):
        await _queue(tg, person, m, f"t:restart:{i}", f"Tin số {i}")
    tg.app.sender.wake()
    await people[0][0].read(1)  # the drain has begun
    await tg.restart()  # a clean stop lets the messages in flight finish
    await settle(tg)
    counts = await tg.app.services.repos.outbox.counts()
    assert counts == {"sent": 12}
    for i, (person, _) in enumerate(people):
        texts = [msg["text"] for msg in await person.history()]
        assert texts.count(f"Tin số {i}") == 1, texts


async def test_rows_left_sending_by_a_crash_are_sent_after_restart(tg: Bot) -> None:
    an, m = await registered(tg, "CBVP", "An")
    await tg.app.sender.stop()
    await _queue(tg, an, m, "t:crash", "Sau sự cố")
    item = await tg.app.services.repos.outbox.get("t:crash")
    assert item is not None
    await tg.app.services.repos.outbox.claim(item.id)  # as if the process died mid-send
    await tg.restart()
    await settle(tg)
    assert [msg["text"] for msg in await an.history()].count("Sau sự cố") == 1
