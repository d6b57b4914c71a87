"""/baocao and the report buttons: a unit answers a task with its form, sees a summary, confirms,
gets a receipt; until the deadline it can edit or withdraw; after it, an answer is taken and
marked late. A deputy may answer for the unit; who answered is recorded."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from bot.chat import Choice, Reply, rows
from bot.domain import DeadlineState
from bot.forms import FormSpec, resolve_form
from handlers.context import Context
from handlers.forms import (
    FLOW,
    Draft,
    after_fields,
    ask,
    confirm,
    label,
    more,
    quota_left,
    save,
    summary,
    take,
    untagged,
)
from storage.answers import Answer, AnswerStatus
from storage.deadlines import DeadlineView


async def _form_for(ctx: Context, view: DeadlineView) -> FormSpec:
    task = await ctx.repos.plans.task(view.deadline.task_id)
    assert task is not None
    plan_forms = await ctx.repos.plans.forms(task.plan_id)
    return resolve_form(task.form, plan_forms, task.quota)


async def _spec(ctx: Context, draft: Draft) -> FormSpec | None:
    view = await ctx.repos.deadlines.view(int(draft.data["deadline"]))
    if view is None or view.deadline.cancelled:
        return None
    return await _form_for(ctx, view)


async def _own_deadline(ctx: Context, deadline_id: int) -> DeadlineView | None:
    view = await ctx.repos.deadlines.view(deadline_id)
    member = ctx.member
    if (
        view is None
        or member is None
        or view.deadline.cancelled
        or view.deadline.unit_id != member.unit_id
    ):
        return None
    return view


async def command(ctx: Context) -> None:
    """/baocao [ref]: choose a task of the unit to report on (or the one named)."""
    member = ctx.member
    assert member is not None
    if not member.role.answers_for_unit:
        ctx.say("report.not_for_role")
        return
    views = await ctx.repos.deadlines.for_unit(member.unit_id, open_only=False)
    today = ctx.now.date()
    wanted = ctx.inbound.args.strip().lower()
    if wanted:
        named = [v for v in views if v.task_ref.lower() == wanted]
        if not named and views:  # no task of the unit has that code: its list to choose from
            ctx.say("report.no_such_ref", ref=ctx.inbound.args.strip())
            wanted = ""
        else:
            views = named
    # a repeating task: the period that is open now, else the next one
    current = [v for v in views if v.deadline.start is None or v.deadline.start <= today]
    views = current or views
    owed = [v for v in views if v.deadline.state is not DeadlineState.DONE]
    if wanted and len(owed) > 1:  # earlier periods still owed: the person chooses which
        views = owed
    elif wanted and views:  # a form already open is asked about there, not dropped
        await begin(ctx, owed[0] if owed else views[-1])
        return
    if ctx.state.flow == FLOW:
        if _draft(ctx).entered:
            ctx.say(
                "report.form_waiting",
                choices=rows(
                    ctx.button("report.button_resume", "rep:resume"),
                    ctx.button("report.button_restart", "rep:drop"),
                    per_row=2,
                ),
            )
            return
        ctx.end()  # opened, nothing given yet: nothing to keep
    if not views:
        ctx.say("report.nothing_to_report")
        return
    ctx.say(
        "report.choose",
        choices=tuple((Choice(_choice_label(ctx, v), f"rep:{v.deadline.id}"),) for v in views[:20]),
    )


def _choice_label(ctx: Context, view: DeadlineView) -> str:
    """A task in /baocao's list, "II.2.a · tháng 4/2024: Viết bài…" (a repeating task's periods
    told apart), cut to fit."""
    return ctx.label(  # a Choice shortens it to fit (bot.chat.shorten)
        "report.button_task",
        ref=view.task_ref,
        title=view.task_title,
        period=view.deadline.period,
    )


async def button(ctx: Context) -> None:
    """A "rep:<deadline>" button (from a task message, a digest, /baocao), rep:resume, rep:drop
    (/baocao's "choose another task"), or rep:drop:<form's deadline>:<then> ("drop that form
    and answer this one": <then> is a deadline, "e<deadline>" to edit its sent answer)."""
    raw = (ctx.inbound.choice or "").partition(":")[2]
    if raw == "resume":
        await resume(ctx)
        return
    if raw == "drop":
        ctx.end()
        await command(ctx)
        return
    if raw.startswith("drop:"):
        await _drop_and_go(ctx, raw)
        return
    if ctx.member is None or not ctx.member.role.answers_for_unit:
        ctx.say("report.not_for_role")
        return
    view = await _own_deadline(ctx, int(raw)) if raw.isdigit() else None
    if view is None:
        ctx.say("tasks.not_yours")
        return
    await begin(ctx, view)


async def _drop_and_go(ctx: Context, raw: str) -> None:
    """The person chose to drop the form they were filling for another task's. Only that form
    is dropped: if another is open by now (the button was old), it is asked about again."""
    dropped, _, then = raw.removeprefix("drop:").partition(":")
    if str(_open_deadline(ctx)) == dropped:
        ctx.end()
    if ctx.member is None or not ctx.member.role.answers_for_unit:
        ctx.say("report.not_for_role")
        return
    if then.startswith("e"):  # editing a sent answer: checked again as its own button is
        ctx.inbound = replace(ctx.inbound, choice=f"ans:edit:{then[1:]}")
        await answer_action(ctx)
        return
    view = await _own_deadline(ctx, int(then)) if then.isdigit() else None
    if view is None:
        ctx.say("tasks.not_yours")
        return
    await begin(ctx, view)


def _open_deadline(ctx: Context) -> int | None:
    """The deadline of the form open, if any."""
    raw = (ctx.state.data or {}).get("deadline") if ctx.state.flow == FLOW else None
    return raw if isinstance(raw, int) else None


async def _form_in_the_way(ctx: Context, view: DeadlineView, then: str) -> bool:
    """Before a form is opened for `view`: is another one open that must not be lost? The
    same deadline's form is resumed where it was; another's with something given is kept,
    and the person asked whether to go on with it or drop it (`then`: what the drop button
    does next). True when handled here; False: the caller opens its form (an open form with
    nothing given, or whose task is gone, is let go)."""
    if ctx.state.flow != FLOW:
        return False
    draft = _draft(ctx)
    raw = draft.data.get("deadline")
    if raw == view.deadline.id:  # its own button pressed again, or /baocao naming it
        ctx.say("report.resuming", ref=view.task_ref, period=view.deadline.period)
        await resume(ctx)
        return True
    open_view = await ctx.repos.deadlines.view(int(raw)) if isinstance(raw, int) else None
    if not draft.entered or open_view is None or open_view.deadline.cancelled:
        return False
    spec = await _form_for(ctx, open_view)
    ctx.say(
        "report.other_form_open",
        ref=open_view.task_ref,
        period=open_view.deadline.period,
        entries=len(draft.entries),
        item=label(ctx, spec.group.item) if spec.group is not None else "",
        answered=draft.answered,
        new_ref=view.task_ref,
        new_period=view.deadline.period,
        choices=(
            (
                ctx.button(
                    "report.button_go_on",
                    "rep:resume",
                    ref=open_view.task_ref,
                    period=open_view.deadline.period,
                ),
            ),
            (
                ctx.button(
                    "report.button_drop_for",
                    f"rep:drop:{open_view.deadline.id}:{then}",
                    ref=view.task_ref,
                    period=view.deadline.period,
                ),
            ),
        ),
    )
    return True


async def begin(ctx: Context, view: DeadlineView) -> None:
    """Start the form, or show the answer already sent with what can be done with it. A form
    already open is never dropped here without asking (`_form_in_the_way`)."""
    answer = await ctx.repos.answers.for_deadline(view.deadline.id)
    sent = answer is not None and answer.status is not AnswerStatus.WITHDRAWN
    if sent and _open_deadline(ctx) != view.deadline.id:
        assert answer is not None
        await _show_answer(ctx, view, answer)  # nothing dropped by showing it
        if ctx.state.flow == FLOW:
            ctx.say("common.flow_waiting")
        return
    if await _form_in_the_way(ctx, view, str(view.deadline.id)):
        return
    await _start(ctx, view, answer=None)


async def _start(ctx: Context, view: DeadlineView, answer: Answer | None) -> None:
    if ctx.state.flow == FLOW and (ctx.state.data or {}).get("deadline") != view.deadline.id:
        ctx.end()  # another task's form (asked about before): none of its data carries over
    spec = await _form_for(ctx, view)
    task = await ctx.repos.plans.task(view.deadline.task_id)
    assert task is not None
    data: dict[str, Any] = {
        "deadline": view.deadline.id,
        "task": task.id,
        "unit": view.deadline.unit_id,
        "form": spec.name,
        "quota_total": task.quota.total,
        "values": {},
        "entries": [],
        "entry": {} if spec.group is not None else None,
    }
    if answer is not None:  # editing, or correcting a returned answer
        data["old"] = {k: v for k, v in answer.data.get("values", {}).items()}
        data["entries"] = list(answer.data.get("entries", []))
        data["old_entries"] = list(data["entries"])  # what counts as changed (Draft.entered)
        data["entry"] = None
    draft = Draft(data)
    save(ctx, "fill", draft)  # the whole state: nothing of a form begun before carries over
    ctx.say(
        "report.start",
        title=label(ctx, spec.title),
        ref=view.task_ref,
        task=view.task_title,
        period=view.deadline.period,
    )
    if answer is not None and spec.group is not None and not spec.fields:
        await after_fields(ctx, spec, draft)
        return
    await ask(ctx, spec, draft)


def _draft(ctx: Context) -> Draft:
    """The form in the conversation state, as a copy: the runner changes lists and dicts in
    place (a second file, a dropped entry) and saves the whole draft when it moves on
    (`forms.save`); a draft only looked at (is another form in the way?) changes nothing."""
    return Draft(copy.deepcopy(dict(ctx.state.data or {})))


async def _open(ctx: Context) -> tuple[Draft, FormSpec] | None:
    """The form the person is in, or None (told so) when its task is gone."""
    draft = _draft(ctx)
    spec = await _spec(ctx, draft)
    if spec is None:
        ctx.end()
        ctx.say("tasks.not_yours")
        return None
    return draft, spec


async def resume(ctx: Context) -> None:
    """/tieptuc, or the resume button: say again where the form is."""
    if ctx.state.flow != FLOW:
        ctx.say("common.nothing_to_resume")
        return
    opened = await _open(ctx)
    if opened is None:
        return
    draft, spec = opened
    if ctx.state.step == "confirm":
        await confirm(ctx, spec, draft)
    elif ctx.state.step == "more":
        await after_fields(ctx, spec, draft)
    else:
        await ask(ctx, spec, draft)


async def step(ctx: Context) -> None:
    """The form flow: every message while a form is open comes here. A button of an earlier
    question is told so, and the current question is asked again."""
    opened = await _open(ctx)
    if opened is None:
        return
    draft, spec = opened
    stage = ctx.state.step or "fill"
    choice = ctx.inbound.choice
    if choice is not None and choice.startswith("f:"):
        value = untagged(choice, spec, draft, stage)
        if value is None:
            ctx.say("forms.old_button")
            await resume(ctx)
            return
        ctx.inbound = replace(ctx.inbound, choice=value)
    if ctx.state.step == "more":
        await more(ctx, spec, draft)
    elif ctx.state.step == "confirm":
        await _on_confirm(ctx, spec, draft)
    else:
        await take(ctx, spec, draft)


async def _on_confirm(ctx: Context, spec: FormSpec, draft: Draft) -> None:
    choice = ctx.inbound.choice
    if choice == "f:-send":
        await _send(ctx, spec, draft)
    elif choice == "f:-redo":  # over again: an edit of a sent answer starts again from it
        view = await ctx.repos.deadlines.view(int(draft.data["deadline"]))
        assert view is not None
        answer = (
            await ctx.repos.answers.for_deadline(view.deadline.id) if "old" in draft.data else None
        )
        if answer is not None and answer.status is AnswerStatus.WITHDRAWN:
            answer = None
        await _start(ctx, view, answer=answer)
    elif choice == "f:-cancel":
        ctx.end()
        ctx.say("report.cancelled")
    else:
        ctx.say("forms.press_a_button")
        await confirm(ctx, spec, draft)


async def _send(ctx: Context, spec: FormSpec, draft: Draft) -> None:
    member = ctx.member
    assert member is not None
    view = await ctx.repos.deadlines.view(int(draft.data["deadline"]))
    assert view is not None
    if spec.group is not None:
        left = await quota_left(ctx, spec, draft)
        if left is not None and left < 0:  # others took the last places meanwhile
            ctx.say("forms.quota_exceeded", over=-left)
            await after_fields(ctx, spec, draft)
            return
    due = view.deadline.due
    late = due is not None and ctx.now.date() > due
    content = {"values": draft.values, "entries": draft.entries}
    answer = await ctx.repos.answers.send(
        deadline_id=view.deadline.id,
        unit_id=view.deadline.unit_id,
        task_id=view.deadline.task_id,
        form=spec.name,
        data=content,
        entries=len(draft.entries),
        late=late,
        member_id=member.id,
        now=ctx.now,
    )
    state = DeadlineState.DONE
    if spec.state_field is not None:
        state = spec.state_map.get(str(draft.values.get(spec.state_field)), DeadlineState.DONE)
    await ctx.repos.deadlines.set_state(view.deadline.id, state, ctx.now)
    ctx.end()
    ctx.reply(
        Reply(
            text=ctx.t(
                "report.receipt",
                ref=view.task_ref,
                task=view.task_title,
                period=view.deadline.period,
                at=ctx.now,
                late=late,
                version=answer.version,
                editable=not late,
            ),
            choices=_answer_buttons(ctx, view, answer, late),
        )
    )


def _answer_buttons(
    ctx: Context, view: DeadlineView, answer: Answer, late: bool
) -> tuple[tuple[Choice, ...], ...]:
    returned = answer.status is AnswerStatus.RETURNED
    if late and not returned:
        return ()
    buttons = [ctx.button("report.button_edit", f"ans:edit:{view.deadline.id}")]
    if not returned:
        buttons.append(ctx.button("report.button_withdraw", f"ans:withdraw:{view.deadline.id}"))
    return (tuple(buttons),)


async def _show_answer(ctx: Context, view: DeadlineView, answer: Answer) -> None:
    spec = await _form_for(ctx, view)
    due = view.deadline.due
    past = due is not None and ctx.now.date() > due
    ctx.reply(
        Reply(
            text=ctx.t(
                "report.already_sent",
                ref=view.task_ref,
                task=view.task_title,
                period=view.deadline.period,
                at=answer.sent_at,
                status=answer.status.value,
                note=answer.review_note,
                past=past,
                summary=summary(
                    ctx, spec, answer.data.get("values", {}), answer.data.get("entries", [])
                ),
            ),
            choices=_answer_buttons(ctx, view, answer, past),
        )
    )


async def answer_action(ctx: Context) -> None:
    """ "ans:edit:<deadline>" and "ans:withdraw[ok]:<deadline>" buttons."""
    _, action, raw = (ctx.inbound.choice or "").split(":", 2) + ["", ""][
        : 3 - len((ctx.inbound.choice or "").split(":", 2))
    ]
    view = await _own_deadline(ctx, int(raw)) if raw.isdigit() else None
    if view is None or ctx.member is None or not ctx.member.role.answers_for_unit:
        ctx.say("tasks.not_yours")
        return
    answer = await ctx.repos.answers.for_deadline(view.deadline.id)
    if answer is None or answer.status is AnswerStatus.WITHDRAWN:
        ctx.say("report.no_answer")
        return
    due = view.deadline.due
    past = due is not None and ctx.now.date() > due
    if past and answer.status is not AnswerStatus.RETURNED:
        ctx.say("report.past_deadline")
        return
    if action == "edit":
        await _edit(ctx, view, answer)
    elif action == "withdraw":
        ctx.say(
            "report.confirm_withdraw",
            ref=view.task_ref,
            period=view.deadline.period,
            choices=rows(
                ctx.button("report.button_withdraw_yes", f"ans:withdrawok:{view.deadline.id}"),
                ctx.button("report.button_withdraw_no", f"ans:keep:{view.deadline.id}"),
                per_row=2,
            ),
        )
    elif action == "withdrawok":
        await ctx.repos.answers.withdraw(answer, ctx.member.id, ctx.now)
        await ctx.repos.deadlines.set_state(view.deadline.id, DeadlineState.PENDING, ctx.now)
        ctx.say("report.withdrawn", ref=view.task_ref, period=view.deadline.period)
    else:
        ctx.say("report.kept")


async def _edit(ctx: Context, view: DeadlineView, answer: Answer) -> None:
    """Open the sent answer of `view` for editing, unless a form open is in the way."""
    if await _form_in_the_way(ctx, view, f"e{view.deadline.id}"):
        return
    await _start(ctx, view, answer)
