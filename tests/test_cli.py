"""The `dondoc` command line, each command against its own real SQLite file under tmp_path."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import sys
import threading
import types
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import jinja2
import openpyxl
import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.domain import Role
from bot.settings import load_settings
from storage.db import Database
from storage.invites import InviteRepository
from storage.members import MemberRepository
from storage.units import UnitRepository

DATA = Path(__file__).parent / "data"
TOKEN = "123456789:ABCdefGHIjklMNOpqr"
T = TypeVar("T")


@pytest.fixture(autouse=True)
def env(cli_env: Path) -> Path:
    """Every test: its own data dir, no token, no stray DONDOC_* setting (tests/conftest.py)."""
    return cli_env


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def ok(*args: str | Path) -> Result:
    result = cli(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def as_json(*args: str | Path) -> Any:
    return json.loads(ok(*args, "--json").stdout)


def db_path(tmp_path: Path) -> Path:
    """Where the commands keep the database under the current environment."""
    path = load_settings().db_path
    assert path.resolve().is_relative_to(tmp_path.resolve())
    return path


def units_in_db(tmp_path: Path) -> list[tuple[str, str, str, str | None]]:
    if not db_path(tmp_path).exists():
        return []
    with sqlite3.connect(db_path(tmp_path)) as conn:
        return list(
            conn.execute(
                "SELECT u.code, u.name, u.kind, p.code FROM units u"
                " LEFT JOIN units p ON p.id = u.parent_id ORDER BY u.code"
            )
        )


def with_db(tmp_path: Path, body: Callable[[Database], Awaitable[T]]) -> T:
    async def go() -> T:
        db = await Database.open(db_path(tmp_path))
        try:
            return await body(db)
        finally:
            await db.close()

    return asyncio.run(go())


COMMA_UNITS = [
    ("CB01", "Chi bộ Văn phòng", "cell", "DUK"),
    ("CB03", "Chi bộ Thời sự", "cell", "DB02"),
    ("CD", "Công đoàn Cơ quan", "association", "DUK"),
    ("DB02", "Đảng bộ Đài Phát thanh - Truyền hình", "party_committee", "DUK"),
    ("DUK", "Đảng ủy Khối Cơ quan tỉnh", "committee", None),
    ("VP", "Văn phòng Đảng ủy Khối", "board", "DUK"),
]


# --- help and settings ---------------------------------------------------------------------------


def test_help_lists_every_command_with_a_one_line_help() -> None:
    out = ok("--help").stdout
    for name in ("units", "invite", "members", "run", "chat"):
        assert name in out
    assert all(word in ok("units", "--help").stdout for word in ("import", "list"))
    invite = ok("invite", "--help").stdout
    assert all(word in invite for word in ("create", "list", "revoke", "sheet"))
    assert "list" in ok("members", "--help").stdout


VIETNAMESE = re.compile(
    r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùý]", re.I
)


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every group and command of the `dondoc` tree, with the words typed to reach it."""
    yield " ".join(("dondoc", *path)), command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def test_dondoc_help_lists_the_commands_with_vietnamese_descriptions() -> None:
    out = CliRunner().invoke(app, ["--help"], terminal_width=200).stdout
    assert "Đôn Đốc: đôn đốc các đơn vị thực hiện kế hoạch của cấp ủy." in out
    assert "Đơn vị: nạp từ tệp CSV, Excel hoặc YAML; xem cây đơn vị." in out
    assert "Mã mời: tạo, liệt kê, thu hồi, in phiếu mã QR." in out
    assert "Sao lưu cơ sở dữ liệu, kể cả khi bot đang chạy" in out
    revoke = CliRunner().invoke(app, ["invite", "revoke", "--help"], terminal_width=200).stdout
    assert "Thu hồi một mã mời: không ai đăng ký bằng mã đó được nữa." in revoke
    assert "MÃ" in revoke and "Mã mời cần thu hồi." in revoke


def test_every_command_and_option_has_a_vietnamese_help() -> None:
    """What `--help` shows for each group, command, argument and option is Vietnamese; only
    the framework's own words (Usage, Options, Show this message and exit) are not."""
    import typer.main

    english = []
    for path, command in _commands(typer.main.get_command(app)):
        if not VIETNAMESE.search(command.help or ""):
            english.append(f"{path}: {command.help!r}")
        for param in command.params:
            if not VIETNAMESE.search(getattr(param, "help", None) or ""):
                english.append(f"{path} {param.name}: {getattr(param, 'help', None)!r}")
    assert english == []


@pytest.mark.parametrize(
    "args", [("units", "list"), ("invite", "list"), ("members", "list"), ("run",)]
)
def test_a_wrong_setting_exits_2_with_one_line_naming_it(
    args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DONDOC_TIMEZONE", "Mars/Base")
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Thiết lập DONDOC_TIMEZONE sai: không phải múi giờ có thật")
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- units import --------------------------------------------------------------------------------


def test_importing_a_comma_csv_creates_the_units_with_parents_defined_later(
    tmp_path: Path,
) -> None:
    result = ok("units", "import", DATA / "units_comma.csv")
    assert result.stdout.strip() == (
        "Đã nạp 6 đơn vị từ units_comma.csv: 6 mới, 0 cập nhật, 0 không đổi."
    )
    assert units_in_db(tmp_path) == COMMA_UNITS


def test_importing_a_semicolon_csv_with_bom_reads_names_with_commas(tmp_path: Path) -> None:
    assert as_json("units", "import", DATA / "units_semicolon_bom.csv") == {
        "ok": True,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert units_in_db(tmp_path) == [
        ("CB01", "Chi bộ Báo, Đài", "cell", "DUK"),
        ("CB02", "Chi bộ Trường Chính trị", "cell", "DUK"),
        ("DUK", "Đảng ủy Khối Cơ quan tỉnh", "committee", None),
    ]


def test_importing_an_xlsx_reads_the_first_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Đơn vị"
    sheet.append(["code", "name", "parent", "kind"])
    sheet.append(["DUK", "Đảng ủy Khối", None, "Đảng ủy Khối"])
    sheet.append([12, "Chi bộ 12", "DUK", "Chi bộ"])
    path = tmp_path / "units.xlsx"
    book.save(path)
    ok("units", "import", path)
    assert units_in_db(tmp_path) == [
        ("12", "Chi bộ 12", "cell", "DUK"),
        ("DUK", "Đảng ủy Khối", "committee", None),
    ]


@pytest.mark.parametrize("name", ["units_list.yaml", "units_mapping.yaml"])
def test_importing_yaml_reads_a_list_or_a_units_key(tmp_path: Path, name: str) -> None:
    result = as_json("units", "import", DATA / name)
    assert result["ok"] is True
    codes = {row[0] for row in units_in_db(tmp_path)}
    assert codes == ({"CB01", "DUK", "DTN"} if name == "units_list.yaml" else {"DUK", "007"})


def test_reimporting_the_same_file_is_idempotent_and_a_changed_file_updates(
    tmp_path: Path,
) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    again = as_json("units", "import", DATA / "units_comma.csv")
    assert again == {"ok": True, "created": 0, "updated": 0, "unchanged": 6}
    assert units_in_db(tmp_path) == COMMA_UNITS
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "code,name,parent,kind\n"
        "CB03,Chi bộ Thời sự - Chuyên đề,DUK,chi bộ\n"
        "CD,Công đoàn Cơ quan,DUK,ban\n",
        encoding="utf-8",
    )
    assert as_json("units", "import", changed) == {
        "ok": True,
        "created": 0,
        "updated": 2,
        "unchanged": 0,
    }
    rows = {r[0]: r for r in units_in_db(tmp_path)}
    assert rows["CB03"] == ("CB03", "Chi bộ Thời sự - Chuyên đề", "cell", "DUK")
    assert rows["CD"] == ("CD", "Công đoàn Cơ quan", "board", "DUK")


def test_a_parent_may_already_be_in_the_database(tmp_path: Path) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    extra = tmp_path / "extra.csv"
    extra.write_text("code,name,parent,kind\nCB09,Chi bộ Chín,DB02,chi bộ\n", encoding="utf-8")
    ok("units", "import", extra)
    assert ("CB09", "Chi bộ Chín", "cell", "DB02") in units_in_db(tmp_path)


def test_importing_bad_rows_lists_every_error_with_its_row_and_writes_nothing(
    tmp_path: Path,
) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    result = cli("units", "import", DATA / "units_bad.csv")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Không nhập được units_bad.csv (10 lỗi); chưa ghi gì."
    assert [line.strip() for line in lines[1:]] == [
        "Dòng 3, cột code: thiếu mã đơn vị",
        "Dòng 4, cột name: thiếu tên đơn vị",
        "Dòng 5, cột parent: không có đơn vị mã 'CB99'",
        "Dòng 6, cột code: mã 'CB 04' có dấu cách; mã chỉ gồm chữ, số, không cách",
        "Dòng 7, cột kind: thiếu loại đơn vị (ví dụ: chi bộ, đảng bộ cơ sở, ban, đoàn thể)",
        "Dòng 8, cột kind: không rõ loại đơn vị 'tổ đảng' (dùng: Đảng ủy Khối, đảng bộ cơ sở,"
        " chi bộ, ban, đoàn thể)",
        "Dòng 10, cột code: mã 'cb07' trùng với dòng 9",
        "Dòng 11, cột code: mã 'ABCDEFGHIJKLMNOPQRSTU' dài 21 ký tự, tối đa 20",
        "Dòng 12, cột parent: đơn vị 'A1' nằm dưới chính nó (A1 → B1 → A1)",
        "Dòng 13, cột parent: đơn vị 'B1' nằm dưới chính nó (B1 → A1 → B1)",
    ]
    assert units_in_db(tmp_path) == COMMA_UNITS  # DUK's new name was not written either


def test_importing_bad_yaml_reports_item_lines_as_json(tmp_path: Path) -> None:
    result = cli("units", "import", DATA / "units_bad.yaml", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (5, "parent"),
        (9, "name"),
        (9, "kind"),
    ]
    assert report["errors"][0]["message"] == "Dòng 5, cột parent: không có đơn vị mã 'CB99'"
    assert units_in_db(tmp_path) == []


def test_importing_a_missing_or_unknown_file_type_exits_1(tmp_path: Path) -> None:
    result = cli("units", "import", tmp_path / "nothing.csv")
    assert result.exit_code == 1
    assert "Không tìm thấy tệp" in result.stderr
    (tmp_path / "units.json").write_text("[]", encoding="utf-8")
    assert cli("units", "import", tmp_path / "units.json").exit_code == 1


# --- units list ----------------------------------------------------------------------------------


async def _add_member(
    db: Database, unit_code: str, name: str, role: Role = Role.SECRETARY, channel: str = "telegram"
) -> None:
    unit = await UnitRepository(db).by_code(unit_code)
    assert unit is not None
    members = MemberRepository(db)
    now = datetime.fromisoformat("2024-04-20T07:30:00+00:00")
    member = await members.create(
        unit_id=unit.id, role=role, full_name=name, invite_id=None, now=now
    )
    await members.add_identity(
        member.id, channel=channel, external_id=name, chat_id=name, display_name=name, now=now
    )


def test_units_list_shows_the_tree_with_kinds_and_member_counts(tmp_path: Path) -> None:
    assert ok("units", "list").stdout.strip() == (
        "Chưa có đơn vị nào: nạp bằng lệnh dondoc units import TỆP"
    )
    assert as_json("units", "list") == []
    ok("units", "import", DATA / "units_comma.csv")
    with_db(tmp_path, lambda db: _add_member(db, "CB03", "Nguyễn Văn An"))
    lines = ok("units", "list").stdout.splitlines()
    assert lines[0] == "DUK  Đảng ủy Khối Cơ quan tỉnh  (đảng ủy khối; 0 người đăng ký)"
    assert lines[1].startswith("    CB01  Chi bộ Văn phòng  (chi bộ;")
    assert "        CB03  Chi bộ Thời sự  (chi bộ; 1 người đăng ký)" in lines
    tree = as_json("units", "list")
    assert [u["code"] for u in tree] == ["DUK", "CB01", "DB02", "CB03", "VP", "CD"]
    assert tree[3] == {
        "code": "CB03",
        "name": "Chi bộ Thời sự",
        "kind": "cell",
        "parent": "DB02",
        "depth": 2,
        "members": 1,
    }


# --- invite create -------------------------------------------------------------------------------


def test_invite_create_prints_code_unit_role_expiry_and_sandbox_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DONDOC_CLOCK", "2024-04-06T14:30:00")
    ok("units", "import", DATA / "units_comma.csv")
    created = as_json("invite", "create", "--unit", "CB01", "--role", "secretary")
    assert set(created) == {
        "code",
        "unit",
        "unit_name",
        "role",
        "uses",
        "max_uses",
        "expires_at",
        "expires",
        "state",
        "link",
        "start",
    }
    code = created["code"]
    assert created["unit"] == "CB01"
    assert created["unit_name"] == "Chi bộ Văn phòng"
    assert created["role"] == "secretary"
    assert (created["uses"], created["max_uses"], created["state"]) == (0, 1, "active")
    assert created["expires"] == "20/4/2024 14:30"  # 14 days by default
    assert created["expires_at"] == "2024-04-20T14:30:00+07:00"
    # no token: the sandbox bot, named as the emulator `dondoc run` starts names it (getMe)
    assert created["link"] == f"https://t.me/dondoc1000000001_bot?start={code}"
    assert created["start"] == f"/start {code}"
    text = ok("invite", "create", "--unit", "CB01", "--role", "deputy", "--uses", "3").stdout
    lines = text.splitlines()
    assert lines[0] == "Mã mời cho Chi bộ Văn phòng (CB01), vai trò Phó Bí thư"
    assert [line.split(":", 1)[0].strip() for line in lines[1:]] == [
        "mã",
        "số người",
        "hạn dùng",
        "đường dẫn",
        "hoặc gõ",
    ]
    assert "số người:    3" in text
    assert "hạn dùng:    20/4/2024 14:30" in text
    assert re.search(r"https://t\.me/dondoc1000000001_bot\?start=\S{16}", text)


@pytest.mark.parametrize(
    ("word", "role"),
    [
        ("Bí thư", "secretary"),
        ("bi thu", "secretary"),
        ("PHÓ BÍ THƯ", "deputy"),
        ("văn phòng", "office"),
        ("thường trực", "leader"),
        ("quản trị", "admin"),
    ],
)
def test_invite_create_accepts_the_role_in_vietnamese(word: str, role: str) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    assert as_json("invite", "create", "--unit", "DUK", "--role", word)["role"] == role


@pytest.mark.parametrize(
    ("expires", "delta"),
    [
        ("14d", timedelta(days=14)),
        ("48h", timedelta(hours=48)),
        ("2w", timedelta(weeks=2)),
        ("3", timedelta(days=3)),
        ("5 ngày", timedelta(days=5)),
    ],
)
def test_invite_create_reads_the_expiry_as_days_hours_or_weeks(
    expires: str, delta: timedelta, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DONDOC_CLOCK", "2024-04-06T14:30:00")
    ok("units", "import", DATA / "units_comma.csv")
    created = as_json(
        "invite", "create", "--unit", "CB01", "--role", "bí thư", "--expires", expires
    )
    start = datetime.fromisoformat("2024-04-06T14:30:00+07:00")
    assert datetime.fromisoformat(created["expires_at"]) - start == delta


def test_invite_create_uses_the_configured_invite_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DONDOC_CLOCK", "2024-04-06T14:30:00")
    monkeypatch.setenv("DONDOC_INVITE_DAYS", "3")
    ok("units", "import", DATA / "units_comma.csv")
    assert as_json("invite", "create", "--unit", "CB01", "--role", "secretary")["expires"] == (
        "9/4/2024 14:30"
    )


@pytest.mark.parametrize("expires", ["soon", "0d", "400d", "14x", "-1d"])
def test_invite_create_refuses_a_bad_expiry_as_a_usage_error(expires: str) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    result = cli("invite", "create", "--unit", "CB01", "--role", "secretary", "--expires", expires)
    assert result.exit_code == 2
    assert "--expires" in result.stderr
    assert as_json("invite", "list") == []


def test_invite_create_refuses_an_unknown_role_as_a_usage_error() -> None:
    ok("units", "import", DATA / "units_comma.csv")
    result = cli("invite", "create", "--unit", "CB01", "--role", "chủ tịch")
    assert result.exit_code == 2
    assert "--role" in result.stderr


def test_invite_create_for_an_unknown_unit_exits_1_and_creates_nothing() -> None:
    ok("units", "import", DATA / "units_comma.csv")
    result = cli("invite", "create", "--unit", "CB99", "--role", "secretary")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Không có đơn vị mã CB99: xem danh sách bằng lệnh dondoc units list"
    )
    assert as_json("invite", "list") == []


def test_invite_create_takes_the_bot_from_the_option_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    monkeypatch.setenv("DONDOC_BOT_USERNAME", "from_env_bot")
    created = as_json("invite", "create", "--unit", "CB01", "--role", "secretary")
    assert created["link"].startswith("https://t.me/from_env_bot?start=")
    created = as_json(
        "invite", "create", "--unit", "CB01", "--role", "secretary", "--bot", "@option_bot"
    )
    assert created["link"].startswith("https://t.me/option_bot?start=")
    result = cli("invite", "create", "--unit", "CB01", "--role", "secretary", "--bot", "a b")
    assert result.exit_code == 2


def _seed_sandbox() -> list[str]:
    """The sandbox database as `dondoc run` seeds it, on the sandbox's clock; the spare invites'
    codes."""
    from bot.clock import FrozenClock
    from bot.sandbox.seed import sandbox_start, seed_if_empty
    from bot.services import Repos, Services
    from messages import Texts

    settings = load_settings()

    async def go() -> list[str]:
        db = await Database.open(settings.db_path)
        try:
            clock = FrozenClock(settings.tz, sandbox_start(settings.tz))
            services = Services(
                db=db, repos=Repos.on(db), texts=Texts("vi", settings.tz), clock=clock
            )
            return [i.code for i in await seed_if_empty(services)]
        finally:
            await db.close()

    return asyncio.run(go())


def test_on_the_sandbox_database_the_commands_use_the_sandbox_clock_and_bot() -> None:
    """No token: `dondoc run` plays the sandbox on its own clock (1/4/2024 8:30, then where it
    was left) with the emulator's bot; the commands on its database see the same."""
    spare = _seed_sandbox()
    assert spare
    listed = {i["code"]: i for i in as_json("invite", "list")}
    assert {listed[code]["state"] for code in spare} == {"active"}  # not today's clock
    text = ok("invite", "list").stdout
    assert "hết hạn" not in text
    created = as_json("invite", "create", "--unit", "CBVP", "--role", "secretary")
    assert created["expires"] == "15/4/2024 8:30"  # 14 days from the sandbox's 1/4/2024 8:30
    assert created["link"].startswith("https://t.me/dondoc1000000001_bot?start=")
    # the sandbox clock as the page left it (bot/sandbox/demo.py keeps it beside the database)
    settings = load_settings()
    clock = settings.db_path.with_suffix(".clock")
    clock.write_text("2025-05-02T09:00:00+07:00", encoding="utf-8")
    listed = {i["code"]: i for i in as_json("invite", "list")}
    assert {listed[code]["state"] for code in spare} == {"expired"}  # 365 days after 1/4/2024


def test_with_a_zalo_token_only_there_is_no_t_me_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DONDOC_ZALO_TOKEN", "123:zalo-token")
    ok("units", "import", DATA / "units_comma.csv")
    result = ok("invite", "create", "--unit", "CB01", "--role", "secretary", "--json")
    assert json.loads(result.stdout)["link"] is None
    assert "Chưa đặt DONDOC_TELEGRAM_TOKEN" in result.stderr


class _GetMe(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = {}

    def do_GET(self) -> None:
        status, body = self.answers.get(self.path, (404, {"ok": False}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bot_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, tuple[int, dict[str, Any]]]]:
    """A tiny Bot API answering getMe; tests fill in the answers."""
    answers: dict[str, tuple[int, dict[str, Any]]] = {}
    handler = type("Handler", (_GetMe,), {"answers": answers})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("DONDOC_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("DONDOC_TELEGRAM_API_URL", f"http://127.0.0.1:{server.server_port}/bot")
    try:
        yield answers
    finally:
        server.shutdown()
        server.server_close()


def test_invite_create_asks_telegram_for_the_bot_username_with_a_token(
    bot_api: dict[str, tuple[int, dict[str, Any]]],
) -> None:
    bot_api[f"/bot{TOKEN}/getMe"] = (200, {"ok": True, "result": {"username": "khoi_dondoc_bot"}})
    ok("units", "import", DATA / "units_comma.csv")
    created = as_json("invite", "create", "--unit", "CB01", "--role", "secretary")
    assert created["link"] == f"https://t.me/khoi_dondoc_bot?start={created['code']}"


def test_invite_create_without_a_username_prints_the_start_line_and_asks_for_bot(
    bot_api: dict[str, tuple[int, dict[str, Any]]],
) -> None:
    bot_api[f"/bot{TOKEN}/getMe"] = (401, {"ok": False, "description": "Unauthorized"})
    ok("units", "import", DATA / "units_comma.csv")
    result = ok("invite", "create", "--unit", "CB01", "--role", "secretary")
    code = re.search(r"mã:\s+(\S+)", result.stdout)
    assert code is not None
    assert f"hoặc gõ:     /start {code.group(1)}" in result.stdout
    assert "t.me" not in result.stdout and "đường dẫn" not in result.stdout
    assert result.stderr.startswith("Không hỏi được Telegram tên của bot (getMe lỗi)")
    assert "--bot TÊN_BOT" in result.stderr
    created = as_json("invite", "create", "--unit", "CB01", "--role", "secretary")
    assert created["link"] is None


# --- invite list and revoke ----------------------------------------------------------------------


def test_invite_list_shows_uses_expiry_and_each_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DONDOC_CLOCK", "2024-04-06T08:00:00")
    ok("units", "import", DATA / "units_comma.csv")
    assert ok("invite", "list").stdout.startswith("Chưa có mã mời nào: tạo bằng lệnh")
    codes = [
        as_json("invite", "create", "--unit", "CB01", "--role", "secretary", *extra)["code"]
        for extra in ([], ["--uses", "2"], ["--expires", "1h"], [])
    ]
    active, used, expired, revoked = codes

    async def use_twice(db: Database) -> None:
        repo = InviteRepository(db)
        invite = await repo.by_code(used)
        assert invite is not None
        assert await repo.use(invite.id)
        assert await repo.use(invite.id)

    with_db(tmp_path, use_twice)
    ok("invite", "revoke", revoked)
    monkeypatch.setenv("DONDOC_CLOCK", "2024-04-06T10:00:00")
    listed = {i["code"]: i for i in as_json("invite", "list")}
    assert {code: listed[code]["state"] for code in codes} == {
        active: "active",
        used: "used",
        expired: "expired",
        revoked: "revoked",
    }
    assert (listed[used]["uses"], listed[used]["max_uses"]) == (2, 2)
    assert listed[expired]["expires"] == "6/4/2024 9:00"
    assert listed[active]["link"] is None
    text = ok("invite", "list").stdout.splitlines()
    columns = re.split(r"\s{2,}", text[0])
    assert columns == ["MÃ MỜI", "ĐƠN VỊ", "VAI TRÒ", "ĐÃ DÙNG", "HẠN DÙNG", "TRẠNG THÁI"]
    states = {re.split(r"\s{2,}", line)[0]: re.split(r"\s{2,}", line)[-1] for line in text[1:]}
    assert {code: states[code] for code in codes} == {
        active: "còn dùng được",
        used: "đã dùng hết",
        expired: "hết hạn",
        revoked: "đã thu hồi",
    }
    row = next(line for line in text if line.startswith(used))
    assert re.split(r"\s{2,}", row) == [
        used,
        "CB01",
        "Bí thư",
        "2/2",
        "20/4/2024 8:00",
        "đã dùng hết",
    ]


def test_the_office_revokes_an_invite_and_is_told_in_vietnamese_which_code() -> None:
    ok("units", "import", DATA / "units_comma.csv")
    code = as_json("invite", "create", "--unit", "CB01", "--role", "secretary")["code"]
    assert ok("invite", "revoke", code).stdout.strip() == (
        f"Đã thu hồi mã mời {code}: không ai đăng ký bằng mã này được nữa."
    )
    twice = cli("invite", "revoke", code)
    assert twice.exit_code == 1
    assert twice.stderr.startswith(f"Mã mời {code} đã bị thu hồi lúc ")
    unknown = cli("invite", "revoke", "nope")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == 'Không có mã mời "nope".'


# --- invite sheet --------------------------------------------------------------------------------


def _many_cells(tmp_path: Path, count: int) -> Path:
    lines = ["code,name,parent,kind", "DUK,Đảng ủy Khối,,Đảng ủy Khối", "VP,Văn phòng,DUK,ban"]
    lines += [f"CB{n:02d},Chi bộ số {n} của Khối Cơ quan tỉnh,DUK,chi bộ" for n in range(count)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def test_invite_sheet_pdf_has_one_fresh_invite_per_reporting_unit_on_a4_pages(
    tmp_path: Path,
) -> None:
    ok("units", "import", _many_cells(tmp_path, 13))
    out = tmp_path / "sheet.pdf"
    report = as_json("invite", "sheet", "--out", out)
    assert report["files"] == [str(out)]
    assert out.read_bytes().startswith(b"%PDF")
    assert _pdf_pages(out) == 2  # 12 per page
    assert len(report["invites"]) == 13
    assert {i["unit"] for i in report["invites"]} == {f"CB{n:02d}" for n in range(13)}
    assert {i["role"] for i in report["invites"]} == {"secretary"}
    listed = as_json("invite", "list")
    assert len(listed) == 13
    assert all(i["state"] == "active" for i in listed)


def test_invite_sheet_png_for_chosen_units_is_one_a4_image(tmp_path: Path) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    out = tmp_path / "sheet.png"
    result = ok("invite", "sheet", "--out", out, "--units", "CB01, VP,DUK", "--role", "phó bí thư")
    assert result.stdout.strip() == f"Đã tạo 3 mã mời phó bí thư và in vào {out}."
    with Image.open(out) as image:
        assert image.size == (1240, 1754)
    assert sorted(i["unit"] for i in as_json("invite", "list")) == ["CB01", "DUK", "VP"]


def test_invite_sheet_png_with_many_units_writes_one_image_per_page(tmp_path: Path) -> None:
    ok("units", "import", _many_cells(tmp_path, 13))
    report = as_json("invite", "sheet", "--out", tmp_path / "qr.png", "--expires", "2w")
    assert report["files"] == [str(tmp_path / "qr-1.png"), str(tmp_path / "qr-2.png")]
    for name in report["files"]:
        with Image.open(name) as image:
            assert image.size == (1240, 1754)


def test_invite_sheet_falls_back_to_the_default_font_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.invite_sheet

    monkeypatch.setattr(bot.invite_sheet, "find_font", lambda: None)
    ok("units", "import", DATA / "units_comma.csv")
    result = ok("invite", "sheet", "--out", tmp_path / "sheet.pdf", "--units", "CB01")
    assert result.stderr.startswith("Lưu ý: không tìm thấy phông DejaVu Sans")
    assert _pdf_pages(tmp_path / "sheet.pdf") == 1


def test_invite_sheet_with_an_unknown_unit_exits_1_and_creates_no_invite(tmp_path: Path) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    result = cli("invite", "sheet", "--out", tmp_path / "s.pdf", "--units", "CB01,CB99")
    assert result.exit_code == 1
    assert "CB99" in result.stderr
    assert not (tmp_path / "s.pdf").exists()
    assert as_json("invite", "list") == []


def test_invite_sheet_refuses_other_formats_and_an_empty_database(tmp_path: Path) -> None:
    assert cli("invite", "sheet", "--out", tmp_path / "s.jpg").exit_code == 2
    empty = cli("invite", "sheet", "--out", tmp_path / "s.pdf")
    assert empty.exit_code == 1
    assert empty.stderr.startswith("Chưa có đơn vị nào để mời")


def test_invite_sheet_that_cannot_be_written_creates_no_invite(tmp_path: Path) -> None:
    ok("units", "import", DATA / "units_comma.csv")
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = cli("invite", "sheet", "--out", tmp_path / "file" / "s.pdf")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Không ghi được tệp {tmp_path / 'file' / 's.pdf'}")
    assert as_json("invite", "list") == []


# --- members -------------------------------------------------------------------------------------


def test_members_list_is_empty_then_shows_registered_members(tmp_path: Path) -> None:
    assert ok("members", "list").stdout.strip() == "Chưa có ai đăng ký."
    assert as_json("members", "list") == []
    ok("units", "import", DATA / "units_comma.csv")

    async def register(db: Database) -> None:
        await _add_member(db, "CB01", "Nguyễn Văn An")
        await _add_member(db, "VP", "Trần Thị Bình", Role.OFFICE, channel="zalo")
        await MemberRepository(db).mark_unreachable("zalo", "Trần Thị Bình", "blocked")

    with_db(tmp_path, register)
    listed = as_json("members", "list")
    assert listed == [
        {
            "unit": "CB01",
            "unit_name": "Chi bộ Văn phòng",
            "role": "secretary",
            "name": "Nguyễn Văn An",
            "channels": ["telegram"],
            "registered_at": "2024-04-20T14:30:00+07:00",
            "reachable": True,
        },
        {
            "unit": "VP",
            "unit_name": "Văn phòng Đảng ủy Khối",
            "role": "office",
            "name": "Trần Thị Bình",
            "channels": ["zalo"],
            "registered_at": "2024-04-20T14:30:00+07:00",
            "reachable": False,
        },
    ]
    lines = [re.split(r"\s{2,}", line) for line in ok("members", "list").stdout.splitlines()]
    assert lines == [
        ["ĐƠN VỊ", "VAI TRÒ", "HỌ TÊN", "KÊNH", "NGÀY ĐĂNG KÝ", "NHẮN ĐƯỢC"],
        ["CB01", "Bí thư", "Nguyễn Văn An", "Telegram", "20/4/2024 14:30", "có"],
        ["VP", "Văn phòng", "Trần Thị Bình", "Zalo", "20/4/2024 14:30", "không"],
    ]


# --- run and chat --------------------------------------------------------------------------------


def test_run_and_chat_hand_the_settings_to_the_runner_and_the_terminal_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []

    async def run(settings: Any) -> None:
        calls.append(("run", settings.data_dir))

    async def chat(settings: Any, user_id: int, name: str | None, zalo: bool = False) -> None:
        calls.append(("chat", settings.data_dir, user_id, name, zalo))

    runner = types.ModuleType("bot.runner")
    runner.run = run  # type: ignore[attr-defined]
    terminal = types.ModuleType("bot.terminal_chat")
    terminal.chat = chat  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.runner", runner)
    monkeypatch.setitem(sys.modules, "bot.terminal_chat", terminal)
    ok("run")
    ok("chat", "--user", "1001", "--name", "Nguyễn Văn An")
    ok("chat", "--user", "1002")
    ok("chat", "--user", "2001", "--zalo")
    data = tmp_path / "data"
    assert calls == [
        ("run", data),
        ("chat", data, 1001, "Nguyễn Văn An", False),
        ("chat", data, 1002, None, False),
        ("chat", data, 2001, None, True),
    ]


def test_importing_a_file_with_no_units_exits_1_without_creating_a_database(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("code,name,parent,kind\n\n", encoding="utf-8")
    result = cli("units", "import", empty)
    assert result.exit_code == 1
    assert "không có đơn vị nào" in result.stderr
    assert not (tmp_path / "data").exists()


class _StubTexts:
    def __init__(self, with_sheet: bool) -> None:
        self.with_sheet = with_sheet

    def __call__(self, name: str, **values: Any) -> str:
        if name == "roles.secretary":
            return "Bí thư"
        if name.startswith("invite_sheet.") and self.with_sheet:
            return f"{name}{sorted(values.items())}"
        raise jinja2.TemplateNotFound(name)


def test_the_sheet_headings_come_from_messages_with_the_role_and_date_as_fallback() -> None:
    from bot.cli import _sheet_headings

    texts: Any = _StubTexts(with_sheet=True)
    assert _sheet_headings(texts, Role.SECRETARY, "20/4/2024 14:30") == (
        "invite_sheet.heading[]",
        "invite_sheet.subheading[('expires', '20/4/2024 14:30'), ('role', 'Bí thư')]",
    )
    texts = _StubTexts(with_sheet=False)
    assert _sheet_headings(texts, Role.SECRETARY, "20/4/2024 14:30") == (
        "Bí thư",
        "20/4/2024 14:30",
    )
