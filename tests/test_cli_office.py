"""`dondoc broadcast` and `dondoc audit` from the command line."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import FrozenClock
from bot.domain import Repeat, Role
from bot.publishing import publish, roll_forward
from bot.services import Repos, Services
from bot.settings import load_settings
from messages import Texts
from storage.db import Database
from tests.conftest import SAMPLE_UNITS, START, VN
from tests.planning import draft, member, task


@pytest.fixture(autouse=True)
def env(cli_env: Path) -> None:
    """Each test on its own data dir (tests/conftest.py)."""


async def _org() -> None:
    db = await Database.open(load_settings().db_path)
    services = Services(db, Repos.on(db), Texts("vi", VN), FrozenClock(VN, START))
    async with db.transaction():
        await services.repos.units.upsert_many(SAMPLE_UNITS, START)
    await member(services, "CBVP", "1", "An")
    await member(services, "CBTS", "2", "Cường")
    await db.close()


async def _outbox() -> list[str]:
    db = await Database.open(load_settings().db_path)
    rows = await db.fetch_all("SELECT chat_id FROM outbox WHERE kind = 'broadcast' ORDER BY id")
    await db.close()
    return [r[0] for r in rows]


def test_broadcast_under_a_party_committee_queues_its_units_only() -> None:
    asyncio.run(_org())
    runner = CliRunner()
    dry = runner.invoke(
        app, ["broadcast", "--to", "under:DBPT", "--text", "Họp", "--dry-run", "--json"]
    )
    assert dry.exit_code == 0 and json.loads(dry.stdout)["recipients"] == 1
    assert asyncio.run(_outbox()) == []
    sent = runner.invoke(app, ["broadcast", "--to", "under:DBPT", "--text", "Họp chi bộ"])
    assert sent.exit_code == 0
    assert sent.stdout.strip() == (
        "Thông báo số 1: đã xếp hàng 1 tin nhắn, bot đang chạy sẽ gửi đi."
    )
    assert asyncio.run(_outbox()) == ["2"]
    log = runner.invoke(app, ["audit", "--json"])
    [entry] = json.loads(log.stdout)
    assert entry["action"] == "broadcast" and entry["member"] is None
    assert entry["detail"]["recipients"] == 1


def test_broadcast_refuses_unknown_units_and_bad_audiences() -> None:
    asyncio.run(_org())
    runner = CliRunner()
    unknown = runner.invoke(app, ["broadcast", "--to", "units:CBVP,KHONGCO", "--text", "x"])
    assert unknown.exit_code == 1 and "KHONGCO" in unknown.stderr
    bad = runner.invoke(app, ["broadcast", "--to", "everyone", "--text", "x"])
    assert bad.exit_code == 2
    assert asyncio.run(_outbox()) == []


async def _published_then_rolled_and_reviewed() -> None:
    """The office publishes from the command line, the bot rolls a repeating task on by itself
    three months later, and the office's Chánh Văn phòng returns an answer from chat."""
    db = await Database.open(load_settings().db_path)
    clock = FrozenClock(VN, START)
    services = Services(db, Repos.on(db), Texts("vi", VN), clock)
    async with db.transaction():
        await services.repos.units.upsert_many(SAMPLE_UNITS, START)
    ongoing = task("II.3", "Sinh hoạt chuyên đề", start=date(2024, 3, 1), due=None)
    await publish(services, await draft(services, replace(ongoing, repeat=Repeat.MONTHLY)))
    clock.set(datetime(2024, 6, 10, 9, 0, tzinfo=VN))
    assert await roll_forward(services) > 0
    chief = await member(services, "VP", "9", "Chánh Văn phòng", Role.OFFICE)
    await services.repos.audit.record(
        "review", chief.id, clock.now(), answer=7, version=2, decision="return"
    )
    await db.close()


def test_the_audit_says_in_vietnamese_who_did_what_the_command_line_or_the_bot_itself() -> None:
    asyncio.run(_published_then_rolled_and_reviewed())
    result = CliRunner().invoke(app, ["audit"])
    assert result.exit_code == 0, result.output
    lines = [re.split(r"\s{2,}", line.strip()) for line in result.stdout.splitlines()]
    assert lines[0][1:] == [
        "Chánh Văn phòng",
        "duyệt báo cáo",
        "báo cáo số 7 (lần 2): trả lại",
    ]
    assert lines[1][:3] == ["9:00 10/6/2024", "tự động", "thêm kỳ mới"]
    assert lines[1][3].endswith("hạn mới: 185-KH/ĐUK II.3")
    assert lines[2] == [
        "9:00 1/3/2024",
        "dòng lệnh",
        "ban hành",
        "kế hoạch 185-KH/ĐUK: 3 đơn vị, 36 hạn",
    ]
    assert "CLI" not in result.stdout
    [entry] = json.loads(CliRunner().invoke(app, ["audit", "--json", "--action", "roll"]).stdout)
    assert entry["member"] is None and entry["action"] == "roll"  # for scripts: as it was
