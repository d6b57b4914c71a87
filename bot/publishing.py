"""Publishing a plan: each unit in a task's audience owes a deadline (one per period for a repeating
task) and its secretary and deputies get one tidy message with all their tasks. Amending a
published plan tells each affected unit what changed, once per revision. A repeating task with no
end is rolled forward once a day, so its units always owe periods ahead."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.chat import Reply
from bot.deliveries import Recipient, queue, recipient, unit_recipients
from bot.domain import Member, Plan, PlanStatus, Repeat, Task, Unit
from bot.periods import periods
from bot.services import Services
from bot.tasklines import in_sight, line, task_buttons
from messages import vn_date
from storage.deadlines import NewDeadline
from storage.plans import NewPlan, NewTask


class PublishError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # a key of messages/vi/publish.j2


@dataclass(frozen=True)
class PublishSummary:
    units: int
    deadlines: int
    messages: int


@dataclass
class AmendSummary:
    added: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    messages: int = 0


async def audience_units(services: Services, task: Task) -> list[Unit]:
    """The units that owe the task. `all` means the grassroots units (đảng bộ cơ sở, chi bộ cơ
    sở): a chi bộ under a đảng bộ cơ sở reports to its đảng bộ, which answers for it; kinds or
    codes name such a chi bộ when a task is meant for it too."""
    units = await services.repos.units.all()
    aud = task.audience
    if aud.all:
        return grassroots(units)
    if aud.kinds:
        return [u for u in units if u.kind in aud.kinds]
    wanted = {c.upper() for c in aud.units}
    return [u for u in units if u.code.upper() in wanted]


def grassroots(units: list[Unit]) -> list[Unit]:
    """The reporting units with no reporting unit above them."""
    by_id = {u.id: u for u in units}

    def under_reporting(unit: Unit) -> bool:
        seen = {unit.id}
        parent = by_id.get(unit.parent_id) if unit.parent_id is not None else None
        while parent is not None and parent.id not in seen:
            if parent.kind.reports:
                return True
            seen.add(parent.id)
            parent = by_id.get(parent.parent_id) if parent.parent_id is not None else None
        return False

    return [u for u in units if u.kind.reports and not under_reporting(u)]


def _origin(services: Services, plan: Plan) -> date:
    """What stands in for an open start: the plan's date, else the day it was published (the
    publish day itself while publishing)."""
    if plan.issued is not None:
        return plan.issued
    if plan.published_at is not None:
        return plan.published_at.astimezone(services.clock.tz).date()
    return services.clock.now().date()


def _open_ended(task: Task) -> bool:
    return task.repeat is not Repeat.NONE and task.due is None


async def _make_deadlines(services: Services, plan: Plan, task: Task) -> tuple[list[int], set[int]]:
    """Create or move the task's deadlines; returns their ids and the units concerned. A task
    with no end keeps the periods it has rolled to (amending does not cancel them)."""
    today = services.clock.now().date()
    through = await services.repos.deadlines.latest_start(task.id) if _open_ended(task) else None
    units = await audience_units(services, task)
    items = [
        NewDeadline(task.id, unit.id, p.key, p.start, p.due)
        for unit in units
        for p in periods(
            task.repeat, task.start, task.due, _origin(services, plan), today, through=through
        )
    ]
    ids = await services.repos.deadlines.upsert(items)
    return ids, {u.id for u in units}


async def roll_forward(services: Services, now: datetime | None = None) -> int:
    """Once a day: a repeating task with no end ("thường xuyên") runs on, so each unit of its
    audience gets the periods that have come within MAX_OPEN_PERIODS of today (bot/periods.py).
    Only periods not over yet are made, never one that exists (answered, cancelled or not);
    cancelled tasks and plans no longer published are left alone. Nobody is told: a period
    comes into /viec and the reminders when its turn comes. One transaction, recorded with the
    day and, when something was made, one audit entry; a second run makes nothing. Returns how
    many deadlines were made."""
    repos = services.repos
    now = now or services.clock.now()
    today = now.astimezone(services.clock.tz).date()
    made = 0
    tasks: list[str] = []
    plan_ids: list[int] = []
    async with services.db.transaction():
        for plan in await repos.plans.published():
            origin = _origin(services, plan)
            for task in await repos.plans.tasks(plan.id):
                if not _open_ended(task):
                    continue
                ahead = [
                    p
                    for p in periods(task.repeat, task.start, None, origin, today)
                    if p.due is not None and p.due >= today
                ]
                units = await audience_units(services, task)
                items = [
                    NewDeadline(task.id, u.id, p.key, p.start, p.due) for u in units for p in ahead
                ]
                new = await repos.deadlines.add_missing(items)
                if new:
                    made += len(new)
                    tasks.append(f"{plan.number} {task.ref}")
                    if plan.id not in plan_ids:
                        plan_ids.append(plan.id)
        await repos.deadlines.record_rolled(today, now)
        if made:
            await repos.audit.record("roll", None, now, plans=plan_ids, tasks=tasks, deadlines=made)
    return made


async def publish(services: Services, plan: Plan, *, by: int | None = None) -> PublishSummary:
    """Publish a draft; `by` is the member who did it (None: the command line), for the audit."""
    if plan.status is PlanStatus.PUBLISHED:
        raise PublishError("already_published")
    repos = services.repos
    async with services.db.transaction():
        tasks = await repos.plans.tasks(plan.id)
        if not tasks:
            raise PublishError("no_tasks")
        count = 0
        unit_ids: set[int] = set()
        for task in tasks:
            ids, units = await _make_deadlines(services, plan, task)
            count += len(ids)
            unit_ids |= units
        await repos.plans.mark_published(plan.id, services.clock.now())
        published = await repos.plans.get(plan.id)
        assert published is not None
        messages = 0
        for unit_id in sorted(unit_ids):
            for to in await unit_recipients(services, unit_id):
                messages += await _push(services, published, to)
        await repos.audit.record(
            "publish", by, services.clock.now(), plan=plan.id, units=len(unit_ids), deadlines=count
        )
    services.notifier.queued()
    return PublishSummary(units=len(unit_ids), deadlines=count, messages=messages)


async def _push(services: Services, plan: Plan, to: Recipient, *, requested: bool = False) -> int:
    """Queue the unit's tasks of this plan for one person; 0 if they had it already."""
    today = services.clock.now().date()
    views = [
        v
        for v in await services.repos.deadlines.for_unit(to.member.unit_id, open_only=False)
        if v.plan_id == plan.id
    ]
    if not views:
        return 0
    unit = await services.repos.units.get(to.member.unit_id)
    views, later = in_sight(views, today)
    lines = [line(v, today) for v in views]
    text = services.texts(
        "tasks.push",
        plan=plan,
        unit=unit.name if unit else "",
        lines=lines,
        later=later,
    )
    reply = Reply(text=text, choices=task_buttons(services.texts, lines))
    key = f"push:plan={plan.id}:member={to.member.id}"
    return int(await queue(services, to, key, "push", reply, priority=3, requested=requested))


async def welcome(services: Services, member: Member) -> int:
    """A member who registers after a plan was published gets its tasks too (same key: once),
    at once: they have just registered, so quiet hours do not hold them."""
    to = await recipient(services, member)
    if to is None or not member.role.answers_for_unit:
        return 0
    sent = 0
    for plan in await services.repos.plans.published():
        sent += await _push(services, plan, to, requested=True)
    return sent


def _differs(old: Task, new: NewTask) -> bool:
    return (
        old.title != new.title
        or old.details != new.details
        or old.audience != new.audience
        or old.repeat is not new.repeat
        or old.form != new.form
        or old.quota != new.quota
        or old.lead_unit_id != new.lead_unit_id
        or old.support != new.support
        or old.policy != new.policy
    )


def _window_moved(old: Task, new: NewTask) -> bool:
    return old.start != new.start or old.due != new.due or old.when_words != new.when_words


async def amend(
    services: Services, plan: Plan, new: NewPlan, *, by: int | None = None
) -> AmendSummary:
    """Apply a new version of a published plan and tell each affected unit what changed."""
    if plan.status is not PlanStatus.PUBLISHED:
        raise PublishError("not_published")
    repos = services.repos
    now = services.clock.now()
    summary = AmendSummary()
    changes: dict[int, list[dict[str, object]]] = defaultdict(list)  # unit id -> changes
    async with services.db.transaction():
        old_tasks = {t.ref: t for t in await repos.plans.tasks(plan.id, include_cancelled=True)}
        position = max((t.position for t in old_tasks.values()), default=0) + 1
        touched: list[tuple[int, str, Task | None]] = []  # task id, kind, old
        for new_task in new.tasks:
            old = old_tasks.get(new_task.ref)
            if old is None or old.cancelled:
                if old is None:
                    [task_id] = await repos.plans.insert_tasks(
                        plan.id, [new_task], start_position=position
                    )
                    position += 1
                else:
                    task_id = old.id
                    await repos.plans.update_task(task_id, new_task)
                touched.append((task_id, "added", None))
                summary.added.append(new_task.ref)
            elif _window_moved(old, new_task) or _differs(old, new_task):
                await repos.plans.update_task(old.id, new_task)
                kind = "moved" if _window_moved(old, new_task) else "changed"
                touched.append((old.id, kind, old))
                (summary.moved if kind == "moved" else summary.changed).append(new_task.ref)
        new_refs = {t.ref for t in new.tasks}
        for ref, old in old_tasks.items():
            if ref not in new_refs and not old.cancelled:
                await repos.plans.cancel_task(old.id, now)
                for unit_id in await repos.deadlines.cancel_except(old.id, [], now):
                    changes[unit_id].append({"kind": "cancelled", "ref": ref, "title": old.title})
                summary.cancelled.append(ref)
        for task_id, kind, old in touched:
            task = await repos.plans.task(task_id)
            assert task is not None
            ids, units = await _make_deadlines(services, plan, task)
            dropped = await repos.deadlines.cancel_except(task_id, ids, now)
            for unit_id in dropped:
                changes[unit_id].append({"kind": "cancelled", "ref": task.ref, "title": task.title})
            for unit_id in units:
                changes[unit_id].append(
                    {
                        "kind": kind,
                        "ref": task.ref,
                        "title": task.title,
                        "old": _window_words(old) if old else "",
                        "new": _window_words(task),
                    }
                )
        if not (summary.added or summary.moved or summary.changed or summary.cancelled):
            return summary
        await repos.plans.mark_published(plan.id, now, bump=True)
        revised = await repos.plans.get(plan.id)
        assert revised is not None
        for unit_id, items in sorted(changes.items()):
            text = services.texts("tasks.amended", plan=revised, changes=items)
            for to in await unit_recipients(services, unit_id):
                key = f"amend:plan={plan.id}:rev={revised.revision}:member={to.member.id}"
                summary.messages += int(await queue(services, to, key, "amend", Reply(text=text)))
        await repos.audit.record(
            "amend",
            by,
            now,
            plan=plan.id,
            revision=revised.revision,
            added=summary.added,
            moved=summary.moved,
            changed=summary.changed,
            cancelled=summary.cancelled,
        )
    services.notifier.queued()
    return summary


def _window_words(task: Task) -> str:
    if task.when_words:
        return task.when_words
    return vn_date(task.due) if task.due else ""
