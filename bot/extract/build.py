"""From a plan's lines to its activities: the sections are read by their headings (purpose,
content, timetable, "TỔ CHỨC THỰC HIỆN"), the content's numbered items become activities (split
where their parts need it, see bot/extract/pieces.py), a timetable's rows give their windows to
the activities they name, and the assignments give their units to the activities they describe.

An assignment or a timetable row is matched with an activity by the words they share (see
bot/extract/similar.py). A row no activity matches is an activity of its own ("Việc triển khai Kế
hoạch tới cơ sở hoàn thành trước ngày 10/6/2019"), and so is an assignment a unit leads that no
activity matches ("Giao Đoàn thanh niên Khối: chủ trì ... chương trình văn nghệ (5 tiết mục)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.domain import Unit
from bot.extract import lexicon as lx
from bot.extract.assign import (
    Clause,
    Subject,
    clauses,
    inline_units,
    strip_roles,
    subject_of,
)
from bot.extract.header import plan_info, reference_date
from bot.extract.model import Activity, Draft, PlanInfo, Win
from bot.extract.outline import BULLET, PARA, PARA_ITEM, SECTION, Node, parse
from bot.extract.pieces import Link, Piece, Segment, item_piece, segments, windows_in
from bot.extract.quotas import find_quota
from bot.extract.similar import Index, features
from bot.extract.units import Names, find_units, is_issuer, match_unit
from bot.extract.warnings import warnings_for
from bot.vntext import fold

# An assignment (or a timetable row) matches an activity that has at least MATCH of its words
# (weighted by rarity), or whose own words are at least MATCH in it while it has LEAST_SHARE of
# its words in the activity (a short heading: "Công tác tuyên truyền"). The best match wins, with
# the others scoring nearly as well (NEAR_BEST of the best's score: its share plus half the
# activity's share). An assignment no activity matches is tried again part by part, between its
# commas ("xây dựng đề cương tuyên truyền, chương trình tổ chức Lễ kỷ niệm"). A timetable row
# must share LEAST_SHARE of its words with the activity both ways, since it gives it a window.
MATCH = 0.5
LEAST_SHARE = 0.15
NEAR_BEST = 0.85
MIN_WORDS = 4
MIN_RARE = 2
TITLE_MAX = 160


@dataclass
class _Row:
    text: str
    core: str
    windows: list[Win]
    line: int
    ref: str


@dataclass
class _Found:
    roots: list[Piece] = field(default_factory=list)  # activities' pieces, in document order
    clauses: list[Clause] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)


def _heading_is(text: str, words: tuple[str, ...]) -> bool:
    folded = " ".join(re.findall(r"[a-z0-9/]+", fold(text)))
    return any(folded == w or folded.startswith(w + " ") for w in words)


def _section_kind(text: str) -> str:
    if _heading_is(text, lx.SECTION_PURPOSE):
        return "purpose"
    if _heading_is(text, lx.SECTION_ORGANISATION):
        return "org"
    if _heading_is(text, lx.SECTION_TIMETABLE):
        return "timetable"
    if _heading_is(text, lx.SECTION_FUNDS) or _heading_is(text, lx.SECTION_SLOGANS):
        return "skip"
    return "content"


def _closing(text: str) -> bool:
    folded = fold(text)
    return any(c in folded for c in lx.CLOSING)


def _ref(prefix: str, node: Node) -> str:
    label = node.label
    if node.kind == SECTION:
        return label
    parts = [p for p in (prefix, label) if p]
    if node.kind == PARA or node.kind == PARA_ITEM or node.kind == BULLET:
        return prefix
    if "." in label and prefix.count(".") >= 1:
        parts = [prefix.split(".")[0], label]
    return ".".join(parts)


class _Reader:
    def __init__(self, ref: date | None) -> None:
        self.ref = ref
        self.found = _Found()

    # ---- walking the outline

    def section(self, node: Node) -> None:
        kind = _section_kind(node.text)
        if kind in ("purpose", "skip"):
            return
        self.children(node, node.label, kind)

    def children(self, node: Node, prefix: str, kind: str) -> None:
        para_items = 0
        bullets = 0
        for child in node.children:
            if child.kind == PARA_ITEM:
                if _closing(child.text) or child.text.rstrip().endswith(":"):
                    continue
                para_items += 1
                self.item(child, f"{prefix}.p{para_items}" if prefix else f"p{para_items}", kind)
            elif child.kind == BULLET and node.kind == SECTION:
                bullets += 1
                self.item(child, f"{prefix}.b{bullets}" if prefix else f"b{bullets}", kind)
            elif child.is_item:
                self.item(child, _ref(prefix, child), kind)

    def item(self, node: Node, ref: str, kind: str) -> None:
        if _heading_is(node.text, lx.SECTION_FUNDS) or _heading_is(node.text, lx.SECTION_SLOGANS):
            return
        if _heading_is(node.text, lx.SECTION_TIMETABLE) and (node.children or kind == "timetable"):
            self.timetable(node, ref)
            return
        if kind == "timetable":
            self.row(node.text, node.line, ref)
            return
        node.children = [c for c in node.children if not (c.kind == PARA and _closing(c.text))]
        if node.items():
            if kind == "org":
                subject, names, offset = subject_of(node.text)
                if subject is Subject.UNIT:
                    self.assignment(names, node, offset, ref)
                    return
            self.children(node, ref, kind)
            return
        if kind == "org":
            self.org_item(node, ref)
        else:
            self.found.roots.append(item_piece(node, ref, self.ref))

    def timetable(self, node: Node, ref: str) -> None:
        for child in node.children:
            text = " ".join(n.text for n in child.walk() if n.text)
            self.row(text, child.line, ref)

    def row(self, text: str, line: int, ref: str) -> None:
        windows = windows_in(text, self.ref, line)
        if not any(w.dated for w in windows):
            return
        core = text
        for w in windows:
            core = core.replace(w.words, " ")
        words = core.split()
        kept: list[str] = []
        k = 0
        while k < len(words):
            tail = " ".join(fold(w).strip(".,;:") for w in words[k : k + 3])
            filler = next(
                (f for f in lx.ROW_FILLERS if tail == f or tail.startswith(f + " ")), None
            )
            if filler is None:
                kept.append(words[k])
                k += 1
            else:
                k += len(filler.split())
        core = " ".join(kept)
        self.found.rows.append(_Row(text, core, windows, line, ref))

    # ---- "TỔ CHỨC THỰC HIỆN"

    def org_item(self, node: Node, ref: str) -> None:
        subject, names, offset = subject_of(node.text)
        if subject is Subject.UNIT:
            self.assignment(names, node, offset, ref)
            return
        piece = item_piece(node, ref, self.ref)
        piece.org = True
        kept = []
        for child in piece.children:
            sub, sub_names, sub_offset = subject_of(child.text)
            if sub is Subject.UNIT:
                head = child.nodes[0]
                self.add_clauses(sub_names, head.text[sub_offset:], head.line, ref)
                for nested in child.walk()[1:]:
                    for n in nested.nodes:
                        self.add_clauses(sub_names, n.text, n.line, ref)
                # paragraphs after the line speak to the whole item ("Yêu cầu các ban ...")
                piece.nodes.extend(n for n in child.nodes[1:] if n.kind == PARA)
            else:
                kept.append(child)
        piece.children = kept
        piece.nodes.sort(key=lambda n: n.line)
        piece.windows = [w for n in piece.nodes for w in windows_in(n.text, self.ref, n.line)]
        if subject is Subject.EVERY:
            piece.links.append(Link("", False, 0.0, piece.line, 0))  # marks "every unit"
        self.found.roots.append(piece)

    def assignment(self, names: list[str], node: Node, offset: int, ref: str) -> None:
        rest = node.text[offset:].strip(" :.-")
        if len(rest.split()) >= 2:
            self.add_clauses(names, rest, node.line, ref)
        for child in node.children:
            if child.is_item:
                text = " ".join(n.text for n in child.walk())
                self.add_clauses(names, text, child.line, ref)
                continue
            for n in child.walk():
                self.add_clauses(names, n.text, n.line, ref)

    def add_clauses(self, names: list[str], text: str, line: int, ref: str) -> None:
        for clause in clauses(names, text, line, ref):
            clause.windows = windows_in(clause.text, self.ref, line)
            self.found.clauses.append(clause)


# ---------------------------------------------------------------------------------------------
# Matching


def _targets(roots: Iterable[Piece]) -> list[Piece]:
    return [p for root in roots for p in root.walk()]


def _best(
    index: Index, query: str, targets: Sequence[Piece], minimum: float, mutual: bool = False
) -> list[tuple[Piece, float]]:
    """The pieces `query` matches (see MATCH); `mutual`: each must have LEAST_SHARE of the
    other's words (a timetable row dates an activity only then)."""
    q = features(query)
    if sum(" " not in f for f in q) < MIN_WORDS or index.informative(q) < MIN_RARE:
        return []  # too short or too common to tell activities apart ("các đoàn thể Khối")
    scored = []
    for p in targets:
        t = features(p.text)
        covered, covering = index.coverage(q, t), index.coverage(t, q)
        if mutual and min(covered, covering) < LEAST_SHARE:
            continue
        if covered >= minimum or (covering >= minimum and covered >= LEAST_SHARE):
            scored.append((p, covered + covering / 2))
    if not scored:
        return []
    top = max(s for _p, s in scored)
    return [(p, s) for p, s in scored if s >= NEAR_BEST * top]


def _link_rows(found: _Found, index: Index, ref_for: dict[str, int]) -> None:
    targets = _targets(found.roots)
    for row in found.rows:
        best = _best(index, row.core, targets, MATCH, mutual=True)
        if best:
            piece, _score = max(best, key=lambda b: (b[1], -len(b[0].text)))
            piece.linked.extend(w for w in row.windows if w.dated)
            continue
        ref_for[row.ref] = ref_for.get(row.ref, 0) + 1
        node = Node(PARA, "", row.text, [row.line])
        piece = Piece([node], f"{row.ref}#{ref_for[row.ref]}")
        piece.windows = list(row.windows)
        found.roots.append(piece)


def _link_clauses(found: _Found, index: Index, ref_for: dict[str, int]) -> None:
    for lead_pass in (True, False):
        targets = _targets(found.roots)
        for clause in (c for c in found.clauses if c.lead == lead_pass):
            best = (
                []
                if any(w.dated for w in clause.windows)
                else _best(index, clause.core, targets, MATCH)
            )
            if not best and not any(w.dated for w in clause.windows):
                for part in clause.core.split(","):
                    best += [b for b in _best(index, part, targets, MATCH) if b not in best]
            if best:
                for piece, score in best:
                    for name in clause.subjects:
                        piece.links.append(Link(name, clause.lead, score, clause.line, 2))
                    for name in clause.partners:
                        piece.links.append(Link(name, not clause.lead, score, clause.line, 1))
                continue
            if not clause.lead:
                continue  # a unit helping with something no activity names
            ref_for[clause.ref] = ref_for.get(clause.ref, 0) + 1
            node = Node(PARA, "", clause.text, [clause.line])
            piece = Piece([node], f"{clause.ref}#{ref_for[clause.ref]}", org=True)
            piece.windows = list(clause.windows)
            piece.links = [Link(n, True, 1.0, clause.line, 2) for n in clause.subjects]
            piece.links += [Link(n, False, 1.0, clause.line, 2) for n in clause.partners]
            found.roots.append(piece)


def _inline(found: _Found) -> None:
    for piece in _targets(found.roots):
        leads, supports = inline_units(piece.text)
        piece.links += [Link(n, True, 1.0, piece.line, 3) for n in leads]
        piece.links += [Link(n, False, 1.0, piece.line, 3) for n in supports]


# ---------------------------------------------------------------------------------------------
# Activities


def _title(text: str, org: bool = False) -> str:
    text = " ".join(text.split())
    if org:
        text = strip_roles(text)
    for mark in (". ", "; "):
        cut = text.find(mark)
        if cut > 0:
            text = text[:cut]
    text = text.rstrip(" .;:")
    if len(text) > TITLE_MAX:
        text = text[: TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text or "?"


def _window(seg: Segment) -> tuple[Win | None, list[Win]]:
    own = [w for p in seg.pieces for w in p.windows]
    linked = [w for p in seg.pieces for w in p.linked]
    dated = [w for w in own if w.dated] or [w for w in linked if w.dated]
    if not dated:
        dated = [w for w in seg.inherited if w.dated]
    ongoing = [w for w in own if not w.dated]
    window = dated[0] if dated else (ongoing[0] if ongoing else None)
    if window is None:
        return None, []
    others: list[Win] = []
    seen = {window.key}
    for w in [*own, *linked]:
        if w.dated and w.key not in seen:
            seen.add(w.key)
            others.append(w)
    return window, others


def _majority(leads: list[Link]) -> Link | None:
    """The unit in charge: said in the activity itself first; else the unit the most
    assignments give the activity's parts, the best matched one when as many give another."""
    if not leads:
        return None
    top = max(k.priority for k in leads)
    best: dict[str, list[Link]] = {}
    for k in leads:
        if k.priority == top:
            best.setdefault(fold(k.name), []).append(k)
    group = max(best.values(), key=lambda g: (len(g), max(k.score for k in g)))
    return max(group, key=lambda k: k.score)


def _units(seg: Segment) -> tuple[str | None, list[str], int | None, bool]:
    """Lead, supporting units, the line saying so, and whether it speaks to every unit."""
    own = [k for p in seg.pieces for k in p.links]
    every = any(k.name == "" for k in own)
    links = [k for k in own if k.name]
    leads = [k for k in links if k.lead]
    if not leads:
        for ancestor in seg.ancestors:
            inherited = [k for k in ancestor.links if k.name]
            if any(k.lead for k in inherited):
                links = links + inherited
                leads = [k for k in inherited if k.lead]
                break
    lead = _majority(leads)
    support: list[str] = []
    for k in sorted(links, key=lambda k: (-k.priority, -k.score)):
        if lead is not None and fold(k.name) == fold(lead.name):
            continue
        if all(fold(k.name) != fold(s) for s in support):
            support.append(k.name)
    return (lead.name if lead else None), support, (lead.line if lead else None), every


def _form(text: str, quota_per_unit: bool) -> str:
    """The preset a task's words call for: a nomination list, a team's registration (a team
    and a word that registers or fields it), a count when a quota bounds each unit, else
    progress (whose answer takes files: an article, a report)."""
    folded = fold(text)
    if any(w in folded for w in lx.NOMINATION_WORDS):
        return "nomination"
    words = f" {' '.join(lx.bare_words(text))} "
    if any(f" {w} " in words for w in lx.REGISTRATION_WORDS) and any(
        f" {w} " in words for w in lx.TEAM_WORDS
    ):
        return "registration"
    return "count" if quota_per_unit else "progress"


def _activity(seg: Segment, ref: str) -> Activity:
    pieces = seg.pieces
    details = "\n".join(
        f"- {n.text}" if n.kind == BULLET else n.text for p in pieces for n in p.nodes if n.text
    )
    window, others = _window(seg)
    lead, support, lead_line, every = _units(seg)
    lines = sorted({line for p in pieces for line in p.lines})
    for w in (window, *others):
        if w is not None and w.line not in lines:
            lines = sorted({*lines, w.line})
    folded = fold(details)
    every = every or any(p in folded for p in lx.EVERY_UNIT)
    quota = find_quota(details)
    return Activity(
        ref=ref,
        title=_title(seg.main.text, seg.main.org),
        details=details,
        lines=lines,
        window=window,
        other_windows=others,
        lead=lead,
        support=support,
        lead_line=lead_line,
        every_unit=every,
        quota=quota,
        form=_form(details, quota.per_unit_min is not None or quota.per_unit_max is not None),
    )


def _refs(segs: list[tuple[Segment, Piece]]) -> list[str]:
    """ "II.6" for an item that is one activity; "II.6.a", "II.6.b" for its parts; the same for
    the activities read from one assignment or one timetable ("III.3.a", "III.3.b")."""
    by_base: dict[str, list[int]] = {}
    for k, (_seg, root) in enumerate(segs):
        by_base.setdefault(root.ref.split("#")[0], []).append(k)
    refs = [""] * len(segs)
    for base, members in by_base.items():
        for n, k in enumerate(members):
            refs[k] = base if len(members) == 1 else f"{base}.{_letter(n)}"
    seen: dict[str, int] = {}
    for k, ref in enumerate(refs):
        ref = ref or "?"
        seen[ref] = seen.get(ref, 0) + 1
        refs[k] = ref if seen[ref] == 1 else f"{ref}-{seen[ref]}"
    return refs


def _letter(n: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[n] if n < len(letters) else f"z{n}"


def _canonical_units(activities: list[Activity], body: str) -> None:
    mentions = [m.name for m in find_units(body) if not m.generic and not is_issuer(m.name)]
    mentions += [a.lead for a in activities if a.lead]
    mentions += [s for a in activities for s in a.support]
    names = Names(mentions)
    for a in activities:
        a.lead = names.canonical(a.lead) if a.lead else None
        support: list[str] = []
        for s in a.support:
            name = names.canonical(s)
            if name != a.lead and name not in support:
                support.append(name)
        a.support = support


def _codes(activities: list[Activity], units: Sequence[Unit]) -> None:
    for a in activities:
        lead = match_unit(a.lead, units) if a.lead else None
        a.lead_code = lead.code if lead else None
        a.support_codes = []
        for s in a.support:
            unit = match_unit(s, units)
            if unit is not None and unit.code not in a.support_codes and unit.code != a.lead_code:
                a.support_codes.append(unit.code)


def _audience(activities: list[Activity]) -> None:
    for a in activities:
        a.audience = "all" if a.every_unit or not a.lead_code else "lead"


def extract(lines: list[str], *, source: str, units: Sequence[Unit] | None = None) -> Draft:
    """Read a plan's lines (as `bot.extract.document.read_lines` gives them)."""
    outline = parse(lines)
    info: PlanInfo = plan_info(lines, outline, source, Path(source).stem)
    reader = _Reader(reference_date(info))
    for section in outline.sections:
        reader.section(section)
    found = reader.found
    texts = [p.text for p in _targets(found.roots)]
    texts += [c.core for c in found.clauses] + [r.core for r in found.rows]
    index = Index(texts)
    ref_for: dict[str, int] = {}
    _link_rows(found, index, ref_for)
    _inline(found)
    _link_clauses(found, index, ref_for)
    segs: list[tuple[Segment, Piece]] = []
    for root in sorted(found.roots, key=lambda p: p.line):
        segs.extend((seg, root) for seg in segments(root))
    refs = _refs(segs)
    activities = [_activity(seg, ref) for (seg, _root), ref in zip(segs, refs, strict=True)]
    body = "\n".join(lines[: outline.end_line])
    _canonical_units(activities, body)
    if units is not None:
        _codes(activities, units)
    _audience(activities)
    warnings = warnings_for(info, activities, body, units_known=units is not None)
    return Draft(info, activities, warnings, units is not None)
