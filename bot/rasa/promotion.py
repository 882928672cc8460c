"""Gated retraining: ``python bot.py train --candidate`` trains a candidate model, scores it beside the model in
service, promotes it only if macro-F1 does not drop on any script group, and swaps it into the running Rasa server.

* **Evaluation rows**: the fixed held-out splits (``nlu/tests/heldout.tsv``, ``nlu/tests/hard.tsv``) and the
  held-out slice of the reviewed messages (``nlu/tests/reviewed_holdout.tsv``, written by ``export-nlu``), pooled
  and grouped by script (Greek accented / unaccented / upper-case, Greeklish, English).
* **Gate**: for every script group, candidate macro-F1 ≥ current macro-F1 − ``NLU_PROMOTION_TOLERANCE`` (default
  0: no drop at all). The report (per script, per split, per intent, confusion pairs whose counts changed) is
  written to ``nlu/models/reports/<candidate>.json`` and shown at ``/staff/nlu/models``.
* **Registry** ``nlu/models/registry.json``: ``current`` and ``previous`` model file names. ``bot.py run`` serves
  ``current`` (else the model of the current data). Promotion and rollback (one click in the dashboard) load the
  model into the running server with Rasa's ``PUT /model`` (the token), which builds the new agent and then
  replaces the old one: parses keep being answered by the old model until the new one is ready.

Both servers are the same process: the evaluation starts one ``rasa run`` on the current model, scores it, loads
the candidate with ``PUT /model`` and scores again (the swap is exercised before it is used for real).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from bot.rasa.evaluation import Row, parse_texts, read_rows, scores
from bot.rasa.server import (
    MODELS_DIR,
    NLU_DIR,
    ROOT,
    NluSetupError,
    RasaServer,
    ensure_model,
    ensure_nlu_env,
    model_hash,
    run_rasa_train,
)

REGISTRY = MODELS_DIR / "registry.json"
REPORTS_DIR = MODELS_DIR / "reports"
CANDIDATES_DIR = MODELS_DIR / "candidates"
FIXED_SPLITS = (NLU_DIR / "tests" / "heldout.tsv", NLU_DIR / "tests" / "hard.tsv")
REVIEWED_HOLDOUT = NLU_DIR / "tests" / "reviewed_holdout.tsv"
SWAP_TIMEOUT_S = 300.0


# ------------------------------------------------------------------------------------------------ registry
def read_registry(path: Path | None = None) -> dict[str, Any]:
    path = path or REGISTRY
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {"current": None, "previous": None, "history": []}
    return {"current": data.get("current"), "previous": data.get("previous"), "history": data.get("history", [])}


def write_registry(data: dict[str, Any], path: Path | None = None) -> None:
    path = path or REGISTRY
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def kept_models() -> set[str]:
    """Model file names the registry needs (never pruned)."""
    reg = read_registry()
    return {name for name in (reg["current"], reg["previous"]) if name}


def serving_model() -> Path:
    """The model ``bot.py run`` serves: the registry's current model when it exists, else the up-to-date one."""
    name = read_registry()["current"]
    if name and (MODELS_DIR / name).exists():
        return MODELS_DIR / name
    return ensure_model()


def record_switch(model: Path, *, action: str, actor: str, report: str | None = None) -> dict[str, Any]:
    """The registry after ``model`` became current (``action``: promote | rollback)."""
    reg = read_registry()
    if reg["current"] != model.name:
        reg["previous"], reg["current"] = reg["current"], model.name
    reg["history"] = [*reg["history"][-49:], {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                               "action": action, "model": model.name, "by": actor,
                                               "report": report}]
    write_registry(reg)
    return reg


# ------------------------------------------------------------------------------------------------ swapping
def _model_file(model: Path) -> str:
    if not model.is_file():
        raise NluSetupError(f"model not found: {model}")
    return str(model.resolve())


async def load_into(url: str, token: str, model: Path, *, timeout_s: float = SWAP_TIMEOUT_S) -> None:
    """``PUT /model`` on a running Rasa server: it answers when the new model serves (204)."""
    path = await asyncio.to_thread(_model_file, model)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        async with session.put(f"{url.rstrip('/')}/model", params={"token": token},
                               json={"model_file": path}) as resp:
            if resp.status not in (200, 204):
                raise NluSetupError(f"Rasa refused the model {model.name}: HTTP {resp.status} "
                                    f"{(await resp.text())[:300]}")


async def loaded_model(url: str, token: str) -> str | None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(f"{url.rstrip('/')}/status", params={"token": token}) as resp:
            data = await resp.json() if resp.status == 200 else {}
    return data.get("model_file")


# ------------------------------------------------------------------------------------------------ evaluation
def evaluation_files(reviewed_holdout: Path = REVIEWED_HOLDOUT) -> list[Path]:
    files = [p for p in FIXED_SPLITS if p.exists()]
    if reviewed_holdout.exists() and len(reviewed_holdout.read_text(encoding="utf-8").splitlines()) > 1:
        files.append(reviewed_holdout)
    return files


async def evaluate_on(url: str, token: str, files: Sequence[Path]) -> dict[str, Any]:
    """Predictions of the served model for every row of ``files``: ``{file name: [(row, predicted)]}``."""
    out: dict[str, Any] = {}
    for path in files:
        rows = read_rows(path, "script")
        predictions = await parse_texts(url, token, [r.text for r in rows])
        out[path.name] = [(r, p.intent) for r, p in zip(rows, predictions, strict=True)]
    return out


def _by_script(pairs: Sequence[tuple[Row, str | None]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[tuple[Row, str | None]]] = {}
    for row, pred in pairs:
        groups.setdefault(row.columns.get("script") or "(none)", []).append((row, pred))
    return {g: scores([r.intent for r, _ in v], [p for _, p in v]) for g, v in sorted(groups.items())}


def decide(current: dict[str, Any], candidate: dict[str, Any], *, tolerance: float = 0.0,
           current_name: str = "", candidate_name: str = "") -> dict[str, Any]:
    """The report: figures of both models and whether the candidate may be promoted."""
    pooled_cur = [pair for pairs in current.values() for pair in pairs]
    pooled_cand = [pair for pairs in candidate.values() for pair in pairs]
    scripts_cur, scripts_cand = _by_script(pooled_cur), _by_script(pooled_cand)
    per_script = {}
    failures = []
    for group in sorted(set(scripts_cur) | set(scripts_cand)):
        cur = scripts_cur.get(group, {}).get("macro_f1", 0.0)
        cand = scripts_cand.get(group, {}).get("macro_f1", 0.0)
        ok = cand >= cur - tolerance - 1e-9
        per_script[group] = {"n": scripts_cand.get(group, scripts_cur.get(group, {})).get("n", 0),
                             "current": cur, "candidate": cand, "delta": round(cand - cur, 4), "ok": ok}
        if not ok:
            failures.append(group)
    all_cur = scores([r.intent for r, _ in pooled_cur], [p for _, p in pooled_cur])
    all_cand = scores([r.intent for r, _ in pooled_cand], [p for _, p in pooled_cand])
    per_intent = {i: {"current": all_cur["per_intent"].get(i, {}).get("f1", 0.0),
                      "candidate": all_cand["per_intent"].get(i, {}).get("f1", 0.0),
                      "support": all_cand["per_intent"].get(i, {}).get("support", 0)}
                  for i in sorted(set(all_cur["per_intent"]) | set(all_cand["per_intent"]))}
    for v in per_intent.values():
        v["delta"] = round(v["candidate"] - v["current"], 4)
    conf_cur = Counter((r.intent, p or "(none)") for r, p in pooled_cur if r.intent != p)
    conf_cand = Counter((r.intent, p or "(none)") for r, p in pooled_cand if r.intent != p)
    changed = [{"true": t, "predicted": p, "current": conf_cur[(t, p)], "candidate": conf_cand[(t, p)]}
               for (t, p) in sorted(set(conf_cur) | set(conf_cand)) if conf_cur[(t, p)] != conf_cand[(t, p)]]
    changed.sort(key=lambda c: -abs(c["candidate"] - c["current"]))
    per_file = {name: {"current": scores([r.intent for r, _ in current[name]], [p for _, p in current[name]])
                       ["macro_f1"],
                       "candidate": scores([r.intent for r, _ in candidate[name]], [p for _, p in candidate[name]])
                       ["macro_f1"], "n": len(candidate[name])}
                for name in candidate if name in current}
    return {
        "current_model": current_name, "candidate_model": candidate_name, "tolerance": tolerance,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "promote": not failures, "failed_scripts": failures,
        "overall": {"current": all_cur["macro_f1"], "candidate": all_cand["macro_f1"], "n": all_cand["n"]},
        "per_script": per_script, "per_file": per_file, "per_intent": per_intent,
        "confusions_changed": changed[:40],
    }


def save_report(report: dict[str, Any]) -> Path:
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    path = REPORTS_DIR / f"{Path(report['candidate_model']).name.removesuffix('.tar.gz')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def reports(limit: int = 20) -> list[dict[str, Any]]:
    """Saved candidate reports, newest first."""
    if not REPORTS_DIR.is_dir():
        return []
    out = []
    for path in sorted(REPORTS_DIR.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]:
        try:
            out.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return out


# ------------------------------------------------------------------------------------------------ the command
def train_candidate(config: Path = NLU_DIR / "config.yml", data: Path | None = None) -> Path:
    """Train a candidate into ``nlu/models/candidates/`` (named after the content hash)."""
    name = f"nlu-{model_hash()}" if data is None else f"nlu-candidate-{int(time.time())}"
    target = CANDIDATES_DIR / f"{name}.tar.gz"
    if target.exists():
        return target
    return run_rasa_train(config, CANDIDATES_DIR, name, data)


async def gate(current: Path, candidate: Path, *, tolerance: float,
               files: Sequence[Path] | None = None) -> dict[str, Any]:
    """Serve ``current``, score it, load ``candidate`` into the same server, score it, decide."""
    files = list(files) if files is not None else evaluation_files()
    async with RasaServer(current) as server:
        cur = await evaluate_on(server.url, server.token, files)
        await load_into(server.url, server.token, candidate)
        cand = await evaluate_on(server.url, server.token, files)
    return decide(cur, cand, tolerance=tolerance, current_name=current.name, candidate_name=candidate.name)


def promote_file(candidate: Path) -> Path:
    """The candidate's file in ``nlu/models/`` (where the registry's models live)."""
    target = MODELS_DIR / candidate.name
    if candidate.resolve() != target.resolve():
        shutil.copy2(candidate, target)
    return target


async def run_candidate(*, tolerance: float, export_labels: bool = True, live_url: str | None = None,
                        live_token: str | None = None) -> dict[str, Any]:
    if export_labels:
        await _export_from_settings()
    ensure_nlu_env()
    current = serving_model()
    _say(f"training a candidate (current model: {current.name})")
    candidate = await asyncio.to_thread(train_candidate)
    if candidate.name == current.name:
        _say("the candidate is the model in service (nothing changed in nlu/ since): nothing to promote")
        return {"candidate_model": candidate.name, "promote": False, "unchanged": True, "failed_scripts": [],
                "per_script": {}, "overall": {}}
    report = await gate(current, candidate, tolerance=tolerance)
    path = save_report(report)
    _say(f"report: {path.relative_to(ROOT)}")
    if report["promote"]:
        model = promote_file(candidate)
        record_switch(model, action="promote", actor="cli", report=path.name)
        if live_url and live_token:
            await load_into(live_url, live_token, model)
            _say(f"promoted: {model.name}, now served at {live_url}")
        else:
            _say(f"promoted: {model.name} (the next `bot.py run` serves it; RASA_URL/RASA_TOKEN not set, so no "
                 "running server was switched)")
    else:
        _say(f"NOT promoted: macro-F1 dropped on {', '.join(report['failed_scripts'])}")
    return report


async def _export_from_settings() -> None:
    from bot.core.settings import load_settings
    from bot.rasa.export import export
    from bot.store import open_configured_store

    settings = load_settings()
    if settings.mongodb_uri is None:
        _say("MONGODB_URI is not set: no labels to export, training on nlu/data as it is")
        return
    store = await open_configured_store(settings)
    try:
        result = await export(store)
    finally:
        await store.close()
    _say(f"export-nlu: {result.summary()}")


def _say(message: str) -> None:
    print(f"[nlu] {message}", file=sys.stderr, flush=True)


def cli_candidate(tolerance: float | None = None) -> int:
    """``python bot.py train --candidate [--tolerance T]``: 0 promoted, 3 not promoted, 1 could not run."""
    from bot.core.settings import load_settings

    settings = load_settings()
    tol = settings.nlu_promotion_tolerance if tolerance is None else tolerance
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else os.environ.get("RASA_TOKEN")
    try:
        report = asyncio.run(run_candidate(tolerance=tol, live_url=settings.rasa_url, live_token=token))
    except NluSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({k: report[k] for k in ("candidate_model", "promote", "failed_scripts", "per_script",
                                             "overall")}, ensure_ascii=False, indent=1))
    return 0 if report["promote"] or report.get("unchanged") else 3
