"""Who gets a unit's messages and on which channel: the secretary and deputies of the unit, each
on the channel they used last; and queuing a message for them in the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from bot.chat import Reply
from bot.domain import Member, Role
from bot.services import Services
from storage.outbox import NewMessage

UNIT_ROLES = (Role.SECRETARY, Role.DEPUTY)
STAFF_ROLES = (Role.OFFICE, Role.LEADER, Role.ADMIN)


@dataclass(frozen=True)
class Recipient:
    member: Member
    channel: str
    chat_id: str


async def recipient(services: Services, member: Member) -> Recipient | None:
    """The member on the channel they used last among those that still reach them (one that
    blocked the bot gives way to the other), else the last used (None: no identity yet)."""
    identities = await services.repos.members.identities(member.id)
    if not identities:
        return None
    best = next((i for i in identities if i.reachable), identities[0])
    return Recipient(member, best.channel, best.chat_id)


async def unit_recipients(services: Services, unit_id: int) -> list[Recipient]:
    members = await services.repos.members.in_unit(unit_id, UNIT_ROLES)
    found = [await recipient(services, m) for m in members]
    return [r for r in found if r is not None]


async def staff_recipients(services: Services, *roles: Role) -> list[Recipient]:
    members = await services.repos.members.with_role(*(roles or STAFF_ROLES))
    found = [await recipient(services, m) for m in members]
    return [r for r in found if r is not None]


async def queue(
    services: Services,
    to: Recipient,
    key: str,
    kind: str,
    reply: Reply,
    *,
    priority: int = 5,
    batch: str | None = None,
    requested: bool = False,
) -> bool:
    """Queue one message; False when this key was queued before (it is never sent twice).
    `requested`: it answers the recipient's own request, so quiet hours do not hold it."""
    return await services.repos.outbox.enqueue(
        NewMessage(
            key=key,
            kind=kind,
            member_id=to.member.id,
            channel=to.channel,
            chat_id=to.chat_id,
            reply=reply,
            priority=priority,
            batch=batch,
            requested=requested,
        ),
        services.clock.now(),
    )
