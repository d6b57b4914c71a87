"""Forms end to end: the real python-telegram-bot Application polling the Bot API emulator over
HTTP, secretaries answering each preset (progress, nomination, registration, count) by pressing
the same buttons and typing the same words a person would, the office reviewing in /duyet.

Every step reads exactly the replies the bot sends to it (`Chat.step`), so a missing or extra
message fails the test where it happens. No sleeping: reads wait on the emulator."""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.domain import DeadlineState, Quota, Role
from bot.publishing import publish
from storage.answers import Answer, AnswerStatus
from storage.plans import NewTask
from tests.conftest import VN
from tests.e2e.conftest import Bot
from tests.e2e.harness import TgUser, buttons
from tests.e2e.test_plans import registered
from tests.planning import draft, task

DUE = date(2024, 3, 10)  # the tests start on Friday 1/3/2024 at 9:00
AFTER_DUE = datetime(2024, 3, 12, 9, 0, tzinfo=VN)

SEND = "📤 Gửi báo cáo"
EDIT = "✏️ Sửa"
WITHDRAW = "↩️ Rút lại"
SKIP = "Bỏ qua"
MORE = "➕ Thêm người, tập thể được đề nghị"
ENOUGH = "✅ Xong, xem lại và gửi"

Message = dict[str, Any]


# A scripted person -----------------------------------------------------------------------------


@dataclass
class Chat:
    """A TgUser whose every step reads exactly the replies it should get."""

    user: TgUser

    @property
    def user_id(self) -> int:
        return self.user.user_id

    async def step(self, kind: str, what: str, replies: int = 1) -> list[Message]:
        if kind == "press":
            await self.user.press(what)
        else:
            await self.user.send(what)
        got = await self.user.read(replies)
        assert len(got) == replies, [m["text"] for m in got]
        return got

    async def says(self, text: str, replies: int = 1) -> Message:
        return (await self.step("say", text, replies))[-1]

    async def presses(self, label: str, replies: int = 1) -> Message:
        return (await self.step("press", label, replies))[-1]

    async def does(self, steps: tuple[tuple[str, str], ...]) -> Message:
        """Steps that each get one reply (the next question); returns the last one."""
        last: Message = {}
        for kind, what in steps:
            [last] = await self.step(kind, what)
        return last

    async def cannot_press(self, label: str) -> None:
        resp = await self.user.try_press(label)
        assert resp.status_code == 404, resp.text


async def person(tg: Bot, unit: str, name: str, role: Role = Role.SECRETARY) -> Chat:
    user, _ = await registered(tg, unit, name, role)
    return Chat(user)


# The presets, as a person fills them -----------------------------------------------------------

Steps = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Preset:
    form: str
    ref: str
    title: str
    question: str  # words of the first question
    fill: Steps  # from the first question to the summary, one reply each
    values: dict[str, Any]
    entries: list[dict[str, Any]]
    shown: str  # what the summary shows of the answer
    state: DeadlineState  # the deadline's state once sent
    edit: Steps  # after "✏️ Sửa" (and its two replies) to the summary
    edited_values: dict[str, Any]
    edited_entries: list[dict[str, Any]]
    edited_shown: str
    edited_state: DeadlineState
    quota: Quota = field(default_factory=Quota)

    def task(self) -> NewTask:
        return replace(task(self.ref, self.title, due=DUE, form=self.form), quota=self.quota)


NOTE = "Đã treo cờ ở cả ba tòa nhà"
CONTACT = "Nguyễn Văn An, 0912 345 678"
COLLECTIVE = {
    "kind": "collective",
    "name": "Tổ công đoàn Văn phòng",
    "achievements": "Hoàn thành xuất sắc nhiệm vụ năm 2023",
    "award": "Giấy khen của Đảng ủy Khối",
}
INDIVIDUAL = {
    "kind": "individual",
    "name": "Nguyễn Văn Bình",
    "position": "Phó Giám đốc",
    "unit": "Sở Tài chính",
    "achievements": "Hoàn thành xuất sắc nhiệm vụ 5 năm liền",
    "award": "Bằng khen của Tỉnh ủy",
}


def nominee_steps(entry: dict[str, str]) -> Steps:
    kind = {"collective": "Tập thể", "individual": "Cá nhân"}[entry["kind"]]
    typed = [entry[k] for k in ("name", "position", "unit", "achievements", "award") if k in entry]
    return (("press", kind), *(("say", text) for text in typed))


PROGRESS = Preset(
    form="progress",
    ref="II.2",
    title="Trang trí khẩu hiệu, cờ Đảng",
    question="Việc này của chi bộ đang ở mức nào?",
    fill=(("press", "Hoàn thành"), ("say", NOTE), ("press", SKIP)),
    values={"state": "done", "note": NOTE, "evidence": []},
    entries=[],
    shown=f"• Ghi chú ngắn (kết quả, khó khăn, số liệu…): {NOTE}",
    state=DeadlineState.DONE,
    edit=(("press", "Đang thực hiện"), ("press", f"Giữ như cũ: {NOTE}"), ("press", SKIP)),
    edited_values={"state": "in_progress", "note": NOTE, "evidence": []},
    edited_entries=[],
    edited_shown="Đang thực hiện",
    edited_state=DeadlineState.IN_PROGRESS,
)
NOMINATION = Preset(
    form="nomination",
    ref="II.6",
    title="Đề nghị khen thưởng",
    question="Đề nghị cho ai?",
    fill=(*nominee_steps(COLLECTIVE), ("press", ENOUGH)),
    values={},
    entries=[COLLECTIVE],
    shown="1. Tập thể — Tên: Tổ công đoàn Văn phòng; Thành tích:",
    state=DeadlineState.DONE,
    edit=(("press", MORE), *nominee_steps(INDIVIDUAL), ("press", ENOUGH)),
    edited_values={},
    edited_entries=[COLLECTIVE, INDIVIDUAL],
    edited_shown=(
        "2. Cá nhân — Họ tên: Nguyễn Văn Bình; Chức vụ: Phó Giám đốc; Đơn vị: Sở Tài chính"
    ),
    edited_state=DeadlineState.DONE,
)
REGISTRATION = Preset(
    form="registration",
    ref="II.5",
    title="Đăng ký đội bóng chuyền hơi",
    question="Tên đội",
    fill=(("say", "Đội Văn phòng"), ("say", "8"), ("say", CONTACT)),
    values={
        "team": "Đội Văn phòng",
        "players": 8,
        "contact": {"name": "Nguyễn Văn An", "detail": "0912 345 678"},
    },
    entries=[],
    shown="• Số vận động viên: 8",
    state=DeadlineState.DONE,
    edit=(
        ("press", "Giữ như cũ: Đội Văn phòng"),
        ("say", "10"),
        ("press", f"Giữ như cũ: {CONTACT}"),
    ),
    edited_values={
        "team": "Đội Văn phòng",
        "players": 10,
        "contact": {"name": "Nguyễn Văn An", "detail": "0912 345 678"},
    },
    edited_entries=[],
    edited_shown="• Số vận động viên: 10",
    edited_state=DeadlineState.DONE,
)
COUNT = Preset(
    form="count",
    ref="II.9",
    title="Số đảng viên được kết nạp",
    question="Số lượng",
    fill=(("say", "12"), ("press", SKIP)),
    values={"count": 12, "note": None},
    entries=[],
    shown="• Số lượng: 12",
    state=DeadlineState.DONE,
    edit=(("press", "Giữ như cũ: 12"), ("say", "Thêm 2 quần chúng ưu tú")),
    edited_values={"count": 12, "note": "Thêm 2 quần chúng ưu tú"},
    edited_entries=[],
    edited_shown="Thêm 2 quần chúng ưu tú",
    edited_state=DeadlineState.DONE,
)
PRESETS = [PROGRESS, NOMINATION, REGISTRATION, COUNT]
each_preset = pytest.mark.parametrize("preset", PRESETS, ids=[p.form for p in PRESETS])


# Setting up and looking at the database ----------------------------------------------------------


async def published(tg: Bot, *tasks: NewTask, readers: tuple[Chat, ...] = ()) -> list[Message]:
    """Publish a plan with these tasks; `readers` (its registered secretaries) read the push."""
    services = tg.app.services
    await publish(services, await draft(services, *tasks))
    return [await r.user.read_one() for r in readers]


async def deadline_id(tg: Bot, unit: str, ref: str) -> int:
    u = await tg.app.services.repos.units.by_code(unit)
    assert u is not None
    views = await tg.app.services.repos.deadlines.for_unit(u.id, open_only=False)
    [view] = [v for v in views if v.task_ref == ref]
    return view.deadline.id


async def answer_of(tg: Bot, unit: str, ref: str) -> Answer | None:
    return await tg.app.services.repos.answers.for_deadline(await deadline_id(tg, unit, ref))


async def state_of(tg: Bot, unit: str, ref: str) -> DeadlineState:
    view = await tg.app.services.repos.deadlines.view(await deadline_id(tg, unit, ref))
    assert view is not None
    return view.deadline.state


async def actions(tg: Bot, answer: Answer) -> list[str]:
    return [v.action for v in await tg.app.services.repos.answers.versions(answer.id)]


async def fills(chat: Chat, preset: Preset, *, start: str | None = None) -> Message:
    """Open the form (by /baocao <ref>, or a button) and fill it to the summary."""
    if start is None:
        opening = await chat.step("say", f"/baocao {preset.ref}", 2)
    else:
        opening = await chat.step("press", start, 2)
    assert "📝 <b>" in opening[0]["html"] and preset.ref in opening[0]["text"]
    assert preset.question in opening[1]["text"]
    summary = await chat.does(preset.fill)
    assert preset.shown in summary["text"] and "Gửi báo cáo" in summary["text"]
    assert buttons(summary) == [SEND, "✏️ Làm lại", "Hủy"]
    return summary


async def sends(chat: Chat, preset: Preset) -> Message:
    await fills(chat, preset)
    return await chat.presses(SEND)


async def settle(tg: Bot) -> None:
    tg.app.sender.wake()
    await asyncio.wait_for(tg.app.sender.idle(), 10)


# The happy path, for each preset ----------------------------------------------------------------


@each_preset
async def test_secretary_presses_report_on_the_task_message_fills_the_form_and_gets_a_receipt(
    tg: Bot, preset: Preset
) -> None:
    an = await person(tg, "CBVP", "Nguyễn Văn An")
    [push] = await published(tg, preset.task(), readers=(an,))
    assert f"📝 Báo cáo {preset.ref}" in buttons(push)
    await fills(an, preset, start=f"📝 Báo cáo {preset.ref}")
    receipt = await an.presses(SEND)
    assert "Đã nhận báo cáo" in receipt["text"] and "9:00 1/3/2024" in receipt["text"]
    assert "lần gửi thứ" not in receipt["text"] and "nộp muộn" not in receipt["text"]
    assert buttons(receipt) == [EDIT, WITHDRAW]
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.status is AnswerStatus.SUBMITTED
    assert answer.data == {"values": preset.values, "entries": preset.entries}
    assert answer.version == 1 and not answer.late and answer.entries == len(preset.entries)
    assert await state_of(tg, "CBVP", preset.ref) is preset.state
    pressed = [m for m in await an.user.history() if m["message_id"] == push["message_id"]]
    assert "Đã chọn: 📝 Báo cáo" in pressed[0]["text"] and not pressed[0]["buttons"]


# Files ----------------------------------------------------------------------------------------


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 90, 160)).save(out, format="JPEG")
    return out.getvalue()


async def test_secretary_of_chi_bo_van_phong_sends_a_photo_and_a_document_kept_with_their_sha256(
    tg: Bot,
) -> None:
    an = await person(tg, "CBVP", "Nguyễn Văn An")
    await published(tg, PROGRESS.task(), readers=(an,))
    await an.says(f"/baocao {PROGRESS.ref}", 2)
    await an.does((("press", "Hoàn thành"), ("say", NOTE)))
    photo = jpeg(7)
    document = b"%PDF-1.4\n" + "Biên bản họp chi bộ tháng 3".encode() * 200 + b"\n%%EOF\n"
    await an.user.send_photo(photo)
    got, again = await an.user.read(2)
    assert "Đã nhận 1 tệp" in got["text"] and "đã nhận 1 tệp" in again["text"]
    assert buttons(again) == ["✅ Xong"]  # no "Bỏ qua" once a file is in
    await an.user.send_document(document, "biên-bản.pdf")
    got, again = await an.user.read(2)
    assert "Đã nhận 2 tệp" in got["text"]
    summary = await an.presses("✅ Xong")
    assert "2 tệp" in summary["text"]
    await an.presses(SEND)
    answer = await answer_of(tg, "CBVP", PROGRESS.ref)
    assert answer is not None
    ids = answer.data["values"]["evidence"]
    kept = await tg.app.services.repos.answers.attachments(ids)
    assert [a.kind for a in kept] == ["photo", "document"]
    for att, content in zip(kept, (photo, document), strict=True):
        assert att.sha256 == hashlib.sha256(content).hexdigest()
        assert att.size == len(content)
        on_disk = Path(tg.settings.data_dir) / att.path
        assert on_disk.is_file() and on_disk.read_bytes() == content
        assert att.path.startswith("files/")
    assert kept[1].file_name == "biên-bản.pdf" and kept[1].mime_type == "application/pdf"


async def test_a_document_over_20_mb_is_refused_and_the_form_asks_again(tg: Bot) -> None:
    an = await person(tg, "CBVP", "Nguyễn Văn An")
    await published(tg, PROGRESS.task(), readers=(an,))
    await an.says(f"/baocao {PROGRESS.ref}", 2)
    await an.does((("press", "Hoàn thành"), ("press", SKIP)))
    big = b"\0" * (20 * 1024 * 1024 + 1)
    resp = await tg.http.post(
        f"{tg.control}/users/{an.user_id}/document",
        files={"file": ("bien-ban.pdf", big, "application/pdf")},
        data={"first_name": "An"},
    )
    assert resp.status_code < 400, resp.text
    refused, again = await an.user.read(2)
    assert "20 MB" in refused["text"] and "20.0 MB" in refused["text"]
    assert "minh chứng" in again["text"]
    summary = await an.presses(SKIP)
    assert "(không có)" in summary["text"]
    assert not (Path(tg.settings.data_dir) / "files").exists()  # nothing was downloaded


# Quotas ---------------------------------------------------------------------------------------


async def nominates(chat: Chat, entry: dict[str, str]) -> Message:
    return await chat.does(nominee_steps(entry))


async def test_per_unit_and_plan_wide_quotas_are_reached_and_no_more_can_be_added(
    tg: Bot,
) -> None:
    an = await person(tg, "CBVP", "An")
    binh = await person(tg, "CBBAO", "Bình")
    capped = replace(NOMINATION, quota=Quota(per_unit_max=2, total=3))
    await published(tg, capped.task(), readers=(an, binh))
    await an.says(f"/baocao {capped.ref}", 2)
    more = await nominates(an, COLLECTIVE)
    assert "còn có thể đề nghị thêm 1" in more["text"] and "còn 2 suất" in more["text"]
    await an.presses(MORE)
    more = await nominates(an, INDIVIDUAL)
    assert "Chi bộ đã đủ số lượng được đề nghị" in more["text"]
    assert buttons(more) == ["🗑 Bỏ mục vừa nhập", ENOUGH]
    await an.presses(ENOUGH)
    await an.presses(SEND)
    await binh.says(f"/baocao {capped.ref}", 2)
    more = await nominates(binh, COLLECTIVE)
    assert "Toàn Khối đã đủ số suất đề nghị" in more["text"] and MORE not in buttons(more)
    await binh.cannot_press(MORE)
    await binh.presses(ENOUGH)
    await binh.presses(SEND)
    assert await tg.app.services.repos.answers.entries_for_task(1) == 3


async def test_a_unit_overtaken_while_typing_is_told_to_drop_entries_over_the_plan_quota(
    tg: Bot,
) -> None:
    an = await person(tg, "CBVP", "An")
    binh = await person(tg, "CBBAO", "Bình")
    capped = replace(NOMINATION, quota=Quota(total=2))
    await published(tg, capped.task(), readers=(an, binh))
    await an.says(f"/baocao {capped.ref}", 2)
    await nominates(an, COLLECTIVE)
    await an.presses(MORE)
    await nominates(an, INDIVIDUAL)
    await an.presses(ENOUGH)  # An reads the summary of 2 entries...
    await binh.says(f"/baocao {capped.ref}", 2)
    await nominates(binh, COLLECTIVE)
    await binh.presses(ENOUGH)
    await binh.presses(SEND)  # ...while Bình takes one of the 2 places
    over, more = await an.step("press", SEND, 2)
    assert "vượt 1 suất" in over["text"] and "Toàn Khối đã đủ" in more["text"]
    assert await answer_of(tg, "CBVP", capped.ref) is None
    await an.presses("🗑 Bỏ mục vừa nhập")
    await an.presses(ENOUGH)
    receipt = await an.presses(SEND)
    assert "Đã nhận báo cáo" in receipt["text"]
    assert await tg.app.services.repos.answers.entries_for_task(1) == 2


# Editing, withdrawing, late answers, for each preset -------------------------------------------


@each_preset
async def test_secretary_edits_before_the_deadline_and_cannot_after_it(
    tg: Bot, preset: Preset
) -> None:
    an = await person(tg, "CBVP", "An")
    await published(tg, preset.task(), readers=(an,))
    await sends(an, preset)
    opening = await an.step("press", EDIT, 2)
    assert preset.ref in opening[0]["text"]
    summary = await an.does(preset.edit)
    assert preset.edited_shown in summary["text"]
    receipt = await an.presses(SEND)
    assert "lần gửi thứ 2" in receipt["text"] and buttons(receipt) == [EDIT, WITHDRAW]
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.version == 2
    assert answer.data == {"values": preset.edited_values, "entries": preset.edited_entries}
    assert await actions(tg, answer) == ["submit", "edit"]
    assert await state_of(tg, "CBVP", preset.ref) is preset.edited_state

    tg.clock.set(AFTER_DUE)
    refused = await an.presses(EDIT)
    assert "Đã quá hạn nên không sửa hay rút lại được nữa" in refused["text"]
    shown = await an.says(f"/baocao {preset.ref}")
    assert "Chi bộ đã gửi báo cáo" in shown["text"] and "Đã quá hạn" in shown["text"]
    assert preset.edited_shown in shown["text"] and buttons(shown) == []
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.version == 2


@each_preset
async def test_secretary_withdraws_an_answer_and_the_unit_owes_it_again(
    tg: Bot, preset: Preset
) -> None:
    an = await person(tg, "CBVP", "An")
    await published(tg, preset.task(), readers=(an,))
    await sends(an, preset)
    ask = await an.presses(WITHDRAW)
    assert f"Rút lại báo cáo {preset.ref}?" in ask["text"]
    kept = await an.presses("Không")
    assert "vẫn giữ nguyên" in kept["text"]
    shown = await an.says(f"/baocao {preset.ref}")
    assert "chờ Văn phòng xem" in shown["text"] and buttons(shown) == [EDIT, WITHDRAW]
    await an.presses(WITHDRAW)
    done = await an.presses("Rút lại")
    assert f"Đã rút lại báo cáo {preset.ref}" in done["text"]
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.status is AnswerStatus.WITHDRAWN and answer.entries == 0
    assert await state_of(tg, "CBVP", preset.ref) is DeadlineState.PENDING
    assert await tg.app.services.repos.answers.entries_for_task(1) == 0
    receipt = await sends(an, preset)  # /baocao starts a fresh form
    assert "Đã nhận báo cáo" in receipt["text"] and "lần gửi thứ 2" in receipt["text"]
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.status is AnswerStatus.SUBMITTED
    assert await actions(tg, answer) == ["submit", "withdraw", "submit"]


@each_preset
async def test_an_answer_after_the_deadline_is_taken_and_marked_late(
    tg: Bot, preset: Preset
) -> None:
    an = await person(tg, "CBVP", "An")
    office = await person(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    await published(tg, preset.task(), readers=(an,))
    tg.clock.set(AFTER_DUE)
    receipt = await sends(an, preset)
    assert "Đã nhận báo cáo" in receipt["text"] and "nộp muộn" in receipt["text"]
    assert "9:00 12/3/2024" in receipt["text"] and buttons(receipt) == []
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.late
    _, card = await office.step("say", "/duyet", 2)
    assert "nộp muộn" in card["text"] and "Chi bộ Văn phòng" in card["text"]
    shown = await an.says(f"/baocao {preset.ref}")
    assert "Đã quá hạn" in shown["text"] and buttons(shown) == []


# Who answers ----------------------------------------------------------------------------------


@each_preset
async def test_a_deputy_answers_for_the_unit_and_is_recorded_as_the_sender(
    tg: Bot, preset: Preset
) -> None:
    an = await person(tg, "CBVP", "Nguyễn Văn An")
    cuong = await person(tg, "CBVP", "Lê Văn Cường", Role.DEPUTY)
    office = await person(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    await published(tg, preset.task(), readers=(an, cuong))
    receipt = await sends(cuong, preset)
    assert "Đã nhận báo cáo" in receipt["text"]
    answer = await answer_of(tg, "CBVP", preset.ref)
    deputy = await tg.app.services.repos.members.by_identity("telegram", str(cuong.user_id))
    assert answer is not None and deputy is not None and answer.member_id == deputy.id
    _, card = await office.step("say", "/duyet", 2)
    assert "bởi Lê Văn Cường" in card["text"]
    shown = await an.says(f"/baocao {preset.ref}")  # the secretary sees the unit's answer
    assert "Chi bộ đã gửi báo cáo" in shown["text"] and preset.shown in shown["text"]


async def test_a_member_of_the_office_cannot_answer_for_a_unit(tg: Bot) -> None:
    office = await person(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    await published(tg, COUNT.task())
    refused = await office.says(f"/baocao {COUNT.ref}")
    assert "dành cho Bí thư, Phó Bí thư" in refused["text"]


# The office returns an answer; the unit corrects it ---------------------------------------------


@each_preset
async def test_office_returns_an_answer_the_secretary_corrects_and_resends_it(
    tg: Bot, preset: Preset
) -> None:
    an = await person(tg, "CBVP", "An")
    office = await person(tg, "VP", "Chánh Văn phòng", Role.OFFICE)
    await published(tg, preset.task(), readers=(an,))
    await sends(an, preset)
    header, card = await office.step("say", "/duyet", 2)
    assert "<b>1</b> báo cáo chờ duyệt" in header["html"] and preset.shown in card["text"]
    ask = await office.presses("↩️ Trả lại")
    assert "lý do" in ask["text"]
    done = await office.says("Thiếu danh sách kèm theo")
    assert "Đã trả lại" in done["text"] and "kèm lý do" in done["text"]
    tg.app.sender.wake()
    told = await an.user.read_one()
    assert "Văn phòng trả lại" in told["text"] and "Thiếu danh sách kèm theo" in told["text"]
    assert buttons(told) == ["✏️ Sửa báo cáo"]
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.status is AnswerStatus.RETURNED
    assert await state_of(tg, "CBVP", preset.ref) is DeadlineState.IN_PROGRESS
    shown = await an.says(f"/baocao {preset.ref}")
    assert "Lý do trả lại: Thiếu danh sách kèm theo" in shown["text"]
    assert buttons(shown) == [EDIT]  # a returned answer is corrected, not withdrawn

    opening = await an.step("press", "✏️ Sửa báo cáo", 2)
    assert preset.ref in opening[0]["text"]
    await an.does(preset.edit)
    receipt = await an.presses(SEND)
    assert "lần gửi thứ 2" in receipt["text"]
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.status is AnswerStatus.SUBMITTED
    assert answer.data == {"values": preset.edited_values, "entries": preset.edited_entries}

    _, card = await office.step("say", "/duyet", 2)
    assert "lần 2" in card["text"] and preset.edited_shown in card["text"]
    history = await office.presses("🕘 Lịch sử")
    for words in ("Gửi", "Văn phòng trả lại", "Gửi lại sau khi sửa", "Thiếu danh sách"):
        assert words in history["text"]
    await office.step("say", "/duyet", 2)
    accepted = await office.presses("✅ Chấp nhận")
    assert "Đã chấp nhận" in accepted["text"]
    tg.app.sender.wake()
    told = await an.user.read_one()
    assert "Văn phòng đã chấp nhận" in told["text"]
    answer = await answer_of(tg, "CBVP", preset.ref)
    assert answer is not None and answer.status is AnswerStatus.ACCEPTED
    assert await actions(tg, answer) == ["submit", "return", "resubmit", "accept"]
    assert await state_of(tg, "CBVP", preset.ref) is DeadlineState.DONE


# Bad input ------------------------------------------------------------------------------------


@each_preset
async def test_huy_leaves_the_form_at_every_step_and_nothing_is_sent(
    tg: Bot, preset: Preset
) -> None:
    an = await person(tg, "CBVP", "An")
    await published(tg, preset.task(), readers=(an,))
    for at in range(len(preset.fill) + 1):
        await an.says(f"/baocao {preset.ref}", 2)
        await an.does(preset.fill[:at])
        left = await an.says("/huy")
        assert "Đã hủy việc đang làm" in left["text"], at
        nothing = await an.says("/tieptuc")
        assert "Không có việc gì đang làm dở" in nothing["text"]
    assert await answer_of(tg, "CBVP", preset.ref) is None
    assert await state_of(tg, "CBVP", preset.ref) is DeadlineState.PENDING
    await an.says(f"/baocao {preset.ref}", 2)
    await an.does(preset.fill)
    cancelled = await an.presses("Hủy")  # the summary's own cancel button
    assert "chưa gửi gì" in cancelled["text"]
    assert await answer_of(tg, "CBVP", preset.ref) is None


async def test_another_command_in_the_middle_leaves_the_form_waiting_and_tieptuc_resumes_it(
    tg: Bot,
) -> None:
    an = await person(tg, "CBVP", "An")
    await published(tg, PROGRESS.task(), readers=(an,))
    await an.says(f"/baocao {PROGRESS.ref}", 2)
    note_question = await an.presses("Hoàn thành")
    listing, waiting = await an.step("say", "/viec", 2)
    assert PROGRESS.title in listing["text"] and "/tieptuc" in waiting["text"]
    helped, waiting = await an.step("say", "/help", 2)
    assert "Đồng chí có thể" in helped["text"] and "/tieptuc" in waiting["text"]
    again = await an.says("/tieptuc")
    assert again["text"] == note_question["text"] and buttons(again) == [SKIP]
    told, back = await an.step("say", f"/baocao {PROGRESS.ref}", 2)  # its own task: back to it
    assert "đang điền dở" in told["text"] and back["text"] == note_question["text"]
    asked = await an.says("/baocao")  # /baocao alone offers to go on or choose another
    assert "đang điền dở" in asked["text"]
    assert buttons(asked) == ["▶️ Tiếp tục", "Bỏ, chọn việc khác"]
    again = await an.presses("▶️ Tiếp tục")
    assert again["text"] == note_question["text"]
    await an.does((("say", NOTE), ("press", SKIP)))
    await an.step("say", "/viec", 2)  # at the summary too
    summary = await an.says("/tieptuc")
    assert NOTE in summary["text"] and buttons(summary)[0] == SEND
    receipt = await an.presses(SEND)
    assert "Đã nhận báo cáo" in receipt["text"]
    answer = await answer_of(tg, "CBVP", PROGRESS.ref)
    assert answer is not None and answer.data["values"] == PROGRESS.values


async def test_wrong_kinds_of_input_are_explained_and_the_same_question_asked_again(
    tg: Bot,
) -> None:
    an = await person(tg, "CBVP", "An")
    await published(
        tg, COUNT.task(), PROGRESS.task(), REGISTRATION.task(), NOMINATION.task(), readers=(an,)
    )

    async def refused(kind: str, what: str, question: str) -> str:
        if kind == "sticker":
            await an.user.send_sticker()
            problem, again = await an.user.read(2)
        elif kind == "photo":
            await an.user.send_photo(jpeg(1))
            problem, again = await an.user.read(2)
        else:
            problem, again = await an.step(kind, what, 2)
        assert question in again["text"], again["text"]
        return str(problem["text"])

    await an.says(f"/baocao {COUNT.ref}", 2)
    assert "cần gõ một con số" in await refused("sticker", "", "Số lượng")
    assert "cần gõ một con số" in await refused("say", "khoảng chục người", "Số lượng")
    assert "từ 0 đến 1.000.000" in await refused("say", "-3", "Số lượng")
    await an.says("1.234")  # Vietnamese thousands
    too_long = await refused("say", "x" * 5000, "Ghi chú")
    assert "dài 5.000 ký tự, quá 500 ký tự cho phép" in too_long
    assert "cần gõ chữ" in await refused("photo", "", "Ghi chú")
    await an.presses(SKIP)
    await an.presses(SEND)
    answer = await answer_of(tg, "CBVP", COUNT.ref)
    assert answer is not None and answer.data["values"] == {"count": 1234, "note": None}

    await an.says(f"/baocao {PROGRESS.ref}", 2)
    assert "chọn một mục" in await refused("sticker", "", "mức nào")
    assert "chọn một mục" in await refused("say", "sắp xong", "mức nào")
    await an.says("2")  # the number of an option picks it: "Đang thực hiện"
    await an.presses(SKIP)
    assert "cần gửi ảnh hoặc tệp" in await refused("say", "ảnh gửi sau", "minh chứng")
    assert "cần gửi ảnh hoặc tệp" in await refused("sticker", "", "minh chứng")
    await an.presses(SKIP)
    assert "Xin chọn một mục" in await refused("say", "gửi", "Gửi báo cáo")
    await an.presses(SEND)
    answer = await answer_of(tg, "CBVP", PROGRESS.ref)
    assert answer is not None and answer.data["values"]["state"] == "in_progress"

    await an.says(f"/baocao {REGISTRATION.ref}", 2)
    await an.says("Đội Văn phòng")
    assert "từ 1 đến 100" in await refused("say", "101", "Số vận động viên")
    assert "cần gõ một con số" in await refused("sticker", "", "Số vận động viên")
    await an.says("/huy")

    await an.says(f"/baocao {NOMINATION.ref}", 2)
    await an.presses("Tập thể")
    assert "quá 150 ký tự" in await refused("say", "Tổ " * 60, "Họ và tên")
    await an.says("Tổ công đoàn")
    await an.says("Thành tích")
    await an.says("Giấy khen")
    assert "Xin chọn một mục" in await refused("say", "xong", "Đã nhập 1")
    await an.says("/huy")


# Restarts ---------------------------------------------------------------------------------------


async def test_a_restart_at_every_step_of_a_nomination_loses_nothing(tg: Bot) -> None:
    an = await person(tg, "CBVP", "An")
    await published(tg, NOMINATION.task(), readers=(an,))
    steps: Steps = (
        ("say", f"/baocao {NOMINATION.ref}"),
        *nominee_steps(INDIVIDUAL),
        ("press", MORE),
        *nominee_steps(COLLECTIVE),
        ("press", "🗑 Bỏ mục vừa nhập"),
        ("press", ENOUGH),
        ("press", SEND),
    )
    for kind, what in steps:
        await tg.restart()
        replies = 2 if what.startswith("/baocao") else 1
        last = (await an.step(kind, what, replies))[-1]
    assert "Đã nhận báo cáo" in last["text"]
    answer = await answer_of(tg, "CBVP", NOMINATION.ref)
    assert answer is not None and answer.data["entries"] == [INDIVIDUAL]
    assert answer.entries == 1
    texts = [m["text"] for m in await an.user.history()]
    assert sum("Đã nhận báo cáo" in t for t in texts) == 1  # nothing handled twice
