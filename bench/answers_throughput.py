"""Benchmark (issue: forms): 200 secretaries answer a progress form at once, end to end:
emulator -> bot -> SQLite commit -> reply.

Each secretary (a registered member with an open chat, whose unit owes one published progress
task) presses "📝 Báo cáo II.2" on the task message, "Hoàn thành", "Bỏ qua" (note), "Bỏ qua"
(evidence) and "📤 Gửi báo cáo", each time waiting for the bot's reply through the emulator's
control API (GET .../messages with min_count, which answers as soon as the reply is there).

Processes: the bot runs in a process of its own (bench/answers_bot.py) so that its memory and
CPU are its own; the emulator and the simulated people share this process. A person's read wakes
only when their own chat changes (the emulator's per-chat wake-ups; when every change woke all
200 readers, those wake-ups took most of the emulator's CPU and the figures were the emulator's).

Prints: answers (receipts) per second over the whole run (goal >= 300), p95 from a press to the
bot's complete reply (goal < 100 ms), the bot process's peak RSS (goal < 150 MB), each with its
ratio to the goal, and where the CPU went (bot vs emulator + people) with Bot API calls per
answer.

Telegram's limits: by default the emulator does not enforce them and the bot does not pace
itself. With them (--telegram-limits: the emulator at Telegram's defaults, the bot's own
RateLimits), every reply and "Đã chọn" edit counts against 30 messages a second for the whole
bot, and one answer takes 11 of them: the ceiling is then about 2.7 answers/s, whatever the bot.

--arrivals N starts the secretaries N a second instead of all at once: the latency of a press at
a given load, rather than behind a crowd of 200 pressing back to back (there, by Little's law,
the p95 is about 200 / presses-per-second whatever the bot does).

Run: .venv/bin/python bench/answers_throughput.py [--secretaries 200] [--arrivals N]
     [--profile bot.prof] [--experiment NAME]"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import open_services
from bot.domain import Audience, Quota, Repeat, Role, UnitKind
from bot.publishing import publish
from bot.sandbox.telegram_emulator import Limits, TelegramEmulator
from bot.settings import Settings
from storage.plans import NewPlan, NewTask
from storage.units import NewUnit

GOAL_RATE = 300.0  # answers a second
GOAL_P95_MS = 100.0
GOAL_RSS_MB = 150.0
FIRST_USER = 8_000_000
TOKEN = "1200000001:bench-answers-throughput-token"
REF = "II.2"
STEPS = (  # (button, replies the bot sends to it)
    (f"📝 Báo cáo {REF}", 2),  # the form's title, then the first question
    ("Hoàn thành", 1),
    ("Bỏ qua", 1),  # the note
    ("Bỏ qua", 1),  # the evidence: the summary
    ("📤 Gửi báo cáo", 1),  # the receipt
)
BOT_RUNNER = Path(__file__).with_name("answers_bot.py")
Message = dict[str, Any]


# The organisation ------------------------------------------------------------------------------


async def prepare(settings: Settings, secretaries: int) -> None:
    """A unit per secretary, its secretary registered, one published progress task for all
    (publishing queues each secretary's task message in the outbox: the bot sends them)."""
    services = await open_services(settings)
    now = services.clock.now()
    repos = services.repos
    units = [NewUnit("DUK", "Đảng ủy Khối", UnitKind.COMMITTEE, None)] + [
        NewUnit(f"CB{i}", f"Chi bộ số {i}", UnitKind.CELL, "DUK") for i in range(secretaries)
    ]
    async with services.db.transaction():
        await repos.units.upsert_many(units, now)
        for i in range(secretaries):
            unit = await repos.units.by_code(f"CB{i}")
            assert unit is not None
            m = await repos.members.create(
                unit_id=unit.id,
                role=Role.SECRETARY,
                full_name=f"Bí thư {i}",
                invite_id=None,
                now=now,
            )
            user = str(FIRST_USER + i)
            await repos.members.add_identity(
                m.id, channel="telegram", external_id=user, chat_id=user, display_name="", now=now
            )
        task = NewTask(
            ref=REF,
            title="Trang trí khẩu hiệu, cờ Đảng tại trụ sở",
            details="",
            start=None,
            due=now.date() + timedelta(days=30),
            when_words="",
            repeat=Repeat.NONE,
            audience=Audience(all=True),
            lead_unit_id=None,
            support=(),
            form="progress",
            quota=Quota(),
            policy=None,
        )
        plan = await repos.plans.save_draft(
            NewPlan(
                "185-KH/ĐUK", "Kế hoạch", now.date(), "Đảng ủy Khối", "bench", None, {}, (task,)
            ),
            now,
        )
    summary = await publish(services, plan)
    assert summary.deadlines == secretaries and summary.messages == secretaries, summary
    await services.db.close()


async def check(settings: Settings, secretaries: int) -> tuple[int, int]:
    """(answers submitted, deadlines done) in the database, after the run."""
    services = await open_services(settings)
    answers = await services.db.fetch_value(
        "SELECT count(*) FROM answers WHERE status = 'submitted' AND version = 1"
    )
    done = await services.db.fetch_value("SELECT count(*) FROM deadlines WHERE state = 'done'")
    await services.db.close()
    return int(answers), int(done)


# The bot process -------------------------------------------------------------------------------


@dataclass
class BotProcess:
    proc: subprocess.Popen[str]

    @classmethod
    def start(cls, emulator: TelegramEmulator, data: Path, args: argparse.Namespace) -> BotProcess:
        command = [
            sys.executable,
            str(BOT_RUNNER),
            "--token", TOKEN,
            "--api-url", emulator.api_url,
            "--file-url", emulator.file_url,
            "--data-dir", str(data),
            "--log-level", args.log_level,
        ]  # fmt: skip
        if args.telegram_limits:
            command.append("--telegram-limits")
        if args.profile:
            command += ["--profile", str(Path(args.profile).resolve())]
        if args.experiment:
            command += ["--experiment", args.experiment]
        log = (data / "bot.log").open("w")
        proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
        )
        return cls(proc)

    async def ready(self) -> None:
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        if line.strip() != "ready":
            raise RuntimeError(f"the bot did not start: {line!r}")

    def cpu_seconds(self) -> float:
        """User + system CPU the bot process has used so far (from /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> dict[str, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        line = await asyncio.to_thread(self.proc.stdout.readline)
        await asyncio.to_thread(self.proc.wait, 30)
        result: dict[str, float] = json.loads(line)
        return result


# The people ------------------------------------------------------------------------------------


async def read(http: aiohttp.ClientSession, me: str, since: int, count: int) -> list[Message]:
    params = {"since": str(since), "min_count": str(count), "timeout": "60"}
    async with http.get(f"{me}/messages", params=params) as resp:
        messages: list[Message] = (await resp.json())["messages"]
    if len(messages) < count:
        raise RuntimeError(f"{me}: expected {count} replies, got {[m['text'] for m in messages]}")
    return messages


async def secretary(
    http: aiohttp.ClientSession, me: str, seen: int, after: float = 0.0
) -> tuple[list[float], float]:
    """Fill and send the form (starting `after` seconds from now); returns the latency of each
    step (s) and when it was done."""
    if after:
        await asyncio.sleep(after)
    latencies: list[float] = []
    last: Message = {}
    for label, replies in STEPS:
        started = time.perf_counter()
        async with http.post(f"{me}/press", json={"label": label}) as resp:
            if resp.status != 200:
                raise RuntimeError(f"{me}: pressing {label!r}: {await resp.text()}")
        messages = await read(http, me, seen, replies)
        latencies.append(time.perf_counter() - started)
        seen += len(messages)
        last = messages[-1]
    if "Đã nhận báo cáo" not in last["text"]:
        raise RuntimeError(f"{me}: no receipt: {last['text']!r}")
    return latencies, time.perf_counter()


def open_chats(emulator: TelegramEmulator, users: range) -> None:
    bot = emulator.bot(TOKEN)
    assert bot is not None
    for user_id in users:
        bot.account.open_chat(emulator.world.ensure_user(user_id, first_name=f"Bí thư {user_id}"))


# The run ---------------------------------------------------------------------------------------


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def bench(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    n = args.secretaries
    emulator = TelegramEmulator()
    if not args.telegram_limits:
        emulator.limits = Limits(enabled=False)
    await emulator.start()
    settings = Settings(
        telegram_token=TOKEN,
        telegram_api_url=emulator.api_url,
        telegram_file_url=emulator.file_url,
        data_dir=data,
        quiet_hours="",
        _env_file=None,  # type: ignore[call-arg]
    )
    await prepare(settings, n)
    users = range(FIRST_USER, FIRST_USER + n)
    open_chats(emulator, users)
    control = f"{emulator.base_url}/_control/bots/{TOKEN}"
    bot = BotProcess.start(emulator, data, args)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    try:
        await bot.ready()
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            # everyone has the task message (the outbox's drain is not measured)
            pushes = await asyncio.gather(
                *(read(http, f"{control}/users/{u}", 0, 1) for u in users)
            )
            assert all(f"📝 Báo cáo {REF}" in json.dumps(p, ensure_ascii=False) for p in pushes)
            async with http.delete(f"{control}/stats"):
                pass
            bot_cpu0, own0 = bot.cpu_seconds(), resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            results = await asyncio.gather(
                *(
                    secretary(http, f"{control}/users/{u}", 1, i / args.arrivals)
                    if args.arrivals
                    else secretary(http, f"{control}/users/{u}", 1)
                    for i, u in enumerate(users)
                )
            )
            elapsed = max(done for _, done in results) - started
            bot_cpu = bot.cpu_seconds() - bot_cpu0
            own1 = resource.getrusage(resource.RUSAGE_SELF)
            async with http.get(f"{control}/stats") as resp:
                stats = await resp.json()
    finally:
        usage = await bot.stop()
        await emulator.stop()
    answers, done = await check(settings, n)
    latencies = [s * 1000 for steps, _ in results for s in steps]
    calls = stats.get("calls", {}) if isinstance(stats, dict) else {}
    return {
        "seconds": elapsed,
        "rate": n / elapsed,
        "p50_ms": _p(latencies, 50),
        "p95_ms": _p(latencies, 95),
        "max_ms": max(latencies),
        "steps": len(latencies),
        "rss_mb": usage["max_rss_mb"],
        "bot_cpu_s": bot_cpu,
        "own_cpu_s": (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime),
        "answers_in_db": answers,
        "deadlines_done": done,
        "calls": calls,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secretaries", type=int, default=200)
    parser.add_argument(
        "--telegram-limits",
        action="store_true",
        help="the emulator at Telegram's limits and the bot pacing itself (default: neither)",
    )
    parser.add_argument("--profile", default="", help="cProfile the bot into this file")
    parser.add_argument("--log-level", default="INFO", help="the bot's log level")
    parser.add_argument(
        "--experiment",
        default="",
        help="run the bot otherwise, to measure a choice (bench/answers_bot.py):"
        " serial,httpx,httpx8,unmarked,thread-db",
    )
    parser.add_argument(
        "--arrivals",
        type=float,
        default=0.0,
        help="secretaries start this many a second, one after another (default: all at once);"
        " the latency at a given load rather than under a crowd",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        r = await bench(args, Path(tmp))
    n = args.secretaries
    limits = "on (Telegram's defaults)" if args.telegram_limits else "off"
    start = f"starting {args.arrivals:g} a second" if args.arrivals else "at once"
    print(f"{n} secretaries answer a progress form {start}, end to end (Telegram limits: {limits})")
    if args.experiment:
        print(f"  EXPERIMENT, not the product as it is: {args.experiment}")
    print(
        f"  throughput : {r['rate']:.1f} answers/s ({n} receipts in {r['seconds']:.2f} s),"
        f" ratio {r['rate'] / GOAL_RATE:.2f} to the goal of {GOAL_RATE:.0f}/s (>= 1 meets it)"
    )
    print(
        f"  latency    : p95 {r['p95_ms']:.0f} ms, p50 {r['p50_ms']:.0f} ms, max"
        f" {r['max_ms']:.0f} ms over {r['steps']:.0f} presses, ratio"
        f" {r['p95_ms'] / GOAL_P95_MS:.2f} to the goal of < {GOAL_P95_MS:.0f} ms (< 1 meets it)"
    )
    print(
        f"  bot memory : peak RSS {r['rss_mb']:.1f} MB, ratio {r['rss_mb'] / GOAL_RSS_MB:.2f}"
        f" to the goal of < {GOAL_RSS_MB:.0f} MB (< 1 meets it)"
    )
    print(
        f"  CPU        : bot {r['bot_cpu_s']:.2f} s ({r['bot_cpu_s'] / r['seconds']:.0%} of a"
        f" core, {r['bot_cpu_s'] * 1000 / n:.1f} ms per answer); emulator + people"
        f" {r['own_cpu_s']:.2f} s ({r['own_cpu_s'] / r['seconds']:.0%})"
    )
    calls = r["calls"]
    if isinstance(calls, dict) and calls:
        per = ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(calls.items()) if v)
        print(f"  Bot API calls per answer: {per}")
    print(
        f"  database   : {r['answers_in_db']:.0f} answers submitted,"
        f" {r['deadlines_done']:.0f} deadlines done (expected {n} each)"
    )


if __name__ == "__main__":
    asyncio.run(main())
