"""The Zalo Bot Platform emulator, over real HTTP as a bot and its users would use it."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from PIL import Image

from bot.sandbox.emulator_thread import EmulatorThread
from bot.sandbox.telegram_emulator import Limits
from bot.sandbox.zalo_emulator import SECRET_HEADER, ZaloEmulator, number_of, wire_id

USER = 7_100_001


def new_token() -> str:
    return f"{1_000_000_000 + secrets.randbelow(8_000_000_000)}:{secrets.token_urlsafe(26)}"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 30)).save(out, format="JPEG")
    return out.getvalue()


class ZaloSandbox:
    """One fresh bot on a running emulator: its API calls and its users' side."""

    def __init__(self, http: httpx.AsyncClient, base: str) -> None:
        self.http = http
        self.base = base
        self.token = new_token()

    async def call(self, method: str, **params: Any) -> httpx.Response:
        return await self.http.post(f"{self.base}/zalo/bot{self.token}/{method}", json=params)

    async def ok(self, method: str, **params: Any) -> Any:
        response = await self.call(method, **params)
        body = response.json()
        assert response.status_code == 200 and body["ok"] is True, body
        return body.get("result")

    async def fails(self, status: int, method: str, **params: Any) -> dict[str, Any]:
        response = await self.call(method, **params)
        body: dict[str, Any] = response.json()
        assert response.status_code == status, body
        assert body["ok"] is False and body["error_code"] == status
        return body

    @property
    def control(self) -> str:
        return f"{self.base}/_control/zalo/{self.token}"

    async def user_says(self, text: str, user: int = USER, name: str = "An") -> dict[str, Any]:
        resp = await self.http.post(
            f"{self.control}/users/{user}/messages", json={"text": text, "display_name": name}
        )
        assert resp.status_code == 200, resp.text
        result: dict[str, Any] = resp.json()
        return result

    async def bot_messages(self, user: int = USER) -> list[dict[str, Any]]:
        resp = await self.http.get(f"{self.control}/users/{user}/messages")
        result: list[dict[str, Any]] = resp.json()["messages"]
        return result


@pytest.fixture
async def emulator() -> AsyncIterator[ZaloEmulator]:
    emu = ZaloEmulator(deliver_webhooks=True, webhook_retry_max=0.2)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def zalo(emulator: ZaloEmulator) -> AsyncIterator[ZaloSandbox]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        yield ZaloSandbox(http, emulator.base_url)


async def test_get_me_and_bad_tokens_and_methods(zalo: ZaloSandbox) -> None:
    me = await zalo.ok("getMe")
    assert me["id"] == zalo.token.split(":")[0] and me["account_type"] == "BASIC"
    assert me["can_join_groups"] is False and me["account_name"].startswith("bot.")
    bad = await zalo.http.post(f"{zalo.base}/zalo/botnot-a-token/getMe", json={})
    assert bad.status_code == 401 and bad.json()["error_code"] == 401
    await zalo.fails(404, "sendDocument", chat_id="x")
    await zalo.fails(404, "editMessageText")


async def test_get_updates_hands_out_one_update_per_call_and_408_when_none(
    zalo: ZaloSandbox,
) -> None:
    began = time.monotonic()
    empty = await zalo.fails(408, "getUpdates", timeout="0.3")
    assert time.monotonic() - began >= 0.25 and "timeout" in empty["description"].lower()
    first = await zalo.user_says("Xin chào")
    await zalo.user_says("/start abc")
    update = await zalo.ok("getUpdates", timeout=1)
    assert update["event_name"] == "message.text.received"
    message = update["message"]
    assert message["text"] == "Xin chào" and message["message_id"] == first["message_id"]
    assert message["chat"] == {"id": wire_id(USER), "chat_type": "PRIVATE"}
    assert message["from"]["id"] == wire_id(USER) and message["from"]["display_name"] == "An"
    assert message["date"] > 10**12  # milliseconds
    assert (await zalo.ok("getUpdates", timeout="1"))["message"]["text"] == "/start abc"
    await zalo.fails(408, "getUpdates", timeout=0)  # handed out: gone
    assert number_of(wire_id(USER)) == USER and len(wire_id(USER)) == 20


async def test_a_waiting_poll_gets_the_update_as_soon_as_it_comes(zalo: ZaloSandbox) -> None:
    poll = asyncio.create_task(zalo.ok("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    await zalo.user_says("Báo cáo")
    update = await asyncio.wait_for(poll, 2)
    assert update["message"]["text"] == "Báo cáo"


async def test_a_reader_waits_for_its_own_chat_not_for_anothers(zalo: ZaloSandbox) -> None:
    other = USER + 1
    await zalo.user_says("hi")
    await zalo.user_says("chào", user=other, name="Bình")
    log = (await zalo.http.get(f"{zalo.control}/users/{USER}/messages")).json()
    params = {"after_revision": log["revision"], "timeout": 10}
    waiting = asyncio.create_task(
        zalo.http.get(f"{zalo.control}/users/{USER}/messages", params=params)
    )
    await zalo.ok("sendMessage", chat_id=wire_id(other), text="Cho người khác")
    await asyncio.sleep(0.2)
    assert not waiting.done()  # another chat's message does not answer this reader
    await zalo.ok("sendMessage", chat_id=wire_id(USER), text="Cho bạn")
    answer = (await waiting).json()
    assert [m["text"] for m in answer["messages"]] == ["Cho bạn"]


async def test_send_message_keeps_the_1_to_2000_limit_counted_in_utf16(zalo: ZaloSandbox) -> None:
    await zalo.user_says("hi")
    chat = wire_id(USER)
    sent = await zalo.ok("sendMessage", chat_id=chat, text="x" * 2000)
    assert len(sent["message_id"]) == 20 and sent["date"] > 10**12
    too_long = await zalo.fails(400, "sendMessage", chat_id=chat, text="x" * 2001)
    assert "2000" in too_long["description"]
    await zalo.fails(400, "sendMessage", chat_id=chat, text="")
    await zalo.fails(400, "sendMessage", chat_id=chat, text="😀" * 1001)  # 2,002 UTF-16 units
    await zalo.ok("sendMessage", chat_id=chat, text="😀" * 1000)
    await zalo.fails(400, "sendMessage", text="no chat")
    await zalo.fails(400, "sendMessage", chat_id=wire_id(999), text="nobody")
    await zalo.fails(400, "sendMessage", chat_id=chat, text="x", parse_mode="MarkdownV2")
    texts = [m["text"] for m in await zalo.bot_messages()]
    assert texts == ["x" * 2000, "😀" * 1000]


async def test_a_bot_that_sends_too_fast_gets_429_with_retry_after(
    zalo: ZaloSandbox, emulator: ZaloEmulator
) -> None:
    emulator.limits = Limits(chat_burst=2, chat_rate=0.5)
    await zalo.user_says("hi")
    chat = wire_id(USER)
    await zalo.ok("sendMessage", chat_id=chat, text="1")
    await zalo.ok("sendMessage", chat_id=chat, text="2")
    response = await zalo.call("sendMessage", chat_id=chat, text="3")
    body = response.json()
    assert response.status_code == 429 and body["error_code"] == 429
    assert body["parameters"]["retry_after"] == 2 and response.headers["Retry-After"] == "2"
    stats = (await zalo.http.get(f"{zalo.control}/stats")).json()
    assert stats["too_many_requests"] == 1 and stats["messages_sent_total"] == 2


async def test_a_user_who_blocked_the_bot_answers_403_until_they_write_again(
    zalo: ZaloSandbox,
) -> None:
    await zalo.user_says("hi")
    await zalo.http.post(f"{zalo.control}/users/{USER}/block", json={"blocked": True})
    refused = await zalo.fails(403, "sendMessage", chat_id=wire_id(USER), text="x")
    assert "blocked" in refused["description"]
    await zalo.user_says("tôi quay lại")
    await zalo.ok("sendMessage", chat_id=wire_id(USER), text="x")


async def test_photos_go_both_ways_by_url(zalo: ZaloSandbox) -> None:
    content = jpeg()
    resp = await zalo.http.post(
        f"{zalo.control}/users/{USER}/photo",
        json={"content_base64": base64.b64encode(content).decode(), "caption": "Biên bản"},
    )
    assert resp.status_code == 200, resp.text
    update = await zalo.ok("getUpdates", timeout=1)
    assert update["event_name"] == "message.image.received"
    message = update["message"]
    assert message["caption"] == "Biên bản" and "text" not in message
    assert (await zalo.http.get(message["photo_url"])).content == content
    chat = wire_id(USER)
    await zalo.ok("sendPhoto", chat_id=chat, photo="https://example.vn/a.png", caption="Biểu đồ")
    await zalo.fails(400, "sendPhoto", chat_id=chat, photo="attach://file")
    await zalo.fails(400, "sendPhoto", chat_id=chat, photo="https://x/a.png", caption="")
    [sent] = await zalo.bot_messages()
    assert sent["kind"] == "photo" and sent["photo_url"] == "https://example.vn/a.png"
    assert sent["text"] == "Biểu đồ"
    bad = await zalo.http.post(
        f"{zalo.control}/users/{USER}/photo",
        json={"content_base64": base64.b64encode(b"not an image").decode()},
    )
    assert bad.status_code == 400


async def test_stickers_unsupported_content_and_chat_actions(zalo: ZaloSandbox) -> None:
    await zalo.http.post(f"{zalo.control}/users/{USER}/sticker", json={"sticker": "abc"})
    await zalo.http.post(f"{zalo.control}/users/{USER}/unsupported", json={})
    sticker = await zalo.ok("getUpdates", timeout=1)
    assert sticker["event_name"] == "message.sticker.received"
    assert sticker["message"]["sticker"] == "abc"
    hidden = await zalo.ok("getUpdates", timeout=1)
    assert hidden["event_name"] == "message.unsupported.received"
    assert {"text", "photo_url", "sticker"}.isdisjoint(hidden["message"])
    chat = wire_id(USER)
    response = await zalo.call("sendChatAction", chat_id=chat, action="typing")
    assert response.json() == {"ok": True}
    await zalo.fails(400, "sendChatAction", chat_id=chat, action="record_video")
    await zalo.ok("sendSticker", chat_id=chat, sticker="0e078a2fb66a5f34067b")
    await zalo.fails(400, "sendSticker", chat_id=chat)
    actions = (await zalo.http.get(f"{zalo.control}/users/{USER}/chat_actions")).json()
    assert [a["action"] for a in actions["chat_actions"]] == ["typing"]
    later = {"since": 1, "min_count": 1, "timeout": 0.1}  # read like any log of the chat
    none_yet = await zalo.http.get(f"{zalo.control}/users/{USER}/chat_actions", params=later)
    assert none_yet.json()["chat_actions"] == [] and none_yet.json()["count"] == 1


async def test_updates_can_come_without_event_name_as_some_answers_do(zalo: ZaloSandbox) -> None:
    await zalo.http.post(f"{zalo.control}/options", json={"omit_event_name": True})
    await zalo.user_says("Xin chào")
    update = await zalo.ok("getUpdates", timeout=1)
    assert "event_name" not in update and update["message"]["text"] == "Xin chào"


async def test_faults_answer_as_asked(zalo: ZaloSandbox) -> None:
    await zalo.user_says("hi")
    fault = {"method": "sendMessage", "status": 429, "retry_after": 3, "count": 1}
    await zalo.http.post(f"{zalo.control}/faults", json=fault)
    refused = await zalo.fails(429, "sendMessage", chat_id=wire_id(USER), text="x")
    assert refused["parameters"] == {"retry_after": 3}
    await zalo.http.post(f"{zalo.control}/faults", json={"method": "getMe", "status": 502})
    await zalo.fails(502, "getMe")
    await zalo.ok("getMe")


async def test_webhook_needs_https_and_a_secret_and_excludes_polling(zalo: ZaloSandbox) -> None:
    await zalo.fails(400, "setWebhook", url="ftp://x", secret_token="12345678")
    await zalo.fails(400, "setWebhook", url="https://bot.example.vn/hook", secret_token="short")
    info = await zalo.ok("setWebhook", url="https://bot.example.vn/hook", secret_token="s3cret-ok")
    assert info["url"] == "https://bot.example.vn/hook" and info["updated_at"] > 10**12
    assert (await zalo.ok("getWebhookInfo"))["url"] == "https://bot.example.vn/hook"
    await zalo.fails(409, "getUpdates", timeout=0)
    assert (await zalo.ok("deleteWebhook"))["url"] == ""
    await zalo.fails(408, "getUpdates", timeout=0)


@pytest.mark.parametrize("style", ["wrapped", "flat"])
async def test_webhook_deliveries_carry_the_secret_and_are_retried_until_answered(
    zalo: ZaloSandbox, emulator: ZaloEmulator, style: str
) -> None:
    got: list[tuple[str, dict[str, Any]]] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        got.append((request.headers.get(SECRET_HEADER, ""), json.loads(await request.read())))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        await zalo.http.post(f"{zalo.control}/options", json={"webhook_style": style})
        await zalo.ok("setWebhook", url=url, secret_token="s3cret-token")
        await zalo.user_says("Xin chào")
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.05)
        [(secret, body)] = got
        assert secret == "s3cret-token"
        update = body["result"] if style == "wrapped" else body
        assert body.get("ok") is (True if style == "wrapped" else None)
        assert update["event_name"] == "message.text.received"
        assert update["message"]["text"] == "Xin chào"
        hook_info = (await zalo.http.get(f"{zalo.control}/webhook")).json()
        assert hook_info["delivered"] == 1 and hook_info["pending_update_count"] == 0
    finally:
        await zalo.ok("deleteWebhook")
        await runner.cleanup()


def test_mounted_beside_telegram_on_one_port_and_one_world() -> None:
    async def scenario(base: str, token: str) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            zalo = ZaloSandbox(http, base)
            zalo.token = token
            await zalo.user_says("Xin chào", user=USER, name="Nguyễn Văn An")
            update = await zalo.ok("getUpdates", timeout=1)
            assert update["message"]["from"]["display_name"] == "Nguyễn Văn An"
            tg = await http.post(f"{base}/bot{new_token()}/getMe", json={})
            assert tg.status_code == 200 and tg.json()["result"]["is_bot"] is True

    with EmulatorThread(zalo=True) as emu:
        assert emu.zalo is not None and emu.zalo.world is emu.emulator.world
        assert emu.zalo_api_url == f"{emu.base_url}/zalo/bot"
        token = new_token()
        asyncio.run(scenario(emu.base_url, token))
        assert USER in emu.emulator.world.users  # the same person for both platforms
        account = emu.zalo.bot(token)
        assert account is not None and account.account.platform == "zalo"
