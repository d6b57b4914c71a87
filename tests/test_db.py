"""The connection: another process's lock is waited for without stopping the event loop, the
WAL is written back by a checkpoint off the loop, long reads run aside and see the last commit."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

import storage.db
from storage.db import Database


def _hold_write_lock(path: Path, held: threading.Event, release: threading.Event) -> None:
    """What `dondoc publish` in another process does: a write transaction kept open."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t(v) VALUES ('other process')")
    held.set()
    release.wait(10)
    conn.execute("COMMIT")
    conn.close()


async def test_a_write_waits_for_another_process_lock_while_the_loop_keeps_running(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "d.sqlite3", migrate=False)
    await db.execute("CREATE TABLE t (v TEXT)")
    held, release = threading.Event(), threading.Event()
    other = threading.Thread(target=_hold_write_lock, args=(db.path, held, release))
    other.start()
    await asyncio.to_thread(held.wait, 10)

    ticks = 0

    async def ticker() -> None:  # would stop ticking if the write blocked the loop
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(0.3, release.set)
    async with db.transaction():
        await db.insert("INSERT INTO t(v) VALUES ('bot')")
    ticking.cancel()
    await asyncio.to_thread(other.join)

    assert ticks >= 20  # about 60 in 0.3 s: the loop ran while the bot waited
    rows = await db.fetch_all("SELECT v FROM t ORDER BY rowid")
    assert [r[0] for r in rows] == ["other process", "bot"]
    await db.close()


async def test_a_lock_held_too_long_fails_the_write_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.db, "BUSY_TIMEOUT_S", 0.1)
    db = await Database.open(tmp_path / "d.sqlite3", migrate=False)
    await db.execute("CREATE TABLE t (v TEXT)")
    held, release = threading.Event(), threading.Event()
    other = threading.Thread(target=_hold_write_lock, args=(db.path, held, release))
    other.start()
    await asyncio.to_thread(held.wait, 10)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with db.transaction():
            await db.insert("INSERT INTO t(v) VALUES ('bot')")
    release.set()
    await asyncio.to_thread(other.join)
    assert [r[0] for r in await db.fetch_all("SELECT v FROM t")] == ["other process"]
    await db.close()


async def test_the_wal_is_checkpointed_off_the_loop_and_emptied_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.db, "CHECKPOINT_EVERY", 10)
    path = tmp_path / "d.sqlite3"
    db = await Database.open(path, migrate=False)
    assert await db.fetch_value("PRAGMA wal_autocheckpoint") == 0
    await db.execute("CREATE TABLE t (v TEXT)")
    for i in range(25):
        await db.insert("INSERT INTO t(v) VALUES (?)", (f"row {i}",))
    if db._checkpoint is not None:
        await db._checkpoint
    # a checkpoint ran: the rows are in the database file itself, readable without the WAL
    before_close = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert before_close.execute("SELECT count(*) FROM t").fetchone()[0] == 25
    before_close.close()
    await db.close()
    wal = Path(f"{path}-wal")
    assert await asyncio.to_thread(lambda: not wal.exists() or wal.stat().st_size == 0)


async def test_a_long_read_aside_sees_the_last_commit_not_an_open_transaction(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "d.sqlite3", migrate=False)
    await db.execute("CREATE TABLE t (v INTEGER)")
    await db.execute_many("INSERT INTO t(v) VALUES (?)", [(i,) for i in range(100)])
    async with db.transaction():
        await db.execute("DELETE FROM t")
        aside = await db.fetch_all_aside("SELECT count(*) FROM t")
        here = await db.fetch_value("SELECT count(*) FROM t")
    assert (aside[0][0], here) == (100, 0)
    assert (await db.fetch_all_aside("SELECT count(*) FROM t"))[0][0] == 0
    await db.close()


async def test_a_slow_statement_on_the_loop_is_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(storage.db, "SLOW_STATEMENT_S", 0.0)
    db = await Database.open(tmp_path / "d.sqlite3", migrate=False)
    with caplog.at_level(logging.WARNING, logger="storage.db"):
        await db.fetch_all("SELECT 42")
    assert any("slow statement" in r.message and "SELECT 42" in r.message for r in caplog.records)
    await db.close()
