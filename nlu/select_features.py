"""Offline replica of ``ChaniaIntentClassifier`` for choosing its settings fast, always beside the issue's baseline.

Runs in the Rasa venv, from the repository root::

    PYTHONPATH=. nlu/.venv/bin/python nlu/select_features.py [--cv 5] [--only NAME ...] [--detail]

Every candidate is the component's own model (``build_pipeline`` + ``message_probabilities``: the same views,
regressions and sentence scoring), trained on ``nlu/data`` as Rasa sees it (the messages go through
``ChaniaNormalizer``). Beside it, on exactly the same data and folds, the issue's baseline (``nlu/baseline.py``:
raw text, char_wb 2-5, sublinear tf, LR C=10). Scored on the choosing sets only: ``nlu/tests/dev.tsv``,
``nlu/tests/dev_hard.tsv`` (overall and per style) and stratified k-fold cross-validation over the training data
(per script, and per ``metadata: {style: ...}`` where the data have one). For every candidate it prints the
**minimum margin over those groups against the baseline**, in messages right and in macro-F1: the target is "at
least the baseline on every style", so a candidate is chosen for its worst group, then for its overall score.
The report splits (``hard.tsv``, ``hard2.tsv``, ``heldout.tsv``) are never read here. Nothing here is used at run time.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.baseline import build_baseline  # noqa: E402
from nlu.components.classifier import build_pipeline, classifier_inputs, message_probabilities  # noqa: E402
from nlu.training_data import REVIEWED, examples  # noqa: E402

DEV = ROOT / "nlu" / "tests" / "dev.tsv"
DEV_HARD = ROOT / "nlu" / "tests" / "dev_hard.tsv"
CHOOSING_SPLITS = (DEV, DEV_HARD)  # the only split files this script opens

CURRENT = {"char_ngrams": [2, 5], "word_ngrams": [1, 2], "raw_char_ngrams": [1, 4], "C": 10}  # config.yml
CANDIDATES: dict[str, dict[str, Any]] = {
    "config.yml until now (latin char 2-5 + word 1-2 + raw char_wb 1-4, C=10)": CURRENT,
    "+ baseline view (raw lower char_wb 2-5)": {**CURRENT, "baseline_view": True},
    "ensemble: current LR + baseline LR, mean of probabilities": {**CURRENT, "ensemble": "baseline"},
    "ensemble, baseline share 0.3": {**CURRENT, "ensemble": "baseline", "ensemble_weight": 0.3},
    "+ sentences, max": {**CURRENT, "segments": "sentences", "combine": "max"},
    "+ sentences, mean log-p": {**CURRENT, "segments": "sentences", "combine": "mean"},
    "+ clauses, mean log-p": {**CURRENT, "segments": "clauses", "combine": "mean"},
    "ensemble + sentences, mean log-p": {**CURRENT, "ensemble": "baseline", "segments": "sentences",
                                         "combine": "mean"},
    "C=20": {**CURRENT, "C": 20},
    "C=20 + sentences, max": {**CURRENT, "C": 20, "segments": "sentences", "combine": "max"},
    "C=30": {**CURRENT, "C": 30},
    "C=5": {**CURRENT, "C": 5},
    "no sublinear tf": {**CURRENT, "sublinear_tf": False},
    "no idf": {**CURRENT, "use_idf": False},
    "latin char 1-5": {**CURRENT, "char_ngrams": [1, 5]},
    "latin only (Nov 2026)": {"char_ngrams": [2, 5], "word_ngrams": [1, 2], "C": 10},
}


def rows(path: Path) -> list[dict[str, str]]:
    assert path in CHOOSING_SPLITS, f"{path} is not a choosing split"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, dialect="excel-tab"))


def messages(texts: list[str]) -> list[Any]:
    """The texts as Rasa messages after ``ChaniaNormalizer`` (so the replica sees what the component sees)."""
    from rasa.shared.nlu.training_data.message import Message

    from nlu.components.normalizer import ChaniaNormalizer

    tokenizer = ChaniaNormalizer({"form": "latin"})
    out = [Message(data={"text": t}) for t in texts]
    tokenizer.process(out)
    return out


def macro_f1(truth: list[str], pred: list[str]) -> float:
    return float(f1_score(truth, pred, labels=sorted(set(truth)), average="macro", zero_division=0))


class Split:
    """A scored set: texts as messages, true intents, and the groups (name -> row indexes) to report."""

    def __init__(self, name: str, msgs: list[Any], texts: list[str], truth: list[str],
                 groups: dict[str, list[int]]) -> None:
        self.name, self.msgs, self.texts, self.truth, self.groups = name, msgs, texts, truth, groups


def predict(config: dict[str, Any], train_msgs: list[Any], train_y: list[str],
            *tests: list[Any]) -> list[list[str]]:
    """One fit of the candidate, its intents for each test set."""
    model = build_pipeline(config).fit(classifier_inputs(train_msgs), train_y)
    return [list(model.classes_[message_probabilities(model, t, config).argmax(axis=1)]) for t in tests]


def predict_baseline(train_texts: list[str], train_y: list[str], *tests: list[str]) -> list[list[str]]:
    model = build_baseline().fit(train_texts, train_y)
    return [list(model.predict(t)) for t in tests]


def cross_validated(fit_predict: Any, n: int, y: list[str], folds: int) -> list[str]:
    out = [""] * n
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(n), y):
        for i, p in zip(te, fit_predict(tr, te), strict=True):
            out[i] = p
    return out


def scores(split: Split, pred: list[str]) -> dict[str, tuple[int, int, float]]:
    """(right, rows, macro-F1) overall ("all") and per group."""
    out = {"all": (sum(t == p for t, p in zip(split.truth, pred, strict=True)), len(pred), macro_f1(split.truth, pred))}
    for group, idx in split.groups.items():
        truth, guess = [split.truth[i] for i in idx], [pred[i] for i in idx]
        out[group] = (sum(t == p for t, p in zip(truth, guess, strict=True)), len(idx), macro_f1(truth, guess))
    return out


def min_margin(ours: dict[str, tuple[int, int, float]], base: dict[str, tuple[int, int, float]]) -> tuple:
    """The worst group against the baseline: (messages, group) and (macro-F1, group)."""
    groups = [g for g in ours if g != "all"]
    msgs = min((ours[g][0] - base[g][0], g) for g in groups)
    f1 = min((round(ours[g][2] - base[g][2], 3), g) for g in groups)
    return msgs, f1


def groups_of(labels: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        if label:
            out.setdefault(label, []).append(i)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=int, default=5, help="folds of the cross-validation (0: none)")
    parser.add_argument("--only", nargs="*", help="candidate names (default: all)")
    parser.add_argument("--detail", action="store_true", help="also print every group's messages right")
    parser.add_argument("--errors", metavar="NAME", help="only list this candidate's errors on dev and dev_hard")
    args = parser.parse_args()

    data = examples(without={REVIEWED})
    texts, intents = [e.text for e in data], [e.intent for e in data]
    train_msgs = messages(texts)
    dev_rows, dh_rows = rows(DEV), rows(DEV_HARD)
    dev = Split("dev", messages([r["text"] for r in dev_rows]), [r["text"] for r in dev_rows],
                [r["intent"] for r in dev_rows], {})
    dev_hard = Split("dev_hard", messages([r["text"] for r in dh_rows]), [r["text"] for r in dh_rows],
                     [r["intent"] for r in dh_rows], groups_of([r["style"] for r in dh_rows]))
    cv_groups = groups_of([e.script for e in data])
    cv_groups.update({f"style {k}": v for k, v in groups_of([e.style for e in data]).items()})
    cv = Split("cv", train_msgs, texts, intents, cv_groups)

    if args.errors:
        config = CANDIDATES[args.errors]
        for split, meta in ((dev, dev_rows), (dev_hard, dh_rows)):
            [pred] = predict(config, train_msgs, intents, split.msgs)
            [base] = predict_baseline(texts, intents, split.texts)
            for r, p, b in zip(meta, pred, base, strict=True):
                if p != r["intent"] or b != r["intent"]:
                    print(f"{r.get('style', r['script'])}\t{r['intent']}\tours={p}\tbaseline={b}\t{r['text']}")
        return

    started = time.monotonic()
    on_dev, on_dev_hard = predict_baseline(texts, intents, dev.texts, dev_hard.texts)
    baseline = {"dev": scores(dev, on_dev), "dev_hard": scores(dev_hard, on_dev_hard)}
    if args.cv:
        baseline["cv"] = scores(cv, cross_validated(
            lambda tr, te: predict_baseline([texts[i] for i in tr], [intents[i] for i in tr],
                                            [texts[i] for i in te])[0], len(texts), intents, args.cv))
    print(f"baseline: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

    sets = ["dev", "dev_hard"] + (["cv"] if args.cv else [])
    print(f"Training examples: {len(texts)}; dev {len(dev_rows)}, dev_hard {len(dh_rows)} rows. Macro-F1 (messages "
          "right); margins = candidate minus the baseline, worst group: dev_hard per style, CV per script and per "
          "data style.\n")
    head = ["dev", "dev_hard"] + (["cv"] if args.cv else []) + ["min Δ dh style: msgs", "F1"] + (
        ["min Δ cv group: msgs", "F1"] if args.cv else [])
    print("| candidate | " + " | ".join(head) + " |")
    print("|---|" + "---|" * len(head))

    def overall(res: dict[str, Any]) -> list[str]:
        return [f"{res[s]['all'][2]:.3f} ({res[s]['all'][0]})" for s in sets]

    print("| **baseline** | " + " | ".join(overall(baseline)) + " | – | – |" + (" – | – |" if args.cv else ""),
          flush=True)
    results = {}
    for name in args.only or list(CANDIDATES):
        config, started = CANDIDATES[name], time.monotonic()
        on_dev, on_dev_hard = predict(config, train_msgs, intents, dev.msgs, dev_hard.msgs)
        res = {"dev": scores(dev, on_dev), "dev_hard": scores(dev_hard, on_dev_hard)}
        if args.cv:
            res["cv"] = scores(cv, cross_validated(
                lambda tr, te, c=config: predict(c, [train_msgs[i] for i in tr], [intents[i] for i in tr],
                                                 [train_msgs[i] for i in te])[0], len(texts), intents, args.cv))
        results[name] = res
        print(f"{name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        cells = overall(res)
        for s in ["dev_hard"] + (["cv"] if args.cv else []):
            (dm, gm), (df, gf) = min_margin(res[s], baseline[s])
            cells += [f"{dm:+d} ({gm})", f"{df:+.3f} ({gf})"]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    if args.detail:
        for s in ["dev_hard"] + (["cv"] if args.cv else []):
            groups = sorted(g for g in baseline[s] if g != "all")
            print(f"\n{s}: messages right per group (rows), macro-F1 in brackets\n")
            print("| candidate | " + " | ".join(f"{g} ({baseline[s][g][1]})" for g in groups) + " |")
            print("|---|" + "---|" * len(groups))
            for name, res in [("baseline", baseline), *results.items()]:
                print(f"| {name} | " + " | ".join(f"{res[s][g][0]} ({res[s][g][2]:.3f})" for g in groups) + " |")


if __name__ == "__main__":
    main()
