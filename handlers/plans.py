"""/kehoach (office): the plans, and publishing a draft from chat after a confirmation."""

from __future__ import annotations

from bot.chat import rows
from bot.domain import PlanStatus, Role
from bot.publishing import PublishError, audience_units, publish
from handlers.context import Context

FLOW = "publish"
STAFF = (Role.OFFICE, Role.ADMIN)


async def list_plans(ctx: Context) -> None:
    plans = await ctx.repos.plans.all()
    if not plans:
        ctx.say("plans.no_plans")
        return
    counts = {p.id: len(await ctx.repos.plans.tasks(p.id)) for p in plans}
    drafts = [p for p in plans if p.status is PlanStatus.DRAFT]
    ctx.say(
        "plans.listing",
        plans=plans,
        counts=counts,
        choices=rows(
            *(ctx.button("plans.button_publish", f"pub:{p.id}", number=p.number) for p in drafts)
        ),
    )


async def ask_publish(ctx: Context) -> None:
    """A "pub:<plan id>" button: show what publishing will do, and ask to confirm."""
    raw = (ctx.inbound.choice or "").partition(":")[2]
    plan = await ctx.repos.plans.get(int(raw)) if raw.isdigit() else None
    if ctx.member is None or ctx.member.role not in STAFF:
        ctx.say("common.not_allowed")
        return
    if plan is None or plan.status is not PlanStatus.DRAFT:
        ctx.say("plans.not_a_draft")
        return
    tasks = await ctx.repos.plans.tasks(plan.id)
    units: set[int] = set()
    for task in tasks:
        units |= {u.id for u in await audience_units(ctx.services, task)}
    ctx.go(FLOW, "confirm", plan_id=plan.id)
    ctx.say(
        "plans.confirm_publish",
        plan=plan,
        tasks=len(tasks),
        units=len(units),
        choices=rows(
            ctx.button("plans.button_confirm", "pubok"),
            ctx.button("plans.button_cancel", "pubno"),
            per_row=2,
        ),
    )


async def step(ctx: Context) -> None:
    choice = ctx.inbound.choice
    if choice == "pubno":
        ctx.end()
        ctx.say("plans.publish_cancelled")
        return
    if choice != "pubok":
        ctx.say("plans.press_confirm")
        return
    data = ctx.state.data or {}
    plan_id = data.get("plan_id")
    plan = await ctx.repos.plans.get(plan_id) if isinstance(plan_id, int) else None
    ctx.end()
    if plan is None:
        ctx.say("plans.not_a_draft")
        return
    try:
        summary = await publish(ctx.services, plan, by=ctx.member.id if ctx.member else None)
    except PublishError as exc:
        ctx.say(f"publish.{exc.reason}")
        return
    ctx.say("plans.published", plan=plan, summary=summary)


async def resume(ctx: Context) -> None:
    ctx.say(
        "plans.press_confirm",
        choices=rows(
            ctx.button("plans.button_confirm", "pubok"),
            ctx.button("plans.button_cancel", "pubno"),
            per_row=2,
        ),
    )
