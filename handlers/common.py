"""Small steps every person meets: /help, /huy, an unregistered writer, idle chatter."""

from __future__ import annotations

from handlers.context import Context
from handlers.menus import MENUS


async def help_(ctx: Context) -> None:
    """What the role is for, and its commands: those of its menu, with the menu's words."""
    if ctx.member is None:
        ctx.say("help.unregistered")
        return
    role = ctx.member.role
    commands = [(name, ctx.label(f"menu.{name}")) for name in MENUS[role]]
    ctx.say(f"help.{role.value}", commands=commands)


async def cancel(ctx: Context) -> None:
    if ctx.state.idle:
        ctx.say("common.nothing_to_cancel")
        return
    ctx.end()
    ctx.say("common.cancelled")


async def unregistered(ctx: Context) -> None:
    if ctx.inbound.choice is not None:
        ctx.say("common.stale_button")
        return
    ctx.say("registration.not_registered")


async def idle(ctx: Context) -> None:
    if ctx.inbound.choice is not None:
        ctx.say("common.stale_button")
        return
    ctx.say("common.idle")
