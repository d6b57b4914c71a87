"""The office broadcasts from chat over real HTTP; the delivery report counts a blocked user."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.domain import Role
from bot.publishing import publish
from tests.e2e.conftest import Bot
from tests.e2e.harness import buttons
from tests.e2e.test_plans import registered
from tests.planning import draft, task


async def test_office_broadcasts_to_all_and_gets_a_report_counting_a_blocked_user(tg: Bot) -> None:
    office, _ = await registered(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    an, _ = await registered(tg, "CBVP", "An")
    binh, _ = await registered(tg, "CBBAO", "Bình")
    cuong, _ = await registered(tg, "CBTS", "Cường")
    await cuong.block()
    await office.send("/thongbao")
    await office.read_one()
    await office.send("Họp chi bộ định kỳ ngày 5/3/2024 <lúc 14h> & mang sổ")
    ask = await office.read_one()
    assert "Tất cả bí thư các đơn vị" in buttons(ask)
    await office.press("Tất cả bí thư các đơn vị")
    preview = await office.read_one()
    assert "Sẽ gửi tới 3 người ở 3 đơn vị" in preview["text"]
    await office.press("📤 Gửi 3 tin")
    assert "Đang gửi 3 tin" in (await office.read_one())["text"]
    for person in (an, binh):
        message = await person.read_one()
        assert "Họp chi bộ định kỳ ngày 5/3/2024 <lúc 14h> & mang sổ" in message["text"]
    report = await office.read_one()
    assert "Đã gửi: 2 · Không liên lạc được: 1 · Lỗi: 0" in report["text"]
    assert "Cường, Chi bộ Thời sự" in report["text"]
    [entry] = await tg.app.services.repos.audit.entries(action="broadcast")
    assert entry.detail["recipients"] == 3


async def test_broadcast_to_units_that_have_not_answered_a_task(tg: Bot) -> None:
    office, _ = await registered(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    an, _ = await registered(tg, "CBVP", "An")
    binh, _ = await registered(tg, "CBBAO", "Bình")
    services = tg.app.services
    await publish(
        services,
        await draft(services, task("II.9", "Số liệu", due=date(2024, 3, 20), form="count")),
    )
    await an.read_one()
    await binh.read_one()
    # An answers; Bình does not
    await an.send("/baocao II.9")
    await an.read(2)
    await an.send("12")
    await an.read_one()
    await an.press("Bỏ qua")
    await an.read_one()
    await an.press("📤 Gửi báo cáo")
    await an.read_one()
    await office.send("/thongbao")
    await office.read_one()
    await office.send("Đề nghị gửi số liệu")
    await office.read_one()
    await office.press("Đơn vị chưa báo cáo một việc")
    await office.read_one()
    await office.press("II.9: Số liệu")
    preview = await office.read_one()
    assert "Sẽ gửi tới 1 người" in preview["text"]
    await office.press("📤 Gửi 1 tin")
    await office.read_one()
    assert "Đề nghị gửi số liệu" in (await binh.read_one())["text"]
    tg.app.sender.wake()
    await asyncio.wait_for(tg.app.sender.idle(), 10)
    assert not any("Đề nghị gửi số liệu" in m["text"] for m in await an.history())
