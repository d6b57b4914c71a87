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
from bot.cli_common import fail, print_json, settings_or_exit
from bot.health import SchemaStatus
from bot.settings import Settings

GET_ME_TIMEOUT = 5.0
DB_TIMEOUT = 5.0

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout for scripts.")]


# ---------------------------------------------------------------------------------------------
# backup, restore


def backup(
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the backup to this file."),
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Write dondoc-YYYYMMDD-HHMMSS.sqlite3 into this folder (for a daily timer).",
        ),
    ] = None,
    keep: Annotated[
        int,
        typer.Option("--keep", min=0, help="With --dir: keep this many newest backups (0: all)."),
    ] = 14,
    as_json: JsonOption = False,
) -> None:
    """Back the database up while the bot runs (SQLite online backup), and check the copy."""
    settings = settings_or_exit()
    if (out is None) == (folder is None):
        raise typer.BadParameter("give either --out FILE or --dir DIR", param_hint="--out/--dir")
    removed: list[Path] = []
    try:
        if out is not None:
            info = backup_database(settings.db_path, out)
        else:
            assert folder is not None
            info, removed = backup_into(settings.db_path, folder, keep, datetime.now())
    except (BackupError, OSError) as exc:
        fail(f"Backup failed: {exc}")
    if as_json:
        print_json({**_info_json(info), "removed": [str(p) for p in removed]})
        return
    typer.echo(f"Backed up {settings.db_path} to {info.path} ({info.summary()}); integrity ok.")
    for old in removed:
        typer.echo(f"Removed old backup {old}.")


def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `dondoc backup`.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Restore although the database looks open (after a crash)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Replace the database with a backup. Stop the bot first; the old database is kept (.bak)."""
    settings = settings_or_exit()
    db = settings.db_path
    if not yes and not as_json:
        typer.confirm(f"Replace {db} with {file}? Stop the bot first.", abort=True)
    try:
        restored = restore_database(file, db, datetime.now(), force=force)
    except (BackupError, OSError) as exc:
        fail(f"Restore refused: {exc}")
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
    typer.echo(f"Restored {file} into {db} ({restored.info.summary()}).")
    if restored.previous is not None:
        typer.echo(f"The database it replaced is kept as {restored.previous}.")
    if pending:
        typer.echo(f"Migrations {pending} will be applied when the bot starts.")
    typer.echo("Start the bot again (systemctl start dondoc, docker compose start bot).")


def _info_json(info: DatabaseInfo) -> dict[str, Any]:
    return {
        "path": str(info.path),
        "size": info.size,
        "schema": max(info.versions) if info.versions else 0,
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
        return [
            Check(
                "database",
                "fail",
                f"no database at {path}: `dondoc run` creates it on its first start,"
                " or restore a backup (`dondoc restore FILE`)",
            )
        ]
    if not path.is_file():
        return [Check("database", "fail", f"{path} is not a file")]
    folder = path.parent
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
        return [
            Check(
                "database",
                "fail",
                f"{path} (or its folder) is not writable by this user: the bot needs both",
            )
        ]
    try:
        conn = sqlite3.connect(path, timeout=DB_TIMEOUT)
    except sqlite3.Error as exc:
        return [Check("database", "fail", f"cannot open {path}: {exc}")]
    try:
        quick = [row[0] for row in conn.execute("PRAGMA quick_check")]
        if quick != ["ok"]:
            return [Check("database", "fail", f"{path} is damaged: {'; '.join(quick[:3])}")]
        conn.execute("BEGIN IMMEDIATE")  # can we take the write lock?
        conn.execute("ROLLBACK")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied = (
            tuple(r[0] for r in conn.execute("SELECT version FROM schema_migrations"))
            if "schema_migrations" in tables
            else ()
        )
    except sqlite3.Error as exc:
        return [Check("database", "fail", f"{path}: {exc}")]
    finally:
        conn.close()
    size = path.stat().st_size
    checks = [Check("database", "ok", f"{path} ({size:,} bytes): readable, writable, whole")]
    status = SchemaStatus(tuple(sorted(applied)), tuple(v for v, _ in known_migrations()))
    if status.newer:
        checks.append(Check("migrations", "fail", status.describe() + ": upgrade dondoc"))
    elif status.pending:
        checks.append(
            Check(
                "migrations",
                "fail",
                status.describe() + ": they apply when the bot starts; (re)start it",
            )
        )
    else:
        checks.append(Check("migrations", "ok", status.describe()))
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
        raise ValueError("the answer is not a JSON object")
    return response.status_code, data


def _get_me(
    settings: Settings, name: str, api_url: str, token: str, setting: str, maker: str
) -> Check:
    """getMe with a channel's token: ok with the bot's name, or why not in one line."""
    try:
        status, data = _bot_api(api_url, token, "getMe")
    except (httpx.HTTPError, ValueError) as exc:
        where = api_url.removesuffix("/bot")
        detail = _redact(f"{type(exc).__name__}: {exc}", settings)
        return Check(name, "fail", f"getMe: cannot reach {where}: {detail}")
    result = data.get("result")
    if status == 401 or data.get("error_code") == 401:
        return Check(
            name,
            "fail",
            f"getMe: 401 Unauthorized: the token is not known; copy it again from {maker}"
            f" into {setting}",
        )
    if not data.get("ok") or not isinstance(result, dict):
        description = _redact(str(data.get("description", "")), settings)
        return Check(name, "fail", f"getMe: {status} {description}".rstrip())
    who = result.get("username") or result.get("account_name") or result.get("display_name")
    return Check(name, "ok", f"getMe: @{who} (id {result.get('id')})")


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
        return Check("webhook", "warn", _redact(f"getWebhookInfo failed: {exc}", settings))
    info = data.get("result") if isinstance(data.get("result"), dict) else {}
    assert isinstance(info, dict)
    url = info.get("url") or ""
    pending = info.get("pending_update_count", 0)
    if url != settings.webhook_url:
        registered = url or "none (polling)"
        return Check(
            "webhook",
            "warn",
            f"Telegram has {registered}, not DONDOC_WEBHOOK_URL; `dondoc run --webhook`"
            f" registers it on start ({pending} updates waiting)",
        )
    error = info.get("last_error_message")
    if error:
        when = info.get("last_error_date")
        at = datetime.fromtimestamp(when).isoformat(sep=" ") if isinstance(when, int) else "?"
        return Check(
            "webhook",
            "warn",
            f"{url}: {pending} updates waiting; last error at {at}: {error}",
        )
    return Check("webhook", "ok", f"{url}: {pending} updates waiting, no error")


# One probe per channel the bot can run on; each returns [] when its channel is not configured.
CHANNEL_PROBES: tuple[Callable[[Settings], list[Check]], ...] = (probe_telegram, probe_zalo)


def run_checks(settings: Settings) -> list[Check]:
    mode = "webhook" if settings.webhook_url else "polling"
    checks = [Check("settings", "ok", f"valid; database {settings.db_path}, updates by {mode}")]
    checks += check_database(settings)
    channels = [c for probe in CHANNEL_PROBES for c in probe(settings)]
    if not channels:
        channels = [
            Check(
                "channels",
                "fail",
                "no channel configured: set DONDOC_TELEGRAM_TOKEN or DONDOC_ZALO_TOKEN"
                " (without one, `dondoc run` starts the local sandbox)",
            )
        ]
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
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("check")(check)
