"""``python bot.py nlu-eval FILE.tsv [--by COLUMN]``: intent accuracy of the NLU model on a labelled file.

The file is tab-separated with a header row holding at least ``text`` and ``intent`` (other columns are ignored,
or used for ``--by``). Every row is parsed by a real Rasa server: the one at ``RASA_URL`` when it is set, otherwise
one started here with the up-to-date model and stopped afterwards. One JSON object goes to stdout::

    {"n", "accuracy", "macro_f1", "per_intent": {intent: {precision, recall, f1, support}},
     "confusions": [{"true", "predicted", "count"}], "latency_ms": {"p50", "p95", "max"},
     "low_confidence": {"threshold", "share", "accuracy_above"}, "groups": {value: {...}}}

``macro_f1`` averages F1 over the intents present in the file (support > 0); a prediction of an intent that is not
in the file counts against the recall of the true intent. A missing file, missing columns, empty cells or an
intent name the domain does not know give a message on stderr and exit code 2.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.rasa.server import NLU_DIR, NluSetupError, RasaServer, ensure_model

DOMAIN = NLU_DIR / "domain.yml"
REQUIRED_COLUMNS = ("text", "intent")
TOP_CONFUSIONS = 10


class EvalInputError(ValueError):
    """The evaluation file cannot be used; the message says why (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    text: str
    intent: str
    columns: dict[str, str]


@dataclass(frozen=True, slots=True)
class Prediction:
    intent: str | None
    confidence: float
    latency_ms: float


def known_intents() -> frozenset[str]:
    """The intents of ``nlu/domain.yml`` (design.md section 3)."""
    data = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    return frozenset(str(i) for i in data["intents"])


def read_rows(path: str | Path, by: str | None = None) -> list[Row]:
    """Rows of a labelled TSV file, checked; raises :class:`EvalInputError` with a clear message."""
    file = Path(path)
    if not file.is_file():
        raise EvalInputError(f"{file}: no such file")
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, dialect="excel-tab")
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            wanted = [*REQUIRED_COLUMNS, *([by] if by else [])]
            missing = [c for c in wanted if c not in header]
            if missing:
                raise EvalInputError(f"{file}: missing column(s) {', '.join(missing)} in the header row "
                                     f"(found: {', '.join(header) or 'nothing'}); the file must be tab-separated "
                                     "with a header row holding at least 'text' and 'intent'")
            rows = []
            for record in reader:
                line = reader.line_num
                values = {k: (v or "").strip() for k, v in record.items() if k is not None}
                if not any(values.values()):
                    continue  # blank line
                if not values["text"] or not values["intent"]:
                    raise EvalInputError(f"{file}, line {line}: empty 'text' or 'intent'")
                rows.append(Row(line, values["text"], values["intent"], values))
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{file}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise EvalInputError(f"{file}: not a readable TSV file ({exc})") from None
    if not rows:
        raise EvalInputError(f"{file}: no labelled rows after the header")
    known = known_intents()
    unknown = Counter(r.intent for r in rows if r.intent not in known)
    if unknown:
        where = ", ".join(f"'{name}' (line {next(r.line for r in rows if r.intent == name)})" for name in unknown)
        raise EvalInputError(f"{file}: unknown intent name(s) {where}; the intents are those of nlu/domain.yml: "
                             f"{', '.join(sorted(known))}")
    return rows


# ------------------------------------------------------------------------------------------------- metrics
def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def scores(truth: Sequence[str], predicted: Sequence[str | None]) -> dict[str, Any]:
    """n, accuracy, macro_f1, per_intent and the most frequent confusions of aligned label lists."""
    n = len(truth)
    pred = [p if p is not None else "(none)" for p in predicted]
    correct = sum(t == p for t, p in zip(truth, pred, strict=True))
    per_intent: dict[str, dict[str, float | int]] = {}
    for intent in sorted(set(truth)):
        tp = sum(t == intent and p == intent for t, p in zip(truth, pred, strict=True))
        support = sum(t == intent for t in truth)
        predicted_n = sum(p == intent for p in pred)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                              "support": support}
    confusions = Counter((t, p) for t, p in zip(truth, pred, strict=True) if t != p)
    return {
        "n": n,
        "accuracy": round(correct / n, 4) if n else 0.0,
        "macro_f1": round(sum(v["f1"] for v in per_intent.values()) / len(per_intent), 4) if per_intent else 0.0,
        "per_intent": per_intent,
        "confusions": [{"true": t, "predicted": p, "count": c}
                       for (t, p), c in sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CONFUSIONS]],
    }


def report(rows: Sequence[Row], predictions: Sequence[Prediction], *, by: str | None = None,
           threshold: float | None = None) -> dict[str, Any]:
    """The JSON report of ``nlu-eval`` for parsed rows."""
    result = scores([r.intent for r in rows], [p.intent for p in predictions])
    latencies = [p.latency_ms for p in predictions]
    result["latency_ms"] = {"p50": round(_percentile(latencies, 50), 1), "p95": round(_percentile(latencies, 95), 1),
                            "max": round(max(latencies), 1)}
    if threshold is not None:
        above = [(r, p) for r, p in zip(rows, predictions, strict=True) if p.confidence >= threshold]
        result["low_confidence"] = {
            "threshold": threshold,
            "share": round(1 - len(above) / len(rows), 4),
            "accuracy_above": round(sum(r.intent == p.intent for r, p in above) / len(above), 4) if above else None,
        }
    if by:
        groups: dict[str, dict[str, Any]] = {}
        for value in sorted({r.columns.get(by, "") for r in rows}):
            idx = [i for i, r in enumerate(rows) if r.columns.get(by, "") == value]
            groups[value or "(empty)"] = scores([rows[i].intent for i in idx], [predictions[i].intent for i in idx])
        result["groups"] = groups
    return result


# ------------------------------------------------------------------------------------------------- parsing
async def parse_texts(url: str, token: str, texts: Iterable[str], *, timeout_s: float = 30.0) -> list[Prediction]:
    """``POST /model/parse`` for each text, one at a time (so latencies are those of a single request)."""
    out: list[Prediction] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        for text in texts:
            started = time.perf_counter()
            async with session.post(f"{url.rstrip('/')}/model/parse", params={"token": token},
                                    json={"text": text}) as resp:
                if resp.status != 200:
                    raise NluSetupError(f"Rasa answered HTTP {resp.status} to /model/parse: "
                                        f"{(await resp.text())[:300]}")
                data = await resp.json()
            elapsed = (time.perf_counter() - started) * 1000
            intent = data.get("intent") or {}
            out.append(Prediction(intent.get("name"), float(intent.get("confidence") or 0.0), elapsed))
    return out


async def evaluate(path: str | Path, by: str | None = None, *, url: str | None = None, token: str | None = None,
                   threshold: float | None = None) -> dict[str, Any]:
    """Read and check the file, parse every row (given server or a temporary one), return the report."""
    rows = read_rows(path, by)
    texts = [r.text for r in rows]
    if url and token:
        predictions = await parse_texts(url, token, texts)
    else:
        model = await asyncio.to_thread(ensure_model)
        async with RasaServer(model) as server:
            predictions = await parse_texts(server.url, server.token, texts)
    return report(rows, predictions, by=by, threshold=threshold)


def cli_main(path: str, by: str | None) -> int:
    """Exit codes: 0 report printed, 2 unusable input file, 1 NLU not available."""
    from bot.core.settings import load_settings

    try:
        read_rows(path, by)  # fail fast, before any server is started
    except EvalInputError as exc:
        print(f"nlu-eval: {exc}", file=sys.stderr)
        return 2
    settings = load_settings()
    url = settings.rasa_url
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    try:
        result = asyncio.run(evaluate(path, by, url=url, token=token,
                                      threshold=settings.nlu_confidence_threshold))
    except EvalInputError as exc:
        print(f"nlu-eval: {exc}", file=sys.stderr)
        return 2
    except (NluSetupError, aiohttp.ClientError, TimeoutError) as exc:
        where = url or "a local Rasa server"
        print(f"nlu-eval: could not parse with {where}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0
