"""The Telegram adapter's plumbing: updates of one chat in order while other chats run alongside,
presses answered and marked whatever the handling does, and Bot API calls over aiohttp."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PIL import Image
from telegram import InputFile, Update
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.ratelimit import BACKGROUND, PriorityRateLimiter, RateLimits
from bot.channels.telegram import PerChatUpdateProcessor
from bot.chat import Choice, Inbound, OutFile, Reply, rows
from tests.e2e.conftest import Bot
from tests.e2e.harness import TgUser, buttons

# Updates of one chat in order, different chats at once ---------------------------------------


def message_update(update_id: int, chat_id: int) -> Update:
    chat = {"id": chat_id, "type": "private", "first_name": "A"}
    sender = {"id": chat_id, "is_bot": False, "first_name": "A"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": sender, "text": "x"}
    return Update.de_json({"update_id": update_id, "message": message}, None)


@pytest.mark.parametrize("limit", [2, 256])
async def test_a_chats_updates_keep_their_order_while_other_chats_run_alongside(
    limit: int,
) -> None:
    processor = PerChatUpdateProcessor(limit)
    chats = (101, 102, 103)
    updates = [message_update(i, chats[i % 3]) for i in range(30)]
    started: dict[int, list[int]] = {chat: [] for chat in chats}
    running: dict[int, int] = dict.fromkeys(chats, 0)
    at_once = 0

    async def handle(update: Update) -> None:
        nonlocal at_once
        chat = update.effective_chat
        assert chat is not None
        assert running[chat.id] == 0, "two updates of one chat at once"
        running[chat.id] += 1
        started[chat.id].append(update.update_id)
        at_once = max(at_once, sum(running.values()))
        await asyncio.sleep(random.uniform(0, 0.01))
        running[chat.id] -= 1

    # as python-telegram-bot does: one task per update, started in the order they came
    tasks = [asyncio.create_task(processor.process_update(u, handle(u))) for u in updates]
    await asyncio.gather(*tasks)
    for chat in chats:
        ids = [u.update_id for u in updates if u.effective_chat and u.effective_chat.id == chat]
        assert started[chat] == ids
    assert at_once > 1  # different chats did run at once
    assert processor.chats_in_progress == 0  # nothing kept once a chat is done


# Many chats at once, one overall limit ---------------------------------------------------------


async def test_messages_waiting_for_the_overall_limit_go_in_turn_replies_first() -> None:
    limiter = PriorityRateLimiter(RateLimits(overall_rate=100, overall_burst=1, chat_rate=1000))
    sent: list[str] = []

    async def call(name: str) -> bool:
        sent.append(name)
        return True

    async def send(name: str, chat: int, background: bool = False) -> None:
        await limiter.process_request(
            callback=call,
            args=(name,),
            kwargs={},
            endpoint="sendMessage",
            data={"chat_id": chat},
            rate_limit_args=BACKGROUND if background else None,
        )

    pushes = [asyncio.create_task(send(f"push{i}", 1000 + i, background=True)) for i in range(10)]
    await asyncio.sleep(0.001)
    replies = [asyncio.create_task(send(f"reply{i}", i)) for i in range(40)]
    await asyncio.gather(*pushes, *replies)
    in_order = [name for name in sent if name.startswith("reply")]
    assert in_order == [f"reply{i}" for i in range(40)]  # first come, first served
    # once replies wait, the outbox's sends wait until the last reply has gone
    assert all(name.startswith("push") for name in sent[sent.index("reply39") + 1 :])
    assert len(sent[sent.index("reply39") + 1 :]) >= 8


# Presses ---------------------------------------------------------------------------------------


async def offer(tg: Bot, user: TgUser, *choices: Choice) -> dict[str, Any]:
    """The bot sends `user` a message with buttons; returns it as the user sees it."""
    await user.send("xin chào")
    await user.read_one()
    assert tg.app.telegram is not None
    await tg.app.telegram.send(str(user.user_id), Reply("Chọn một", rows(*choices)))
    return await user.read_one()


async def test_while_replies_queue_for_the_limit_a_press_gets_its_reply_and_no_mark(
    tg: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crowd pressing at once: the "Đã chọn" edit counts like a message against Telegram's
    30 a second, so it is left out while replies are queuing; the reply itself still comes."""
    an = tg.user()
    offered = await offer(tg, an, Choice("Có", "x:yes"))
    channel = tg.app.telegram
    assert channel is not None

    async def handled(inbound: Inbound) -> list[Reply]:
        return [Reply("Đã nhận")]

    monkeypatch.setattr(channel, "_handle", handled)
    channel._limiter.pacer.pause(0.3)  # Telegram asked us to wait: replies queue meanwhile
    await an.press("Có")
    assert (await an.read_one())["text"] == "Đã nhận"
    [pressed] = [m for m in await an.history() if m["message_id"] == offered["message_id"]]
    assert buttons(pressed) == ["Có"] and "Đã chọn" not in pressed["text"]


def test_the_pacer_is_crowded_while_a_reply_waits_or_a_pause_is_on() -> None:
    pacer = PriorityRateLimiter(RateLimits()).pacer
    assert not pacer.crowded
    pacer.pause(30)
    assert pacer.crowded


async def calls(tg: Bot) -> dict[str, int]:
    stats = (await tg.http.get(f"{tg.control}/stats")).json()
    result: dict[str, int] = stats["calls"]
    return result


async def test_a_press_is_answered_and_marked_even_when_handling_it_fails(
    tg: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    an = tg.user()
    offered = await offer(tg, an, Choice("Có", "x:yes"))
    assert tg.app.telegram is not None

    async def broken(inbound: Inbound) -> list[Reply]:
        await asyncio.sleep(0.05)
        raise RuntimeError("the handler broke")

    monkeypatch.setattr(tg.app.telegram, "_handle", broken)
    pressed = await an.press("Có")
    error = await an.read_one()
    assert error["text"] == tg.app.services.texts("common.error")
    [marked] = [m for m in await an.history() if m["message_id"] == offered["message_id"]]
    assert "Đã chọn: Có" in marked["text"] and not buttons(marked)
    answers = (await tg.http.get(f"{tg.control}/users/{an.user_id}/callback_answers")).json()
    assert pressed["callback_query_id"] in str(answers)


async def test_a_pressed_message_without_buttons_is_not_edited_again(tg: Bot) -> None:
    an = tg.user()
    offered = await offer(tg, an, Choice("Có", "x:yes"))
    await an.press("Có")
    await an.read_one()
    assert edits_of(await calls(tg)) == 1
    # The same press again, on the message as it now stands (no buttons): it is answered (here
    # refused: the query is unknown) and handled, but the message is not edited a second time.
    chat = {"id": an.user_id, "type": "private", "first_name": "An"}
    sender = {"id": an.user_id, "is_bot": False, "first_name": "An"}
    message = {"message_id": offered["message_id"], "date": 0, "chat": chat, "text": "Chọn một"}
    query = {"id": "1", "from": sender, "chat_instance": "1", "data": "x:yes", "message": message}
    assert tg.app.telegram is not None
    before = await calls(tg)
    await tg.app.telegram.feed({"update_id": 10**9, "callback_query": query})
    await an.read_one()
    after = await calls(tg)
    assert edits_of(after) == edits_of(before)
    assert after.get("answerCallbackQuery", 0) == before.get("answerCallbackQuery", 0) + 1


def edits_of(calls: dict[str, int]) -> int:
    return sum(n for method, n in calls.items() if method.startswith("edit"))


# Files go up as multipart/form-data -----------------------------------------------------------


async def test_a_document_and_a_photo_are_uploaded_with_their_captions(
    tg: Bot, tmp_path: Path
) -> None:
    an = tg.user()
    await an.send("xin chào")
    await an.read_one()
    document = tmp_path / "bao-cao.pdf"
    document.write_bytes(b"%PDF-1.4 minimal")
    photo = tmp_path / "bieu-do.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(photo)
    reply = Reply(
        document=OutFile(document, "Báo cáo quý.pdf", caption="<b>Báo cáo</b> &amp; số liệu"),
        photo=OutFile(photo, "bieu-do.png", caption="Biểu đồ"),
    )
    assert tg.app.telegram is not None
    await tg.app.telegram.send(str(an.user_id), reply)
    sent_document, sent_photo = await an.read(2)
    assert sent_document["kind"] == "document"
    assert sent_document["document"]["file_name"] == "Báo cáo quý.pdf"
    assert sent_document["document"]["file_size"] == document.stat().st_size
    assert sent_document["text"] == "Báo cáo & số liệu"
    assert sent_photo["kind"] == "photo" and sent_photo["text"] == "Biểu đồ"


# AiohttpRequest on its own --------------------------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """An HTTP server that echoes what it was sent, sleeps or fails, as the path asks."""

    async def echo(request: web.Request) -> web.Response:
        form = await request.post()
        fields: dict[str, Any] = {}
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                fields[name] = {"filename": value.filename, "size": len(content)}
            else:
                fields[name] = value
        agent = request.headers.get("User-Agent", "")
        result = {"fields": fields, "type": request.content_type, "agent": agent}
        body = {"ok": True, "result": result}
        return web.json_response(body)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    async def refuse(request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        return web.json_response(body, status=400)

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    app.router.add_post("/refuse", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def data(**parameters: Any) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in parameters.items()])


async def test_parameters_are_form_encoded_as_python_telegram_bot_prepares_them(
    server: str,
) -> None:
    async with AiohttpRequest() as request:
        markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "x:yes"}]]}
        answer = await request.post(
            f"{server}/echo", data(chat_id=7, text="Chào <b>An</b>", reply_markup=markup)
        )
    assert isinstance(answer, dict)
    assert answer["type"] == "application/x-www-form-urlencoded"
    fields = answer["fields"]
    assert fields["chat_id"] == "7" and fields["text"] == "Chào <b>An</b>"
    assert json.loads(fields["reply_markup"]) == markup
    assert answer["agent"].startswith("python-telegram-bot")


async def test_files_go_as_multipart_form_data(server: str) -> None:
    upload = InputFile(b"%PDF-1.4 minimal", filename="Báo cáo.pdf")
    async with AiohttpRequest() as request:
        answer = await request.post(
            f"{server}/echo", data(chat_id=7, caption="Tệp", document=upload)
        )
    assert isinstance(answer, dict)
    assert answer["type"] == "multipart/form-data"
    assert answer["fields"]["chat_id"] == "7" and answer["fields"]["caption"] == "Tệp"
    [attached] = [v for v in answer["fields"].values() if isinstance(v, dict)]
    assert attached == {"filename": "Báo cáo.pdf", "size": 16}


async def test_errors_are_python_telegram_bots(server: str) -> None:
    async with AiohttpRequest(read_timeout=0.2) as request:
        with pytest.raises(BadRequest, match="Chat not found"):
            await request.post(f"{server}/refuse", data(chat_id=7))
        with pytest.raises(TimedOut):
            await request.post(f"{server}/slow", data(chat_id=7))
        with pytest.raises(TimedOut):  # a timeout given per call wins over the default
            await request.post(f"{server}/slow", data(chat_id=7), read_timeout=0.1)
    closed = server.rsplit(":", 1)[0] + ":9"  # the discard port: nobody listens there
    async with AiohttpRequest(connect_timeout=1) as request:
        with pytest.raises(NetworkError):
            await request.post(f"{closed}/echo", data(chat_id=7))


async def test_a_request_must_be_initialized_and_can_be_again_after_shutdown(server: str) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{server}/echo", "POST")
    await request.initialize()
    await request.shutdown()
    await request.initialize()
    code, body = await request.do_request(f"{server}/echo", "POST")
    await request.shutdown()
    assert code == 200 and json.loads(body)["ok"] is True
    with pytest.raises(ValueError, match="connection_pool_size"):
        AiohttpRequest(connection_pool_size=0)
