"""How a plan stands: for each task, how many units have done it, are doing it, have not started,
are late; nominations against quota; the late units with their secretaries; a chart.

A repeating task is counted on its current period (how does this month stand), and its earlier
periods still overdue are told beside it: /chuabaocao and the reminders count every late
deadline, so every view of the plan tells the same story.

The late deadlines are read the way the office acts on them (`summarize`): each task once, with
its late periods and how many units owe each, then each unit once, with what it owes (a repeating
task's periods folded: "tháng 1–3/2024") and who can be told."""

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


@dataclass(frozen=True)
class Contact:
    member_id: int
    name: str
    reachable: bool  # False: the bot cannot reach them (blocked it)


@dataclass
class LateUnit:
    line: TaskLine
    unit_id: int
    secretaries: list[Contact] = field(default_factory=list)  # the unit's registered people


@dataclass(frozen=True)
class PeriodRun:
    """Periods of one kind in one year, folded for a sentence: `spans` are runs of numbers, a
    run of three or more as (first, last), shorter ones one by one: months 1, 2, 3, 5 of 2024
    are ((1, 3), (5, 5)), "tháng 1–3, 5/2024". `keys`: the periods themselves (one alone is
    shown as any period is). Years are kind 'year' with `year` 0."""

    kind: str  # month | week | quarter | year
    year: int
    spans: tuple[tuple[int, int], ...]
    keys: tuple[str, ...]


def _period_parts(key: str) -> tuple[str, int, int]:
    if "-W" in key:
        year, number = key.split("-W")
        return "week", int(year), int(number)
    if "-Q" in key:
        year, number = key.split("-Q")
        return "quarter", int(year), int(number)
    if "-" in key:
        year, number = key.split("-")
        return "month", int(year), int(number)
    return "year", 0, int(key)


def fold_periods(keys: Iterable[str]) -> tuple[PeriodRun, ...]:
    """A repeating task's periods, oldest first, folded by kind and year (see PeriodRun)."""
    groups: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for key in sorted(set(keys)):
        if not key:
            continue
        kind, year, number = _period_parts(key)
        groups.setdefault((kind, year), []).append((number, key))
    out = []
    for (kind, year), numbered in groups.items():
        runs: list[list[int]] = []
        for number, _ in numbered:
            if runs and number == runs[-1][-1] + 1:
                runs[-1].append(number)
            else:
                runs.append([number])
        spans: list[tuple[int, int]] = []
        for run in runs:
            spans.extend([(run[0], run[-1])] if len(run) >= 3 else [(n, n) for n in run])
        out.append(PeriodRun(kind, year, tuple(spans), tuple(k for _, k in numbered)))
    return tuple(out)


@dataclass(frozen=True)
class LatePeriods:
    """Consecutive late periods of a task with as many units late on each: "tháng 2–4/2024
    (11 đơn vị)"."""

    periods: tuple[PeriodRun, ...]
    units: int


def late_periods(units_by_period: Mapping[str, int]) -> tuple[LatePeriods, ...]:
    """Periods in order, those next to each other with the same count of late units together."""
    groups: list[tuple[list[str], int]] = []
    for period, units in sorted(units_by_period.items()):
        if groups and groups[-1][1] == units:
            groups[-1][0].append(period)
        else:
            groups.append(([period], units))
    return tuple(LatePeriods(fold_periods(keys), units) for keys, units in groups)


@dataclass(frozen=True)
class OverdueTask:
    """A task with late deadlines: how many units are late on it; a repeating task's late
    periods with the units late on each; a task that does not repeat, its deadline."""

    plan_number: str
    ref: str
    title: str
    units: int
    periods: tuple[LatePeriods, ...]  # () for a task that does not repeat
    due: date | None
    days_late: int  # the longest


@dataclass(frozen=True)
class Owed:
    """What one unit owes on one task: the late periods of a repeating task (folded), else the
    task's deadline."""

    plan_number: str
    ref: str
    title: str
    periods: tuple[PeriodRun, ...]
    due: date | None
    days_late: int  # the longest


@dataclass(frozen=True)
class OverdueUnit:
    unit_id: int
    unit_name: str
    owed: tuple[Owed, ...]
    people: tuple[Contact, ...]  # secretary and deputies registered

    @property
    def reachable(self) -> bool:
        """Someone registered for the unit can be sent a message."""
        return any(p.reachable for p in self.people)


@dataclass(frozen=True)
class Overdue:
    """The late deadlines, each task once and each unit once (oldest deadline first)."""

    tasks: tuple[OverdueTask, ...]
    units: tuple[OverdueUnit, ...]
    plans: int  # how many plans they come from (more than one: the tasks name their plan)


def summarize(entries: Iterable[LateUnit]) -> Overdue:
    """Late deadlines (`late_units`, `late_entry`) as the office reads them: per task and per
    unit, in the order of their oldest late deadline."""
    by_task: dict[tuple[str, str], list[LateUnit]] = {}
    by_unit: dict[int, dict[tuple[str, str], list[LateUnit]]] = {}
    for e in entries:
        key = (e.line.plan_number, e.line.ref)
        by_task.setdefault(key, []).append(e)
        by_unit.setdefault(e.unit_id, {}).setdefault(key, []).append(e)
    tasks = []
    for (number, ref), late in by_task.items():
        per_period: dict[str, set[int]] = defaultdict(set)
        for e in late:
            if e.line.period:
                per_period[e.line.period].add(e.unit_id)
        first = late[0].line
        tasks.append(
            OverdueTask(
                number,
                ref,
                first.title,
                len({e.unit_id for e in late}),
                late_periods({p: len(u) for p, u in per_period.items()}),
                None if first.period else first.due,
                _days_late(late),
            )
        )
    units = []
    for unit_id, owed_by_task in by_unit.items():
        owed = []
        for (number, ref), late in owed_by_task.items():
            first = late[0].line
            owed.append(
                Owed(
                    number,
                    ref,
                    first.title,
                    fold_periods(e.line.period for e in late),
                    None if first.period else first.due,
                    _days_late(late),
                )
            )
        entry = next(iter(owed_by_task.values()))[0]
        units.append(
            OverdueUnit(unit_id, entry.line.unit_name, tuple(owed), tuple(entry.secretaries))
        )
    return Overdue(tuple(tasks), tuple(units), len({number for number, _ in by_task}))


def _days_late(entries: list[LateUnit]) -> int:
    return max(-(e.line.days_left or 0) for e in entries)


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
            Contact(to.member.id, to.member.full_name, any(i.reachable for i in ids))
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
