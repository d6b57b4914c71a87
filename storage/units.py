"""Units: the tree of Đảng ủy Khối -> đảng bộ cơ sở -> chi bộ, and ban / đoàn thể beside it."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import utc_iso
from bot.domain import Unit, UnitKind
from storage.db import Database

_COLUMNS = "id, code, name, kind, parent_id"


def _unit(row: sqlite3.Row) -> Unit:
    return Unit(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=UnitKind(row["kind"]),
        parent_id=row["parent_id"],
    )


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    kind: UnitKind
    parent_code: str | None


class UnitRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, unit_id: int) -> Unit | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM units WHERE id = ?", (unit_id,))
        return _unit(row) if row else None

    async def by_code(self, code: str) -> Unit | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM units WHERE code = ?", (code,))
        return _unit(row) if row else None

    async def all(self) -> list[Unit]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM units ORDER BY id")
        return [_unit(r) for r in rows]

    async def children(self, unit_id: int) -> list[Unit]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM units WHERE parent_id = ? ORDER BY id", (unit_id,)
        )
        return [_unit(r) for r in rows]

    async def descendants(self, unit_id: int) -> list[Unit]:
        """Every unit below `unit_id` (not itself), depth first by id."""
        rows = await self._db.fetch_all(
            f"""WITH RECURSIVE below(id) AS (
                    SELECT id FROM units WHERE parent_id = ?
                    UNION ALL SELECT u.id FROM units u JOIN below b ON u.parent_id = b.id)
                SELECT {_COLUMNS} FROM units WHERE id IN (SELECT id FROM below) ORDER BY id""",
            (unit_id,),
        )
        return [_unit(r) for r in rows]

    async def upsert_many(self, units: Sequence[NewUnit], now: datetime) -> tuple[int, int]:
        """Create or update units (matched by code) in file order, parents first; the caller has
        validated them and holds the transaction. Returns (created, updated)."""
        created = updated = 0
        for unit in units:
            parent_id = None
            if unit.parent_code:
                parent = await self.by_code(unit.parent_code)
                if parent is None:
                    raise ValueError(f"unknown parent {unit.parent_code}")
                parent_id = parent.id
            existing = await self.by_code(unit.code)
            if existing is None:
                await self._db.execute(
                    "INSERT INTO units(code, name, kind, parent_id, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (unit.code, unit.name, unit.kind.value, parent_id, utc_iso(now)),
                )
                created += 1
            else:
                await self._db.execute(
                    "UPDATE units SET name = ?, kind = ?, parent_id = ? WHERE id = ?",
                    (unit.name, unit.kind.value, parent_id, existing.id),
                )
                updated += 1
        return created, updated
