"""Zalo end to end: the real app, polling the Zalo emulator over HTTP (mounted beside the Telegram
emulator on one port and one World), driven by scripted Zalo users. No buttons: choices come as a
numbered list and are answered by number or by words, with or without diacritics.

The last part tests the adapter's pieces alone (parsing, splitting, the HTTP client's error
mapping, signed links)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from PIL import Image

from bot.app import App
from bot.channels.zalo import (
    ZaloApiError,
    ZaloClient,
    render,
    shown_choices,
    split_plain,
    to_inbound,
    unwrap,
    update_id,
    utf16_len,
)
from bot.chat import ChannelName, Choice, DeliveryError, OutFile, Reply
from bot.clock import FrozenClock
from bot.deliveries import recipient
from bot.domain import DeadlineState, Member
from bot.public_files import PublicFiles, add_routes
from bot.publishing import publish
from bot.sandbox.emulator_thread import EmulatorThread
from bot.sandbox.zalo_emulator import wire_id
from bot.settings import Settings
from handlers import link
from messages import Texts
from storage.choices import ShownChoices, match
from tests.conftest import START, VN, make_invite
from tests.e2e.conftest import Bot, bot_settings, new_app
from tests.e2e.harness import ScriptedUser, TgUser, new_token, new_user_id
from tests.planning import draft, task


@pytest.fixture(scope="module")
def zemu() -> Iterator[EmulatorThread]:
    with EmulatorThread(zalo=True) as emu:
        yield emu


@dataclass
class ZaloUser(ScriptedUser):
    """A person in Zalo, scripted through the emulator's control API."""

    name: str = "Trần Thị Bình"

    @property
    def zalo_id(self) -> str:
        return wire_id(self.user_id)

    async def send(self, text: str) -> dict[str, Any]:
        return await self._post("messages", text=text, display_name=self.name)

    async def send_photo(self, content: bytes, caption: str = "") -> dict[str, Any]:
        encoded = base64.b64encode(content).decode()
        return await self._post("photo", content_base64=encoded, caption=caption)

    async def send_unsupported(self) -> dict[str, Any]:
        return await self._post("unsupported")


@dataclass
class Both(Bot):
    """The app with its Telegram and Zalo channels against the emulators (one port, one World)."""

    zalo_token: str = ""

    @property
    def zcontrol(self) -> str:
        return f"{self.emulator.base_url}/_control/zalo/{self.zalo_token}"

    def zalo(self, name: str = "Trần Thị Bình", user_id: int | None = None) -> ZaloUser:
        return ZaloUser(self.http, self.zcontrol, user_id or new_user_id(), name)

    def tg(self, name: str = "Trần Thị Bình", user_id: int | None = None) -> TgUser:
        return self.user(name, user_id)

    async def restart(self, settings: Settings | None = None) -> None:
        await self.app.stop()
        self.settings = settings or self.settings
        self.app = await start_app(self.settings, self.clock)

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = (await self.http.get(f"{self.zcontrol}/stats")).json()
        return result

    async def settle(self) -> None:
        self.app.sender.wake()
        await asyncio.wait_for(self.app.sender.idle(), 10)


async def start_app(settings: Settings, clock: FrozenClock, *, seed: bool = False) -> App:
    app = await new_app(settings, clock, seed=seed)
    app.router.command(link.COMMAND, link.command, public=True)  # handlers/routes.py's line
    await app.start(schedule=False)
    return app


@pytest.fixture
async def both(zemu: EmulatorThread, tmp_path: Path) -> AsyncIterator[Both]:
    tg_token, zalo_token = new_token(), new_token()
    settings = bot_settings(
        zemu, tg_token, tmp_path, zalo_token=zalo_token, zalo_api_url=zemu.zalo_api_url
    )
    clock = FrozenClock(VN, START)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        for control in (f"/_control/bots/{tg_token}", f"/_control/zalo/{zalo_token}"):
            resp = await http.post(f"{zemu.base_url}{control}/limits", json={"enabled": False})
            assert resp.status_code == 200, resp.text
        app = await start_app(settings, clock, seed=True)
        bot = Both(app, zemu, tg_token, http, clock, settings, zalo_token)
        try:
            yield bot
        finally:
            await bot.app.stop()


async def registered(both: Both, unit: str = "CBVP", name: str = "Trần Thị Bình") -> ZaloUser:
    """A secretary registered on Zalo by invite, answering by numbers."""
    code = await make_invite(both.app.services, unit)
    person = both.zalo(name)
    await person.send(f"/start {code}")
    await person.read_until("xác nhận")
    await person.send("1")
    await person.read_until("họ và tên")
    await person.send("1")
    await person.read_until("Đăng ký thành công")
    return person


async def member_of(both: Both, person: ZaloUser) -> Member:
    member = await both.app.services.repos.members.by_identity("zalo", person.zalo_id)
    assert member is not None
    return member


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


# --------------------------------------------------------------------------- registration


async def test_secretary_registers_on_zalo_by_invite_answering_with_numbers(both: Both) -> None:
    code = await make_invite(both.app.services, "CBVP")
    binh = both.zalo("Trần Thị Bình")
    await binh.send(f"/start {code}")
    confirm = await binh.read_one()
    assert "Chi bộ Văn phòng" in confirm["text"]
    assert "1. Xác nhận\n2. Hủy" in confirm["text"] and "<b>" not in confirm["text"]
    await binh.send("1")
    ask = await binh.read_one()
    assert "họ và tên" in ask["text"] and "1. Dùng tên: Trần Thị Bình" in ask["text"]
    await binh.send("1")
    done = await binh.read_one()
    assert "Đăng ký thành công" in done["text"] and "Trần Thị Bình" in done["text"]
    member = await member_of(both, binh)
    [identity] = await both.app.services.repos.members.identities(member.id)
    assert identity.channel == "zalo" and identity.chat_id == binh.zalo_id


async def test_a_wrong_number_is_answered_with_the_list_again_and_words_work(both: Both) -> None:
    code = await make_invite(both.app.services, "CBVP")
    binh = both.zalo()
    await binh.send(f"/start {code}")
    await binh.read_one()
    await binh.send("5")
    wrong = await binh.read_one()
    assert "Không có lựa chọn số đó" in wrong["text"] and "từ 1 đến 2" in wrong["text"]
    assert "1. Xác nhận" in wrong["text"]
    await binh.send("xac nhan")  # the words, without diacritics
    assert "họ và tên" in (await binh.read_one())["text"]
    await binh.send("Trần Thị Bình")  # a typed name is a name, not a choice
    assert "Đăng ký thành công" in (await binh.read_one())["text"]


async def test_choices_shown_before_a_restart_are_still_understood_after_it(both: Both) -> None:
    code = await make_invite(both.app.services, "CBVP")
    binh = both.zalo()
    await binh.send(f"/start {code}")
    await binh.read_one()
    await both.restart()
    await binh.send("1")
    assert "họ và tên" in (await binh.read_one())["text"]


async def test_an_invite_opened_on_zalo_and_the_unregistered_are_told_what_to_do(
    both: Both,
) -> None:
    stranger = both.zalo("Người lạ")
    await stranger.send("Xin chào")
    assert "chưa đăng ký" in (await stranger.read_one())["text"]
    await stranger.send("2")  # no list was shown: a number is just text
    assert "chưa đăng ký" in (await stranger.read_one())["text"]
    await stranger.send_sticker()
    assert "chưa đăng ký" in (await stranger.read_one())["text"]


# --------------------------------------------------------------------------- forms


async def test_progress_report_in_words_without_diacritics_with_a_photo_kept_by_sha256(
    both: Both,
) -> None:
    binh = await registered(both)
    services = both.app.services
    await publish(services, await draft(services, task("II.2", "Trang trí", due=date(2024, 5, 10))))
    await binh.read_until("Kế hoạch số")
    await binh.send("/baocao II.2")
    question = await binh.read_until("mức nào")
    assert "3. Hoàn thành" in question["text"]
    await binh.send("hoan thanh")
    note = await binh.read_until("Ghi chú")
    assert "«Bỏ qua»" in note["text"] and "1. Bỏ qua" not in note["text"]
    await binh.send_sticker()  # a sticker where text was asked
    assert "cần gõ chữ" in (await binh.read_one())["text"]
    await binh.read_until("Ghi chú")  # and the question again
    await binh.send("Đã treo cờ ở cả ba tòa nhà")
    await binh.read_until("minh chứng")
    photo = jpeg(11)
    await binh.send_photo(photo)
    assert "Đã nhận 1 tệp" in (await binh.read_one())["text"]
    more = await binh.read_until("Xong")
    assert "1. ✅ Xong" in more["text"]
    await binh.send("1")
    summary = await binh.read_until("Gửi báo cáo")
    assert "Hoàn thành" in summary["text"] and "Đã treo cờ" in summary["text"]
    await binh.send("gui bao cao")
    receipt = await binh.read_until("Đã nhận báo cáo")
    assert receipt
    member = await member_of(both, binh)
    [view] = await services.repos.deadlines.for_unit(member.unit_id, open_only=False)
    assert view.deadline.state is DeadlineState.DONE
    answer = await services.repos.answers.for_deadline(view.deadline.id)
    assert answer is not None and answer.data["values"]["state"] == "done"
    [kept] = await services.repos.answers.attachments(answer.data["values"]["evidence"])
    assert kept.kind == "photo" and kept.sha256 == hashlib.sha256(photo).hexdigest()
    assert (Path(both.settings.data_dir) / kept.path).read_bytes() == photo


async def test_a_nomination_over_zalo_with_numbers_and_words(both: Both) -> None:
    binh = await registered(both)
    services = both.app.services
    nomination = task("II.6", "Đề nghị khen thưởng", due=date(2024, 4, 20), form="nomination")
    await publish(services, await draft(services, nomination))
    await binh.read_until("Kế hoạch số")
    await binh.send("/baocao II.6")
    kinds = await binh.read_until("Đề nghị cho ai")
    assert "2. Cá nhân" in kinds["text"]
    await binh.send("2")
    await binh.read_until("Họ và tên")
    await binh.send("Nguyễn Văn Bình")
    await binh.read_until("Chức vụ")
    await binh.send("Phó Giám đốc")
    await binh.read_until("Đơn vị công tác")
    await binh.send("Sở Tài chính")
    await binh.read_until("thành tích")
    await binh.send_unsupported()  # Zalo may hide a message's content
    await binh.read_until("thành tích")
    await binh.send("Hoàn thành xuất sắc nhiệm vụ 5 năm liền")
    await binh.read_until("Hình thức")
    await binh.send("Giấy khen của Đảng ủy Khối")
    more = await binh.read_until("Đã nhập 1")
    assert "Xong, xem lại và gửi" in more["text"]
    await binh.send("xong, xem lai va gui")
    await binh.read_until("Gửi báo cáo")
    await binh.send("1")
    await binh.read_until("Đã nhận báo cáo")
    member = await member_of(both, binh)
    [view] = await services.repos.deadlines.for_unit(member.unit_id, open_only=False)
    answer = await services.repos.answers.for_deadline(view.deadline.id)
    assert answer is not None
    [entry] = answer.data["entries"]
    assert entry["kind"] == "individual" and entry["name"] == "Nguyễn Văn Bình"
    assert entry["achievements"] == "Hoàn thành xuất sắc nhiệm vụ 5 năm liền"


# --------------------------------------------------------------------------- the platform


async def test_empty_polls_answered_408_do_not_stop_the_adapter(both: Both) -> None:
    await both.http.delete(f"{both.zcontrol}/stats")
    await asyncio.sleep(2.6)  # poll timeout 1 s: two or three empty polls
    stats = await both.stats()
    assert stats["errors_by_method"]["getUpdates"]["408"] >= 2
    assert set(stats["errors_by_method"]["getUpdates"]) == {"408"}
    person = both.zalo()
    await person.send("/help")
    assert "mã mời" in (await person.read_one())["text"]


async def test_429_is_honoured_for_replies_and_handed_to_the_outbox_for_deliveries(
    both: Both,
) -> None:
    binh = await registered(both)
    fault = {"method": "sendMessage", "status": 429, "retry_after": 1}
    await both.http.post(f"{both.zcontrol}/faults", json=fault)
    began = time.monotonic()
    await binh.send("/help")
    assert (await binh.read_one())["text"]
    assert time.monotonic() - began >= 0.9  # it waited as Zalo asked, then sent
    stats = await both.stats()
    assert stats["errors_by_method"]["sendMessage"] == {"429": 1}
    await both.http.post(f"{both.zcontrol}/faults", json=fault)
    assert both.app.zalo is not None
    with pytest.raises(DeliveryError) as refused:
        await both.app.zalo.deliver(binh.zalo_id, Reply(text="Nhắc việc"))
    assert not refused.value.permanent and refused.value.retry_after == 1


async def test_a_person_who_blocked_the_bot_is_marked_unreachable(both: Both) -> None:
    binh = await registered(both)
    await binh.block()
    assert both.app.zalo is not None
    with pytest.raises(DeliveryError) as refused:
        await both.app.zalo.deliver(binh.zalo_id, Reply(text="Nhắc việc"))
    assert refused.value.permanent and "blocked" in refused.value.reason
    member = await member_of(both, binh)
    [identity] = await both.app.services.repos.members.identities(member.id)
    assert not identity.reachable


async def test_long_texts_are_split_under_2000_characters(both: Both) -> None:
    binh = await registered(both)
    assert both.app.zalo is not None
    text = "\n".join(f"Dòng {i}: đơn vị đã báo cáo đầy đủ 😀" for i in range(200))
    await both.app.zalo.send(binh.zalo_id, Reply(text=text))
    parts = await binh.read(2)
    assert all(utf16_len(p["text"]) <= 2000 for p in parts)
    got = "\n".join(p["text"] for p in parts)
    while got.count("\n") < text.count("\n"):
        got += "\n" + "\n".join(p["text"] for p in await binh.read(1))
    assert got == text


async def test_files_are_links_with_a_public_url_and_otherwise_a_pointer_to_telegram(
    both: Both,
) -> None:
    binh = await registered(both)
    export = Path(both.settings.data_dir) / "exports" / "bao-cao.xlsx"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_bytes(b"PK\x03\x04 an xlsx")
    assert both.app.zalo is not None
    await both.app.zalo.send(binh.zalo_id, Reply(document=OutFile(export, "bao-cao.xlsx")))
    told = await binh.read_one()
    assert "bao-cao.xlsx" in told["text"] and "Telegram" in told["text"]

    server = web.Application()
    files = PublicFiles("http://127.0.0.1", Path(both.settings.data_dir))
    add_routes(server, files)
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    public = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        await both.restart(both.settings.model_copy(update={"public_url": public}))
        assert both.app.zalo is not None
        await both.app.zalo.send(binh.zalo_id, Reply(document=OutFile(export, "bao-cao.xlsx")))
        linked = await binh.read_one()
        [url] = re.findall(r"http://\S+", linked["text"])
        assert url.startswith(f"{public}/files/")
        got = await both.http.get(url)
        assert got.status_code == 200 and got.content == export.read_bytes()
        assert "bao-cao.xlsx" in got.headers["Content-Disposition"]
        chart = Path(both.settings.data_dir) / "charts" / "plan.png"
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(jpeg(3))
        await both.app.zalo.send(binh.zalo_id, Reply(photo=OutFile(chart, "plan.png")))
        photo = await binh.read_one()
        assert photo["kind"] == "photo" and photo["photo_url"].startswith(f"{public}/files/")
        assert (await both.http.get(photo["photo_url"])).content == chart.read_bytes()
        tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
        assert (await both.http.get(tampered)).status_code == 404
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- two channels


async def test_a_member_linked_on_both_channels_gets_one_copy_on_the_channel_used_last(
    both: Both,
) -> None:
    services = both.app.services
    code = await make_invite(services, "CBVP")
    person_id = new_user_id()  # one person with both apps
    on_tg = both.tg("Trần Thị Bình", person_id)
    on_zalo = both.zalo("Trần Thị Bình", person_id)
    await on_tg.send(f"/start {code}")
    await on_tg.read_one()
    await on_tg.press("Xác nhận")
    await on_tg.read_one()
    await on_tg.press("Dùng tên: Trần Thị Bình")
    await on_tg.read_one()
    await on_zalo.send(f"/start {code}")  # the invite was used: Zalo is linked instead
    assert "đã được sử dụng" in (await on_zalo.read_one())["text"]
    await on_tg.send("/lienket")
    [link_code] = re.findall(r"/lienket ([A-Z0-9]{6})", (await on_tg.read_one())["text"])
    await on_zalo.send(f"/lienket {link_code.lower()}")
    assert "Đã liên kết Zalo" in (await on_zalo.read_one())["text"]
    assert "liên kết thêm với Zalo" in (await on_tg.read_one())["text"]
    both.clock.advance(timedelta(minutes=1))  # "used last" is told apart by the clock
    await on_zalo.send(f"/lienket {link_code}")  # once only
    assert "đã liên kết" not in (await on_zalo.read_one())["text"].lower()
    member = await services.repos.members.by_identity("zalo", on_zalo.zalo_id)
    same = await services.repos.members.by_identity("telegram", str(person_id))
    assert member is not None and same is not None and member.id == same.id

    # Zalo was used last: the plan's push goes there, once
    due = date(2024, 3, 8)  # the 7-days-before reminder falls today
    await publish(services, await draft(services, task("II.2", "Trang trí", due=due)))
    await both.settle()
    assert any("Kế hoạch số" in m["text"] for m in await on_zalo.history())
    assert not any("Kế hoạch số" in m["text"] for m in await on_tg.history())

    # then Telegram: the reminder goes there, once
    both.clock.advance(timedelta(minutes=1))
    await on_tg.send("/help")
    await on_tg.read_one()
    chosen = await recipient(services, member)
    assert chosen is not None and chosen.channel == "telegram"
    zalo_before = len(await on_zalo.history())
    tg_before = len(await on_tg.history())
    assert await both.app.reminders.tick() >= 1
    await both.settle()
    assert len(await on_tg.history()) == tg_before + 1
    assert len(await on_zalo.history()) == zalo_before

    # Telegram, used last, is blocked: what follows goes to Zalo, which still reaches her
    await services.repos.members.mark_unreachable("telegram", str(person_id), "blocked")
    chosen = await recipient(services, member)
    assert chosen is not None and chosen.channel == "zalo"


async def test_link_codes_are_refused_when_wrong_expired_or_from_the_same_channel(
    both: Both,
) -> None:
    binh = await registered(both)
    await binh.send("/lienket")
    [code] = re.findall(r"/lienket ([A-Z0-9]{6})", (await binh.read_one())["text"])
    await binh.send(f"/lienket {code}")
    assert "kênh còn lại" in (await binh.read_one())["text"]
    stranger = both.tg("Người khác")
    await stranger.send("/lienket ZZZZZZ")
    assert "không đúng" in (await stranger.read_one())["text"]
    both.clock.advance(timedelta(minutes=16))
    await stranger.send(f"/lienket {code}")
    assert "hết hạn" in (await stranger.read_one())["text"]
    await stranger.send("/lienket")
    assert "/start" in (await stranger.read_one())["text"]


# --------------------------------------------------------------------------- the pieces


def test_updates_wrapped_or_flat_with_or_without_event_name_give_the_same_inbound() -> None:
    message = {
        "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": False},
        "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
        "text": "/start abc123",
        "message_id": "2d758cb5e222177a4e35",
        "date": 1750316131602,
    }
    flat = {"event_name": "message.text.received", "message": message}
    wrapped = {"ok": True, "result": flat}
    bare = {"message": message}
    inbounds = [to_inbound(u) for u in (unwrap(flat), unwrap(wrapped), unwrap(bare)) if u]
    assert len(inbounds) == 3 and len(set(inbounds)) == 1
    inbound = inbounds[0]
    assert inbound is not None and inbound.channel is ChannelName.ZALO
    assert (inbound.command, inbound.args, inbound.user_id) == (
        "start",
        "abc123",
        "6ede9afa66b88fe6d6a9",
    )
    assert inbound.update_id == update_id(message) and inbound.update_id > 0
    group = {**message, "chat": {"id": "x", "chat_type": "GROUP"}}
    assert to_inbound({"message": group}) is None
    photo = to_inbound({"message": {**message, "text": None, "photo_url": "https://cdn/x.jpg"}})
    assert photo is not None and photo.attachment is not None
    assert (photo.attachment.kind, photo.attachment.file_id) == ("photo", "https://cdn/x.jpg")
    legacy = to_inbound(
        {
            "event_name": "message.image.received",
            "message": {**message, "photo": "https://cdn/y.jpg"},
        }
    )
    assert legacy is not None and legacy.attachment is not None
    assert legacy.attachment.file_id == "https://cdn/y.jpg"
    sticker = to_inbound(
        {"event_name": "message.sticker.received", "message": {**message, "sticker": "abc"}}
    )
    assert sticker is not None and sticker.attachment is not None
    assert sticker.attachment.kind == "sticker"
    assert unwrap({"ok": True, "result": None}) is None and unwrap([1]) is None


def test_typed_answers_pick_choices_by_number_or_words_without_diacritics() -> None:
    shown = ShownChoices(
        (
            ("Chưa triển khai", "f:not_started"),
            ("Đang thực hiện", "f:in_progress"),
            ("Hoàn thành", "f:done"),
            ("📤 Gửi báo cáo", "f:-send"),
            ("Dùng tên: Nguyễn Văn An", "reg:keep"),
        )
    )
    assert match(shown, "3").value == "f:done"
    assert match(shown, " 2. ").value == "f:in_progress"
    assert match(shown, "HOAN THANH").value == "f:done"
    assert match(shown, "hoàn  thành").value == "f:done"
    assert match(shown, "gui bao cao").value == "f:-send"
    assert match(shown, "dung ten").value == "reg:keep"
    assert match(shown, "9").wrong_number and match(shown, "0").wrong_number
    assert match(shown, "2024").value is None and not match(shown, "2024").wrong_number
    assert match(shown, "hoàn thành tốt").value is None
    typed = ShownChoices((("Bỏ qua", "f:-skip"),), numbered=False)
    assert match(typed, "1").value is None and not match(typed, "1").wrong_number
    assert match(typed, "bo qua").value == "f:-skip"


def test_rendering_lists_choices_and_leaves_typed_questions_unnumbered() -> None:
    texts = Texts("vi", VN)
    question = Reply(
        text="<b>Việc này</b> &amp; việc kia?",
        choices=((Choice("Hoàn thành", "f:done"),), (Choice("Bỏ qua", "f:-skip"),)),
    )
    shown = render(texts, question)
    assert shown.startswith("Việc này & việc kia?") and "1. Hoàn thành\n2. Bỏ qua" in shown
    note = Reply(
        text="Ghi chú", choices=((Choice("Bỏ qua", "f:-skip"),),), metadata={"answer": "typed"}
    )
    assert shown_choices(note) == ShownChoices((("Bỏ qua", "f:-skip"),), numbered=False)
    assert "«Bỏ qua»" in render(texts, note) and "1." not in render(texts, note)
    flagged = Reply(text="?", choices=((Choice("X", "a:b"),),), metadata={"answer": "typed"})
    shown_flagged = shown_choices(flagged)
    assert shown_flagged is not None and not shown_flagged.numbered


def test_split_plain_counts_utf16_and_never_sends_an_empty_part() -> None:
    assert split_plain("xin chào") == ["xin chào"]
    assert split_plain("\n\n") == []
    emoji = "😀" * 1500  # 3,000 UTF-16 units on one line
    parts = split_plain(emoji)
    assert all(utf16_len(p) <= 2000 for p in parts) and "".join(parts) == emoji
    words = " ".join(["báo cáo"] * 800)
    parts = split_plain(words, 100)
    assert all(utf16_len(p) <= 100 for p in parts) and " ".join(parts) == words


async def test_the_client_maps_408_429_403_in_the_body_or_the_status() -> None:
    answers: list[httpx.Response] = [
        httpx.Response(
            200, json={"ok": False, "error_code": 408, "description": "Request timeout"}
        ),
        httpx.Response(
            408, json={"ok": False, "error_code": 408, "description": "Request timeout"}
        ),
        httpx.Response(
            429,
            json={
                "ok": False,
                "error_code": 429,
                "description": "Too Many",
                "parameters": {"retry_after": 3},
            },
        ),
        httpx.Response(429, headers={"Retry-After": "2"}, text="slow down"),
        httpx.Response(403, json={"ok": False, "error_code": 403, "description": "Forbidden"}),
        httpx.Response(200, json={"ok": True, "result": {"message_id": "a", "date": 1}}),
        httpx.Response(200, json={"ok": True}),
    ]
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[len(seen) - 1]

    client = ZaloClient(
        "http://zalo.test/bot", "123:abcdefghijk", transport=httpx.MockTransport(reply)
    )
    codes = []
    for _ in range(5):
        with pytest.raises(ZaloApiError) as error:
            await client.call("getUpdates", {"timeout": "30"})
        codes.append((error.value.code, error.value.retry_after))
    assert codes == [(408, None), (408, None), (429, 3.0), (429, 2.0), (403, None)]
    assert await client.call("sendMessage", {"chat_id": "x", "text": "y"}) == {
        "message_id": "a",
        "date": 1,
    }
    assert await client.call("sendChatAction", {"chat_id": "x", "action": "typing"}) is None
    assert str(seen[0].url) == "http://zalo.test/bot123:abcdefghijk/getUpdates"
    assert json.loads(seen[0].content) == {"timeout": "30"}
    await client.close()


def test_public_links_are_signed_expire_and_stay_inside_data_dir(tmp_path: Path) -> None:
    now = [1_000_000.0]
    files = PublicFiles(
        "https://dondoc.example.vn/", tmp_path, clock=lambda: now[0], ttl=timedelta(hours=2)
    )
    inside = tmp_path / "exports" / "a.xlsx"
    inside.parent.mkdir()
    inside.write_bytes(b"x")
    url = files.link(inside, "Báo cáo.xlsx")
    token = url.rsplit("/", 1)[1]
    assert url.startswith("https://dondoc.example.vn/files/")
    assert files.open(token) == (inside.resolve(), "Báo cáo.xlsx")
    assert files.open(token[:-2] + "xx") is None
    assert files.open("nonsense") is None
    with pytest.raises(ValueError):
        files.link(tmp_path.parent / "elsewhere.txt", "x")
    again = PublicFiles("https://dondoc.example.vn", tmp_path, clock=lambda: now[0])
    assert again.open(token) is not None  # the key is kept in DATA_DIR
    now[0] += 2 * 3600
    assert files.open(token) is None
