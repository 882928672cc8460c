#!/usr/bin/env bash
# Runs the Chania civic chatbot locally. On first run it creates .venv (Python 3.11) and nlu/.venv (Python 3.10,
# Rasa), trains the NLU model if there is none, starts the Rasa server on loopback with a fresh token, then the
# bot service. Arguments go to `bot.py run` (e.g. --port 8080, --demo).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-venv.sh
ensure_venv requirements.txt
exec .venv/bin/python bot.py run "$@"
