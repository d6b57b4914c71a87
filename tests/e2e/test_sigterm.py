"""SIGTERM in the middle of an outbox drain: the real `dondoc run` process stops cleanly, every
message that reached Telegram is recorded as sent, and after a restart the rest go out: each
message delivered exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.chat import Reply
from bot.sandbox.emulator_thread import EmulatorThread
from bot.sandbox.telegram_emulator import TelegramEmulator
from storage.db import Database
from storage.outbox import NewMessage, OutboxRepository
from tests.e2e.harness import new_token

ROWS = 60
FIRST_USER = 8_100_001
SEND_DELAY = 0.6  # each sendMessage takes this long: messages are in flight at the signal
DONDOC = [
    sys.executable,
    "-c",
    "import sys; from bot.cli import main; sys.argv[0] = 'dondoc'; main()",
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as emu:
        yield emu


async def _open_chats(emu: TelegramEmulator, token: str, user_ids: list[int]) -> None:
    """Each person has started the bot once (so it may write to them), without an update."""
    bot = emu.bot(token)
    assert bot is not None
    for user_id in user_ids:
        user = emu.world.ensure_user(user_id, first_name="Người", last_name=str(user_id))
        bot.account.open_chat(user)


async def _queue(db_path: Path, user_ids: list[int]) -> None:
    db = await Database.open(db_path)
    try:
        outbox = OutboxRepository(db)
        now = _now()
        async with db.transaction():
            for i, user_id in enumerate(user_ids):
                message = NewMessage(
                    f"test:sigterm:{i}", "broadcast", None, "telegram", str(user_id), Reply(f"#{i}")
                )
                assert await outbox.enqueue(message, now)
    finally:
        await db.close()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def _statuses(db_path: Path) -> dict[str, int]:
    db = await Database.open(db_path)
    try:
        return await OutboxRepository(db).counts()
    finally:
        await db.close()


def _env(emu: EmulatorThread, token: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    env.update(
        DONDOC_TELEGRAM_TOKEN=token,
        DONDOC_TELEGRAM_API_URL=emu.api_url,
        DONDOC_TELEGRAM_FILE_URL=emu.file_url,
        DONDOC_DATA_DIR=str(data),
        DONDOC_QUIET_HOURS="",  # whatever the hour the test runs at
        DONDOC_LOG_LEVEL="INFO",
    )
    return env


def _start(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([*DONDOC, "run"], env=env, cwd=cwd, stdout=out, stderr=out)


def _sent(http: httpx.Client, control: str) -> dict[int, int]:
    stats = http.get(f"{control}/stats").json()
    return {int(chat): n for chat, n in stats["messages_sent"].items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_sigterm_mid_drain_loses_nothing_and_sends_nothing_twice(
    emulator: EmulatorThread, tmp_path: Path
) -> None:
    started = time.monotonic()
    token = new_token()
    users = list(range(FIRST_USER, FIRST_USER + ROWS))
    data = tmp_path / "data"
    db_path = data / "dondoc.sqlite3"
    log = tmp_path / "dondoc.log"
    control = f"{emulator.base_url}/_control/bots/{token}"
    emulator.run(_open_chats(emulator.emulator, token, users))
    asyncio.run(_queue(db_path, users))
    env = _env(emulator, token, data)
    with httpx.Client(timeout=10) as http:
        assert http.post(f"{control}/limits", json={"enabled": False}).status_code == 200
        slow = {"method": "sendMessage", "status": "timeout", "delay": SEND_DELAY}
        assert http.post(f"{control}/faults", json={**slow, "count": 2 * ROWS}).status_code == 200

        first = _start(env, tmp_path, log)
        try:
            _wait_for(lambda: sum(_sent(http, control).values()) >= 10, 8, "the drain to start")
            first.send_signal(signal.SIGTERM)
            assert first.wait(10) == 0, log.read_text()
        finally:
            if first.poll() is None:
                first.kill()
        stopped_at = time.monotonic()
        delivered = _sent(http, control)
        counts = asyncio.run(_statuses(db_path))
        # Every message that reached Telegram is recorded as sent; none is left half-done.
        assert counts.get("sent", 0) == sum(delivered.values())
        assert counts.get("sending", 0) == 0
        assert 0 < counts.get("pending", 0) < ROWS, counts  # the signal came mid-drain
        assert all(n == 1 for n in delivered.values())

        http.delete(f"{control}/faults")
        port = _free_port()  # polling, with /healthz on its own port this time
        second = _start({**env, "DONDOC_HEALTH_PORT": str(port)}, tmp_path, log)
        try:
            _wait_for(lambda: len(_sent(http, control)) == ROWS, 8, "the rest of the outbox")
            health = http.get(f"http://127.0.0.1:{port}/healthz").json()
            assert health["ok"] and health["mode"] == "polling", health
            second.send_signal(signal.SIGTERM)
            assert second.wait(10) == 0, log.read_text()
        finally:
            if second.poll() is None:
                second.kill()
        delivered = _sent(http, control)
    assert delivered == dict.fromkeys(users, 1)
    assert asyncio.run(_statuses(db_path)) == {"sent": ROWS}
    text = log.read_text()
    assert " ERROR " not in text and "Traceback" not in text, text
    assert text.count("stopping: finishing the updates and messages in flight") == 2
    assert text.count("INFO bot.runner: stopped") == 2
    print(
        f"\nSIGTERM test: first run stopped after {stopped_at - started:.1f}s,"
        f" whole test {time.monotonic() - started:.1f}s"
    )
