"""Command menus per role (Telegram shows them as the "/" menu of each chat)."""

from __future__ import annotations

from bot.chat import MenuCommand
from bot.domain import Role
from handlers.context import Context

# Which commands each role sees in its menu, in order. Descriptions live in messages/vi/menu.j2.
MENUS: dict[Role | None, tuple[str, ...]] = {
    None: ("start", "help"),
    Role.SECRETARY: ("viec", "baocao", "tieptuc", "lienket", "help", "huy"),
    Role.DEPUTY: ("viec", "baocao", "tieptuc", "lienket", "help", "huy"),
    Role.OFFICE: (
        "tinhhinh",
        "chuabaocao",
        "duyet",
        "thongbao",
        "kehoach",
        "lienket",
        "help",
        "huy",
    ),
    Role.LEADER: ("tinhhinh", "chuabaocao", "bantintuan", "lienket", "help", "huy"),
    Role.ADMIN: (
        "tinhhinh",
        "chuabaocao",
        "duyet",
        "thongbao",
        "kehoach",
        "lienket",
        "help",
        "huy",
    ),
}


def menu_for(ctx: Context, role: Role | None) -> tuple[MenuCommand, ...]:
    return tuple(MenuCommand(name, ctx.t(f"menu.{name}")) for name in MENUS[role])
