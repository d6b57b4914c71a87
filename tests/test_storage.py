"""Storage: migrations on an empty file and again, the unit tree, invites, members."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain import Role
from bot.services import Services
from storage.db import Database, apply_migrations
from tests.conftest import make_invite


async def test_migrations_create_every_table_on_an_empty_file(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "fresh.sqlite3")
    rows = await db.fetch_all("SELECT name FROM sqlite_master WHERE type='table'")
    tables = {r[0] for r in rows}
    expected = {"units", "members", "identities", "invites", "conversations", "handled_updates"}
    assert expected <= tables
    assert await db.fetch_value("PRAGMA journal_mode") == "wal"
    assert await db.fetch_value("PRAGMA foreign_keys") == 1
    await db.close()


async def test_running_migrations_again_applies_nothing_and_keeps_data(
    org: Services, db: Database
) -> None:
    assert await apply_migrations(db) == []
    assert len(await org.repos.units.all()) == 6
    db2 = await Database.open(db.path)
    assert await db2.fetch_value("SELECT count(*) FROM schema_migrations") >= 1
    assert len(await db2.fetch_all("SELECT * FROM units")) == 6
    await db2.close()


async def test_unit_tree_descendants_follow_parents(org: Services) -> None:
    duk = await org.repos.units.by_code("duk")  # codes match regardless of case
    assert duk is not None
    below = {u.code for u in await org.repos.units.descendants(duk.id)}
    assert below == {"VP", "CBVP", "CBBAO", "DBPT", "CBTS"}
    dbpt = await org.repos.units.by_code("DBPT")
    assert dbpt is not None
    assert [u.code for u in await org.repos.units.children(dbpt.id)] == ["CBTS"]


async def test_a_failed_transaction_writes_nothing(org: Services) -> None:
    with pytest.raises(RuntimeError):
        async with org.db.transaction():
            await make_invite(org, "CBVP")
            raise RuntimeError("boom")
    assert await org.repos.invites.all() == []


async def test_single_use_invite_is_used_once(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    invite = await org.repos.invites.by_code(code)
    assert invite is not None and invite.problem(org.clock.now()) is None
    assert await org.repos.invites.use(invite.id) is True
    assert await org.repos.invites.use(invite.id) is False
    used = await org.repos.invites.by_code(code)
    assert used is not None and used.problem(org.clock.now()) == "used"


async def test_invite_expires_and_can_be_revoked(org: Services) -> None:
    code = await make_invite(org, "CBVP", days=14)
    invite = await org.repos.invites.by_code(code)
    assert invite is not None
    assert invite.problem(org.clock.now() + timedelta(days=14)) == "expired"
    assert await org.repos.invites.revoke(code, org.clock.now()) is True
    assert await org.repos.invites.revoke(code, org.clock.now()) is False
    revoked = await org.repos.invites.by_code(code)
    assert revoked is not None and revoked.problem(org.clock.now()) == "revoked"


async def test_invite_codes_are_unguessable_and_distinct(org: Services) -> None:
    codes = {await make_invite(org, "CBVP") for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) >= 16 for c in codes)


async def test_member_found_by_identity_and_marked_unreachable(org: Services) -> None:
    unit = await org.repos.units.by_code("CBVP")
    assert unit is not None
    now = org.clock.now()
    member = await org.repos.members.create(
        unit_id=unit.id, role=Role.SECRETARY, full_name="Nguyễn Văn An", invite_id=None, now=now
    )
    await org.repos.members.add_identity(
        member.id, channel="telegram", external_id="42", chat_id="42", display_name="An", now=now
    )
    found = await org.repos.members.by_identity("telegram", "42")
    assert found == member
    await org.repos.members.mark_unreachable("telegram", "42", "bot was blocked by the user")
    [listing] = await org.repos.members.listing()
    assert listing.unit_code == "CBVP" and listing.reachable is False
    await org.repos.members.touch("telegram", "42", now)
    [listing] = await org.repos.members.listing()
    assert listing.reachable is True


async def test_an_update_is_recorded_as_handled_once(services: Services) -> None:
    now = services.clock.now()
    assert await services.repos.conversations.first_time("telegram", 7, now) is True
    assert await services.repos.conversations.first_time("telegram", 7, now) is False
    assert await services.repos.conversations.first_time("zalo", 7, now) is True
