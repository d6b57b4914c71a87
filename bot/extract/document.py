"""A plan document as lines of text: .txt as it is, .docx through python-docx (tables row by row,
Word's automatic numbering written out as "1.", "a)", "-"), .pdf through pypdf's text layer.

`read_lines(path)` raises `DocumentError` with the code of a message in messages/vi/extract.j2
(file_missing, file_type, unreadable, no_text_layer) and the values it needs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUFFIXES = (".txt", ".docx", ".pdf")


class DocumentError(Exception):
    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


def read_lines(path: Path) -> list[str]:
    """The document's text, one entry per line (line 1 first)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DocumentError("file_missing", path=str(path))
    if suffix not in SUFFIXES:
        raise DocumentError("file_type", suffix=suffix or path.name)
    try:
        if suffix == ".txt":
            text = _read_txt(path)
        elif suffix == ".docx":
            text = "\n".join(_docx_lines(path))
        else:
            text = _read_pdf(path)
    except DocumentError:
        raise
    except Exception as exc:  # a broken .docx/.pdf raises the library's own errors
        problem = str(exc) or type(exc).__name__
        raise DocumentError("unreadable", path=path.name, problem=problem) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _read_txt(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1258", errors="replace")


# ---------------------------------------------------------------------------------------------
# PDF


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = [page.extract_text() or "" for page in reader.pages]
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentError("no_text_layer", path=path.name, pages=len(reader.pages))
    return text


# ---------------------------------------------------------------------------------------------
# Word


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _format_number(fmt: str, n: int) -> str:
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    return str(n)


class _Numbering:
    """Word's automatic numbering: the text of each numbered paragraph's label ("2.1.", "a)")."""

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> fmt
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for node in root.iter(f"{_W}abstractNum"):
            levels = {}
            for lvl in node.iter(f"{_W}lvl"):
                ilvl = int(lvl.get(f"{_W}ilvl", "0"))
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                start = lvl.find(f"{_W}start")
                levels[ilvl] = (
                    fmt.get(f"{_W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{_W}val", "") if text is not None else "",
                    int(start.get(f"{_W}val", "1")) if start is not None else 1,
                )
            abstract[node.get(f"{_W}abstractNumId", "")] = levels
        for num in root.iter(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is not None:
                self.levels[num.get(f"{_W}numId", "")] = abstract.get(ref.get(f"{_W}val", ""), {})

    @staticmethod
    def _numpr(paragraph: Any) -> Any:
        """The paragraph's numbering, its own or its style's ("List Number", "List Bullet")."""
        ppr = paragraph._p.pPr
        numpr = ppr.find(f"{_W}numPr") if ppr is not None else None
        style = paragraph.style
        while numpr is None and style is not None:
            sppr = style.element.pPr
            numpr = sppr.find(f"{_W}numPr") if sppr is not None else None
            style = style.base_style
        return numpr

    def label(self, paragraph: Any) -> str:
        numpr = self._numpr(paragraph)
        if numpr is None:
            return ""
        num_id_node = numpr.find(f"{_W}numId")
        ilvl_node = numpr.find(f"{_W}ilvl")
        num_id = num_id_node.get(f"{_W}val", "") if num_id_node is not None else ""
        ilvl = int(ilvl_node.get(f"{_W}val", "0")) if ilvl_node is not None else 0
        levels = self.levels.get(num_id)
        if not levels or num_id == "0":
            return ""
        fmt, text, _start = levels.get(ilvl, ("bullet", "", 1))
        if fmt == "bullet" or fmt == "none":
            return "-" if fmt == "bullet" else ""
        counters = self.counters.setdefault(num_id, [0] * 9)
        if counters[ilvl] == 0:
            counters[ilvl] = levels.get(ilvl, ("", "", 1))[2] - 1
        counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0

        def value(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            lvl_fmt = levels.get(level, ("decimal", "", 1))[0]
            count = counters[level] if counters[level] else levels.get(level, ("", "", 1))[2]
            return _format_number(lvl_fmt, count)

        return re.sub(r"%(\d)", value, text)


def _docx_lines(path: Path) -> Iterator[str]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    numbering = _Numbering(document)
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            paragraph = Paragraph(child, document)
            label = numbering.label(paragraph)
            text = paragraph.text
            yield f"{label} {text}" if label and text.strip() else text
        elif child.tag == f"{_W}tbl":
            table = Table(child, document)
            for row in table.rows:
                cells: list[list[str]] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell repeats
                        continue
                    seen.add(id(cell._tc))
                    cells.append([p.text for p in cell.paragraphs])
                height = max((len(c) for c in cells), default=0)
                for k in range(height):
                    parts = [c[k] if k < len(c) else "" for c in cells]
                    yield "\t".join(parts).rstrip()
