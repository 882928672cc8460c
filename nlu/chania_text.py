"""Text normalisation shared by training, Rasa parse time (the custom component) and the bot's fuzzy matching.

Pure Python, no dependencies: imported by Rasa (Python 3.10, ``nlu/.venv``) and by the service (Python 3.11).
"""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """casefold, NFD, drop combining marks (accents, dialytika), final sigma to sigma, collapse white space."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("ς", "σ").split())


_DIGRAPHS = {"ου": "ou", "αι": "ai", "ει": "ei", "οι": "oi", "μπ": "b", "ντ": "nt", "γκ": "gk", "γγ": "ng",
             "θ": "th", "χ": "x", "ψ": "ps"}
_LETTERS = str.maketrans({
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "ι": "i", "κ": "k", "λ": "l", "μ": "m",
    "ν": "n", "ξ": "ks", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "τ": "t", "υ": "y", "φ": "f", "ω": "o",
})


def to_latin(text: str) -> str:
    """A common Latin (Greeklish) form of normalised text, so Greek and Greeklish spellings meet."""
    out = normalize(text)
    for greek, latin in _DIGRAPHS.items():
        out = out.replace(greek, latin)
    return out.translate(_LETTERS)
