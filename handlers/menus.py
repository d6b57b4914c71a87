"""Command menus per role (Telegram shows them as the "/" menu of each chat; /help lists the same
commands with the same words, messages/vi/menu.j2).

A role's menu holds every command the router lets that role use (handlers/routes.py), except
/start once registered, and /tieptuc for leaders, who have no form or flow to resume;
tests/test_menus.py keeps the two in step."""

from __future__ import annotations

from bot.chat import MenuCommand
from bot.domain import Role
from handlers.context import Context

_STAFF = (
    "duyet",
    "tinhhinh",
    "chuabaocao",
    "thongbao",
    "xuatbaocao",
    "kehoach",
    "tieptuc",
    "lienket",
    "help",
    "huy",
)
_UNIT = ("viec", "baocao", "tieptuc", "lienket", "help", "huy")

# Which commands each role sees in its menu, in order.
MENUS: dict[Role | None, tuple[str, ...]] = {
    None: ("start", "help"),
    Role.SECRETARY: _UNIT,
    Role.DEPUTY: _UNIT,
    Role.OFFICE: _STAFF,
    Role.LEADER: ("tinhhinh", "chuabaocao", "bantintuan", "lienket", "help", "huy"),
    Role.ADMIN: _STAFF,
}

# Commands a role may type that its menu leaves out (see above).
HIDDEN: dict[Role | None, frozenset[str]] = {
    role: frozenset({"start", "tieptuc"} if role is Role.LEADER else {"start"}) for role in Role
}


def menu_for(ctx: Context, role: Role | None) -> tuple[MenuCommand, ...]:
    return tuple(MenuCommand(name, ctx.t(f"menu.{name}")) for name in MENUS[role])
