"""Shared fixtures: a real SQLite file per test, services on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FrozenClock
from bot.domain import Role, UnitKind
from bot.services import Repos, Services
from messages import Texts
from storage.db import Database
from storage.units import NewUnit

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2024, 3, 1, 9, 0, tzinfo=VN)

SAMPLE_UNITS = (
    NewUnit("DUK", "Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh", UnitKind.COMMITTEE, None),
    NewUnit("VP", "Văn phòng Đảng ủy Khối", UnitKind.BOARD, "DUK"),
    NewUnit("CBVP", "Chi bộ Văn phòng", UnitKind.CELL, "DUK"),
    NewUnit("CBBAO", "Chi bộ Báo Lào Cai", UnitKind.CELL, "DUK"),
    NewUnit("DBPT", "Đảng bộ Đài Phát thanh - Truyền hình", UnitKind.PARTY_COMMITTEE, "DUK"),
    NewUnit("CBTS", "Chi bộ Thời sự", UnitKind.CELL, "DBPT"),
)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(VN, START)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def services(db: Database, clock: FrozenClock, tmp_path: Path) -> Services:
    return Services(
        db=db, repos=Repos.on(db), texts=Texts("vi", VN), clock=clock, data_dir=tmp_path
    )


@pytest.fixture
async def org(services: Services) -> Services:
    """The sample organisation loaded."""
    async with services.db.transaction():
        await services.repos.units.upsert_many(SAMPLE_UNITS, services.clock.now())
    return services


async def make_invite(
    services: Services,
    unit_code: str,
    role: Role = Role.SECRETARY,
    *,
    uses: int = 1,
    days: int = 14,
) -> str:
    unit = await services.repos.units.by_code(unit_code)
    assert unit is not None
    invite = await services.repos.invites.create(
        unit_id=unit.id,
        role=role,
        max_uses=uses,
        valid_for=timedelta(days=days),
        now=services.clock.now(),
    )
    return invite.code


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A command-line test: its own data dir, no token, no stray DONDOC_* setting, no .env."""
    import os

    for name in list(os.environ):
        if name.startswith("DONDOC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DONDOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path
