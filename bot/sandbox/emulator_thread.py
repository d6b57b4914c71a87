"""Run a :class:`TelegramEmulator` on its own event loop in a daemon thread.

Useful where one emulator must outlive many event loops, e.g. a module-scoped pytest
fixture shared by tests that each run on their own loop::

    with EmulatorThread() as emulator:
        bot = telegram.Bot(token, base_url=emulator.api_url, base_file_url=emulator.file_url)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from bot.sandbox.telegram_emulator import TelegramEmulator
from bot.sandbox.zalo_emulator import ZaloEmulator

T = TypeVar("T")


class EmulatorThread:
    """A TelegramEmulator served from a background thread."""

    def __init__(
        self,
        emulator: TelegramEmulator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = 10.0,
        zalo: bool | ZaloEmulator = False,
    ) -> None:
        self.emulator = emulator or TelegramEmulator()
        # zalo: also serve the Zalo Bot API on the same port and World (see zalo_api_url)
        self.zalo: ZaloEmulator | None = None
        if zalo:
            self.zalo = (
                zalo
                if isinstance(zalo, ZaloEmulator)
                else ZaloEmulator(clock=self.emulator.clock, world=self.emulator.world)
            )
            self.zalo.mount(self.emulator.app)
        self._host = host
        self._port = port
        self._start_timeout = start_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # lifecycle

    def start(self) -> EmulatorThread:
        """Start serving; returns once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the emulator thread is already started")
        self._thread = threading.Thread(target=self._run, name="telegram-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            raise RuntimeError("the Telegram emulator did not start in time")
        if self._startup_error is not None:
            raise RuntimeError("the Telegram emulator failed to start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and the loop, and wait for the thread to end."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not loop.is_running():
            return
        if self.zalo is not None:
            asyncio.run_coroutine_threadsafe(self.zalo.stop(), loop).result(timeout)
        asyncio.run_coroutine_threadsafe(self.emulator.stop(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the emulator's loop (e.g. to inspect or change its world)."""
        if self._loop is None:
            raise RuntimeError("the emulator thread is not started")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    # addresses (the emulator's, once started)

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    @property
    def api_url(self) -> str:
        return self.emulator.api_url

    @property
    def file_url(self) -> str:
        return self.emulator.file_url

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_control"

    @property
    def zalo_api_url(self) -> str:
        """DONDOC_ZALO_API_URL for the Zalo emulator (with ``zalo=True``)."""
        return ZaloEmulator.api_url_at(self.base_url)

    # the thread

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.emulator.start(self._host, self._port))
        except BaseException as error:  # reported to the starting thread
            self._startup_error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
