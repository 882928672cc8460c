# Sourced by run.sh and test.sh: creates or updates .venv (Python 3.11) from a requirements file.
# Usage: ensure_venv requirements.txt
find_python311() {
  if command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    command -v python3.11; return 0
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local v; v=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.11\.[0-9]+$' | tail -1 || true)
    if [ -n "$v" ]; then PYENV_VERSION=$v pyenv which python3.11; return 0; fi
  fi
  echo "error: Python 3.11 is needed for the bot service (python3.11 on PATH or a pyenv 3.11.x); none found." >&2
  return 1
}

installed_hash() {  # what a requirements file (with requirements.txt) asks for now
  cat requirements.txt "$1" | sha256sum | cut -c1-64
}

ensure_venv() {
  local req=$1 stamp=".venv/.installed-$1.sha256"
  if [ -x .venv/bin/python ]; then
    [ "$(cat "$stamp" 2>/dev/null)" = "$(installed_hash "$req")" ] && return 0
    # the test requirements include the runtime ones: a current test install serves ./run.sh too
    [ "$req" = requirements.txt ] && [ "$(cat .venv/.installed-requirements-dev.txt.sha256 2>/dev/null)" = \
      "$(installed_hash requirements-dev.txt)" ] && return 0
  fi
  local py; py=$(find_python311) || return 1
  if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv with $py" >&2
    "$py" -m venv .venv
  fi
  echo "[setup] installing $req into .venv" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req" >&2
  installed_hash "$req" >"$stamp"
}
