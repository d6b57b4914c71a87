"""Webhook mode over real HTTP: the emulator delivers each update to the bot's webhook server with
the secret token, as Telegram does; requests without it are refused; updates sent while the bot
is down arrive when it is back; /healthz tells how the app is."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.chat import Reply
from bot.health import SENDER_TASK, Health
from bot.sandbox.emulator_thread import EmulatorThread
from bot.sandbox.telegram_emulator import TelegramEmulator
from bot.webhook import SECRET_HEADER, WebServer
from storage.outbox import NewMessage
from tests.conftest import make_invite
from tests.e2e.conftest import Bot, new_app, unstarted_bot
from tests.e2e.harness import TgUser, buttons, new_token, new_user_id

SECRET = "webhook_Secret-42"
HOOK_PATH = "/telegram/hook"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    """This module's emulator delivers updates to webhooks (the others poll)."""
    with EmulatorThread(TelegramEmulator(deliver_webhooks=True, webhook_retry_max=0.2)) as emu:
        yield emu


@dataclass
class Hooked:
    bot: Bot
    server: WebServer
    port: int

    @property
    def hook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}"

    async def start(self, port: int = 0) -> None:
        """Start (or start again) the app and its webhook server, as `dondoc run --webhook`."""
        app = self.bot.app
        assert app.telegram is not None
        self.server = WebServer(Health(app.db, "webhook"), "127.0.0.1", port)
        self.server.webhook(HOOK_PATH, SECRET, app.telegram.feed)
        self.port = await self.server.start()
        app.telegram.use_webhook(self.hook_url, SECRET)
        await app.start(schedule=False)
        self.server.ready()

    async def stop(self) -> None:
        await self.server.stop()
        await self.bot.app.stop()

    async def restart(self) -> None:
        await self.stop()
        b = self.bot
        b.app = await new_app(b.settings, b.clock, seed=False)
        await self.start(self.port)

    async def webhook_info(self) -> dict[str, Any]:
        info: dict[str, Any] = (await self.bot.http.get(f"{self.bot.control}/webhook")).json()
        return info

    async def post(self, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.bot.http.post(self.hook_url, json=body, headers=headers or {})


@pytest.fixture
async def hooked(emulator: EmulatorThread, tmp_path: Path) -> AsyncIterator[Hooked]:
    async with unstarted_bot(emulator, tmp_path) as bot:
        hooked = Hooked(bot, WebServer(Health(bot.app.db, "webhook"), "127.0.0.1", 0), 0)
        await hooked.start()
        try:
            yield hooked
        finally:
            await hooked.stop()


def telegram_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A private text message as Telegram posts it."""
    person = {"id": user_id, "is_bot": False, "first_name": "An"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "An"},
        "from": person,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


async def _open_chat(emu: TelegramEmulator, token: str, user_id: int) -> None:
    bot = emu.bot(token)
    assert bot is not None
    bot.account.open_chat(emu.world.ensure_user(user_id, first_name="An"))


async def test_a_secretary_registers_through_the_webhook(hooked: Hooked) -> None:
    tg = hooked.bot
    code = await make_invite(tg.app.services, "CBVP")
    an = tg.user("Nguyễn Văn An")
    await an.send(f"/start {code}")
    confirm = await an.read_one()
    assert buttons(confirm) == ["Xác nhận", "Hủy"]
    await an.press("Xác nhận")  # a callback query, delivered by webhook too
    await an.read_one()
    await an.press("Dùng tên: Nguyễn Văn An")
    assert "Đăng ký thành công" in (await an.read_one())["text"]
    info = await hooked.webhook_info()
    assert info["url"] == hooked.hook_url and info["pending_update_count"] == 0
    assert "last_error_message" not in info
    stats = (await tg.http.get(f"{tg.control}/stats")).json()
    assert "getUpdates" not in stats["calls"] and stats["calls"]["setWebhook"] == 1
    emulated = tg.emulator.emulator.bot(tg.token)
    assert emulated is not None and emulated.webhook.secret_token == SECRET


async def test_requests_without_the_secret_token_are_refused(hooked: Hooked) -> None:
    tg = hooked.bot
    user_id = new_user_id()
    tg.emulator.run(_open_chat(tg.emulator.emulator, tg.token, user_id))
    update = telegram_update(990_001, user_id, "/help")
    assert (await hooked.post(update)).status_code == 403
    assert (await hooked.post(update, {SECRET_HEADER: "webhook_Secret-43"})).status_code == 403
    assert (await hooked.post(update, {SECRET_HEADER: ""})).status_code == 403
    handled = await tg.app.db.fetch_value("SELECT count(*) FROM handled_updates")
    assert handled == 0  # refused before anything was read or handled
    person = tg.user(user_id=user_id)
    assert await person.history() == []

    right = {SECRET_HEADER: SECRET}
    answer = await tg.http.post(hooked.hook_url, content=b"{not json", headers=right)
    assert answer.status_code == 400
    assert (await hooked.post({"no": "update_id"}, right)).status_code == 400
    assert (await tg.http.get(hooked.hook_url)).status_code == 405

    assert (await hooked.post(update, right)).status_code == 200  # answered once handled
    assert len(await person.history()) == 1
    assert (await hooked.post(update, right)).status_code == 200  # Telegram sends it again
    assert len(await person.history()) == 1  # handled once


async def test_updates_sent_while_the_bot_is_down_arrive_when_it_is_back(hooked: Hooked) -> None:
    tg = hooked.bot
    an = tg.user("Nguyễn Văn An")
    await an.send("/help")
    await an.read_one()
    await hooked.stop()
    await an.send("/help")
    await an.send("Xin chào")
    deadline = time.monotonic() + 5
    info = await hooked.webhook_info()
    while "last_error_message" not in info and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        info = await hooked.webhook_info()
    assert info["pending_update_count"] == 2
    assert info["last_error_message"] == "Connection refused"
    b = tg
    b.app = await new_app(b.settings, b.clock, seed=False)
    await hooked.start(hooked.port)
    await an.read(2)
    await asyncio.sleep(0.3)
    assert len(await an.history()) == 3  # nothing lost, nothing twice
    assert (await hooked.webhook_info())["pending_update_count"] == 0


async def test_healthz_reports_database_migrations_sender_and_outbox(hooked: Hooked) -> None:
    tg = hooked.bot
    url = f"http://127.0.0.1:{hooked.port}/healthz"
    answer = await tg.http.get(url)
    assert answer.status_code == 200
    report = answer.json()
    assert report["ok"] and report["mode"] == "webhook"
    assert report["database"]["ok"] and report["sender"]["ok"]
    assert report["migrations"]["ok"] and report["migrations"]["pending"] == []
    # A message for a channel that is not running waits in the outbox.
    message = NewMessage("t:health", "broadcast", None, "zalo", "1", Reply("x"))
    await tg.app.services.repos.outbox.enqueue(message, tg.clock.now())
    tg.app.sender.wake()
    await asyncio.sleep(0.2)
    assert (await tg.http.get(url)).json()["outbox"]["pending"] == 1
    [sender] = [t for t in asyncio.all_tasks() if t.get_name() == SENDER_TASK]
    sender.cancel()
    await asyncio.gather(sender, return_exceptions=True)
    answer = await tg.http.get(url)
    assert answer.status_code == 503 and answer.json()["sender"] == {"ok": False}


# ---------------------------------------------------------------------------------------------
# the real `dondoc run --webhook` process

DONDOC = [
    sys.executable,
    "-c",
    "import sys; from bot.cli import main; sys.argv[0] = 'dondoc'; main()",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_dondoc_run_webhook_serves_updates_and_health_and_stops_on_sigterm(
    emulator: EmulatorThread, tmp_path: Path
) -> None:
    token, port = new_token(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    env.update(
        DONDOC_TELEGRAM_TOKEN=token,
        DONDOC_TELEGRAM_API_URL=emulator.api_url,
        DONDOC_DATA_DIR=str(tmp_path / "data"),
        DONDOC_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        DONDOC_WEBHOOK_SECRET=SECRET,
        DONDOC_WEBHOOK_PORT=str(port),
        DONDOC_LOG_FORMAT="json",
    )
    log = tmp_path / "dondoc.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *DONDOC, "run", "--webhook", env=env, cwd=tmp_path, stdout=out, stderr=out
        )
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            health = f"http://127.0.0.1:{port}/healthz"
            deadline = time.monotonic() + 10
            while True:
                try:
                    answer = await http.get(health)
                    if answer.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.05)
            assert answer.json()["mode"] == "webhook"
            control = f"{emulator.base_url}/_control/bots/{token}"
            person = TgUser(http, control, new_user_id(), "Nguyễn Văn An")
            await person.send("/help")
            await person.read_one()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines = log.read_text().splitlines()
    assert any('"msg": "stopped"' in line for line in lines), lines
    assert all(line.startswith("{") for line in lines), lines  # one JSON event per line
