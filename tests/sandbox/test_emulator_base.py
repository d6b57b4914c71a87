"""What both emulators share (bot/sandbox/emulator_base.py): reading form bodies."""

from __future__ import annotations

import asyncio
import warnings
from unittest import mock

import pytest
from aiohttp import StreamReader, web
from aiohttp.test_utils import make_mocked_request

from bot.sandbox.emulator_base import ApiError, read_form, read_params

BOUNDARY = "sandbox-boundary"


def form_request(client_max_size: int = 10**8) -> tuple[web.Request, StreamReader]:
    """A multipart request whose body the test feeds piece by piece."""
    protocol = mock.Mock(_reading_paused=False, max_field_size=8190, max_headers=128)
    stream = StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
    request = make_mocked_request(
        "POST",
        "/",
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        payload=stream,
        protocol=protocol,
        client_max_size=client_max_size,
    )
    return request, stream


def part(name: str, content: bytes, *, filename: str = "", content_type: str = "") -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    headers = f"Content-Disposition: {disposition}\r\n"
    if content_type:
        headers += f"Content-Type: {content_type}\r\n"
    return f"--{BOUNDARY}\r\n{headers}\r\n".encode() + content + b"\r\n"


END = f"--{BOUNDARY}--\r\n".encode()


async def settle() -> None:
    """Let the reader take what was fed and wait for more."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_file_arriving_in_pieces_is_read_whole_without_deprecated_calls() -> None:
    # A short piece then a long one: request.post() reads 256 KiB chunks and, here, hands bytes
    # back with StreamReader.unread_data(), whose DeprecationWarning aiohttp does not hide.
    request, stream = form_request()
    content = b"0123456789" + b"abcde" + bytes(range(256)) * 2000
    head = part("photo", b"", filename="scan.bin", content_type="application/pdf")[:-2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reading = asyncio.create_task(read_form(request))
        stream.feed_data(head + content[:10])
        await settle()
        stream.feed_data(content[10:15])
        await settle()
        stream.feed_data(content[15:] + b"\r\n" + part("caption", "Báo cáo".encode()) + END)
        stream.feed_eof()
        fields, files = await reading
    assert files["photo"].data == content
    assert files["photo"].filename == "scan.bin"
    assert files["photo"].content_type == "application/pdf"
    assert fields == {"caption": "Báo cáo"}


async def test_fields_are_text_unless_typed_otherwise_and_files_default_to_octet_stream() -> None:
    request, stream = form_request()
    stream.feed_data(
        part("chat_id", b"42")
        + part("note", "Tiếng Việt".encode("utf-16"), content_type="text/plain; charset=utf-16")
        + part("raw", b"\x00\x01", content_type="application/octet-stream")
        + part("document", b"%PDF", filename="a.pdf")
        + END
    )
    stream.feed_eof()
    fields, files = await read_form(request)
    assert fields == {"chat_id": "42", "note": "Tiếng Việt", "raw": b"\x00\x01"}
    assert files["document"].content_type == "application/octet-stream"


async def test_a_body_over_the_size_limit_is_refused_as_post_refuses_it() -> None:
    request, stream = form_request(client_max_size=1000)
    stream.feed_data(part("document", b"x" * 2000, filename="big.pdf") + END)
    stream.feed_eof()
    with pytest.raises(ApiError) as refused:
        await read_params(request)
    assert refused.value.code == 413
    assert refused.value.description == "Request Entity Too Large"


async def test_a_part_without_a_name_is_a_bad_request() -> None:
    request, stream = form_request()
    stream.feed_data(f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode() + END)
    stream.feed_eof()
    with pytest.raises(ApiError) as refused:
        await read_params(request)
    assert refused.value.code == 400
