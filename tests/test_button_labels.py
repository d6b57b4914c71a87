"""A button's label is plain text on Telegram and Zalo: a task's title, a unit's or a person's
name, a value typed earlier show on a button exactly as written ("&" stays "&", quotes stay
quotes), while the message above it, HTML, keeps them escaped."""

from __future__ import annotations

from datetime import date

from bot.channels.zalo import render
from bot.chat import LABEL_MAX, Choice, Reply, shorten
from bot.domain import Role
from bot.publishing import publish
from bot.services import Services
from handlers.routes import build_router
from messages import plain
from tests.chatkit import Person
from tests.conftest import make_invite
from tests.planning import draft, member, task

CONTEST = 'Hội thi "Tìm hiểu" & giao lưu'
NOTE = 'Vòng "sơ khảo" & <chung kết>'


def labels(reply: Reply) -> list[str]:
    return [c.label for row in reply.choices for c in row]


async def test_a_title_with_quotes_and_an_ampersand_reads_as_written_on_its_buttons(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await publish(org, await draft(org, task("II.7", CONTEST, due=date(2024, 4, 20))))
    an = Person(build_router(org), "1")
    [choose] = await an.says("/baocao")
    assert labels(choose) == [f"II.7: {CONTEST}"]
    [start, _] = await an.presses(f"II.7: {CONTEST}")
    # the message is HTML: the title is escaped there, and reads as written once shown
    assert "Hội thi &#34;Tìm hiểu&#34; &amp; giao lưu" in start.text
    assert CONTEST in plain(start.text)
    await an.presses("Hoàn thành")
    await an.says(NOTE)
    [summary] = await an.presses("Bỏ qua")
    assert "&lt;chung kết&gt;" in summary.text and "<chung kết>" not in summary.text
    [receipt] = await an.presses("📤 Gửi báo cáo")
    assert "&amp; giao lưu</b>" in receipt.text
    await an.says("/baocao")
    await an.presses(f"II.7: {CONTEST}")
    await an.presses("✏️ Sửa")
    [note] = await an.presses("Giữ như cũ: Hoàn thành")
    assert f"Giữ như cũ: {NOTE}" in labels(note)
    # Zalo lists the choices under the text, plain: the same words
    assert f"{NOTE}" in render(org.texts, note)
    assert "&amp;" not in render(org.texts, note)


async def test_a_display_name_with_an_ampersand_is_offered_as_written(org: Services) -> None:
    code = await make_invite(org, "CBVP")
    hoa = Person(build_router(org), "7", name='Lò Thị "Hoa" & Mai')
    await hoa.says(f"/start {code}")
    [ask] = await hoa.presses("Xác nhận")
    assert 'Dùng tên: Lò Thị "Hoa" & Mai' in labels(ask)
    await hoa.presses('Dùng tên: Lò Thị "Hoa" & Mai')
    registered = await org.repos.members.by_identity("telegram", "7")
    assert registered is not None and registered.full_name == 'Lò Thị "Hoa" & Mai'


LONG = "Báo cáo kết quả đợt thi đua, danh sách tập thể, cá nhân đề nghị khen thưởng"


def test_a_long_label_is_cut_after_a_whole_word_and_ends_with_an_ellipsis() -> None:
    label = shorten(f"II.6: {LONG}")
    assert label == "II.6: Báo cáo kết quả đợt thi đua, danh sách tập thể, cá…"
    assert len(label) <= LABEL_MAX
    assert shorten("65 năm Ngày thành lập Đảng bộ Khối", 12) == "65 năm Ngày…"
    assert shorten("Chi bộ Văn phòng") == "Chi bộ Văn phòng"  # short: as it is
    assert Choice("x" * 80, "v").label == "x" * (LABEL_MAX - 1) + "…"  # one long word: cut


async def test_a_long_title_reads_in_whole_words_on_every_button_that_shows_it(
    org: Services,
) -> None:
    await member(org, "CBVP", "1", "An")
    await member(org, "VP", "9", "Hà", Role.OFFICE)
    await publish(org, await draft(org, task("II.6", LONG, due=date(2024, 4, 20))))
    router = build_router(org)
    an = Person(router, "1")
    [choose] = await an.says("/baocao")
    [label] = labels(choose)
    assert label.endswith("…") and len(label) <= LABEL_MAX
    shown = label.removesuffix("…").split()
    assert shown == f"II.6: {LONG}".split()[: len(shown)]  # whole words only
    assert f"1. {label}" in render(org.texts, choose)  # Zalo's numbered list: the same words
    [start, _] = await an.presses(label)
    assert LONG in plain(start.text)  # the message itself keeps the whole title
    ha = Person(router, "9")
    await ha.says("/thongbao")
    await ha.says("Xin các đồng chí gửi báo cáo thi đua đúng hạn.")
    [tasks] = await ha.presses(org.texts.label("broadcast.to_not_answered"))
    assert labels(tasks) == [label]
