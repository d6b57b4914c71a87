"""Files people send, kept under DATA_DIR/files by their sha256 (the same file twice is kept
once). Hashing and writing run in a thread, off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path, PurePosixPath

FILES_DIR = "files"


def _suffix(file_name: str | None, fallback: str) -> str:
    suffix = PurePosixPath(file_name or "").suffix.lower()
    return suffix if 1 < len(suffix) <= 8 and suffix[1:].isalnum() else fallback


def _write(data_dir: Path, content: bytes, suffix: str) -> tuple[str, str]:
    digest = hashlib.sha256(content).hexdigest()
    relative = PurePosixPath(FILES_DIR, digest[:2], digest + suffix)
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(content)
        partial.replace(target)  # atomic: never a half-written file under the final name
    return str(relative), digest


async def store(
    data_dir: Path, content: bytes, file_name: str | None, fallback: str
) -> tuple[str, str]:
    """Keep `content`; returns (path relative to data_dir, sha256)."""
    return await asyncio.to_thread(_write, data_dir, content, _suffix(file_name, fallback))
