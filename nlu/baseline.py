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
import re
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

DATA = Path(__file__).resolve().parent / "data"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def training_data(without: set[str]) -> tuple[list[str], list[str]]:
    texts, intents = [], []
    for path in sorted(DATA.glob("*.yml")):
        if path.name in without:
            continue
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                if line.startswith("- "):
                    texts.append(_ANNOTATION.sub(r"\1", line[2:].strip()))
                    intents.append(item["intent"])
    return texts, intents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("splits", nargs="+", type=Path)
    parser.add_argument("--without", nargs="*", default=[], help="data files to leave out (names in nlu/data)")
    args = parser.parse_args()
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                          LogisticRegression(C=10, max_iter=2000))
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
