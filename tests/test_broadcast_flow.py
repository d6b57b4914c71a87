"""The office's broadcast from chat, told when it will go."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.clock import FrozenClock
from bot.domain import Role
from bot.services import Services
from bot.worktime import QuietHours
from handlers.routes import build_router
from tests.chatkit import Person
from tests.conftest import VN
from tests.planning import member


async def _broadcast(office: Person) -> str:
    await office.says("/thongbao")
    await office.says("Họp chi bộ định kỳ ngày 5/3/2024")
    await office.presses("Tất cả bí thư các đơn vị")
    [sending] = await office.presses("📤 Gửi 2 tin")
    return sending.text


async def test_a_broadcast_confirmed_at_night_says_it_goes_at_seven(
    org: Services, clock: FrozenClock
) -> None:
    services = replace(org, quiet=QuietHours.parse("21:00-07:00"))
    await member(services, "VP", "9", "Chánh Văn phòng", Role.OFFICE)
    await member(services, "CBVP", "1", "An")
    await member(services, "CBBAO", "2", "Bình")
    clock.set(datetime(2024, 3, 4, 21, 30, tzinfo=VN))
    text = await _broadcast(Person(build_router(services), "9"))
    assert "giờ nghỉ" in text and "7:00 5/3/2024" in text


async def test_a_broadcast_by_day_says_it_is_going(org: Services, clock: FrozenClock) -> None:
    services = replace(org, quiet=QuietHours.parse("21:00-07:00"))
    await member(services, "VP", "9", "Chánh Văn phòng", Role.OFFICE)
    await member(services, "CBVP", "1", "An")
    await member(services, "CBBAO", "2", "Bình")
    clock.set(datetime(2024, 3, 4, 9, 0, tzinfo=VN))
    text = await _broadcast(Person(build_router(services), "9"))
    assert text.startswith("Đang gửi 2 tin") and "giờ nghỉ" not in text
