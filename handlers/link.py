"""/lienket: one person on two channels. A registered member sends /lienket and gets a one-time
code; /lienket <code> sent from the other channel adds that identity to the same member. From then
on the person can use either channel, and proactive messages go to the one used last.

The member's first channel is told when a second one is linked, so a code used by someone else
does not go unnoticed."""

from __future__ import annotations

from bot.chat import Reply
from bot.deliveries import Recipient, queue
from handlers.context import Context
from handlers.menus import menu_for
from storage.links import VALID_FOR

COMMAND = "lienket"


async def command(ctx: Context) -> None:
    code = ctx.inbound.args.strip()
    if code:
        await _use(ctx, code)
        return
    if ctx.member is None:
        ctx.say("link.how")
        return
    here = ctx.inbound.channel.value
    link = await ctx.repos.link_codes.create(ctx.member.id, here, ctx.now)
    ctx.say("link.code", code=link.code, minutes=int(VALID_FOR.total_seconds() // 60), here=here)


async def _use(ctx: Context, code: str) -> None:
    repos = ctx.repos
    inbound = ctx.inbound
    channel = inbound.channel.value
    link = await repos.link_codes.get(code)
    if link is None:
        ctx.say("link.code_unknown")
        return
    problem = link.problem(ctx.now)
    if problem is not None:
        ctx.say(f"link.code_{problem}")
        return
    if ctx.member is not None:
        if ctx.member.id == link.member_id:
            ctx.say("link.wrong_side", channel=channel)
        else:
            ctx.say("link.other_member")
        return
    member = await repos.members.get(link.member_id)
    if member is None or not member.active:
        ctx.say("link.code_unknown")
        return
    before = await repos.members.identities(member.id)
    if any(i.channel == channel for i in before):
        ctx.say("link.channel_taken", channel=channel)
        return
    if not await repos.link_codes.use(link.code, channel, ctx.now):
        ctx.say("link.code_used")
        return
    await repos.members.add_identity(
        member.id,
        channel=channel,
        external_id=inbound.user_id,
        chat_id=inbound.chat_id,
        display_name=inbound.display_name,
        now=ctx.now,
    )
    ctx.end()  # a registration begun on this channel is not needed any more
    ctx.member = member
    unit = await repos.units.get(member.unit_id)
    ctx.reply(
        Reply(
            text=ctx.t(
                "link.done",
                name=member.full_name,
                role=ctx.t(f"roles.{member.role.value}"),
                unit=unit.name if unit else "",
                channel=channel,
            ),
            menu=menu_for(ctx, member.role),
        )
    )
    told = False
    for identity in before:
        to = Recipient(member, identity.channel, identity.chat_id)
        reply = Reply(text=ctx.t("link.linked_elsewhere", channel=channel))
        key = f"link:member={member.id}:code={link.code}:to={identity.channel}"
        # the person linked it just now: told on their other channel at once, even at night
        told = await queue(ctx.services, to, key, "link", reply, priority=2, requested=True) or told
    if told:
        ctx.services.notifier.queued()
