"""/duyet (office): new answers, each accepted or returned with a reason; the unit is told and can
correct and resend. The history of an answer shows every version: who, when, what."""

from __future__ import annotations

from bot.chat import Reply
from bot.deliveries import queue, unit_recipients
from bot.domain import DeadlineState, Role
from bot.forms import resolve_form
from handlers.context import Context
from handlers.forms import summary
from storage.answers import Answer, AnswerStatus

FLOW = "review"
STAFF = (Role.OFFICE, Role.ADMIN)
PAGE = 5
REASON_MAX = 500


async def _describe(ctx: Context, answer: Answer, data: dict[str, object] | None = None) -> str:
    task = await ctx.repos.plans.task(answer.task_id)
    assert task is not None
    spec = resolve_form(answer.form, await ctx.repos.plans.forms(task.plan_id), task.quota)
    content = data if data is not None else answer.data
    values = content.get("values", {})
    entries = content.get("entries", [])
    assert isinstance(values, dict) and isinstance(entries, list)
    return summary(ctx, spec, values, entries)


async def _period(ctx: Context, answer: Answer) -> str:
    """The period the answer is for ('2024-04'), '' for a task that does not repeat: a monthly
    task's answers are told apart by it wherever the task is named."""
    deadline = await ctx.repos.deadlines.get(answer.deadline_id)
    return deadline.period if deadline else ""


async def _card(ctx: Context, answer: Answer) -> Reply:
    unit = await ctx.repos.units.get(answer.unit_id)
    task = await ctx.repos.plans.task(answer.task_id)
    sender = await ctx.repos.members.get(answer.member_id) if answer.member_id else None
    assert task is not None
    key = f"{answer.id}:{answer.version}"
    return Reply(
        text=ctx.t(
            "review.card",
            unit=unit.name if unit else "",
            ref=task.ref,
            task=task.title,
            period=await _period(ctx, answer),
            at=answer.sent_at,
            by=sender.full_name if sender else "",
            late=answer.late,
            version=answer.version,
            summary=await _describe(ctx, answer),
        ),
        choices=(
            (
                ctx.button("review.button_accept", f"rv:acc:{key}"),
                ctx.button("review.button_return", f"rv:ret:{key}"),
            ),
            (ctx.button("review.button_history", f"rv:his:{key}"),),
        ),
    )


async def command(ctx: Context) -> None:
    waiting = await ctx.repos.answers.with_status(AnswerStatus.SUBMITTED, PAGE)
    total = await ctx.repos.answers.count_with_status(AnswerStatus.SUBMITTED)
    if not waiting:
        ctx.say("review.nothing_new")
        return
    ctx.say("review.header", shown=len(waiting), total=total)
    for answer in waiting:
        ctx.reply(await _card(ctx, answer))


async def _current(ctx: Context, raw: str) -> tuple[Answer | None, bool]:
    """The answer a button names, and whether the button still shows its current version."""
    answer_id, _, version = raw.partition(":")
    answer = await ctx.repos.answers.get(int(answer_id)) if answer_id.isdigit() else None
    fresh = answer is not None and version == str(answer.version)
    return answer, fresh


async def button(ctx: Context) -> None:
    """ "rv:acc|ret|his:<answer>:<version>" buttons."""
    if ctx.member is None or ctx.member.role not in STAFF:
        ctx.say("common.not_allowed")
        return
    _, action, raw = (ctx.inbound.choice or "::").split(":", 2)
    answer, fresh = await _current(ctx, raw)
    if answer is None:
        ctx.say("review.gone")
        return
    if action == "his":
        await _history(ctx, answer)
        return
    if not fresh:
        ctx.say("review.changed", version=answer.version, status=answer.status.value)
        return
    if answer.status is not AnswerStatus.SUBMITTED:  # pressed twice, or by two people
        ctx.say("review.decided", status=answer.status.value, at=answer.reviewed_at)
        return
    if action == "acc":
        await _decide(ctx, answer, accept=True, note=None)
    elif action == "ret":
        ctx.go(FLOW, "reason", answer=answer.id, version=answer.version)
        ctx.say("review.ask_reason")


async def step(ctx: Context) -> None:
    """The office typed the reason for returning an answer."""
    data = ctx.state.data or {}
    text = (ctx.inbound.text or "").strip()
    if ctx.inbound.choice is not None or not text:
        ctx.say("review.need_reason")
        return
    if len(text) > REASON_MAX:
        ctx.say("forms.too_long", length=len(text), limit=REASON_MAX)
        return
    answer, fresh = await _current(ctx, f"{data.get('answer')}:{data.get('version')}")
    ctx.end()
    if answer is None or not fresh or answer.status is not AnswerStatus.SUBMITTED:
        ctx.say("review.gone")
        return
    await _decide(ctx, answer, accept=False, note=text)


async def resume(ctx: Context) -> None:
    ctx.say("review.ask_reason")


async def _decide(ctx: Context, answer: Answer, *, accept: bool, note: str | None) -> None:
    member = ctx.member
    assert member is not None
    await ctx.repos.answers.review(
        answer, accept=accept, note=note, member_id=member.id, now=ctx.now
    )
    state = DeadlineState.DONE if accept else DeadlineState.IN_PROGRESS
    await ctx.repos.deadlines.set_state(answer.deadline_id, state, ctx.now)
    task = await ctx.repos.plans.task(answer.task_id)
    assert task is not None
    told = 0
    decision = "accepted" if accept else "returned"
    period = await _period(ctx, answer)
    for to in await unit_recipients(ctx.services, answer.unit_id):
        reply = Reply(
            text=ctx.t(
                f"review.unit_{decision}", ref=task.ref, task=task.title, period=period, note=note
            ),
            choices=()
            if accept
            else ((ctx.button("review.button_correct", f"ans:edit:{answer.deadline_id}"),),),
        )
        key = f"review:answer={answer.id}:v={answer.version}:{decision}:member={to.member.id}"
        told += int(await queue(ctx.services, to, key, "review", reply, priority=3))
    await ctx.repos.audit.record(
        "review", member.id, ctx.now, answer=answer.id, version=answer.version, decision=decision
    )
    ctx.services.notifier.queued()
    unit = await ctx.repos.units.get(answer.unit_id)
    ctx.say(
        f"review.done_{decision}",
        unit=unit.name if unit else "",
        ref=task.ref,
        period=period,
        told=told,
    )


async def _history(ctx: Context, answer: Answer) -> None:
    versions = await ctx.repos.answers.versions(answer.id)
    items = []
    for v in versions:
        items.append(
            {
                "version": v.version,
                "action": v.action,
                "by": v.member_name or "",
                "at": v.at,
                "note": v.note,
                "late": v.late,
                "summary": await _describe(ctx, answer, v.data)
                if v.action in ("submit", "edit", "resubmit")
                else "",
            }
        )
    unit = await ctx.repos.units.get(answer.unit_id)
    task = await ctx.repos.plans.task(answer.task_id)
    ctx.say(
        "review.history",
        unit=unit.name if unit else "",
        ref=task.ref if task else "",
        period=await _period(ctx, answer),
        items=items,
    )
