"""Who does what: the subject of a line in "TỔ CHỨC THỰC HIỆN" ("Giao Ban Tuyên giáo Đảng ủy
Khối", "- Văn phòng Đảng ủy Khối chủ trì ...", "Các chi, đảng bộ cơ sở ..."), the clauses of an
assignment, and the units an activity names itself ("Giao cho Hội Cựu chiến binh khối chủ trì").

A clause is a sentence or a part between semicolons. Its unit leads (chủ trì) unless the clause
starts with "Phối hợp", "Giúp", "Tham gia": then the unit supports. The units after "phối hợp với"
in a clause the subject leads are its supporting units. A clause keeps the role of the first
clause of its line when it says none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.extract import lexicon as lx
from bot.extract.lexicon import bare_words, fold_chars
from bot.extract.model import Win
from bot.extract.units import Mention, find_units, is_issuer, nfc
from bot.vntext import fold


class Subject(StrEnum):
    UNIT = "unit"  # one or more units of the office: an assignment
    EVERY = "every"  # every unit that reports: an activity for all
    ISSUER = "issuer"  # the committee itself: an activity
    NONE = "none"  # anything else (people, "Các ban, đơn vị ..."): an activity


@dataclass
class Clause:
    subjects: list[str]
    lead: bool
    text: str
    core: str  # what is to be done, for comparing with the activities
    partners: list[str]
    line: int
    ref: str
    windows: list[Win] = field(default_factory=list)


def _strip_prefix(text: str) -> int:
    """The length of "Giao cho", "Giao", "Đối với" at the start of text."""
    folded = fold(text)
    for prefix in sorted((*lx.ASSIGN_TO, *lx.TOWARDS), key=len, reverse=True):
        if folded.startswith(prefix + " "):
            words = len(prefix.split())
            m = re.match(rf"^\s*(?:\S+\s+){{{words}}}", text)
            return m.end() if m else 0
    return 0


def subject_of(text: str) -> tuple[Subject, list[str], int]:
    """Who a line of "TỔ CHỨC THỰC HIỆN" speaks to, their names, and where the rest starts."""
    text = nfc(text)
    skip = _strip_prefix(text)
    rest = text[skip:]
    folded = fold(rest)
    if any(folded.startswith(p) for p in lx.EVERY_UNIT_SUBJECT):
        return Subject.EVERY, [], 0
    mentions = find_units(rest)
    if not mentions or mentions[0].start > 1 or mentions[0].generic:
        return Subject.NONE, [], 0
    names: list[Mention] = [mentions[0]]
    end = mentions[0].end
    for m in mentions[1:]:
        between = fold(rest[end : m.start]).strip(" ,")
        if between not in ("", "va"):
            break
        names.append(m)
        end = m.end
    if is_issuer(names[0].name):
        return Subject.ISSUER, [n.name for n in names], skip + end
    units = [n.name for n in names if not n.generic and not is_issuer(n.name)]
    if not units:
        return Subject.NONE, [], 0
    return Subject.UNIT, units, skip + end


# ---------------------------------------------------------------------------------------------
# Clauses

_SPLIT = re.compile(lx.CLAUSE_BREAK)


def _pieces(text: str) -> list[str]:
    parts = [p.strip(" ,.-") for p in _SPLIT.split(text)]
    return [p for p in parts if p]


def _starts_support(text: str) -> bool:
    folded = fold(text).lstrip(" ,-")
    return any(folded.startswith(w + " ") or folded == w for w in lx.SUPPORT_START)


def _partners(text: str) -> list[str]:
    folded = fold_chars(text)
    positions = [folded.find(w + " ") for w in lx.SUPPORT_WITH if w + " " in folded]
    if not positions:
        return []
    start = min(positions)
    after = text[start:]
    return [m.name for m in find_units(after) if not m.generic and not is_issuer(m.name)]


_WITH = lx.WITH


def core_of(text: str) -> str:
    """What a clause asks to be done: without unit names, role words and where/why tails."""
    text = nfc(text)
    for m in reversed(find_units(text)):
        text = text[: m.start] + " " + text[m.end :]
    words = text.split()
    bare = [" ".join(bare_words(w)) for w in words]
    out: list[str] = []
    skip = 0
    partners = False  # inside "phối hợp với <the units it names>", up to the next verb
    for k, word in enumerate(words):
        if skip:
            skip -= 1
            continue
        tail = " ".join(b for b in bare[k : k + 8] if b)
        if partners:
            verb = any(tail == v or tail.startswith(v + " ") for v in lx.NAME_STOP_PAIRS)
            if not verb and not word.startswith("("):
                continue
            partners = False
        if any(tail == w or tail.startswith(w + " ") for w in _WITH):
            skip = len(_WITH[0].split()) - 1 if tail.startswith(_WITH[0]) else 1
            partners = True
            continue
        role = next((r for r in lx.ROLE_WORDS if tail == r or tail.startswith(r + " ")), None)
        if role is not None:
            skip = len(role.split()) - 1
            continue
        if out and any(tail == c or tail.startswith(c + " ") for c in lx.CIRCUMSTANCE):
            break
        out.append(word)
    return " ".join(out)


def clauses(subjects: list[str], text: str, line: int, ref: str) -> list[Clause]:
    """The clauses of one line of an assignment whose units are `subjects`."""
    out: list[Clause] = []
    first_lead: bool | None = None
    for part in _pieces(nfc(text)):
        opening = find_units(part)
        if out and opening and opening[0].start <= 1 and out[-1].partners:
            # "...phối hợp với Đảng ủy Đài (...); Chi bộ Báo Lào Cai, Chi bộ Hội ... tuyên truyền"
            names = [m.name for m in opening if not m.generic and not is_issuer(m.name)]
            prev = out[-1]
            prev.partners.extend(n for n in names if n not in prev.partners)
            prev.text = f"{prev.text}; {part}"
            prev.core = f"{prev.core} {core_of(part)}"
            continue
        support = _starts_support(part)
        if first_lead is None:
            first_lead = not support
        lead = (not support and first_lead) or any(w in fold(part) for w in lx.LEAD_WORDS)
        out.append(
            Clause(
                subjects=list(subjects),
                lead=lead,
                text=part,
                core=core_of(part),
                partners=_partners(part) if lead else [],
                line=line,
                ref=ref,
            )
        )
    return out


def inline_units(text: str) -> tuple[list[str], list[str]]:
    """Units an activity names itself: leads ("Giao (cho) X chủ trì", "X chủ trì") and
    supporting units ("phối hợp với X")."""
    text = nfc(text)
    folded = fold_chars(text)
    leads: list[str] = []
    for m in find_units(text):
        if m.generic or is_issuer(m.name):
            continue
        before = folded[max(0, m.start - 9) : m.start].strip()
        after = folded[m.end : m.end + 12].strip()
        if before.endswith((lx.ASSIGN, *lx.ASSIGN_TO)) or after.startswith(lx.LEAD_WORDS):
            leads.append(m.name)
    supports = [n for n in _partners(text) if n not in leads]
    return leads, supports


def strip_roles(text: str) -> str:
    """A clause without the role words and units it opens with: "Chủ trì, phối hợp với các đơn
    vị có liên quan tham mưu tổ chức chương trình văn nghệ" -> "Tổ chức chương trình văn nghệ"."""
    text = nfc(text).strip()
    while True:
        stripped = text.lstrip(" ,;:-")
        bare = " ".join(bare_words(stripped))
        role = next((r for r in lx.ROLE_WORDS if bare == r or bare.startswith(r + " ")), None)
        if role is not None:
            m = re.match(r"^\s*" + r"\s+".join(r"\S+" for _ in role.split()), stripped)
            stripped = stripped[m.end() :] if m else stripped
        else:
            units = find_units(stripped)
            if units and units[0].start == 0:
                stripped = stripped[units[0].end :]
            elif stripped.startswith(lx.LEADING_LINKS):
                stripped = stripped.split(" ", 1)[1]
        if stripped == text.lstrip(" ,;:-") or not stripped.strip():
            text = stripped.strip() or text
            break
        text = stripped
    return text[:1].upper() + text[1:]
