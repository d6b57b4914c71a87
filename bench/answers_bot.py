"""The bot under test for bench/answers_throughput.py, in a process of its own so that its memory
and CPU are measured apart from the emulator's and the simulated people's.

It runs the real Application (python-telegram-bot polling the emulator, router, SQLite, outbox
sender) on a database the benchmark prepared, prints "ready" once polling, and on a line "stop"
on stdin stops cleanly and prints one JSON line: its peak RSS (ru_maxrss) and CPU seconds.
With --profile FILE it runs cProfile from "ready" to "stop" and writes the stats to FILE.

--experiment NAME[,NAME] runs the bot otherwise than the product does, to measure a choice:
  serial      one update at a time (the product handles different chats at once, each chat's
              updates in order: bot/channels/telegram.py's PerChatUpdateProcessor);
  httpx       python-telegram-bot's own HTTPXRequest (pool of 256) instead of the product's
              AiohttpRequest (bot/channels/aiohttp_request.py);
  httpx8      the same with a pool of 8 connections (httpcore's pool costs CPU per request in
              proportion to the square of its connections);
  unmarked    a pressed message keeps its buttons (no "Đã chọn" edit): what one Bot API call
              less per step would give;
  thread-db   each database statement runs on a worker thread and comes back (what
              aiosqlite did for every statement, cursor and fetch before storage/db.py ran
              them on the loop's thread: about 60 us a hop and a turn of the busy event loop,
              while the transaction holds the database's only lock).

Run by the benchmark: python bench/answers_bot.py --token T --api-url U --data-dir D ..."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import resource
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram.ext import SimpleUpdateProcessor
from telegram.request import HTTPXRequest

from bot.app import build_app
from bot.channels.ratelimit import RateLimits
from bot.settings import Settings

# The bot's own pacing when the emulator does not enforce Telegram's limits: out of the way.
UNPACED = RateLimits(
    overall_rate=1_000_000, overall_burst=1_000_000, chat_rate=1000, chat_burst=1000
)


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
    experiments = set(filter(None, args.experiment.split(",")))
    unknown = experiments - {"serial", "httpx", "httpx8", "unmarked", "thread-db"}
    if unknown:
        raise SystemExit(f"unknown experiment(s): {', '.join(sorted(unknown))}")
    app = await build_app(settings, poll_timeout=args.poll_timeout, limits=limits)
    if "thread-db" in experiments:

        async def hop(fn: Callable[[], Any], sql: str) -> Any:
            return await asyncio.to_thread(fn)

        app.db._run = hop  # type: ignore[method-assign]
    assert app.telegram is not None
    application = app.telegram.application
    if "serial" in experiments:
        application._update_processor = SimpleUpdateProcessor(1)
    for name, pool in (("httpx", 256), ("httpx8", 8)):
        if name in experiments:
            application.bot._request = (
                HTTPXRequest(connection_pool_size=1, read_timeout=args.poll_timeout + 10),
                HTTPXRequest(connection_pool_size=pool, read_timeout=10, pool_timeout=10),
            )
    if "unmarked" in experiments:

        async def unmarked(update: object) -> None:
            return None

        app.telegram._mark_pressed = unmarked  # type: ignore[method-assign]
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
