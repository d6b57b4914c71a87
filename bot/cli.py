"""The `dondoc` command line: units, invites (and printable invite sheets), members, run, chat.

Every command reads the settings first: a wrong setting prints one line and exits 2. Commands that
a script may read take --json: then stdout holds one JSON document and nothing else. What a person
reads (output, errors, the helps of commands and options) comes from messages/vi/cli.j2 and
cli_help.j2; the docstrings here are for developers."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import jinja2
import typer

from bot import cli_office
from bot.cli_common import (
    JsonOption,
    fail,
    help_text,
    print_json,
    say,
    settings_or_exit,
    text,
    texts_for,
    with_db,
)
from bot.cli_export import register as register_export
from bot.cli_ops import register_ops
from bot.cli_plan import plan_app
from bot.cli_reminders import reminders_app
from bot.clock import clock_for
from bot.domain import Invite, Role, Unit
from bot.settings import Settings
from bot.units_import import ImportRejected, import_units, load_file
from bot.vntext import fold
from messages import Texts
from storage.db import Database
from storage.invites import InviteRepository
from storage.members import MemberRepository
from storage.units import UnitRepository

T = TypeVar("T")

BOT_USERNAME_ENV = "DONDOC_BOT_USERNAME"
GET_ME_TIMEOUT = 5.0
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")

app = typer.Typer(
    name="dondoc",
    help=help_text("root"),
    no_args_is_help=True,
    add_completion=False,
)
units_app = typer.Typer(help=help_text("units"))
invite_app = typer.Typer(help=help_text("invite"))
members_app = typer.Typer(help=help_text("members"))
app.add_typer(units_app, name="units", no_args_is_help=True)
app.add_typer(invite_app, name="invite", no_args_is_help=True)
app.add_typer(members_app, name="members", no_args_is_help=True)
app.add_typer(plan_app, name="plan", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders", no_args_is_help=True)
cli_office.register(app)  # broadcast, audit
register_ops(app)  # backup, restore, check
register_export(app)  # export


# ---------------------------------------------------------------------------------------------
# Parsing options


# Vietnamese role names as `fold` writes them: without diacritics, lower case.
_ROLE_WORDS: dict[str, Role] = {
    **{fold(role.value): role for role in Role},
    "bi thu": Role.SECRETARY,
    "bi thu chi bo": Role.SECRETARY,
    "pho bi thu": Role.DEPUTY,
    "van phong": Role.OFFICE,
    "thuong truc": Role.LEADER,
    "quan tri": Role.ADMIN,
    "quan tri vien": Role.ADMIN,
}


def parse_role(word: str) -> Role:
    """A Role from its value or Vietnamese name, in any case, with or without diacritics."""
    if isinstance(word, Role):
        return word
    role = _ROLE_WORDS.get(fold(word))
    if role is None:
        raise typer.BadParameter(text("cli.unknown_role", text=word))
    return role


_DURATION_RE = re.compile(r"^\s*(\d+)\s*(\D*?)\s*$")
_DURATION_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("", "d", "day", "days", "ngay"), timedelta(days=1)),
    **dict.fromkeys(("h", "hour", "hours", "gio"), timedelta(hours=1)),
    **dict.fromkeys(("w", "week", "weeks", "tuan"), timedelta(weeks=1)),
}
MAX_VALID_FOR = timedelta(days=365)


def parse_duration(word: str) -> timedelta:
    """ "14d", "48h", "2w" (also "14", "14 ngay", "2 tuan") -> a timedelta, up to a year."""
    if isinstance(word, timedelta):
        return word
    match = _DURATION_RE.match(word)
    unit = _DURATION_UNITS.get(fold(match.group(2))) if match else None
    if match is None or unit is None:
        raise typer.BadParameter(text("cli.bad_duration", text=word))
    value = int(match.group(1)) * unit
    if not timedelta(0) < value <= MAX_VALID_FOR:
        raise typer.BadParameter(text("cli.duration_range", text=word))
    return value


def _bot_username_option(word: str | None) -> str | None:
    if word is None:
        return None
    name = word.strip().removeprefix("https://t.me/").removeprefix("@")
    if not _USERNAME_RE.match(name):
        raise typer.BadParameter(text("cli.bad_bot_username", text=word))
    return name


RoleOption = Annotated[
    Role,
    typer.Option(
        parser=parse_role,
        metavar=help_text("metavar_role"),
        help=help_text("role"),
    ),
]
ExpiresOption = Annotated[
    timedelta | None,
    typer.Option(
        parser=parse_duration,
        metavar=help_text("metavar_duration"),
        help=help_text("expires"),
    ),
]
BotOption = Annotated[
    str | None,
    typer.Option(
        "--bot",
        metavar=help_text("metavar_bot"),
        help=help_text("bot"),
    ),
]


# ---------------------------------------------------------------------------------------------
# Shared plumbing


@app.callback(help=help_text("root"))
def _root() -> None:
    """The root of `dondoc`: its help is messages/vi/cli_help.j2's `root`."""


def _when(moment: datetime, settings: Settings) -> str:
    """20/4/2024 14:30 in the configured time zone."""
    local = moment.astimezone(settings.tz)
    return f"{local.day}/{local.month}/{local.year} {local.hour}:{local.minute:02d}"


def _iso(moment: datetime, settings: Settings) -> str:
    return moment.astimezone(settings.tz).isoformat(timespec="seconds")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return [
        "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *rows]
    ]


def _tree(units: Sequence[Unit]) -> list[tuple[Unit, int]]:
    """Units depth first (siblings in import order), each with its depth."""
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    out: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in children.get(parent, []):
            out.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def sandbox_bot_username() -> str:
    """The sandbox bot's username, as the emulator `dondoc run` starts answers getMe for the
    sandbox token (bot/runner.py): dondoc1000000001_bot."""
    from bot.runner import SANDBOX_TOKEN
    from bot.sandbox.telegram_emulator import TelegramEmulator

    bot = TelegramEmulator().bot(SANDBOX_TOKEN)
    assert bot is not None and bot.account.user.username
    return bot.account.user.username


def resolve_bot_username(settings: Settings, option: str | None) -> str | None:
    """--bot, else $DONDOC_BOT_USERNAME, else the sandbox bot's name when there is no token at
    all (the sandbox), else getMe with the Telegram token; None when getMe fails or there is
    no Telegram bot (a Zalo token only)."""
    if option:
        return option
    env = os.environ.get(BOT_USERNAME_ENV, "").strip().removeprefix("@")
    if env:
        return env
    if settings.sandbox:
        return sandbox_bot_username()
    if settings.telegram_token is None:
        return None
    try:
        response = httpx.get(
            f"{settings.telegram_api_url}{settings.telegram_token}/getMe", timeout=GET_ME_TIMEOUT
        )
        data = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    result = data.get("result") if isinstance(data, dict) and data.get("ok") else None
    username = result.get("username") if isinstance(result, dict) else None
    return username if isinstance(username, str) and username else None


def deep_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={code}"


def invite_state(invite: Invite, now: datetime) -> str:
    """active, used, expired or revoked: as --json gives it (the text: cli.invite_state)."""
    return invite.problem(now) or "active"


def _role_name(role: Role) -> str:
    return text(f"roles.{role.value}")


def _columns(key: str) -> list[str]:
    """A table's headers: one message with the columns separated by "|"."""
    return text(key).split("|")


# ---------------------------------------------------------------------------------------------
# units


@units_app.command("import", help=help_text("units_import"))
def units_import(
    file: Annotated[
        Path, typer.Argument(metavar=help_text("metavar_file"), help=help_text("units_import_file"))
    ],
    as_json: JsonOption = False,
) -> None:
    """Import units (code, name, parent, kind) from CSV, Excel or YAML: all or nothing."""
    settings = settings_or_exit()
    now = clock_for(settings.tz, settings.clock).now()
    try:
        rows = load_file(file)
        result = with_db(settings, lambda db: import_units(db, rows, now))
    except ImportRejected as rejected:
        texts = texts_for(settings)
        if as_json:
            print_json({"ok": False, "errors": [e.as_dict(texts) for e in rejected.errors]})
        else:
            say("units_import.rejected", err=True, file=file.name, count=len(rejected.errors))
            for error in rejected.errors:
                typer.echo(f"  {error.line(texts)}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        print_json(
            {
                "ok": True,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )
        return
    say(
        "cli.units_imported",
        total=result.total,
        file=file.name,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )


@units_app.command("list", help=help_text("units_list"))
def units_list(as_json: JsonOption = False) -> None:
    """Show the units as a tree, with their kind and how many members each has."""
    settings = settings_or_exit()

    async def load(db: Database) -> tuple[list[Unit], dict[int, int]]:
        return await UnitRepository(db).all(), await MemberRepository(db).count_by_unit()

    units, counts = with_db(settings, load)
    by_id = {u.id: u for u in units}
    tree = _tree(units)
    if as_json:
        print_json(
            [
                {
                    "code": unit.code,
                    "name": unit.name,
                    "kind": unit.kind.value,
                    "parent": by_id[unit.parent_id].code if unit.parent_id else None,
                    "depth": depth,
                    "members": counts.get(unit.id, 0),
                }
                for unit, depth in tree
            ]
        )
        return
    if not tree:
        say("cli.no_units")
        return
    for unit, depth in tree:
        line = text(
            "cli.unit_line",
            code=unit.code,
            name=unit.name,
            kind=text("plan_file.kind", value=unit.kind.value),
            members=counts.get(unit.id, 0),
        )
        typer.echo("    " * depth + line)


# ---------------------------------------------------------------------------------------------
# invite


def _invite_json(
    invite: Invite, unit: Unit, settings: Settings, now: datetime, username: str | None
) -> dict[str, Any]:
    return {
        "code": invite.code,
        "unit": unit.code,
        "unit_name": unit.name,
        "role": invite.role.value,
        "uses": invite.uses,
        "max_uses": invite.max_uses,
        "expires_at": _iso(invite.expires_at, settings),
        "expires": _when(invite.expires_at, settings),
        "state": invite_state(invite, now),
        "link": deep_link(username, invite.code) if username else None,
        "start": f"/start {invite.code}",
    }


@invite_app.command("create", help=help_text("invite_create"))
def invite_create(
    unit: Annotated[
        str,
        typer.Option(
            "--unit", metavar=help_text("metavar_code"), help=help_text("invite_create_unit")
        ),
    ],
    role: RoleOption,
    uses: Annotated[
        int,
        typer.Option(
            "--uses",
            min=1,
            metavar=help_text("metavar_number"),
            help=help_text("invite_create_uses"),
        ),
    ] = 1,
    expires: ExpiresOption = None,
    bot: BotOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an invite for a unit and role; prints its code and t.me link."""
    settings = settings_or_exit()
    username_option = _bot_username_option(bot)
    valid_for = expires or timedelta(days=settings.invite_days)
    now = clock_for(settings.tz, settings.clock).now()

    async def create(db: Database) -> tuple[Invite, Unit] | None:
        found = await UnitRepository(db).by_code(unit.strip())
        if found is None:
            return None
        invite = await InviteRepository(db).create(
            unit_id=found.id, role=role, max_uses=uses, valid_for=valid_for, now=now
        )
        return invite, found

    created = with_db(settings, create)
    if created is None:
        fail(text("cli.unknown_unit", codes=unit.strip()))
    invite, found = created
    username = resolve_bot_username(settings, username_option)
    if username is None:
        say("cli.no_bot_username", err=True, token=settings.telegram_token is not None)
    if as_json:
        print_json(_invite_json(invite, found, settings, now, username))
        return
    say(
        "cli.invite_created",
        unit=found.name,
        unit_code=found.code,
        role=_role_name(invite.role),
        code=invite.code,
        uses=invite.max_uses,
        expires=_when(invite.expires_at, settings),
        link=deep_link(username, invite.code) if username else "",
    )


@invite_app.command("list", help=help_text("invite_list"))
def invite_list(as_json: JsonOption = False) -> None:
    """List invites with their use count, expiry and state (active, used, expired, revoked)."""
    settings = settings_or_exit()
    now = clock_for(settings.tz, settings.clock).now()

    async def load(db: Database) -> tuple[list[Invite], dict[int, Unit]]:
        units = {u.id: u for u in await UnitRepository(db).all()}
        return await InviteRepository(db).all(), units

    invites, units = with_db(settings, load)
    if as_json:
        print_json(
            [_invite_json(i, units[i.unit_id], settings, now, None) for i in invites],
        )
        return
    if not invites:
        say("cli.no_invites")
        return
    rows = [
        [
            i.code,
            units[i.unit_id].code,
            _role_name(i.role),
            f"{i.uses}/{i.max_uses}",
            _when(i.expires_at, settings),
            text("cli.invite_state", value=invite_state(i, now)),
        ]
        for i in invites
    ]
    for line in _table(_columns("cli.invite_columns"), rows):
        typer.echo(line)


@invite_app.command("revoke", help=help_text("invite_revoke"))
def invite_revoke(
    code: Annotated[
        str,
        typer.Argument(metavar=help_text("metavar_code"), help=help_text("invite_revoke_code")),
    ],
) -> None:
    """Revoke an invite so nobody can register with it any more."""
    settings = settings_or_exit()
    now = clock_for(settings.tz, settings.clock).now()

    async def revoke(db: Database) -> str | None:
        repo = InviteRepository(db)
        invite = await repo.by_code(code.strip())
        if invite is None:
            return text("cli.no_such_invite", code=code.strip())
        if invite.revoked_at is not None:
            at = _when(invite.revoked_at, settings)
            return text("cli.already_revoked", code=invite.code, at=at)
        await repo.revoke(invite.code, now)
        return None

    problem = with_db(settings, revoke)
    if problem:
        fail(problem)
    say("cli.revoked", code=code.strip())


@invite_app.command("sheet", help=help_text("invite_sheet"))
def invite_sheet(
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar=help_text("metavar_file"), help=help_text("invite_sheet_out")
        ),
    ],
    units: Annotated[
        str | None,
        typer.Option(
            "--units", metavar=help_text("metavar_codes"), help=help_text("invite_sheet_units")
        ),
    ] = None,
    role: Annotated[
        Role,
        typer.Option(
            parser=parse_role,
            metavar=help_text("metavar_role"),
            help=help_text("invite_sheet_role"),
            show_default=False,
        ),
    ] = Role.SECRETARY,
    expires: ExpiresOption = None,
    bot: BotOption = None,
    font: Annotated[
        Path | None,
        typer.Option(
            "--font", metavar=help_text("metavar_file"), help=help_text("invite_sheet_font")
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create one fresh invite per unit and print their QR codes on A4 pages (PDF or PNG)."""
    from bot.invite_sheet import SheetEntry, find_font, render_pages, save_pages

    settings = settings_or_exit()
    if out.suffix.lower() not in (".pdf", ".png"):
        raise typer.BadParameter(text("cli.must_end_in", suffixes=".pdf, .png"), param_hint="--out")
    if font is not None and not font.is_file():
        raise typer.BadParameter(text("cli.not_a_file", path=font), param_hint="--font")
    username = resolve_bot_username(settings, _bot_username_option(bot))
    if username is None:
        fail(text("cli.sheet_needs_bot_username", token=settings.telegram_token is not None))
    font_path = font or find_font()
    if font_path is None:
        say("cli.no_font", err=True)
    wanted = [c.strip() for c in units.split(",") if c.strip()] if units is not None else None
    valid_for = expires or timedelta(days=settings.invite_days)
    now = clock_for(settings.tz, settings.clock).now()
    texts = Texts("vi", settings.tz)

    async def make(db: Database) -> tuple[list[Path], list[tuple[Invite, Unit]]] | str:
        unit_repo, invite_repo = UnitRepository(db), InviteRepository(db)
        if wanted is None:
            chosen = [u for u, _ in _tree(await unit_repo.all()) if u.kind.reports]
        else:
            found = {c: await unit_repo.by_code(c) for c in dict.fromkeys(wanted)}
            unknown = [c for c, u in found.items() if u is None]
            if unknown:
                return text("cli.unknown_unit", codes=", ".join(unknown))
            chosen = [u for u in found.values() if u is not None]
        if not chosen:
            return text("cli.no_units_to_invite")
        made: list[tuple[Invite, Unit]] = []
        async with db.transaction():
            for unit in chosen:
                invite = await invite_repo.create(
                    unit_id=unit.id, role=role, max_uses=1, valid_for=valid_for, now=now
                )
                made.append((invite, unit))
            entries = [
                SheetEntry(unit.name, deep_link(username, i.code), f"/start {i.code}")
                for i, unit in made
            ]
            heading, subheading = _sheet_headings(
                texts, role, _when(made[0][0].expires_at, settings)
            )
            pages = render_pages(
                entries, heading=heading, subheading=subheading, font_path=font_path
            )
            try:
                written = save_pages(pages, out)
            except OSError as exc:
                raise _SheetNotWritten(text("cli.cannot_write", path=out, problem=exc)) from exc
        return written, made

    try:
        outcome = with_db(settings, make)
    except _SheetNotWritten as exc:
        fail(str(exc))
    if isinstance(outcome, str):
        fail(outcome)
    written, made = outcome
    if as_json:
        print_json(
            {
                "files": [str(p) for p in written],
                "invites": [_invite_json(i, u, settings, now, username) for i, u in made],
            }
        )
        return
    where = ", ".join(str(p) for p in written)
    say("cli.sheet_written", count=len(made), role=_role_name(role), files=where)


def _sheet_headings(texts: Texts, role: Role, expires: str) -> tuple[str, str]:
    """The sheet's heading lines from messages/vi/invite_sheet.j2; until that template exists,
    the role's name and the expiry date."""
    role_name = texts(f"roles.{role.value}")
    try:
        return (
            texts("invite_sheet.heading"),
            texts("invite_sheet.subheading", role=role_name, expires=expires),
        )
    except (KeyError, jinja2.TemplateNotFound):
        return role_name, expires


class _SheetNotWritten(Exception):
    """Saving the sheet failed: the invites' transaction is rolled back."""


# ---------------------------------------------------------------------------------------------
# members


@members_app.command("list", help=help_text("members_list"))
def members_list(as_json: JsonOption = False) -> None:
    """List registered members: unit, role, name, channels, when, and whether reachable."""
    settings = settings_or_exit()
    listing = with_db(settings, lambda db: MemberRepository(db).listing())
    if as_json:
        print_json(
            [
                {
                    "unit": m.unit_code,
                    "unit_name": m.unit_name,
                    "role": m.member.role.value,
                    "name": m.member.full_name,
                    "channels": [i.channel for i in m.identities],
                    "registered_at": _iso(m.member.registered_at, settings),
                    "reachable": m.reachable,
                }
                for m in listing
            ]
        )
        return
    if not listing:
        say("cli.no_members")
        return
    rows = [
        [
            m.unit_code,
            _role_name(m.member.role),
            m.member.full_name,
            ", ".join(text("link.channel_name", channel=i.channel) for i in m.identities) or "-",
            _when(m.member.registered_at, settings),
            text("cli.yes_no", value=m.reachable),
        ]
        for m in listing
    ]
    for line in _table(_columns("cli.member_columns"), rows):
        typer.echo(line)


# ---------------------------------------------------------------------------------------------
# run, chat


@app.command("run", help=help_text("run"))
def run(
    webhook: Annotated[bool, typer.Option("--webhook", help=help_text("run_webhook"))] = False,
) -> None:
    """Run the bot: on Telegram with DONDOC_TELEGRAM_TOKEN, else the local sandbox."""
    settings = settings_or_exit()
    from bot.runner import run as run_bot

    asyncio.run(run_bot(settings, webhook=True) if webhook else run_bot(settings))


@app.command("chat", help=help_text("chat"))
def chat(
    user: Annotated[
        int,
        typer.Option("--user", metavar=help_text("metavar_user"), help=help_text("chat_user")),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", metavar=help_text("metavar_name"), help=help_text("chat_name")),
    ] = None,
    zalo: Annotated[bool, typer.Option("--zalo", help=help_text("chat_zalo"))] = False,
) -> None:
    """Talk to the sandbox bot in this terminal as one user."""
    settings = settings_or_exit()
    from bot.terminal_chat import chat as terminal_chat

    try:
        asyncio.run(terminal_chat(settings, user, name, zalo=zalo))
    except KeyboardInterrupt:
        sys.exit(130)


def main() -> None:
    app()
