"""Reminders, computed from the database at a moment: before a deadline (default 7, 3, 1 days and
on the day), after it (every 2 days, 3 times), then the office and leaders get the list of late
units. Sent at the configured hour on working days, never in quiet hours, as one digest per
person per day, and never for a deadline already done.

The last day whose reminders were computed is recorded with the digests it queued. When the bot
comes back after being down, the reminder and escalation days it missed since then (at most
CATCH_UP_DAYS back) are caught up once, in the first digests it may send: one line per deadline
still open, never a digest per missed day, and nothing for a deadline done or cancelled
meanwhile."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.chat import Choice, Reply
from bot.deliveries import Recipient, queue, recipient, staff_recipients, unit_recipients
from bot.domain import Plan, ReminderPolicy, Role, Task
from bot.publishing import roll_forward
from bot.services import Services
from bot.settings import Settings
from bot.status import late_entry, plan_status, summarize
from bot.tasklines import TaskLine, in_sight, line, task_buttons
from bot.worktime import QuietHours, WorkCalendar
from storage.deadlines import DeadlineView

log = logging.getLogger(__name__)

DEFAULT_POLICY = ReminderPolicy()
FORM_FLOW = "form"  # handlers.forms.FLOW
FORM_NUDGE_AFTER = timedelta(days=1)
CATCH_UP_DAYS = 7  # how far back missed reminder days are looked for after the bot was down
LATE_UNITS = 40  # units the escalation lists by name; the rest are counted


@dataclass(frozen=True)
class ReminderSettings:
    at: time = time(8, 0)
    weekly_at: time = time(7, 30)  # the leaders' digest, on Mondays
    quiet: QuietHours = field(default_factory=QuietHours)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    policy: ReminderPolicy = DEFAULT_POLICY

    @classmethod
    def of(cls, settings: Settings) -> ReminderSettings:
        return cls(
            at=settings.remind_at,
            weekly_at=settings.weekly_digest_at,
            quiet=QuietHours.parse(settings.quiet_hours),
            calendar=WorkCalendar(
                skip_weekends=settings.skip_weekends,
                country=settings.holidays,
                extra=frozenset(settings.extra_holidays),
            ),
        )


def reminder_days(due: date, policy: ReminderPolicy, cal: WorkCalendar) -> dict[date, int]:
    """The days to remind on, each with its offset from the deadline in days (-3: three days
    before). A day off moves a reminder before the deadline earlier and one after it later; when
    two land on one day the one nearer the deadline is kept."""
    days: dict[date, int] = {}
    for n in sorted(set(policy.before), reverse=True):
        days[cal.previous_working(due - timedelta(days=n))] = -n
    for k in range(1, policy.after_times + 1):
        offset = k * policy.after_every
        days.setdefault(cal.next_working(due + timedelta(days=offset)), offset)
    return days


def escalation_day(due: date, policy: ReminderPolicy, cal: WorkCalendar) -> date | None:
    """After the last reminder to the unit, the office and leaders are told (next slot)."""
    if not policy.escalate or policy.after_every <= 0:
        return None
    return cal.next_working(due + timedelta(days=(policy.after_times + 1) * policy.after_every))


def catch_up_days(last: date | None, today: date, limit: int = CATCH_UP_DAYS) -> list[date]:
    """The days whose reminders were never computed: after `last` (the last day they were),
    before `today`, at most `limit` days back. Nothing when no day was ever recorded (a new
    database: nothing was missed)."""
    if last is None:
        return []
    first = max(last + timedelta(days=1), today - timedelta(days=limit))
    return [first + timedelta(days=n) for n in range((today - first).days)]


@dataclass(frozen=True)
class Digest:
    """One message for one person: their reminders of the day, or the late units for staff."""

    to: Recipient
    key: str
    kind: str  # "remind" | "late"
    reply: Reply
    lines: tuple[TaskLine, ...]
    missed: tuple[date, ...] = ()  # days the bot was down whose reminders this one catches up


class Reminders:
    def __init__(self, services: Services, settings: ReminderSettings | None = None) -> None:
        self.services = services
        self.settings = settings or ReminderSettings()

    def sending_time(self, moment: datetime) -> bool:
        s = self.settings
        local = moment.astimezone(self.services.clock.tz)
        return (
            s.calendar.working(local.date())
            and local.timetz().replace(tzinfo=None) >= s.at
            and not s.quiet.quiet(local)
        )

    async def _policies(self) -> dict[int, ReminderPolicy]:
        """The policy of each task: the task's own, else its plan's, else the default."""
        repos = self.services.repos
        out: dict[int, ReminderPolicy] = {}
        for plan in await repos.plans.published():
            for task in await repos.plans.tasks(plan.id):
                out[task.id] = _policy(task, plan, self.settings.policy)
        return out

    async def _published_on(self) -> dict[int, date]:
        """The day each published plan was published (a day before it owed no reminder)."""
        tz = self.services.clock.tz
        return {
            p.id: p.published_at.astimezone(tz).date()
            for p in await self.services.repos.plans.published()
            if p.published_at is not None
        }

    async def due_at(self, moment: datetime, *, since: date | None = None) -> list[Digest]:
        """What would be sent at `moment` (nothing is written). `since`: the last day whose
        reminders were computed; the days after it and before today (see `catch_up_days`) were
        missed, and what they owed that still matters joins today's digests."""
        if not self.sending_time(moment):
            return []
        today = moment.astimezone(self.services.clock.tz).date()
        missed = catch_up_days(since, today)
        cal = self.settings.calendar
        policies = await self._policies()
        published_on = await self._published_on() if missed else {}
        by_unit: dict[int, list[TaskLine]] = defaultdict(list)
        unit_missed: dict[int, set[date]] = defaultdict(set)
        late: list[DeadlineView] = []
        late_missed: set[date] = set()
        views = await self.services.repos.deadlines.open_in_published()
        # a repeating task's periods as /viec lists them: started ones and the next to come (a
        # long `before` could otherwise remind a period two ahead of the one under way)
        in_view = {v.deadline.id for v in in_sight(views, today)[0]}
        for view in views:
            due = view.deadline.due
            policy = policies.get(view.deadline.task_id)
            if due is None or policy is None:
                continue
            unit_id = view.deadline.unit_id
            start = published_on.get(view.plan_id)
            owed = [d for d in missed if start is None or d >= start]
            days = reminder_days(due, policy, cal) if view.deadline.id in in_view else {}
            if today in days:  # today's reminder supersedes any missed one
                by_unit[unit_id].append(line(view, today))
            elif skipped := [d for d in owed if d in days]:
                by_unit[unit_id].append(line(view, today))  # one line, however many missed
                unit_missed[unit_id].update(skipped)
            escalate = escalation_day(due, policy, cal)
            if escalate == today:
                late.append(view)
            elif escalate in owed:
                late.append(view)
                late_missed.add(escalate)
        digests: list[Digest] = []
        stamp = today.isoformat()
        for unit_id, lines in sorted(by_unit.items()):
            lines.sort(key=lambda ln: ln.days_left if ln.days_left is not None else 10**6)
            again = tuple(sorted(unit_missed.get(unit_id, ())))
            for to in await unit_recipients(self.services, unit_id):
                text = self.services.texts("reminders.digest", lines=lines, missed=again)
                reply = Reply(text=text, choices=task_buttons(self.services.texts, lines))
                key = f"remind:member={to.member.id}:date={stamp}"
                digests.append(Digest(to, key, "remind", reply, tuple(lines), again))
        if late:
            digests.extend(await self._late_digests(late, today, tuple(sorted(late_missed))))
        digests.extend(await self._unfinished_forms(moment))
        return digests

    async def _unfinished_forms(self, moment: datetime) -> list[Digest]:
        """One gentle reminder for a form left unfinished for a day (once per pause)."""
        repos = self.services.repos
        out = []
        stale = await repos.conversations.waiting(FORM_FLOW, moment - FORM_NUDGE_AFTER)
        for channel, external_id, updated_at in stale:
            m = await repos.members.by_identity(channel, external_id)
            if m is None:
                continue
            for identity in await repos.members.identities(m.id):
                if identity.channel == channel and identity.external_id == external_id:
                    to = Recipient(m, channel, identity.chat_id)
                    resume = Choice(self.services.texts.label("report.button_resume"), "rep:resume")
                    reply = Reply(
                        text=self.services.texts("reminders.unfinished_form"),
                        choices=((resume,),),
                    )
                    key = f"formwait:{channel}:{external_id}:{updated_at}"
                    out.append(Digest(to, key, "formwait", reply, ()))
        return out

    async def _late_digests(
        self, views: list[DeadlineView], today: date, missed: tuple[date, ...] = ()
    ) -> list[Digest]:
        entries = [await late_entry(self.services, view, today) for view in views]
        text = self.services.texts(
            "reminders.late_units", overdue=summarize(entries), shown=LATE_UNITS, missed=missed
        )
        lines = tuple(e.line for e in entries)
        stamp = today.isoformat()
        return [
            Digest(
                to,
                f"late:member={to.member.id}:date={stamp}",
                "late",
                Reply(text=text),
                lines,
                missed,
            )
            for to in await staff_recipients(self.services)
        ]

    async def weekly_at(self, moment: datetime) -> list[Digest]:
        """Monday's digest for leaders: how each published plan stands (can be turned off)."""
        local = moment.astimezone(self.services.clock.tz)
        quiet = self.settings.quiet.quiet(local)
        if local.weekday() != 0 or local.timetz().replace(tzinfo=None) < self.settings.weekly_at:
            return []
        if quiet:
            return []
        plans = await self.services.repos.plans.published()
        if not plans:
            return []
        today = local.date()
        overviews = [(p, await plan_status(self.services, p, today)) for p in plans]
        text = self.services.texts("reminders.weekly", overviews=overviews, today=today)
        off = Choice(self.services.texts.label("reminders.button_weekly_off"), "wk:off")
        reply = Reply(text=text, choices=((off,),))
        year, week, _ = today.isocalendar()
        out = []
        for m in await self.services.repos.members.weekly_readers(Role.LEADER):
            to = await recipient(self.services, m)
            if to is not None:
                out.append(
                    Digest(to, f"weekly:member={m.id}:week={year}-{week:02d}", "weekly", reply, ())
                )
        return out

    async def tick(self, moment: datetime | None = None) -> int:
        """Queue what is due now; a digest already queued today is not queued again. The day's
        first tick rolls open-ended repeating tasks forward (`roll_forward`, once a day, in its
        own transaction). The first tick at a sending time of a day also catches up the days
        missed since the last one that was recorded, and records this day with the digests (one
        transaction): a restart neither loses a day nor sends one twice."""
        moment = moment or self.services.clock.now()
        deadlines = self.services.repos.deadlines
        today = moment.astimezone(self.services.clock.tz).date()
        if await deadlines.rolled_on() != today:
            try:  # before the day's reminders are computed; a failure must not stop them
                await roll_forward(self.services, moment)
            except Exception:
                log.exception("rolling repeating tasks forward failed; the next tick tries again")
        last = await deadlines.reminders_computed_on()
        digests = await self.due_at(moment, since=last) + await self.weekly_at(moment)
        record = last != today and self.sending_time(moment)
        queued = 0
        async with self.services.db.transaction():
            for d in digests:
                queued += int(await queue(self.services, d.to, d.key, d.kind, d.reply, priority=4))
            if record:
                await deadlines.record_reminders_computed(today, moment)
        if queued:
            self.services.notifier.queued()
        return queued


def _policy(task: Task, plan: Plan, default: ReminderPolicy) -> ReminderPolicy:
    return task.policy or plan.policy or default
