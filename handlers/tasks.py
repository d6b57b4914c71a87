"""/viec: a secretary's open tasks, soonest first, with their state; and a task's details."""

from __future__ import annotations

from bot.chat import Choice, Reply
from bot.tasklines import in_sight, line, report_button, task_buttons
from handlers.context import Context


async def my_tasks(ctx: Context) -> None:
    member = ctx.member
    assert member is not None
    if not member.role.answers_for_unit:
        ctx.say("tasks.not_for_role")
        return
    unit = await ctx.repos.units.get(member.unit_id)
    unit_name = unit.name if unit else ""
    today = ctx.now.date()
    views = await ctx.repos.deadlines.for_unit(member.unit_id, open_only=True)
    if not views:
        ctx.say("tasks.no_tasks", unit=unit_name)
        return
    views, later = in_sight(views, today)
    lines = [line(v, today) for v in views]
    ctx.reply(
        Reply(
            text=ctx.t("tasks.my_tasks", unit=unit_name, lines=lines, later=later),
            choices=task_buttons(ctx.services.texts, lines),
        )
    )


async def details(ctx: Context) -> None:
    """A "task:<deadline id>" button: what the task asks, its window and state, with the
    buttons to report on it and to see the list again (pressing a button takes the list's own
    away); "task:list": the list again."""
    member = ctx.member
    assert member is not None and ctx.inbound.choice is not None
    raw = ctx.inbound.choice.partition(":")[2]
    if raw == "list":
        await my_tasks(ctx)
        return
    view = await ctx.repos.deadlines.view(int(raw)) if raw.isdigit() else None
    visible = view is not None and not view.deadline.cancelled
    if (
        view is None
        or not visible
        or (not member.role.sees_all and view.deadline.unit_id != member.unit_id)
    ):
        ctx.say("tasks.not_yours")
        return
    task = await ctx.repos.plans.task(view.deadline.task_id)
    lead = None
    if task is not None and task.lead_unit_id is not None:
        lead_unit = await ctx.repos.units.get(task.lead_unit_id)
        lead = lead_unit.name if lead_unit else None
    ln = line(view, ctx.now.date())
    buttons: list[tuple[Choice, ...]] = []
    if member.role.answers_for_unit and view.deadline.unit_id == member.unit_id:
        if ln.state != "done":
            buttons.append((report_button(ctx.services.texts, ln),))
        buttons.append((ctx.button("tasks.button_list", "task:list"),))
    ctx.say(
        "tasks.details",
        ln=ln,
        details=task.details if task else "",
        plan_number=view.plan_number,
        lead=lead,
        choices=tuple(buttons),
    )
