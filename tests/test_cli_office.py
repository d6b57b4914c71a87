"""`dondoc broadcast` and `dondoc audit` from the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import FrozenClock
from bot.services import Repos, Services
from bot.settings import load_settings
from messages import Texts
from storage.db import Database
from tests.conftest import SAMPLE_UNITS, START, VN
from tests.planning import member


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
    assert sent.exit_code == 0 and "1 message(s) queued" in sent.stdout
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
