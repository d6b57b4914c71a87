"""Time windows as Vietnamese plans write them.

Plans speak of time in windows, not instants: "trong tháng 4/2024", "Quý I/2017", "đầu tháng
02/2022", "trước ngày 20/4/2024", "từ tháng 12/2023 đến 30/4/2024", "mỗi tháng". This module
turns such words into a `Window` (a first and a last day, both inclusive) and keeps the words as
written, because that is how they are shown back to people.

Public API
    parse_when(text, ref=None) -> Window        one expression; WhenError when not understood
    find_windows(text, ref=None) -> list[Found] every window of a longer text, in order
    find_recurrence(text) -> str | None         daily | weekly | monthly | quarterly | yearly
    find_citations(text) -> [(number, date, span)]  dates of the documents a plan cites
    find_header_date(text) -> date | None       "Lào Cai, ngày 10 tháng 6 năm 2019"
    find_plan_number(text) -> str | None        "Số: 422-KH/ĐUS" -> "422-KH/ĐUS"
    is_inverted(w) -> bool  (dates are shown with messages.vn_date: "20/4/2024")

Rules where the language is ambiguous
    * `ref` is the plan's own date. A day or month written without a year takes ref's year, even
      when that lands long before ref ("25.3" with ref 1/11/2024 is 25/3/2024): the next year is
      never guessed from distance. The only roll-over is inside one expression whose end would
      otherwise come before its start: "từ 25/12 đến 5/1" -> 25/12/ref..5/1/ref+1, "từ 15/12 đến
      15/1/2020" -> 15/12/2019..15/1/2020 (the year that is written wins). Without ref and without
      a year, parse_when raises WhenError and find_windows skips the expression.
    * "trước ngày X", "chậm nhất (vào) ngày X", "hạn chót X", "đến (hết) X": end = X, inclusive
      (the plans use "trước ngày" as the deadline day). "trước" + a month, quarter, half or year
      means before it starts ("trước tháng 5/2024" -> end 30/4/2024); the other deadline words
      take the end of the period ("chậm nhất trong tháng 5/2024" -> end 31/5/2024).
    * "kể từ / bắt đầu từ / từ X" with no end ("từ tháng 01 trở đi") -> start X, end None, kind
      "range": the one exception, besides "ongoing", to windows always having an end.
    * "thường xuyên", "hằng/hàng/mỗi ngày|tuần|tháng|quý|năm" -> kind "ongoing", start = ref (or
      None), end None; find_recurrence tells the period.
    * kind "days": a window of whole days inside one month ("04-05/5/2024", "từ 19 - 21/3");
      "months": whole months inside one year ("tháng 9, 10 năm 2018", "từ tháng 1-12/2023");
      every other two-ended window is "range".
    * "đầu tháng" = days 1-10, "giữa tháng" = 11-20, "cuối tháng" = 21 to the month's end.
    * "dự kiến" makes a window tentative when it stands right before it, a few words before it in
      the same clause ("dự kiến tổ chức vào ngày 10/5/2024"), or after it as "(dự kiến)".
    * A window whose end is before its start: parse_when raises WhenError; find_windows returns it
      and is_inverted() tells.
    * In a longer text (find_windows) a date without a year must follow "ngày" or a time word
      ("từ", "đến", "trước", "trong", "vào", "dịp", "dự kiến", ...), and a bare "4/2024" needs such
      a word too ("hoàn thành trong 2/2021"). parse_when takes them bare ("25.3", "2/2021").
    * Not windows: "(10/5/1959-10/5/2024)" anniversary spans (brackets holding two dates with the
      same day and month); a date right after a document number ("Kế hoạch số 150-KH/TU, ngày
      20/10/2022", see find_citations); the header date ("Lào Cai, ngày ..."); durations ("1/2
      ngày", "02 ngày", "15-20 phút", "3 tháng"); year spans and lists ("nhiệm kỳ 2020-2025",
      "giai đoạn 2020 - 2025", "3 năm 2023, 2024, 2025"); in find_windows, a bare date naming a
      founding or tradition day ("ngày truyền thống Đảng bộ Khối ... 07/11/1948"). "đầu/cuối năm
      2024" is left out (no agreed days).
    * An expression read but not placed in the calendar (no year, no such day) yields nothing,
      not a fragment of itself.
    * Words: the original text of the expression (with its "trong", "trước ngày", "dự kiến"),
      markdown asterisks removed and runs of white space made one space.
    * Matching ignores case; a word written without diacritics matches ("thang 4/2024"), a word
      written with other diacritics does not ("trọng" is not "trong"); "Nam" (a name: Việt Nam,
      Quảng Nam) is never "năm".
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

__all__ = [
    "KINDS",
    "Found",
    "WhenError",
    "Window",
    "find_citations",
    "find_header_date",
    "find_plan_number",
    "find_recurrence",
    "find_windows",
    "is_inverted",
    "parse_when",
]

KINDS = frozenset(
    {
        "day",
        "days",
        "month",
        "months",
        "quarter",
        "half",
        "year",
        "before",
        "range",
        "ongoing",
        "part_of_month",
    }
)


class WhenError(ValueError):
    """A time expression was not understood: `reason` says why (the macro `when_<reason>` of
    messages/vi/plan_file.j2 shows it), `values` fill it in (the words quoted as written)."""

    def __init__(self, reason: str, /, **values: object) -> None:
        super().__init__(reason, values)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class Window:
    """A stretch of days, both ends inclusive, and the words that named it."""

    start: date | None  # None: open start ("trước ngày 20/4/2024") or ongoing without ref
    end: date | None  # None: ongoing ("thường xuyên") or open end ("kể từ ngày ...")
    words: str  # the original words, as written, trimmed
    kind: str  # one of KINDS
    tentative: bool = False  # "dự kiến"

    def show(self) -> str:
        """How people write it back: the words they wrote."""
        return self.words


@dataclass(frozen=True)
class Found:
    window: Window
    span: tuple[int, int]  # character offsets in the text


def is_inverted(w: Window) -> bool:
    """True when the window ends before it starts ("từ 30/4/2024 đến 1/12/2023")."""
    return w.start is not None and w.end is not None and w.end < w.start


# --------------------------------------------------------------------------------------------
# Folding: lower case, no diacritics, "đ" -> "d", dashes -> "-", "*" -> " ". One folded
# character per original base character; offsets are mapped both ways.

_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def _fold_char(c: str) -> str:
    if c in _DASHES:
        return "-"
    if c == "*":
        return " "
    base = unicodedata.normalize("NFD", c)[0].lower()[:1] or " "
    return "d" if base == "đ" else base


@lru_cache(maxsize=512)
def _fold_word(word: str) -> str:
    return "".join(_fold_char(c) for c in word if not unicodedata.combining(c))


@dataclass(frozen=True)
class _Folded:
    text: str
    norm: str
    n2o: tuple[int, ...]  # original offset of each folded character
    o2n: tuple[int, ...]  # folded offset of each original offset (len(text) + 1 entries)

    def orig_span(self, ns: int, ne: int) -> tuple[int, int]:
        start = self.n2o[ns]
        end = self.n2o[ne - 1] + 1
        while end < len(self.text) and unicodedata.combining(self.text[end]):
            end += 1
        return start, end


def _fold(text: str) -> _Folded:
    chars: list[str] = []
    n2o: list[int] = []
    o2n: list[int] = []
    for k, c in enumerate(text):
        o2n.append(len(chars))
        if unicodedata.combining(c):
            continue
        chars.append(_fold_char(c))
        n2o.append(k)
    o2n.append(len(chars))
    return _Folded(text, "".join(chars), tuple(n2o), tuple(o2n))


@dataclass(frozen=True)
class _Tok:
    norm: str  # folded
    low: str  # as written, NFC, lower case
    raw: str  # as written
    ns: int  # folded offsets
    ne: int
    gap: bool  # white space right before it

    @property
    def is_num(self) -> bool:
        return self.norm.isascii() and self.norm.isdigit()


_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+|[^\w\s]")


def _tokens(f: _Folded) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(f.norm):
        s, e = f.orig_span(m.start(), m.end())
        raw = f.text[s:e]
        gap = m.start() == 0 or f.norm[m.start() - 1].isspace()
        low = unicodedata.normalize("NFC", raw).lower()
        out.append(_Tok(m.group(), low, raw, m.start(), m.end(), gap))
    return out


# --------------------------------------------------------------------------------------------
# Vocabulary

_UNITS = ("ngày", "buổi", "giờ", "tiếng", "phút", "tuần", "tháng", "năm", "lần")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_FROM = (("kể", "từ"), ("bắt", "đầu", "từ"), ("tính", "từ"), ("từ",))
_DEADLINES: tuple[tuple[tuple[str, ...], bool], ...] = (  # words, "before the period starts"
    (("trước",), True),
    (("chậm", "nhất"), False),
    (("muộn", "nhất"), False),
    (("hạn", "chót"), False),
    (("hạn", "cuối"), False),
    (("cho", "đến", "hết"), False),
    (("cho", "đến"), False),
    (("đến", "hết"), False),
    (("đến",), False),
    (("tới",), False),
)
_FILLERS = ("trong", "vào", "dịp", "là", "nhân")
_PERIODS = {
    "ngày": "daily",
    "tuần": "weekly",
    "tháng": "monthly",
    "quý": "quarterly",
    "năm": "yearly",
}
_EVERY = ("hằng", "hàng", "mỗi")
_STARTERS = frozenset(
    _fold_word(w)
    for w in (
        *(w for words in _FROM for w in words),
        *(w for words, _excl in _DEADLINES for w in words),
        *_FILLERS,
        *_EVERY,
        *(
            "dự",
            "thường",
            "ngày",
            "tháng",
            "quý",
            "qúy",
            "năm",
            "sáu",
            "nửa",
            "đầu",
            "giữa",
            "cuối",
        ),
    )
)
_SINGLE_KIND = {
    "day": "day",
    "month": "month",
    "quarter": "quarter",
    "half": "half",
    "year": "year",
    "part": "part_of_month",
}


# --------------------------------------------------------------------------------------------
# Partial expressions


@dataclass(frozen=True)
class _Atom:
    kind: str  # day | month | quarter | half | year | part
    year: int | None = None  # None: not written
    month: int | None = None
    day: int | None = None
    n: int = 0  # quarter 1-4, half 1-2, part of month 1-3
    month_given: bool = True


@dataclass(frozen=True)
class _Span:
    first: _Atom
    last: _Atom  # the same atom unless a compact list ("04-05/5/2024", "tháng 9, 10 năm 2018")
    end: int  # token index after it


@dataclass(frozen=True)
class _Hit:
    mode: str  # single | pair | open | before | ongoing
    first: _Atom | None
    last: _Atom | None
    end: int
    tentative: bool = False
    exclusive: bool = False  # "trước" + a period: ends the day before it starts


class _NeedYearError(Exception):
    pass


def _valid_day(d: int, m: int, y: int | None) -> bool:
    return d <= calendar.monthrange(2000 if y is None else y, m)[1]


def _months(y: int, first: int, last: int) -> tuple[date, date]:
    return date(y, first, 1), date(y, last, calendar.monthrange(y, last)[1])


def _bounds(a: _Atom, y: int) -> tuple[date, date] | None:
    try:
        if a.kind == "day" and a.month is not None and a.day is not None:
            d = date(y, a.month, a.day)
            return d, d
        if a.kind == "month" and a.month is not None:
            return _months(y, a.month, a.month)
        if a.kind == "quarter":
            return _months(y, 3 * a.n - 2, 3 * a.n)
        if a.kind == "half":
            return _months(y, 6 * a.n - 5, 6 * a.n)
        if a.kind == "year":
            return date(y, 1, 1), date(y, 12, 31)
        if a.kind == "part" and a.month is not None:
            last = calendar.monthrange(y, a.month)[1]
            lo, hi = {1: (1, 10), 2: (11, 20), 3: (21, last)}[a.n]
            return date(y, a.month, lo), date(y, a.month, hi)
    except ValueError:
        return None
    return None


def _words(text: str) -> str:
    return " ".join(text.replace("*", " ").split())


# --------------------------------------------------------------------------------------------
# Things that look like windows and are not


def _upper_letters() -> str:
    extra = {
        chr(c)
        for c in range(0x00C0, 0x1F00)
        if chr(c).isupper() and unicodedata.normalize("NFD", chr(c))[0] in "AEIOUY"
    }
    return "A-Z\u0110" + "".join(sorted(extra))


_UP = _upper_letters()
_CODE = rf"[{_UP}]+[a-z]*(?![^\W\d_])"
_DOC = re.compile(rf"(?<![\w/.\-])[0-9]+(?:[ \t]*[/\-][ \t]*(?:[0-9]{{2,4}}(?![0-9])|{_CODE}))+")
_HAS_CODE = re.compile(rf"[{_UP}]")
_PLAN_NO_BEFORE = re.compile(r"(?:^|\t| {2})[ \t]*(?:Số|SỐ|So|SO)[ \t]*:?[ \t]*$")
_DATE_N = (
    r"(?:(\d{1,2})[ \t]*([/.\-])[ \t]*(\d{1,2})[ \t]*\2[ \t]*(\d{4})"
    r"|(\d{1,2})[ \t]+thang[ \t]+(\d{1,2})[ \t]+nam[ \t]+(\d{4}))(?![0-9])"
)
_CITATION_TAIL = re.compile(r"[ \t]*,?[ \t]*(?:ban hanh[ \t]+|ky[ \t]+)?(?:ngay[ \t]+)?" + _DATE_N)
_ANNIVERSARY = re.compile(
    r"\(\s*(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4})\s*-\s*"
    r"(\d{1,2})\s*[/.]\s*(\d{1,2})\s*[/.]\s*(\d{4})\s*\)"
)
_HEADER = re.compile(
    r"(?:^|\t| {2})[ \t]*(?P<place>[^\W\d_][^\W\d_.]*\.?(?:[ \t]+[^\W\d_][^\W\d_.]*\.?){0,4})"
    r"[ \t]*,[ \t]*ngay[ \t]+(?P<d>\d{1,2})(?:[ \t]+thang[ \t]+|[ \t]*[/.\-][ \t]*)(?P<m>\d{1,2})"
    r"(?:[ \t]+nam[ \t]+|[ \t]*[/.\-][ \t]*)(?P<y>\d{4})(?![0-9])",
    re.M,
)


def _date_of(groups: tuple[str | None, ...]) -> date | None:
    d, _sep, m, y, d2, m2, y2 = groups
    try:
        if d is not None and m is not None and y is not None:
            return date(int(y), int(m), int(d))
        if d2 is not None and m2 is not None and y2 is not None:
            return date(int(y2), int(m2), int(d2))
    except ValueError:
        return None
    return None


def _doc_numbers(f: _Folded) -> list[tuple[str, int, int, bool]]:
    """Document numbers: (number, start, end, is the plan's own "Số: ..." line)."""
    out = []
    for m in _DOC.finditer(f.text):
        if not _HAS_CODE.search(m.group()):
            continue
        line_start = f.text.rfind("\n", 0, m.start()) + 1
        before = unicodedata.normalize("NFC", f.text[line_start : m.start()])
        own = _PLAN_NO_BEFORE.search(before) is not None
        out.append((re.sub(r"\s+", "", m.group()), m.start(), m.end(), own))
    return out


def _citations(f: _Folded) -> list[tuple[str, date, tuple[int, int]]]:
    out = []
    for number, start, end, own in _doc_numbers(f):
        if own:
            continue
        m = _CITATION_TAIL.match(f.norm, f.o2n[end])
        if m is None:
            continue
        when = _date_of(m.groups())
        if when is not None:
            out.append((number, when, (start, f.orig_span(m.start(), m.end())[1])))
    return out


def _headers(f: _Folded) -> list[tuple[date, int, int]]:
    """Header dates (date, folded start, folded end)."""
    out = []
    for m in _HEADER.finditer(f.norm):
        if not f.text[f.n2o[m.start("place")]].isupper():
            continue
        try:
            when = date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            continue
        out.append((when, m.start("place"), m.end()))
    return out


def _blocked_ranges(f: _Folded) -> list[tuple[int, int]]:
    """Folded character ranges where no window is looked for."""
    ranges = [(f.o2n[s], f.o2n[e]) for _n, s, e, _own in _doc_numbers(f)]
    ranges += [(f.o2n[s], f.o2n[e]) for _n, _d, (s, e) in _citations(f)]
    ranges += [(s, e) for _d, s, e in _headers(f)]
    for m in _ANNIVERSARY.finditer(f.norm):
        d1, m1, y1, d2, m2, y2 = (int(g) for g in m.groups())
        if (d1, m1) == (d2, m2) and y1 != y2:
            ranges.append((m.start(), m.end()))
    return ranges


# --------------------------------------------------------------------------------------------
# The scanner: at each token, the longest expression that starts there


@dataclass(frozen=True)
class _Result:
    window: Window
    span: tuple[int, int]


class _Scanner:
    def __init__(self, text: str, ref: date | None) -> None:
        self.f = _fold(text)
        self.toks = _tokens(self.f)
        self.ref = ref
        marks = bytearray(len(self.f.norm))
        for s, e in _blocked_ranges(self.f):
            marks[s:e] = b"\x01" * (e - s)
        self.blocked = [any(marks[t.ns : t.ne]) for t in self.toks]
        self.need_year: list[str] = []
        self.invalid: list[str] = []

    # ---- token tests

    def _tok(self, i: int) -> _Tok | None:
        return self.toks[i] if 0 <= i < len(self.toks) else None

    def _is(self, i: int, *forms: str) -> bool:
        t = self._tok(i)
        if t is None:
            return False
        for form in forms:
            if t.norm != _fold_word(form):
                continue
            if t.low == form:
                return True
            if t.low == t.norm:  # written without diacritics
                if form == "năm" and t.raw[:1].isupper():
                    continue  # "Nam": Việt Nam, Quảng Nam
                return True
        return False

    def _seq(self, i: int, words: tuple[str, ...]) -> bool:
        return all(self._is(i + k, w) for k, w in enumerate(words))

    def _p(self, i: int, chars: str) -> bool:
        t = self._tok(i)
        return t is not None and len(t.norm) == 1 and not t.norm.isalnum() and t.norm in chars

    def _int(self, i: int, lo: int, hi: int, width: int) -> int | None:
        t = self._tok(i)
        if t is None or not t.is_num or len(t.norm) > width:
            return None
        v = int(t.norm)
        return v if lo <= v <= hi else None

    def _year4(self, i: int) -> int | None:
        t = self._tok(i)
        if t is None or not t.is_num or len(t.norm) != 4:
            return None
        v = int(t.norm)
        return v if v >= 1000 else None

    def _tight(self, i: int) -> bool:
        """The token at i and the next one are written without spaces around them."""
        a, b = self._tok(i), self._tok(i + 1)
        return a is not None and b is not None and not a.gap and not b.gap

    def _same_line(self, i: int, j: int) -> bool:
        a, b = self._tok(i), self._tok(j)
        if a is None or b is None:
            return False
        return "\n" not in self.f.norm[a.ne : b.ns]

    def _text(self, i: int, j: int) -> str:
        return self.f.text[slice(*self.f.orig_span(self.toks[i].ns, self.toks[j - 1].ne))]

    # ---- atoms

    def _year_tail(self, k: int) -> tuple[int | None, int]:
        y = self._year4(k + 1)
        if y is not None and self._p(k, "/-.") and (self.toks[k].norm != "." or self._tight(k)):
            return y, k + 2
        if y is not None and self._is(k, "năm"):
            return y, k + 2
        return None, k

    def _check_day(self, d: int, m: int, y: int | None, i: int, k: int) -> bool:
        if _valid_day(d, m, y):
            return True
        self.invalid.append(self._text(i, k))
        return False

    def _dmy(self, i: int) -> tuple[_Atom, int] | None:
        """10/5/2024, 10-5-2024, 30.11.2022, 25.3, 19/8."""
        d = self._int(i, 1, 31, 2)
        if d is None or not self._p(i + 1, "/.-"):
            return None
        sep = self.toks[i + 1].norm
        m = self._int(i + 2, 1, 12, 2)
        if m is None or (sep == "." and not self._tight(i + 1)):
            return None
        k = i + 3
        year: int | None = None
        y = self._year4(k + 1)
        if y is not None and self._p(k, "/.-") and (self.toks[k].norm != "." or self._tight(k)):
            year, k = y, k + 2
        if year is None:
            if sep == "-" or self._is(k, *_UNITS):  # "2-9" is a holiday, "1/2 ngày" a duration
                return None
            if self._p(k, "/.-") and self._int(k + 1, 0, 9999, 4) is not None:
                return None  # 5/5/24 and the like: not a date we read
        if not self._check_day(d, m, year, i, k):
            return None
        return _Atom("day", year, m, d), k

    def _long(self, i: int) -> tuple[_Atom, int] | None:
        """10 tháng 5 năm 2024, 01 tháng 01."""
        d = self._int(i, 1, 31, 2)
        if d is None or not self._is(i + 1, "tháng"):
            return None
        m = self._int(i + 2, 1, 12, 2)
        if m is None:
            return None
        k = i + 3
        year: int | None = None
        if self._is(k, "năm") and (y := self._year4(k + 1)) is not None:
            year, k = y, k + 2
        if not self._check_day(d, m, year, i, k):
            return None
        return _Atom("day", year, m, d), k

    def _day_span(self, i: int, loose: bool) -> _Span | None:
        j, ngay = i, False
        if self._is(j, "ngày"):
            j, ngay = j + 1, True
        best: _Span | None = None

        def consider(first: _Atom, last: _Atom, end: int) -> None:
            nonlocal best
            if (loose or ngay or last.year is not None) and (best is None or end > best.end):
                best = _Span(first, last, end)

        long_form = self._long(j)
        if long_form is not None and (ngay or long_form[0].year is not None):
            consider(long_form[0], long_form[0], long_form[1])  # not "trong 3 tháng 4 đợt"
        dmy = self._dmy(j)
        if dmy is not None:
            consider(dmy[0], dmy[0], dmy[1])
        # compact lists: 04-05/5/2024, 4, 5 và 6/5/2024, 19 - 21/3
        k = j
        first_day: int | None = None
        while (d := self._int(k, 1, 31, 2)) is not None and (
            self._p(k + 1, "-,&") or self._is(k + 1, "và")
        ):
            first_day = d if first_day is None else first_day
            k += 2
            tail = self._dmy(k) or self._long(k)
            if tail is not None:
                atom, end = tail
                first = _Atom("day", None, None, first_day, month_given=False)
                consider(first, atom, end)
                break
        return best

    def _month_span(self, i: int, loose: bool) -> _Span | None:
        if self._int(i - 1, 0, 999, 3) is not None and not self._p(i - 2, "/.-"):
            return None  # "trong 3 tháng 4 đợt": a count of months
        if self._is(i, "tháng"):
            m = self._int(i + 1, 1, 12, 2)
            if m is None:
                return None
            months, k = [m], i + 2
            while (self._p(k, "-,&") or self._is(k, "và")) and (
                m2 := self._int(k + 1, 1, 12, 2)
            ) is not None:
                months.append(m2)
                k += 2
            year, k = self._year_tail(k)
            last = _Atom("month", year, months[-1])
            first = last if len(months) == 1 else _Atom("month", None, months[0])
            return _Span(first, last, k)
        if loose:  # a bare 4/2024
            m = self._int(i, 1, 12, 2)
            y = self._year4(i + 2)
            if m is not None and y is not None and self._p(i + 1, "/"):
                if self._p(i + 3, "/") and self._tok(i + 4) is not None:
                    return None
                atom = _Atom("month", y, m)
                return _Span(atom, atom, i + 3)
        return None

    def _quarter(self, i: int) -> _Span | None:
        if not self._is(i, "quý", "qúy"):
            return None
        t = self._tok(i + 1)
        if t is None:
            return None
        n = _ROMAN.get(t.norm) if not t.is_num else self._int(i + 1, 1, 4, 1)
        if n is None:
            return None
        year, k = self._year_tail(i + 2)
        atom = _Atom("quarter", year, n=n)
        return _Span(atom, atom, k)

    def _half(self, i: int) -> _Span | None:
        if (self._int(i, 6, 6, 2) is not None or self._is(i, "sáu")) and self._is(i + 1, "tháng"):
            k = i + 2
        elif self._is(i, "nửa"):
            k = i + 1
        else:
            return None
        n = 1 if self._is(k, "đầu") else 2 if self._is(k, "cuối") else 0
        if not n or not self._is(k + 1, "năm"):
            return None
        year = self._year4(k + 2)
        atom = _Atom("half", year, n=n)
        return _Span(atom, atom, k + 2 if year is None else k + 3)

    def _year(self, i: int) -> _Span | None:
        if not self._is(i, "năm") or (year := self._year4(i + 1)) is None:
            return None
        if self._is(i - 1, "đầu", "giữa", "cuối", "việt"):
            return None  # "cuối năm 2024" is left out; "Viet Nam 2024" is a name
        if (self._p(i + 2, ",-&") or self._is(i + 2, "và")) and self._year4(i + 3) is not None:
            return None  # "3 năm 2023, 2024, 2025", "năm 2020-2025": not a window
        atom = _Atom("year", year)
        return _Span(atom, atom, i + 2)

    def _part(self, i: int) -> _Span | None:
        n = next((n for n, w in enumerate(("đầu", "giữa", "cuối"), 1) if self._is(i, w)), 0)
        if not n or not self._is(i + 1, "tháng"):
            return None
        m = self._int(i + 2, 1, 12, 2)
        if m is None:
            return None
        year, k = self._year_tail(i + 3)
        atom = _Atom("part", year, m, n=n)
        return _Span(atom, atom, k)

    def _atom(self, i: int, loose: bool) -> _Span | None:
        best: _Span | None = None
        for got in (
            self._day_span(i, loose),
            self._month_span(i, loose),
            self._quarter(i),
            self._half(i),
            self._year(i),
            self._part(i),
        ):
            if got is not None and (best is None or got.end > best.end):
                best = got
        return best

    def _bare_day(self, i: int) -> _Span | None:
        """The left end of "từ ngày 15 đến ngày 20/6/2019"."""
        j = i + 1 if self._is(i, "ngày") else i
        d = self._int(j, 1, 31, 2)
        if d is None or self._p(j + 1, "/."):
            return None
        atom = _Atom("day", None, None, d, month_given=False)
        return _Span(atom, atom, j + 1)

    # ---- expressions

    def _connector(self, k: int) -> int | None:
        """Index after "đến (hết)", "tới", "-", "cho đến" on the same line, or None."""
        if self._p(k, "-~") or self._is(k, "đến", "tới"):
            j = k + 1
        elif self._is(k, "cho") and self._is(k + 1, "đến"):
            j = k + 2
        else:
            return None
        if self._is(j, "hết"):
            j += 1
        return j if self._same_line(k - 1, j) else None

    @staticmethod
    def _start_of(span: _Span) -> _Atom:
        """The first atom of a span, with what it shares with the span's last atom."""
        a, b = span.first, span.last
        if a is b:
            return a
        if a.kind == "day" and a.month is None:
            a = replace(a, month=b.month)
        if a.year is None and b.year is not None:
            a = replace(a, year=b.year)
        return a

    def _pair_after(self, left: _Span) -> _Hit | None:
        c = self._connector(left.end)
        if c is None:
            return None
        right = self._atom(c, True)
        if right is None:
            return None
        start = self._start_of(left)
        if start.kind == "day" and start.month is None and right.last.kind != "day":
            return None
        return _Hit("pair", start, right.last, right.end)

    @staticmethod
    def _as_hit(span: _Span) -> _Hit:
        if span.first is span.last:
            return _Hit("single", span.first, None, span.end)
        return _Hit("pair", span.first, span.last, span.end)

    @staticmethod
    def _longest(*hits: _Hit | None) -> _Hit | None:
        best: _Hit | None = None
        for h in hits:
            if h is not None and (best is None or h.end > best.end):
                best = h
        return best

    def _skip_fillers(self, j: int) -> tuple[int, bool]:
        filled = False
        while self._is(j, *_FILLERS) or self._p(j, ":"):
            j, filled = j + 1, True
        return j, filled

    def _from(self, j: int) -> _Hit | None:
        for words in _FROM:
            if self._seq(j, words):
                k = j + len(words)
                break
        else:
            return None
        left = self._atom(k, True)
        bare = self._bare_day(k)
        pairs = [self._pair_after(s) for s in (left, bare) if s is not None]
        alone: _Hit | None = None
        if left is not None:
            if left.first is not left.last:
                alone = self._as_hit(left)
            else:
                end = left.end
                if self._is(end, "trở") and self._is(end + 1, "đi"):
                    end += 2
                elif self._seq(end, ("trở", "về", "sau")):
                    end += 3
                alone = _Hit("open", left.first, None, end)
        return self._longest(*pairs, alone)

    def _deadline(self, j: int) -> _Hit | None:
        for words, exclusive in _DEADLINES:
            if self._seq(j, words):
                k, _ = self._skip_fillers(j + len(words))
                span = self._atom(k, True)
                if span is None:
                    return None
                return _Hit("before", span.first, span.last, span.end, exclusive=exclusive)
        return None

    def _ongoing(self, j: int) -> _Hit | None:
        if self._is(j, "thường") and self._is(j + 1, "xuyên"):
            return _Hit("ongoing", None, None, j + 2)
        if self._is(j, *_EVERY) and self._is(j + 1, *_PERIODS):
            return _Hit("ongoing", None, None, j + 2)
        return None

    def _plain(self, j: int, loose: bool) -> _Hit | None:
        span = self._atom(j, loose)
        if span is None:
            return None
        return self._longest(self._as_hit(span), self._pair_after(span))

    def _tentative_before(self, i: int) -> bool:
        """ "dự kiến" a few words earlier in the same clause: "dự kiến tổ chức vào ngày ..."."""
        for k in range(i - 1, max(i - 7, 0), -1):
            if self._p(k, ".;:!?()[]") or not self._same_line(k, i):
                return False
            if self._is(k - 1, "dự") and self._is(k, "kiến"):
                return True
        return False

    def _expr(self, i: int, loose_top: bool) -> _Hit | None:
        t = self.toks[i]
        if not (t.is_num or t.norm in _STARTERS):
            return None  # an expression starts with a number or one of the words above
        j, tentative = i, False
        if self._is(j, "dự") and self._is(j + 1, "kiến"):
            j, tentative = j + 2, True
        j, filled = self._skip_fillers(j)
        loose = loose_top or tentative or filled
        hit = self._ongoing(j) or self._from(j) or self._deadline(j) or self._plain(j, loose)
        if hit is None:
            return None
        end = hit.end
        if self._p(end, "(") and self._seq(end + 1, ("dự", "kiến")) and self._p(end + 3, ")"):
            end, tentative = end + 4, True
        tentative = tentative or (hit.mode != "ongoing" and self._tentative_before(i))
        return replace(hit, end=end, tentative=tentative)

    # ---- resolution

    def _pair_dates(self, first: _Atom, last: _Atom) -> tuple[date, date] | None:
        if first.kind == "day" and first.month is None:
            first = replace(first, month=last.month)
        ref_year = self.ref.year if self.ref is not None else None
        roll = 0
        if last.year is not None:
            ly = last.year
            fy = first.year if first.year is not None else ly
            roll = 0 if first.year is not None or not first.month_given else -1
        elif first.year is not None:
            fy = ly = first.year
            roll = 1
        elif ref_year is not None:
            fy = ly = ref_year
            roll = 1 if first.month_given else 0
        else:
            raise _NeedYearError
        a, b = _bounds(first, fy), _bounds(last, ly)
        if a is not None and b is not None and b[1] < a[0]:
            if roll == -1:
                a = _bounds(first, fy - 1)
            elif roll == 1:
                b = _bounds(last, ly + 1)
        if a is None or b is None:
            return None
        return a[0], b[1]

    def _single_dates(self, a: _Atom) -> tuple[date, date] | None:
        if a.year is not None:
            return _bounds(a, a.year)
        if self.ref is None:
            raise _NeedYearError
        return _bounds(a, self.ref.year)

    def _window(self, hit: _Hit, words: str) -> Window | None:
        tentative = hit.tentative
        if hit.mode == "ongoing":
            return Window(self.ref, None, words, "ongoing", tentative)
        assert hit.first is not None
        if hit.mode == "pair" or (hit.mode == "before" and hit.last is not hit.first):
            assert hit.last is not None
            got = self._pair_dates(hit.first, hit.last)
        else:
            got = self._single_dates(hit.first)
        if got is None:
            self.invalid.append(words)
            return None
        start, end = got
        if hit.mode == "open":
            return Window(start, None, words, "range", tentative)
        if hit.mode == "before":
            if hit.exclusive and hit.first.kind != "day":
                if start == date.min:
                    return None
                end = start - timedelta(days=1)
            return Window(None, end, words, "before", tentative)
        if hit.mode == "single":
            return Window(start, end, words, _SINGLE_KIND[hit.first.kind], tentative)
        assert hit.last is not None
        kind = "range"
        if hit.first.kind == hit.last.kind == "day" and (start.year, start.month) == (
            end.year,
            end.month,
        ):
            kind = "days"
        elif hit.first.kind == hit.last.kind == "month" and start.year == end.year:
            kind = "months"
        return Window(start, end, words, kind, tentative)

    def _starts_inside_number(self, i: int) -> bool:
        """ "2/2024" inside "31/2/2024": an expression does not start in the middle of one."""
        t = self.toks[i]
        return (
            t.is_num
            and not t.gap
            and self._p(i - 1, "/.-")
            and not self.toks[i - 1].gap
            and self._int(i - 2, 0, 9999, 4) is not None
        )

    def _commemorated(self, i: int, hit: _Hit) -> bool:
        """A bare date naming a founding or tradition day, not a time to act: "ngày truyền
        thống Đảng bộ Khối các cơ quan Trung ương 07/11/1948"."""
        if hit.mode != "single" or hit.first is None or hit.first.kind != "day":
            return False
        if not self.toks[i].is_num:
            return False  # "ngày 07/11/2024", "dịp 19/8/2019": written as a time
        for k in range(i - 1, max(i - 16, 0), -1):
            if self._p(k, ".;:!?()[]") or not self._same_line(k, i):
                return False
            if self._is(k - 2, "ngày") and (
                self._seq(k - 1, ("truyền", "thống")) or self._seq(k - 1, ("thành", "lập"))
            ):
                return True
        return False

    def run(self, loose: bool) -> list[_Result]:
        out: list[_Result] = []
        i = 0
        while i < len(self.toks):
            if self.blocked[i] or self._starts_inside_number(i):
                i += 1
                continue
            hit = self._expr(i, loose)
            if hit is None or any(self.blocked[i : hit.end]):
                i += 1
                continue
            if not loose and self._commemorated(i, hit):
                i += 1
                continue
            span = self.f.orig_span(self.toks[i].ns, self.toks[hit.end - 1].ne)
            words = _words(self.f.text[span[0] : span[1]])
            try:
                window = self._window(hit, words)
            except _NeedYearError:
                self.need_year.append(words)
                window = None
            if window is None:  # read but not placed in the calendar: no fragment of it either
                i = hit.end
                continue
            out.append(_Result(window, span))
            i = hit.end
        return out


# --------------------------------------------------------------------------------------------
# Public functions


def _quote(text: str, limit: int = 80) -> str:
    shown = _words(text)
    return shown if len(shown) <= limit else shown[: limit - 1].rstrip() + "…"


def parse_when(text: str, *, ref: date | None = None) -> Window:
    """One time expression ("trước ngày 20/4/2024", "Quý I/2017", "25.3" with ref).

    Raises WhenError, with the reason and the words, when nothing (or more than one window) is
    understood, when a year is missing and there is no ref, or when the window ends before it
    starts.
    """
    scanner = _Scanner(text, ref)
    found = scanner.run(loose=True)
    shown = _quote(text)
    if not shown:
        raise WhenError("empty")
    if not found:
        cited = _citations(scanner.f)
        if cited:
            raise WhenError("citation", words=shown, document=cited[0][0])
        if scanner.need_year:
            raise WhenError("no_year", words=shown)
        if scanner.invalid:
            raise WhenError("not_a_day", day=_quote(scanner.invalid[0]))
        raise WhenError("not_understood", words=shown)
    if len(found) > 1:
        raise WhenError("several", words=shown, found=[r.window.words for r in found])
    window = found[0].window
    if is_inverted(window):
        raise WhenError("inverted", words=window.words)
    return window


def find_windows(text: str, *, ref: date | None = None) -> list[Found]:
    """Every window in a longer text, in order; see the module notes for what is left out."""
    return [Found(r.window, r.span) for r in _Scanner(text, ref).run(loose=False)]


def find_recurrence(text: str) -> str | None:
    """ "monthly" for "mỗi tháng", "hằng tháng", "hàng tháng"; also daily, weekly, quarterly,
    yearly. The first one in the text, or None."""
    scanner = _Scanner(text, None)
    for i in range(len(scanner.toks)):
        if scanner._is(i, *_EVERY):
            for word, period in _PERIODS.items():
                if scanner._is(i + 1, word):
                    return period
    return None


def find_citations(text: str) -> list[tuple[str, date, tuple[int, int]]]:
    """Cited documents with their dates: ("150-KH/TU", 20/10/2022, span) for "Kế hoạch số
    150-KH/TU, ngày 20/10/2022". The span runs from the number to the end of the date."""
    return _citations(_fold(text))


def find_header_date(text: str) -> date | None:
    """The date under the plan's heading: "Lào Cai, ngày 10 tháng 6 năm 2019". None when the day
    is left blank ("ngày    tháng 6 năm 2019") or there is no such line."""
    headers = _headers(_fold(text))
    return headers[0][0] if headers else None


def find_plan_number(text: str) -> str | None:
    """The plan's own number from its "Số: 150-KH/ĐUK" line, spaces removed; None when the number
    is left blank ("Số    -KH/ĐUK") or missing."""
    for number, _s, _e, own in _doc_numbers(_fold(text)):
        if own:
            return number
    return None
