"""Benchmark (issue: plans and tasks): drain 1,000 broadcast messages to 1,000 chats through the
local Bot API emulator enforcing Telegram's limits (30 messages/s per bot, 1/s per chat, short
bursts), while one person keeps talking to the bot; then the naive peer (send, sleep 1/30 s).

Prints: achieved rate and its ratio to the 30/s ceiling (goal >= 0.95), messages lost (goal 0)
and duplicated (goal 0), p95 of an interactive reply during the drain (goal < 300 ms).
Run: .venv/bin/python bench/outbox_drain.py [--messages 1000]"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from telegram import Bot
from telegram.error import RetryAfter, TelegramError

from bot.app import build_app
from bot.chat import Reply
from bot.domain import Role, UnitKind
from bot.sandbox.telegram_emulator import TelegramEmulator
from bot.settings import Settings
from storage.outbox import NewMessage
from storage.units import NewUnit

CEILING = 30.0
FIRST_CHAT = 5_000_000


async def interactive_probe(
    http: httpx.AsyncClient, control: str, user_id: int, stop: asyncio.Event, every: float
) -> list[float]:
    """One person sends /help every `every` seconds; returns reply latencies in ms."""
    latencies: list[float] = []
    seen = len((await http.get(f"{control}/users/{user_id}/messages")).json()["messages"])
    while not stop.is_set():
        started = time.perf_counter()
        await http.post(f"{control}/users/{user_id}/messages", json={"text": "/help"})
        resp = await http.get(
            f"{control}/users/{user_id}/messages",
            params={"since": seen, "min_count": 1, "timeout": 10},
        )
        got = len(resp.json()["messages"])
        if got:
            latencies.append((time.perf_counter() - started) * 1000)
            seen += got
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
    return latencies


def deliveries(emulator: TelegramEmulator, token: str, chats: range, text: str) -> tuple[int, int]:
    """(chats that got the text, extra copies beyond one per chat)."""
    bot = emulator.bot(token)
    assert bot is not None
    got = dup = 0
    for chat_id in chats:
        chat = bot.account.chat(chat_id)
        n = sum(1 for m in chat.bot_messages() if m.text == text) if chat else 0
        got += n > 0
        dup += max(0, n - 1)
    return got, dup


def open_chats(emulator: TelegramEmulator, token: str, chats: range) -> None:
    bot = emulator.bot(token)
    assert bot is not None
    for chat_id in chats:
        bot.account.open_chat(emulator.world.ensure_user(chat_id, first_name=f"Bí thư {chat_id}"))


async def ours(emulator: TelegramEmulator, n: int, data: Path) -> dict[str, float]:
    token = "1100000001:bench-outbox-drain-token"
    settings = Settings(
        telegram_token=token,
        telegram_api_url=emulator.api_url,
        telegram_file_url=emulator.file_url,
        data_dir=data,
        quiet_hours="",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await build_app(settings, poll_timeout=1)
    services = app.services
    now = services.clock.now()
    chats = range(FIRST_CHAT, FIRST_CHAT + n)
    open_chats(emulator, token, chats)
    probe_user = FIRST_CHAT - 1
    async with services.db.transaction():
        await services.repos.units.upsert_many([NewUnit("CB", "Chi bộ", UnitKind.CELL, None)], now)
        unit = await services.repos.units.by_code("CB")
        assert unit is not None
        for chat_id in [probe_user, *chats]:
            m = await services.repos.members.create(
                unit_id=unit.id,
                role=Role.SECRETARY,
                full_name=f"Bí thư {chat_id}",
                invite_id=None,
                now=now,
            )
            await services.repos.members.add_identity(
                m.id,
                channel="telegram",
                external_id=str(chat_id),
                chat_id=str(chat_id),
                display_name="",
                now=now,
            )
            if chat_id != probe_user:
                await services.repos.outbox.enqueue(
                    NewMessage(
                        f"bench:{chat_id}",
                        "broadcast",
                        m.id,
                        "telegram",
                        str(chat_id),
                        Reply(text="Thông báo họp chi bộ"),
                    ),
                    now,
                )
    control = f"{emulator.base_url}/_control/bots/{token}"
    async with httpx.AsyncClient(timeout=30) as http:
        await http.post(f"{control}/users/{probe_user}/messages", json={"text": "/start"})
        await app.start(schedule=False)
        await http.get(
            f"{control}/users/{probe_user}/messages", params={"min_count": 1, "timeout": 10}
        )
        stop = asyncio.Event()
        started = time.perf_counter()
        probe = asyncio.create_task(interactive_probe(http, control, probe_user, stop, 1.0))
        app.sender.wake()
        await app.sender.idle()
        elapsed = time.perf_counter() - started
        stop.set()
        latencies = await probe
        stats = (await http.get(f"{control}/stats")).json()
    await app.stop()
    got, dup = deliveries(emulator, token, chats, "Thông báo họp chi bộ")
    rate = n / elapsed
    return {
        "seconds": elapsed,
        "rate": rate,
        "ratio": rate / CEILING,
        "lost": n - got,
        "duplicated": dup,
        "p95_ms": _p95(latencies),
        "replies": len(latencies),
        "429s": float(stats.get("errors", {}).get("429", stats.get("too_many_requests", 0)) or 0),
    }


async def naive(emulator: TelegramEmulator, n: int) -> dict[str, float]:
    token = "1100000002:bench-naive-loop-token"
    chats = range(FIRST_CHAT, FIRST_CHAT + n)
    open_chats(emulator, token, chats)
    failed = 0
    bot = Bot(token, base_url=emulator.api_url, base_file_url=emulator.file_url)
    async with bot:
        started = time.perf_counter()
        for chat_id in chats:
            try:
                await bot.send_message(chat_id, "Thông báo họp chi bộ")
            except RetryAfter:
                failed += 1
            except TelegramError:
                failed += 1
            await asyncio.sleep(1 / CEILING)
        elapsed = time.perf_counter() - started
    got, dup = deliveries(emulator, token, chats, "Thông báo họp chi bộ")
    rate = got / elapsed
    return {
        "seconds": elapsed,
        "rate": rate,
        "ratio": rate / CEILING,
        "lost": n - got,
        "duplicated": dup,
        "failed_sends": failed,
    }


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20)[18]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    emulator = TelegramEmulator()  # Telegram's limits: 30/s per bot, 1/s per chat, bursts
    await emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        ours_result = await ours(emulator, args.messages, Path(tmp))
    naive_result = await naive(emulator, args.messages)
    await emulator.stop()
    print(f"outbox drain of {args.messages} messages to {args.messages} chats (ceiling 30/s)")
    print(
        f"  ours : {ours_result['seconds']:.1f} s, {ours_result['rate']:.2f} msg/s, "
        f"ratio {ours_result['ratio']:.3f} (goal >= 0.95), lost {ours_result['lost']:.0f}, "
        f"duplicated {ours_result['duplicated']:.0f}, interactive p95 "
        f"{ours_result['p95_ms']:.0f} ms over {ours_result['replies']:.0f} replies (goal < 300)"
    )
    print(
        f"  naive: {naive_result['seconds']:.1f} s, {naive_result['rate']:.2f} msg/s, "
        f"ratio {naive_result['ratio']:.3f}, lost {naive_result['lost']:.0f}, "
        f"duplicated {naive_result['duplicated']:.0f}"
    )
    print(f"  ours/naive rate: {ours_result['rate'] / max(naive_result['rate'], 1e-9):.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
