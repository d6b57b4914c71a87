"""The one form runner: drives any form (bot/forms.py) step by step in chat, keeping everything
in the conversation state, so a restart at any step resumes where the person was.

Buttons carry "f:<value>" for an option, and "f:-skip", "f:-done", "f:-keep", "f:-more",
"f:-drop", "f:-enough", "f:-send", "f:-redo" for the runner's own actions, each followed by
"@<question>" (`question`): a button pressed on an earlier question's message (a double tap on
"Bỏ qua" before its buttons are taken off) is told apart from an answer to the current one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from bot.chat import Choice, Reply, shorten
from bot.domain import Conversation
from bot.forms import PRESETS, FieldSpec, FormSpec
from bot.vntext import fold, is_name
from handlers.context import Context
from messages import vn_date

FLOW = "form"


def label(ctx: Context, text: str, **values: object) -> str:
    """A prompt or label: "@group.key" from messages/, or the office's own words as written;
    plain text either way (a button shows it as it is, a message escapes it)."""
    return ctx.label(text[1:], **values) if text.startswith("@") else text


@dataclass
class Draft:
    """The form being filled, as kept in the conversation state."""

    data: dict[str, Any]

    @property
    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = self.data.setdefault("values", {})
        return values

    @property
    def entries(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.data.setdefault("entries", [])
        return entries

    @property
    def entry(self) -> dict[str, Any] | None:
        entry: dict[str, Any] | None = self.data.get("entry")
        return entry

    @property
    def old(self) -> dict[str, Any]:
        """The values of the answer being edited (offered as "keep as before")."""
        old: dict[str, Any] = self.data.get("old") or {}
        return old

    @property
    def answered(self) -> int:
        """Questions answered so far (a skipped one too), in the fields and the entry begun."""
        return len(self.values) + len(self.entry or {})

    @property
    def entered(self) -> bool:
        """Whether dropping the form would lose something the person gave: an answer (a skip
        counts), an entry, a file received; editing a sent answer, its entries changed."""
        before = self.data.get("old_entries", [])
        return bool(self.answered or self.data.get("files") or self.entries != before)


def save(ctx: Context, step: str, draft: Draft) -> None:
    """Keep the draft as the whole of the form's state, at `step`. Not `ctx.go`, which merges
    into the state loaded: a key the runner took out of the draft (the files a question took,
    an entry finished) would come back from there."""
    ctx.state = Conversation(flow=FLOW, step=step, data=dict(draft.data))


def applicable(f: FieldSpec, entry: dict[str, Any]) -> bool:
    if f.only_if is None:
        return True
    other, values = f.only_if
    return entry.get(other) in values


def next_field(spec: FormSpec, draft: Draft) -> tuple[FieldSpec, bool] | None:
    """The next question: (field, in_group), or None when the fields (and entry) are done."""
    for f in spec.fields:
        if f.name not in draft.values:
            return f, False
    if spec.group is not None and draft.entry is not None:
        for f in spec.group.fields:
            if f.name not in draft.entry and applicable(f, draft.entry):
                return f, True
    return None


# Which question a button belongs to ---------------------------------------------------------


def question(spec: FormSpec, draft: Draft, stage: str) -> str:
    """The current question, as named on its buttons: the field (and which entry of a group),
    the "add another?" step after an entry, or the summary."""
    if stage == "more":
        return f"+{len(draft.entries)}"
    if stage == "confirm":
        return "="
    found = next_field(spec, draft)
    name = found[0].name if found is not None else ""
    return f"{len(draft.entries)}.{name}"


def tagged(value: str, spec: FormSpec, draft: Draft, stage: str) -> str:
    return f"{value}@{question(spec, draft, stage)}"


def untagged(choice: str, spec: FormSpec, draft: Draft, stage: str) -> str | None:
    """The button's value if it belongs to the current question, else None. A value without a
    question (a message sent before buttons named theirs) is taken as it is."""
    value, at, asked = choice.rpartition("@")
    if not at:
        return choice
    return value if asked == question(spec, draft, stage) else None


# Showing a question ------------------------------------------------------------------------


def prompt(ctx: Context, f: FieldSpec, ref: str = "") -> str:
    """A field's question as a label: a counting field names what it counts (the plan's words),
    or the task (`ref`) when the plan names nothing."""
    if f.counts and f.prompt.startswith("@"):
        return label(ctx, f.prompt, what=f.what, ref=ref)
    return label(ctx, f.prompt)


async def _task_ref(ctx: Context, spec: FormSpec, draft: Draft) -> str:
    """The task's ref, for a counting field that cannot name what it counts; kept in the draft."""
    if not any(f.counts and not f.what for f in spec.fields):
        return ""
    if "ref" not in draft.data and "task" in draft.data:
        task = await ctx.repos.plans.task(int(draft.data["task"]))
        draft.data["ref"] = task.ref if task is not None else ""
    return str(draft.data.get("ref") or "")


def _shown(ctx: Context, f: FieldSpec, value: Any) -> str:
    if value is None or value == []:
        return ctx.label("forms.empty")
    if f.kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return ctx.label("forms.number", amount=value)
    if f.kind == "choice":
        for o in f.options:
            if o.value == value:
                return label(ctx, o.label)
    if f.kind in ("photo", "file"):
        return ctx.label("forms.files_count", count=len(value))
    if f.kind == "person" and isinstance(value, dict):
        # by key, not by the dict's order: answers are stored as JSON with sorted keys
        return ", ".join(str(value[k]) for k in ("name", "detail") if value.get(k))
    if f.kind == "date" and isinstance(value, str):
        return vn_date(date.fromisoformat(value))
    return str(value)


async def ask(ctx: Context, spec: FormSpec, draft: Draft) -> None:
    """Say the current question (or the next step when the fields are done)."""
    found = next_field(spec, draft)
    if found is None:
        await after_fields(ctx, spec, draft)
        return
    f, in_group = found
    draft.data["field"] = f.name

    def on(value: str) -> str:
        return tagged(value, spec, draft, "fill")

    buttons: list[tuple[Choice, ...]] = []
    if f.kind == "choice":
        buttons.extend((Choice(label(ctx, o.label), on(f"f:{o.value}")),) for o in f.options)
    files = draft.data.get("files") or []
    if f.kind in ("photo", "file") and files:
        buttons.append((ctx.button("forms.button_files_done", on("f:-done")),))
    old = draft.old.get(f.name) if not in_group else None
    if old is not None:
        keep = shorten(_shown(ctx, f, old), 40)
        buttons.append((ctx.button("forms.button_keep", on("f:-keep"), value=keep),))
    if not f.required and not files:
        buttons.append((ctx.button("forms.button_skip", on("f:-skip")),))
    position = None
    if in_group and spec.group is not None:
        position = len(draft.entries) + 1
    ref = await _task_ref(ctx, spec, draft)
    save(ctx, "fill", draft)
    text = ctx.t(
        "forms.question",
        prompt=prompt(ctx, f, ref),
        kind=f.kind,
        max_length=f.max_length,
        minimum=_own_bounds(f)[0],
        maximum=_own_bounds(f)[1],
        max_files=f.max_files,
        files=len(files),
        required=f.required,
        item=label(ctx, spec.group.item) if spec.group and in_group else "",
        position=position,
        low=f.planned[0],
        high=f.planned[1],
        what=f.what,
    )
    # a typed answer with "skip" or "keep as before" beside it: Zalo lists those unnumbered,
    # so that a number typed is the answer itself
    typed = f.kind != "choice" and not (f.kind in ("photo", "file") and files)
    metadata = {"answer": "typed"} if typed else {}
    ctx.reply(Reply(text=text, choices=tuple(buttons), metadata=metadata))


async def after_fields(ctx: Context, spec: FormSpec, draft: Draft) -> None:
    group = spec.group
    if group is not None and draft.entry is not None:
        draft.entries.append(draft.entry)
        draft.data["entry"] = None
    if group is None:
        await confirm(ctx, spec, draft)
        return
    limit = await quota_left(ctx, spec, draft)
    count = len(draft.entries)
    if count < group.min_items and (limit is None or limit > 0):
        draft.data["entry"] = {}
        await ask(ctx, spec, draft)
        return
    can_add = count < group.max_items and (limit is None or limit > 0)

    def on(value: str) -> str:
        return tagged(value, spec, draft, "more")

    buttons: list[tuple[Choice, ...]] = []
    if can_add:
        more = ctx.button("forms.button_more", on("f:-more"), item=label(ctx, group.item))
        buttons.append((more,))
    if count:
        buttons.append((ctx.button("forms.button_drop_last", on("f:-drop")),))
    if count >= group.min_items:
        buttons.append((ctx.button("forms.button_enough", on("f:-enough")),))
    save(ctx, "more", draft)
    ctx.say(
        "forms.more",
        count=count,
        item=label(ctx, group.item),
        unit_left=group.max_items - count,
        total_left=limit,
        minimum=group.min_items,
        can_add=can_add,
        choices=tuple(buttons),
    )


async def quota_left(ctx: Context, spec: FormSpec, draft: Draft) -> int | None:
    """Entries this unit may still add under the plan-wide quota (None: no plan-wide quota)."""
    total = draft.data.get("quota_total")
    if not isinstance(total, int):
        return None
    others = await ctx.repos.answers.entries_for_task(
        int(draft.data["task"]), except_unit=int(draft.data["unit"])
    )
    return total - others - len(draft.entries)


async def confirm(ctx: Context, spec: FormSpec, draft: Draft) -> None:
    save(ctx, "confirm", draft)
    shown = summary(ctx, spec, draft.values, draft.entries)
    ctx.reply(
        Reply(
            text=ctx.t("forms.confirm", summary=shown),
            choices=(
                (ctx.button("forms.button_send", tagged("f:-send", spec, draft, "confirm")),),
                (
                    ctx.button("forms.button_redo", tagged("f:-redo", spec, draft, "confirm")),
                    ctx.button("forms.button_cancel", tagged("f:-cancel", spec, draft, "confirm")),
                ),
            ),
        )
    )


def summary(
    ctx: Context,
    spec: FormSpec,
    values: dict[str, Any],
    entries: list[dict[str, Any]],
) -> str:
    """The answer as the person and the office read it back (under the task's name: a count the
    plan names nothing for is "Số lượng"); a count beyond the plan's bounds (kept from before
    them) is flagged. A list's entries take a line each, every value under its label: "1. Cá
    nhân — Họ tên: …; Chức vụ: …; Đơn vị: …"."""
    lines = [
        {
            "label": prompt(ctx, f),
            "value": _shown(ctx, f, values.get(f.name)),
            "outside": f.outside(values.get(f.name)),
            "low": f.planned[0],
            "high": f.planned[1],
            "what": f.what,
        }
        for f in spec.fields
    ]
    groups = []
    if spec.group is not None:
        for entry in entries:
            groups.append(
                [
                    {
                        "label": label(ctx, f.prompt),
                        # a preset's question ("@forms.ask_name"): the summary's short label
                        "key": f.prompt.removeprefix("@forms.") if f.prompt[:1] == "@" else "",
                        "value": _shown(ctx, f, entry.get(f.name)),
                        # an entry's first choice ("Cá nhân") leads it, without its question
                        "lead": i == 0 and f.kind == "choice",
                    }
                    for i, f in enumerate(spec.group.fields)
                    if applicable(f, entry) and entry.get(f.name) is not None
                ]
            )
    return ctx.t(
        "forms.summary",
        title=label(ctx, spec.title),
        rows=lines,
        groups=groups,
        item=label(ctx, spec.group.item) if spec.group else "",
    )


# Taking an answer ---------------------------------------------------------------------------


class Invalid(Exception):
    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _choice_value(f: FieldSpec, ctx: Context) -> str:
    inbound = ctx.inbound
    if inbound.choice is not None and inbound.choice.startswith("f:"):
        value = inbound.choice[2:]
        if any(o.value == value for o in f.options):
            return value
        raise Invalid("forms.old_button")
    if inbound.text is None:
        raise Invalid("forms.need_choice")
    typed = fold(inbound.text)
    if typed.isdigit() and 1 <= int(typed) <= len(f.options):
        return f.options[int(typed) - 1].value
    for o in f.options:
        if fold(label(ctx, o.label)) == typed or fold(o.value) == typed:
            return o.value
    raise Invalid("forms.need_choice")


def _text_value(f: FieldSpec, ctx: Context) -> str:
    text = ctx.inbound.text
    if text is None or ctx.inbound.choice is not None:
        raise Invalid("forms.need_text")
    text = text.strip()
    if not text:
        raise Invalid("forms.need_text")
    if len(text) > f.max_length:
        raise Invalid("forms.too_long", length=len(text), limit=f.max_length)
    return text


# A number as Vietnamese write it: "." or a space groups thousands ("1.250", "1 250"), "," is the
# decimal mark ("2,5"); "2.5" is taken as a decimal too (a phone's keyboard), never "2.500".
_NUMBER = re.compile(
    r"^\s*(?P<sign>-?)(?P<whole>\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)"
    r"(?:(?P<mark>[.,])(?P<frac>\d+))?(?P<rest>.*)$",
    re.S,
)


def parse_number(text: str) -> int | float | None:
    """The number at the start of `text` ("12 đảng viên" -> 12), None when there is none."""
    match = _NUMBER.match(text)
    if match is None or re.match(r"\s*\d|[.,]\d", match["rest"]):
        return None
    whole = int(re.sub(r"\D", "", match["whole"]))
    sign = -1 if match["sign"] else 1
    frac = match["frac"]
    if frac is None or not frac.strip("0"):
        return sign * whole
    return sign * float(f"{whole}.{frac}")


def _own_bounds(f: FieldSpec) -> tuple[float | None, float | None]:
    """The bounds a number must keep: a counting field's own (the preset's), not the plan's
    per-unit quota that `FormSpec.with_quota` put in their place; the quota is a target."""
    if f.counts:
        for preset in PRESETS.values():
            base = preset.field(f.name)
            if base is not None and base.counts:
                return base.minimum, base.maximum
    return f.minimum, f.maximum


def in_range(f: FieldSpec, number: int | float) -> None:
    """Refuse a number outside the field's own bounds. One outside the plan's per-unit quota is
    taken (a unit that wrote nothing says 0): `outside_plan` tells the person so."""
    minimum, maximum = _own_bounds(f)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise Invalid("forms.out_of_range", minimum=minimum, maximum=maximum)


def outside_plan(ctx: Context, f: FieldSpec, number: object) -> None:
    """One line after a count outside the plan's per-unit quota: taken, and flagged as such."""
    if f.outside(number):
        ctx.say("forms.outside_plan", low=f.planned[0], high=f.planned[1], what=f.what)


def example(f: FieldSpec) -> int:
    """A number to show as an example, inside the field's bounds (and the plan's)."""
    value = 12
    for low, high in (f.planned, _own_bounds(f)):
        if high is not None and value > high:
            value = int(high)
        if low is not None and value < low:
            value = int(low) if low == int(low) else int(low) + 1
    return value


def _number_value(f: FieldSpec, ctx: Context) -> int | float:
    text = ctx.inbound.text
    number = parse_number(text) if text is not None and ctx.inbound.choice is None else None
    if number is None:
        raise Invalid("forms.need_number", example=example(f))
    if f.whole and isinstance(number, float):
        raise Invalid("forms.need_whole", typed=text.strip() if text else "")
    in_range(f, number)
    return number


def _date_value(ctx: Context) -> str:
    from bot.timeexpr import WhenError, parse_when

    text = ctx.inbound.text
    if text is None or ctx.inbound.choice is not None:
        raise Invalid("forms.need_date")
    try:
        window = parse_when(text, ref=ctx.now.date())
    except WhenError:
        raise Invalid("forms.need_date") from None
    if window.start is None or window.start != window.end:
        raise Invalid("forms.need_date")
    return window.start.isoformat()


def _person_value(f: FieldSpec, ctx: Context) -> dict[str, str]:
    """A contact, "Nguyễn Văn An, 0912 345 678": a name (with letters), then how to reach them."""
    text = _text_value(f, ctx)
    name, _, detail = text.partition(",")
    if not is_name(name):
        raise Invalid("forms.need_name", person=True)
    return {k: v.strip() for k, v in (("name", name), ("detail", detail)) if v.strip()}


# A text field so called asks a name: the nominee's (a person, a collective, a product), or one
# of a plan's own forms that calls a field so.
NAME_FIELD = "name"


def _name_value(f: FieldSpec, ctx: Context) -> str:
    """A name, typed where one is asked: it has letters."""
    text = _text_value(f, ctx)
    if not is_name(text):
        raise Invalid("forms.need_name", person=False)
    return text


def _photo_name(ctx: Context, draft: Draft, path: str) -> str:
    """A photo has no name of its own: "minh-chung-<n>.jpg" (n: its place among the question's
    files) in exports and review, rather than the sha256 it is kept under."""
    suffix = PurePosixPath(path).suffix or ".jpg"
    n = len(draft.data.get("files") or []) + 1
    return ctx.label("forms.photo_file_name", n=n, suffix=suffix)


async def _file_value(f: FieldSpec, ctx: Context, draft: Draft) -> bool:
    """Take one file; True when the field is complete (limit reached)."""
    att = ctx.inbound.attachment
    if att is None or att.kind not in ("photo", "document"):
        raise Invalid("forms.need_photo" if f.kind == "photo" else "forms.need_file")
    if f.kind == "photo" and att.kind != "photo" and not (att.mime_type or "").startswith("image/"):
        raise Invalid("forms.need_photo")
    if att.too_big:
        raise Invalid("forms.file_too_big", size=round((att.size or 0) / 1024 / 1024, 1))
    if att.path is None or att.sha256 is None:
        raise Invalid("forms.file_not_received")
    attachment_id = await ctx.repos.answers.add_attachment(
        member_id=ctx.member.id if ctx.member else None,
        channel=ctx.inbound.channel.value,
        kind="photo" if att.kind == "photo" else "document",
        file_name=att.file_name or _photo_name(ctx, draft, att.path),
        mime_type=att.mime_type,
        size=att.size or 0,
        sha256=att.sha256,
        path=att.path,
        platform_file_id=att.file_id,
        now=ctx.now,
    )
    files: list[int] = draft.data.setdefault("files", [])
    files.append(attachment_id)
    return len(files) >= f.max_files


async def take(ctx: Context, spec: FormSpec, draft: Draft) -> None:
    """The person answered the current question: check it, keep it, ask the next."""
    found = next_field(spec, draft)
    if found is None:
        await ask(ctx, spec, draft)
        return
    f, in_group = found
    target = draft.entry if in_group and draft.entry is not None else draft.values
    choice = ctx.inbound.choice
    try:
        if choice == "f:-skip" and not f.required:
            target[f.name] = [] if f.kind in ("photo", "file") else None
        elif choice == "f:-keep" and f.name in draft.old:
            kept = draft.old[f.name]
            if f.kind == "number" and isinstance(kept, int | float):
                in_range(f, kept)  # kept from before the field's bounds changed
                outside_plan(ctx, f, kept)
            target[f.name] = kept
        elif choice == "f:-done" and f.kind in ("photo", "file"):
            target[f.name] = draft.data.pop("files", [])
        elif choice is not None and choice.startswith("f:-"):
            raise Invalid("forms.old_button")
        elif f.kind == "choice":
            target[f.name] = _choice_value(f, ctx)
        elif f.kind == "text" and f.name == NAME_FIELD:
            target[f.name] = _name_value(f, ctx)
        elif f.kind == "text":
            target[f.name] = _text_value(f, ctx)
        elif f.kind == "number":
            target[f.name] = _number_value(f, ctx)
            outside_plan(ctx, f, target[f.name])
        elif f.kind == "date":
            target[f.name] = _date_value(ctx)
        elif f.kind == "person":
            target[f.name] = _person_value(f, ctx)
        elif await _file_value(f, ctx, draft):
            files = draft.data.pop("files", [])
            ctx.say("forms.file_received", count=len(files))
            target[f.name] = files
        else:
            ctx.say("forms.file_received", count=len(draft.data.get("files", [])))
            await ask(ctx, spec, draft)
            return
    except Invalid as problem:
        ctx.say_with(problem.key, problem.values)
        await ask(ctx, spec, draft)
        return
    await ask(ctx, spec, draft)


async def more(ctx: Context, spec: FormSpec, draft: Draft) -> None:
    """After an entry: add another, drop the last, or finish."""
    choice = ctx.inbound.choice
    group = spec.group
    assert group is not None
    if choice == "f:-more":
        left = await quota_left(ctx, spec, draft)
        if len(draft.entries) >= group.max_items or (left is not None and left <= 0):
            ctx.say("forms.quota_full", unit_max=group.max_items, total_left=left)
            await after_fields(ctx, spec, draft)
            return
        draft.data["entry"] = {}
        await ask(ctx, spec, draft)
    elif choice == "f:-drop" and draft.entries:
        draft.entries.pop()
        await after_fields(ctx, spec, draft)
    elif choice == "f:-enough" and len(draft.entries) >= group.min_items:
        await confirm(ctx, spec, draft)
    else:
        ctx.say("forms.press_a_button")
        await after_fields(ctx, spec, draft)
