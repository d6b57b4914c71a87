"""/tinhhinh and /chuabaocao (leaders and office): the plan at a glance with a chart, the units of
one task by state, the late units with their secretaries and a button to remind them now."""

from __future__ import annotations

from pathlib import Path

from bot.chat import OutFile, Reply
from bot.deliveries import queue, unit_recipients
from bot.domain import Plan, Role
from bot.status import STATES, TaskStatus, chart, late_units, plan_status, task_units
from handlers.context import Context, Job

VIEWERS = (Role.OFFICE, Role.LEADER, Role.ADMIN)


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
    """/chuabaocao: late units with their secretaries, and a button to remind them now."""
    entries = await late_units(ctx.services, ctx.now.date())
    if not entries:
        ctx.say("status.nobody_late")
        return
    ctx.say(
        "status.late",
        entries=entries[:60],
        more=max(0, len(entries) - 60),
        choices=((ctx.button("status.button_remind_now", "late:remind"),),),
    )


async def remind_now(ctx: Context) -> None:
    """The "remind them now" button: one reminder per late unit today (never twice a day)."""
    if ctx.member is None or ctx.member.role not in VIEWERS:
        ctx.say("common.not_allowed")
        return
    today = ctx.now.date()
    entries = await late_units(ctx.services, today)
    by_unit: dict[int, list[object]] = {}
    for e in entries:
        by_unit.setdefault(e.unit_id, []).append(e.line)
    queued = 0
    for unit_id, lines in by_unit.items():
        for to in await unit_recipients(ctx.services, unit_id):
            reply = Reply(text=ctx.t("status.nudge", lines=lines))
            key = f"nudge:member={to.member.id}:date={today.isoformat()}"
            queued += int(await queue(ctx.services, to, key, "nudge", reply, priority=3))
    await ctx.repos.audit.record(
        "remind_late", ctx.member.id, ctx.now, units=len(by_unit), messages=queued
    )
    ctx.services.notifier.queued()
    ctx.say("status.reminded", units=len(by_unit), messages=queued)


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
