"""`dondoc reminders preview --at DATETIME`: what would be sent at that moment, and to whom,
without sending anything."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

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
from bot.reminders import Digest, Reminders, ReminderSettings
from bot.services import Services
from messages import plain, vn_datetime

reminders_app = typer.Typer(help=help_text("reminders"))


def parse_moment(word: str, tz: Any) -> datetime:
    """2024-04-17T08:30, 2024-04-17 08:30, or as people write it: 17/4/2024 8:30."""
    word = word.strip()
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(word, fmt).replace(tzinfo=tz)
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(word)
    except ValueError:
        raise typer.BadParameter(text("cli.bad_moment", text=word), param_hint="--at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


async def _unit_names(services: Services) -> dict[int, str]:
    return {u.id: u.name for u in await services.repos.units.all()}


def _digest_json(d: Digest, units: dict[int, str], queued: bool) -> dict[str, Any]:
    return {
        "key": d.key,
        "kind": d.kind,
        "member": d.to.member.full_name,
        "role": d.to.member.role.value,
        "unit": units.get(d.to.member.unit_id, ""),
        "channel": d.to.channel,
        "chat_id": d.to.chat_id,
        "already_queued": queued,
        "tasks": [
            {
                "ref": ln.ref,
                "title": ln.title,
                "unit": ln.unit_name,
                "due": ln.due.isoformat() if ln.due else None,
                "days_left": ln.days_left,
            }
            for ln in d.lines
        ],
        "text": plain(d.reply.text),
    }


@reminders_app.command("preview", help=help_text("reminders_preview"))
def preview(
    at: Annotated[
        str,
        typer.Option(
            "--at", metavar=help_text("metavar_moment"), help=help_text("reminders_preview_at")
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """What would be sent at that moment, to whom; nothing is sent or queued."""
    settings = settings_or_exit()
    moment = parse_moment(at, settings.tz)

    async def go(services: Services) -> list[dict[str, Any]]:
        reminders = Reminders(services, ReminderSettings.of(settings))
        units = await _unit_names(services)
        out = []
        for d in await reminders.due_at(moment):
            queued = await services.repos.outbox.exists(d.key)
            out.append(_digest_json(d, units, queued))
        return out

    try:
        digests = with_services(settings, go)
    except ValueError as exc:
        fail(text("cli.preview_failed", problem=exc))
    if as_json:
        print_json({"at": moment.isoformat(), "messages": digests})
        return
    say("cli.preview_heading", at=vn_datetime(moment, settings.tz), count=len(digests))
    for d in digests:
        typer.echo("")
        say(
            "cli.preview_to",
            member=d["member"],
            unit=d["unit"],
            kind=d["kind"],
            queued=d["already_queued"],
        )
        typer.echo(d["text"])
