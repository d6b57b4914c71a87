"""The choices last shown to each chat of a channel without buttons (Zalo), and how a typed answer
picks one of them: by its number in the list, or by its words with or without diacritics
("hoan thanh" = "Hoàn thành"). Kept in the database, so an answer typed after a restart still
means what the person saw."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.clock import utc_iso
from bot.vntext import fold
from storage.db import Database

# A typed number is taken as "the n-th choice" only when it is short: "2", "2.", "(2)". A longer
# number (a year, a count, a phone number) is an answer of its own.
_NUMBER = re.compile(r"^\(?\s*(\d{1,3})\s*[.)]?$")


@dataclass(frozen=True)
class ShownChoices:
    """Options in the order shown: (label, value). `numbered`: the list was shown with numbers
    and a typed number picks from it; otherwise only the words do (the question takes a typed
    answer, and a number typed there is that answer)."""

    options: tuple[tuple[str, str], ...]
    numbered: bool = True

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.options]


@dataclass(frozen=True)
class Resolution:
    """What a typed text means: a choice's value, a number that is not in the list, or neither
    (the text goes on as typed)."""

    value: str | None = None
    wrong_number: bool = False


def _bare(label: str) -> str:
    """The label without emoji and symbols: "📤 Gửi báo cáo" -> "Gửi báo cáo"."""
    return "".join(ch for ch in label if not unicodedata.category(ch).startswith("S"))


def keys(label: str) -> set[str]:
    """The folded forms of a label a person may type to pick it."""
    found = {fold(label), fold(_bare(label))}
    if ":" in label:  # "Dùng tên: Nguyễn Văn An" -> "dung ten"; "II.9: Số liệu" -> "ii.9"
        found.add(fold(_bare(label.split(":", 1)[0])))
    found.discard("")
    return found


def match(shown: ShownChoices, text: str) -> Resolution:
    typed = text.strip()
    number = _NUMBER.match(typed)
    if number is not None and shown.numbered:
        n = int(number.group(1))
        if 1 <= n <= len(shown.options):
            return Resolution(value=shown.options[n - 1][1])
        return Resolution(wrong_number=True)
    folded = fold(typed)
    if not folded:
        return Resolution()
    for label, value in shown.options:
        if folded in keys(label):
            return Resolution(value=value)
    return Resolution()


class ChoiceMemory:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def remember(
        self, channel: str, chat_id: str, shown: ShownChoices, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO shown_choices(channel, chat_id, choices, numbered, shown_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(channel, chat_id) DO UPDATE SET"
            " choices = excluded.choices, numbered = excluded.numbered,"
            " shown_at = excluded.shown_at",
            (
                channel,
                chat_id,
                json.dumps([list(o) for o in shown.options], ensure_ascii=False),
                int(shown.numbered),
                utc_iso(now),
            ),
        )

    async def forget(self, channel: str, chat_id: str) -> None:
        await self._db.execute(
            "DELETE FROM shown_choices WHERE channel = ? AND chat_id = ?", (channel, chat_id)
        )

    async def shown(self, channel: str, chat_id: str) -> ShownChoices | None:
        row = await self._db.fetch_one(
            "SELECT choices, numbered FROM shown_choices WHERE channel = ? AND chat_id = ?",
            (channel, chat_id),
        )
        if row is None:
            return None
        options = tuple((str(o[0]), str(o[1])) for o in json.loads(row["choices"]))
        return ShownChoices(options, bool(row["numbered"]))

    async def resolve(self, channel: str, chat_id: str, text: str) -> Resolution:
        """What `text` typed in this chat picks from the choices last shown there."""
        shown = await self.shown(channel, chat_id)
        return match(shown, text) if shown is not None else Resolution()
