"""The office publishes a draft plan from chat, after seeing how many units it will reach."""

from __future__ import annotations

from datetime import date

from bot.domain import Audience, PlanStatus, Role, UnitKind
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from tests.chatkit import Person
from tests.planning import draft, member, task


async def test_office_publishes_a_draft_from_chat_after_confirming(org: Services) -> None:
    await member(org, "VP", "900", "Chánh Văn phòng", Role.OFFICE)
    await member(org, "CBVP", "901", "An")
    plan = await draft(org, task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20)))
    office = Person(build_router(org), "900")
    [listing] = await office.says("/kehoach")
    assert "185-KH/ĐUK" in listing.text and "bản nháp" in listing.text
    [confirm] = await office.presses("📢 Ban hành 185-KH/ĐUK")
    assert "3</b> đơn vị" in confirm.text
    [done] = await office.presses("Ban hành")
    assert "Đã ban hành" in done.text and "1 tin nhắn" in done.text
    published = await org.repos.plans.get(plan.id)
    assert published is not None and published.status is PlanStatus.PUBLISHED
    assert await org.repos.outbox.counts() == {"pending": 1}


async def test_cancelling_keeps_the_plan_a_draft(org: Services) -> None:
    await member(org, "VP", "900", "Chánh Văn phòng", Role.OFFICE)
    plan = await draft(org, task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20)))
    office = Person(build_router(org), "900")
    await office.says("/kehoach")
    await office.presses("📢 Ban hành 185-KH/ĐUK")
    [answer] = await office.says("có")
    assert "Ban hành" in answer.text  # asked to press a button
    [answer] = await office.presses("Hủy")
    assert "bản nháp" in answer.text
    kept = await org.repos.plans.get(plan.id)
    assert kept is not None and kept.status is PlanStatus.DRAFT


async def test_a_secretary_cannot_publish(org: Services) -> None:
    await member(org, "CBVP", "901", "An")
    await draft(org, task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20)))
    [answer] = await Person(build_router(org), "901").says("/kehoach")
    assert "không dành cho" in answer.text


async def test_publishing_from_chat_is_written_to_the_audit_log(org: Services) -> None:
    office_member = await member(org, "VP", "900", "Chánh Văn phòng", Role.OFFICE)
    plan = await draft(org, task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20)))
    office = Person(build_router(org), "900")
    await office.says("/kehoach")
    await office.presses("📢 Ban hành 185-KH/ĐUK")
    await office.presses("Ban hành")
    [entry] = await org.repos.audit.entries(action="publish")
    assert entry.member_id == office_member.id and entry.detail["plan"] == plan.id


async def test_all_means_the_grassroots_units_and_a_chi_bo_under_a_dang_bo_answers_to_it(
    org: Services,
) -> None:
    """Chi bộ Thời sự belongs to Đảng bộ Đài Phát thanh - Truyền hình: a task for `all` is owed
    by its đảng bộ, not by it; a task addressed to every chi bộ by kind reaches it too."""
    plan = await draft(
        org,
        task("II.6", "Báo cáo thi đua", due=date(2024, 4, 20)),
        task("III.2", "Tuyên truyền", due=None, audience=Audience(kinds=(UnitKind.CELL,))),
    )
    await publish(org, plan)
    owing: dict[str, set[str]] = {}
    for unit in await org.repos.units.all():
        for view in await org.repos.deadlines.for_unit(unit.id):
            owing.setdefault(view.task_ref, set()).add(unit.code)
    assert owing["II.6"] == {"CBVP", "CBBAO", "DBPT"}
    assert owing["III.2"] == {"CBVP", "CBBAO", "CBTS"}
