"""Backups of the SQLite database, and restoring one.

A backup uses SQLite's online backup API: a consistent copy even while the bot writes (WAL lets
the bot go on writing while the copy reads). The copy is checked (PRAGMA integrity_check, and
that it is a Đôn Đốc database) before it takes its name, so a file called FILE is always a whole,
good backup. Restoring checks the file the same way, refuses one made by a newer version, keeps
the current database as DB.<time>.bak, and must be done with the bot stopped.

Blocking (sqlite3): call from async code through asyncio.to_thread."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.db import _migration_files

BUSY_TIMEOUT = 30.0  # seconds a copy waits for the bot's write lock
COUNTED_TABLES = ("units", "members", "invites", "plans", "tasks", "answers", "outbox")
BACKUP_NAME = "dondoc-{stamp}.sqlite3"
_BACKUP_NAME_RE = re.compile(r"^dondoc-\d{8}-\d{6}\.sqlite3$")


class BackupError(Exception):
    """What went wrong: `key` names the reason in messages/vi/ops.j2, `values` fill it in (the
    command line renders it in one line for the operator)."""

    def __init__(self, key: str, /, **values: Any) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


def known_migrations() -> list[tuple[int, str]]:
    """(version, file name) of every migration this code has."""
    return [(version, name) for version, name, _ in _migration_files()]


@dataclass(frozen=True)
class DatabaseInfo:
    path: Path
    size: int
    versions: tuple[int, ...]  # applied migrations
    counts: dict[str, int]  # rows of the main tables

    @property
    def newer(self) -> list[int]:
        """Applied migrations this code does not know (made by a newer version)."""
        known = {v for v, _ in known_migrations()}
        return [v for v in self.versions if v not in known]

    @property
    def schema(self) -> int:
        """The newest migration applied."""
        return max(self.versions) if self.versions else 0


def inspect_database(path: Path) -> DatabaseInfo:
    """Check that `path` is a whole Đôn Đốc database; BackupError says why it is not."""
    if not path.is_file():
        raise BackupError("no_file", path=path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        raise BackupError("cannot_open", path=path, problem=exc) from None
    try:
        conn.execute("PRAGMA query_only=ON")
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError("damaged", path=path, problems="; ".join(problems[:3]))
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "schema_migrations" not in tables:
            raise BackupError("not_dondoc", path=path)  # no schema_migrations table
        applied = dict(conn.execute("SELECT version, name FROM schema_migrations"))
        first_version, first_name = known_migrations()[0]
        if applied.get(first_version) != first_name:
            raise BackupError("not_dondoc", path=path)  # not our first migration
        counts = {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in COUNTED_TABLES
            if table in tables
        }
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        if "malformed" in str(exc):
            raise BackupError("damaged", path=path, problems=exc) from None
        raise BackupError("not_sqlite", path=path, problem=exc) from None
    finally:
        conn.close()
    return DatabaseInfo(path, path.stat().st_size, tuple(sorted(applied)), counts)


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of `source` into a new file `target`, in rollback-journal mode (one
    self-contained file; the bot turns WAL on again when it opens it)."""
    target.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    with target.open("rb+") as fh:
        os.fsync(fh.fileno())


def backup_database(db: Path, out: Path) -> DatabaseInfo:
    """Copy the database at `db` to `out` while the bot may be running, and check the copy."""
    if not db.is_file():
        raise BackupError("no_database", path=db)
    if out.exists() and out.resolve() == db.resolve():
        raise BackupError("backup_onto_database", path=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.part")
    try:
        _copy(db, part)
        info = inspect_database(part)
        part.chmod(0o640)  # it holds personal data
        os.replace(part, out)
    except sqlite3.Error as exc:
        raise BackupError("copy_failed", db=db, problem=exc) from None
    finally:
        part.unlink(missing_ok=True)
    return replace(info, path=out)


def backup_into(
    db: Path, folder: Path, keep: int, now: datetime
) -> tuple[DatabaseInfo, list[Path]]:
    """A backup named dondoc-YYYYMMDD-HHMMSS.sqlite3 in `folder`, keeping the newest `keep`
    such files; returns the backup and the old ones removed."""
    out = folder / BACKUP_NAME.format(stamp=now.strftime("%Y%m%d-%H%M%S"))
    info = backup_database(db, out)
    ours = sorted(p for p in folder.iterdir() if _BACKUP_NAME_RE.match(p.name))
    removed = ours[:-keep] if keep > 0 else []
    for old in removed:
        old.unlink(missing_ok=True)
    return info, removed


@dataclass(frozen=True)
class Restored:
    info: DatabaseInfo
    previous: Path | None  # where the database it replaced was kept


def restore_database(source: Path, db: Path, now: datetime, *, force: bool = False) -> Restored:
    """Replace the database at `db` with the backup `source`. The bot must be stopped."""
    info = inspect_database(source)
    if info.newer:
        raise BackupError("newer", path=source, versions=info.newer)
    if db.exists() and source.resolve() == db.resolve():
        raise BackupError("restore_from_database", path=source)
    sidecars = [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm")]
    if not force and any(p.exists() for p in sidecars):
        raise BackupError("database_open", db=db)  # its -wal/-shm files exist
    db.parent.mkdir(parents=True, exist_ok=True)
    previous: Path | None = None
    try:
        if db.exists():
            previous = db.with_name(f"{db.name}.{now.strftime('%Y%m%d-%H%M%S')}.bak")
            _copy(db, previous)  # through SQLite, so what is still in the -wal is kept too
        part = db.with_name(f".{db.name}.restoring")
        try:
            _copy(source, part)
            if previous is not None:
                _same_owner(previous, db)
                _same_owner(part, db)
            for sidecar in sidecars:
                sidecar.unlink(missing_ok=True)  # a stale -wal would be replayed into the new file
            os.replace(part, db)
        finally:
            part.unlink(missing_ok=True)
    except sqlite3.Error as exc:
        raise BackupError("restore_failed", db=db, problem=exc) from None
    return Restored(replace(info, path=db, size=db.stat().st_size), previous)


def _same_owner(path: Path, like: Path) -> None:
    """Give `path` the owner and mode of `like` (a restore run as root for the service user)."""
    stat = like.stat()
    with contextlib.suppress(PermissionError):
        os.chown(path, stat.st_uid, stat.st_gid)
    path.chmod(stat.st_mode & 0o777)
