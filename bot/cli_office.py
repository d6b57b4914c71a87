"""`dondoc broadcast` and `dondoc audit`: the office's actions from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from bot.broadcasting import Audience, AudienceError, recipients, send
from bot.cli_common import fail, print_json, settings_or_exit, texts_for, with_services
from bot.services import Services
from messages import plain, vn_datetime

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout for scripts.")]


def broadcast(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="all | not-answered:TASK_ID | under:UNIT_CODE | units:CODE,CODE",
        ),
    ],
    text: Annotated[str, typer.Option("--text", help="The message, as the units will read it.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show who would get it; send nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Send a message to units through the outbox (the running bot delivers it)."""
    settings = settings_or_exit()
    try:
        audience = Audience.parse(to)
    except AudienceError:
        raise typer.BadParameter(
            f"{to!r}: use all, not-answered:TASK_ID, under:CODE or units:A,B"
        ) from None

    async def go(services: Services) -> dict[str, Any]:
        people = await recipients(services, audience)
        if dry_run:
            return {"recipients": len(people), "sent": False, "broadcast": None}
        b = await send(services, None, text, audience)
        return {"recipients": b.recipients, "sent": True, "broadcast": b.id}

    try:
        result = with_services(settings, go)
    except AudienceError as problem:
        fail(plain(texts_for(settings)(f"broadcast.{problem.key}", **problem.values)))
    if as_json:
        print_json(result)
    elif result["sent"]:
        typer.echo(
            f"Broadcast {result['broadcast']}: {result['recipients']} message(s) queued;"
            " the running bot sends them."
        )
    else:
        typer.echo(f"Would reach {result['recipients']} person(s); nothing sent.")


def audit(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    action: Annotated[str | None, typer.Option("--action", help="Only this action.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The office's actions, newest first: publish, broadcast, review, export..."""
    settings = settings_or_exit()

    async def go(services: Services) -> list[dict[str, Any]]:
        return [
            {
                "at": e.at.isoformat(),
                "member": e.member_name,
                "member_id": e.member_id,
                "action": e.action,
                "detail": e.detail,
            }
            for e in await services.repos.audit.entries(limit, action)
        ]

    entries = with_services(settings, go)
    if as_json:
        print_json(entries)
        return
    for e in entries:
        when = vn_datetime(datetime.fromisoformat(e["at"]), settings.tz)
        who = e["member"] or "CLI"
        typer.echo(f"{when}  {who:<24} {e['action']:<12} {e['detail']}")
