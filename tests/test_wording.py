"""Sentences that read naturally whatever the values: a receipt for a task whose title starts
with "Báo cáo", the broadcast's questions and preview, a wrong unit code, and texts that name a
choice in words true on Telegram (buttons) and Zalo (numbered lists)."""

from __future__ import annotations

import re
from datetime import date

from bot.channels.zalo import render
from bot.domain import Role
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from messages import plain
from tests.chatkit import Person
from tests.planning import draft, member, task

CONTEST = "Báo cáo kết quả đợt thi đua"


async def test_the_receipt_does_not_say_bao_cao_twice(org: Services) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, task("II.6", CONTEST, due=date(2024, 4, 20))))
    an = Person(build_router(org), "1")
    await an.says("/baocao")
    await an.presses(f"II.6: {CONTEST}")
    await an.presses("Hoàn thành")
    await an.presses("Bỏ qua")
    await an.presses("Bỏ qua")
    [receipt, *_] = await an.presses("📤 Gửi báo cáo")
    text = plain(receipt.text)
    assert "báo cáo Báo cáo" not in text
    assert text.startswith(
        "✅ Đã nhận báo cáo lúc 9:00 1/3/2024.\nViệc: Báo cáo kết quả đợt thi đua (II.6)"
    )


async def _office_writes_a_broadcast(org: Services) -> Person:
    await member(org, "CBVP", "1", "An")
    await member(org, "CBBAO", "2", "Bình")
    await member(org, "VP", "9", "Hà", Role.OFFICE)
    await publish(org, await draft(org, task("II.6", CONTEST, due=date(2024, 4, 20))))
    ha = Person(build_router(org), "9")
    await ha.says("/thongbao")
    await ha.says("Họp giao ban sáng thứ Hai")
    return ha


async def test_the_broadcast_asks_for_a_task_plainly_and_previews_without_a_double_gap(
    org: Services,
) -> None:
    ha = await _office_writes_a_broadcast(org)
    [ask] = await ha.presses("Đơn vị chưa báo cáo một việc")
    assert "chưa báo cáo việc nào" not in ask.text
    assert ask.text == "Xin chọn việc: thông báo sẽ gửi tới các đơn vị chưa báo cáo việc đó."
    [preview] = await ha.presses(f"II.6: {CONTEST}")
    assert "\n\n\n" not in preview.text
    assert "Họp giao ban sáng thứ Hai\n\nSẽ gửi tới <b>2</b> người ở 2 đơn vị." in preview.text


async def test_unit_codes_may_be_typed_with_spaces_or_semicolons(org: Services) -> None:
    ha = await _office_writes_a_broadcast(org)
    await ha.presses("Chọn danh sách đơn vị")
    [preview] = await ha.says("cbvp; CBBAO  CBVP")
    assert "Sẽ gửi tới <b>2</b> người ở 2 đơn vị" in preview.text


async def test_every_unknown_code_is_named_and_the_known_ones_shown(org: Services) -> None:
    ha = await _office_writes_a_broadcast(org)
    await ha.presses("Chọn danh sách đơn vị")
    [wrong] = await ha.says("CBVP CBX, CBY")
    text = plain(wrong.text)
    assert 'Không có đơn vị mã "CBX", "CBY". Xin gõ lại.' in text
    assert "CBVP, CBBAO" in text and "CBTS" in text  # the codes that do exist
    [preview] = await ha.says("CBVP, CBBAO")  # typed again: the broadcast goes on
    assert "Sẽ gửi tới <b>2</b> người" in preview.text


async def test_no_text_asks_to_press_a_button_zalo_has_none(org: Services) -> None:
    """Zalo lists the choices, numbered, under the text: "chọn" is true there and on Telegram."""
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, task("II.6", CONTEST, due=date(2024, 4, 20))))
    an = Person(build_router(org), "1")
    await an.says("/viec")
    await an.presses("📝 Báo cáo II.6")
    await an.says("xong rồi")  # not one of the choices
    await an.presses("Hoàn thành")
    await an.presses("Bỏ qua")
    await an.presses("Bỏ qua")
    await an.says("gửi")  # typed where a choice is asked
    pushed = [r.reply for r in await org.repos.outbox.due(org.clock.now(), 100)]
    shown = [render(org.texts, r) for r in [*pushed, *an.inbox]]
    assert any("Chọn 📝 Báo cáo để gửi báo cáo" in s for s in shown)
    assert any("Xin chọn một mục" in s for s in shown)
    assert not [s for s in shown if re.search(r"\bbấm\b|\bnút\b", s, re.I)]
