#!/usr/bin/env bash
# Runs the whole test suite: lint, then pytest (including the real Rasa server and headless Chromium tests).
# Creates what it needs on a fresh machine: .venv, nlu/.venv + a trained model, Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-venv.sh
ensure_venv requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "[setup] installing Debian's chromium for the dashboard browser tests" >&2
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/tmp/chania-apt.log 2>&1 \
      || { tail -20 /tmp/chania-apt.log >&2; echo "error: could not install chromium" >&2; exit 1; }
  else
    echo "error: Debian's chromium is needed for the browser tests: sudo apt-get install chromium" >&2; exit 1
  fi
fi
.venv/bin/python bot.py prepare-nlu
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
