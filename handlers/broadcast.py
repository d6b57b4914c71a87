"""/thongbao (office): write a message, choose who gets it, see how many, confirm, send through the
outbox; the delivery report comes when every message has an outcome."""

from __future__ import annotations

from bot.broadcasting import TEXT_MAX, Audience, AudienceError, recipients, send, split_codes
from bot.chat import Choice, rows
from bot.domain import Role, UnitKind
from handlers.context import Context

FLOW = "broadcast"
STAFF = (Role.OFFICE, Role.ADMIN)


async def command(ctx: Context) -> None:
    ctx.go(FLOW, "text")
    ctx.say("broadcast.ask_text", limit=TEXT_MAX)


def _audience_buttons(ctx: Context) -> tuple[tuple[Choice, ...], ...]:
    return rows(
        ctx.button("broadcast.to_all", "bc:all"),
        ctx.button("broadcast.to_not_answered", "bc:na"),
        ctx.button("broadcast.to_under", "bc:under"),
        ctx.button("broadcast.to_units", "bc:units"),
        ctx.button("broadcast.cancel", "bc:cancel"),
    )


async def step(ctx: Context) -> None:
    choice = ctx.inbound.choice or ""
    if choice == "bc:cancel":
        ctx.end()
        ctx.say("broadcast.cancelled")
        return
    handler = {
        "text": _on_text,
        "audience": _on_audience,
        "task": _on_task,
        "under": _on_under,
        "codes": _on_codes,
        "confirm": _on_confirm,
    }.get(ctx.state.step or "")
    if handler is None:
        ctx.end()
        return
    await handler(ctx)


async def resume(ctx: Context) -> None:
    if ctx.state.step == "text":
        ctx.say("broadcast.ask_text", limit=TEXT_MAX)
    else:
        ctx.go(FLOW, "audience")
        ctx.say("broadcast.ask_audience", choices=_audience_buttons(ctx))


async def _on_text(ctx: Context) -> None:
    text = (ctx.inbound.text or "").strip()
    if ctx.inbound.choice is not None or not text:
        ctx.say("broadcast.need_text")
        return
    if len(text) > TEXT_MAX:
        ctx.say("forms.too_long", length=len(text), limit=TEXT_MAX)
        return
    ctx.go(FLOW, "audience", text=text)
    ctx.say("broadcast.ask_audience", choices=_audience_buttons(ctx))


async def _on_audience(ctx: Context) -> None:
    choice = ctx.inbound.choice
    if choice == "bc:all":
        await _preview(ctx, Audience("all"))
    elif choice == "bc:na":
        buttons = []
        for plan in await ctx.repos.plans.published():
            for task in await ctx.repos.plans.tasks(plan.id):
                label = f"{task.ref}: {task.title}"
                buttons.append((Choice(label, f"bc:task:{task.id}"),))
        if not buttons:
            ctx.say("broadcast.no_tasks")
            return
        ctx.go(FLOW, "task")
        ctx.say("broadcast.ask_task", choices=tuple(buttons[:30]))
    elif choice == "bc:under":
        parents = [
            u
            for u in await ctx.repos.units.all()
            if u.kind in (UnitKind.COMMITTEE, UnitKind.PARTY_COMMITTEE)
        ]
        ctx.go(FLOW, "under")
        ctx.say(
            "broadcast.ask_under",
            choices=tuple((Choice(u.name, f"bc:unit:{u.code}"),) for u in parents[:30]),
        )
    elif choice == "bc:units":
        ctx.go(FLOW, "codes")
        ctx.say("broadcast.ask_codes")
    else:
        ctx.say("broadcast.ask_audience", choices=_audience_buttons(ctx))


async def _on_task(ctx: Context) -> None:
    raw = (ctx.inbound.choice or "").removeprefix("bc:task:")
    if not raw.isdigit():
        ctx.say("forms.press_a_button")
        return
    await _preview(ctx, Audience("not_answered", task_id=int(raw)))


async def _on_under(ctx: Context) -> None:
    code = (ctx.inbound.choice or "").removeprefix("bc:unit:")
    if not ctx.inbound.choice or code == ctx.inbound.choice:
        ctx.say("forms.press_a_button")
        return
    await _preview(ctx, Audience("under", unit_code=code))


async def _on_codes(ctx: Context) -> None:
    codes = split_codes(ctx.inbound.text or "")
    if not codes:
        ctx.say("broadcast.ask_codes")
        return
    await _preview(ctx, Audience("units", codes=codes))


async def _preview(ctx: Context, audience: Audience) -> None:
    try:
        people = await recipients(ctx.services, audience)
    except AudienceError as problem:
        ctx.say_with(f"broadcast.{problem.key}", problem.values)
        return
    data = ctx.state.data or {}
    if not people:
        ctx.go(FLOW, "audience", text=str(data.get("text", "")))
        ctx.say("broadcast.nobody", choices=_audience_buttons(ctx))
        return
    ctx.go(FLOW, "confirm", audience=audience.as_json())
    units = sorted({p.member.unit_id for p in people})
    ctx.say(
        "broadcast.preview",
        text=str(data.get("text", "")),
        people=len(people),
        units=len(units),
        choices=rows(
            ctx.button("broadcast.button_send", "bc:send", people=len(people)),
            ctx.button("broadcast.cancel", "bc:cancel"),
            per_row=2,
        ),
    )


async def _on_confirm(ctx: Context) -> None:
    if ctx.inbound.choice != "bc:send":
        ctx.say("forms.press_a_button")
        return
    data = ctx.state.data or {}
    raw = data.get("audience")
    assert isinstance(raw, dict)
    audience = Audience(
        kind=str(raw["kind"]),
        task_id=raw.get("task_id"),
        unit_code=raw.get("unit_code"),
        codes=tuple(raw.get("codes") or ()),
    )
    ctx.end()
    try:
        broadcast = await send(ctx.services, ctx.member, str(data.get("text", "")), audience)
    except AudienceError as problem:
        ctx.say_with(f"broadcast.{problem.key}", problem.values)
        return
    local = ctx.now.astimezone(ctx.services.clock.tz)
    quiet = ctx.services.quiet
    after = quiet.next_allowed(local) if quiet.quiet(local) else None
    ctx.say("broadcast.sending", people=broadcast.recipients, after=after)
