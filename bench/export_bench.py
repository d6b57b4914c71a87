"""Benchmark (issue: exports): the full Excel export of a big organisation's plan.

Generates, straight into SQLite (bulk inserts, one transaction), 2,000 units, a published plan
of 100 tasks (progress reports, nomination lists, counts, registrations), a deadline per unit
and task, and an answer to each: 200,000 answers, a tenth returned and sent again, a fifth
accepted, some with files. Then, in a fresh process, exports the workbook while a ticker on
the event loop measures how long the loop is ever held.

Prints: time of the full Excel export (goal < 20 s), peak memory of the process during it and
the rise over its baseline (goal < 300 MB), the event loop's longest stall, and for reference
the CSV zip and the Word report.
Run: .venv/bin/python bench/export_bench.py [--units 2000] [--tasks 100] [--keep DIR]"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_GOAL = 20.0
MEMORY_GOAL = 300.0  # MB
NOW = datetime(2024, 4, 25, 9, 0, tzinfo=UTC)

FORMS = ["progress"] * 70 + ["nomination"] * 10 + ["count"] * 10 + ["registration"] * 10
STATES = {"not_started": "pending", "in_progress": "in_progress", "done": "done"}
NOTES = [
    "Đã tổ chức quán triệt tới toàn thể đảng viên trong chi bộ",
    "Đang phối hợp với công đoàn cơ sở chuẩn bị nội dung",
    "Đã treo cờ Tổ quốc, cờ Đảng, khẩu hiệu tại trụ sở cơ quan",
    "",
]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
AWARDS = ["Giấy khen của Đảng ủy Khối", "Bằng khen của Tỉnh ủy", "Giấy khen của Công đoàn"]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def generate(path: Path, units: int, tasks: int) -> dict[str, int]:
    """The organisation, plan and answers, written with plain sqlite3 (the schema comes from
    the app's migrations, applied first)."""
    from storage.db import Database

    async def migrate() -> None:
        db = await Database.open(path)
        await db.close()

    asyncio.run(migrate())
    rnd = random.Random(65)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    created = _iso(NOW - timedelta(days=120))
    conn.execute(
        "INSERT INTO units(id, code, name, kind, parent_id, created_at)"
        " VALUES (1, 'DUK', 'Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh', 'committee', NULL, ?)",
        (created,),
    )
    conn.executemany(
        "INSERT INTO units(id, code, name, kind, parent_id, created_at) VALUES (?, ?, ?, ?, 1, ?)",
        ((i + 2, f"CB{i:04d}", f"Chi bộ đơn vị số {i + 1}", "cell", created) for i in range(units)),
    )
    conn.executemany(
        "INSERT INTO members(id, unit_id, role, full_name, registered_at) VALUES (?, ?, ?, ?, ?)",
        (
            (u, u, "secretary", f"{rnd.choice(NAMES)} {u}", created)
            for u in range(2, units + 2)
            if u % 10
        ),
    )
    office = units + 10
    conn.execute(
        "INSERT INTO members(id, unit_id, role, full_name, registered_at)"
        " VALUES (?, 1, 'office', 'Văn phòng Đảng ủy Khối', ?)",
        (office, created),
    )
    conn.executemany(
        "INSERT INTO identities(channel, external_id, member_id, chat_id, reachable)"
        " VALUES ('telegram', ?, ?, ?, ?)",
        ((str(u), u, str(u), int(u % 37 != 0)) for u in range(2, units + 2) if u % 10),
    )
    conn.execute(
        "INSERT INTO plans(id, number, title, issued, issuer, status, created_at, published_at)"
        " VALUES (1, '185-KH/ĐUK', 'Tổ chức các hoạt động chào mừng kỷ niệm 65 năm', "
        "'2024-01-05', 'Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh Lào Cai', 'published', ?, ?)",
        (created, created),
    )
    task_forms = {}
    for t in range(1, tasks + 1):
        form = FORMS[(t - 1) % len(FORMS)]
        task_forms[t] = form
        due = date(2024, 3, 1) + timedelta(days=t % 60)
        conn.execute(
            "INSERT INTO tasks(id, plan_id, ref, position, title, due_date, when_words, form)"
            " VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
            (
                t,
                f"II.{t}",
                t,
                f"Nội dung công việc số {t} của kế hoạch kỷ niệm",
                due.isoformat(),
                f"trước ngày {due.day}/{due.month}/{due.year}",
                form,
            ),
        )
    conn.executemany(
        "INSERT INTO attachments(id, member_id, channel, kind, file_name, size, sha256, path,"
        " created_at) VALUES (?, NULL, 'telegram', 'photo', ?, 1000, 'x', 'files/x', ?)",
        ((a, f"anh-minh-chung-{a}.jpg", created) for a in range(1, 20_001)),
    )
    next_file = 1
    deadlines: list[tuple[object, ...]] = []
    answers: list[tuple[object, ...]] = []
    versions: list[tuple[object, ...]] = []
    deadline_id = 0
    for t in range(1, tasks + 1):
        form = task_forms[t]
        due = date(2024, 3, 1) + timedelta(days=t % 60)
        for u in range(2, units + 2):
            deadline_id += 1
            data: dict[str, object]
            state = "done"
            entries = 0
            if form == "progress":
                choice = rnd.choice(["done", "done", "done", "in_progress", "not_started"])
                state = STATES[choice]
                evidence: list[int] = []
                if rnd.random() < 0.05 and next_file < 20_000:
                    evidence = [next_file, next_file + 1]
                    next_file += 2
                data = {"values": {"state": choice, "note": rnd.choice(NOTES) or None,
                                   "evidence": evidence}, "entries": []}  # fmt: skip
            elif form == "nomination":
                items = [
                    {
                        "kind": rnd.choice(["individual", "collective"]),
                        "name": rnd.choice(NAMES),
                        "position": "Phó Giám đốc",
                        "unit": f"Chi bộ đơn vị số {u - 1}",
                        "achievements": "Hoàn thành xuất sắc nhiệm vụ năm 2023, 2 năm liền",
                        "award": rnd.choice(AWARDS),
                    }
                    for _ in range(rnd.randint(1, 3))
                ]
                entries = len(items)
                data = {"values": {}, "entries": items}
            elif form == "count":
                data = {"values": {"count": rnd.randint(0, 40), "note": None}, "entries": []}
            else:
                data = {"values": {"team": f"Đội {u}", "players": rnd.randint(6, 12),
                                   "contact": {"name": rnd.choice(NAMES), "detail": "0912345678"}},
                        "entries": []}  # fmt: skip
            sent = NOW - timedelta(days=rnd.randint(1, 50), minutes=rnd.randint(0, 600))
            late = int(sent.date() > due)
            text = json.dumps(data, ensure_ascii=False, sort_keys=True)
            roll = rnd.random()
            status, version = "submitted", 1
            member = u if u % 10 else office
            versions.append((deadline_id, 1, "submit", text, member, None, late, _iso(sent)))
            if roll < 0.1:  # returned, then sent again
                back = sent + timedelta(hours=3)
                versions.append(
                    (deadline_id, 1, "return", text, office, "Bổ sung số liệu", late, _iso(back))
                )
                version = 2
                sent = back + timedelta(hours=20)
                versions.append((deadline_id, 2, "resubmit", text, member, None, late, _iso(sent)))
            elif roll < 0.3:
                status = "accepted"
                at = _iso(sent + timedelta(hours=5))
                versions.append((deadline_id, 1, "accept", text, office, None, late, at))
            deadlines.append(
                (deadline_id, t, u, due.isoformat(), state, _iso(sent))
            )  # fmt: skip
            answers.append(
                (deadline_id, deadline_id, u, t, form, status, version, text, entries, late,
                 member, _iso(sent))
            )  # fmt: skip
    conn.executemany(
        "INSERT INTO deadlines(id, task_id, unit_id, due_date, state, state_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        deadlines,
    )
    conn.executemany(
        "INSERT INTO answers(id, deadline_id, unit_id, task_id, form, status, version, data,"
        " entries, late, member_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        answers,
    )
    conn.executemany(
        "INSERT INTO answer_versions(answer_id, version, action, data, member_id, note, late, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        versions,
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {"units": units, "tasks": tasks, "answers": len(answers), "versions": len(versions)}


def _rss_mb() -> float:
    """This process's peak resident memory so far (MB). VmHWM belongs to the process's own
    memory map; ru_maxrss may carry the parent's peak over a fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


async def _lag_probe(stop: asyncio.Event, every: float = 0.01) -> float:
    """The longest the event loop kept a 10 ms timer waiting (ms)."""
    worst = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(every)
        worst = max(worst, (loop.time() - start - every) * 1000)
    return worst


async def run_export(db_path: Path, out_dir: Path, kind: str) -> dict[str, float]:
    """In this (fresh) process: open, export, measure."""
    from zoneinfo import ZoneInfo

    from bot.clock import FrozenClock
    from bot.exports import ExportKind, Letterhead, export
    from bot.services import Repos, Services
    from messages import Texts
    from storage.db import Database

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    db = await Database.open(db_path)
    services = Services(
        db=db,
        repos=Repos.on(db),
        texts=Texts("vi", tz),
        clock=FrozenClock(tz, NOW.astimezone(tz)),
        data_dir=out_dir,
    )
    plan = await services.repos.plans.get(1)
    assert plan is not None
    export_kind = ExportKind(kind)
    # warm the imports the export uses, so the baseline is the app's, not the first import's
    import docxtpl  # noqa: F401
    import openpyxl  # noqa: F401

    baseline = _rss_mb()
    stop = asyncio.Event()
    probe = asyncio.create_task(_lag_probe(stop))
    started = time.perf_counter()
    path = out_dir / f"export{export_kind.suffix}"
    result = await export(
        services, plan, path, export_kind, letterhead=Letterhead("Đảng bộ tỉnh Lào Cai", "Lào Cai")
    )
    seconds = time.perf_counter() - started
    stop.set()
    worst_lag = await probe
    peak = _rss_mb()
    await db.close()
    return {
        "seconds": seconds,
        "rows": result.rows,
        "baseline_mb": baseline,
        "peak_mb": peak,
        "size_mb": path.stat().st_size / 1024 / 1024,
        "lag_ms": worst_lag,
    }


def _child(db_path: Path, out_dir: Path, kind: str) -> dict[str, float]:
    """Each step in its own process: peak memory is a high-water mark, never lowered."""
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            *("--child", kind, "--db", str(db_path), "--out", str(out_dir)),
            *sys.argv[1:],
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="Keep the database and files in this folder.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "generate":
        print(json.dumps(generate(args.db, args.units, args.tasks)))
        return
    if args.child:
        print(json.dumps(asyncio.run(run_export(args.db, args.out, args.child))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db_path = folder / "bench.sqlite3"
        for stale in folder.glob("bench.sqlite3*"):
            os.remove(stale)
        started = time.perf_counter()
        made = _child(db_path, folder, "generate")
        took = time.perf_counter() - started
        size = db_path.stat().st_size / 1024 / 1024
        print(
            f"generated {made['units']:,} units, {made['tasks']} tasks, {made['answers']:,}"
            f" answers ({made['versions']:,} versions and reviews) in {took:.1f} s;"
            f" database {size:.0f} MB"
        )
        xlsx = _child(db_path, folder, "xlsx")
        print(
            f"  Excel, every view : {xlsx['seconds']:.1f} s (goal < {TIME_GOAL:.0f} s, ratio"
            f" {xlsx['seconds'] / TIME_GOAL:.2f}), {xlsx['rows']:,.0f} rows,"
            f" {xlsx['size_mb']:.1f} MB file"
        )
        rise = xlsx["peak_mb"] - xlsx["baseline_mb"]
        print(
            f"  memory            : peak {xlsx['peak_mb']:.0f} MB for the whole process"
            f" (goal < {MEMORY_GOAL:.0f} MB, ratio {xlsx['peak_mb'] / MEMORY_GOAL:.2f}),"
            f" {rise:.0f} MB over its {xlsx['baseline_mb']:.0f} MB baseline"
        )
        print(f"  event loop        : longest stall {xlsx['lag_ms']:.0f} ms during the export")
        for kind, label in (("csv", "CSV zip, every view"), ("report", "Word report       ")):
            other = _child(db_path, folder, kind)
            print(
                f"  {label}: {other['seconds']:.1f} s, peak {other['peak_mb']:.0f} MB,"
                f" longest stall {other['lag_ms']:.0f} ms"
            )


if __name__ == "__main__":
    main()
