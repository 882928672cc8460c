"""The one reader of the hand-written training YAML (``nlu/data/*.yml``) outside Rasa.

Used by ``tests/test_nlu_data.py`` (service venv), ``nlu/baseline.py`` and ``nlu/select_features.py`` (Rasa venv),
so it needs only PyYAML. Rasa itself reads the same files its own way at training time; this reader gives the plain
text of each example (entity marks ``[text](entity)`` removed) with its intent, script and style.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
REVIEWED = "reviewed.yml"  # bot.py export-nlu's file: staff labels, not hand-written
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


@dataclass(frozen=True)
class Example:
    intent: str
    text: str     # plain text, entity marks removed
    script: str   # accented, unaccented, upper (Greek script), greeklish or english, as in the split files
    style: str    # the block's ``metadata: {style: ...}``, "" when it has none
    file: str     # name of the data file


def greek_script(text: str) -> str:
    """accented, unaccented or upper, for a text in Greek script (the split files' definition)."""
    if text == text.upper():
        return "upper"
    marks = any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))
    return "accented" if marks else "unaccented"


def plain_text(line: str) -> str:
    """One ``- example`` line's text without its entity marks."""
    return _ANNOTATION.sub(r"\1", line.strip())


def examples(data_dir: Path = DATA, without: Iterable[str] = ()) -> list[Example]:
    """Every intent example of ``data_dir/*.yml`` in file order, except the files named in ``without``."""
    skip = set(without)
    out = []
    for path in sorted(data_dir.glob("*.yml")):
        if path.name in skip:
            continue
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in item:
                continue
            meta = item.get("metadata") or {}
            for line in str(item.get("examples") or "").splitlines():
                if not line.startswith("- "):
                    continue
                text = plain_text(line[2:])
                if meta.get("lang") == "en":
                    script = "english"
                elif meta.get("script") == "greeklish":
                    script = "greeklish"
                else:
                    script = greek_script(text)
                out.append(Example(item["intent"], text, script, str(meta.get("style") or ""), path.name))
    return out
