"""Quotas: how many of something an activity asks for.

* A bound is per unit: "ít nhất 01 quần chúng ưu tú" -> per_unit_min 1; "từ 1 đến 2 nội dung" ->
  per_unit_min 1, per_unit_max 2; "từ 02 tổ chức cơ sở đảng trở lên" -> per_unit_min 2.
* A count said of each unit ("Mỗi chi, đảng bộ cơ sở ... thành lập 01 đội") is per unit, min and
  max both.
* Any other count is a total: "85 tập thể, cá nhân" -> total 85; "45 tập thể, cá nhân, sản phẩm"
  with its parts "15 tập thể", "15 cá nhân", "15 sản phẩm" below it -> 45; the parts alone in one
  sentence add up ("15 tập thể, 15 cá nhân, 15 sản phẩm" -> 45).
* Only counts of what units deliver count (lexicon.QUOTA_NOUNS: tập thể, bài viết, tiết mục...):
  not people attending ("khoảng 300 người"), copies printed, durations, years ("65 năm"); not a
  count naming a thing in quotes ("3 nội dung “Học tập, làm theo Bác”"), nor "không quá 3 chi
  bộ" (a limit on how a team is formed, not a quota).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.extract import lexicon as lx
from bot.extract.lexicon import vnorm
from bot.vntext import fold

_TOKEN = re.compile(r"\w+|[^\w\s]")
_NOUNS = sorted((n.split() for n in lx.QUOTA_NOUNS), key=len, reverse=True)
_SENTENCE_END = frozenset(".;:?!")
_QUOTES = frozenset('“"«')
_AND = lx.AND


@dataclass(frozen=True)
class Quota:
    per_unit_min: int | None = None
    per_unit_max: int | None = None
    total: int | None = None
    words: tuple[str, ...] = field(default=(), compare=False)
    what: str = field(default="", compare=False)  # what is counted: "nội dung", "tập thể, cá nhân"

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.per_unit_min, self.per_unit_max, self.total))


@dataclass(frozen=True)
class _Tok:
    text: str
    norm: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), vnorm(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _seq(toks: list[_Tok], i: int, words: list[str]) -> bool:
    return i + len(words) <= len(toks) and all(toks[i + k].norm == w for k, w in enumerate(words))


def _number(toks: list[_Tok], i: int, words_too: bool) -> int | None:
    if i >= len(toks):
        return None
    t = toks[i]
    if t.text.isdigit() and len(t.text) <= 4:
        if i > 0 and toks[i - 1].text in "/.":
            return None
        if i + 2 < len(toks) and toks[i + 1].text in "/.-\u2013" and toks[i + 2].text.isdigit():
            return None  # a date, "1/2 ngày", "15-20 phút"
        return int(t.text)
    if words_too:
        return lx.NUMBER_WORDS.get(t.norm)
    return None


def _noun(toks: list[_Tok], i: int) -> int:
    """The end of the noun phrase of counted things starting at i, or i when there is none."""
    k = i
    while k < len(toks):
        words = next((w for w in _NOUNS if _seq(toks, k, w)), None)
        if words is None:
            break
        k += len(words)
        joined = k < len(toks) and (toks[k].text == "," or toks[k].norm == _AND)
        if joined and any(_seq(toks, k + 1, w) for w in _NOUNS):
            k += 1
            continue
        break
    return k


def _named(toks: list[_Tok], k: int) -> bool:
    """A count that names a thing in quotes: "3 nội dung “Học tập, làm theo Bác”"."""
    return k < len(toks) and toks[k].text in _QUOTES


def _sentence_start(toks: list[_Tok], i: int) -> int:
    while i > 0 and toks[i - 1].text not in _SENTENCE_END:
        i -= 1
    return i


def _per_unit(text: str, toks: list[_Tok], i: int) -> bool:
    start = toks[_sentence_start(toks, i)].start
    before = fold(text[start : toks[i].start])
    return any(p in before for p in lx.PER_UNIT)


@dataclass
class _Count:
    n: int
    start: int  # token index of the number
    sentence: int
    nouns: tuple[str, ...]
    words: str
    what: str


def find_quota(text: str) -> Quota:
    """The quota an activity's text asks for; an empty Quota when none."""
    toks = _tokens(text)
    low: int | None = None
    high: int | None = None
    counts: list[_Count] = []
    each: list[_Count] = []
    words: list[str] = []
    what = ""

    def noun(first: int, end: int) -> str:
        return text[toks[first].start : toks[end - 1].end]

    i = 0
    while i < len(toks):
        bound = next((b.split() for b in lx.AT_LEAST if _seq(toks, i, b.split())), None)
        if bound is not None:
            n = _number(toks, i + len(bound), True)
            end = _noun(toks, i + len(bound) + 1)
            if n is not None and end > i + len(bound) + 1 and low is None:
                low = n
                what = noun(i + len(bound) + 1, end)
                words.append(text[toks[i].start : toks[end - 1].end])
                i = end
                continue
        if toks[i].norm == lx.FROM:
            n1 = _number(toks, i + 1, True)
            if n1 is not None and i + 3 < len(toks) and toks[i + 2].norm in lx.TO:
                n2 = _number(toks, i + 3, True)
                end = _noun(toks, i + 4)
                if n2 is not None and end > i + 4 and n1 <= n2 and low is None:
                    low, high = n1, n2
                    what = noun(i + 4, end)
                    words.append(text[toks[i].start : toks[end - 1].end])
                    i = end
                    continue
            end = _noun(toks, i + 2)
            if n1 is not None and end > i + 2:
                more = next(
                    (
                        k
                        for k in range(end, min(end + 8, len(toks)))
                        if any(_seq(toks, k, m.split()) for m in lx.AND_MORE)
                    ),
                    None,
                )
                if more is not None and low is None:
                    low = n1
                    what = noun(i + 2, end)
                    words.append(text[toks[i].start : toks[more + 1].end])
                    i = more + 2
                    continue
        if any(_seq(toks, i, b.split()) for b in lx.AT_MOST):
            i += 3  # "không quá 3 chi bộ": not a quota
            continue
        n = _number(toks, i, False)
        if n is not None and n > 0:
            end = _noun(toks, i + 1)
            before = " ".join(t.norm for t in toks[max(0, i - 2) : i])
            excluded = any(before.endswith(w) for w in lx.NOT_A_COUNT_BEFORE)
            if end > i + 1 and not excluded and not _named(toks, end):
                nouns = tuple(t.norm for t in toks[i + 1 : end] if t.text not in ",")
                count = _Count(
                    n,
                    i,
                    _sentence_start(toks, i),
                    nouns,
                    text[toks[i].start : toks[end - 1].end],
                    noun(i + 1, end),
                )
                (each if _per_unit(text, toks, i) else counts).append(count)
                i = end
                continue
        i += 1
    total = _total(counts)
    if each and low is None and high is None:
        low = high = each[0].n
        what = each[0].what
        words.append(each[0].words)
    if total is not None:
        words.extend(c.words for c in counts[:1])
        what = what or counts[0].what
    return Quota(low, high, total, tuple(words), what)


def _total(counts: list[_Count]) -> int | None:
    if not counts:
        return None
    first = counts[0]
    rest = counts[1:]
    if rest and sum(c.n for c in rest) == first.n:
        return first.n  # "45 tập thể, cá nhân, sản phẩm" and its parts
    same_sentence = [c for c in counts if c.sentence == first.sentence]
    if len(same_sentence) > 1 and len({c.nouns for c in same_sentence}) == len(same_sentence):
        return sum(c.n for c in same_sentence)  # "15 tập thể, 15 cá nhân, 15 sản phẩm"
    return first.n
