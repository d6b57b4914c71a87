"""How a deadline is presented to a person: the plan's words for the window, days left, state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.chat import Choice
from bot.domain import DeadlineState
from messages import Texts
from storage.deadlines import DeadlineView

MAX_BUTTON_TASKS = 20  # tasks given buttons in one message (a keyboard holds ~100)


@dataclass(frozen=True)
class TaskLine:
    deadline_id: int
    ref: str
    title: str
    when: str  # the plan's words, or '' (the template then shows the due date)
    period: str
    due: date | None
    days_left: int | None  # negative: late by that many days
    state: str  # pending | in_progress | done | late
    plan_number: str
    unit_name: str
    # the unit's answer: submitted | accepted | returned, or '' (none, or withdrawn)
    answer: str = ""


def state_of(view: DeadlineView, today: date) -> str:
    d = view.deadline
    if d.state is DeadlineState.DONE:
        return "done"
    if d.late(today):
        return "late"
    return d.state.value


def line(view: DeadlineView, today: date, answer: str = "") -> TaskLine:
    d = view.deadline
    return TaskLine(
        deadline_id=d.id,
        ref=view.task_ref,
        title=view.task_title,
        when=view.when_words if not d.period else "",
        period=d.period,
        due=d.due,
        days_left=(d.due - today).days if d.due else None,
        state=state_of(view, today),
        plan_number=view.plan_number,
        unit_name=view.unit_name,
        answer=answer,
    )


def in_sight(views: list[DeadlineView], today: date) -> tuple[list[DeadlineView], int]:
    """What a list of a unit's deadlines shows: of a repeating task, the periods that have
    started (open or late) and only the next one to come, not a year of months ahead (24 rows
    of buttons on a phone); a task that does not repeat, always. Also how many later periods
    were left out (each comes into sight when the one before it starts)."""
    next_start: dict[tuple[int, int], date] = {}
    for v in views:
        d = v.deadline
        if d.period and d.start is not None and d.start > today:
            key = (d.task_id, d.unit_id)
            next_start[key] = min(d.start, next_start.get(key, d.start))
    shown = [
        v
        for v in views
        if not v.deadline.period
        or v.deadline.start is None
        or v.deadline.start <= today
        or v.deadline.start == next_start[(v.deadline.task_id, v.deadline.unit_id)]
    ]
    return shown, len(views) - len(shown)


def sent_in_sight(views: list[DeadlineView], today: date) -> list[DeadlineView]:
    """What a list shows of a unit's sent answers: a task that does not repeat, always; of a
    repeating task, the periods not over yet (their answer can still be changed) and its latest
    one, not every month answered since the start."""
    latest: dict[tuple[int, int], str] = {}
    for v in views:
        d = v.deadline
        if d.period:
            key = (d.task_id, d.unit_id)
            latest[key] = max(d.period, latest.get(key, d.period))
    return [
        v
        for v in views
        if not v.deadline.period
        or v.deadline.due is None
        or v.deadline.due >= today
        or v.deadline.period == latest[(v.deadline.task_id, v.deadline.unit_id)]
    ]


def report_button(texts: Texts, ln: TaskLine) -> Choice:
    """The button that opens a deadline's form, "📝 Báo cáo II.6"; a repeating task's names its
    period ("📝 Báo cáo II.2.a · tháng 4/2024")."""
    return Choice(
        texts.label("tasks.button_report", ref=ln.ref, period=ln.period), f"rep:{ln.deadline_id}"
    )


def sent_buttons(texts: Texts, lines: list[TaskLine]) -> tuple[tuple[Choice, ...], ...]:
    """A button per sent answer, "👁 Xem II.6", that shows it with what can still be done with
    it (edit, withdraw: /baocao's view); two to a row, a repeating task's (naming its period)
    a row each."""
    out: list[tuple[Choice, ...]] = []
    pair: list[Choice] = []
    for ln in lines:
        see = Choice(
            texts.label("tasks.button_see", ref=ln.ref, period=ln.period),
            f"rep:{ln.deadline_id}",
        )
        if pair and (ln.period or len(pair) == 2):
            out.append(tuple(pair))
            pair = []
        if ln.period:
            out.append((see,))
        else:
            pair.append(see)
    if pair:
        out.append(tuple(pair))
    return tuple(out)


def task_buttons(texts: Texts, lines: list[TaskLine]) -> tuple[tuple[Choice, ...], ...]:
    """Buttons for each open task: report on it, or see its details. A repeating task's buttons
    name their period ("📝 Báo cáo II.2.a · tháng 4/2024"); too long to share a row on a phone
    screen without being cut, they take a row each."""
    out: list[tuple[Choice, ...]] = []
    shown = 0
    for ln in lines:
        if ln.state == "done":
            continue
        if shown == MAX_BUTTON_TASKS:
            break
        shown += 1
        report = report_button(texts, ln)
        details = Choice(
            texts.label("tasks.button_details", ref=ln.ref, period=ln.period),
            f"task:{ln.deadline_id}",
        )
        out.extend(((report,), (details,)) if ln.period else ((report, details),))
    return tuple(out)
