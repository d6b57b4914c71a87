"""Leaders and the office ask how the plan stands: counts per task, a chart, units by state, the
late units and a button to remind them now."""

from __future__ import annotations

from datetime import date, datetime

from PIL import Image

from bot.clock import FrozenClock
from bot.domain import DeadlineState, Role
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import draft, member, task


async def _setup(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "CBBAO", "2", "Bình")
    await member(org, "DUK", "8", "Thường trực", Role.LEADER)
    await member(org, "VP", "9", "Văn phòng", Role.OFFICE)
    plan = await draft(
        org,
        task("II.6", "Báo cáo thi đua", due=date(2024, 3, 10)),
        task("II.3", "Tọa đàm", due=date(2024, 4, 30)),
    )
    await publish(org, plan)
    cbvp = await org.repos.units.by_code("CBVP")
    assert cbvp is not None
    [ii6] = [v for v in await org.repos.deadlines.for_unit(cbvp.id) if v.task_ref == "II.6"]
    await org.repos.deadlines.set_state(ii6.deadline.id, DeadlineState.DONE, org.clock.now())


async def test_a_leader_sees_each_task_counted_by_state_and_a_chart(
    org: Services, clock: FrozenClock
) -> None:
    await _setup(org)
    clock.set(datetime(2024, 3, 12, 9, 0, tzinfo=VN))
    replies = await Person(build_router(org), "8").says("/tinhhinh")
    text, picture = replies
    assert "185-KH/ĐUK" in text.text
    # the grassroots units: CBVP, CBBAO, DBPT (Chi bộ Thời sự reports to DBPT)
    assert "✅ 1 · 🔄 0 · ⏳ 0 · ⚠️ 2 / 3 đơn vị" in text.text  # II.6: one done, two late
    assert "✅ 0 · 🔄 0 · ⏳ 3 · ⚠️ 0 / 3 đơn vị" in text.text  # II.3: not due yet
    assert picture.photo is not None
    with Image.open(picture.photo.path) as image:
        assert image.format == "PNG" and image.width > 400


async def test_one_task_lists_units_by_state_with_their_secretaries(
    org: Services, clock: FrozenClock
) -> None:
    await _setup(org)
    clock.set(datetime(2024, 3, 12, 9, 0, tzinfo=VN))
    [answer] = await Person(build_router(org), "9").says("/tinhhinh II.6")
    done, late = answer.text.index("Hoàn thành"), answer.text.index("Quá hạn")
    assert answer.text.index("Chi bộ Văn phòng: An") > done
    assert answer.text.index("Chi bộ Báo Lào Cai: Bình") > late
    assert "Đảng bộ Đài Phát thanh - Truyền hình: chưa có ai đăng ký" in answer.text
    assert "Chi bộ Thời sự" not in answer.text  # it reports to its đảng bộ


async def _nudges(org: Services) -> dict[str, str]:
    """The reminders queued by "remind now": the recipient's member id -> the text."""
    rows = await org.repos.outbox.due(org.clock.now(), 100)
    return {str(r.member_id): r.reply.text for r in rows if r.kind == "nudge"}


async def test_late_units_can_be_reminded_now_once_a_day(org: Services, clock: FrozenClock) -> None:
    await _setup(org)
    clock.set(datetime(2024, 3, 12, 9, 0, tzinfo=VN))
    office = Person(build_router(org), "9")
    [late] = await office.says("/chuabaocao")
    assert "II.6</b> Báo cáo thi đua\n   hạn 10/3/2024, quá hạn 2 ngày (2 đơn vị)" in late.text
    assert "• <b>Chi bộ Báo Lào Cai</b>: II.6\n   Bình" in late.text
    assert "• <b>Đảng bộ Đài Phát thanh - Truyền hình</b>: II.6\n   ☎️ chưa có ai đăng ký" in (
        late.text
    )
    assert "Chi bộ Văn phòng" not in late.text
    [done] = await office.presses("🔔 Nhắc các đơn vị này ngay")
    # one unit told; the one nobody can be told is named, to be phoned
    assert done.text.startswith("🔔 Đã nhắc 1 đơn vị.")
    assert "☎️ <b>1 đơn vị bot không nhắn được</b>, xin gọi điện:" in done.text
    assert "• Đảng bộ Đài Phát thanh - Truyền hình: chưa có ai đăng ký nhận tin" in done.text
    [again] = await office.presses("🔔 Nhắc các đơn vị này ngay")
    assert "Đã nhắc" not in again.text
    assert "1 đơn vị đã được nhắc hôm nay, không nhắc lại." in again.text
    assert "• Đảng bộ Đài Phát thanh - Truyền hình" in again.text
    second, first = await org.repos.audit.entries(action="remind_late")  # newest first
    assert first.detail == {
        "units": 1,
        "messages": 1,
        "already": 0,
        "unreached": ["Đảng bộ Đài Phát thanh - Truyền hình"],
    }
    assert second.detail["messages"] == 0 and second.detail["already"] == 1
    assert first.member_name == "Văn phòng"
    [nudge] = (await _nudges(org)).values()
    assert nudge.startswith("🔔 <b>Văn phòng nhắc</b> (đồng chí Văn phòng): Chi bộ Báo Lào Cai")
    assert "• Báo cáo thi đua (II.6), hạn 10/3/2024, quá hạn 2 ngày" in nudge


async def test_a_leader_reminding_is_named_and_a_blocked_secretary_is_to_be_phoned(
    org: Services, clock: FrozenClock
) -> None:
    await _setup(org)
    deputy = await member(org, "CBBAO", "3", "Cường", Role.DEPUTY)
    await member(org, "DUK", "7", "Hoàng Minh Châu", Role.LEADER)
    async with org.db.transaction():  # Bình has blocked the bot; his deputy has not
        await org.repos.members.mark_unreachable("telegram", "2", "blocked")
    clock.set(datetime(2024, 3, 12, 9, 0, tzinfo=VN))
    leader = Person(build_router(org), "7")
    [late] = await leader.says("/chuabaocao")
    assert "Bình (không nhận được tin nhắn: đã chặn bot), Cường" in late.text
    [done] = await leader.presses("🔔 Nhắc các đơn vị này ngay")
    assert done.text.startswith("🔔 Đã nhắc 1 đơn vị.")
    nudges = await _nudges(org)
    assert list(nudges) == [str(deputy.id)]  # not to Bình, who cannot get it
    assert nudges[str(deputy.id)].startswith(
        "🔔 <b>Thường trực nhắc</b> (đồng chí Hoàng Minh Châu): Chi bộ Báo Lào Cai còn việc"
    )
    async with org.db.transaction():  # now the deputy has blocked it too
        await org.repos.members.mark_unreachable("telegram", "3", "blocked")
    clock.set(datetime(2024, 3, 13, 9, 0, tzinfo=VN))
    [late] = await leader.says("/chuabaocao")
    assert "• <b>Chi bộ Báo Lào Cai</b>: II.6\n   ☎️ Bình (không nhận" in late.text
    [none] = await leader.presses("🔔 Nhắc các đơn vị này ngay")
    assert none.text.startswith("Bot chưa nhắc được đơn vị nào.")
    assert "☎️ <b>2 đơn vị bot không nhắn được</b>" in none.text
    assert (
        "• Chi bộ Báo Lào Cai: Bình (không nhận được tin nhắn: đã chặn bot),"
        " Cường (không nhận được tin nhắn: đã chặn bot)" in none.text
    )


async def test_secretaries_do_not_see_the_whole_plan(org: Services) -> None:
    await _setup(org)
    for command in ("/tinhhinh", "/chuabaocao"):
        [answer] = await Person(build_router(org), "1").says(command)
        assert "không dành cho" in answer.text


async def test_leaders_get_a_weekly_digest_on_monday_and_can_turn_it_off(
    org: Services, clock: FrozenClock
) -> None:
    from bot.reminders import Reminders

    await _setup(org)
    reminders = Reminders(org)
    clock.set(datetime(2024, 3, 11, 7, 29, tzinfo=VN))  # a Monday, a minute early
    assert [d for d in await reminders.weekly_at(clock.now())] == []
    clock.set(datetime(2024, 3, 11, 7, 30, tzinfo=VN))
    [weekly] = await reminders.weekly_at(clock.now())
    assert weekly.to.member.full_name == "Thường trực"  # leaders only
    assert "Bản tin tuần" in weekly.reply.text and "II.6" in weekly.reply.text
    assert await reminders.tick() >= 1
    assert [d for d in await reminders.weekly_at(clock.now()) if d.kind == "weekly"] != []
    assert await reminders.tick() == 0  # queued once a week
    leader = Person(build_router(org), "8")
    leader.inbox.append(weekly.reply)
    [off] = await leader.presses("🔕 Không nhận bản tin tuần")
    assert "Đã tắt" in off.text
    clock.set(datetime(2024, 3, 18, 7, 30, tzinfo=VN))
    assert await reminders.weekly_at(clock.now()) == []
    [on] = await leader.says("/bantintuan")
    assert "Đã bật" in on.text
    assert len(await reminders.weekly_at(clock.now())) == 1
