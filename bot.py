#!/usr/bin/env python3
"""Command line of the Chania civic chatbot.

    python bot.py run [--demo] [--host H] [--port P]   start the service (and a Rasa server unless RASA_URL is set)
    python bot.py train [--force]                      train the NLU model into nlu/models/
    python bot.py train --candidate [--tolerance T]    train, evaluate, promote only if no script group drops
    python bot.py prepare-nlu                          create nlu/.venv and train a model if there is none
    python bot.py nlu-eval FILE.tsv [--by COLUMN]      evaluate the model on a labelled TSV file (JSON on stdout)
    python bot.py export-nlu                           labelled messages -> nlu/data/reviewed.yml (+ held-out TSV)
    python bot.py create-staff USERNAME --role ROLE [--department D ...]   create a staff account
    python bot.py retention [--dry-run]                delete or pseudonymise personal data past its retention period
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

log = logging.getLogger("bot")


async def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.app import create_app
    from bot.core.logs import setup_logging
    from bot.core.settings import load_settings
    from bot.rasa.server import new_rasa_token

    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    settings = load_settings(**overrides)
    secrets_to_hide = [s.get_secret_value() for s in (settings.telegram_token, settings.viber_token,
                                                        settings.telegram_webhook_secret, settings.rasa_token,
                                                        settings.mongodb_uri) if s]
    rasa_token = settings.rasa_token.get_secret_value() if settings.rasa_token else new_rasa_token()
    setup_logging(settings.log_level, [*secrets_to_hide, rasa_token])

    if settings.demo:
        if settings.has_real_channels and not args.demo:
            print("Refusing to start: MONGODB_URI is not set, so nothing would persist, but real channel tokens are "
                  "configured. Set MONGODB_URI, or pass --demo to run with the in-memory database anyway.",
                  file=sys.stderr)
            return 2
        print("\n" + "!" * 78 + "\n!! DEMO MODE: MONGODB_URI is not set. Conversations, tickets and staff accounts"
              "\n!! live in memory only and are LOST when the service stops.\n" + "!" * 78 + "\n", file=sys.stderr)

    rasa = None
    nlu_url = settings.rasa_url
    if nlu_url is None:
        from bot.rasa.promotion import serving_model
        from bot.rasa.server import RasaServer, ensure_nlu_env

        ensure_nlu_env()
        model = serving_model()  # the promoted model (nlu/models/registry.json), else the up-to-date one
        print(f"[run] starting the Rasa server on 127.0.0.1:{settings.rasa_port} (model {model.name})",
              file=sys.stderr)
        rasa = RasaServer(model, port=settings.rasa_port, token=rasa_token)
        await rasa.start()
        nlu_url = rasa.url
    try:
        app = await create_app(settings, nlu_url=nlu_url, nlu_token=rasa_token)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=20)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        await _announce(app, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        print("[run] shutting down: finishing in-flight messages", file=sys.stderr)
        await runner.cleanup()
    finally:
        if rasa is not None:
            await rasa.stop()
    return 0


async def _announce(app: object, settings: object) -> None:
    from bot.app import RUNTIME
    from bot.dashboard import ensure_demo_admin

    base = f"http://{settings.host}:{settings.port}"  # type: ignore[attr-defined]
    print(f"\n[run] Chania civic chatbot is up\n"
          f"      web chat:   {base}/chat\n"
          f"      staff:      {base}/staff\n"
          f"      health:     {base}/healthz\n", file=sys.stderr)
    password = await ensure_demo_admin(app[RUNTIME].services)  # type: ignore[index]
    if password:
        print(f"      demo staff login: admin / {password}  (demo mode: a new one at every start)\n",
              file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.py", description="Chania civic chatbot")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the service")
    run.add_argument("--demo", action="store_true", help="allow real channel tokens without MongoDB (nothing persists)")
    run.add_argument("--host")
    run.add_argument("--port", type=int, default=int(os.environ["PORT"]) if os.environ.get("PORT") else None)
    train = sub.add_parser("train", help="train the NLU model into nlu/models/")
    train.add_argument("--force", action="store_true", help="train even when the model is up to date")
    train.add_argument("--candidate", action="store_true",
                       help="export the labels, train a candidate, promote it only if no script group gets worse")
    train.add_argument("--tolerance", type=float,
                       help="largest macro-F1 drop allowed (default NLU_PROMOTION_TOLERANCE)")
    sub.add_parser("prepare-nlu", help="create nlu/.venv and train a model if none is up to date")
    ev = sub.add_parser("nlu-eval", help="evaluate the NLU model on a TSV file with columns text and intent")
    ev.add_argument("file")
    ev.add_argument("--by", help="also report figures for each value of this column")
    sub.add_parser("export-nlu", help="write the labelled messages as Rasa training data (nlu/data/reviewed.yml)")
    staff = sub.add_parser("create-staff", help="create a staff account (the first admin, for instance)")
    staff.add_argument("username")
    staff.add_argument("--role", required=True,
                       choices=("admin", "operator", "department", "broadcaster", "dpo", "tourism", "annotator"))
    staff.add_argument("--department", action="append", default=[], dest="departments")
    retention = sub.add_parser("retention", help="apply the personal-data retention rules now (prints counts)")
    retention.add_argument("--dry-run", action="store_true", help="count what is due, change nothing")
    imp = sub.add_parser("import-pois", help="replace the guide's sights in MongoDB with a YAML file")
    imp.add_argument("file", nargs="?", help="default: data/pois.yaml")
    exp = sub.add_parser("export-pois", help="write the guide's sights from MongoDB as YAML")
    exp.add_argument("file", nargs="?", help="default: standard output")
    args = parser.parse_args(argv)

    from bot.rasa.server import NluSetupError

    try:
        return _dispatch(args)
    except NluSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return asyncio.run(_serve(args))
    if args.command == "train" and args.candidate:
        from bot.rasa.promotion import cli_candidate

        return cli_candidate(args.tolerance)
    if args.command == "train":
        from bot.rasa.server import cli_train

        return cli_train(force=args.force)
    if args.command == "prepare-nlu":
        from bot.rasa.server import ensure_model, ensure_nlu_env

        ensure_nlu_env()
        ensure_model()
        return 0
    if args.command == "nlu-eval":
        from bot.rasa.evaluation import cli_main

        return cli_main(args.file, args.by)
    if args.command == "export-nlu":
        from bot.rasa.export import cli_main as export_main

        return export_main()
    if args.command == "create-staff":
        from bot.staff.accounts import cli_create_staff

        return cli_create_staff(args.username, args.role, args.departments, os.environ.get("CHANIA_STAFF_PASSWORD"))
    if args.command == "retention":
        from bot.privacy.retention import cli_retention

        return asyncio.run(cli_retention(dry_run=args.dry_run))
    if args.command in ("import-pois", "export-pois"):
        from bot.guide.sights import cli_export, cli_import

        return cli_import(args.file) if args.command == "import-pois" else cli_export(args.file)
    return 2


if __name__ == "__main__":
    sys.exit(main())
