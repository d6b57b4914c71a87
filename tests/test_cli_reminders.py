"""`dondoc reminders preview`: what would be sent at a moment, without sending or queuing."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import FrozenClock
from bot.publishing import publish
from bot.services import Repos, Services
from bot.settings import load_settings
from messages import Texts
from storage.db import Database
from tests.conftest import SAMPLE_UNITS, START, VN
from tests.planning import draft, member, task


@pytest.fixture(autouse=True)
def env(cli_env: Path) -> None:
    """Each test on its own data dir (tests/conftest.py)."""


async def _published_plan() -> None:
    db = await Database.open(load_settings().db_path)
    services = Services(db, Repos.on(db), Texts("vi", VN), FrozenClock(VN, START))
    async with db.transaction():
        await services.repos.units.upsert_many(SAMPLE_UNITS, START)
    await member(services, "CBVP", "42", "Nguyễn Văn An")
    plan = await draft(
        services,
        task("II.6", "Báo cáo kết quả thi đua", due=date(2024, 4, 20), when="trước ngày 20/4/2024"),
    )
    await publish(services, plan)
    await db.close()


def test_preview_lists_the_digest_a_secretary_would_get_and_queues_nothing() -> None:
    asyncio.run(_published_plan())
    result = CliRunner().invoke(app, ["reminders", "preview", "--at", "17/4/2024 8:30", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [message] = data["messages"]
    assert message["member"] == "Nguyễn Văn An" and message["kind"] == "remind"
    assert message["tasks"][0]["ref"] == "II.6" and message["tasks"][0]["days_left"] == 3
    assert message["already_queued"] is False
    text = CliRunner().invoke(app, ["reminders", "preview", "--at", "2024-04-17T08:30"])
    assert "Nhắc hạn báo cáo" in text.stdout and "Nguyễn Văn An" in text.stdout

    async def outbox_rows() -> int:
        db = await Database.open(load_settings().db_path)
        count = int(await db.fetch_value("SELECT count(*) FROM outbox WHERE kind = 'remind'"))
        await db.close()
        return count

    assert asyncio.run(outbox_rows()) == 0


def test_preview_outside_sending_hours_lists_nothing() -> None:
    asyncio.run(_published_plan())
    result = CliRunner().invoke(app, ["reminders", "preview", "--at", "17/4/2024 22:00"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "22:00 17/4/2024: không có tin nhắn nào"


def test_preview_refuses_a_moment_it_cannot_read() -> None:
    result = CliRunner().invoke(app, ["reminders", "preview", "--at", "hôm qua"])
    assert result.exit_code == 2
