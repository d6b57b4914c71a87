"""The one router: every Inbound goes through `Router.handle`, which loads who is writing and
where they are in a conversation, calls the right step, and saves the new state together with
the update's "handled" mark in one transaction (a redelivered update is handled once)."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

from bot.chat import Inbound, Reply
from bot.domain import Role
from bot.services import Services
from handlers.context import Context, Step

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    step: Step
    roles: frozenset[Role] | None  # None: anyone registered
    public: bool = False  # also for people who have not registered
    # True: a command in the middle of a flow leaves it waiting, and the person is told so;
    # False: the command deals with the waiting flow itself (/tieptuc, /baocao).
    keeps_flow: bool = True
    # what a role not in `roles` is told (a message key); None: common.not_allowed
    refusal: str | None = None


class Router:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._commands: dict[str, Command] = {}
        self._flows: dict[str, Step] = {}
        self._resumes: dict[str, Step] = {}
        self._holds: dict[str, tuple[Step, frozenset[str]]] = {}
        self._choices: dict[str, Step] = {}
        self._unregistered: Step | None = None
        self._idle: Step | None = None

    # registration of handlers: done in one place, handlers/routes.py
    def command(
        self,
        name: str,
        step: Step,
        *,
        roles: tuple[Role, ...] | None = None,
        public: bool = False,
        keeps_flow: bool = True,
        refusal: str | None = None,
    ) -> None:
        self._commands[name] = Command(
            name, step, frozenset(roles) if roles else None, public, keeps_flow, refusal
        )

    def flow(
        self,
        name: str,
        step: Step,
        *,
        resume: Step | None = None,
        holds: Step | None = None,
        lets: tuple[str, ...] = (),
    ) -> None:
        """A flow's step takes every message while the person is in it; `resume` says the
        current question again (after another command, or /tieptuc). `holds`: a flow that
        must be finished or cancelled first (registration: nothing else works before it); a
        command other than those it `lets` through goes to `holds` instead of running."""
        self._flows[name] = step
        if resume is not None:
            self._resumes[name] = resume
        if holds is not None:
            self._holds[name] = (holds, frozenset(lets))

    async def resume(self, ctx: Context) -> None:
        """/tieptuc: go back to the flow the person left waiting."""
        flow = ctx.state.flow
        resume = self._resumes.get(flow) if flow else None
        if resume is None:
            ctx.say("common.nothing_to_resume")
            return
        await resume(ctx)

    def choice(self, prefix: str, step: Step) -> None:
        """Buttons whose value starts with "<prefix>:" go to `step` whatever flow the person is
        in (the flow waits), like a command."""
        self._choices[prefix] = step

    def unregistered(self, step: Step) -> None:
        self._unregistered = step

    def idle(self, step: Step) -> None:
        self._idle = step

    def commands_for(self, role: Role | None) -> list[str]:
        """The commands `role` may use (None: someone not registered), as registered."""
        return [
            c.name
            for c in self._commands.values()
            if (c.public if role is None else (c.roles is None or role in c.roles))
        ]

    async def handle(self, inbound: Inbound) -> list[Reply]:
        services = self.services
        repos = services.repos
        now = services.clock.now()
        channel = inbound.channel.value
        async with services.db.transaction():
            if not await repos.conversations.first_time(channel, inbound.update_id, now):
                log.info("update %s/%s already handled", channel, inbound.update_id)
                return []
            member = await repos.members.by_identity(channel, inbound.user_id)
            if member is not None:
                await repos.members.touch(channel, inbound.user_id, now)
            state = await repos.conversations.load(channel, inbound.user_id)
            # the step gets its own copy: a change made in place must still count as a change
            ctx = Context(
                inbound=inbound,
                member=member,
                state=copy.deepcopy(state),
                services=services,
                now=now,
            )
            await self._dispatch(ctx)
            if ctx.state != state:
                await repos.conversations.save(channel, inbound.user_id, ctx.state, now)
        replies = list(ctx.replies)
        for job in ctx.jobs:  # after the commit: slow work does not hold the database
            replies.extend(await job())
        return replies

    async def _dispatch(self, ctx: Context) -> None:
        inbound = ctx.inbound
        if inbound.command is not None:
            held = self._holds.get(ctx.state.flow or "")
            if held is not None and inbound.command not in held[1]:
                await held[0](ctx)
                return
            command = self._commands.get(inbound.command)
            if command is None:
                ctx.say("common.unknown_command", command=inbound.command)
                return
            if ctx.member is None and not command.public:
                await self._call(self._unregistered, ctx)
                return
            if ctx.member is not None and command.roles and ctx.member.role not in command.roles:
                ctx.say(command.refusal or "common.not_allowed")
                return
            waiting = ctx.state.flow
            await command.step(ctx)
            if (
                waiting is not None
                and ctx.state.flow == waiting
                and command.keeps_flow
                and held is None  # a flow that holds has asked its question itself
            ):
                ctx.say("common.flow_waiting")
            return
        if inbound.choice is not None and ctx.member is not None:
            prefix = inbound.choice.partition(":")[0]
            if prefix in self._choices:
                await self._choices[prefix](ctx)
                return
        if ctx.state.flow is not None:
            flow = self._flows.get(ctx.state.flow)
            if flow is not None:
                await flow(ctx)
                return
            log.warning("unknown flow %s in saved state; resetting", ctx.state.flow)
            ctx.end()
        if ctx.member is None:
            await self._call(self._unregistered, ctx)
        else:
            await self._call(self._idle, ctx)

    @staticmethod
    async def _call(step: Step | None, ctx: Context) -> None:
        if step is not None:
            await step(ctx)
