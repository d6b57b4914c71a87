"""What a handler may use, built once by the composition root and injected per update."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import Clock
from bot.domain import Letterhead
from bot.worktime import QuietHours
from messages import Texts
from storage.answers import AnswerRepository
from storage.audit import AuditRepository
from storage.broadcasts import BroadcastRepository
from storage.choices import ChoiceMemory
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.deadlines import DeadlineRepository
from storage.invites import InviteRepository
from storage.links import LinkCodeRepository
from storage.members import MemberRepository
from storage.outbox import OutboxRepository
from storage.plans import PlanRepository
from storage.units import UnitRepository


@dataclass(frozen=True)
class Repos:
    units: UnitRepository
    members: MemberRepository
    invites: InviteRepository
    conversations: ConversationRepository
    plans: PlanRepository
    deadlines: DeadlineRepository
    outbox: OutboxRepository
    answers: AnswerRepository
    audit: AuditRepository
    broadcasts: BroadcastRepository
    choices: ChoiceMemory  # what a chat without buttons was last offered (Zalo)
    link_codes: LinkCodeRepository  # /lienket: a member's second channel

    @classmethod
    def on(cls, db: Database) -> Repos:
        return cls(
            units=UnitRepository(db),
            members=MemberRepository(db),
            invites=InviteRepository(db),
            conversations=ConversationRepository(db),
            plans=PlanRepository(db),
            deadlines=DeadlineRepository(db),
            outbox=OutboxRepository(db),
            answers=AnswerRepository(db),
            audit=AuditRepository(db),
            broadcasts=BroadcastRepository(db),
            choices=ChoiceMemory(db),
            link_codes=LinkCodeRepository(db),
        )


_held: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar("held", default=None)


class Notifier:
    """Tells the outbox sender that something was queued (set up by the composition root)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def queued(self) -> None:
        pending = _held.get()
        if pending is not None:
            pending.append(True)
            return
        for listener in self._listeners:
            listener()

    @contextmanager
    def held(self) -> Iterator[None]:
        """What is queued inside (in this task) is told when the block ends: a channel handles
        an update and sends its replies inside, so that an update's own replies go before what
        it queued (the confirmation of a registration before the task list it queued)."""
        pending: list[bool] = []
        token = _held.set(pending)
        try:
            yield
        finally:
            _held.reset(token)
            if pending:
                self.queued()


@dataclass(frozen=True)
class Services:
    db: Database
    repos: Repos
    texts: Texts
    clock: Clock
    bot_username: str = ""  # filled in once the channel knows it (for invite deep links)
    notifier: Notifier = field(default_factory=Notifier)
    data_dir: Path = Path("data")  # files people send, exports, charts
    # when the outbox holds what the bot sends on its own (a reply can say when it will go)
    quiet: QuietHours = field(default_factory=lambda: QuietHours(None, None))
    letterhead: Letterhead = field(default_factory=Letterhead)  # Word exports' issuer block
