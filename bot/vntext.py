"""Vietnamese text as people type it: with or without diacritics, in any case."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case, no diacritics, đ -> d, single spaces; '_' and '-' count as spaces.
    "Đảng ủy Khối" and "dang uy  khoi" fold to the same text."""
    text = text.replace("\u0111", "d").replace("\u0110", "d")  # đ, Đ
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    bare = bare.replace("_", " ").replace("-", " ")
    return " ".join(bare.casefold().split())


def is_name(text: str) -> bool:
    """Whether `text` can be a name (a person's, a collective's, a product's): it has two
    letters or more, Vietnamese ones included ("Lò Văn Pao", "Ư" alone is not enough);
    "12345", "A" or "🙂🙂🙂" is not one."""
    return sum(ch.isalpha() for ch in text) >= 2
