"""The sandbox's sample: a Đảng ủy Khối with a dozen chi bộ and đảng bộ cơ sở, the people the demo
page can "be" (office staff, a leader, secretaries), spare invites for newcomers, and the Lào Cai
plan (bot/sandbox/data/laocai-65nam-2024.yaml) imported and published. Created once, on an empty
sandbox database (or one left by an older sandbox that nobody used); the names are sample data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain import Role, UnitKind
from bot.plan_file import import_plan
from bot.publishing import publish
from bot.services import Services
from storage.units import NewUnit

SAMPLE_PLAN_FILE = "laocai-65nam-2024.yaml"
SAMPLE_PLAN_NUMBER = "185-KH/ĐUK"
# Where the sandbox clock starts when DONDOC_CLOCK is not set: a Monday morning after the day's
# reminders hour, a week and a half before the plan's "trước ngày 20/4/2024".
SANDBOX_START = (2024, 4, 1, 8, 30)

SAMPLE_UNITS: tuple[NewUnit, ...] = (
    NewUnit("DUK", "Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh", UnitKind.COMMITTEE, None),
    NewUnit("VP", "Văn phòng Đảng ủy Khối", UnitKind.BOARD, "DUK"),
    NewUnit("BTG", "Ban Tuyên giáo Đảng ủy Khối", UnitKind.BOARD, "DUK"),
    NewUnit("CBVP", "Chi bộ Văn phòng", UnitKind.CELL, "DUK"),
    NewUnit("CBBAO", "Chi bộ Báo Lào Cai", UnitKind.CELL, "DUK"),
    NewUnit("DBPT", "Đảng bộ Đài Phát thanh - Truyền hình", UnitKind.PARTY_COMMITTEE, "DUK"),
    NewUnit("CBTS", "Chi bộ Thời sự", UnitKind.CELL, "DBPT"),
    NewUnit("CBSTC", "Chi bộ Sở Tài chính", UnitKind.CELL, "DUK"),
    NewUnit("CBSTP", "Chi bộ Sở Tư pháp", UnitKind.CELL, "DUK"),
    NewUnit("CBKBNN", "Chi bộ Kho bạc Nhà nước tỉnh", UnitKind.CELL, "DUK"),
    NewUnit("CBNHCS", "Chi bộ Ngân hàng Chính sách xã hội tỉnh", UnitKind.CELL, "DUK"),
    NewUnit("CBTCT", "Chi bộ Trường Chính trị tỉnh", UnitKind.CELL, "DUK"),
    NewUnit("CBHVH", "Chi bộ Hội Văn học - Nghệ thuật", UnitKind.CELL, "DUK"),
    NewUnit("CBBHXH", "Chi bộ Bảo hiểm xã hội tỉnh", UnitKind.CELL, "DUK"),
    NewUnit("DBDL", "Đảng bộ Công ty Điện lực Lào Cai", UnitKind.PARTY_COMMITTEE, "DUK"),
)


@dataclass(frozen=True)
class Persona:
    """A person already registered in the sample, as a Telegram user of the emulator."""

    user_id: int
    name: str
    unit_code: str
    role: Role


PERSONAS: tuple[Persona, ...] = (
    Persona(5001, "Trần Thị Hoa", "VP", Role.OFFICE),
    Persona(5002, "Lê Văn Bình", "DUK", Role.LEADER),
    Persona(5011, "Nguyễn Thị Mai", "CBVP", Role.SECRETARY),
    Persona(5012, "Phạm Văn Đức", "CBBAO", Role.SECRETARY),
    Persona(5013, "Hoàng Thị Lan", "DBPT", Role.SECRETARY),
    Persona(5014, "Vũ Minh Tuấn", "CBTS", Role.SECRETARY),
    Persona(5015, "Đỗ Thị Hằng", "CBSTC", Role.SECRETARY),
    Persona(5016, "Bùi Văn Nam", "CBKBNN", Role.SECRETARY),
    Persona(5017, "Lò Văn Pao", "DBDL", Role.SECRETARY),
)

# Spare invites, for a newcomer to register on the demo page (units without a secretary yet).
SPARE_INVITES: tuple[tuple[str, Role], ...] = (
    ("CBSTP", Role.SECRETARY),
    ("CBNHCS", Role.SECRETARY),
    ("CBTCT", Role.SECRETARY),
    ("CBHVH", Role.SECRETARY),
    ("CBBHXH", Role.SECRETARY),
    ("CBVP", Role.DEPUTY),
    ("VP", Role.OFFICE),
)

# The Telegram profile names of newcomers the demo page creates (their first name, in turn).
NEWCOMER_NAMES: tuple[str, ...] = (
    "Đặng Thu Trang",
    "Ngô Quang Huy",
    "Đinh Thị Thảo",
    "Mai Văn Long",
    "Trịnh Thị Ngọc",
    "Lương Văn Khánh",
)
NEWCOMER_FIRST_ID = 7001


@dataclass(frozen=True)
class SeededInvite:
    unit_name: str
    role: Role
    code: str


def sample_plan_path() -> Path:
    """The sample plan file shipped with the package."""
    return Path(str(resources.files("bot.sandbox") / "data" / SAMPLE_PLAN_FILE))


def sandbox_start(tz: ZoneInfo) -> datetime:
    year, month, day, hour, minute = SANDBOX_START
    return datetime(year, month, day, hour, minute, tzinfo=tz)


async def needs_seed(services: Services) -> bool:
    """Nothing yet, or only what an older sandbox seeded (units and invites, nobody registered,
    no plan): then the sample is (re)built."""
    repos = services.repos
    if not await repos.units.all():
        return True
    return not await repos.members.listing() and not await repos.plans.all()


async def seed(services: Services) -> list[SeededInvite]:
    """The whole sample on an empty database (see `wipe`); returns the spare invites."""
    repos = services.repos
    now = services.clock.now()
    out: list[SeededInvite] = []
    async with services.db.transaction():
        await repos.units.upsert_many(SAMPLE_UNITS, now)
        for p in PERSONAS:
            unit = await repos.units.by_code(p.unit_code)
            assert unit is not None
            member = await repos.members.create(
                unit_id=unit.id, role=p.role, full_name=p.name, invite_id=None, now=now
            )
            uid = str(p.user_id)
            await repos.members.add_identity(
                member.id,
                channel="telegram",
                external_id=uid,
                chat_id=uid,
                display_name=p.name,
                now=now,
            )
        for code, role in SPARE_INVITES:
            unit = await repos.units.by_code(code)
            assert unit is not None
            invite = await repos.invites.create(
                unit_id=unit.id, role=role, max_uses=1, valid_for=timedelta(days=365), now=now
            )
            out.append(SeededInvite(unit.name, role, invite.code))
        plan = await import_plan(services, sample_plan_path())
        await publish(services, plan)
    return out


async def wipe(services: Services) -> None:
    """Empty every table but the migrations' record (one transaction; the schema stays)."""
    db = services.db
    async with db.transaction():
        await db.execute("PRAGMA defer_foreign_keys = ON")
        rows = await db.fetch_all(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
        )
        for row in rows:
            await db.execute(f'DELETE FROM "{row[0]}"')
        if await db.fetch_value(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
        ):
            await db.execute("DELETE FROM sqlite_sequence")


async def seed_if_empty(services: Services) -> list[SeededInvite]:
    """Seed a new sandbox database; [] when it already holds a sandbox someone has used."""
    if not await needs_seed(services):
        return []
    async with services.db.transaction():
        await wipe(services)
        return await seed(services)


async def open_invites(services: Services) -> list[SeededInvite]:
    """Invites that can still be used (for the demo page's newcomers)."""
    now = services.clock.now()
    units = {u.id: u for u in await services.repos.units.all()}
    return [
        SeededInvite(units[i.unit_id].name, i.role, i.code)
        for i in await services.repos.invites.all()
        if i.problem(now) is None and i.unit_id in units
    ]
