"""Registration over real HTTP: the python-telegram-bot Application against the emulator."""

from __future__ import annotations

from datetime import timedelta

from bot.domain import Role
from tests.conftest import make_invite
from tests.e2e.conftest import Bot
from tests.e2e.harness import buttons


async def test_secretary_registers_by_deep_link_and_gets_a_role_menu(tg: Bot) -> None:
    code = await make_invite(tg.app.services, "CBVP")
    an = tg.user("Nguyễn Văn An")
    await an.send(f"/start {code}")  # what Telegram sends when the deep link is opened
    confirm = await an.read_one()
    assert "Chi bộ Văn phòng" in confirm["text"] and buttons(confirm) == ["Xác nhận", "Hủy"]
    await an.press("Xác nhận")
    ask = await an.read_one()
    assert "họ và tên" in ask["text"]
    [pressed] = [m for m in await an.history() if m["message_id"] == confirm["message_id"]]
    assert pressed["buttons"] in (None, []) and "Đã chọn: Xác nhận" in pressed["text"]
    await an.press("Dùng tên: Nguyễn Văn An")
    done = await an.read_one()
    assert "Đăng ký thành công" in done["text"]
    member = await tg.app.services.repos.members.by_identity("telegram", str(an.user_id))
    assert member is not None and member.role is Role.SECRETARY
    commands = (await tg.http.get(f"{tg.control}/commands")).json()
    assert "viec" in str(commands) and str(an.user_id) in str(commands)


async def test_every_callback_query_is_answered(tg: Bot) -> None:
    code = await make_invite(tg.app.services, "CBVP")
    an = tg.user()
    await an.send(f"/start {code}")
    await an.read_one()
    pressed = await an.press("Hủy")
    await an.read_one()
    answers = (await tg.http.get(f"{tg.control}/users/{an.user_id}/callback_answers")).json()
    assert pressed["callback_query_id"] in str(answers)


async def test_used_expired_revoked_and_unknown_codes_are_refused(tg: Bot) -> None:
    services = tg.app.services
    code = await make_invite(services, "CBVP")
    an, binh = tg.user("An"), tg.user("Bình")
    await an.send(f"/start {code}")
    await an.read_one()
    await an.press("Xác nhận")
    await an.read_one()
    await an.send("Nguyễn Văn An")
    await an.read_one()
    await binh.send(f"/start {code}")
    assert "đã được sử dụng" in (await binh.read_one())["text"]

    expiring = await make_invite(services, "CBBAO", days=1)
    tg.clock.advance(timedelta(days=2))
    await binh.send(f"/start {expiring}")
    assert "hết hạn" in (await binh.read_one())["text"]

    revoked = await make_invite(services, "CBBAO")
    await services.repos.invites.revoke(revoked, tg.clock.now())
    await binh.send(f"/start {revoked}")
    assert "thu hồi" in (await binh.read_one())["text"]

    await binh.send("/start khong-co-ma-nay")
    assert "không đúng" in (await binh.read_one())["text"]


async def test_an_unregistered_person_is_told_how_to_get_an_invite(tg: Bot) -> None:
    stranger = tg.user("Người lạ")
    await stranger.send("Xin chào")
    assert "chưa đăng ký" in (await stranger.read_one())["text"]
    await stranger.send("/start")
    assert "mã mời" in (await stranger.read_one())["text"]


async def test_restart_in_the_middle_of_registration_resumes_it(tg: Bot) -> None:
    code = await make_invite(tg.app.services, "CBVP")
    an = tg.user("An")
    await an.send(f"/start {code}")
    await an.read_one()
    await an.press("Xác nhận")
    await an.read_one()
    await tg.restart()
    await an.send("Lê Văn Cường")
    assert "Đăng ký thành công" in (await an.read_one())["text"]


async def test_the_same_update_delivered_twice_is_handled_once(tg: Bot) -> None:
    code = await make_invite(tg.app.services, "CBVP")
    an = tg.user("An")
    sent = await an.send(f"/start {code}")
    await an.read_one()
    resp = await tg.http.post(
        f"{tg.control}/updates/redeliver", json={"update_id": sent["update_id"]}
    )
    assert resp.status_code < 400
    # a marker message proves the redelivered update was processed before it
    await an.send("/help")  # while registering: "it waits for you to confirm", then the question
    [waiting, question] = await an.read(2)
    assert "chờ đồng chí xác nhận" in waiting["text"]  # no second confirmation came first
    assert "Đồng chí xác nhận đăng ký?" in question["text"]


async def test_a_name_with_html_characters_and_emoji_is_echoed_back(tg: Bot) -> None:
    code = await make_invite(tg.app.services, "CBVP")
    an = tg.user("An")
    await an.send(f"/start {code}")
    await an.read_one()
    await an.press("Xác nhận")
    await an.read_one()
    await an.send("<Tom> & Jerry 😀")
    done = await an.read_one()
    assert "<Tom> & Jerry 😀" in done["text"]


async def test_default_menu_is_set_for_all_private_chats(tg: Bot) -> None:
    commands = (await tg.http.get(f"{tg.control}/commands")).json()
    assert "all_private_chats" in str(commands) and "start" in str(commands)
