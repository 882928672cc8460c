"""``python bot.py export-nlu``: the labelled messages of MongoDB as Rasa training data beside the hand-written data.

* ``nlu/data/reviewed.yml`` — the labels that are not held out, in Rasa's YAML format (one block per intent and
  script, ``metadata: {lang, script, source: reviewed}``, entities as ``[text](entity)``). ``bot.py train`` trains on
  everything in ``nlu/data``, so the next model learns from them.
* ``nlu/tests/reviewed_holdout.tsv`` — the held-out ~20 % (``text, intent, lang, script``), never trained on: the
  candidate gate (``bot.py train --candidate``) scores models on it.

Texts are compared in the normaliser's ``to_latin`` form (accents, case, final sigma, Greeklish folded): a label
whose text is already in the hand-written data with the same intent is a duplicate and left out; with another
intent it is a conflict, left out and reported (the hand-written data stand, fix one or the other); of several
labels with the same text the newest wins. Both files hold residents' texts and are not versioned: phones, e-mails
and ΑΦΜ/ΑΜΚΑ-like numbers are masked (when labelled, and again here), and every export rewrites both files from
``nlu_labels`` alone, so a person's labels erased (``bot/privacy/erase.py``) or expired (retention of
``nlu_labels``) leave the files on the next export (``bot.py export-nlu``, or ``bot.py train --candidate``).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.privacy.redaction import redact_text
from bot.rasa.server import NLU_DIR
from nlu import training_data
from nlu.chania_text import to_latin

EXPORT_PATH = NLU_DIR / "data" / "reviewed.yml"
HOLDOUT_PATH = NLU_DIR / "tests" / "reviewed_holdout.tsv"
_SPECIAL = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")", "\n": " ", "\r": " ", "\t": " "})


@dataclass(slots=True)
class ExportResult:
    training: int = 0
    holdout: int = 0
    duplicates: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.training} training examples, {self.holdout} held out, {self.duplicates} duplicates left "
                f"out, {len(self.conflicts)} conflicts with the hand-written data")


def handwritten_intents(data_dir: Path = NLU_DIR / "data", skip: Path = EXPORT_PATH) -> dict[str, str]:
    """``to_latin(text) -> intent`` of every hand-written training example (the export itself excluded)."""
    examples = training_data.examples(data_dir, without=[skip.name] if skip.parent.resolve() == data_dir.resolve()
                                      else [])
    return {to_latin(e.text): e.intent for e in examples}


def annotated(text: str, entities: Sequence[dict[str, Any]]) -> str:
    """The example line: ``[span](entity)`` for each entity, brackets elsewhere made harmless, one line."""
    parts, pos = [], 0
    for e in sorted(entities, key=lambda e: e["start"]):
        parts.append(text[pos:e["start"]].translate(_SPECIAL))
        parts.append(f"[{text[e['start']:e['end']].translate(_SPECIAL)}]({e['entity']})")
        pos = e["end"]
    parts.append(text[pos:].translate(_SPECIAL))
    return " ".join("".join(parts).split())


def _lang(script: str) -> str:
    return "en" if script == "english" else "el"


def build(labels: Sequence[dict[str, Any]], handwritten: dict[str, str]
          ) -> tuple[dict[tuple[str, str], list[str]], list[dict[str, str]], ExportResult]:
    """(training lines per (intent, script), held-out rows, counts) from labels given newest first."""
    result = ExportResult()
    seen: set[str] = set()
    training: dict[tuple[str, str], list[str]] = defaultdict(list)
    holdout: list[dict[str, str]] = []
    for label in labels:
        stored = str(label.get("text", ""))
        masked = redact_text(stored)  # labels are masked when written; this keeps an older or hand-made one safe too
        entities = (label.get("entities") or []) if masked == stored else []  # offsets are into the stored text
        text = " ".join(masked.split())
        key = to_latin(text)
        if not key or key in seen:
            result.duplicates += bool(key)
            continue
        seen.add(key)
        known = handwritten.get(key)
        if known is not None:
            if known == label["intent"]:
                result.duplicates += 1
            else:
                result.conflicts.append({"text": text, "label": label["intent"], "handwritten": known})
            continue
        script = label.get("script") or "accented"
        if label.get("holdout"):
            holdout.append({"text": text, "intent": label["intent"], "lang": _lang(script), "script": script})
            result.holdout += 1
        else:
            training[(label["intent"], script)].append(annotated(masked, entities))
            result.training += 1
    return training, holdout, result


def write_training(training: dict[tuple[str, str], list[str]], path: Path) -> None:
    lines = ["# Written by `python bot.py export-nlu` from the labelled messages in MongoDB (nlu_labels); do not",
             "# edit: correct the label in the dashboard's review queue and export again. Not versioned.",
             'version: "3.1"', "nlu:"]
    for (intent, script), examples in sorted(training.items()):
        meta = f"{{lang: {_lang(script)}" + (", script: greeklish" if script == "greeklish" else "") + \
            ", source: reviewed}"
        lines += [f"- intent: {intent}", f"  metadata: {meta}", "  examples: |"]
        lines += [f"    - {example}" for example in examples]
    if not training:
        lines[-1] = "nlu: []"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_holdout(rows: list[dict[str, str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["text", "intent", "lang", "script"], dialect="excel-tab",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


async def export(store: Any, *, path: Path = EXPORT_PATH, holdout_path: Path = HOLDOUT_PATH,
                 data_dir: Path = NLU_DIR / "data", sync_flow: bool = True) -> ExportResult:
    """Write both files from the store's labels (after taking in the complaint flow's corrections)."""
    from bot.rasa import labels

    if sync_flow:
        await labels.sync_flow_corrections(store)
    training, holdout, result = build(await labels.all_labels(store), handwritten_intents(data_dir, path))
    write_training(training, path)
    write_holdout(holdout, holdout_path)
    return result


async def _cli(out: Path, holdout_out: Path) -> int:
    from bot.core.settings import load_settings
    from bot.store import open_configured_store

    settings = load_settings()
    if settings.mongodb_uri is None:
        print("warning: MONGODB_URI is not set: exporting from an empty in-memory database", flush=True)
    store = await open_configured_store(settings)
    try:
        result = await export(store, path=out, holdout_path=holdout_out)
    finally:
        await store.close()
    print(f"{out}: {result.summary()}; held-out rows in {holdout_out}")
    for c in result.conflicts[:20]:
        print(f"  conflict: {c['text']!r} is {c['label']} in the review, {c['handwritten']} in nlu/data")
    return 0


def cli_main(out: str | None = None, holdout_out: str | None = None) -> int:
    """``python bot.py export-nlu [--out FILE] [--holdout FILE]``."""
    import asyncio

    return asyncio.run(_cli(Path(out) if out else EXPORT_PATH, Path(holdout_out) if holdout_out else HOLDOUT_PATH))
