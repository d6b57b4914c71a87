"""The pieces of an activity and when an item is more than one activity.

A numbered item is one activity, its bullets and paragraphs its details, unless its parts need
telling apart:

* two parts (or the item's own line and a part) carry different windows ("Thời gian thi đua: từ
  tháng 12/2023 đến 30/4/2024" and "Tổng kết ...: trước ngày 20/4/2024"), or
* two parts name different units in charge ("Giao cho Hội Cựu chiến binh khối chủ trì" and
  "Giao Đoàn TNCS Hồ Chí Minh khối chủ trì").

Then each part that is an action of its own becomes an activity (ref "II.6.a", "II.6.b"...). A
part that describes ("Thời gian: ...", "Khen thưởng: ...", the lines of a list after "gồm:") stays
with the activity before it, unless it brings a second window: then it starts one. The item's own
line is an activity only when something stays with it; its window goes to the parts that have none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.extract import lexicon as lx
from bot.extract.model import Win
from bot.extract.outline import BULLET, PARA, Node
from bot.timeexpr import find_recurrence, find_windows, is_inverted
from bot.vntext import fold

_LABEL = re.compile(r"^([^:\d]{1,60}):")
_QUOTES = ("\u201c", '"', "\u00ab")


@dataclass
class Link:
    """A unit an assignment gives a piece: `lead` (chủ trì) or support (phối hợp)."""

    name: str
    lead: bool
    score: float
    line: int
    priority: int  # 3: said in the activity itself, 2: an assignment, 1: a partner of one


@dataclass
class Piece:
    nodes: list[Node]
    ref: str
    attached: bool = False
    children: list[Piece] = field(default_factory=list)
    parent: Piece | None = field(default=None, repr=False)
    windows: list[Win] = field(default_factory=list)
    linked: list[Win] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    org: bool = False  # from "TỔ CHỨC THỰC HIỆN"
    group: bool = False  # a heading only: its text describes the pieces under it

    @property
    def text(self) -> str:
        return " ".join(n.text for n in self.nodes if n.text)

    @property
    def line(self) -> int:
        return self.nodes[0].line

    @property
    def lines(self) -> list[int]:
        return [line for n in self.nodes for line in n.lines]

    def walk(self) -> list[Piece]:
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out

    @property
    def head_windows(self) -> list[Win]:
        return self.windows + self.linked

    def subtree_windows(self) -> list[Win]:
        return [w for p in self.walk() for w in p.head_windows]

    def inline_lead(self) -> str | None:
        leads = [k for k in self.links if k.lead and k.priority >= 3]
        return leads[0].name if leads else None

    def subtree_inline_lead(self) -> str | None:
        for p in self.walk():
            lead = p.inline_lead()
            if lead:
                return lead
        return None


# ---------------------------------------------------------------------------------------------
# Windows of a text


def windows_in(text: str, ref: date | None, line: int) -> list[Win]:
    """The windows of one line of a plan: a bare year ("nhiệm vụ năm 2024") is not one; a
    recurrence ("mỗi tháng") joins the window it follows ("từ tháng 01 trở đi, mỗi tháng")."""
    found = []
    for f in find_windows(text, ref=ref):
        w = f.window
        if w.kind == "year" and fold(w.words).startswith("nam"):
            continue
        found.append(f)
    dated = [f for f in found if f.window.kind != "ongoing"]
    ongoing = [f for f in found if f.window.kind == "ongoing"]
    repeat = find_recurrence(text) if ongoing else None
    out: list[Win] = []
    for k, f in enumerate(dated):
        w = f.window
        words = w.words
        if k == 0 and ongoing:
            after = [o for o in ongoing if 0 <= o.span[0] - f.span[1] <= 3]
            if after:
                words = " ".join(text[f.span[0] : after[0].span[1]].split())
        out.append(
            Win(
                w.start,
                w.end,
                words,
                w.kind,
                w.tentative,
                line,
                repeat if k == 0 else None,
                is_inverted(w),
            )
        )
    if not dated and ongoing:
        w = ongoing[0].window
        out.append(Win(None, None, w.words, "ongoing", w.tentative, line, repeat))
    return out


# ---------------------------------------------------------------------------------------------
# Pieces of an item


def is_attribute(text: str) -> bool:
    """ "Thời gian: ...", "Địa điểm: ...", "Khen thưởng: ..." describe their activity."""
    folded = fold(text)
    if any(folded == a or folded.startswith(a + " ") for a in lx.ATTRIBUTES):
        return True
    m = _LABEL.match(text)
    if m is None or len(m.group(1).split()) > 5:
        return False
    return not text[m.end() :].lstrip().startswith(_QUOTES)  # "Xuất bản Tập san: “...”" acts


def _bullet_piece(node: Node, ref: str, ref_year: date | None) -> Piece:
    piece = Piece([node], ref)
    listing = node.text.rstrip().endswith(":")
    for k, child in enumerate(c for c in node.children if c.kind == BULLET):
        sub = _bullet_piece(child, f"{ref}.{k + 1}", ref_year)
        sub.attached = listing or is_attribute(child.text)
        sub.parent = piece
        piece.children.append(sub)
    return piece


def item_piece(node: Node, ref: str, ref_year: date | None) -> Piece:
    """A numbered item (or a paragraph standing as one) with its bullets as parts."""
    piece = Piece([node], ref)
    current: Piece | None = None
    for child in node.children:
        if child.kind == PARA:
            (current or piece).nodes.append(child)
        elif child.kind == BULLET:
            current = _bullet_piece(child, f"{ref}.{len(piece.children) + 1}", ref_year)
            current.parent = piece
            piece.children.append(current)
    listing = piece.nodes[-1].text.rstrip().endswith(":")
    for c in piece.children:
        c.attached = listing or is_attribute(c.text)
    for p in piece.walk():
        p.windows = [w for n in p.nodes for w in windows_in(n.text, ref_year, n.line)]
    return piece


# ---------------------------------------------------------------------------------------------
# One activity or several


def _main_key(windows: list[Win]) -> tuple[date | None, date | None, str | None] | None:
    dated = [w for w in windows if w.dated]
    return dated[0].key if dated else None


def needs_split(piece: Piece) -> bool:
    if not piece.children:
        return False
    if any(needs_split(c) for c in piece.children):
        return True
    keys = []
    own = _main_key(piece.head_windows)
    if own is not None:
        keys.append(own)
    for c in piece.children:
        key = _main_key(c.subtree_windows())
        if key is not None:
            keys.append(key)
    if len(keys) >= 2 and len(set(keys)) >= 2:
        return True
    leads = {lead for c in piece.children if (lead := c.subtree_inline_lead())}
    return len(leads) >= 2


@dataclass
class Segment:
    """The pieces one activity is made of: `main` and what stays with it."""

    main: Piece
    pieces: list[Piece]
    inherited: list[Win]  # windows of the heading it was split from
    ancestors: list[Piece]  # the headings it was split from, nearest first
    split: bool = False  # one of several parts of an item

    def windows(self) -> list[Win]:
        return [w for p in self.pieces for w in p.head_windows]


def segments(piece: Piece, inherited: list[Win] | None = None) -> list[Segment]:
    inherited = inherited or []
    if not needs_split(piece):
        return [Segment(piece, piece.walk(), inherited, _ancestors(piece))]
    down = piece.head_windows or inherited
    head = Segment(piece, [piece], inherited, _ancestors(piece), split=True)
    out: list[Segment] = []
    current: Segment | None = head
    for child in piece.children:
        if needs_split(child) or not child.attached:
            parts = segments(child, down)
            for s in parts:
                s.split = True
            out.extend(parts)
            current = parts[-1] if parts else current
            continue
        target = current or head
        if _main_key(child.subtree_windows()) is not None and _main_key(target.windows()):
            seg = Segment(child, child.walk(), down, _ancestors(child), split=True)
            out.append(seg)
            current = seg
        else:
            target.pieces.extend(child.walk())
    if len(head.pieces) > 1 or not out:
        out.insert(0, head)
    return out


def _ancestors(piece: Piece) -> list[Piece]:
    out = []
    p = piece.parent
    while p is not None:
        out.append(p)
        p = p.parent
    return out
