"""A small sample organisation for the sandbox, created once on an empty sandbox database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import Role, UnitKind
from bot.services import Repos
from storage.db import Database
from storage.units import NewUnit

SAMPLE_UNITS: tuple[NewUnit, ...] = (
    NewUnit("DUK", "Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh", UnitKind.COMMITTEE, None),
    NewUnit("VP", "Văn phòng Đảng ủy Khối", UnitKind.BOARD, "DUK"),
    NewUnit("BTG", "Ban Tuyên giáo Đảng ủy Khối", UnitKind.BOARD, "DUK"),
    NewUnit("CBVP", "Chi bộ Văn phòng", UnitKind.CELL, "DUK"),
    NewUnit("CBBAO", "Chi bộ Báo Lào Cai", UnitKind.CELL, "DUK"),
    NewUnit("CBHVH", "Chi bộ Hội Văn học - Nghệ thuật", UnitKind.CELL, "DUK"),
    NewUnit("DBPTTH", "Đảng bộ Đài Phát thanh - Truyền hình", UnitKind.PARTY_COMMITTEE, "DUK"),
    NewUnit("CBTS", "Chi bộ Thời sự", UnitKind.CELL, "DBPTTH"),
)


@dataclass(frozen=True)
class SeededInvite:
    unit_name: str
    role: Role
    code: str


async def seed_if_empty(db: Database, repos: Repos, now: datetime) -> list[SeededInvite]:
    """Create the sample units and one invite per role that the demo needs; [] if already done."""
    if await repos.units.all():
        return []
    wanted = [("CBVP", Role.SECRETARY), ("CBBAO", Role.SECRETARY), ("CBVP", Role.DEPUTY)]
    wanted += [("VP", Role.OFFICE), ("DUK", Role.LEADER)]
    out: list[SeededInvite] = []
    async with db.transaction():
        await repos.units.upsert_many(SAMPLE_UNITS, now)
        for code, role in wanted:
            unit = await repos.units.by_code(code)
            assert unit is not None
            invite = await repos.invites.create(
                unit_id=unit.id, role=role, max_uses=1, valid_for=timedelta(days=365), now=now
            )
            out.append(SeededInvite(unit.name, role, invite.code))
    return out
