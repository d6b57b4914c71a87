"""The bot under test for bench/answers_throughput.py, in a process of its own so that its memory
and CPU are measured apart from the emulator's and the simulated people's.

It runs the real Application (python-telegram-bot polling the emulator, router, SQLite, outbox
sender) on a database the benchmark prepared, prints "ready" once polling, and on a line "stop"
on stdin stops cleanly and prints one JSON line: its peak RSS (ru_maxrss) and CPU seconds.
With --profile FILE it runs cProfile from "ready" to "stop" and writes the stats to FILE.

--experiment NAME[,NAME] tries a fix that is not in the product, to measure what it would give:
  concurrent  python-telegram-bot handles updates of different people at once (one person's
              updates still one after another, in order), instead of one update at a time;
  sniffio     `import sniffio` fails at once instead of searching sys.path: httpcore imports it
              for every request and it is not installed (installing it has the same effect);
  unmarked    a pressed message keeps its buttons (no "Đã chọn" edit): what one Bot API call
              less per step would give.

Run by the benchmark: python bench/answers_bot.py --token T --api-url U --data-dir D ..."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import resource
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.app import build_app
from bot.channels.ratelimit import RateLimits
from bot.settings import Settings

# The bot's own pacing when the emulator does not enforce Telegram's limits: out of the way.
UNPACED = RateLimits(
    overall_rate=1_000_000, overall_burst=1_000_000, chat_rate=1000, chat_burst=1000
)


class PerPersonProcessor(BaseUpdateProcessor):
    """Updates of different people at once; one person's in the order they came."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked():
                self._locks.pop(user.id, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


async def run(args: argparse.Namespace) -> dict[str, float]:
    settings = Settings(
        telegram_token=args.token,
        telegram_api_url=args.api_url,
        telegram_file_url=args.file_url,
        data_dir=Path(args.data_dir),
        quiet_hours="",
        _env_file=None,  # type: ignore[call-arg]
    )
    limits = RateLimits() if args.telegram_limits else UNPACED
    app = await build_app(settings, poll_timeout=args.poll_timeout, limits=limits)
    experiments = set(filter(None, args.experiment.split(",")))
    if "concurrent" in experiments:
        assert app.telegram is not None
        app.telegram.application._update_processor = PerPersonProcessor(1024)
    if "unmarked" in experiments:
        assert app.telegram is not None

        async def unmarked(update: Update) -> None:
            return None

        app.telegram._mark_pressed = unmarked  # type: ignore[method-assign]
    if "sniffio" in experiments:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
    await app.start(schedule=False)
    profile = cProfile.Profile() if args.profile else None
    print("ready", flush=True)
    if profile is not None:
        profile.enable()
    loop = asyncio.get_running_loop()
    while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("stop", ""):
        pass
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    await app.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "max_rss_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
        "cpu_user_s": usage.ru_utime,
        "cpu_sys_s": usage.ru_stime,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--file-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--poll-timeout", type=float, default=10.0)
    parser.add_argument("--telegram-limits", action="store_true")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--profile", default="")
    parser.add_argument("--experiment", default="")
    args = parser.parse_args()
    # As in production (bot/runner.py): INFO, one line per update; to stderr, which the
    # benchmark sends to a file.
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    for noisy in ("httpx", "httpcore", "telegram.ext.Updater"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
