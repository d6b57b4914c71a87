"""/duyet (office): new answers, each accepted or returned with a reason; the unit is told and can
correct and resend. The history of an answer shows every version: who, when, what.

Buttons "rv:<action>:<answer>:<version>": acc (accept), ret (return), his (history: it carries
the card's decision buttons on, as pressing it takes them off the card), fil (the photos and
files of that version, sent after the commit), and "rv:nxt:<answer>" the next answer waiting."""

from __future__ import annotations

import asyncio
from pathlib import Path, PurePosixPath
from typing import Any

from bot.chat import Choice, OutFile, Reply
from bot.deliveries import queue, unit_recipients
from bot.domain import DeadlineState, Role
from bot.forms import FieldSpec, FormSpec, resolve_form
from handlers.context import Context, Job
from handlers.forms import summary
from storage.answers import Answer, AnswerStatus, Attachment

FLOW = "review"
STAFF = (Role.OFFICE, Role.ADMIN)
PAGE = 5
REASON_MAX = 500
PHOTO_MAX = 10 * 1024 * 1024  # Telegram's limit for a photo; a bigger one goes as a document


async def _spec(ctx: Context, answer: Answer) -> FormSpec:
    task = await ctx.repos.plans.task(answer.task_id)
    assert task is not None
    return resolve_form(answer.form, await ctx.repos.plans.forms(task.plan_id), task.quota)


async def _describe(ctx: Context, answer: Answer, data: dict[str, object] | None = None) -> str:
    spec = await _spec(ctx, answer)
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


def _file_ids(spec: FormSpec, data: dict[str, Any]) -> list[int]:
    """The attachments an answer's version holds (its photo and file fields, entries included),
    in the order they were asked for."""
    ids: list[int] = []

    def take(fields: tuple[FieldSpec, ...], source: object) -> None:
        if not isinstance(source, dict):
            return
        for f in fields:
            value = source.get(f.name)
            if f.kind in ("photo", "file") and isinstance(value, list):
                ids.extend(i for i in value if isinstance(i, int) and i not in ids)

    take(spec.fields, data.get("values"))
    entries = data.get("entries")
    if spec.group is not None and isinstance(entries, list):
        for entry in entries:
            take(spec.group.fields, entry)
    return ids


async def _version_data(ctx: Context, answer: Answer, version: str) -> dict[str, Any] | None:
    """What the unit sent as `version` (the card's), None when there is no such version."""
    if version == str(answer.version):
        return answer.data
    sent = [
        v
        for v in await ctx.repos.answers.versions(answer.id)
        if str(v.version) == version and v.action in ("submit", "edit", "resubmit")
    ]
    return sent[-1].data if sent else None


async def _files_button(ctx: Context, answer: Answer, version: str) -> tuple[Choice, ...]:
    data = await _version_data(ctx, answer, version)
    count = len(_file_ids(await _spec(ctx, answer), data)) if data is not None else 0
    if not count:
        return ()
    return (ctx.button("review.button_files", f"rv:fil:{answer.id}:{version}", count=count),)


async def _next_button(ctx: Context, answer: Answer) -> tuple[Choice, ...]:
    """ "Next" when another answer waits for review."""
    following = await ctx.repos.answers.next_with_status(AnswerStatus.SUBMITTED, answer)
    if following is None:
        return ()
    return (ctx.button("review.button_next", f"rv:nxt:{answer.id}"),)


async def _buttons(
    ctx: Context, answer: Answer, version: str, *, history: bool, files: bool, following: bool
) -> tuple[tuple[Choice, ...], ...]:
    """The buttons of a message about the card's `version`. A pressed message loses its buttons,
    so whatever the card's buttons lead to (history, files) carries them on: accept and return
    while that version waits, and as asked: history, its files, the next answer waiting."""
    rows: list[tuple[Choice, ...]] = []
    key = f"{answer.id}:{version}"
    if version == str(answer.version) and answer.status is AnswerStatus.SUBMITTED:
        rows.append(
            (
                ctx.button("review.button_accept", f"rv:acc:{key}"),
                ctx.button("review.button_return", f"rv:ret:{key}"),
            )
        )
    more: tuple[Choice, ...] = ()
    if history:
        more += (ctx.button("review.button_history", f"rv:his:{key}"),)
    if files:
        more += await _files_button(ctx, answer, version)
    if more:
        rows.append(more)
    if following and (after := await _next_button(ctx, answer)):
        rows.append(after)
    return tuple(rows)


async def _card(ctx: Context, answer: Answer, *, skip: bool = False) -> Reply:
    """An answer waiting for review, with its buttons; `skip`: and "next" (a card shown by it)."""
    unit = await ctx.repos.units.get(answer.unit_id)
    task = await ctx.repos.plans.task(answer.task_id)
    sender = await ctx.repos.members.get(answer.member_id) if answer.member_id else None
    assert task is not None
    rows = await _buttons(
        ctx, answer, str(answer.version), history=True, files=True, following=skip
    )
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
        choices=rows,
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
    """ "rv:acc|ret|his|fil:<answer>:<version>" and "rv:nxt:<answer>" buttons."""
    if ctx.member is None or ctx.member.role not in STAFF:
        ctx.say("common.not_allowed")
        return
    _, action, raw = (ctx.inbound.choice or "::").split(":", 2)
    answer, fresh = await _current(ctx, raw)
    if answer is None:
        ctx.say("review.gone")
        return
    version = raw.partition(":")[2]
    if action == "his":
        await _history(ctx, answer, version)
        return
    if action == "fil":
        await _files(ctx, answer, version)
        return
    if action == "nxt":
        following = await ctx.repos.answers.next_with_status(AnswerStatus.SUBMITTED, answer)
        if following is None:
            ctx.say("review.no_more")
        else:
            ctx.reply(await _card(ctx, following, skip=True))
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
    following = await _next_button(ctx, answer)
    ctx.say(
        f"review.done_{decision}",
        unit=unit.name if unit else "",
        ref=task.ref,
        period=period,
        told=told,
        choices=(following,) if following else (),
    )


async def _history(ctx: Context, answer: Answer, version: str) -> None:
    """Every version of the answer; the card's buttons carried on, and the next answer."""
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
    rows = await _buttons(ctx, answer, version, history=False, files=True, following=True)
    ctx.say(
        "review.history",
        unit=unit.name if unit else "",
        ref=task.ref if task else "",
        period=await _period(ctx, answer),
        items=items,
        choices=rows,
    )


async def _files(ctx: Context, answer: Answer, version: str) -> None:
    """The photos and files of the card's version, sent as they were sent (their own names),
    after the commit: the step only reads which they are, the disk is looked at later."""
    data = await _version_data(ctx, answer, version)
    ids = _file_ids(await _spec(ctx, answer), data) if data is not None else []
    attachments = await ctx.repos.answers.attachments(ids)
    if not attachments:
        ctx.say("review.no_files")
        return
    unit = await ctx.repos.units.get(answer.unit_id)
    task = await ctx.repos.plans.task(answer.task_id)
    period = await _period(ctx, answer)
    captions = []
    names = []
    for position, att in enumerate(attachments, 1):
        named = att.file_name != PurePosixPath(att.path).name  # else the name it is kept under
        suffix = PurePosixPath(att.path).suffix
        names.append(
            att.file_name if named else ctx.label("review.unnamed_file", n=position, suffix=suffix)
        )
        captions.append(
            ctx.t(
                "review.file_caption",
                unit=unit.name if unit else "",
                ref=task.ref if task else "",
                period=period,
                name=att.file_name if named else "",
                position=position,
                count=len(attachments),
            )
        )
    rows = await _buttons(ctx, answer, version, history=True, files=False, following=True)
    closing = {"unit": unit.name if unit else "", "ref": task.ref if task else "", "period": period}
    ctx.later(_sender(ctx, attachments, names, captions, closing, rows))


def _sender(
    ctx: Context,
    attachments: list[Attachment],
    names: list[str],
    captions: list[str],
    closing: dict[str, str],
    rows: tuple[tuple[Choice, ...], ...],
) -> Job:
    """The files, then one line with the card's buttons (pressing "files" took them off the
    card), which excuses a file no longer on the disk."""
    data_dir = ctx.services.data_dir
    texts = ctx.services.texts

    async def send() -> list[Reply]:
        found = await asyncio.to_thread(_on_disk, data_dir, attachments)
        replies: list[Reply] = []
        missing: list[str] = []
        for att, path, name, caption in zip(attachments, found, names, captions, strict=True):
            if path is None:
                missing.append(name)
                continue
            out = OutFile(path, name, caption)
            photo = att.kind == "photo" and att.size <= PHOTO_MAX
            replies.append(Reply(photo=out) if photo else Reply(document=out))
        text = texts("review.files_sent", sent=len(replies), missing=missing, **closing)
        return [*replies, Reply(text=text, choices=rows)]

    return send


def _on_disk(data_dir: Path, attachments: list[Attachment]) -> list[Path | None]:
    """Each attachment's file under DATA_DIR, None when it is not there (or not under it)."""
    root = data_dir.resolve()
    found: list[Path | None] = []
    for att in attachments:
        path = (root / att.path).resolve()
        found.append(path if path.is_relative_to(root) and path.is_file() else None)
    return found
