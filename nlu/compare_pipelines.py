"""Compare NLU pipelines on the held-out splits, the measurement behind nlu/config.yml (see nlu/README.md).

Run from the repository root with the service's Python (it drives Rasa over HTTP, like the bot does)::

    .venv/bin/python nlu/compare_pipelines.py [--only NAME ...] [--baseline] [--split dev dev_hard] [--out FILE]

For each candidate it trains a model with ``rasa train nlu`` (wall-clock training time, Rasa's ~10 s start-up
included), starts ``rasa run --enable-api`` on it, parses every row of the splits one request at a time (latency =
HTTP round trip on 127.0.0.1) and scores intents per language, per script and per style. By default only the
choosing splits (nlu/tests/dev.tsv, used for error analysis while writing the data, and nlu/tests/dev_hard.tsv);
the report splits (test = heldout.tsv, hard, hard2) only when named with ``--split``, once, after every choice.
It prints Markdown tables (the ones in nlu/README.md) and writes everything to nlu/results/compare.json.
Nothing here is used at run time.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.rasa.evaluation import Prediction, read_rows, report, scores  # noqa: E402
from bot.rasa.server import NLU_DIR, VENV_PYTHON, RasaServer, ensure_nlu_env, run_rasa_train  # noqa: E402

RESULTS = NLU_DIR / "results"
EVAL_FILES = {"test": NLU_DIR / "tests" / "heldout.tsv", "dev": NLU_DIR / "tests" / "dev.tsv",
              "hard": NLU_DIR / "tests" / "hard.tsv", "dev_hard": NLU_DIR / "tests" / "dev_hard.tsv",
              "hard2": NLU_DIR / "tests" / "hard2.tsv", "hard3": NLU_DIR / "tests" / "hard3.tsv"}
# The report splits (test = heldout, hard, hard2, and the sealed hard3 the lead scores) are scored only when named:
# by default only the choosing splits, so that a comparison run while choosing never looks at a report split.
DEFAULT_SPLITS = ["dev", "dev_hard"]
BASELINE = "baseline (sklearn char_wb 2-5 TF-IDF + LR C=10, raw text)"
RESIDENTS = "residents.yml"
BASE = yaml.safe_load((NLU_DIR / "config.yml").read_text(encoding="utf-8"))

NORMALIZER = "nlu.components.normalizer.ChaniaNormalizer"
ENTITIES = [{"name": "RegexEntityExtractor", "use_lookup_tables": False, "use_regexes": True},
            {"name": "nlu.components.gazetteer.ChaniaGazetteer"}]
WORDS = {"name": "CountVectorsFeaturizer"}
CHARS = {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}
LOGREG = {"name": "LogisticRegressionClassifier", "max_iter": 300}
TFIDF = {"name": "nlu.components.classifier.ChaniaIntentClassifier", "char_ngrams": [2, 5], "word_ngrams": [1, 2],
         "C": 10}
DIET = {"name": "DIETClassifier", "epochs": 100, "entity_recognition": False, "constrain_similarities": True}

LATIN = {"name": NORMALIZER, "form": "latin"}
COUNTS_LOGREG = [LATIN, WORDS, CHARS, LOGREG, *ENTITIES]  # config.yml until issue 11
CANDIDATES: dict[str, list[dict[str, Any]]] = {
    "config.yml (TF-IDF to_latin + raw text, LR C=20; issue 11 round 3)": BASE["pipeline"],
    "TF-IDF to_latin + raw text, LR C=10 (config.yml before round 3)": [LATIN, {**TFIDF, "raw_char_ngrams": [1, 4]},
                                                                         *ENTITIES],
    "TF-IDF to_latin only, C=10 (config.yml Nov 2026)": [LATIN, TFIDF, *ENTITIES],
    "counts + Rasa LR (old config.yml)": COUNTS_LOGREG,
    "TF-IDF char 2-5 only, C=10": [LATIN, {**TFIDF, "word_ngrams": []}, *ENTITIES],
    "TF-IDF, C=1": [LATIN, {**TFIDF, "C": 1}, *ENTITIES],
    "TF-IDF, no normaliser": [{"name": "WhitespaceTokenizer"}, TFIDF, *ENTITIES],
    "logreg, normalize only": [{"name": NORMALIZER, "form": "plain"}, WORDS, CHARS, LOGREG, *ENTITIES],
    "logreg, no normaliser": [{"name": "WhitespaceTokenizer"}, WORDS, CHARS, LOGREG, *ENTITIES],
    "logreg, to_latin, char 3-6": [LATIN, WORDS, {**CHARS, "min_ngram": 3, "max_ngram": 6}, LOGREG, *ENTITIES],
    "logreg, to_latin, word 1-2 + char 3-6": [LATIN, {**WORDS, "max_ngram": 2},
                                              {**CHARS, "min_ngram": 3, "max_ngram": 6}, LOGREG, *ENTITIES],
    "DIET (100 epochs), to_latin": [LATIN, WORDS, CHARS, DIET, *ENTITIES],
}
THRESHOLDS = [0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7]
BINS = [0.0, 0.4, 0.5, 0.6, 0.7, 1.01]


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def data_dir(work: Path, without: list[str]) -> Path:
    """``nlu/data``, or a copy of it in ``work`` without the named files."""
    if not without:
        return NLU_DIR / "data"
    target = work / "data"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(NLU_DIR / "data", target, ignore=shutil.ignore_patterns(*without))
    return target


async def measure_baseline(files: dict[str, Path], without: list[str]) -> dict[str, Any]:
    """The issue's sklearn baseline (``nlu/baseline.py``, in the Rasa venv), scored like the Rasa candidates."""
    started = time.monotonic()
    cmd = [str(VENV_PYTHON), str(NLU_DIR / "baseline.py"), *map(str, files.values())]
    if without:
        cmd += ["--without", *without]
    proc = await asyncio.to_thread(subprocess.run, cmd, capture_output=True, text=True, check=True)
    out = json.loads(proc.stdout)
    results: dict[str, Any] = {"train_s": round(time.monotonic() - started, 1)}
    for label, path in files.items():
        rows = read_rows(path, "lang")
        predictions = [Prediction(p["intent"], p["confidence"], 0.0) for p in out[str(path)]]
        results[label] = evaluate_rows(rows, predictions)
    return results


async def measure(name: str, pipeline: list[dict[str, Any]], files: dict[str, Path],
                  without: list[str] | None = None) -> dict[str, Any]:
    work = RESULTS / "compare" / slug(name + (" without " + " ".join(without) if without else ""))
    work.mkdir(parents=True, exist_ok=True)
    config = copy.deepcopy(BASE)
    config["pipeline"] = pipeline
    config_path = work / "config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(f"\n=== {name}: training", file=sys.stderr, flush=True)
    started = time.monotonic()
    model = await asyncio.to_thread(run_rasa_train, config_path, work, "model", data_dir(work, without or []))
    train_s = time.monotonic() - started
    from bot.rasa.evaluation import parse_texts

    results: dict[str, Any] = {"train_s": round(train_s, 1)}
    async with RasaServer(model, log_path=work / "rasa.log") as server:
        for label, path in files.items():
            rows = read_rows(path, "lang")
            predictions = await parse_texts(server.url, server.token, [r.text for r in rows])
            results[label] = evaluate_rows(rows, predictions)
    return results


def evaluate_rows(rows: list[Any], predictions: list[Prediction]) -> dict[str, Any]:
    result = report(rows, predictions, by="lang")
    result["by_script"] = {
        script: scores([r.intent for r, _ in pairs], [p.intent for _, p in pairs])
        for script in sorted({r.columns["script"] for r in rows})
        if (pairs := [(r, p) for r, p in zip(rows, predictions, strict=True) if r.columns["script"] == script])
    }
    if rows and "style" in rows[0].columns:
        result["by_style"] = {
            style: scores([r.intent for r, _ in pairs], [p.intent for _, p in pairs])
            for style in sorted({r.columns["style"] for r in rows})
            if (pairs := [(r, p) for r, p in zip(rows, predictions, strict=True) if r.columns["style"] == style])
        }
    result["thresholds"] = threshold_table(rows, predictions)
    result["predictions"] = [{"text": r.text, "intent": r.intent, "predicted": p.intent,
                              "confidence": round(p.confidence, 4)} for r, p in zip(rows, predictions, strict=True)]
    return result


def threshold_table(rows: list[Any], predictions: list[Prediction]) -> list[dict[str, Any]]:
    """For each threshold: share of messages sent to the menu, accuracy of the rest, share of errors caught."""
    wrong = [r.intent != p.intent for r, p in zip(rows, predictions, strict=True)]
    out = []
    for t in THRESHOLDS:
        below = [p.confidence < t for p in predictions]
        kept = [w for w, b in zip(wrong, below, strict=True) if not b]
        caught = sum(w and b for w, b in zip(wrong, below, strict=True))
        out.append({"threshold": t, "to_menu": round(sum(below) / len(rows), 4),
                    "accuracy_above": round(1 - sum(kept) / len(kept), 4) if kept else None,
                    "errors_caught": round(caught / sum(wrong), 4) if any(wrong) else None,
                    "correct_lost": round(sum((not w) and b for w, b in zip(wrong, below, strict=True)) / len(rows),
                                          4)})
    return out


def markdown(results: dict[str, dict[str, Any]], label: str) -> str:
    lines = [f"Split: {label}", "",
             "| pipeline | el acc | el macro-F1 | en acc | en macro-F1 | accented F1 | unaccented F1 | upper F1 | "
             "Greeklish F1 | parse p50 / p95 ms | training s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        r = res[label]
        g, s = r["groups"], r["by_script"]
        lines.append(f"| {name} | {g['el']['accuracy']:.3f} | {g['el']['macro_f1']:.3f} | {g['en']['accuracy']:.3f} | "
                     f"{g['en']['macro_f1']:.3f} | {s['accented']['macro_f1']:.3f} | "
                     f"{s['unaccented']['macro_f1']:.3f} | {s['upper']['macro_f1']:.3f} | "
                     f"{s['greeklish']['macro_f1']:.3f} | {r['latency_ms']['p50']:.1f} / {r['latency_ms']['p95']:.1f}"
                     f" | {res['train_s']:.0f} |")
    for name, res in results.items():
        lines += ["", f"Threshold on the top intent's confidence, {name}, {label}:", "",
                  "| threshold | sent to menu | accuracy of the rest | errors caught | correct answers lost |",
                  "|---|---|---|---|---|"]
        lines += [f"| {t['threshold']} | {t['to_menu']:.1%} | {t['accuracy_above']:.1%} | {t['errors_caught']:.1%} | "
                  f"{t['correct_lost']:.1%} |" for t in res[label]["thresholds"]]
    return "\n".join(lines)


def style_markdown(results: dict[str, dict[str, Any]], label: str) -> str:
    """Macro-F1 per style of a hard split (and overall), one row per pipeline."""
    first = next(iter(results.values()))[label]
    styles = list(first["by_style"])
    lines = [f"Split: {label}, macro-F1 per style (rows: "
             + ", ".join(f"{s} {first['by_style'][s]['n']}" for s in styles) + ")", "",
             "| pipeline | all | " + " | ".join(styles) + " | Greek | Greeklish | English |",
             "|---|---|" + "---|" * (len(styles) + 3)]
    for name, res in results.items():
        r = res[label]
        cells = [f"{r['by_style'][s]['macro_f1']:.3f}" for s in styles]
        scripts = r["by_script"]
        greek = r["groups"]["el"]["macro_f1"]
        tail = f" | {greek:.3f} | {scripts['greeklish']['macro_f1']:.3f} | {scripts['english']['macro_f1']:.3f} |"
        lines.append(f"| {name} | {r['macro_f1']:.3f} | " + " | ".join(cells) + tail)
    return "\n".join(lines)


def calibration(res: dict[str, Any], labels: list[str]) -> str:
    """Accuracy per confidence band and the cost of each threshold, both splits pooled: a message sent to the menu
    costs 1, a wrong intent acted upon costs r (2 or 3: the person must notice, cancel and start again)."""
    preds = [p for label in labels for p in res[label]["predictions"]]
    lines = ["| confidence | messages | share right |", "|---|---|---|"]
    for lo, hi in itertools.pairwise(BINS):
        band = [p for p in preds if lo <= p["confidence"] < hi]
        if band:
            right = sum(p["intent"] == p["predicted"] for p in band) / len(band)
            lines.append(f"| {lo:.1f}–{min(hi, 1.0):.1f} | {len(band)} | {right:.0%} |")
    lines += ["", "| threshold | to menu | wrong intent acted on | cost r=2 | cost r=3 |", "|---|---|---|---|---|"]
    for t in THRESHOLDS:
        menu = sum(p["confidence"] < t for p in preds) / len(preds)
        wrong = sum(p["confidence"] >= t and p["intent"] != p["predicted"] for p in preds) / len(preds)
        lines.append(f"| {t} | {menu:.1%} | {wrong:.1%} | {menu + 2 * wrong:.3f} | {menu + 3 * wrong:.3f} |")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    parser.add_argument("--split", nargs="*", choices=sorted(EVAL_FILES), default=DEFAULT_SPLITS,
                        help="evaluation files (default: dev dev_hard, the choosing splits): dev = "
                             "nlu/tests/dev.tsv, dev_hard = nlu/tests/dev_hard.tsv; report splits, only when named: "
                             "test = nlu/tests/heldout.tsv, hard = nlu/tests/hard.tsv, hard2 = nlu/tests/hard2.tsv, "
                             "hard3 = nlu/tests/hard3.tsv (the sealed third split, scored once by the lead)")
    parser.add_argument("--out", type=Path, default=RESULTS / "compare.json")
    parser.add_argument("--report", type=Path, help="only print the tables of an earlier run's JSON")
    parser.add_argument("--baseline", action="store_true", help=f"also score {BASELINE}")
    parser.add_argument("--without", nargs="*", default=[],
                        help=f"train every candidate without these nlu/data files (e.g. {RESIDENTS})")
    args = parser.parse_args()
    if args.report:
        results = json.loads(args.report.read_text(encoding="utf-8"))
        print_tables(results, args.split)
        return
    await asyncio.to_thread(ensure_nlu_env)
    names = args.only or list(CANDIDATES)
    results = {}
    files = {s: EVAL_FILES[s] for s in args.split}
    suffix = f" without {' '.join(args.without)}" if args.without else ""
    for name in names:
        results[name + suffix] = await measure(name, CANDIDATES[name], files, args.without)
    if args.baseline:
        results[BASELINE + suffix] = await measure_baseline(files, args.without)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print_tables(results, args.split)


def print_tables(results: dict[str, Any], labels: list[str]) -> None:
    for label in labels:
        print(markdown(results, label) + "\n")
        if "by_style" in next(iter(results.values()))[label]:
            print(style_markdown(results, label) + "\n")
    for name, res in results.items():
        print(f"Calibration of {name}, {' + '.join(labels)} pooled:\n\n{calibration(res, labels)}\n")


if __name__ == "__main__":
    asyncio.run(main())
