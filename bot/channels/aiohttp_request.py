"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

Every Bot API call goes through a `BaseRequest`. PTB's own, `HTTPXRequest`, costs a lot of CPU per
call (httpx, httpcore, anyio, h11), and its connection pool grows quadratically costly with the
number of connections in use (httpcore scans every connection for each one, per request), which
made handling updates concurrently cost more CPU than it saved. aiohttp, which the project uses
anyway, does the same calls for a fraction of that.

The wire format is the one `HTTPXRequest` sends: parameters form-encoded (each value JSON-encoded
as PTB prepares it), and multipart/form-data when there are files. Errors are PTB's: `TimedOut`
for any timeout, `NetworkError` for other failures of the connection."""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECT_TIMEOUT_MESSAGE = (
    "Timed out connecting, or waiting for a free connection in the pool: the request was *not*"
    " sent to Telegram."
)


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one aiohttp session (created by `initialize`, closed by `shutdown`).

    ``connection_pool_size`` caps the connections open at once (a request beyond it waits up to
    ``pool_timeout`` for one). aiohttp has no write timeout of its own: ``write_timeout`` (or
    ``media_write_timeout`` for uploads) bounds the whole request instead, together with the read
    timeout. ``None`` means no limit, as in PTB."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # None: not aiohttp's default of five minutes for the whole request.
                timeout=aiohttp.ClientTimeout(total=None),
                # Telegram's answers are JSON: no cookies to keep, no redirects to follow.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(
        self,
        read_timeout: ODVInput[float],
        write_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
        pool_timeout: ODVInput[float],
        uploading: bool,
    ) -> aiohttp.ClientTimeout:
        default_write = self._media_write_timeout if uploading else self._write_timeout
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        write = default_write if isinstance(write_timeout, DefaultValue) else write_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        total = None if read is None or write is None else read + write
        return aiohttp.ClientTimeout(
            total=total,
            # aiohttp's `connect` includes waiting for a free connection in the pool.
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        body: aiohttp.FormData | dict[str, str] | None = None
        uploading = False
        if request_data is not None:
            fields = request_data.json_parameters
            files = request_data.multipart_data if request_data.contains_files else {}
            uploading = bool(files)
            if files:
                form = aiohttp.FormData(quote_fields=False)
                for name, value in fields.items():
                    form.add_field(name, value)
                for name, (file_name, content, mime_type) in files.items():
                    form.add_field(name, content, filename=file_name, content_type=mime_type)
                body = form
            else:
                body = fields
        timeout = self._timeout(
            read_timeout, write_timeout, connect_timeout, pool_timeout, uploading
        )
        try:
            async with session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise TimedOut(CONNECT_TIMEOUT_MESSAGE) from err
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
