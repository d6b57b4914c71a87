"""/tinhhinh and /chuabaocao (leaders and office): the plan at a glance with a chart, the units of
one task by state, the late units with their secretaries and a button to remind them now."""

from __future__ import annotations

from pathlib import Path

from bot.chat import OutFile, Reply
from bot.deliveries import queue, unit_recipients
from bot.domain import Plan, Role
from bot.status import (
    STATES,
    OverdueUnit,
    TaskStatus,
    chart,
    late_units,
    plan_status,
    summarize,
    task_units,
)
from handlers.context import Context, Job

VIEWERS = (Role.OFFICE, Role.LEADER, Role.ADMIN)
MAX_LATE_UNITS = 40  # units /chuabaocao lists; the rest are counted


async def _plans(ctx: Context) -> list[Plan]:
    return await ctx.repos.plans.published()


async def overview(ctx: Context) -> None:
    """/tinhhinh [ref]."""
    plans = await _plans(ctx)
    if not plans:
        ctx.say("status.no_plans")
        return
    wanted = ctx.inbound.args.strip().lower()
    today = ctx.now.date()
    if wanted:
        for plan in plans:
            for task in await ctx.repos.plans.tasks(plan.id):
                if task.ref.lower() == wanted:
                    units = await task_units(ctx.services, task, today)
                    ctx.say(
                        "status.task",
                        plan=plan,
                        task=task,
                        grouped=units.grouped,
                        states=STATES,
                        period=units.period,
                        behind=units.behind,
                    )
                    return
        ctx.say("status.unknown_task", ref=ctx.inbound.args.strip())
        return
    labels = {s: ctx.t(f"status.label_{s}") for s in STATES}
    for plan in plans:
        statuses = await plan_status(ctx.services, plan, today)
        ctx.say("status.overview", plan=plan, statuses=statuses, today=today)
        path = ctx.services.data_dir / "charts" / f"plan-{plan.id}-{ctx.now:%Y%m%d%H%M%S}.png"
        title = ctx.t("status.chart_title", number=plan.number, today=today)

        if statuses:
            ctx.later(_chart_job(statuses, labels, title, path))


def _chart_job(statuses: list[TaskStatus], labels: dict[str, str], title: str, path: Path) -> Job:
    async def draw() -> list[Reply]:
        await chart(statuses, labels, title, path)
        return [Reply(photo=OutFile(path, path.name, ""))]

    return draw


async def late(ctx: Context) -> None:
    """/chuabaocao: the late tasks, then each late unit once with what it owes and who can be
    told (those the bot cannot reach marked, to be phoned), and a button to remind them now."""
    overdue = summarize(await late_units(ctx.services, ctx.now.date()))
    if not overdue.units:
        ctx.say("status.nobody_late")
        return
    ctx.say(
        "status.late",
        overdue=overdue,
        shown=MAX_LATE_UNITS,
        choices=((ctx.button("status.button_remind_now", "late:remind"),),),
    )


async def remind_now(ctx: Context) -> None:
    """The "remind them now" button: one reminder per late unit today (never twice a day), saying
    who asked for it; the answer counts the units reminded and names those nobody could be
    told (nobody registered, or blocked the bot), for the office to phone."""
    member = ctx.member
    if member is None or member.role not in VIEWERS:
        ctx.say("common.not_allowed")
        return
    today = ctx.now.date()
    overdue = summarize(await late_units(ctx.services, today))
    if not overdue.units:
        ctx.say("status.nobody_late")
        return
    reminded = already = queued = 0
    unreached: list[OverdueUnit] = []
    for unit in overdue.units:
        if not unit.reachable:
            unreached.append(unit)
            continue
        reachable = {p.member_id for p in unit.people if p.reachable}
        text = ctx.t(
            "status.nudge",
            unit=unit.unit_name,
            owed=unit.owed,
            by_role=member.role.value,
            name=member.full_name,
        )
        new = 0
        for to in await unit_recipients(ctx.services, unit.unit_id):
            if to.member.id in reachable:
                key = f"nudge:member={to.member.id}:date={today.isoformat()}"
                new += int(
                    await queue(ctx.services, to, key, "nudge", Reply(text=text), priority=3)
                )
        queued += new
        if new:
            reminded += 1
        else:
            already += 1
    await ctx.repos.audit.record(
        "remind_late",
        member.id,
        ctx.now,
        units=reminded,
        messages=queued,
        already=already,
        unreached=[u.unit_name for u in unreached],
    )
    ctx.services.notifier.queued()
    ctx.say("status.reminded", units=reminded, already=already, unreached=unreached)


async def weekly_toggle(ctx: Context) -> None:
    """/bantintuan turns the weekly digest on or off; the digest's button turns it off."""
    member = ctx.member
    assert member is not None
    if ctx.inbound.choice == "wk:off":
        on = False
    else:
        on = not await ctx.repos.members.weekly_digest(member.id)
    await ctx.repos.members.set_weekly_digest(member.id, on)
    ctx.say("reminders.weekly_on" if on else "reminders.weekly_off")
