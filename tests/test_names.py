"""A name has letters: "12345" or "🙂🙂🙂" is asked again, at registration and wherever a form
asks a name (a nominee's, a contact's); Vietnamese names ("Lò Văn Pao") go through as typed."""

from __future__ import annotations

from datetime import date

import pytest

from bot.publishing import publish
from bot.services import Services
from bot.vntext import is_name
from handlers.routes import build_router
from tests.chatkit import Person
from tests.conftest import make_invite
from tests.planning import draft, member, task


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Lò Văn Pao", True),
        ("Nguyễn Thị Mai", True),
        ("Đặng Ưu", True),
        ("Chi bộ 3", True),
        ("12345", False),
        ("🙂🙂🙂", False),
        ("0912 345 678", False),
        ("...", False),
        ("A", False),
        ("A.", False),
        ("An", True),
        ("", False),
    ],
)
def test_a_name_is_text_with_letters(text: str, ok: bool) -> None:
    assert is_name(text) is ok


async def test_a_name_without_letters_is_asked_again_politely(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    pao = Person(build_router(org), "601", name="Lò Văn Pao")
    await pao.says(f"/start {code}")
    await pao.presses("Xác nhận")
    for typed in ("12345", "🙂🙂🙂"):
        [answer] = await pao.says(typed)
        assert "cần có chữ cái" in answer.text and "Chào" not in answer.text
    assert await org.repos.members.by_identity("telegram", "601") is None
    [done] = await pao.says("Lò Văn Pao")
    assert "Chào đồng chí <b>Lò Văn Pao</b>" in done.text


async def test_a_display_name_without_letters_is_not_offered(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    someone = Person(build_router(org), "602", name="🙂🙂🙂")
    await someone.says(f"/start {code}")
    [ask] = await someone.presses("Xác nhận")
    assert "họ và tên" in ask.text and ask.choices == ()
    [done] = await someone.says("Nguyễn Thị Mai")
    assert "Nguyễn Thị Mai" in done.text


async def test_a_nominees_name_needs_letters(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    nomination = task("II.6", "Đề nghị khen thưởng", due=date(2024, 4, 20), form="nomination")
    await publish(org, await draft(org, nomination))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.6")
    await an.presses("Cá nhân")
    [why, again] = await an.says("12345")
    assert "cần có chữ cái" in why.text and "Họ và tên" in again.text
    [position] = await an.says("Nguyễn Thị Mai")
    assert "Chức vụ" in position.text


async def test_a_contacts_name_comes_before_the_phone_number(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    team = task("II.5", "Đăng ký đội bóng", due=date(2024, 5, 3), form="registration")
    await publish(org, await draft(org, team))
    an = Person(build_router(org), "1")
    await an.says("/baocao II.5")
    await an.says("Đội Văn phòng")
    await an.says("8")
    [why, again] = await an.says("0912 345 678")
    assert "họ tên bằng chữ" in why.text and "Người liên hệ" in again.text
    [summary] = await an.says("Lò Văn Pao, 0912 345 678")
    assert "Lò Văn Pao, 0912 345 678" in summary.text
