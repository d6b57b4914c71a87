"""The Telegram Bot API emulator, exercised over real HTTP as a bot and its users would."""

from __future__ import annotations

import asyncio
import base64
import io
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import telegram
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.sandbox.emulator_thread import EmulatorThread
from bot.sandbox.telegram_emulator import TelegramEmulator

USER = 7_000_001
OTHER_USER = 7_000_002


class FakeClock:
    """A monotonic clock that only moves when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def new_token() -> str:
    bot_id = 1_000_000_000 + secrets.randbelow(8_000_000_000)
    return f"{bot_id}:{secrets.token_urlsafe(26)}"


class Sandbox:
    """One fresh bot on a running emulator: its Bot API calls and its users' side."""

    def __init__(self, http: httpx.AsyncClient, token: str | None = None) -> None:
        self.http = http
        self.token = token or new_token()
        self.bot_id = int(self.token.split(":")[0])

    # the bot's side

    async def call(self, method: str, **params: Any) -> httpx.Response:
        return await self.http.post(f"/bot{self.token}/{method}", json=params)

    async def ok(self, method: str, **params: Any) -> Any:
        response = await self.call(method, **params)
        body = response.json()
        assert response.status_code == 200, body
        assert body["ok"] is True
        return body["result"]

    async def fails(self, status: int, method: str, **params: Any) -> str:
        """Call a method that must fail with ``status``; returns the description."""
        response = await self.call(method, **params)
        body = response.json()
        assert response.status_code == status, body
        assert body["ok"] is False
        assert body["error_code"] == status
        return str(body["description"])

    async def send(self, text: str, chat_id: int = USER, **params: Any) -> Any:
        return await self.ok("sendMessage", chat_id=chat_id, text=text, **params)

    async def updates(self, **params: Any) -> list[dict[str, Any]]:
        return list(await self.ok("getUpdates", **params))

    # the users' side

    async def control(self, verb: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(verb, f"/_control/bots/{self.token}/{path}", **kwargs)

    async def user_says(self, text: str, user_id: int = USER, **profile: Any) -> dict[str, Any]:
        response = await self.control(
            "POST", f"users/{user_id}/messages", json={"text": text, **profile}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def press(self, label: str, user_id: int = USER, **extra: Any) -> httpx.Response:
        return await self.control("POST", f"users/{user_id}/press", json={"label": label, **extra})

    async def block(self, blocked: bool = True, user_id: int = USER) -> None:
        response = await self.control("POST", f"users/{user_id}/block", json={"blocked": blocked})
        assert response.status_code == 200, response.text

    async def seen_by(self, user_id: int = USER, **query: Any) -> list[dict[str, Any]]:
        response = await self.control("GET", f"users/{user_id}/messages", params=query)
        assert response.status_code == 200, response.text
        return list(response.json()["messages"])

    async def set_limits(self, **limits: Any) -> None:
        response = await self.control("POST", "limits", json=limits)
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as running:
        yield running


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def clocked_emulator(clock: FakeClock) -> Iterator[EmulatorThread]:
    with EmulatorThread(TelegramEmulator(clock=clock)) as running:
        yield running


@pytest.fixture
async def sandbox(emulator: EmulatorThread) -> AsyncIterator[Sandbox]:
    async with httpx.AsyncClient(base_url=emulator.base_url, timeout=10) as http:
        yield Sandbox(http)


@pytest.fixture
async def clocked(clocked_emulator: EmulatorThread) -> AsyncIterator[Sandbox]:
    async with httpx.AsyncClient(base_url=clocked_emulator.base_url, timeout=10) as http:
        yield Sandbox(http)


async def started(sandbox: Sandbox, user_id: int = USER) -> None:
    """The user has written to the bot, so the bot may write back."""
    await sandbox.user_says("/start", user_id=user_id)


def png(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- the bot itself


async def test_getMe_describes_the_sandbox_bot_of_the_token(sandbox: Sandbox) -> None:
    me = await sandbox.ok("getMe")
    assert me["id"] == sandbox.bot_id
    assert me["is_bot"] is True
    assert me["first_name"] == "Đôn Đốc Sandbox"
    assert me["username"] == f"dondoc{sandbox.bot_id}_bot"
    assert me["can_join_groups"] is True


async def test_method_names_are_case_insensitive_and_GET_works(sandbox: Sandbox) -> None:
    response = await sandbox.http.get(f"/bot{sandbox.token}/GETME")
    assert response.json()["result"]["id"] == sandbox.bot_id


async def test_a_malformed_token_is_401_unauthorized(sandbox: Sandbox) -> None:
    response = await sandbox.http.post("/botnot-a-token/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_an_unknown_method_is_404_not_found(sandbox: Sandbox) -> None:
    assert await sandbox.fails(404, "sendTelepathy") == "Not Found"


# --------------------------------------------------------------------------- updates


async def test_a_waiting_long_poll_returns_as_soon_as_a_user_writes(sandbox: Sandbox) -> None:
    started_at = time.monotonic()
    poll = asyncio.create_task(sandbox.updates(timeout=20))
    waiting = await sandbox.control("GET", "pollers", params={"min_count": 1, "timeout": 5})
    assert waiting.json() == {"waiting": 1}

    sent = await sandbox.user_says("/start", first_name="Lan", username="lan_vp")
    updates = await poll

    assert time.monotonic() - started_at < 5
    assert [u["update_id"] for u in updates] == [sent["update_id"]]
    message = updates[0]["message"]
    assert message["text"] == "/start"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"]["first_name"] == "Lan"
    assert message["chat"] == {
        "id": USER,
        "first_name": "Lan",
        "username": "lan_vp",
        "type": "private",
    }


async def test_an_offset_confirms_the_updates_before_it(sandbox: Sandbox) -> None:
    first = await sandbox.user_says("một")
    second = await sandbox.user_says("hai")

    assert len(await sandbox.updates()) == 2
    remaining = await sandbox.updates(offset=first["update_id"] + 1)
    assert [u["update_id"] for u in remaining] == [second["update_id"]]
    assert await sandbox.updates(offset=second["update_id"] + 1) == []


async def test_limit_caps_the_number_of_updates_returned(sandbox: Sandbox) -> None:
    for text in ("a", "b", "c"):
        await sandbox.user_says(text)
    updates = await sandbox.updates(limit=2)
    assert [u["message"]["text"] for u in updates] == ["a", "b"]


async def test_a_redelivered_update_comes_again_with_the_same_update_id(sandbox: Sandbox) -> None:
    sent = await sandbox.user_says("Báo cáo tuần")
    first = await sandbox.updates()
    await sandbox.updates(offset=first[-1]["update_id"] + 1)

    response = await sandbox.control(
        "POST", "updates/redeliver", json={"update_id": sent["update_id"]}
    )
    assert response.status_code == 200
    again = await sandbox.updates(offset=first[-1]["update_id"] + 1)

    assert [u["update_id"] for u in again] == [sent["update_id"]]
    assert again[0]["message"] == first[0]["message"]
    assert await sandbox.updates(offset=sent["update_id"] + 1) == []


async def test_getUpdates_is_a_409_conflict_while_a_webhook_is_set(sandbox: Sandbox) -> None:
    assert await sandbox.ok("setWebhook", url="https://example.org/hook") is True
    description = await sandbox.fails(409, "getUpdates")
    assert description == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    info = await sandbox.ok("getWebhookInfo")
    assert info["url"] == "https://example.org/hook"

    await sandbox.user_says("xin chào")
    assert await sandbox.ok("deleteWebhook", drop_pending_updates=True) is True
    assert await sandbox.updates() == []


async def test_a_newer_long_poll_terminates_the_older_one_with_409(sandbox: Sandbox) -> None:
    older = asyncio.create_task(sandbox.call("getUpdates", timeout=20))
    await sandbox.control("GET", "pollers", params={"min_count": 1, "timeout": 5})
    assert await sandbox.updates(timeout=0) == []

    response = await older
    assert response.status_code == 409
    assert "terminated by other getUpdates request" in response.json()["description"]


# --------------------------------------------------------------------------- text and HTML


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>đậm", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>nháy</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("3 < 5", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a</b>", "Unexpected end tag at byte offset 1"),
        ("Tom & Jerry", 'Character "&" at byte offset 4 must be escaped as "&amp;"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_HTML_that_does_not_parse_is_400_cant_parse_entities(
    sandbox: Sandbox, html: str, reason: str
) -> None:
    await started(sandbox)
    await sandbox.set_limits(enabled=False)
    description = await sandbox.fails(
        400, "sendMessage", chat_id=USER, text=html, parse_mode="HTML"
    )
    assert description == f"Bad Request: can't parse entities: {reason}"


async def test_escaped_HTML_and_emoji_parse_to_plain_text(sandbox: Sandbox) -> None:
    await started(sandbox)
    raw = "&lt;b&gt; &amp; 😀 &quot;&#273;&#x1EA1;&quot;"
    message = await sandbox.send(raw, parse_mode="HTML")
    assert message["text"] == '<b> & 😀 "đạ"'
    assert "entities" not in message

    [seen] = await sandbox.seen_by()
    assert seen["text"] == '<b> & 😀 "đạ"'
    assert seen["html"] == raw
    assert seen["parse_mode"] == "HTML"


async def test_HTML_tags_become_entities_counted_in_UTF16(sandbox: Sandbox) -> None:
    await started(sandbox)
    html = (
        '😀 <b>Chào</b> <a href="https://dangbo.vn/?a=1&b=2">xem</a> '
        '<pre><code class="language-python">x</code></pre>'
    )
    message = await sandbox.send(html, parse_mode="HTML")
    assert message["text"] == "😀 Chào xem x"
    assert message["entities"] == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 3, "url": "https://dangbo.vn/?a=1&b=2"},
        {"type": "pre", "offset": 12, "length": 1, "language": "python"},
    ]


async def test_4096_UTF16_units_pass_and_4097_are_too_long(sandbox: Sandbox) -> None:
    await started(sandbox)
    await sandbox.set_limits(enabled=False)
    too_long = "Bad Request: message is too long"

    assert (await sandbox.send("a" * 4096))["text"] == "a" * 4096
    assert await sandbox.fails(400, "sendMessage", chat_id=USER, text="a" * 4097) == too_long
    # An emoji outside the BMP counts twice, as in UTF-16.
    await sandbox.send("😀" + "a" * 4094)
    assert await sandbox.fails(400, "sendMessage", chat_id=USER, text="😀" + "a" * 4095) == (
        too_long
    )
    # The limit applies after entity parsing: tags do not count.
    await sandbox.send("<b>" + "a" * 4096 + "</b>", parse_mode="HTML")


async def test_empty_or_blank_text_is_400_message_text_is_empty(sandbox: Sandbox) -> None:
    await started(sandbox)
    empty = "Bad Request: message text is empty"
    assert await sandbox.fails(400, "sendMessage", chat_id=USER, text="  \n ") == empty
    assert await sandbox.fails(400, "sendMessage", chat_id=USER) == empty
    assert (
        await sandbox.fails(400, "sendMessage", chat_id=USER, text="<b> </b>", parse_mode="HTML")
        == empty
    )


async def test_form_encoded_parameters_and_JSON_strings_are_decoded(sandbox: Sandbox) -> None:
    await started(sandbox)
    keyboard = '{"inline_keyboard": [[{"text": "Đồng ý", "callback_data": "yes"}]]}'
    response = await sandbox.http.post(
        f"/bot{sandbox.token}/sendMessage",
        data={"chat_id": str(USER), "text": "Xác nhận?", "reply_markup": keyboard},
    )
    message = response.json()["result"]
    assert message["chat"]["id"] == USER
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "Đồng ý", "callback_data": "yes"}]]
    }


# --------------------------------------------------------------------------- buttons


def keyboard(*labels_and_data: tuple[str, str]) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": t, "callback_data": d} for t, d in labels_and_data]]}


async def test_callback_data_over_64_bytes_is_400_BUTTON_DATA_INVALID(sandbox: Sandbox) -> None:
    await started(sandbox)
    await sandbox.send("64 bytes fit", reply_markup=keyboard(("OK", "x" * 64)))
    description = await sandbox.fails(
        400, "sendMessage", chat_id=USER, text="Chọn", reply_markup=keyboard(("OK", "x" * 65))
    )
    assert description == "Bad Request: BUTTON_DATA_INVALID"
    # Bytes, not characters: 33 × "đ" is 66 bytes of UTF-8.
    description = await sandbox.fails(
        400, "sendMessage", chat_id=USER, text="Chọn", reply_markup=keyboard(("OK", "đ" * 33))
    )
    assert description == "Bad Request: BUTTON_DATA_INVALID"


async def test_a_button_without_text_or_action_is_rejected(sandbox: Sandbox) -> None:
    await started(sandbox)
    no_text = {"inline_keyboard": [[{"text": "", "callback_data": "x"}]]}
    no_action = {"inline_keyboard": [[{"text": "Nút"}]]}
    text_invalid = await sandbox.fails(
        400, "sendMessage", chat_id=USER, text="?", reply_markup=no_text
    )
    assert text_invalid == "Bad Request: BUTTON_TEXT_INVALID"
    text_only = await sandbox.fails(
        400, "sendMessage", chat_id=USER, text="?", reply_markup=no_action
    )
    assert "Text buttons are not allowed in the inline keyboard" in text_only


async def test_pressing_a_button_by_label_delivers_its_callback_query(sandbox: Sandbox) -> None:
    await started(sandbox)
    old = await sandbox.send("Cũ", reply_markup=keyboard(("Đã xong", "done:old")))
    new = await sandbox.send("Mới", reply_markup=keyboard(("Đã xong", "done:new"), ("Hoãn", "x")))
    baseline = await sandbox.updates()

    pressed = (await sandbox.press("Đã xong")).json()
    assert pressed["message_id"] == new["message_id"]
    older = (await sandbox.press("Đã xong", message_id=old["message_id"])).json()
    assert older["message_id"] == old["message_id"]

    updates = await sandbox.updates(offset=baseline[-1]["update_id"] + 1)
    queries = [u["callback_query"] for u in updates]
    assert [q["data"] for q in queries] == ["done:new", "done:old"]
    assert queries[0]["id"] == pressed["callback_query_id"]
    assert queries[0]["from"]["id"] == USER
    assert queries[0]["message"]["message_id"] == new["message_id"]
    assert queries[0]["chat_instance"]

    assert (await sandbox.press("Không có")).status_code == 404


async def test_a_keyboard_removed_by_editMessageReplyMarkup_can_no_longer_be_pressed(
    sandbox: Sandbox,
) -> None:
    await started(sandbox)
    sent = await sandbox.send("Duyệt kế hoạch?", reply_markup=keyboard(("Duyệt", "approve")))
    edited = await sandbox.ok("editMessageReplyMarkup", chat_id=USER, message_id=sent["message_id"])
    assert "reply_markup" not in edited

    response = await sandbox.press("Duyệt")
    assert response.status_code == 404
    assert "error" in response.json()
    [seen] = await sandbox.seen_by()
    assert seen["buttons"] == []


async def test_a_callback_query_can_be_answered_only_once(sandbox: Sandbox) -> None:
    await started(sandbox)
    await sandbox.send("Xác nhận?", reply_markup=keyboard(("Có", "yes")))
    query_id = (await sandbox.press("Có")).json()["callback_query_id"]

    assert await sandbox.ok("answerCallbackQuery", callback_query_id=query_id, text="Đã ghi")
    description = await sandbox.fails(400, "answerCallbackQuery", callback_query_id=query_id)
    assert description == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    answers = (await sandbox.control("GET", f"users/{USER}/callback_answers")).json()
    assert [(a["id"], a["text"]) for a in answers["answers"]] == [(query_id, "Đã ghi")]


async def test_an_unknown_callback_query_id_is_400(sandbox: Sandbox) -> None:
    description = await sandbox.fails(400, "answerCallbackQuery", callback_query_id="12345")
    assert description.startswith("Bad Request: query is too old")


async def test_a_callback_query_older_than_15_minutes_cannot_be_answered(
    clocked: Sandbox, clock: FakeClock
) -> None:
    await started(clocked)
    await clocked.send("Xác nhận?", reply_markup=keyboard(("Có", "yes")))
    query_id = (await clocked.press("Có")).json()["callback_query_id"]
    clock.advance(15 * 60 + 1)
    description = await clocked.fails(400, "answerCallbackQuery", callback_query_id=query_id)
    assert description.startswith("Bad Request: query is too old")


# --------------------------------------------------------------------------- who may be written to


async def test_a_user_who_blocked_the_bot_gets_403_bot_was_blocked_by_the_user(
    sandbox: Sandbox,
) -> None:
    await started(sandbox)
    await sandbox.block()
    description = await sandbox.fails(403, "sendMessage", chat_id=USER, text="Nhắc việc")
    assert description == "Forbidden: bot was blocked by the user"

    updates = await sandbox.updates()
    member = updates[-1]["my_chat_member"]
    assert member["new_chat_member"]["status"] == "kicked"
    assert member["old_chat_member"]["status"] == "member"

    await sandbox.block(False)
    await sandbox.send("Nhắc việc")


async def test_a_user_who_never_wrote_to_this_bot_gets_403_cant_initiate_conversation(
    sandbox: Sandbox,
) -> None:
    other_bot = Sandbox(sandbox.http)
    await other_bot.user_says("/start", user_id=OTHER_USER)

    description = await sandbox.fails(403, "sendMessage", chat_id=OTHER_USER, text="Chào")
    assert description == "Forbidden: bot can't initiate conversation with a user"


async def test_an_unknown_chat_is_400_chat_not_found(sandbox: Sandbox) -> None:
    description = await sandbox.fails(400, "sendMessage", chat_id=123_456_789_012, text="Chào")
    assert description == "Bad Request: chat not found"
    assert await sandbox.fails(400, "sendMessage", text="Chào") == "Bad Request: chat_id is empty"


# --------------------------------------------------------------------------- edits and deletes


async def test_editing_text_shows_in_the_users_view(sandbox: Sandbox) -> None:
    await started(sandbox)
    sent = await sandbox.send("Bản nháp", reply_markup=keyboard(("Gửi", "send")))
    edited = await sandbox.ok(
        "editMessageText",
        chat_id=USER,
        message_id=sent["message_id"],
        text="<i>Bản cuối</i>",
        parse_mode="HTML",
        reply_markup=keyboard(("Gửi lại", "resend")),
    )
    assert edited["text"] == "Bản cuối"
    assert "edit_date" in edited

    [seen] = await sandbox.seen_by()
    assert seen["edited"] is True
    assert seen["text"] == "Bản cuối"
    assert seen["html"] == "<i>Bản cuối</i>"
    assert seen["buttons"] == [[{"text": "Gửi lại", "callback_data": "resend"}]]


async def next_change(sandbox: Sandbox) -> tuple[int, asyncio.Task[httpx.Response]]:
    """The revision of USER's chat now, and a reader waiting for its next change."""
    log = (await sandbox.control("GET", f"users/{USER}/messages")).json()
    params = {"after_revision": log["revision"], "timeout": 10}
    reader = sandbox.control("GET", f"users/{USER}/messages", params=params)
    return log["revision"], asyncio.create_task(reader)


async def test_a_reader_can_wait_for_the_next_change_by_revision(sandbox: Sandbox) -> None:
    await started(sandbox)
    sent = await sandbox.send("Đang xử lý…")
    revision, waiting = await next_change(sandbox)
    await sandbox.ok("editMessageText", chat_id=USER, message_id=sent["message_id"], text="Xong")
    changed = (await waiting).json()
    assert changed["revision"] > revision
    assert [m["text"] for m in changed["messages"]] == ["Xong"]


async def test_a_reader_waits_for_its_own_chat_not_for_anothers(sandbox: Sandbox) -> None:
    await started(sandbox)
    await started(sandbox, user_id=OTHER_USER)
    revision, waiting = await next_change(sandbox)
    await sandbox.send("Cho người khác", chat_id=OTHER_USER)
    await asyncio.sleep(0.2)
    assert not waiting.done()  # another chat's message does not answer this reader
    await sandbox.send("Cho bạn")
    answer = (await waiting).json()
    assert [m["text"] for m in answer["messages"]] == ["Cho bạn"]
    assert answer["revision"] > revision


async def test_edit_and_delete_errors_follow_telegram(sandbox: Sandbox) -> None:
    await started(sandbox)
    sent = await sandbox.send("Giữ nguyên", reply_markup=keyboard(("OK", "ok")))
    same = {"chat_id": USER, "message_id": sent["message_id"], "text": "Giữ nguyên"}

    not_modified = await sandbox.fails(
        400, "editMessageText", **same, reply_markup=keyboard(("OK", "ok"))
    )
    assert not_modified.startswith("Bad Request: message is not modified: specified new message")
    missing = await sandbox.fails(400, "editMessageText", chat_id=USER, message_id=999, text="x")
    assert missing == "Bad Request: message to edit not found"

    assert await sandbox.ok("deleteMessage", chat_id=USER, message_id=sent["message_id"])
    gone = await sandbox.fails(400, "deleteMessage", chat_id=USER, message_id=sent["message_id"])
    assert gone == "Bad Request: message to delete not found"
    [seen] = await sandbox.seen_by()
    assert seen["deleted"] is True


# --------------------------------------------------------------------------- rate limits, faults


async def test_a_burst_of_five_passes_then_429_with_retry_after(
    clocked: Sandbox, clock: FakeClock
) -> None:
    await started(clocked)
    for n in range(5):
        await clocked.send(f"Tin {n}")

    response = await clocked.call("sendMessage", chat_id=USER, text="Tin 6")
    assert response.status_code == 429
    assert response.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    clock.advance(1.0)
    await clocked.send("Tin 6")
    stats = (await clocked.control("GET", "stats")).json()
    assert stats["too_many_requests"] == 1
    assert stats["messages_sent"] == {str(USER): 6}


async def test_the_per_bot_bucket_spans_chats(clocked: Sandbox, clock: FakeClock) -> None:
    await clocked.set_limits(bot_burst=3, bot_rate=0.5)
    for user_id in (USER, OTHER_USER, USER + 10, USER + 11):
        await started(clocked, user_id)
    for user_id in (USER, OTHER_USER, USER + 10):
        await clocked.send("Thông báo", chat_id=user_id)

    response = await clocked.call("sendMessage", chat_id=USER + 11, text="Thông báo")
    assert response.status_code == 429
    assert response.json()["parameters"] == {"retry_after": 2}
    clock.advance(2.0)
    await clocked.send("Thông báo", chat_id=USER + 11)


async def test_an_injected_500_fails_once_then_the_call_succeeds(sandbox: Sandbox) -> None:
    await started(sandbox)
    fault = {"method": "sendMessage", "chat_id": USER, "status": 500, "count": 1}
    assert (await sandbox.control("POST", "faults", json=fault)).status_code == 200

    assert await sandbox.fails(500, "sendMessage", chat_id=USER, text="Lần 1") == (
        "Internal Server Error"
    )
    assert (await sandbox.send("Lần 2"))["text"] == "Lần 2"
    assert [m["text"] for m in await sandbox.seen_by()] == ["Lần 2"]


async def test_an_injected_hang_times_the_client_out_but_the_message_is_sent(
    sandbox: Sandbox,
) -> None:
    await started(sandbox)
    fault = {"method": "sendMessage", "status": "timeout", "delay": 0.3}
    await sandbox.control("POST", "faults", json=fault)

    with pytest.raises(httpx.ReadTimeout):
        await sandbox.http.post(
            f"/bot{sandbox.token}/sendMessage",
            json={"chat_id": USER, "text": "Chậm"},
            timeout=httpx.Timeout(5, read=0.05),
        )
    seen = await sandbox.seen_by(min_count=1, timeout=5)
    assert [m["text"] for m in seen] == ["Chậm"]


async def test_the_messages_reader_waits_for_min_count(sandbox: Sandbox) -> None:
    await started(sandbox)
    reader = asyncio.create_task(sandbox.seen_by(since=0, min_count=2, timeout=10))
    await sandbox.send("một")
    await sandbox.send("hai")
    seen = await reader
    assert [(m["index"], m["text"]) for m in seen] == [(0, "một"), (1, "hai")]
    assert [m["text"] for m in await sandbox.seen_by(since=1)] == ["hai"]


# --------------------------------------------------------------------------- files


async def test_a_multipart_document_downloads_through_getFile_with_the_same_bytes(
    sandbox: Sandbox,
) -> None:
    await started(sandbox)
    content = "Báo cáo quý III\n".encode() * 100
    response = await sandbox.http.post(
        f"/bot{sandbox.token}/sendDocument",
        data={"chat_id": str(USER), "caption": "<b>Báo cáo</b>", "parse_mode": "HTML"},
        files={"document": ("bao-cao.txt", content, "text/plain")},
    )
    message = response.json()["result"]
    document = message["document"]
    assert document["file_name"] == "bao-cao.txt"
    assert document["mime_type"] == "text/plain"
    assert document["file_size"] == len(content)
    assert message["caption"] == "Báo cáo"
    assert message["caption_entities"] == [{"type": "bold", "offset": 0, "length": 7}]

    file = await sandbox.ok("getFile", file_id=document["file_id"])
    download = await sandbox.http.get(f"/file/bot{sandbox.token}/{file['file_path']}")
    assert download.content == content

    [seen] = await sandbox.seen_by()
    assert (await sandbox.http.get(seen["document"]["download"])).content == content


async def test_getFile_refuses_a_file_over_20_MB(sandbox: Sandbox) -> None:
    big = b"\0" * (20 * 1024 * 1024 + 1)
    response = await sandbox.control(
        "POST", f"users/{USER}/document", files={"file": ("scan.pdf", big, "application/pdf")}
    )
    upload = response.json()
    assert await sandbox.fails(400, "getFile", file_id=upload["file_id"]) == (
        "Bad Request: file is too big"
    )
    [update] = await sandbox.updates()
    assert update["message"]["document"]["file_size"] == len(big)


async def test_a_photo_gets_sizes_and_can_be_sent_again_by_file_id(sandbox: Sandbox) -> None:
    await started(sandbox)
    response = await sandbox.http.post(
        f"/bot{sandbox.token}/sendPhoto",
        data={"chat_id": str(USER), "photo": "attach://qr"},
        files={"qr": ("qr.png", png(), "image/png")},
    )
    sizes = response.json()["result"]["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 68), (320, 240), (640, 480)]

    again = await sandbox.ok("sendPhoto", chat_id=USER, photo=sizes[-1]["file_id"], caption="Mã QR")
    assert again["photo"][-1]["file_id"] == sizes[-1]["file_id"]
    long_caption = await sandbox.fails(
        400, "sendPhoto", chat_id=USER, photo=sizes[-1]["file_id"], caption="c" * 1025
    )
    assert long_caption == "Bad Request: message caption is too long"
    other_bot = Sandbox(sandbox.http)
    await started(other_bot)
    foreign = await other_bot.fails(400, "sendPhoto", chat_id=USER, photo=sizes[-1]["file_id"])
    assert foreign == "Bad Request: wrong file identifier/HTTP URL specified"


async def test_users_can_send_photos_stickers_and_documents(sandbox: Sandbox) -> None:
    photo = await sandbox.control(
        "POST", f"users/{USER}/photo", files={"file": ("a.png", png(100, 50), "image/png")}
    )
    assert photo.status_code == 200
    sticker = await sandbox.control("POST", f"users/{USER}/sticker", json={"emoji": "🎉"})
    assert sticker.status_code == 200
    document = await sandbox.control(
        "POST",
        f"users/{USER}/document",
        json={
            "name": "danh-sach.csv",
            "content_base64": base64.b64encode(b"ma,ten\n1,An\n").decode(),
            "caption": "Danh sách",
        },
    )
    assert document.status_code == 200

    updates = await sandbox.updates()
    assert updates[0]["message"]["photo"][-1]["width"] == 100
    assert updates[1]["message"]["sticker"]["emoji"] == "🎉"
    assert "text" not in updates[1]["message"]
    sent_document = updates[2]["message"]
    assert sent_document["document"]["file_name"] == "danh-sach.csv"
    assert sent_document["document"]["mime_type"] == "text/csv"
    assert sent_document["caption"] == "Danh sách"
    file = await sandbox.ok("getFile", file_id=document.json()["file_id"])
    download = await sandbox.http.get(f"/file/bot{sandbox.token}/{file['file_path']}")
    assert download.content == b"ma,ten\n1,An\n"


# --------------------------------------------------------------------------- commands, actions


async def test_setMyCommands_with_a_chat_scope_is_listed_by_scope(sandbox: Sandbox) -> None:
    await started(sandbox)
    everyone = [{"command": "start", "description": "Bắt đầu"}]
    admins = [*everyone, {"command": "giao_viec", "description": "Giao việc cho đơn vị"}]
    assert await sandbox.ok("setMyCommands", commands=everyone)
    scope = {"type": "chat", "chat_id": USER}
    assert await sandbox.ok("setMyCommands", commands=admins, scope=scope)

    assert await sandbox.ok("getMyCommands", scope=scope) == admins
    listed = (await sandbox.control("GET", "commands")).json()["commands"]
    assert {(e["scope"]["type"], len(e["commands"])) for e in listed} == {
        ("default", 1),
        ("chat", 2),
    }
    chat_entry = next(e for e in listed if e["scope"]["type"] == "chat")
    assert chat_entry["scope"]["chat_id"] == USER

    invalid = [{"command": "Giao Viec", "description": "x"}]
    assert await sandbox.fails(400, "setMyCommands", commands=invalid) == (
        "Bad Request: BOT_COMMAND_INVALID"
    )


async def test_chat_actions_are_recorded(sandbox: Sandbox) -> None:
    await started(sandbox)
    assert await sandbox.ok("sendChatAction", chat_id=USER, action="typing")
    assert await sandbox.fails(400, "sendChatAction", chat_id=USER, action="dancing") == (
        "Bad Request: wrong parameter action in request"
    )
    actions = (await sandbox.control("GET", f"users/{USER}/chat_actions")).json()
    assert [a["action"] for a in actions["chat_actions"]] == ["typing"]


async def test_health(sandbox: Sandbox) -> None:
    assert (await sandbox.http.get("/_control/health")).json() == {"ok": True}


# --------------------------------------------------------------------------- the real client


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_python_telegram_bot_is_wire_compatible_with_the_emulator(
    emulator: EmulatorThread, sandbox: Sandbox
) -> None:
    await sandbox.user_says("/start")
    bot = telegram.Bot(sandbox.token, base_url=emulator.api_url, base_file_url=emulator.file_url)
    async with bot:
        assert bot.username == f"dondoc{sandbox.bot_id}_bot"
        [start] = await bot.get_updates(timeout=0)
        assert start.message is not None
        assert start.message.text == "/start"

        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Đã xong", callback_data="done:1")]])
        sent = await bot.send_message(
            USER, "<b>Báo cáo</b> tuần", parse_mode=ParseMode.HTML, reply_markup=markup
        )
        assert sent.text == "Báo cáo tuần"
        assert sent.entities[0].type == "bold"
        assert sent.reply_markup == markup

        await sandbox.press("Đã xong")
        [pressed] = await bot.get_updates(offset=start.update_id + 1, timeout=0)
        assert pressed.callback_query is not None
        assert pressed.callback_query.data == "done:1"
        assert await pressed.callback_query.answer("Đã ghi nhận")

        document = await bot.send_document(USER, document=b"noi dung", filename="bc.txt")
        assert document.document is not None
        file = await bot.get_file(document.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"noi dung"

        with pytest.raises(BadRequest, match="Can't parse entities"):
            await bot.send_message(USER, "<b>thiếu thẻ đóng", parse_mode=ParseMode.HTML)

        await sandbox.control(
            "POST", "faults", json={"method": "sendMessage", "status": 429, "retry_after": 7}
        )
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(USER, "Nhắc việc")
        wait = flood.value.retry_after
        assert (wait if isinstance(wait, int) else wait.total_seconds()) == 7

        await sandbox.block()
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER, "Nhắc việc")
