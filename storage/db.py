"""The SQLite connection: pragmas, one writer at a time, versioned migrations applied on start.

Statements run on the event loop's own thread, on one sqlite3 connection. A statement of this
bot takes tens of microseconds (an indexed lookup, a one-row write, a commit in WAL mode with
synchronous=NORMAL, which does not wait for the disk); a hop to a worker thread and back costs
more than that, and the forms benchmark (bench/answers_throughput.py) measured the hops at about
half of the bot's CPU per answer. What could take long is kept off the loop:
- waiting for another process's write lock (the `dondoc` command line): the connection does not
  wait inside SQLite (busy_timeout=0); a busy database is retried with `await asyncio.sleep`;
- writing the WAL back into the database file (the checkpoint, which does wait for the disk):
  automatic checkpoints are off, and a checkpoint runs in a thread on a connection of its own
  every CHECKPOINT_EVERY writes, and when the database is closed;
- long reads (aggregates over every answer of a plan): `fetch_all_aside` runs them on aiosqlite's
  thread, on a read-only connection that sees the last commit.
A statement slower than SLOW_STATEMENT_S on the loop is logged, so one that grows shows up."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
_in_transaction: contextvars.ContextVar[bool] = contextvars.ContextVar("in_tx", default=False)

BUSY_TIMEOUT_S = 5.0  # how long a statement waits for another process's lock before failing
CHECKPOINT_EVERY = 500  # commits between two checkpoints (SQLite's automatic one: 1000 pages)
SLOW_STATEMENT_S = 0.05
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in _BUSY_CODES


class Database:
    """One connection shared by the app. Statements of a transaction run together: a lock keeps
    other coroutines out until it commits, and a lone statement takes the lock too, so nobody
    reads another's half-written change."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._reader: aiosqlite.Connection | None = None
        self._reader_lock = asyncio.Lock()
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def in_file(self) -> bool:
        return str(self.path) != ":memory:"

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        path = Path(path)
        in_file = str(path) != ":memory:"
        if in_file:
            path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: opened (and, at close, checkpointed) in a worker thread, used
        # on the loop's thread; never by two threads at once.
        conn = await asyncio.to_thread(
            sqlite3.connect, str(path), isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        db = cls(conn, path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=0")
        await db.execute("PRAGMA synchronous=NORMAL")
        if in_file:
            await db.execute("PRAGMA wal_autocheckpoint=0")
        if migrate:
            await apply_migrations(db)
        return db

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._checkpoint is not None:
            with contextlib.suppress(Exception):
                await self._checkpoint
        if self._reader is not None:
            await self._reader.close()
        async with self._lock:
            if self.in_file:
                with contextlib.suppress(sqlite3.Error):
                    await asyncio.to_thread(self._checkpoint_now, self._conn, "TRUNCATE")
            self._conn.close()

    # statements on the loop

    async def _run(self, fn: Callable[[], T], sql: str) -> T:
        """Run `fn` (one statement) now; a busy database is retried without blocking the loop."""
        waited = 0.0
        delay = 0.002
        while True:
            started = time.perf_counter()
            try:
                result = fn()
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or waited >= BUSY_TIMEOUT_S:
                    raise
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 0.1)
                continue
            took = time.perf_counter() - started
            if took > SLOW_STATEMENT_S:
                log.warning("slow statement on the event loop (%.0f ms): %.120s", took * 1000, sql)
            return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error. Nested use joins the outer one."""
        if _in_transaction.get():
            yield
            return
        async with self._lock:
            token = _in_transaction.set(True)
            try:
                await self._run(lambda: self._conn.execute("BEGIN IMMEDIATE"), "BEGIN")
                try:
                    yield
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
                await self._run(lambda: self._conn.execute("COMMIT"), "COMMIT")
            finally:
                _in_transaction.reset(token)
        self._committed()

    @asynccontextmanager
    async def _statement(self, *, writes: bool = False) -> AsyncIterator[None]:
        if _in_transaction.get():
            yield
        else:
            async with self._lock:
                yield
            if writes:
                self._committed()

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        async with self._statement(writes=True):
            cur = await self._run(lambda: self._conn.execute(sql, params), sql)
            return int(cur.rowcount)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT; returns the new row's id."""
        async with self._statement(writes=True):
            cur = await self._run(lambda: self._conn.execute(sql, params), sql)
            return int(cur.lastrowid or 0)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        rows = list(rows)
        async with self._statement(writes=True):
            await self._run(lambda: self._conn.executemany(sql, rows), sql)

    async def fetch_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self._statement():
            row: sqlite3.Row | None = await self._run(
                lambda: self._conn.execute(sql, params).fetchone(), sql
            )
            return row

    async def fetch_all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._statement():
            rows: list[sqlite3.Row] = await self._run(
                lambda: self._conn.execute(sql, params).fetchall(), sql
            )
            return rows

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def run_script(self, script: str) -> None:
        async with self._statement(writes=True):
            await self._run(lambda: self._conn.executescript(script), script)

    # long reads, off the loop

    async def fetch_all_aside(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """A long read (an aggregate over many rows) on aiosqlite's thread, on a read-only
        connection of its own: it sees the last commit, not the caller's uncommitted writes. An
        in-memory database has no second connection: there it is `fetch_all`."""
        if not self.in_file:
            return await self.fetch_all(sql, params)
        async with self._reader_lock:
            if self._reader is None:
                reader = await aiosqlite.connect(str(self.path), isolation_level=None)
                reader.row_factory = sqlite3.Row
                await reader.execute("PRAGMA busy_timeout=5000")
                await reader.execute("PRAGMA query_only=ON")
                self._reader = reader
            return list(await self._reader.execute_fetchall(sql, params))

    # checkpoints, off the loop

    def _committed(self) -> None:
        if not self.in_file or self._closed:
            return
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._checkpoint is None:
            self._commits = 0
            self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_aside())

    async def _checkpoint_aside(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint_on_own_connection)
        except sqlite3.Error:
            log.exception("checkpoint failed; the next one will try again")
        finally:
            self._checkpoint = None

    def _checkpoint_on_own_connection(self) -> None:
        conn = sqlite3.connect(str(self.path), isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            self._checkpoint_now(conn)
        finally:
            conn.close()

    @staticmethod
    def _checkpoint_now(conn: sqlite3.Connection, mode: str = "PASSIVE") -> None:
        conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()


def _migration_files() -> list[tuple[int, str, str]]:
    folder = resources.files("storage") / "migrations"
    found: list[tuple[int, str, str]] = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def apply_migrations(db: Database) -> list[str]:
    """Apply every migration not yet applied, each in its own transaction; returns their names."""
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in await db.fetch_all("SELECT version FROM schema_migrations")}
    applied: list[str] = []
    for version, name, sql in _migration_files():
        if version in done:
            continue
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        script = (
            f"BEGIN IMMEDIATE;\n{sql}\n"
            f"INSERT INTO schema_migrations(version, name, applied_at) "
            f"VALUES ({version}, '{name}', '{stamp}');\nCOMMIT;"
        )
        try:
            await db.run_script(script)
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                await db.run_script("ROLLBACK;")
            raise
        applied.append(name)
    return applied
