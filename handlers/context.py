"""What a flow step receives and how it answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.chat import Choice, Inbound, Reply
from bot.domain import Conversation, Member
from bot.services import Repos, Services


@dataclass
class Context:
    inbound: Inbound
    member: Member | None
    state: Conversation
    services: Services
    now: datetime
    replies: list[Reply] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)

    @property
    def repos(self) -> Repos:
        return self.services.repos

    def t(self, key: str, /, **values: object) -> str:
        """A message's text (HTML, values escaped)."""
        return self.services.texts(key, **values)

    def label(self, key: str, /, **values: object) -> str:
        """Plain text, nothing escaped: a button's label, or words another message will hold."""
        return self.services.texts.label(key, **values)

    def say(
        self, key: str, /, *, choices: tuple[tuple[Choice, ...], ...] = (), **values: object
    ) -> None:
        """Queue one message rendered from messages/."""
        self.replies.append(Reply(text=self.t(key, **values), choices=choices))

    def say_with(self, key: str, values: Mapping[str, object]) -> None:
        """`say` with values gathered elsewhere (an error's details, say)."""
        self.replies.append(Reply(text=self.t(key, **values)))

    def reply(self, reply: Reply) -> None:
        self.replies.append(reply)

    def go(self, flow: str, step: str, **data: object) -> None:
        """Move to a step of a flow, keeping (and updating) the flow's data."""
        merged = dict(self.state.data or {}) if self.state.flow == flow else {}
        merged.update(data)
        self.state = Conversation(flow=flow, step=step, data=merged)

    def later(self, job: Job) -> None:
        """Work to do after the update's transaction commits (slow work: a chart, a file), so
        it does not hold the database; its replies follow the step's own."""
        self.jobs.append(job)

    def end(self) -> None:
        self.state = Conversation()

    def button(self, key: str, value: str, /, **values: object) -> Choice:
        """A button whose label is a message of messages/, as plain text."""
        return Choice(label=self.label(key, **values), value=value)


Step = Callable[[Context], Awaitable[None]]
Job = Callable[[], Awaitable[list[Reply]]]
