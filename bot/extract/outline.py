"""A plan's lines as a tree: sections ("II. NỘI DUNG"), numbered items ("6.", "2.1.", "(3)",
"a)"), bullets ("-", "+", "*") and paragraphs, each node with the line numbers it came from.

Rules:
* A section is a line numbered in Roman numerals; when a plan has none, a numbered line written
  in capitals ("1. MỤC ĐÍCH, YÊU CẦU") is one.
* "2.1." goes under "2.", "(1)" and "a)" under the numbered item before them; bullets go under
  the innermost item, a new kind of bullet mark one level deeper, a mark seen before back to its
  level ("-" then "+" then "-").
* A paragraph that starts with a small letter continues the line before it (a line broken by the
  conversion); any other paragraph belongs to the innermost item, or is an item of its own when
  it stands right under a section.
* Markdown emphasis ("**Thời gian:**") is taken off; a line of digits alone (a page number) is
  left out; the body ends at "Nơi nhận" or the signature ("T/M BAN THƯỜNG VỤ").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.extract import lexicon as lx
from bot.vntext import fold

_BULLET = re.compile(r"^((?:[-\u2013\u2014+\u2022\u25cf\u25cb\u25aa\uf0b7*]\s*)+)(?=\S)")
_ROMAN = re.compile(r"^(?P<n>[IVX]{1,4})\s*[.\-\u2013:)]\s*(?P<t>\S.*)$")
_NUMBER = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2}){0,3})\s*(?:[.)]|[-\u2013](?!\d))\s*(?P<t>\S.*)$")
_PAREN = re.compile(rf"^\((?P<n>\d{{1,2}}|[{lx.LETTER_MARKS}])\)\s*(?P<t>\S.*)$")
_LETTER = re.compile(rf"^(?P<n>[{lx.LETTER_MARKS}])\s*[.)]\s+(?P<t>\S.*)$")
_VALID_ROMAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

SECTION, NUMBER, PAREN, LETTER, PARA_ITEM, BULLET, PARA = (
    "section",
    "number",
    "paren",
    "letter",
    "para_item",
    "bullet",
    "para",
)
ITEM_KINDS = frozenset({NUMBER, PAREN, LETTER, PARA_ITEM})


@dataclass
class Node:
    kind: str  # SECTION, NUMBER, PAREN, LETTER, PARA_ITEM, BULLET, PARA; "root" for the top
    label: str  # "II", "2.1", "(1)", "a", the bullet mark, "" for paragraphs
    text: str  # without its mark and emphasis; continuation lines joined with a space
    lines: list[int] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)
    rank: int = 0

    @property
    def line(self) -> int:
        return self.lines[0] if self.lines else 0

    def add(self, child: Node) -> Node:
        child.parent = self
        self.children.append(child)
        return child

    def walk(self) -> list[Node]:
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out

    @property
    def is_item(self) -> bool:
        return self.kind in ITEM_KINDS

    def items(self) -> list[Node]:
        return [c for c in self.children if c.is_item]


@dataclass
class Outline:
    preamble: list[tuple[int, str]]  # (line, text) before the first section
    root: Node
    end_line: int  # the line where the body stopped ("Nơi nhận"), or the last line

    @property
    def sections(self) -> list[Node]:
        return [c for c in self.root.children if c.kind == SECTION]


def clean(text: str) -> str:
    """A line's text without emphasis marks and with single spaces."""
    text = text.replace("**", "").replace("*", " ")
    return " ".join(text.split())


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def is_end_of_body(text: str) -> bool:
    folded = fold(text).lstrip("-* ")
    return any(folded.startswith(p) for p in lx.END_OF_BODY) or any(
        folded.startswith(p) for p in lx.SIGNATURE
    )


@dataclass
class _Line:
    number: int
    kind: str
    label: str
    text: str


def _classify(number: int, raw: str, uppercase_sections: bool) -> _Line | None:
    stripped = raw.replace("**", "").strip()
    if not stripped or stripped.isdigit():
        return None
    if (m := _ROMAN.match(stripped)) and m["n"] in _VALID_ROMAN:
        return _Line(number, SECTION, m["n"], clean(m["t"]))
    if m := _NUMBER.match(stripped):
        text = clean(m["t"])
        if uppercase_sections and "." not in m["n"] and _is_upper(text):
            return _Line(number, SECTION, m["n"], text)
        return _Line(number, NUMBER, m["n"], text)
    if m := _PAREN.match(stripped):
        return _Line(number, PAREN, f"({m['n']})", clean(m["t"]))
    if m := _LETTER.match(stripped):
        return _Line(number, LETTER, m["n"], clean(m["t"]))
    if m := _BULLET.match(stripped):
        marks = m.group(1).replace(" ", "")
        mark = marks[-1]
        text = clean(stripped[m.end() :])
        if text:
            return _Line(number, BULLET, mark, text)
        return None
    return _Line(number, PARA, "", clean(stripped))


def _rank(kind: str, label: str) -> int:
    if kind == SECTION:
        return 0
    if kind == NUMBER:
        return label.count(".") + 1
    if kind == PARA_ITEM:
        return 9
    if kind == PAREN:
        return 10
    if kind == LETTER:
        return 11
    return 20


def parse(lines: list[str]) -> Outline:
    """The tree of a plan's lines (line numbers start at 1)."""
    has_roman = any(
        (m := _ROMAN.match(line.replace("**", "").strip())) is not None
        and m["n"] in _VALID_ROMAN
        and _is_upper(m["t"])
        for line in lines
    )
    classified = [_classify(n, raw, not has_roman) for n, raw in enumerate(lines, start=1)]
    has_sections = any(c is not None and c.kind == SECTION for c in classified)
    implicit_start = None
    if not has_sections:  # no headings at all: the body starts at the first numbered line
        implicit_start = next((c.number for c in classified if c and c.kind == NUMBER), None)
    root = Node("root", "", "", rank=-1)
    preamble: list[tuple[int, str]] = []
    stack: list[Node] = [root]
    bullet_marks: dict[int, list[str]] = {}  # id(item) -> bullet marks by level
    previous: Node | None = None
    end_line = len(lines)
    started = False
    for number, raw in enumerate(lines, start=1):
        line = classified[number - 1]
        if line is None:
            continue
        if number == implicit_start:
            started = True
            stack.append(root.add(Node(SECTION, "", "", [number], rank=0)))
        if started and is_end_of_body(line.text):
            end_line = number
            break
        if line.kind == SECTION and (has_roman or _is_upper(line.text)):
            started = True
        elif not started:
            preamble.append((number, clean(raw)))
            continue
        if line.kind == PARA and previous is not None and line.text[:1].islower():
            previous.text = f"{previous.text} {line.text}"
            previous.lines.append(number)
            continue
        kind = line.kind
        if kind == PARA:
            item = next((n for n in reversed(stack) if n.is_item), None)
            if item is None or item.kind == PARA_ITEM:
                kind = PARA_ITEM
            else:
                while stack[-1] is not item:
                    stack.pop()
                node = item.add(Node(PARA, "", line.text, [number], rank=30))
                previous = node
                continue
        if kind == BULLET:
            owner = next((n for n in reversed(stack) if n.kind != BULLET), root)
            marks = bullet_marks.setdefault(id(owner), [])
            if line.label in marks:
                level = marks.index(line.label)
                del marks[level + 1 :]
            else:
                marks.append(line.label)
                level = len(marks) - 1
            rank = 20 + level
        else:
            rank = _rank(kind, line.label)
        while stack[-1] is not root and stack[-1].rank >= rank:
            stack.pop()
        node = stack[-1].add(Node(kind, line.label, line.text, [number], rank=rank))
        stack.append(node)
        previous = node
    return Outline(preamble, root, end_line)


def own_text(node: Node) -> str:
    return node.text


def subtree_text(node: Node) -> str:
    return " ".join(n.text for n in node.walk() if n.text)


def subtree_lines(node: Node) -> list[int]:
    return sorted({line for n in node.walk() for line in n.lines})
