"""Units named in a plan: where a name starts ("Ban", "Văn phòng", "Công đoàn", "Chi bộ"... written
with a capital), where it ends (a verb or small word written in lower case, a comma, a bracket),
which names are the issuing committee itself ("Ban Thường vụ Đảng ủy Khối"), and which unit of
the office's list a name is.

A name written short ("Ban Tuyên giáo") is taken as the one longer name of the plan it starts
("Ban Tuyên giáo Đảng ủy Khối"); names compare folded, so "Đảng uỷ" and "Đảng ủy" are the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain import Unit
from bot.extract import lexicon as lx
from bot.extract.lexicon import vnorm
from bot.vntext import fold

_TOKEN = re.compile(r"\w+|[^\w\s]")
_DASHES = "-\u2013\u2014"
_HEADS = sorted((h.split() for h in lx.UNIT_HEADS), key=len, reverse=True)
_NOT_UNITS = [n.split() for n in lx.NOT_UNITS]
_AND = lx.AND


@dataclass(frozen=True)
class Mention:
    name: str  # as written
    start: int  # character offsets in the text
    end: int
    generic: bool  # "các ban", "mỗi đơn vị": not one unit


@dataclass(frozen=True)
class _Tok:
    text: str
    norm: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum()

    @property
    def capital(self) -> bool:
        return self.text[0].isupper()


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), vnorm(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _seq(toks: Sequence[_Tok], i: int, words: Sequence[str]) -> bool:
    return i + len(words) <= len(toks) and all(toks[i + k].norm == w for k, w in enumerate(words))


def _head_at(toks: Sequence[_Tok], i: int) -> int:
    """The number of tokens of a unit head starting at i (0 if none)."""
    if not toks[i].is_word or not toks[i].capital:
        return 0
    if any(_seq(toks, i, words) for words in _NOT_UNITS):
        return 0
    for words in _HEADS:
        if _seq(toks, i, words):
            return len(words)
    return 0


def _stops(toks: Sequence[_Tok], j: int) -> bool:
    t = toks[j]
    if t.capital:
        return False
    if t.norm in lx.NAME_STOP_WORDS:
        return True
    return j + 1 < len(toks) and f"{t.norm} {toks[j + 1].norm}" in lx.NAME_STOP_PAIRS


def find_units(text: str) -> list[Mention]:
    """Every unit named in `text`, in order."""
    text = nfc(text)
    toks = _tokens(text)
    out: list[Mention] = []
    i = 0
    while i < len(toks):
        head = _head_at(toks, i)
        if not head:
            i += 1
            continue
        generic = i > 0 and toks[i - 1].norm in lx.GENERIC_BEFORE
        j = i + head
        while j < len(toks) and j - i < 14:
            t = toks[j]
            if "\n" in text[toks[j - 1].end : t.start]:
                break
            if not t.is_word:
                nxt = toks[j + 1] if j + 1 < len(toks) else None
                if (
                    t.text in _DASHES
                    and nxt is not None
                    and nxt.text[0].isalpha()
                    and not _stops(toks, j + 1)
                ):
                    j += 1
                    continue
                break
            if t.norm == _AND:
                nxt = toks[j + 1] if j + 1 < len(toks) else None
                if nxt is not None and nxt.is_word and nxt.capital and not _head_at(toks, j + 1):
                    j += 1
                    continue
                break
            if _stops(toks, j) or t.text.isdigit():
                break
            j += 1
        while j > i + head and not toks[j - 1].is_word:
            j -= 1
        if j > i + head or fold(text[toks[i].start : toks[j - 1].end]) in lx.ISSUER_NAMES:
            out.append(
                Mention(
                    text[toks[i].start : toks[j - 1].end], toks[i].start, toks[j - 1].end, generic
                )
            )
        i = max(j, i + 1)
    return out


def is_issuer(name: str) -> bool:
    """The committee that issues the plan, or its standing bodies: not a unit in charge."""
    folded = fold(name)
    return folded in lx.ISSUER_NAMES or any(
        folded == p or folded.startswith(p + " ") for p in lx.ISSUER_PREFIXES
    )


class Names:
    """The names of a plan, each short name mapped to its one full form."""

    def __init__(self, mentions: Iterable[str]) -> None:
        counts = Counter(fold(m) for m in mentions)
        self.display: dict[str, str] = {}
        for m in mentions:
            self.display.setdefault(fold(m), m)
        self.full: dict[str, str] = {}
        for short in counts:
            longer = [
                k for k in counts if k != short and k.startswith(short + " ") and not is_issuer(k)
            ]
            if not longer:
                continue
            own = [k for k in longer if k.endswith(("dang uy khoi", "dang bo khoi"))]
            choice = own or longer
            self.full[short] = max(choice, key=lambda k: (counts[k], -len(k)))

    def canonical(self, name: str) -> str:
        key = fold(name)
        key = self.full.get(key, key)
        return self.display.get(key, name)


def _tail(folded: str) -> str:
    for kind in sorted(lx.UNIT_KIND_WORDS, key=len, reverse=True):
        if folded.startswith(kind + " "):
            return folded[len(kind) + 1 :]
    return ""


def match_unit(name: str, units: Sequence[Unit]) -> Unit | None:
    """The unit of the office's list that `name` is: the same name folded, or the same name after
    the kind word ("Đảng ủy Đài Phát thanh" is "Đảng bộ Đài Phát thanh"), or its code."""
    folded = fold(name)
    for unit in units:
        if fold(unit.name) == folded or unit.code.casefold() == name.strip().casefold():
            return unit
    tail = _tail(folded)
    if tail:
        for unit in units:
            if _tail(fold(unit.name)) == tail:
                return unit
    return None
