"""`dondoc broadcast` and `dondoc audit`: the office's actions from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import jinja2
import typer

from bot.broadcasting import Audience, AudienceError, recipients, send
from bot.cli_common import (
    JsonOption,
    fail,
    help_text,
    print_json,
    say,
    settings_or_exit,
    text,
    with_services,
)
from bot.services import Services
from messages import vn_datetime

# Audit actions the bot takes by itself, with no member and no command typed: the daily roll of
# repeating tasks (bot/publishing.py). Any other entry without a member came from the command line.
AUTOMATIC_ACTIONS = frozenset({"roll"})


def broadcast(
    to: Annotated[
        str,
        typer.Option("--to", metavar=help_text("metavar_audience"), help=help_text("broadcast_to")),
    ],
    message: Annotated[
        str,
        typer.Option("--text", metavar=help_text("metavar_text"), help=help_text("broadcast_text")),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=help_text("broadcast_dry_run"))
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Send a message to units through the outbox (the running bot delivers it)."""
    settings = settings_or_exit()
    try:
        audience = Audience.parse(to)
    except AudienceError:
        raise typer.BadParameter(text("cli.bad_audience", text=to), param_hint="--to") from None

    async def go(services: Services) -> dict[str, Any]:
        people = await recipients(services, audience)
        if dry_run:
            return {"recipients": len(people), "sent": False, "broadcast": None}
        b = await send(services, None, message, audience)
        return {"recipients": b.recipients, "sent": True, "broadcast": b.id}

    try:
        result = with_services(settings, go)
    except AudienceError as problem:
        fail(text(f"broadcast.{problem.key}", **problem.values))
    if as_json:
        print_json(result)
    elif result["sent"]:
        say("cli.broadcast_queued", id=result["broadcast"], count=result["recipients"])
    else:
        say("cli.broadcast_dry_run", count=result["recipients"])


def audit(
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            min=1,
            max=10_000,
            metavar=help_text("metavar_number"),
            help=help_text("audit_limit"),
        ),
    ] = 50,
    action: Annotated[
        str | None,
        typer.Option(
            "--action", metavar=help_text("metavar_action"), help=help_text("audit_action")
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The office's actions, newest first: publish, broadcast, review, export..."""
    settings = settings_or_exit()

    async def go(services: Services) -> tuple[list[dict[str, Any]], dict[int, str]]:
        entries = [
            {
                "at": e.at.isoformat(),
                "member": e.member_name,
                "member_id": e.member_id,
                "action": e.action,
                "detail": e.detail,
            }
            for e in await services.repos.audit.entries(limit, action)
        ]
        numbers = {p.id: p.number for p in await services.repos.plans.all()}
        return entries, numbers

    entries, numbers = with_services(settings, go)
    if as_json:
        print_json(entries)
        return
    if not entries:
        say("cli.audit_empty")
        return
    for e in entries:
        when = vn_datetime(datetime.fromisoformat(e["at"]), settings.tz)
        who = text(
            "cli.audit_by", name=e["member"] or "", automatic=e["action"] in AUTOMATIC_ACTIONS
        )
        what = text("cli.audit_action", value=e["action"])
        typer.echo(f"{when:<16}  {who:<24} {what:<18} {_detail(e['action'], e['detail'], numbers)}")


def _detail(action: str, detail: dict[str, Any], numbers: dict[int, str]) -> str:
    """An entry's detail in words; name=value pairs if an old entry lacks what its words need."""
    try:
        return text("cli.audit_detail", action=action, detail=detail, numbers=numbers)
    except (jinja2.TemplateError, TypeError, AttributeError):
        return text("cli.audit_detail", action="", detail=detail, numbers={})


def register(app: typer.Typer) -> None:
    """Mount `dondoc broadcast` and `dondoc audit` on the main command line."""
    app.command("broadcast", help=help_text("broadcast"))(broadcast)
    app.command("audit", help=help_text("audit"))(audit)
