"""Operating the bot: settings for webhook mode and their documentation in deploy/.env.example,
`dondoc backup` while the bot writes and `dondoc restore`, `dondoc check` failing on each cause,
and log lines a technician can read."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner, Result

from bot import cli_ops
from bot.backup import (
    BackupError,
    backup_database,
    backup_into,
    inspect_database,
    known_migrations,
    restore_database,
)
from bot.cli import app
from bot.logs import JsonFormatter, TextFormatter
from bot.sandbox.emulator_thread import EmulatorThread
from bot.settings import Settings, SettingsError, load_settings
from bot.webhook import webhook_target
from storage.db import Database
from storage.outbox import NewMessage, OutboxRepository
from storage.units import UnitRepository
from tests.conftest import SAMPLE_UNITS, START

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
TOKEN = "123456789:ABCdefGHIjklMNOpqr"


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test: its own data dir, no stray DONDOC_* setting, no .env from the repo."""
    for name in list(os.environ):
        if name.startswith("DONDOC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(*args: str | Path, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], input=stdin)


def make_db(path: Path, *, units: bool = True) -> Path:
    async def go() -> None:
        db = await Database.open(path)
        if units:
            async with db.transaction():
                await UnitRepository(db).upsert_many(SAMPLE_UNITS, START)
        await db.close()

    asyncio.run(go())
    return path


def make_old_db(path: Path) -> Path:
    """A database of the first version: only the first migration applied."""
    version, name = known_migrations()[0]
    sql = (ROOT / "storage" / "migrations" / name).read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(sql)
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '2024-01-01')", (version, name))
    conn.close()
    return path


def add_future_migration(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', '2030-01-01')")
    conn.close()


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# settings


def _example_lines() -> dict[str, str]:
    """NAME -> value of every DONDOC_ line of .env.example, commented out or not."""
    found: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?(DONDOC_[A-Z_]+)=(.*)$", line.strip())
        if match:
            found[match.group(1)] = match.group(2).strip().strip("'")
    return found


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(_example_lines())
    settings = {f"DONDOC_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set(), "add these to deploy/.env.example"
    assert documented - settings == set(), "these are no settings any more"


def test_env_example_parses_and_each_example_value_is_valid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DONDOC_DATA_DIR")
    parsed = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert parsed.sandbox and parsed.data_dir == Path("/var/lib/dondoc")
    for name, value in _example_lines().items():
        if value:
            monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None)
    assert settings.webhook_url and settings.extra_holidays


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DONDOC_WEBHOOK_SECRET", "has spaces in it", "từ 1 đến 256 ký tự"),
        ("DONDOC_WEBHOOK_SECRET", "x" * 257, "từ 1 đến 256 ký tự"),
        ("DONDOC_WEBHOOK_URL", "http://bot.example.gov.vn/hook", "https://"),
        ("DONDOC_WEBHOOK_URL", "https://bot.example.gov.vn/hook?a=1", "không kèm ?tham số"),
        ("DONDOC_WEBHOOK_PORT", "70000", "nhỏ hơn hoặc bằng 65535"),
        ("DONDOC_LOG_FORMAT", "xml", "'text' hoặc 'json'"),
        ("DONDOC_EXTRA_HOLIDAYS", "[2024", "danh sách JSON"),
    ],
)
def test_a_wrong_webhook_or_log_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"Thiết lập {name} sai: ") and says in message


def test_webhook_mode_needs_url_and_secret() -> None:
    with pytest.raises(
        SettingsError, match="Thiếu thiết lập DONDOC_WEBHOOK_URL: chạy với --webhook"
    ):
        webhook_target(Settings(_env_file=None))  # type: ignore[call-arg]
    no_secret = Settings(_env_file=None, webhook_url="https://b.example.org/tg/x")  # type: ignore[call-arg]
    with pytest.raises(
        SettingsError, match="Thiếu thiết lập DONDOC_WEBHOOK_SECRET: chạy với --webhook"
    ):
        webhook_target(no_secret)
    both = no_secret.model_copy(update={"webhook_secret": "s3cret"})
    assert webhook_target(both).path == "/tg/x"
    local = Settings(_env_file=None, webhook_url="http://127.0.0.1:8443/h")  # type: ignore[call-arg]
    assert local.webhook_url == "http://127.0.0.1:8443/h"  # for the local sandbox


def test_run_webhook_without_its_settings_stops_with_one_line() -> None:
    result = cli("run", "--webhook")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "DONDOC_WEBHOOK_URL" in result.stderr


# ---------------------------------------------------------------------------------------------
# backup and restore


async def test_a_backup_taken_while_the_bot_writes_is_whole_and_restores_the_same(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live.sqlite3"
    db = await Database.open(live)
    outbox = OutboxRepository(db)
    written = 0
    stop, warm = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        """The bot at work: each transaction queues a pair of messages."""
        nonlocal written
        while not stop.is_set():
            async with db.transaction():
                for half in ("a", "b"):
                    message = NewMessage(f"w:{written}:{half}", "t", None, "telegram", "1", _r())
                    await outbox.enqueue(message, START)
            written += 1
            if written >= 20:
                warm.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    try:
        await warm.wait()
        copies = []
        for i in range(3):
            before = written
            info = await asyncio.to_thread(backup_database, live, tmp_path / f"b{i}.sqlite3")
            copies.append((before, written, info))
    finally:
        stop.set()
        await task
    await db.close()
    assert written > copies[-1][0]  # the bot went on writing during the backups
    for before, after, info in copies:
        keys = [row[0] for row in _rows(info.path, "SELECT key FROM outbox ORDER BY id")]
        pairs = len(keys) // 2
        # A consistent snapshot: whole transactions only, in order, none missing.
        assert keys == [f"w:{n}:{h}" for n in range(pairs) for h in "ab"]
        assert before <= pairs <= after
        assert info.counts["outbox"] == len(keys)
        assert _rows(info.path, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file

    target = tmp_path / "restored" / "dondoc.sqlite3"
    restored = restore_database(copies[-1][2].path, target, datetime(2024, 3, 1))
    assert restored.previous is None
    assert dump(target) == dump(copies[-1][2].path)


def _r() -> Any:
    from bot.chat import Reply

    return Reply("x")


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def test_dondoc_backup_writes_a_checked_copy(tmp_path: Path) -> None:
    make_db(load_settings().db_path)
    result = cli("backup", "--out", tmp_path / "saved" / "b.sqlite3")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Đã sao lưu {load_settings().db_path} vào ")
    assert "6 đơn vị" in result.stdout and "bản sao nguyên vẹn" in result.stdout
    assert inspect_database(tmp_path / "saved" / "b.sqlite3").counts["units"] == 6
    as_json = json.loads(cli("backup", "--out", tmp_path / "c.sqlite3", "--json").stdout)
    assert as_json["counts"]["units"] == 6 and as_json["schema"] == known_migrations()[-1][0]
    assert cli("backup").exit_code == 2  # --out or --dir
    assert cli("backup", "--out", "x", "--dir", "y").exit_code == 2
    assert cli("backup", "--out", load_settings().db_path).exit_code == 1


def test_backup_without_a_database_says_so(tmp_path: Path) -> None:
    result = cli("backup", "--out", tmp_path / "b.sqlite3")
    assert result.exit_code == 1
    assert result.stderr.startswith("Không sao lưu được: không có cơ sở dữ liệu ở ")
    assert not (tmp_path / "b.sqlite3").exists()


def test_daily_backups_in_a_folder_keep_the_newest(tmp_path: Path) -> None:
    db = make_db(tmp_path / "dondoc.sqlite3")
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not ours")
    day = datetime(2024, 3, 1, 2, 30)
    for i in range(4):
        info, removed = backup_into(db, folder, 3, day + timedelta(days=i))
        assert info.path.name == f"dondoc-2024030{i + 1}-023000.sqlite3"
    assert [p.name for p in removed] == ["dondoc-20240301-023000.sqlite3"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "dondoc-20240302-023000.sqlite3",
        "dondoc-20240303-023000.sqlite3",
        "dondoc-20240304-023000.sqlite3",
        "notes.txt",
    ]
    result = cli("backup", "--dir", folder, "--keep", "2", "--json")
    assert result.exit_code == 1  # DONDOC_DATA_DIR has no database
    os.environ["DONDOC_DB"] = str(db)
    try:
        result = cli("backup", "--dir", folder, "--keep", "2", "--json")
    finally:
        del os.environ["DONDOC_DB"]
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["removed"]) == 2


def test_restore_keeps_the_old_database_and_brings_the_backup_back(tmp_path: Path) -> None:
    current = load_settings().db_path
    make_db(current)
    saved = tmp_path / "saved.sqlite3"
    assert cli("backup", "--out", saved).exit_code == 0
    with sqlite3.connect(current) as conn:  # a change after the backup
        conn.execute("DELETE FROM units WHERE code = 'CBTS'")
    conn.close()
    refused = cli("restore", saved, stdin="n\n")
    assert refused.exit_code == 1 and len(_rows(current, "SELECT * FROM units")) == 5
    result = cli("restore", saved, "--yes")
    assert result.exit_code == 0, result.output
    assert len(_rows(current, "SELECT * FROM units")) == 6
    [kept] = current.parent.glob(f"{current.name}.*.bak")
    assert f"Cơ sở dữ liệu cũ được giữ lại ở {kept}." in result.stdout
    assert "Hãy chạy lại bot" in result.stdout
    assert len(_rows(kept, "SELECT * FROM units")) == 5


def test_restore_of_an_older_version_says_its_migrations_will_apply(tmp_path: Path) -> None:
    old = make_old_db(tmp_path / "old.sqlite3")
    result = cli("restore", old, "--yes", "--json")
    assert result.exit_code == 0, result.output
    pending = json.loads(result.stdout)["pending_migrations"]
    assert pending == [v for v, _ in known_migrations()[1:]]


def test_restore_refuses_what_is_not_a_good_dondoc_database(tmp_path: Path) -> None:
    current = make_db(load_settings().db_path)
    before = dump(current)
    text = tmp_path / "notes.sqlite3"
    text.write_text("hello " * 1000)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    newer = tmp_path / "newer.sqlite3"
    backup_database(current, newer)
    add_future_migration(newer)
    damaged = tmp_path / "damaged.sqlite3"
    backup_database(current, damaged)
    raw = bytearray(damaged.read_bytes())
    page = 4096
    raw[page * 2 : page * 2 + 200] = b"\xff" * 200
    damaged.write_bytes(bytes(raw))
    for bad, says in [
        (tmp_path / "missing.sqlite3", "không có tệp"),
        (text, "không phải cơ sở dữ liệu SQLite dùng được"),
        (other, "không phải cơ sở dữ liệu của Đôn Đốc"),
        (newer, "phiên bản Đôn Đốc mới hơn"),
        (damaged, "bị hỏng"),
    ]:
        result = cli("restore", bad, "--yes")
        assert result.exit_code == 1, (bad, result.output)
        assert result.stderr.startswith("Không khôi phục: "), result.stderr
        assert says in result.stderr, (says, result.stderr)
    assert dump(current) == before
    assert list(current.parent.glob("*.bak")) == []


def test_restore_refuses_while_the_database_is_open(tmp_path: Path) -> None:
    current = make_db(load_settings().db_path)
    saved = tmp_path / "saved.sqlite3"
    backup_database(current, saved)
    holder = sqlite3.connect(current)  # the bot, still running
    try:
        holder.execute("SELECT count(*) FROM units").fetchone()
        result = cli("restore", saved, "--yes")
        assert result.exit_code == 1 and "hãy dừng bot trước" in result.stderr
    finally:
        holder.close()
    # After a crash the -wal file stays: --force restores anyway, through it.
    current.with_name(current.name + "-wal").write_bytes(b"")
    assert cli("restore", saved, "--yes").exit_code == 1
    result = cli("restore", saved, "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert not current.with_name(current.name + "-wal").exists()
    assert dump(current) == dump(saved)


def test_backup_refuses_to_overwrite_the_database(tmp_path: Path) -> None:
    db = make_db(tmp_path / "dondoc.sqlite3")
    with pytest.raises(BackupError) as raised:
        backup_database(db, db)
    assert raised.value.key == "backup_onto_database"


# ---------------------------------------------------------------------------------------------
# check


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as emu:
        yield emu


def _check(*args: str) -> tuple[int, dict[str, tuple[str, str]]]:
    result = cli("check", "--json", *args)
    data = json.loads(result.stdout)
    assert data["ok"] == (result.exit_code == 0)
    return result.exit_code, {c["name"]: (c["status"], c["detail"]) for c in data["checks"]}


def _use_emulator(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread) -> None:
    monkeypatch.setenv("DONDOC_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("DONDOC_TELEGRAM_API_URL", emulator.api_url)


def test_check_passes_when_all_is_well(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread
) -> None:
    _use_emulator(monkeypatch, emulator)
    make_db(load_settings().db_path)
    result = cli("check")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "settings"],
        ["ok", "database"],
        ["ok", "migrations"],
        ["ok", "telegram"],
    ]
    assert "@dondoc123456789_bot" in result.stdout
    # In webhook mode it also says what Telegram knows of the webhook (a warning, not a failure).
    monkeypatch.setenv("DONDOC_WEBHOOK_URL", "https://bot.example.gov.vn/tg/x")
    code, checks = _check()
    assert code == 0 and checks["webhook"][0] == "warn"
    assert "cách nhận tin polling (chưa có webhook)" in checks["webhook"][1]


def test_check_exits_2_on_a_wrong_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DONDOC_TIMEZONE", "Mars/Olympus")
    result = cli("check")
    assert result.exit_code == 2 and result.stderr.startswith("Thiết lập DONDOC_TIMEZONE sai")


def test_check_fails_without_a_channel_or_a_database() -> None:
    code, checks = _check()
    assert code == 1
    assert checks["database"][0] == "fail"
    assert "không có cơ sở dữ liệu ở" in checks["database"][1]
    assert checks["channels"][0] == "fail" and "DONDOC_TELEGRAM_TOKEN" in checks["channels"][1]


@pytest.mark.parametrize("kind", ["folder", "not sqlite"])
def test_check_fails_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread, tmp_path: Path, kind: str
) -> None:
    _use_emulator(monkeypatch, emulator)
    path = tmp_path / "db"
    if kind == "folder":
        path.mkdir()
    else:
        path.write_bytes(b"this is no database " * 400)
    monkeypatch.setenv("DONDOC_DB", str(path))
    code, checks = _check()
    assert code == 1 and checks["database"][0] == "fail"
    assert checks["telegram"][0] == "ok"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files anyway")
def test_check_fails_when_the_database_is_read_only(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread
) -> None:
    _use_emulator(monkeypatch, emulator)
    path = make_db(load_settings().db_path)
    path.chmod(0o444)
    code, checks = _check()
    assert code == 1 and "không ghi được" in checks["database"][1]


def test_check_fails_when_the_database_cannot_be_written_now(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread
) -> None:
    _use_emulator(monkeypatch, emulator)
    monkeypatch.setattr(cli_ops, "DB_TIMEOUT", 0.2)
    path = make_db(load_settings().db_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # someone holds the write lock (and never lets go)
    try:
        code, checks = _check()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1 and "locked" in checks["database"][1]


def test_check_fails_on_pending_migrations_and_on_newer_ones(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread
) -> None:
    _use_emulator(monkeypatch, emulator)
    path = make_old_db(load_settings().db_path)
    code, checks = _check()
    assert code == 1 and checks["migrations"][0] == "fail"
    assert "chưa áp dụng" in checks["migrations"][1]
    assert "hãy chạy (lại) bot" in checks["migrations"][1]
    path.unlink()
    make_db(path)
    assert _check()[0] == 0
    add_future_migration(path)
    code, checks = _check()
    assert code == 1 and "hãy nâng cấp dondoc" in checks["migrations"][1]


class _BotApi(BaseHTTPRequestHandler):
    """A Bot API that knows one token: the Zalo bot's."""

    known: ClassVar[str] = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == f"/bot{self.known}/getMe":
            status, answer = 200, {"ok": True, "result": {"id": "42", "account_name": "van_phong"}}
        else:
            status, answer = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bot_api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _BotApi)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/bot"
    finally:
        server.shutdown()
        server.server_close()


def test_check_fails_when_telegram_refuses_the_token(
    monkeypatch: pytest.MonkeyPatch, bot_api: str
) -> None:
    monkeypatch.setenv("DONDOC_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("DONDOC_TELEGRAM_API_URL", bot_api)
    make_db(load_settings().db_path)
    code, checks = _check()
    assert code == 1 and checks["telegram"][0] == "fail"
    assert "401 Unauthorized" in checks["telegram"][1] and "@BotFather" in checks["telegram"][1]


def test_check_asks_each_configured_channel(
    monkeypatch: pytest.MonkeyPatch, bot_api: str, emulator: EmulatorThread
) -> None:
    _BotApi.known = "777:zalo-token-abcdef"
    monkeypatch.setenv("DONDOC_ZALO_TOKEN", _BotApi.known)
    monkeypatch.setenv("DONDOC_ZALO_API_URL", bot_api)
    make_db(load_settings().db_path)
    code, checks = _check()
    assert code == 0 and checks["zalo"] == ("ok", "getMe: @van_phong (id 42)")
    assert "telegram" not in checks
    _use_emulator(monkeypatch, emulator)
    monkeypatch.setenv("DONDOC_ZALO_TOKEN", "777:another-token-xyz")
    code, checks = _check()
    assert code == 1 and checks["telegram"][0] == "ok" and checks["zalo"][0] == "fail"
    assert "Zalo Bot Creator" in checks["zalo"][1] and "DONDOC_ZALO_TOKEN" in checks["zalo"][1]


def test_check_fails_when_telegram_cannot_be_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("DONDOC_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("DONDOC_TELEGRAM_API_URL", f"http://127.0.0.1:{closed}/bot")
    make_db(load_settings().db_path)
    result = cli("check")
    assert result.exit_code == 1
    [line] = [line for line in result.stdout.splitlines() if line.split()[1] == "telegram"]
    assert line.startswith("FAIL") and "không kết nối được" in line and "ConnectError" in line
    assert TOKEN not in result.output


# ---------------------------------------------------------------------------------------------
# logs


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            import sys

            exc_info = sys.exc_info()
    return logging.LogRecord("bot.sender", logging.ERROR, __file__, 1, message, args, exc_info)


def test_json_logs_are_one_object_per_line_with_the_traceback_inside() -> None:
    line = JsonFormatter().format(_record("outbox %s: unexpected error", "remind:task=1", exc=True))
    assert "\n" not in line
    event = json.loads(line)
    assert event["msg"] == "outbox remind:task=1: unexpected error" and event["level"] == "ERROR"
    assert "RuntimeError: boom" in event["exc"] and event["logger"] == "bot.sender"


def test_text_logs_keep_a_traceback_indented_under_its_event() -> None:
    text = TextFormatter().format(_record("update %s: error handling it", 42, exc=True))
    first, *rest = text.splitlines()
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ERROR bot.sender: update 42: error", first)
    assert rest and all(line.startswith("    ") for line in rest)


# ---------------------------------------------------------------------------------------------
# deploy/ and docs/ stay in step with the code


def _command_paths() -> list[str]:
    import typer.main

    def walk(command: Any, prefix: str) -> list[str]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            return [
                path
                for name, sub in sorted(subcommands.items())
                for path in walk(sub, f"{prefix} {name}".strip())
            ]
        return [prefix]

    return walk(typer.main.get_command(app), "")


def test_the_administrators_guide_explains_every_command() -> None:
    guide = (ROOT / "docs" / "quan-tri.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### `dondoc ([a-z ]+?)(?: [A-Z-]|`)", guide, re.M)
    assert sorted(_command_paths()) == sorted(h.strip() for h in headings)


def test_the_deploy_files_point_at_what_exists() -> None:
    import yaml

    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), name
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    build = compose["services"]["bot"]["build"]
    assert (ROOT / "deploy" / build["context"] / build["dockerfile"]).is_file()
    service = (ROOT / "deploy" / "dondoc.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/dondoc/.venv/bin/dondoc run\n" in service
    assert "EnvironmentFile=/etc/dondoc/dondoc.env" in service and "KillSignal=SIGTERM" in service
    backup = (ROOT / "deploy" / "dondoc-backup.service").read_text(encoding="utf-8")
    assert "dondoc backup --dir /var/backups/dondoc" in backup
