"""The sandbox page's JSON API (bot/sandbox/web.py) and the demo behind it (bot/sandbox/demo.py,
seed.py), without a browser: the emulator, the bot and the page in this test's event loop."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.app import App, build_app, open_services
from bot.channels.ratelimit import RateLimits
from bot.clock import FrozenClock
from bot.domain import PlanStatus, Role, UnitKind
from bot.runner import SANDBOX_TOKEN, go_on_from_handled, sandbox_settings
from bot.sandbox import seed as sample
from bot.sandbox.demo import Demo, clock_file, with_sandbox_clock
from bot.sandbox.telegram_emulator import Limits, TelegramEmulator
from bot.sandbox.web import SandboxWeb, start_sandbox_web, static_dir
from bot.settings import Settings
from tests.conftest import VN

FAST = RateLimits(overall_rate=1000, overall_burst=100, chat_rate=100, chat_burst=100)
START = datetime(2024, 4, 1, 8, 30, tzinfo=VN)
CBVP_SECRETARY = 5011
OFFICE = 5001


@dataclass
class Sandbox:
    client: TestClient[Any, Any]
    app: App
    demo: Demo
    emulator: TelegramEmulator
    clock: FrozenClock

    async def get(self, path: str, **params: Any) -> Any:
        resp = await self.client.get(path, params=params)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    async def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        resp = await self.client.post(path, json=body)
        assert resp.status == status, await resp.text()
        return await resp.json()

    async def messages(self, user_id: int, count: int, within: float = 10) -> list[Any]:
        """The chat once it holds `count` messages (waiting for the bot as the page does)."""
        revision = -1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            chat = await self.get(
                f"/api/chats/{user_id}", after_revision=str(revision), timeout="2"
            )
            revision = chat["revision"]
            if len(chat["messages"]) >= count:
                return list(chat["messages"])
            assert loop.time() < deadline, chat["messages"]

    async def press(self, user_id: int, label: str) -> None:
        chat = await self.get(f"/api/chats/{user_id}")
        message = next(
            m
            for m in reversed(chat["messages"])
            if any(b["text"] == label for row in m["buttons"] for b in row)
        )
        await self.post(
            f"/api/chats/{user_id}/press", {"message_id": message["id"], "label": label}
        )


def _settings(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None, **changes)  # type: ignore[call-arg]


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    emulator = TelegramEmulator(Limits(enabled=False))  # no 429s: this clock does not run
    await emulator.start("127.0.0.1", 0)
    settings = with_sandbox_clock(_settings(tmp_path))
    settings = sandbox_settings(settings, emulator.api_url, emulator.file_url)
    clock = FrozenClock(VN, START)
    app = await build_app(settings, clock=clock, poll_timeout=1, limits=FAST)
    assert await sample.seed_if_empty(app.services)
    demo = Demo(app, emulator, SANDBOX_TOKEN)
    await demo.prepare()
    page = SandboxWeb(demo)
    await app.start(schedule=False)
    client: TestClient[Any, Any] = TestClient(TestServer(page.app))
    await client.start_server()
    try:
        yield Sandbox(client, app, demo, emulator, clock)
    finally:
        await client.close()
        await app.stop()
        await emulator.stop()


async def test_the_page_and_its_assets_are_served_from_the_app_with_no_outside_address(
    sandbox: Sandbox,
) -> None:
    resp = await sandbox.client.get("/")
    assert resp.status == 200
    html = await resp.text()
    assert '<html lang="vi">' in html and "Làm lại từ đầu" in html
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert (await sandbox.client.get(asset)).status == 200, asset
    for path in static_dir().iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", text), path.name
        assert "@import" not in text


async def test_the_state_has_the_sandbox_date_the_people_and_the_spare_invites(
    sandbox: Sandbox,
) -> None:
    state = await sandbox.get("/api/state")
    assert state["now"]["date"] == "2024-04-01" and state["now"]["time"] == "08:30"
    assert state["now"]["weekday"] == 0
    people = {p["user_id"]: p for p in state["personas"]}
    assert set(people) == {p.user_id for p in sample.PERSONAS}
    assert people[OFFICE]["role"] == "office" and people[OFFICE]["role_label"] == "Văn phòng"
    assert people[CBVP_SECRETARY]["unit_name"] == "Chi bộ Văn phòng"
    assert [p["role"] for p in state["personas"][:2]] == ["office", "leader"]
    assert len(state["invites"]) == len(sample.SPARE_INVITES)
    assert {i["unit_name"] for i in state["invites"]} >= {"Chi bộ Sở Tư pháp"}

    services = sandbox.app.services
    units = await services.repos.units.all()
    assert len([u for u in units if u.kind.reports]) == 12
    [plan] = await services.repos.plans.all()
    assert plan.number == sample.SAMPLE_PLAN_NUMBER and plan.status is PlanStatus.PUBLISHED


async def test_a_registered_secretary_has_the_plan_and_the_role_menu(sandbox: Sandbox) -> None:
    [push] = await sandbox.messages(CBVP_SECRETARY, 1)
    assert push["from"] == "bot" and "185-KH/ĐUK" in push["text"]
    assert push["day"] == "2024-04-01" and push["time"] == "08:30"
    assert push["buttons"] and any(e["type"] == "bold" for e in push["entities"])
    chat = await sandbox.get(f"/api/chats/{CBVP_SECRETARY}")
    assert [c["command"] for c in chat["menu"]][:2] == ["viec", "baocao"]
    office = await sandbox.get(f"/api/chats/{OFFICE}")
    assert "tinhhinh" in [c["command"] for c in office["menu"]]


async def test_a_newcomer_registers_with_a_spare_invite_and_joins_the_people(
    sandbox: Sandbox,
) -> None:
    state = await sandbox.get("/api/state")
    invite = next(i for i in state["invites"] if i["unit_name"] == "Chi bộ Sở Tư pháp")
    newcomer = await sandbox.post("/api/newcomer")
    uid = newcomer["user_id"]
    assert uid == sample.NEWCOMER_FIRST_ID and newcomer["name"] == sample.NEWCOMER_NAMES[0]

    await sandbox.post(f"/api/chats/{uid}/text", {"text": f"/start {invite['code']}"})
    messages = await sandbox.messages(uid, 2)
    assert messages[0]["from"] == "user" and "Chi bộ Sở Tư pháp" in messages[1]["text"]
    state = await sandbox.get("/api/state")
    assert any(p["user_id"] == uid and p["role"] is None for p in state["personas"])

    await sandbox.press(uid, "Xác nhận")
    await sandbox.messages(uid, 3)
    await sandbox.press(uid, f"Dùng tên: {sample.NEWCOMER_NAMES[0]}")
    messages = await sandbox.messages(uid, 5)
    assert any("185-KH/ĐUK" in m["text"] for m in messages)
    state = await sandbox.get("/api/state")
    me = next(p for p in state["personas"] if p["user_id"] == uid)
    assert me["role"] == "secretary" and me["unit_name"] == "Chi bộ Sở Tư pháp"
    assert invite["code"] not in {i["code"] for i in state["invites"]}


async def test_files_go_up_as_photo_or_document_and_come_back_down(sandbox: Sandbox) -> None:
    data = b"%PDF-1.4 bien ban\n"
    form = FormData(quote_fields=False)  # as a browser sends a name: UTF-8
    form.add_field("file", data, filename="biên bản.pdf", content_type="application/pdf")
    form.add_field("caption", "Biên bản họp chi bộ")
    resp = await sandbox.client.post(f"/api/chats/{CBVP_SECRETARY}/upload", data=form)
    assert resp.status == 200, await resp.text()

    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 0, 0)).save(out, format="PNG")
    form = FormData()
    form.add_field("file", out.getvalue(), filename="anh.png", content_type="image/png")
    resp = await sandbox.client.post(f"/api/chats/{CBVP_SECRETARY}/upload", data=form)
    assert resp.status == 200, await resp.text()

    chat = await sandbox.get(f"/api/chats/{CBVP_SECRETARY}")
    document, photo = [m for m in chat["messages"] if m["from"] == "user"][-2:]
    assert document["file"]["kind"] == "document" and document["text"] == "Biên bản họp chi bộ"
    assert photo["file"]["kind"] == "photo" and photo["file"]["width"] == 40
    assert document["file"]["name"] == "biên bản.pdf"
    down = await sandbox.client.get(document["file"]["download"])
    assert down.status == 200 and await down.read() == data
    assert "attachment" in down.headers["Content-Disposition"]
    assert "bi%C3%AAn%20b%E1%BA%A3n.pdf" in down.headers["Content-Disposition"]
    shown = await sandbox.client.get(photo["file"]["url"])
    assert shown.status == 200 and shown.headers["Content-Type"].startswith("image/")
    assert (await sandbox.client.get("/api/files/nope")).status == 404


async def test_moving_the_clock_a_week_sends_each_day_s_reminders(sandbox: Sandbox) -> None:
    await sandbox.messages(CBVP_SECRETARY, 1)
    moved = await sandbox.post("/api/clock", {"days": 7})
    assert moved["now"]["date"] == "2024-04-08" and moved["now"]["time"] == "08:30"
    assert moved["queued"] > 0
    chat = await sandbox.get(f"/api/chats/{CBVP_SECRETARY}")
    reminders = [m for m in chat["messages"] if "Nhắc hạn" in m["text"]]
    # Tue 2/4 and Thu 4/4 (every 2 days after 31/3), then Mon 8/4 after the weekend
    assert [m["day"] for m in reminders] == ["2024-04-02", "2024-04-04", "2024-04-08"]
    office = await sandbox.get(f"/api/chats/{OFFICE}")
    assert any("quá hạn" in m["text"] for m in office["messages"])
    assert clock_file(sandbox.app.settings).read_text().startswith("2024-04-08T08:30")

    to_date = await sandbox.post("/api/clock", {"date": "2024-04-10"})
    assert to_date["now"]["date"] == "2024-04-10" and to_date["now"]["time"] == "08:30"
    assert (await sandbox.post("/api/clock", {"date": "2024-04-09"}, 400))["error"] == "past"
    assert (await sandbox.post("/api/clock", {"date": "10/4/2024"}, 400))["error"] == "date"
    assert (await sandbox.post("/api/clock", {"days": 0}, 400))["error"] == "range"
    assert (await sandbox.post("/api/clock", {"days": 5000}, 400))["error"] == "range"


async def test_starting_over_brings_the_sample_back_as_it_was(sandbox: Sandbox) -> None:
    await sandbox.messages(CBVP_SECRETARY, 1)
    newcomer = (await sandbox.post("/api/newcomer"))["user_id"]
    state = await sandbox.get("/api/state")
    code = state["invites"][0]["code"]
    await sandbox.post(f"/api/chats/{newcomer}/text", {"text": f"/start {code}"})
    await sandbox.messages(newcomer, 2)
    await sandbox.post("/api/clock", {"days": 3})

    answer = await sandbox.post("/api/reset")
    assert answer["now"]["date"] == "2024-04-01" and answer["now"]["time"] == "08:30"
    state = await sandbox.get("/api/state")
    assert {p["user_id"] for p in state["personas"]} == {p.user_id for p in sample.PERSONAS}
    assert len(state["invites"]) == len(sample.SPARE_INVITES)
    assert code not in {i["code"] for i in state["invites"]}  # new codes
    [push] = await sandbox.messages(CBVP_SECRETARY, 1)  # the chat starts again, with the plan
    assert "185-KH/ĐUK" in push["text"] and push["day"] == "2024-04-01"
    chat = await sandbox.get(f"/api/chats/{CBVP_SECRETARY}")
    assert [c["command"] for c in chat["menu"]][:2] == ["viec", "baocao"]
    services = sandbox.app.services
    assert len(await services.repos.plans.all()) == 1
    members = await services.repos.members.listing()
    assert len(members) == len(sample.PERSONAS)
    assert all(i.reachable for m in members for i in m.identities)


async def test_bad_requests_are_answered_with_a_code_the_page_words(sandbox: Sandbox) -> None:
    assert (await sandbox.post(f"/api/chats/{OFFICE}/text", {"text": "  "}, 400)) == {
        "error": "empty"
    }
    missing = await sandbox.post(
        f"/api/chats/{OFFICE}/press", {"message_id": 999, "label": "Không có"}, 404
    )
    assert missing["error"] == "emulator" and missing["detail"]
    resp = await sandbox.client.post(f"/api/chats/{OFFICE}/upload", json={})
    assert resp.status == 400


def test_the_sandbox_clock_is_dondoc_clock_else_where_it_was_left_else_the_sample_date(
    tmp_path: Path,
) -> None:
    fresh = with_sandbox_clock(_settings(tmp_path))
    assert fresh.clock == START
    chosen = datetime(2024, 5, 2, 9, 0, tzinfo=VN)
    assert with_sandbox_clock(_settings(tmp_path, clock=chosen)).clock == chosen

    settings = _settings(tmp_path)
    settings.db_path.parent.mkdir(parents=True)
    settings.db_path.write_bytes(b"")
    clock_file(settings).write_text("2024-04-15T10:00:00+07:00")
    assert with_sandbox_clock(settings).clock == datetime(2024, 4, 15, 10, 0, tzinfo=VN)
    settings.db_path.unlink()  # a new database starts at the sample's date again
    assert with_sandbox_clock(settings).clock == START


async def test_an_older_sandbox_nobody_used_is_seeded_again_a_used_one_is_kept(
    tmp_path: Path,
) -> None:
    from bot.app import open_services
    from storage.units import NewUnit

    services = await open_services(_settings(tmp_path), FrozenClock(VN, START))
    try:
        old = NewUnit("DBPTTH", "Đảng bộ Đài Phát thanh - Truyền hình", UnitKind.CELL, None)
        async with services.db.transaction():
            await services.repos.units.upsert_many([old], START)
        assert len(await sample.seed_if_empty(services)) == len(sample.SPARE_INVITES)
        codes = {u.code for u in await services.repos.units.all()}
        assert "DBPTTH" not in codes and {"DUK", "VP", "CBVP", "CBBAO", "DBPT", "CBTS"} <= codes
        assert await sample.seed_if_empty(services) == []  # now people are registered
        assert len(await services.repos.members.with_role(Role.SECRETARY)) == 7
    finally:
        await services.db.close()


async def test_a_busy_port_is_told_in_one_line_and_the_bot_runs_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = TelegramEmulator()
    await emulator.start("127.0.0.1", 0)
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    settings = with_sandbox_clock(_settings(tmp_path, sandbox_web_port=port))
    settings = sandbox_settings(settings, emulator.api_url, emulator.file_url)
    app = await build_app(settings, clock=FrozenClock(VN, START), poll_timeout=1)
    try:
        await sample.seed_if_empty(app.services)
        assert await start_sandbox_web(app, emulator, SANDBOX_TOKEN) is None
        out = capsys.readouterr().out
        assert f"cổng {port}" in out and "DONDOC_SANDBOX_WEB_PORT" in out
        settings_free = app.settings.model_copy(update={"sandbox_web_port": 0})
        app.settings = settings_free
        page = await start_sandbox_web(app, emulator, SANDBOX_TOKEN)
        assert page is not None and page.url is not None
        assert page.url in capsys.readouterr().out
        await page.stop()
    finally:
        blocker.close()
        await blocker.wait_closed()
        await app.db.close()
        await emulator.stop()


async def test_a_restarted_sandbox_numbers_updates_after_those_its_database_handled(
    tmp_path: Path,
) -> None:
    """Else the new run's update 1, 2, 3... are taken for redeliveries and nobody is answered."""
    services = await open_services(_settings(tmp_path))
    now = datetime(2024, 4, 1, 8, 30, tzinfo=VN)
    async with services.db.transaction():
        for update_id in (118, 119):
            assert await services.repos.conversations.first_time("telegram", update_id, now)
    emulator = TelegramEmulator()
    await go_on_from_handled(services, emulator)
    bot = emulator.bot(SANDBOX_TOKEN)
    assert bot is not None
    assert bot.account.updates.push("message", {}).update_id == 120
    assert await services.repos.conversations.first_time("telegram", 120, now)
    await services.db.close()


async def test_handled_marks_are_forgotten_after_two_days_so_an_id_telegram_reuses_is_answered(
    sandbox: Sandbox,
) -> None:
    """After a week without updates Telegram picks the next id at random: an old mark for the
    same id must be gone by then, while a redelivery within a day is still recognised."""
    conversations = sandbox.app.services.repos.conversations
    old, recent = 9_000_001, 9_000_002
    async with sandbox.app.services.db.transaction():
        assert await conversations.first_time("telegram", old, START - timedelta(days=3))
        assert await conversations.first_time("telegram", recent, START - timedelta(hours=20))
    await sandbox.app.forget_old_updates()
    async with sandbox.app.services.db.transaction():
        assert await conversations.first_time("telegram", old, START)  # handled as new
        assert not await conversations.first_time("telegram", recent, START)  # a redelivery
