"""How a plan stands: for each task, how many units have done it, are doing it, have not started,
are late; nominations against quota; the late units with their secretaries; a chart.

A repeating task is counted on its current period (how does this month stand), and its earlier
periods still overdue are told beside it: /chuabaocao and the reminders count every late
deadline, so every view of the plan tells the same story."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.deliveries import unit_recipients
from bot.domain import Plan, Repeat, Task
from bot.services import Services
from bot.tasklines import TaskLine, line, state_of
from storage.deadlines import DeadlineView

STATES = ("done", "in_progress", "pending", "late")


@dataclass(frozen=True)
class EarlierLate:
    """An earlier period of a repeating task, and how many units are overdue on it."""

    period: str
    units: int


@dataclass(frozen=True)
class TaskStatus:
    task: Task
    period: str
    counts: dict[str, int]
    nominated: int | None  # entries sent (nomination-like forms)
    earlier: tuple[EarlierLate, ...] = ()  # periods before `period` still overdue, in order

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def earlier_late(self) -> int:
        """Overdue deadlines of the earlier periods (one per unit and period)."""
        return sum(e.units for e in self.earlier)


@dataclass(frozen=True)
class UnitState:
    unit_name: str
    state: str
    people: tuple[str, ...]
    reachable: bool


@dataclass(frozen=True)
class UnitBehind:
    """A unit and the earlier periods of a repeating task it is still overdue on."""

    unit_name: str
    periods: tuple[str, ...]


@dataclass(frozen=True)
class TaskUnits:
    """One task's units: by state on its current period, and those overdue on earlier ones."""

    period: str
    grouped: dict[str, list[UnitState]]
    behind: list[UnitBehind]


@dataclass
class LateUnit:
    line: TaskLine
    unit_id: int
    secretaries: list[dict[str, object]] = field(default_factory=list)  # name, reachable


def current_period(counts_periods: set[str], started: str | None) -> str:
    """A repeating task is judged on its latest started period (else its first)."""
    if "" in counts_periods or not counts_periods:
        return ""
    if started in counts_periods:
        return started
    return min(counts_periods)


def earlier_late(
    by_period: Mapping[str, Mapping[str, int]], current: str
) -> tuple[EarlierLate, ...]:
    """The periods before `current` with overdue deadlines (state counts by period, 'late'
    apart), oldest first. Nothing for a task that does not repeat (period '')."""
    if not current:
        return ()
    return tuple(
        EarlierLate(p, by_period[p]["late"])
        for p in sorted(by_period)
        if p and p < current and by_period[p].get("late", 0) > 0
    )


def _by_task(
    rows: Iterable[tuple[int, str, str, int]],
) -> dict[int, dict[str, dict[str, int]]]:
    by_task: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for task_id, period, state, count in rows:
        by_task[task_id][period][state] = count
    return by_task


async def plan_status(services: Services, plan: Plan, today: date) -> list[TaskStatus]:
    repos = services.repos
    rows = await repos.deadlines.state_counts(plan.id, today)
    tasks = await repos.plans.tasks(plan.id)
    repeating = any(t.repeat is not Repeat.NONE for t in tasks)
    started = await repos.deadlines.periods_started(plan.id, today) if repeating else {}
    by_task = _by_task(rows)
    out = []
    for task in tasks:
        periods = by_task.get(task.id, {})
        period = current_period(set(periods), started.get(task.id))
        counts = {s: periods.get(period, {}).get(s, 0) for s in STATES}
        nominated = None
        if task.form == "nomination" or task.quota.total is not None:
            nominated = await repos.answers.entries_for_task(task.id)
        out.append(TaskStatus(task, period, counts, nominated, earlier_late(periods, period)))
    return out


async def task_units(services: Services, task: Task, today: date) -> TaskUnits:
    """The units of a task grouped by state (current period of a repeating task), and the units
    still overdue on its earlier periods, with those periods."""
    repos = services.repos
    views = await repos.deadlines.for_task(task.id)
    started = (await repos.deadlines.periods_started(task.plan_id, today)).get(task.id)
    period = current_period({v.deadline.period for v in views}, started)
    grouped: dict[str, list[UnitState]] = {s: [] for s in STATES}
    behind: dict[str, list[str]] = {}  # unit name -> earlier periods overdue (views: by unit)
    for view in views:
        if period and view.deadline.period < period:
            if state_of(view, today) == "late":
                behind.setdefault(view.unit_name, []).append(view.deadline.period)
            continue
        if view.deadline.period != period:
            continue
        people = await unit_recipients(services, view.deadline.unit_id)
        identities_ok = True
        for p in people:
            ids = await repos.members.identities(p.member.id)
            identities_ok = identities_ok and any(i.reachable for i in ids)
        grouped[state_of(view, today)].append(
            UnitState(
                view.unit_name,
                state_of(view, today),
                tuple(p.member.full_name for p in people),
                identities_ok and bool(people),
            )
        )
    return TaskUnits(
        period,
        grouped,
        [UnitBehind(name, tuple(sorted(periods))) for name, periods in behind.items()],
    )


async def late_units(services: Services, today: date) -> list[LateUnit]:
    """Every deadline past due and not done, in published plans, with the unit's people."""
    views = await services.repos.deadlines.open_in_published()
    return [await late_entry(services, v, today) for v in views if v.deadline.late(today)]


async def late_entry(services: Services, view: DeadlineView, today: date) -> LateUnit:
    """A late deadline with the unit's secretaries and whether the bot can reach them."""
    entry = LateUnit(line(view, today), view.deadline.unit_id)
    for to in await unit_recipients(services, view.deadline.unit_id):
        ids = await services.repos.members.identities(to.member.id)
        entry.secretaries.append(
            {"name": to.member.full_name, "reachable": any(i.reachable for i in ids)}
        )
    return entry


def _draw_chart(
    rows: list[tuple[str, dict[str, int]]], labels: dict[str, str], title: str, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    colours = {"done": "#2e7d32", "in_progress": "#f9a825", "pending": "#9e9e9e", "late": "#c62828"}
    height = max(2.5, 0.45 * len(rows) + 1.5)
    fig, ax = plt.subplots(figsize=(8, height), dpi=110)
    names = [r[0] for r in rows][::-1]
    left = [0] * len(rows)
    for state in STATES:
        values = [r[1].get(state, 0) for r in rows][::-1]
        ax.barh(names, values, left=left, color=colours[state], label=labels[state])
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_title(title, fontsize=11)
    ax.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.02 + 0.3 / height),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    ax.spines[["top", "right"]].set_visible(False)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


async def chart(statuses: list[TaskStatus], labels: dict[str, str], title: str, path: Path) -> Path:
    """A stacked bar per task, drawn in a thread (matplotlib is slow and blocking)."""
    rows = [(s.task.ref, s.counts) for s in statuses]
    await asyncio.to_thread(_draw_chart, rows, labels, title, path)
    return path
