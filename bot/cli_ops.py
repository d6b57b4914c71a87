"""Operating the bot: `dondoc backup`, `dondoc restore`, `dondoc check`.

`check` prints one line per check (ok, warn, FAIL) and exits 1 when any fails: the settings
(a wrong one exits 2, as with every command), the database (there, readable, writable, whole),
its migrations (none pending, none from a newer version) and each configured channel, Telegram
and Zalo (getMe answers with the token; in webhook mode, what Telegram says about the webhook)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import httpx
import typer

from bot.backup import (
    BackupError,
    DatabaseInfo,
    backup_database,
    backup_into,
    known_migrations,
    restore_database,
)
from bot.cli_common import (
    JsonOption,
    fail,
    help_text,
    print_json,
    say,
    settings_or_exit,
    text,
)
from bot.health import SchemaStatus
from bot.settings import Settings
from messages import vn_datetime

GET_ME_TIMEOUT = 5.0
DB_TIMEOUT = 5.0

# ---------------------------------------------------------------------------------------------
# backup, restore


def _database(info: DatabaseInfo) -> str:
    """Size, schema and rows of the main tables, as backup and restore tell them."""
    return text("ops.database", size=info.size, schema=info.schema, counts=info.counts)


def _reason(exc: BackupError | OSError) -> str:
    """Why a backup or a restore could not be done, in one line."""
    if isinstance(exc, BackupError):
        return text(f"ops.{exc.key}", **exc.values)
    return text("ops.system", problem=exc)


def backup(
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar=help_text("metavar_file"), help=help_text("backup_out")),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option("--dir", metavar=help_text("metavar_folder"), help=help_text("backup_dir")),
    ] = None,
    keep: Annotated[
        int,
        typer.Option("--keep", min=0, help=help_text("backup_keep")),
    ] = 14,
    as_json: JsonOption = False,
) -> None:
    """Back the database up while the bot runs (SQLite online backup), and check the copy."""
    settings = settings_or_exit()
    if (out is None) == (folder is None):
        raise typer.BadParameter(text("ops.backup_one_target"), param_hint="--out/--dir")
    removed: list[Path] = []
    try:
        if out is not None:
            info = backup_database(settings.db_path, out)
        else:
            assert folder is not None
            info, removed = backup_into(settings.db_path, folder, keep, datetime.now())
    except (BackupError, OSError) as exc:
        fail(text("ops.backup_failed", reason=_reason(exc)))
    if as_json:
        print_json({**_info_json(info), "removed": [str(p) for p in removed]})
        return
    say("ops.backed_up", db=settings.db_path, path=info.path, database=_database(info))
    for old in removed:
        say("ops.removed_backup", path=old)


def restore(
    file: Annotated[
        Path,
        typer.Argument(metavar=help_text("metavar_file"), help=help_text("restore_file")),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help=help_text("restore_yes"))] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help=help_text("restore_force")),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Replace the database with a backup. Stop the bot first; the old database is kept (.bak)."""
    settings = settings_or_exit()
    db = settings.db_path
    if not yes and not as_json:
        typer.confirm(text("ops.restore_confirm", db=db, file=file), abort=True)
    try:
        restored = restore_database(file, db, datetime.now(), force=force)
    except (BackupError, OSError) as exc:
        fail(text("ops.restore_refused", reason=_reason(exc)))
    pending = [v for v, _ in known_migrations() if v not in restored.info.versions]
    if as_json:
        print_json(
            {
                **_info_json(restored.info),
                "previous": str(restored.previous) if restored.previous else None,
                "pending_migrations": pending,
            }
        )
        return
    say("ops.restored", file=file, db=db, database=_database(restored.info))
    if restored.previous is not None:
        say("ops.previous_kept", path=restored.previous)
    if pending:
        say("ops.pending_on_start", versions=pending)
    say("ops.start_again")


def _info_json(info: DatabaseInfo) -> dict[str, Any]:
    return {
        "path": str(info.path),
        "size": info.size,
        "schema": info.schema,
        "counts": info.counts,
    }


# ---------------------------------------------------------------------------------------------
# check


@dataclass(frozen=True)
class Check:
    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str


def check_database(settings: Settings) -> list[Check]:
    """The database file: there, whole, writable, and migrated as this code expects."""
    path = settings.db_path
    if not path.exists():
        return [Check("database", "fail", text("ops.check_no_database", path=path))]
    if not path.is_file():
        return [Check("database", "fail", text("ops.check_not_a_file", path=path))]
    folder = path.parent
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
        return [Check("database", "fail", text("ops.check_not_writable", path=path))]
    try:
        conn = sqlite3.connect(path, timeout=DB_TIMEOUT)
    except sqlite3.Error as exc:
        return [Check("database", "fail", text("ops.cannot_open", path=path, problem=exc))]
    try:
        quick = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if quick != ["ok"]:
            damaged = text("ops.damaged", path=path, problems="; ".join(quick[:3]))
            return [Check("database", "fail", damaged)]
        conn.execute("BEGIN IMMEDIATE")  # can we take the write lock?
        conn.execute("ROLLBACK")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied = (
            tuple(r[0] for r in conn.execute("SELECT version FROM schema_migrations"))
            if "schema_migrations" in tables
            else ()
        )
    except sqlite3.Error as exc:
        return [Check("database", "fail", text("ops.check_sqlite_error", path=path, problem=exc))]
    finally:
        conn.close()
    size = path.stat().st_size
    checks = [Check("database", "ok", text("ops.check_database_ok", path=path, size=size))]
    status = SchemaStatus(tuple(sorted(applied)), tuple(v for v, _ in known_migrations()))
    if status.newer:
        newer = text("ops.check_migrations_newer", versions=status.newer)
        checks.append(Check("migrations", "fail", newer))
    elif status.pending:
        pending = text("ops.check_migrations_pending", versions=status.pending)
        checks.append(Check("migrations", "fail", pending))
    else:
        applied_ok = text("ops.check_migrations_ok", count=len(status.applied))
        checks.append(Check("migrations", "ok", applied_ok))
    return checks


def _redact(text: str, settings: Settings) -> str:
    for token in (settings.telegram_token, settings.zalo_token):
        if token:
            text = text.replace(token, "<token>")
    return text


def _bot_api(api_url: str, token: str, method: str) -> tuple[int, dict[str, Any]]:
    """Call a Bot API method (Telegram's or Zalo's, the same shape): (HTTP status, the answer's
    JSON); raises httpx.HTTPError or ValueError."""
    response = httpx.post(f"{api_url}{token}/{method}", json={}, timeout=GET_ME_TIMEOUT)
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(data)  # not a JSON object
    return response.status_code, data


def _get_me(
    settings: Settings, name: str, api_url: str, token: str, setting: str, maker: str
) -> Check:
    """getMe with a channel's token: ok with the bot's name, or why not in one line."""
    try:
        status, data = _bot_api(api_url, token, "getMe")
    except (httpx.HTTPError, ValueError) as exc:
        where = api_url.removesuffix("/bot")
        problem = _redact(f"{type(exc).__name__}: {exc}", settings)
        return Check(name, "fail", text("ops.check_unreachable", where=where, problem=problem))
    result = data.get("result")
    if status == 401 or data.get("error_code") == 401:
        return Check(name, "fail", text("ops.check_token_unknown", maker=maker, setting=setting))
    if not data.get("ok") or not isinstance(result, dict):
        description = _redact(str(data.get("description", "")), settings)
        refused = text("ops.check_refused", status=status, description=description)
        return Check(name, "fail", refused)
    who = result.get("username") or result.get("account_name") or result.get("display_name")
    return Check(name, "ok", text("ops.check_bot", name=who, id=result.get("id")))


def probe_telegram(settings: Settings) -> list[Check]:
    """getMe with the token; in webhook mode also getWebhookInfo. [] when not configured."""
    if settings.telegram_token is None:
        return []
    me = _get_me(
        settings,
        "telegram",
        settings.telegram_api_url,
        settings.telegram_token,
        "DONDOC_TELEGRAM_TOKEN",
        "@BotFather",
    )
    if me.status == "ok" and settings.webhook_url:
        return [me, _webhook_check(settings)]
    return [me]


def probe_zalo(settings: Settings) -> list[Check]:
    """getMe with the Zalo bot's token. [] when not configured."""
    if settings.zalo_token is None:
        return []
    return [
        _get_me(
            settings,
            "zalo",
            settings.zalo_api_url,
            settings.zalo_token,
            "DONDOC_ZALO_TOKEN",
            "Zalo Bot Creator",
        )
    ]


def _webhook_check(settings: Settings) -> Check:
    """What Telegram says about the webhook: registered where, waiting updates, last error."""
    assert settings.telegram_token is not None
    try:
        _, data = _bot_api(settings.telegram_api_url, settings.telegram_token, "getWebhookInfo")
    except (httpx.HTTPError, ValueError) as exc:
        problem = _redact(f"{type(exc).__name__}: {exc}", settings)
        return Check("webhook", "warn", text("ops.check_webhook_unknown", problem=problem))
    info = data.get("result") if isinstance(data.get("result"), dict) else {}
    assert isinstance(info, dict)
    url = info.get("url") or ""
    pending = info.get("pending_update_count", 0)
    if url != settings.webhook_url:
        elsewhere = text("ops.check_webhook_elsewhere", registered=url, pending=pending)
        return Check("webhook", "warn", elsewhere)
    error = info.get("last_error_message")
    if error:
        when = info.get("last_error_date")
        at = _when(when, settings.tz) if isinstance(when, int) else "?"
        detail = text("ops.check_webhook_error", url=url, pending=pending, at=at, error=error)
        return Check("webhook", "warn", detail)
    return Check("webhook", "ok", text("ops.check_webhook_ok", url=url, pending=pending))


def _when(timestamp: int, tz: ZoneInfo) -> str:
    """A Unix time as people write it: 8:05 20/4/2024."""
    return vn_datetime(datetime.fromtimestamp(timestamp, tz), tz)


# One probe per channel the bot can run on; each returns [] when its channel is not configured.
CHANNEL_PROBES: tuple[Callable[[Settings], list[Check]], ...] = (probe_telegram, probe_zalo)


def run_checks(settings: Settings) -> list[Check]:
    valid = text("ops.check_settings", db=settings.db_path, webhook=bool(settings.webhook_url))
    checks = [Check("settings", "ok", valid)]
    checks += check_database(settings)
    channels = [c for probe in CHANNEL_PROBES for c in probe(settings)]
    if not channels:
        channels = [Check("channels", "fail", text("ops.check_no_channel"))]
    return checks + channels


_MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def check(as_json: JsonOption = False) -> None:
    """Check settings, database, migrations and each channel's token; exit 1 if one fails."""
    settings = settings_or_exit()
    checks = run_checks(settings)
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        print_json({"ok": not failed, "checks": [asdict(c) for c in checks]})
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            typer.echo(f"{_MARKS[c.status]}  {c.name.ljust(width)}  {c.detail}")
    if failed:
        raise typer.Exit(1)


def register_ops(app: typer.Typer) -> None:
    """Mount backup, restore and check on the `dondoc` command."""
    app.command("backup", help=help_text("backup"))(backup)
    app.command("restore", help=help_text("restore"))(restore)
    app.command("check", help=help_text("check"))(check)
