"""Offline replica of ``ChaniaIntentClassifier`` for choosing its settings fast (no Rasa training or server).

Runs in the Rasa venv, from the repository root::

    PYTHONPATH=. nlu/.venv/bin/python nlu/select_features.py [--cv 5] [--only NAME ...]

Every candidate is a set of TF-IDF views (the same ``make_union`` the component builds) + logistic regression,
trained on ``nlu/data`` exactly as Rasa sees it (the messages go through ``ChaniaNormalizer``, so the ``latin``
input is the component's token text and ``raw`` the message text). It is scored on the choosing sets only:
``nlu/tests/dev.tsv``, ``nlu/tests/dev_hard.tsv`` (overall, per style, Greek-script rows) and stratified k-fold
cross-validation over the training data (per script and on ``residents.yml``'s examples). ``hard.tsv`` and
``heldout.tsv`` are never read here. Prints one Markdown table. Nothing here is used at run time.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.components.classifier import build_pipeline, classifier_inputs  # noqa: E402

DATA = ROOT / "nlu" / "data"
DEV = ROOT / "nlu" / "tests" / "dev.tsv"
DEV_HARD = ROOT / "nlu" / "tests" / "dev_hard.tsv"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")

CURRENT = {"char_ngrams": [2, 5], "word_ngrams": [1, 2], "C": 10}
RAW = {**CURRENT, "raw_char_ngrams": [2, 5]}
CANDIDATES: dict[str, dict[str, Any]] = {
    "latin char 2-5 + word 1-2, C=10 (config until now)": CURRENT,
    "+ raw char_wb 2-5": RAW,
    "+ raw char_wb 1-4": {**CURRENT, "raw_char_ngrams": [1, 4]},
    "+ raw char_wb 3-5": {**CURRENT, "raw_char_ngrams": [3, 5]},
    "+ raw char_wb 2-5 + raw word 1": {**RAW, "raw_word_ngrams": [1, 1]},
    "+ raw char_wb 2-5, C=20": {**RAW, "C": 20},
    "+ raw char_wb 2-5, C=30": {**RAW, "C": 30},
    "+ raw char_wb 2-5, C=5": {**RAW, "C": 5},
    "+ raw char_wb 2-5, balanced": {**RAW, "class_weight": "balanced"},
    "+ raw char_wb 2-5, latin word 1-1": {**RAW, "word_ngrams": [1, 1]},
    "+ raw char_wb 2-5, latin char 1-5": {**RAW, "char_ngrams": [1, 5]},
    "+ raw char_wb 2-5, latin char 2-6": {**RAW, "char_ngrams": [2, 6]},
    "raw char_wb 2-5 + latin word 1-2 (no latin chars)": {**RAW, "char_ngrams": []},
    "baseline-like: raw char_wb 2-5 only": {"char_ngrams": [], "word_ngrams": [], "raw_char_ngrams": [2, 5], "C": 10},
}


def greek_script(text: str) -> str:
    if text == text.upper():
        return "upper"
    marks = any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))
    return "accented" if marks else "unaccented"


def training_data() -> tuple[list[str], list[str], list[str]]:
    """(texts, intents, groups): group = script, or ``residents`` for residents.yml's examples."""
    texts, intents, groups = [], [], []
    for path in sorted(DATA.glob("*.yml")):
        if path.name == "reviewed.yml":
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in item:
                continue
            meta = item.get("metadata") or {}
            for line in item["examples"].splitlines():
                if not line.startswith("- "):
                    continue
                text = _ANNOTATION.sub(r"\1", line[2:].strip())
                if path.name == "residents.yml":
                    group = "residents"
                elif meta.get("lang") == "en":
                    group = "english"
                elif meta.get("script") == "greeklish":
                    group = "greeklish"
                else:
                    group = greek_script(text)
                texts.append(text)
                intents.append(item["intent"])
                groups.append(group)
    return texts, intents, groups


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, dialect="excel-tab"))


def messages(texts: list[str]) -> list[Any]:
    """The texts as Rasa messages after ``ChaniaNormalizer`` (so the replica sees what the component sees)."""
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.normalizer import ChaniaNormalizer

    tokenizer = ChaniaNormalizer({"form": "latin"})
    out = [Message(data={"text": t}) for t in texts]
    for m in out:
        tokenizer.process([m])
    return out


def macro_f1(truth: list[str], pred: list[str]) -> float:
    return float(f1_score(truth, pred, labels=sorted(set(truth)), average="macro", zero_division=0))


def evaluate(config: dict[str, Any], train: tuple[list, list, list], dev: tuple[list, list],
             dev_hard: tuple[list, list, list[dict[str, str]]], folds: int) -> dict[str, float]:
    msgs, intents, groups = train
    out: dict[str, float] = {}
    model = build_pipeline(config).fit(classifier_inputs(msgs), intents)
    out["dev"] = macro_f1(dev[1], list(model.predict(classifier_inputs(dev[0]))))
    pred = list(model.predict(classifier_inputs(dev_hard[0])))
    truth, meta = dev_hard[1], dev_hard[2]
    out["dev_hard"] = macro_f1(truth, pred)
    greek = [i for i, r in enumerate(meta) if r["script"] in ("accented", "unaccented", "upper")]
    out["dh greek-script"] = macro_f1([truth[i] for i in greek], [pred[i] for i in greek])
    out["dh acc"] = float(np.mean([t == p for t, p in zip(truth, pred, strict=True)]))
    for style in sorted({r["style"] for r in meta}):
        idx = [i for i, r in enumerate(meta) if r["style"] == style]
        out[f"dh {style}"] = float(np.mean([truth[i] == pred[i] for i in idx]))  # accuracy: few rows per style
    if folds:
        cv_pred = [""] * len(msgs)
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(msgs, intents):
            m = build_pipeline(config).fit(classifier_inputs([msgs[i] for i in tr]), [intents[i] for i in tr])
            for i, p in zip(te, m.predict(classifier_inputs([msgs[i] for i in te])), strict=True):
                cv_pred[i] = p
        out["cv"] = macro_f1(intents, cv_pred)
        for group in ("accented", "unaccented", "upper", "greeklish", "english", "residents"):
            idx = [i for i, g in enumerate(groups) if g == group]
            out[f"cv {group}"] = float(np.mean([intents[i] == cv_pred[i] for i in idx]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=int, default=5, help="folds of the cross-validation (0: none)")
    parser.add_argument("--only", nargs="*", help="candidate names (default: all)")
    parser.add_argument("--errors", metavar="NAME", help="only list this candidate's errors on dev and dev_hard")
    args = parser.parse_args()
    texts, intents, groups = training_data()
    train = (messages(texts), intents, groups)
    dev_rows, hard_rows = rows(DEV), rows(DEV_HARD)
    if args.errors:
        model = build_pipeline(CANDIDATES[args.errors]).fit(classifier_inputs(train[0]), intents)
        for split in (dev_rows, hard_rows):
            proba = model.predict_proba(classifier_inputs(messages([r["text"] for r in split])))
            for r, row in zip(split, proba, strict=True):
                predicted = model.classes_[row.argmax()]
                if predicted != r["intent"]:
                    print(f"{r.get('style', r['script'])}\t{r['intent']}\t{predicted}\t{row.max():.2f}\t{r['text']}")
        return
    dev = (messages([r["text"] for r in dev_rows]), [r["intent"] for r in dev_rows])
    dev_hard = (messages([r["text"] for r in hard_rows]), [r["intent"] for r in hard_rows], hard_rows)
    table = []
    for name in args.only or list(CANDIDATES):
        started = time.monotonic()
        result = evaluate(CANDIDATES[name], train, dev, dev_hard, args.cv)
        print(f"{name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        table.append((name, result))
    columns = list(table[0][1])
    print(f"Training examples: {len(texts)}; dev {len(dev_rows)} rows, dev_hard {len(hard_rows)} rows; "
          f"macro-F1 for dev, dev_hard, dh greek-script and cv, accuracy for the per-style/per-group columns\n")
    print("| candidate | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, result in table:
        print(f"| {name} | " + " | ".join(f"{result[c]:.3f}" for c in columns) + " |")


if __name__ == "__main__":
    main()
