"""The issue-11 baseline, for comparison only: char_wb 2–5-gram TF-IDF (sublinear tf) + logistic regression (C=10)
on the raw text of ``nlu/data`` (scikit-learn's defaults otherwise: lower-casing, l2 norm). No normaliser, no Rasa.

Runs in the Rasa venv (scikit-learn is there)::

    nlu/.venv/bin/python nlu/baseline.py [--without residents.yml] SPLIT.tsv ...

prints ``{"<split path>": [{"intent": ..., "confidence": ...}, ...]}`` as JSON, one prediction per row in order.
``nlu/compare_pipelines.py`` calls it and scores it beside the Rasa pipelines. Nothing here is used at run time.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlu.training_data import examples


def build_baseline() -> Pipeline:
    """The issue's model, unfitted, reading raw texts: char_wb 2-5 TF-IDF (sublinear tf), LR C=10 (sklearn defaults
    else: lower-casing, l2). ``ChaniaIntentClassifier``'s ``baseline_view`` / ``ensemble`` use the same features."""
    return make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                         LogisticRegression(C=10, max_iter=2000))


def training_data(without: set[str]) -> tuple[list[str], list[str]]:
    data = examples(without=without)
    return [e.text for e in data], [e.intent for e in data]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("splits", nargs="+", type=Path)
    parser.add_argument("--without", nargs="*", default=[], help="data files to leave out (names in nlu/data)")
    args = parser.parse_args()
    model = build_baseline()
    model.fit(*training_data(set(args.without)))
    out = {}
    for split in args.splits:
        with split.open(encoding="utf-8") as handle:
            texts = [row["text"] for row in csv.DictReader(handle, dialect="excel-tab")]
        probabilities = model.predict_proba(texts)
        out[str(split)] = [{"intent": str(model.classes_[row.argmax()]), "confidence": float(row.max())}
                           for row in probabilities]
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
