"""The `dondoc` command line: units, invites (and printable invite sheets), members, run, chat.

Every command reads the settings first: a wrong setting prints one line and exits 2. Commands that
a script may read take --json: then stdout holds one JSON document and nothing else."""

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
from bot.cli_common import fail, print_json, settings_or_exit, with_db
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

SANDBOX_BOT_USERNAME = "dondoc_sandbox_bot"
BOT_USERNAME_ENV = "DONDOC_BOT_USERNAME"
GET_ME_TIMEOUT = 5.0
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")

app = typer.Typer(
    name="dondoc",
    no_args_is_help=True,
    add_completion=False,
)
units_app = typer.Typer(help="Units: import them from a CSV, Excel or YAML file, show the tree.")
invite_app = typer.Typer(help="Invites: create, list, revoke, print a sheet of QR codes.")
members_app = typer.Typer(help="Registered members.")
app.add_typer(units_app, name="units", no_args_is_help=True)
app.add_typer(invite_app, name="invite", no_args_is_help=True)
app.add_typer(members_app, name="members", no_args_is_help=True)
app.add_typer(plan_app, name="plan", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders", no_args_is_help=True)
app.command("broadcast")(cli_office.broadcast)
app.command("audit")(cli_office.audit)
register_ops(app)  # backup, restore, check
register_export(app)  # export

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout for scripts.")]


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
_ROLE_HELP = (
    "secretary, deputy, office, leader, admin; or in Vietnamese, diacritics optional:"
    " bi thu, pho bi thu, van phong, thuong truc, quan tri."
)


def parse_role(text: str) -> Role:
    """A Role from its value or Vietnamese name, in any case, with or without diacritics."""
    if isinstance(text, Role):
        return text
    role = _ROLE_WORDS.get(fold(text))
    if role is None:
        raise typer.BadParameter(f"unknown role {text!r}: use {_ROLE_HELP}")
    return role


_DURATION_RE = re.compile(r"^\s*(\d+)\s*(\D*?)\s*$")
_DURATION_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("", "d", "day", "days", "ngay"), timedelta(days=1)),
    **dict.fromkeys(("h", "hour", "hours", "gio"), timedelta(hours=1)),
    **dict.fromkeys(("w", "week", "weeks", "tuan"), timedelta(weeks=1)),
}
MAX_VALID_FOR = timedelta(days=365)


def parse_duration(text: str) -> timedelta:
    """ "14d", "48h", "2w" (also "14", "14 ngay", "2 tuan") -> a timedelta, up to a year."""
    if isinstance(text, timedelta):
        return text
    match = _DURATION_RE.match(text)
    unit = _DURATION_UNITS.get(fold(match.group(2))) if match else None
    if match is None or unit is None:
        raise typer.BadParameter(f"{text!r} is not a duration: write e.g. 14d, 48h or 2w")
    value = int(match.group(1)) * unit
    if not timedelta(0) < value <= MAX_VALID_FOR:
        raise typer.BadParameter(f"{text!r}: must be more than 0 and at most 365 days")
    return value


def _bot_username_option(text: str | None) -> str | None:
    if text is None:
        return None
    name = text.strip().removeprefix("https://t.me/").removeprefix("@")
    if not _USERNAME_RE.match(name):
        raise typer.BadParameter(f"{text!r} is not a Telegram bot username")
    return name


RoleOption = Annotated[
    Role,
    typer.Option(
        parser=parse_role,
        metavar="ROLE",
        help=_ROLE_HELP,
    ),
]
ExpiresOption = Annotated[
    timedelta | None,
    typer.Option(
        parser=parse_duration,
        metavar="DURATION",
        help="How long the invite stays valid: 14d, 48h, 2w. Default: DONDOC_INVITE_DAYS days.",
    ),
]
BotOption = Annotated[
    str | None,
    typer.Option(
        "--bot",
        metavar="USERNAME",
        help="The bot's username for the t.me link (default: DONDOC_BOT_USERNAME, else getMe).",
    ),
]


# ---------------------------------------------------------------------------------------------
# Shared plumbing


@app.callback()
def _root() -> None:
    """Đôn Đốc: carry a plan out across the units of a Party Committee."""


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


def resolve_bot_username(settings: Settings, option: str | None) -> str | None:
    """--bot, else $DONDOC_BOT_USERNAME, else getMe with the token, else the sandbox bot's name
    when there is no token; None when getMe fails."""
    if option:
        return option
    env = os.environ.get(BOT_USERNAME_ENV, "").strip().removeprefix("@")
    if env:
        return env
    if settings.telegram_token is None:
        return SANDBOX_BOT_USERNAME
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
    return invite.problem(now) or "active"


# ---------------------------------------------------------------------------------------------
# units


@units_app.command("import")
def units_import(
    file: Annotated[Path, typer.Argument(help="A .csv, .xlsx or .yaml file.")],
    as_json: JsonOption = False,
) -> None:
    """Import units (code, name, parent, kind) from CSV, Excel or YAML: all or nothing."""
    settings = settings_or_exit()
    now = clock_for(settings.tz, settings.clock).now()
    try:
        rows = load_file(file)
        result = with_db(settings, lambda db: import_units(db, rows, now))
    except ImportRejected as rejected:
        if as_json:
            print_json({"ok": False, "errors": [e.as_dict() for e in rejected.errors]})
        else:
            typer.echo(rejected.summary(file.name), err=True)
            for error in rejected.errors:
                typer.echo(f"  {error}", err=True)
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
    typer.echo(
        f"Imported {result.total} units from {file.name}: {result.created} created,"
        f" {result.updated} updated, {result.unchanged} unchanged."
    )


@units_app.command("list")
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
        typer.echo("No units yet: import them with `dondoc units import FILE`.")
        return
    for unit, depth in tree:
        members = counts.get(unit.id, 0)
        noun = "member" if members == 1 else "members"
        typer.echo(
            f"{'    ' * depth}{unit.code}  {unit.name}  ({unit.kind.value}, {members} {noun})"
        )


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


@invite_app.command("create")
def invite_create(
    unit: Annotated[str, typer.Option("--unit", metavar="CODE", help="The unit's code.")],
    role: RoleOption,
    uses: Annotated[int, typer.Option("--uses", min=1, help="How many people may use it.")] = 1,
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
        fail(f"No unit with code {unit!r}: see `dondoc units list`.")
    invite, found = created
    username = resolve_bot_username(settings, username_option)
    if username is None:
        typer.echo(
            "Could not ask Telegram for the bot's username (getMe failed): the t.me link needs"
            " --bot USERNAME or DONDOC_BOT_USERNAME; the /start line works in the chat.",
            err=True,
        )
    if as_json:
        print_json(_invite_json(invite, found, settings, now, username))
        return
    lines = [
        f"Invite for {found.name} ({found.code}), role {invite.role.value}",
        f"  code:     {invite.code}",
        f"  uses:     {invite.max_uses}",
        f"  expires:  {_when(invite.expires_at, settings)}",
    ]
    if username:
        lines.append(f"  link:     {deep_link(username, invite.code)}")
    lines.append(f"  or type:  /start {invite.code}")
    typer.echo("\n".join(lines))


@invite_app.command("list")
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
        typer.echo("No invites yet: create one with `dondoc invite create --unit CODE --role R`.")
        return
    rows = [
        [
            i.code,
            units[i.unit_id].code,
            i.role.value,
            f"{i.uses}/{i.max_uses}",
            _when(i.expires_at, settings),
            invite_state(i, now),
        ]
        for i in invites
    ]
    for line in _table(["CODE", "UNIT", "ROLE", "USES", "EXPIRES", "STATE"], rows):
        typer.echo(line)


@invite_app.command("revoke")
def invite_revoke(code: Annotated[str, typer.Argument(help="The invite's code.")]) -> None:
    """Revoke an invite so nobody can register with it any more."""
    settings = settings_or_exit()
    now = clock_for(settings.tz, settings.clock).now()

    async def revoke(db: Database) -> str | None:
        repo = InviteRepository(db)
        invite = await repo.by_code(code.strip())
        if invite is None:
            return f"No invite with code {code!r}."
        if invite.revoked_at is not None:
            return (
                f"Invite {invite.code} was already revoked on {_when(invite.revoked_at, settings)}."
            )
        await repo.revoke(invite.code, now)
        return None

    problem = with_db(settings, revoke)
    if problem:
        fail(problem)
    typer.echo(f"Revoked invite {code.strip()}.")


@invite_app.command("sheet")
def invite_sheet(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write: FILE.pdf or FILE.png.", metavar="FILE")
    ],
    units: Annotated[
        str | None,
        typer.Option(
            "--units",
            metavar="CODE,CODE",
            help="Which units (default: every unit whose kind reports: party_committee, cell).",
        ),
    ] = None,
    role: RoleOption = Role.SECRETARY,
    expires: ExpiresOption = None,
    bot: BotOption = None,
    font: Annotated[
        Path | None, typer.Option("--font", help="A .ttf font with Vietnamese letters.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create one fresh invite per unit and print their QR codes on A4 pages (PDF or PNG)."""
    from bot.invite_sheet import SheetEntry, find_font, render_pages, save_pages

    settings = settings_or_exit()
    if out.suffix.lower() not in (".pdf", ".png"):
        raise typer.BadParameter("must end in .pdf or .png", param_hint="--out")
    if font is not None and not font.is_file():
        raise typer.BadParameter(f"{font} is not a file", param_hint="--font")
    username = resolve_bot_username(settings, _bot_username_option(bot))
    if username is None:
        fail("Could not ask Telegram for the bot's username (getMe failed): pass --bot USERNAME.")
    font_path = font or find_font()
    if font_path is None:
        typer.echo(
            "Warning: no DejaVu Sans font found; using Pillow's default font, which may not show"
            " Vietnamese diacritics (pass --font FILE.ttf).",
            err=True,
        )
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
                return f"No unit with code {', '.join(unknown)}: see `dondoc units list`."
            chosen = [u for u in found.values() if u is not None]
        if not chosen:
            return "No units to invite: import units first (`dondoc units import FILE`)."
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
                raise _SheetNotWritten(f"Cannot write {out}: {exc}") from exc
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
    typer.echo(f"Wrote {len(made)} {role.value} invites to {where}.")


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


@members_app.command("list")
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
        typer.echo("No members registered yet.")
        return
    rows = [
        [
            m.unit_code,
            m.member.role.value,
            m.member.full_name,
            ", ".join(i.channel for i in m.identities) or "-",
            _when(m.member.registered_at, settings),
            "yes" if m.reachable else "no",
        ]
        for m in listing
    ]
    headers = ["UNIT", "ROLE", "NAME", "CHANNELS", "REGISTERED", "REACHABLE"]
    for line in _table(headers, rows):
        typer.echo(line)


# ---------------------------------------------------------------------------------------------
# run, chat


@app.command("run")
def run(
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook",
            help="Take updates by webhook (DONDOC_WEBHOOK_URL, DONDOC_WEBHOOK_SECRET) instead of"
            " polling.",
        ),
    ] = False,
) -> None:
    """Run the bot: on Telegram with DONDOC_TELEGRAM_TOKEN, else the local sandbox."""
    settings = settings_or_exit()
    from bot.runner import run as run_bot

    asyncio.run(run_bot(settings, webhook=True) if webhook else run_bot(settings))


@app.command("chat")
def chat(
    user: Annotated[int, typer.Option("--user", metavar="ID", help="The user id to chat as.")],
    name: Annotated[str | None, typer.Option("--name", help="The user's display name.")] = None,
    zalo: Annotated[bool, typer.Option("--zalo", help="Chat as a Zalo user.")] = False,
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
