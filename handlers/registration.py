"""Registration by invite: /start <code> -> confirm the unit and role -> give a name -> registered.

Choices carry values "reg:ok", "reg:cancel", "reg:keep"; anything else at a step is answered
politely and the step is asked again. A command other than /start and /huy meanwhile is held
(`waiting`): the registration is said to be waiting and its question asked again."""

from __future__ import annotations

from datetime import datetime

from bot.chat import Reply, rows
from bot.domain import Invite
from bot.publishing import welcome
from bot.vntext import is_name
from handlers.context import Context
from handlers.menus import menu_for

FLOW = "registration"
NAME_MAX = 100


async def start(ctx: Context) -> None:
    """/start, /start <code>, or a deep link t.me/<bot>?start=<code>."""
    code = ctx.inbound.args.strip()
    if ctx.member is not None:
        unit = await ctx.repos.units.get(ctx.member.unit_id)
        ctx.say(
            "registration.already",
            name=ctx.member.full_name,
            role=ctx.t(f"roles.{ctx.member.role.value}"),
            unit=unit.name if unit else "",
        )
        return
    if not code and ctx.state.flow == FLOW:  # /start alone while registering: go on with it
        await resume(ctx)
        return
    if not code:
        ctx.say("registration.no_code")
        return
    invite = await ctx.repos.invites.by_code(code)
    problem = "unknown" if invite is None else invite.problem(ctx.now)
    if invite is None or problem is not None:
        ctx.end()
        ctx.say(f"registration.code_{problem}")
        return
    await _ask_confirm(ctx, invite)


async def _ask_confirm(ctx: Context, invite: Invite) -> None:
    unit = await ctx.repos.units.get(invite.unit_id)
    parent = await ctx.repos.units.get(unit.parent_id) if unit and unit.parent_id else None
    ctx.go(FLOW, "confirm", invite_id=invite.id)
    ctx.say(
        "registration.confirm",
        role=ctx.t(f"roles.{invite.role.value}"),
        unit=unit.name if unit else "",
        parent=parent.name if parent else "",
        choices=rows(
            ctx.button("registration.button_ok", "reg:ok"),
            ctx.button("registration.button_cancel", "reg:cancel"),
            per_row=2,
        ),
    )


async def step(ctx: Context) -> None:
    if ctx.state.step == "confirm":
        await _on_confirm(ctx)
    elif ctx.state.step == "name":
        await _on_name(ctx)
    else:
        ctx.end()


async def _current_invite(ctx: Context) -> Invite | None:
    """The invite of this registration, if it can still be used; says why not otherwise."""
    data = ctx.state.data or {}
    invite_id = data.get("invite_id")
    invite = await ctx.repos.invites.get(int(invite_id)) if isinstance(invite_id, int) else None
    problem = "unknown" if invite is None else invite.problem(ctx.now)
    if invite is None or problem is not None:
        ctx.end()
        ctx.say(f"registration.code_{problem}")
        return None
    return invite


async def _on_confirm(ctx: Context) -> None:
    choice = ctx.inbound.choice
    if choice == "reg:cancel":
        ctx.end()
        ctx.say("registration.cancelled")
        return
    if choice != "reg:ok":
        ctx.say("registration.press_a_button")
        return
    if await _current_invite(ctx) is None:
        return
    suggested = ctx.inbound.display_name.strip()[:NAME_MAX]
    if not is_name(suggested):  # a display name of digits or emoji is not offered
        suggested = ""
    ctx.go(FLOW, "name", suggested=suggested)
    _ask_name(ctx, suggested)


def _ask_name(ctx: Context, suggested: str) -> None:
    choices = (
        rows(ctx.button("registration.button_keep_name", "reg:keep", name=suggested))
        if suggested
        else ()
    )
    ctx.say("registration.ask_name", choices=choices)


async def _on_name(ctx: Context) -> None:
    data = ctx.state.data or {}
    if ctx.inbound.choice == "reg:keep":
        name = str(data.get("suggested", "")).strip()
    elif ctx.inbound.choice is not None:
        ctx.say("registration.type_name")
        return
    elif ctx.inbound.text is None:
        ctx.say("registration.name_not_text")
        return
    else:
        name = " ".join(ctx.inbound.text.split())
    if not name:
        ctx.say("registration.type_name")
        return
    if len(name) > NAME_MAX:
        ctx.say("registration.name_too_long", limit=NAME_MAX, length=len(name))
        return
    if not is_name(name):
        ctx.say("registration.name_needs_letters")
        return
    invite = await _current_invite(ctx)
    if invite is None:
        return
    await _register(ctx, invite, name, ctx.now)


async def _register(ctx: Context, invite: Invite, name: str, now: datetime) -> None:
    repos = ctx.repos
    if not await repos.invites.use(invite.id):
        ctx.end()
        ctx.say("registration.code_used")
        return
    member = await repos.members.create(
        unit_id=invite.unit_id, role=invite.role, full_name=name, invite_id=invite.id, now=now
    )
    inbound = ctx.inbound
    await repos.members.add_identity(
        member.id,
        channel=inbound.channel.value,
        external_id=inbound.user_id,
        chat_id=inbound.chat_id,
        display_name=inbound.display_name,
        now=now,
    )
    unit = await repos.units.get(invite.unit_id)
    ctx.end()
    ctx.member = member
    if await welcome(ctx.services, member):
        ctx.services.notifier.queued()
    ctx.reply(
        Reply(
            text=ctx.t(
                "registration.done",
                name=name,
                role=ctx.t(f"roles.{invite.role.value}"),
                unit=unit.name if unit else "",
                help=ctx.t(f"help.{invite.role.value}"),
            ),
            menu=menu_for(ctx, invite.role),
        )
    )


async def resume(ctx: Context) -> None:
    """Say the current question of the registration again."""
    invite = await _current_invite(ctx)
    if invite is None:
        return
    await _ask_again(ctx, invite)


async def _ask_again(ctx: Context, invite: Invite) -> None:
    if ctx.state.step == "name":
        _ask_name(ctx, str((ctx.state.data or {}).get("suggested") or ""))
    else:
        await _ask_confirm(ctx, invite)


async def waiting(ctx: Context) -> None:
    """A command (but /start and /huy) while registering: nothing else works before it. The
    person is told the registration is waiting, and asked its question again."""
    invite = await _current_invite(ctx)
    if invite is None:
        return
    ctx.say("registration.waiting", step=ctx.state.step or "confirm")
    await _ask_again(ctx, invite)
