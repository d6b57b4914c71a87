"""Broadcasts: the office writes once, chooses who gets it (all secretaries, the units that have
not answered a task, the units under a đảng bộ, a list of units), sees how many, confirms; the
messages go through the outbox, and when all have an outcome the author gets a delivery report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.chat import Reply
from bot.deliveries import Recipient, queue, recipient, unit_recipients
from bot.domain import Member, Unit
from bot.services import Services
from storage.answers import AnswerStatus
from storage.broadcasts import Broadcast

TEXT_MAX = 3000


def split_codes(text: str) -> tuple[str, ...]:
    """Unit codes as typed: "CBVP, CBBAO", "CBVP CBBAO", "CBVP; CBBAO" (mixed too)."""
    return tuple(c for c in re.split(r"[\s,;]+", text) if c)


class AudienceError(ValueError):
    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key  # a message of messages/vi/broadcast.j2
        self.values = values


@dataclass(frozen=True)
class Audience:
    kind: str  # "all" | "not_answered" | "under" | "units"
    task_id: int | None = None
    unit_code: str | None = None
    codes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "task_id": self.task_id,
            "unit_code": self.unit_code,
            "codes": list(self.codes),
        }

    @classmethod
    def parse(cls, text: str) -> Audience:
        """The command line's --to: all | not-answered:TASK_ID | under:CODE | units:A,B (or A B,
        A;B)."""
        kind, _, rest = text.strip().partition(":")
        kind = kind.lower().replace("-", "_")
        if kind == "all" and not rest:
            return cls("all")
        if kind == "not_answered" and rest.isdigit():
            return cls("not_answered", task_id=int(rest))
        if kind == "under" and rest:
            return cls("under", unit_code=rest.strip())
        if kind == "units" and split_codes(rest):
            return cls("units", codes=split_codes(rest))
        raise AudienceError("bad_audience", text=text)


async def _units(services: Services, audience: Audience) -> list[Unit]:
    repos = services.repos
    units = await repos.units.all()
    if audience.kind == "all":
        return [u for u in units if u.kind.reports]
    if audience.kind == "under":
        top = await repos.units.by_code(audience.unit_code or "")
        if top is None:
            raise AudienceError("unknown_unit", code=audience.unit_code)
        return [u for u in await repos.units.descendants(top.id) if u.kind.reports]
    if audience.kind == "units":
        # codes as typed, in any case; every unknown one named at once, with the known ones
        by_code = {u.code.casefold(): u for u in units}
        unknown = [c for c in audience.codes if c.casefold() not in by_code]
        if unknown:
            known = [u.code for u in units if u.kind.reports]
            raise AudienceError("unknown_units", codes=unknown, known=known)
        found = [by_code[c.casefold()] for c in audience.codes]
        return list({u.id: u for u in found}.values())
    if audience.kind == "not_answered":
        task = await repos.plans.task(audience.task_id or 0)
        if task is None:
            raise AudienceError("unknown_task")
        answered = {
            a.unit_id
            for a in await repos.answers.for_task(task.id)
            if a.status is not AnswerStatus.WITHDRAWN
        }
        concerned = {v.deadline.unit_id for v in await repos.deadlines.for_task(task.id)}
        return [u for u in units if u.id in concerned - answered]
    raise AudienceError("bad_audience", text=audience.kind)


async def recipients(services: Services, audience: Audience) -> list[Recipient]:
    """Everyone the broadcast would reach: secretaries and deputies of the chosen units."""
    out: list[Recipient] = []
    for unit in await _units(services, audience):
        out.extend(await unit_recipients(services, unit.id))
    return out


async def send(
    services: Services, author: Member | None, text: str, audience: Audience
) -> Broadcast:
    """Queue the broadcast for everyone it reaches; the caller holds no transaction."""
    text = text.strip()
    if not text:
        raise AudienceError("empty_text")
    if len(text) > TEXT_MAX:
        raise AudienceError("text_too_long", length=len(text), limit=TEXT_MAX)
    now = services.clock.now()
    async with services.db.transaction():
        people = await recipients(services, audience)
        broadcast = await services.repos.broadcasts.create(
            author.id if author else None, text, audience.as_json(), len(people), now
        )
        reply = Reply(text=services.texts("broadcast.message", text=text))
        for to in people:
            key = f"broadcast:{broadcast.id}:member={to.member.id}"
            await queue(services, to, key, "broadcast", reply, priority=6, batch=broadcast.batch)
        await services.repos.audit.record(
            "broadcast",
            author.id if author else None,
            now,
            broadcast=broadcast.id,
            audience=audience.as_json(),
            recipients=len(people),
        )
    services.notifier.queued()
    return broadcast


async def report_finished(services: Services) -> int:
    """Tell each author whose broadcast has finished how it went (once); returns how many."""
    told = 0
    for broadcast in await services.repos.broadcasts.unreported_done():
        async with services.db.transaction():
            if not await services.repos.broadcasts.mark_reported(
                broadcast.id, services.clock.now()
            ):
                continue
            if broadcast.author_id is None:
                continue
            author = await services.repos.members.get(broadcast.author_id)
            to = await recipient(services, author) if author else None
            if to is None:
                continue
            deliveries = await services.repos.broadcasts.deliveries(broadcast)
            text = services.texts("broadcast.report", broadcast=broadcast, deliveries=deliveries)
            key = f"broadcast-report:{broadcast.id}"
            # the author's own broadcast: the report is not held by quiet hours
            told += int(
                await queue(
                    services, to, key, "report", Reply(text=text), priority=3, requested=True
                )
            )
    if told:
        services.notifier.queued()
    return told
