"""Each role's "/" menu and its /help hold exactly the commands the role may use, with the same
words: the office finds /xuatbaocao, a leader /bantintuan, a secretary /viec and /baocao."""

from __future__ import annotations

import pytest

from bot.domain import Role
from bot.services import Services
from handlers.menus import HIDDEN, MENUS
from handlers.routes import build_router
from messages import plain
from tests.chatkit import Person
from tests.conftest import make_invite
from tests.planning import member

UNIT_OF = {
    Role.SECRETARY: "CBVP",
    Role.DEPUTY: "CBVP",
    Role.OFFICE: "VP",
    Role.LEADER: "DUK",
    Role.ADMIN: "VP",
}


async def test_the_office_finds_xuatbaocao_in_its_menu_and_in_help(org: Services) -> None:
    code = await make_invite(org, "VP", Role.OFFICE)
    ha = Person(build_router(org), "61", name="Trần Thu Hà")
    await ha.says(f"/start {code}")
    await ha.presses("Xác nhận")
    [done, *_] = await ha.presses("Dùng tên: Trần Thu Hà")
    assert done.menu is not None
    menu = [m.command for m in done.menu]
    assert "xuatbaocao" in menu and "duyet" in menu and "viec" not in menu
    [help_] = await ha.says("/help")
    assert "/xuatbaocao: Xuất báo cáo (Excel, Word, CSV)" in plain(help_.text)
    assert "/viec" not in help_.text


@pytest.mark.parametrize("role", list(Role))
async def test_help_lists_the_menu_of_the_role_one_line_each(org: Services, role: Role) -> None:
    await member(org, UNIT_OF[role], "70", "Lê Văn Bình", role)
    [help_] = await Person(build_router(org), "70").says("/help")
    lines = [ln for ln in plain(help_.text).splitlines() if ln.startswith("/")]
    assert [ln.partition(":")[0] for ln in lines] == [f"/{c}" for c in MENUS[role]]
    assert all(
        ln.partition(": ")[2] == org.texts.label(f"menu.{ln[1:].partition(':')[0]}") for ln in lines
    )


@pytest.mark.parametrize("role", list(Role))
async def test_a_roles_menu_has_what_it_may_use_and_nothing_it_may_not(
    org: Services, role: Role
) -> None:
    await member(org, UNIT_OF[role], "80", "Lê Văn Bình", role)
    router = build_router(org)
    refusals = {
        org.texts(key)
        for key in ("common.not_allowed", "tasks.not_for_role", "report.not_for_role")
    }
    allowed = set()
    for name in router.commands_for(None) + router.commands_for(role) + ["bantintuan", "viec"]:
        person = Person(router, "80")
        replies = await person.says(f"/{name}")
        if not any(r.text in refusals for r in replies):
            allowed.add(name)
        await person.says("/huy")
    assert set(MENUS[role]) == allowed - HIDDEN[role]
    assert set(MENUS[role]) | HIDDEN[role] == set(router.commands_for(role))


async def test_office_staff_typing_viec_are_shown_where_to_look(org: Services) -> None:
    await member(org, "VP", "90", "Trần Thu Hà", Role.OFFICE)
    [answer] = await Person(build_router(org), "90").says("/viec")
    assert "/tinhhinh" in answer.text and "sắp có" not in answer.text
