"""Registration by invite, at the router (no channel): every answer a person can meet."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from bot.domain import Role
from bot.services import Services
from handlers.routes import build_router
from tests.chatkit import Person
from tests.conftest import make_invite


async def test_secretary_registers_with_a_code_and_gets_the_menu(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "501")
    [confirm] = await an.says(f"/start {code}")
    assert "Bí thư" in confirm.text and "Chi bộ Văn phòng" in confirm.text
    await an.presses("Xác nhận")
    assert "họ và tên" in an.last_text()
    [done] = await an.says("Nguyễn Văn An")
    assert "Đăng ký thành công" in done.text and "Nguyễn Văn An" in done.text
    assert done.menu is not None and {m.command for m in done.menu} >= {"help", "huy"}
    member = await org.repos.members.by_identity("telegram", "501")
    assert member is not None and member.role is Role.SECRETARY
    assert member.full_name == "Nguyễn Văn An"


async def test_keep_name_button_uses_the_display_name(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "502", name="Trần Thị Bình")
    await an.says(f"/start {code}")
    await an.presses("Xác nhận")
    await an.presses("Dùng tên: Trần Thị Bình")
    member = await org.repos.members.by_identity("telegram", "502")
    assert member is not None and member.full_name == "Trần Thị Bình"


async def test_a_second_person_with_the_same_code_is_refused(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    router = build_router(org)
    an, binh = Person(router, "503"), Person(router, "504")
    await an.says(f"/start {code}")
    await an.presses("Xác nhận")
    await an.says("An")
    [answer] = await binh.says(f"/start {code}")
    assert "đã được sử dụng" in answer.text
    assert await org.repos.members.by_identity("telegram", "504") is None


async def test_two_people_racing_for_one_code_register_only_the_first(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    router = build_router(org)
    an, binh = Person(router, "505"), Person(router, "506")
    for p in (an, binh):
        await p.says(f"/start {code}")
        await p.presses("Xác nhận")
    await an.says("An")
    [answer] = await binh.says("Bình")
    assert "đã được sử dụng" in answer.text
    assert await org.repos.members.by_identity("telegram", "506") is None


async def test_unknown_expired_and_revoked_codes_say_how_to_get_one(
    org: Services, clock: FrozenClock
) -> None:
    router = build_router(org)
    [unknown] = await Person(router, "510").says("/start khongcoma")
    assert "không đúng" in unknown.text
    expired = await make_invite(org, "CBVP", days=1)
    clock.advance(timedelta(days=2))
    [answer] = await Person(router, "511").says(f"/start {expired}")
    assert "hết hạn" in answer.text
    revoked = await make_invite(org, "CBVP")
    await org.repos.invites.revoke(revoked, clock.now())
    [answer] = await Person(router, "512").says(f"/start {revoked}")
    assert "thu hồi" in answer.text


async def test_invite_expiring_between_confirm_and_name_is_refused(
    org: Services, clock: FrozenClock
) -> None:
    code = await make_invite(org, "CBVP", days=1)
    an = Person(build_router(org), "513")
    await an.says(f"/start {code}")
    await an.presses("Xác nhận")
    clock.advance(timedelta(days=1, minutes=1))
    [answer] = await an.says("An")
    assert "hết hạn" in answer.text
    assert await org.repos.members.by_identity("telegram", "513") is None


async def test_start_without_code_and_unregistered_messages_explain_invites(
    org: Services,
) -> None:
    router = build_router(org)
    [answer] = await Person(router, "520").says("/start")
    assert "mã mời" in answer.text
    [answer] = await Person(router, "521").says("xin chào")
    assert "chưa đăng ký" in answer.text
    [answer] = await Person(router, "522").says("/help")
    assert "mã mời" in answer.text


async def test_restart_in_the_middle_of_registration_resumes_it(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    before = Person(build_router(org), "530")
    await before.says(f"/start {code}")
    await before.presses("Xác nhận")
    after = Person(build_router(org), "530")  # a new router: nothing kept in memory
    [done] = await after.says("Lê Văn Cường")
    assert "Đăng ký thành công" in done.text


async def test_the_same_update_delivered_twice_is_handled_once(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "540")
    first = await an.says(f"/start {code}", update_id=77)
    again = await an.says(f"/start {code}", update_id=77)
    assert len(first) == 1 and again == []


async def test_bad_answers_at_each_step_keep_the_registration_going(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "550")
    await an.says(f"/start {code}")
    [answer] = await an.says("đồng ý")
    assert "chọn <b>Xác nhận</b>" in answer.text
    await an.presses("Xác nhận")
    [answer] = await an.sends_photo()
    assert "bằng chữ" in answer.text
    [answer] = await an.says("A" * 101)
    assert "quá 100 ký tự" in answer.text
    waiting, question = await an.says("/help")  # the registration waits for the name
    assert "thiếu họ và tên" in waiting.text and "họ và tên" in question.text
    [done] = await an.says("Phạm Thị Dung")
    assert "Đăng ký thành công" in done.text


async def test_cancel_in_the_middle_leaves_the_code_usable(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "560")
    await an.says(f"/start {code}")
    [answer] = await an.says("/huy")
    assert "Đã hủy" in answer.text
    invite = await org.repos.invites.by_code(code)
    assert invite is not None and invite.uses == 0


async def test_registered_member_pressing_an_old_button_gets_a_polite_answer(
    org: Services,
) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "570")
    await an.says(f"/start {code}")
    await an.presses("Xác nhận")
    await an.says("An")
    [answer] = await an.presses("Xác nhận")
    assert "không còn dùng được" in answer.text


async def test_user_typed_name_is_escaped_in_the_reply(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "580")
    await an.says(f"/start {code}")
    await an.presses("Xác nhận")
    [done] = await an.says("<b>Tom & Jerry</b> 😀")
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; 😀" in done.text


async def test_a_command_while_confirming_says_the_registration_waits_and_asks_again(
    org: Services,
) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "570")
    await an.says(f"/start {code}")
    waiting, question = await an.says("/viec")
    assert "chờ đồng chí xác nhận" in waiting.text and "chưa đăng ký" not in waiting.text
    assert "Chi bộ Văn phòng" in question.text
    assert [c.label for row in question.choices for c in row] == ["Xác nhận", "Hủy"]
    for command in ("/help", "/tieptuc", "/tinhhinh", "/khongco"):
        replies = await an.says(command)
        assert "chờ đồng chí xác nhận" in replies[0].text, command
        assert "Đồng chí xác nhận đăng ký?" in replies[-1].text, command
    await an.presses("Xác nhận")  # the registration goes on where it was
    waiting, question = await an.says("/baocao")
    assert "họ và tên" in waiting.text and "họ và tên" in question.text
    assert [c.label for row in question.choices for c in row] == ["Dùng tên: Nguyễn Văn An"]
    [done] = await an.says("Nguyễn Văn An")
    assert "Đăng ký thành công" in done.text


async def test_start_and_cancel_still_work_while_registering(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    an = Person(build_router(org), "571")
    await an.says(f"/start {code}")
    [again] = await an.says(f"/start {code}")
    assert "Đồng chí xác nhận đăng ký?" in again.text
    [again] = await an.says("/start")  # Telegram's Start pressed again: the question again
    assert "Đồng chí xác nhận đăng ký?" in again.text
    [cancelled] = await an.says("/huy")
    assert "Đã hủy" in cancelled.text
    [answer] = await an.says("/viec")
    assert "chưa đăng ký" in answer.text
