"""Greek names in Latin script for English readers (ELOT 743, the transliteration of Greek road signs).

``greek_to_latin("Αποκορώνου 25") == "Apokoronou 25"``, ``"Χάληδων"`` → ``"Chalidon"``, ``"Νέα Χώρα"`` →
``"Nea Chora"``. Unlike ``nlu.chania_text.to_latin`` (lossy, lower-case, for matching) this is for display: it keeps
case, digits and punctuation.
"""

from __future__ import annotations

import unicodedata

__all__ = ["greek_to_latin", "has_greek"]

_LETTERS = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y",
    "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}
_PAIRS = {"ου": "ou", "γγ": "ng", "γκ": "gk", "γξ": "nx", "γχ": "nch"}
_VOICELESS = set("θκξπστφχψ")


def has_greek(text: str) -> bool:
    return any("\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff" for ch in text)


def _base(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))


def _cased(latin: str, upper: bool, word_upper: bool) -> str:
    if not upper:
        return latin
    return latin.upper() if word_upper else latin[:1].upper() + latin[1:]


def greek_to_latin(text: str) -> str:
    """ELOT 743 transliteration of the Greek letters in ``text``; everything else is kept as it is."""
    chars = [_base(ch) for ch in text]
    lower = [c.lower() for c in chars]
    out: list[str] = []
    i, n = 0, len(chars)
    while i < n:
        c, low = chars[i], lower[i]
        if low not in _LETTERS:
            out.append(c)
            i += 1
            continue
        start = i == 0 or not lower[i - 1].isalpha()
        word_end = i + 1
        while word_end < n and lower[word_end].isalpha():
            word_end += 1
        word_upper = word_end - i > 1 and all(ch.isupper() for ch in chars[i:word_end] if ch.isalpha())
        pair = "".join(lower[i:i + 2])
        nxt = lower[i + 2] if i + 2 < n else ""
        if pair in ("αυ", "ευ", "ηυ"):
            latin = _LETTERS[pair[0]] + ("f" if not nxt.isalpha() or nxt in _VOICELESS else "v")
            step = 2
        elif pair == "μπ" and (start or not nxt.isalpha()):
            latin, step = "b", 2
        elif pair in _PAIRS:
            latin, step = _PAIRS[pair], 2
        else:
            latin, step = _LETTERS[low], 1
        out.append(_cased(latin, c.isupper(), word_upper))
        i += step
    return "".join(out)
