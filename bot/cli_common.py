"""Plumbing shared by the `dondoc` commands: settings that stop with one line, the database opened
around a command, JSON on stdout, and the texts they print (messages/vi/cli*.j2, ops.j2): every
line a person reads comes from a template, helps of commands and options included."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from bot.clock import clock_for
from bot.services import Repos, Services
from bot.settings import Settings, SettingsError, load_settings
from messages import Texts
from storage.db import Database

T = TypeVar("T")

_TEXTS = Texts("vi")


def text(key: str, /, **values: Any) -> str:
    """A message of messages/vi/ as a terminal shows it: plain text, nothing escaped. Values
    are given formatted (dates as 20/4/2024): the templates of the command line use no filter
    that depends on the time zone."""
    return _TEXTS.label(key, **values)


def say(key: str, /, *, err: bool = False, **values: Any) -> None:
    """Print a message (on stderr with err=True)."""
    typer.echo(text(key, **values), err=err)


def help_text(name: str) -> str:
    """The help of a command, a group or an option: messages/vi/cli_help.j2."""
    return text(f"cli_help.{name}")


JsonOption = Annotated[bool, typer.Option("--json", help=help_text("json"))]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """The settings, or one line on stderr and exit 2; with the clock the running product uses
    for this database (`product_settings`)."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc), 2)
    return product_settings(settings)


def product_settings(settings: Settings) -> Settings:
    """The settings as `dondoc run` uses them for the same database (bot/runner.py): with no
    token, the sandbox's clock (DONDOC_CLOCK, else where the sandbox clock was left, kept
    beside its database, else the sample's start), so that the commands see the invites, the
    deadlines and the reminders of the sandbox at the sandbox's time, not today's."""
    if not settings.sandbox:
        return settings
    from bot.sandbox.demo import with_sandbox_clock

    return with_sandbox_clock(settings)


def texts_for(settings: Settings) -> Texts:
    return Texts("vi", settings.tz)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def with_db(settings: Settings, body: Callable[[Database], Awaitable[T]]) -> T:
    """Open the database (migrations apply), run `body`, close it, all in one event loop."""

    async def go() -> T:
        try:
            db = await Database.open(settings.db_path)
        except (OSError, sqlite3.Error) as exc:
            fail(text("cli.cannot_open_db", path=settings.db_path, problem=exc))
        try:
            return await body(db)
        finally:
            await db.close()

    return asyncio.run(go())


def with_services(settings: Settings, body: Callable[[Services], Awaitable[T]]) -> T:
    """As `with_db`, with the services a handler would get."""

    async def run(db: Database) -> T:
        services = Services(
            db=db,
            repos=Repos.on(db),
            texts=texts_for(settings),
            clock=clock_for(settings.tz, settings.clock),
        )
        return await body(services)

    return with_db(settings, run)
