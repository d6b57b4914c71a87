"""How much two pieces of a plan speak of the same thing: words (folded syllables, the commonest
small words left out) and pairs of neighbouring words, each weighted by how rare it is in the plan
(inverse document frequency), so that "bóng chuyền hơi" weighs more than "kỷ niệm 65 năm".

`coverage(query, target)` is the weighted share of the query's words the target has too: a row of
a timetable ("Việc bình chọn 45 tập thể, cá nhân, sản phẩm") is covered by the activity it dates.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable

from bot.extract import lexicon as lx
from bot.vntext import fold

_SYLLABLE = re.compile(r"[a-z0-9]+")
# "kỷ niệm 65 năm Ngày thành lập Đảng bộ Khối Cơ quan - Doanh nghiệp tỉnh Lào Cai": said of
# nearly every activity of a commemoration plan, so it tells none of them apart
_ANNIVERSARY = re.compile(r"\d+ nam (?:ngay )*(?:thanh lap|truyen thong)[^,.;:()]*")

Features = frozenset[str]


def features(text: str) -> Features:
    folded = _ANNIVERSARY.sub(" ", fold(text))
    words = [w for w in _SYLLABLE.findall(folded) if w not in lx.STOP_SYLLABLES]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return frozenset(words + pairs)


class Index:
    """Word weights over the texts of one plan."""

    def __init__(self, texts: Iterable[str]) -> None:
        docs = [features(t) for t in texts]
        self.size = len(docs)
        self.df: Counter[str] = Counter(f for d in docs for f in d)

    def weight(self, feature: str) -> float:
        return math.log((self.size + 1) / (self.df.get(feature, 0) + 1)) + 0.1

    def mass(self, feats: Features) -> float:
        return sum(self.weight(f) for f in feats)

    def informative(self, feats: Features) -> int:
        """How many of the words and pairs are rare enough to tell pieces apart: in fewer than a
        quarter of the plan's pieces (or in at most two, in a short plan)."""
        limit = max(3.0, 0.25 * self.size)
        return sum(1 for f in feats if self.df.get(f, 0) < limit)

    def coverage(self, query: Features, target: Features) -> float:
        total = self.mass(query)
        if total <= 0:
            return 0.0
        return self.mass(query & target) / total
