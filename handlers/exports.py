"""/xuatbaocao (office): export a plan as Excel, Word (report or nomination list) or CSV.

The step only answers "preparing…" and asks for the export to run after its transaction has
committed (ctx.later): bot/exports/jobs.py writes the file off the event loop and queues the
document for the person in the outbox. Buttons: "xb:p:<plan>" chooses a plan, "xb:f:<plan>:
<format>" a format. Only in a private chat: the files hold every unit's data."""

from __future__ import annotations

from bot.chat import Choice, Reply
from bot.domain import Plan, PlanStatus, Role
from bot.exports import ExportKind, jobs
from bot.services import Services
from handlers.context import Context, Job

STAFF = (Role.OFFICE, Role.ADMIN)
PREFIX = "xb"
FORMATS = (ExportKind.XLSX, ExportKind.REPORT, ExportKind.NOMINATIONS, ExportKind.CSV)
MAX_PLANS = 20


def _private(ctx: Context) -> bool:
    """A private chat: its id is the person's own (Telegram, Zalo); a group's is not."""
    return ctx.inbound.chat_id == ctx.inbound.user_id


async def command(ctx: Context) -> None:
    if not _private(ctx):
        ctx.say("export.private_only")
        return
    plans = [p for p in await ctx.repos.plans.all() if p.status is not PlanStatus.DRAFT]
    if not plans:
        ctx.say("export.no_plans")
        return
    if len(plans) == 1:
        _ask_format(ctx, plans[0])
        return
    ctx.say(
        "export.choose_plan",
        choices=tuple(
            (Choice(f"{p.number}: {p.title}", f"{PREFIX}:p:{p.id}"),)
            for p in reversed(plans[-MAX_PLANS:])
        ),
    )


def _ask_format(ctx: Context, plan: Plan) -> None:
    ctx.say(
        "export.choose_format",
        number=plan.number,
        title=plan.title,
        choices=tuple(
            (ctx.button(f"export.button_{kind.value}", f"{PREFIX}:f:{plan.id}:{kind.value}"),)
            for kind in FORMATS
        ),
    )


async def button(ctx: Context) -> None:
    """ "xb:p:<plan>" and "xb:f:<plan>:<format>" buttons."""
    member = ctx.member
    if member is None or member.role not in STAFF:
        ctx.say("common.not_allowed")
        return
    if not _private(ctx):
        ctx.say("export.private_only")
        return
    parts = (ctx.inbound.choice or "").split(":")
    plan = None
    if len(parts) >= 3 and parts[2].isdigit():
        plan = await ctx.repos.plans.get(int(parts[2]))
    if plan is None or plan.status is PlanStatus.DRAFT:
        ctx.say("export.no_plan")
        return
    if parts[1] == "p":
        _ask_format(ctx, plan)
        return
    kind = next((k for k in FORMATS if len(parts) == 4 and parts[3] == k.value), None)
    if parts[1] != "f" or kind is None:
        ctx.say("common.not_allowed")
        return
    if jobs.busy(member.id):
        ctx.say("export.busy")
        return
    request = jobs.ExportRequest(
        member_id=member.id,
        channel=ctx.inbound.channel.value,
        chat_id=ctx.inbound.chat_id,
        plan_id=plan.id,
        kind=kind,
    )
    ctx.say("export.preparing", kind=kind.value, number=plan.number)
    ctx.later(_starter(ctx.services, request))


def _starter(services: Services, request: jobs.ExportRequest) -> Job:
    async def begin() -> list[Reply]:
        jobs.start(services, request)
        return []

    return begin
