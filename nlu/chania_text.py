"""Text normalisation shared by training, Rasa parse time (the custom component) and the bot's fuzzy matching.

Pure Python, no dependencies: imported by Rasa (Python 3.10, ``nlu/.venv``) and by the service (Python 3.11).

* :func:`normalize` — casefold, Unicode NFD, drop combining marks (accents, dialytika), final sigma to sigma,
  collapse white space. ``"ΟΔΟΣ Χάληδων"`` and ``"οδος χαληδων"`` become the same string.
* :func:`to_latin` — a common, rough *phonetic* Latin form in which Greek script and the usual Greeklish spellings
  meet: ``"Καλημέρα"``, ``"kalhmera"`` and ``"kalimera"`` all give ``"kalimera"``; ``"ξεχείλισε"`` and
  ``"3exeilise"`` give ``"ksexilise"``; ``"Μπάλος"``, ``"Mpalos"`` and ``"Balos"`` give ``"balos"``.
  Vowels that sound alike are merged (η ι υ ει οι → i, ω ο → o, αι ε → e), and so are the Greeklish habits
  (h for η or χ, w for ω, 8 for θ, 3 for ξ, y for υ, ch/kh/x for χ, mp/b and nt/d). It is lossy on purpose and
  meant for matching and features, never for display.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "to_latin"]


def normalize(text: str) -> str:
    """casefold, NFD, drop combining marks (accents, dialytika), final sigma to sigma, collapse white space."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("ς", "σ").split())


# --- Greek script -> Latin -------------------------------------------------------------------------------------
_GREEK_VOICELESS = set("θκξπστφχψ")
_GREEK_DIGRAPHS = {"ου": "ou", "αι": "e", "ει": "i", "οι": "i", "υι": "i", "μπ": "b", "ντ": "d", "γκ": "g",
                   "γγ": "g", "τσ": "ts", "τζ": "tz"}
_GREEK_LETTERS = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "ks", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "τ": "t", "υ": "i",
    "φ": "f", "χ": "x", "ψ": "ps", "ω": "o",
}


def _greek_run(s: str) -> str:
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        pair = s[i:i + 2]
        if pair in ("αυ", "ευ"):  # αυτό -> afto, αύριο -> avrio
            nxt = s[i + 2] if i + 2 < n else ""
            voiceless = not nxt or nxt in _GREEK_VOICELESS
            out.append(("a" if pair[0] == "α" else "e") + ("f" if voiceless else "v"))
            i += 2
        elif pair in _GREEK_DIGRAPHS:
            out.append(_GREEK_DIGRAPHS[pair])
            i += 2
        else:
            out.append(_GREEK_LETTERS.get(s[i], s[i]))
            i += 1
    return "".join(out)


# --- Greeklish / Latin script -> the same form ------------------------------------------------------------------
_LATIN_VOWELS = set("aeiouyw")
_LATIN_VOICELESS = set("tkxpsf83")
# Very frequent Greeklish words in which "th"/"h" stands for "τη"/"η", not θ/χ.
_LATIN_WORDS = {"h": "i", "th": "ti", "thn": "tin", "ths": "tis", "sth": "sti", "sthn": "stin", "sths": "stis",
                "oi": "i"}
_LATIN_DIGRAPHS = {"ou": "ou", "ai": "e", "ei": "i", "oi": "i", "mp": "b", "nt": "d", "gk": "g", "gg": "g",
                   "ch": "x", "kh": "x", "ph": "f", "th": "th", "ks": "ks", "ps": "ps"}
_LATIN_LETTERS = {"y": "i", "w": "o", "u": "ou", "8": "th", "3": "ks"}


def _latin_run(s: str) -> str:
    if s in _LATIN_WORDS:
        return _LATIN_WORDS[s]
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        pair = s[i:i + 2]
        if pair in ("au", "ay", "eu", "ey"):  # aftos / avrio, efxaristo / evgenia
            nxt = s[i + 2] if i + 2 < n else ""
            out.append(ch + ("f" if not nxt or nxt in _LATIN_VOICELESS else "v"))
            i += 2
        elif pair == "ng" and i + 2 < n and s[i + 2] in _LATIN_VOWELS:  # farangi -> φαράγγι
            out.append("g")
            i += 2
        elif pair in _LATIN_DIGRAPHS:
            out.append(_LATIN_DIGRAPHS[pair])
            i += 2
        elif ch == "h":  # h before a vowel is χ (halepa, ehei), elsewhere η (kalhmera, nhsi, kalh) ...
            if i + 1 < n and s[i + 1] in _LATIN_VOWELS:
                out.append("x")
            elif i + 1 < n or i == 0 or s[i - 1] not in _LATIN_VOWELS:
                out.append("i")
            # ... except after a vowel at the end of a word: silent, as in English "nah", "oh", "yeah"
            #     (Greeklish "nai" must not meet English "nah")
            i += 1
        elif ch in "83" and not ((i > 0 and s[i - 1].isalpha()) or (i + 1 < n and s[i + 1].isalpha())):
            out.append(ch)  # a plain number, not θ / ξ
            i += 1
        else:
            out.append(_LATIN_LETTERS.get(ch, ch))
            i += 1
    return "".join(out)


_GREEK_OR_LATIN = re.compile(r"[α-ω]+|[a-z0-9]+")
_LATIN = re.compile(r"[a-z0-9]+")
_DOUBLES = re.compile(r"([a-z])\1+")


def _word(match: re.Match[str]) -> str:
    run = match.group(0)
    return _greek_run(run) if "α" <= run[0] <= "ω" else _latin_run(run)


def to_latin(text: str) -> str:
    """A common Latin (Greeklish) form of normalised text, so Greek and Greeklish spellings meet.

    Idempotent: the Greeklish rules are applied until nothing changes, so ``to_latin(to_latin(t)) == to_latin(t)``.
    """
    out = _DOUBLES.sub(r"\1", _GREEK_OR_LATIN.sub(_word, normalize(text)))
    for _ in range(5):
        again = _DOUBLES.sub(r"\1", _LATIN.sub(lambda m: _latin_run(m.group(0)), out))
        if again == out:
            break
        out = again
    return out
