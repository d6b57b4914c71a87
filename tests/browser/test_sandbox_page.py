"""The sandbox page in a real headless chromium, against `dondoc run` with no token: a newcomer
registers as a secretary by invite, answers a progress form with buttons and a photo, moves the
clock a week and sees the reminder; the office sees the chart and downloads the Excel export; the
page fits a phone; "Làm lại từ đầu" starts over. A screenshot of each step is saved under
tests/artifacts/<test name>/."""

from __future__ import annotations

import io
import re
from typing import Any, cast

import pytest
from PIL import Image

from bot.domain import Role
from bot.services import Services
from handlers.routes import build_router
from tests.browser.conftest import Sandbox

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: each step's answer from the bot
OFFICE = 5001


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _export_landed() -> bool:
    router = build_router(cast(Services, None))
    return "xuatbaocao" in router.commands_for(Role.OFFICE)


def _png() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (480, 320), (198, 40, 40))
    image.paste((255, 213, 79), (200, 120, 280, 200))
    image.save(out, format="PNG")
    return out.getvalue()


def _open(browser: Any, sandbox: Sandbox, *, phone: bool = False, fragment: str = "") -> Any:
    if phone:
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
        )
    else:
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="vi-VN", accept_downloads=True
        )
    page = context.new_page()
    page.set_default_timeout(WAIT)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((sandbox.url, "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    page.goto(sandbox.url + "/" + fragment)
    page.outside_requests = outside  # checked at the end: the page works with no internet
    return page


def _send(page: Any, text: str) -> None:
    page.fill("#input", text)
    page.click("#send")


def _bot_says(page: Any, text: str) -> Any:
    message = page.locator(".msg.bot", has_text=text).last
    _expect()(message).to_be_visible()
    return message


def _press(page: Any, label: str) -> None:
    """Press the newest bot button with this label; Telegram-like, the keyboard then goes."""
    button = page.locator(".msg.bot .kb button", has_text=label).last
    message_id = button.locator("xpath=ancestor::div[contains(@class,'msg')]").get_attribute(
        "data-message-id"
    )
    button.click()
    pressed = page.locator(f'.msg[data-message-id="{message_id}"]')
    _expect()(pressed.locator(".kb button")).to_have_count(0)
    _expect()(pressed).to_contain_text("Đã chọn")


def test_a_newcomer_registers_by_invite_reports_and_is_reminded_a_week_later(
    browser: Any, sandbox: Sandbox, shots: Any
) -> None:
    expect = _expect()
    page = _open(browser, sandbox)
    expect(page.locator('.person[data-user-id="5011"]')).to_contain_text("Nguyễn Thị Mai")
    expect(page.locator("#clock-now")).to_contain_text("Thứ Hai, 1/4/2024")
    shots(page, "start")

    # a newcomer registers as the secretary of Chi bộ Sở Tư pháp with the invite the office sent
    page.click("#newcomer")
    page.locator(".invite", has_text="Chi bộ Sở Tư pháp").click()
    expect(page.locator("#input")).to_have_value(re.compile("^/start "))
    page.click("#send")
    _bot_says(page, "Đồng chí xác nhận đăng ký?")
    shots(page, "invite-confirm")
    _press(page, "Xác nhận")
    _bot_says(page, "họ và tên")
    _press(page, "Dùng tên:")
    _bot_says(page, "Đăng ký thành công")
    _bot_says(page, "185-KH/ĐUK")
    expect(page.locator("#invites")).to_be_hidden()
    expect(page.locator(".person.active")).to_contain_text("Chi bộ Sở Tư pháp")
    shots(page, "registered")

    # a progress form answered with buttons, a note and a photo
    _send(page, "/baocao")
    _bot_says(page, "báo cáo việc nào")
    _press(page, "II.2.b:")
    _bot_says(page, "đang ở mức nào")
    _press(page, "Đang thực hiện")
    _bot_says(page, "Ghi chú ngắn")
    _send(page, "Đã treo cờ, băng rôn tại trụ sở")
    _bot_says(page, "minh chứng")
    page.set_input_files(
        "#file", files=[{"name": "treo-co.png", "mimeType": "image/png", "buffer": _png()}]
    )
    photo = page.locator(".msg.user img.photo").last
    expect(photo).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    _bot_says(page, "đã nhận 1 tệp")
    _press(page, "Xong")
    _bot_says(page, "Gửi báo cáo")
    _press(page, "Gửi báo cáo")
    _bot_says(page, "Đã nhận báo cáo")
    shots(page, "progress-form")

    # a week later on the sandbox clock: the reminders of the days passed have come
    page.click('[data-days="7"]')
    expect(page.locator("#clock-now")).to_contain_text("8/4/2024", timeout=45_000)
    expect(page.locator('[data-days="7"]')).to_be_enabled(timeout=45_000)  # the move is over
    reminder = _bot_says(page, "Nhắc hạn báo cáo")
    expect(reminder).to_contain_text("quá hạn")
    expect(page.locator(".day-pill", has_text="Thứ Hai, 8/4/2024")).to_be_visible()
    shots(page, "reminder-a-week-later")
    assert page.outside_requests == []


def test_the_office_sees_the_chart_and_downloads_the_excel_export(
    browser: Any, sandbox: Sandbox, shots: Any, tmp_path: Any
) -> None:
    expect = _expect()
    page = _open(browser, sandbox, fragment=f"#u{OFFICE}")
    expect(page.locator("#chat-sub")).to_contain_text("Trần Thị Hoa")
    page.click("#menu-btn")
    expect(page.locator('.menu-item[data-command="tinhhinh"]')).to_be_visible()
    shots(page, "office-menu")
    page.locator('.menu-item[data-command="tinhhinh"]').click()
    chart = page.locator(".msg.bot img.photo").last
    expect(chart).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    shots(page, "office-status-chart")
    assert page.outside_requests == []

    if not _export_landed():
        pytest.skip("export not landed")
    import openpyxl

    _send(page, "/xuatbaocao")
    _press(page, "Excel")
    card = page.locator(".msg.bot a.file").last
    expect(card).to_contain_text(".xlsx", timeout=30_000)
    shots(page, "office-export")
    with page.expect_download() as download:
        card.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames


def test_the_page_fits_a_phone_and_starts_over(browser: Any, sandbox: Sandbox, shots: Any) -> None:
    expect = _expect()
    page = _open(browser, sandbox, phone=True)
    expect(page.locator('.person[data-user-id="5011"]')).to_be_visible()
    expect(page.locator("#chat")).to_be_hidden()
    shots(page, "phone-people")
    page.locator('.person[data-user-id="5011"]').click()
    expect(page.locator("#people")).to_be_hidden()
    _bot_says(page, "185-KH/ĐUK")
    _send(page, "/viec")
    answer = page.locator(".msg.user", has_text="/viec").last.locator(
        "xpath=following-sibling::div[contains(@class, 'bot')]"
    )
    expect(answer.first).to_contain_text("Chi bộ Văn phòng")
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the page is {wide}px wider than the phone"
    shots(page, "phone-chat")
    page.click("#back")
    expect(page.locator("#people")).to_be_visible()

    # start over: the sample as it was, the clock back at its start, newcomers gone
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#reset")
    expect(page.locator("#clock-now")).to_contain_text("1/4/2024", timeout=30_000)
    expect(page.locator('.person[data-role="new"]')).to_have_count(0)
    expect(page.locator(".person", has_text="Chi bộ Sở Tư pháp")).to_have_count(0)
    shots(page, "phone-after-reset")
    state = sandbox.api("GET", "/api/state")
    assert len(state["invites"]) == 7
    assert page.outside_requests == []
