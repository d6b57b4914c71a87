"""/viec: what a secretary's unit still owes, soonest first, with its state; then what it has
sent (waiting for review, accepted), each with a button to see it; and a task's details."""

from __future__ import annotations

from bot.chat import Choice, Reply
from bot.domain import DeadlineState
from bot.tasklines import (
    in_sight,
    line,
    report_button,
    sent_buttons,
    sent_in_sight,
    task_buttons,
)
from handlers.context import Context
from storage.answers import AnswerStatus
from storage.deadlines import DeadlineView

MAX_SENT = 8  # sent answers listed in /viec: the rest are left for /baocao
SENT = (AnswerStatus.SUBMITTED, AnswerStatus.ACCEPTED)


async def my_tasks(ctx: Context) -> None:
    """Owed first (a returned answer among them, flagged: it needs correcting), as the list
    always was: a repeating task's periods in sight only. Then, in one short block, what has been
    sent and is not returned: waiting for review first, then accepted."""
    member = ctx.member
    assert member is not None
    if not member.role.answers_for_unit:
        ctx.say("tasks.not_for_role")
        return
    unit = await ctx.repos.units.get(member.unit_id)
    unit_name = unit.name if unit else ""
    today = ctx.now.date()
    owed: list[DeadlineView] = []
    sent: list[DeadlineView] = []
    status: dict[int, str] = {}  # the answer's status by deadline, withdrawn ones left out
    for v in await ctx.repos.deadlines.for_unit(member.unit_id, open_only=False):
        answer = await ctx.repos.answers.for_deadline(v.deadline.id)
        if answer is not None and answer.status is not AnswerStatus.WITHDRAWN:
            status[v.deadline.id] = answer.status.value
        if answer is not None and answer.status in SENT:
            sent.append(v)
        elif v.deadline.state is not DeadlineState.DONE:
            owed.append(v)
    if not owed and not sent:
        ctx.say("tasks.no_tasks", unit=unit_name)
        return
    owed, later = in_sight(owed, today)
    sent = sent_in_sight(sent, today)
    # waiting for review first, and what can still be changed before what cannot
    sent.sort(
        key=lambda v: (
            status[v.deadline.id] != AnswerStatus.SUBMITTED,
            v.deadline.due is not None and v.deadline.due < today,
        )
    )
    lines = [line(v, today, status.get(v.deadline.id, "")) for v in owed]
    sent_lines = [line(v, today, status[v.deadline.id]) for v in sent[:MAX_SENT]]
    ctx.reply(
        Reply(
            text=ctx.t(
                "tasks.my_tasks",
                unit=unit_name,
                lines=lines,
                later=later,
                sent_lines=sent_lines,
                more_sent=len(sent) - len(sent_lines),
            ),
            choices=task_buttons(ctx.services.texts, lines)
            + sent_buttons(ctx.services.texts, sent_lines),
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
