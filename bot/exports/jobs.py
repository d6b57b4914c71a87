"""Exports asked for in chat, prepared in the background.

A chat step must not write a big file: its replies are sent after its transaction commits, so
the update (and, on Telegram, every update behind it) would wait for the file. The step only
answers "preparing…" and, once its transaction has committed, starts an export job here. The
job reads its own snapshot of the database, writes the file in a worker thread, then queues
the document for the person in the outbox: the sender delivers it under the platform's limits
and retries it if the network fails, and, as it answers the person's own request, quiet hours do
not hold it. The audit log records it.

A job lives in this process: if the bot stops in the middle, the person asks again."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.chat import OutFile, Reply
from bot.exports import ExportKind, export, file_name
from bot.services import Services
from storage.outbox import NewMessage

log = logging.getLogger(__name__)

EXPORTS_DIR = "exports"  # under DATA_DIR
# An exported file is deleted (by the next export) after KEEP: the outbox row sends it from this
# folder, perhaps late (retries, a stopped bot or channel), and a Zalo link to it stays valid for
# 72 hours after the send (bot/public_files.py).
KEEP = timedelta(days=7)
PRIORITY = 2  # a file someone asked for goes before reminders and broadcasts

_running: dict[int, asyncio.Task[None]] = {}  # by member id: one export at a time each


@dataclass(frozen=True)
class ExportRequest:
    member_id: int
    channel: str
    chat_id: str
    plan_id: int
    kind: ExportKind


def busy(member_id: int) -> bool:
    task = _running.get(member_id)
    return task is not None and not task.done()


def start(services: Services, request: ExportRequest) -> asyncio.Task[None]:
    """Run the export in the background. The task starts in a fresh context: it must not
    inherit the "inside a transaction" mark of the update that asked for it."""
    task = asyncio.get_running_loop().create_task(
        run(services, request), name=f"export-{request.member_id}", context=contextvars.Context()
    )
    _running[request.member_id] = task

    def forget(done: asyncio.Task[None]) -> None:
        if _running.get(request.member_id) is done:
            del _running[request.member_id]

    task.add_done_callback(forget)
    return task


async def wait_idle() -> None:
    """Wait for the exports under way (tests; a clean shutdown)."""
    while _running:
        await asyncio.gather(*list(_running.values()), return_exceptions=True)


def prune(folder: Path, keep: timedelta = KEEP) -> int:
    """Delete exported files older than `keep`; returns how many."""
    if not folder.is_dir():
        return 0
    limit = time.time() - keep.total_seconds()
    gone = 0
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                gone += 1
    return gone


async def run(services: Services, request: ExportRequest) -> None:
    """Export, then queue the document (or why there is none) for the person who asked."""
    texts = services.texts
    now = services.clock.now()
    plan = await services.repos.plans.get(request.plan_id)
    rows = 0
    if plan is None:
        reply = Reply(text=texts("export.no_plan"))
    else:
        folder = services.data_dir / EXPORTS_DIR
        await asyncio.to_thread(prune, folder)
        shown = file_name(texts, plan, request.kind, now)
        path = folder / f"{request.member_id}-{uuid.uuid4().hex[:8]}-{shown}"
        try:
            result = await export(
                services, plan, path, request.kind, letterhead=services.letterhead
            )
        except Exception:
            log.exception("export of plan %s (%s) failed", plan.id, request.kind.value)
            reply = Reply(text=texts("export.failed"))
        else:
            rows = result.rows
            log.info(
                "export of plan %s (%s): %d rows in %.1f s",
                plan.id,
                request.kind.value,
                rows,
                result.seconds,
            )
            if request.kind is ExportKind.NOMINATIONS and rows == 0:
                path.unlink(missing_ok=True)
                reply = Reply(text=texts("export.no_nominations", number=plan.number))
            else:
                caption = texts(
                    "export.caption", kind=request.kind.value, number=plan.number, at=now
                )
                reply = Reply(document=OutFile(path, shown, caption))
    async with services.db.transaction():
        await services.repos.outbox.enqueue(
            NewMessage(
                key=f"export:{request.member_id}:{uuid.uuid4().hex}",
                kind="export",
                member_id=request.member_id,
                channel=request.channel,
                chat_id=request.chat_id,
                reply=reply,
                priority=PRIORITY,
                requested=True,  # asked for just now: not held by quiet hours
            ),
            now,
        )
        await services.repos.audit.record(
            "export",
            request.member_id,
            now,
            plan=request.plan_id,
            kind=request.kind.value,
            rows=rows,
            sent=reply.document is not None,
        )
    services.notifier.queued()
